//! Upstream LLM providers: one pooled HTTP client per named upstream, routing of a model to
//! the first upstream of the right dialect whose patterns match, and sending with retries
//! (connect errors, and 429/502/503/504 answers, with exponential backoff; never after a
//! byte reached the client). The upstream API key is attached here and nowhere else, and
//! never appears in errors or logs.

use std::time::Duration;

use axum::http::{HeaderMap, HeaderValue};
use bytes::Bytes;

use crate::config::{model_matches, UpstreamConfig, UpstreamKind};
use crate::error::GatewayError;

/// Client headers forwarded to the upstream (everything else, notably the client's
/// `Authorization`, is dropped).
const FORWARDED: [&str; 4] = [
    "openai-beta",
    "anthropic-version",
    "anthropic-beta",
    "accept",
];

/// Longest wait honoured from an upstream `Retry-After` before retrying.
const MAX_RETRY_WAIT: Duration = Duration::from_secs(2);

/// One configured upstream.
pub struct Upstream {
    /// Its configuration.
    pub cfg: UpstreamConfig,
    base: String,
    auth: Option<HeaderValue>,
    client: reqwest::Client,
}

impl std::fmt::Debug for Upstream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Upstream")
            .field("name", &self.cfg.name)
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

impl Upstream {
    /// Builds the client and reads the API key.
    pub fn build(cfg: &UpstreamConfig) -> Result<Upstream, GatewayError> {
        let auth = match cfg.api_key()? {
            Some(k) => {
                let v = match cfg.kind {
                    UpstreamKind::Openai => format!("Bearer {k}"),
                    UpstreamKind::Anthropic => k,
                };
                let mut hv = HeaderValue::from_str(&v).map_err(|_| GatewayError::Config {
                    field: format!("upstreams.{}", cfg.name),
                    message: "the API key contains characters not allowed in a header".into(),
                })?;
                hv.set_sensitive(true);
                Some(hv)
            }
            None => None,
        };
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_millis(cfg.connect_timeout_ms))
            .pool_idle_timeout(Duration::from_secs(90))
            .pool_max_idle_per_host(1024)
            .tcp_nodelay(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| GatewayError::Config {
                field: format!("upstreams.{}", cfg.name),
                message: format!("cannot build the HTTP client: {e}"),
            })?;
        Ok(Upstream {
            cfg: cfg.clone(),
            base: cfg.base_url.trim_end_matches('/').to_string(),
            auth,
            client,
        })
    }

    /// Whether this upstream serves `model` in `kind`.
    pub fn serves(&self, kind: UpstreamKind, model: &str) -> bool {
        self.cfg.kind == kind
            && (self.cfg.models.is_empty()
                || self.cfg.models.iter().any(|p| model_matches(p, model)))
    }

    fn err(&self, e: &reqwest::Error) -> GatewayError {
        if e.is_timeout() {
            GatewayError::UpstreamTimeout {
                upstream: self.cfg.name.clone(),
            }
        } else {
            let kind = if e.is_connect() {
                "cannot connect"
            } else if e.is_body() || e.is_decode() {
                "broken response body"
            } else {
                "request failed"
            };
            GatewayError::Upstream {
                upstream: self.cfg.name.clone(),
                message: kind.to_string(),
            }
        }
    }

    /// Sends `method path` with `body`; streamed responses get no whole-response timeout
    /// (the caller applies an idle timeout between chunks). Retries where safe.
    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Bytes>,
        client_headers: &HeaderMap,
        streaming: bool,
    ) -> Result<reqwest::Response, GatewayError> {
        let url = format!("{}{path}", self.base);
        let mut attempt = 0u32;
        loop {
            let mut req = self.client.request(method.clone(), &url);
            if !streaming {
                req = req.timeout(Duration::from_secs(self.cfg.timeout_secs));
            }
            if let Some(a) = &self.auth {
                req = match self.cfg.kind {
                    UpstreamKind::Openai => req.header(reqwest::header::AUTHORIZATION, a.clone()),
                    UpstreamKind::Anthropic => req.header("x-api-key", a.clone()),
                };
            }
            for h in FORWARDED {
                if let Some(v) = client_headers.get(h) {
                    req = req.header(h, v.clone());
                }
            }
            if let Some(b) = &body {
                req = req
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(b.clone());
            }
            let can_retry = attempt < self.cfg.retries;
            let backoff =
                Duration::from_millis(self.cfg.backoff_ms.saturating_mul(1 << attempt.min(10)));
            match req.send().await {
                Ok(resp) => {
                    let s = resp.status().as_u16();
                    if can_retry && matches!(s, 429 | 502 | 503 | 504) {
                        let wait = resp
                            .headers()
                            .get(reqwest::header::RETRY_AFTER)
                            .and_then(|v| v.to_str().ok())
                            .and_then(|v| v.trim().parse::<u64>().ok())
                            .map_or(backoff, Duration::from_secs)
                            .min(MAX_RETRY_WAIT);
                        tracing::debug!(upstream = %self.cfg.name, status = s, attempt, "Retrying upstream");
                        drop(resp);
                        tokio::time::sleep(wait).await;
                        attempt += 1;
                        continue;
                    }
                    return Ok(resp);
                }
                Err(e) if can_retry && e.is_connect() => {
                    tracing::debug!(upstream = %self.cfg.name, attempt, "Upstream connect failed; retrying");
                    tokio::time::sleep(backoff).await;
                    attempt += 1;
                }
                Err(e) => {
                    let err = self.err(&e);
                    tracing::warn!(upstream = %self.cfg.name, error = %e.without_url(), "Upstream request failed");
                    return Err(err);
                }
            }
        }
    }

    /// The error to report for a failure while reading a response body.
    pub fn body_error(&self, e: &reqwest::Error) -> GatewayError {
        self.err(e)
    }
}

/// All upstreams, in routing order.
#[derive(Debug, Default)]
pub struct Upstreams {
    list: Vec<Upstream>,
}

impl Upstreams {
    /// Builds every configured upstream.
    pub fn build(cfgs: &[UpstreamConfig]) -> Result<Upstreams, GatewayError> {
        Ok(Upstreams {
            list: cfgs.iter().map(Upstream::build).collect::<Result<_, _>>()?,
        })
    }

    /// The upstream serving `model` in `kind`.
    pub fn route(&self, kind: UpstreamKind, model: &str) -> Option<&Upstream> {
        self.list.iter().find(|u| u.serves(kind, model))
    }

    /// The first upstream of a dialect (for `GET /v1/models`).
    pub fn first(&self, kind: UpstreamKind) -> Option<&Upstream> {
        self.list.iter().find(|u| u.cfg.kind == kind)
    }

    /// All upstreams.
    pub fn all(&self) -> &[Upstream] {
        &self.list
    }
}
