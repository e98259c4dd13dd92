//! `[gateway]` in `airm.toml`: listen address, caps, named upstreams with per-model routing,
//! named guard policies, rate-limit and extraction-detector settings. Plain serde data with
//! unknown keys rejected; [`GatewayConfig::validate`] checks what serde cannot. Upstream API
//! keys are read from an environment variable or a file, never written in the config.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::error::GatewayError;
use crate::extraction::ExtractionConfig;

/// `[gateway]`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct GatewayConfig {
    /// Listen address (default `127.0.0.1:8090`).
    pub listen: String,
    /// Largest request body accepted, in bytes (default 4 MiB).
    pub max_body_bytes: usize,
    /// Largest non-streamed upstream response read, in bytes (default 16 MiB).
    pub max_response_bytes: usize,
    /// Seconds a resolved virtual key is cached (revocation takes effect within this).
    pub key_cache_secs: u64,
    /// Record redacted request and response bodies in activity events.
    pub capture_bodies: bool,
    /// Plant a fresh canary token in every system prompt and block responses that leak it.
    pub inject_canary: bool,
    /// Seconds granted to in-flight requests and streams on shutdown.
    pub drain_secs: u64,
    /// Upstreams, tried for routing in order; the first whose `models` match serves.
    pub upstreams: Vec<UpstreamConfig>,
    /// Named guard policies keys can refer to (`default` is the `[guard]` section).
    pub policies: BTreeMap<String, airm_guard::Policy>,
    /// Model-extraction detection.
    pub extraction: ExtractionConfig,
}

impl Default for GatewayConfig {
    fn default() -> Self {
        GatewayConfig {
            listen: "127.0.0.1:8090".into(),
            max_body_bytes: 4 * 1024 * 1024,
            max_response_bytes: 16 * 1024 * 1024,
            key_cache_secs: 10,
            capture_bodies: false,
            inject_canary: false,
            drain_secs: 30,
            upstreams: Vec::new(),
            policies: BTreeMap::new(),
            extraction: ExtractionConfig::default(),
        }
    }
}

/// API dialect of an upstream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum UpstreamKind {
    /// OpenAI-compatible (`/chat/completions`, `/completions`, `/embeddings`, `/models`).
    #[default]
    Openai,
    /// Anthropic Messages API (`/messages`).
    Anthropic,
}

/// What happens when the guard fails on a request of this upstream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum OnGuardError {
    /// Refuse the request (fail closed, the default).
    #[default]
    Block,
    /// Let the text through unchecked and record the failure.
    Allow,
}

/// `[[gateway.upstreams]]`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct UpstreamConfig {
    /// Name, used in logs, metrics and events.
    pub name: String,
    /// Base URL including the version path, e.g. `https://api.openai.com/v1`.
    pub base_url: String,
    /// Dialect (`openai` or `anthropic`).
    #[serde(default)]
    pub kind: UpstreamKind,
    /// Environment variable holding the upstream API key.
    #[serde(default)]
    pub api_key_env: Option<String>,
    /// File holding the upstream API key (trailing whitespace trimmed).
    #[serde(default)]
    pub api_key_file: Option<PathBuf>,
    /// Model patterns this upstream serves (`*` at the end matches any suffix); empty = any.
    #[serde(default)]
    pub models: Vec<String>,
    /// Connect timeout in milliseconds (default 2000).
    #[serde(default = "default_connect_ms")]
    pub connect_timeout_ms: u64,
    /// Whole-response timeout for non-streamed calls, seconds (default 120).
    #[serde(default = "default_timeout_secs")]
    pub timeout_secs: u64,
    /// Longest silence between two chunks of a stream, seconds (default 60).
    #[serde(default = "default_idle_secs")]
    pub stream_idle_secs: u64,
    /// Retries on connect errors and on 429/502/503/504 before any byte reached the client
    /// (default 2).
    #[serde(default = "default_retries")]
    pub retries: u32,
    /// First retry delay in milliseconds, doubled each retry (default 100).
    #[serde(default = "default_backoff_ms")]
    pub backoff_ms: u64,
    /// Behaviour when the guard fails on this route.
    #[serde(default)]
    pub on_guard_error: OnGuardError,
}

fn default_connect_ms() -> u64 {
    2000
}
fn default_timeout_secs() -> u64 {
    120
}
fn default_idle_secs() -> u64 {
    60
}
fn default_retries() -> u32 {
    2
}
fn default_backoff_ms() -> u64 {
    100
}

impl UpstreamConfig {
    /// An OpenAI-style upstream at `base_url` with defaults (handy for tests and docs).
    pub fn new(name: &str, base_url: &str) -> UpstreamConfig {
        UpstreamConfig {
            name: name.to_string(),
            base_url: base_url.to_string(),
            kind: UpstreamKind::Openai,
            api_key_env: None,
            api_key_file: None,
            models: Vec::new(),
            connect_timeout_ms: default_connect_ms(),
            timeout_secs: default_timeout_secs(),
            stream_idle_secs: default_idle_secs(),
            retries: default_retries(),
            backoff_ms: default_backoff_ms(),
            on_guard_error: OnGuardError::Block,
        }
    }

    /// Reads the API key from the configured variable or file (none when neither is set).
    pub fn api_key(&self) -> Result<Option<String>, GatewayError> {
        let field = |f: &str| format!("upstreams.{}.{f}", self.name);
        if let Some(var) = &self.api_key_env {
            return match std::env::var(var) {
                Ok(v) if !v.trim().is_empty() => Ok(Some(v.trim().to_string())),
                _ => Err(GatewayError::Config {
                    field: field("api_key_env"),
                    message: format!("environment variable {var} is not set"),
                }),
            };
        }
        if let Some(path) = &self.api_key_file {
            return std::fs::read_to_string(path)
                .map(|s| Some(s.trim().to_string()))
                .map_err(|e| GatewayError::Config {
                    field: field("api_key_file"),
                    message: format!("cannot read {}: {e}", path.display()),
                });
        }
        Ok(None)
    }
}

/// True when `model` matches `pattern` (exact, or prefix when the pattern ends in `*`).
pub fn model_matches(pattern: &str, model: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => model.starts_with(prefix),
        None => pattern == model,
    }
}

impl GatewayConfig {
    /// Checks what serde cannot: names, URLs, caps.
    pub fn validate(&self) -> Result<(), GatewayError> {
        let bad = |field: String, message: String| Err(GatewayError::Config { field, message });
        if self.max_body_bytes == 0 || self.max_response_bytes == 0 {
            return bad("max_body_bytes".into(), "must be greater than 0".into());
        }
        let mut names = std::collections::HashSet::new();
        for u in &self.upstreams {
            if !names.insert(u.name.as_str()) {
                return bad(
                    format!("upstreams.{}", u.name),
                    "duplicate upstream name".into(),
                );
            }
            if !(u.base_url.starts_with("http://") || u.base_url.starts_with("https://")) {
                return bad(
                    format!("upstreams.{}.base_url", u.name),
                    "must start with http:// or https://".into(),
                );
            }
            if u.api_key_env.is_some() && u.api_key_file.is_some() {
                return bad(
                    format!("upstreams.{}", u.name),
                    "set api_key_env or api_key_file, not both".into(),
                );
            }
            if u.timeout_secs == 0 || u.stream_idle_secs == 0 || u.connect_timeout_ms == 0 {
                return bad(
                    format!("upstreams.{}", u.name),
                    "timeouts must be greater than 0".into(),
                );
            }
        }
        self.extraction.validate()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_and_validation() {
        assert!(model_matches("gpt-4o*", "gpt-4o-mini"));
        assert!(model_matches("gpt-4o", "gpt-4o"));
        assert!(!model_matches("gpt-4o", "gpt-4o-mini"));
        let mut c = GatewayConfig::default();
        c.upstreams
            .push(UpstreamConfig::new("a", "http://127.0.0.1:1/v1"));
        assert!(c.validate().is_ok());
        c.upstreams.push(UpstreamConfig::new("a", "ftp://x"));
        assert!(c.validate().is_err());
        let t: Result<GatewayConfig, _> = serde_json::from_str(r#"{"listen":"x","bogus":1}"#);
        assert!(t.is_err());
    }
}
