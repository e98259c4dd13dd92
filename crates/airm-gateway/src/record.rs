//! What the gateway remembers about one request while it runs ([`Record`], the typed
//! per-request context), and how it ends: metrics and exactly one activity event with key,
//! system, model, verdicts, rules fired, token counts and latency. Bodies appear in the
//! event only when `capture_bodies` is on, and then only after the guard's redaction.

use std::time::{Duration, Instant};

use airm_core::{ActorKind, Outcome, Timestamp};
use airm_guard::{Action, Verdict};
use airm_store::{EventLog, GatewayKey, NewEvent};
use serde_json::{json, Value};

use crate::error::GatewayError;
use crate::metrics::Metrics;
use crate::protocol::Endpoint;

/// Largest captured body, in bytes (longer bodies are cut).
const MAX_CAPTURE: usize = 16 * 1024;

/// Rules fired kept per request (the rest are counted only).
const MAX_RULES: usize = 64;

/// The per-request context.
#[derive(Debug)]
pub struct Record {
    /// When the request arrived.
    pub start: Instant,
    /// Request id (also returned in `x-request-id`).
    pub request_id: String,
    /// Endpoint.
    pub endpoint: Endpoint,
    /// The authenticated key.
    pub key: Option<GatewayKey>,
    /// Requested model.
    pub model: Option<String>,
    /// Upstream used.
    pub upstream: Option<String>,
    /// Time spent waiting for the upstream.
    pub upstream_time: Duration,
    /// Whether the response is streamed.
    pub stream: bool,
    /// Strongest input action.
    pub input_action: Action,
    /// Strongest output action.
    pub output_action: Action,
    /// `(stage, rule id, action)` of the findings acted on.
    pub rules: Vec<(&'static str, String, Action)>,
    /// Prompt tokens.
    pub prompt_tokens: u64,
    /// Completion tokens.
    pub completion_tokens: u64,
    /// HTTP status sent.
    pub status: u16,
    /// Error code, when it failed.
    pub error: Option<&'static str>,
    /// The guard failed and the route let the text through.
    pub guard_failed_open: bool,
    /// Extraction signals raised.
    pub alerts: Vec<&'static str>,
    /// Captured (redacted) request body.
    pub captured_request: Option<String>,
    /// Captured (redacted) response body.
    pub captured_response: Option<String>,
}

impl Record {
    /// A fresh record for `endpoint`.
    pub fn new(endpoint: Endpoint) -> Record {
        Record {
            start: Instant::now(),
            request_id: format!("gw_{:016x}", rand::random::<u64>()),
            endpoint,
            key: None,
            model: None,
            upstream: None,
            upstream_time: Duration::ZERO,
            stream: false,
            input_action: Action::Allow,
            output_action: Action::Allow,
            rules: Vec::new(),
            prompt_tokens: 0,
            completion_tokens: 0,
            status: 200,
            error: None,
            guard_failed_open: false,
            alerts: Vec::new(),
            captured_request: None,
            captured_response: None,
        }
    }

    /// Notes a verdict of `stage` (`input` or `output`).
    pub fn verdict(&mut self, stage: &'static str, v: &Verdict, metrics: &Metrics) {
        for f in &v.findings {
            if f.action == Action::Allow {
                continue;
            }
            metrics.verdict(stage, &f.rule_id, &f.action.to_string());
            if self.rules.len() < MAX_RULES
                && !self
                    .rules
                    .iter()
                    .any(|(s, r, a)| *s == stage && *r == f.rule_id && *a == f.action)
            {
                self.rules.push((stage, f.rule_id.clone(), f.action));
            }
        }
        let slot = if stage == "input" {
            &mut self.input_action
        } else {
            &mut self.output_action
        };
        *slot = (*slot).max(v.action);
    }

    /// Notes an error.
    pub fn error(&mut self, e: &GatewayError) {
        self.error = Some(e.code());
        self.status = e.status().as_u16();
    }

    /// Keeps `body` for the event, cut to the capture cap.
    pub fn capture(body: &[u8]) -> String {
        let cut = body.len().min(MAX_CAPTURE);
        String::from_utf8_lossy(body.get(..cut).unwrap_or(body)).into_owned()
    }

    fn outcome(&self) -> Outcome {
        if self.status < 400 && self.input_action != Action::Block {
            Outcome::Success
        } else if matches!(self.status, 400 | 401 | 403 | 429)
            && self.error != Some("invalid_request")
            || self.input_action == Action::Block
        {
            Outcome::Denied
        } else {
            Outcome::Error
        }
    }

    /// Records metrics and appends the activity event (in the background: the client
    /// never waits for the log).
    pub fn finish(self, metrics: &Metrics, events: Option<&EventLog>) {
        let total = self.start.elapsed();
        let upstream = self
            .upstream
            .as_deref()
            .filter(|_| !self.upstream_time.is_zero())
            .map(|u| (u, self.upstream_time));
        metrics.request(
            self.endpoint.name(),
            self.status,
            upstream,
            total.saturating_sub(self.upstream_time),
        );
        metrics.tokens("prompt", self.prompt_tokens);
        metrics.tokens("completion", self.completion_tokens);
        let Some(events) = events else { return };
        let event = self.event(total);
        let events = events.clone();
        tokio::spawn(async move {
            if let Err(e) = events.append(event).await {
                tracing::error!(error = %e, "Cannot record a gateway request in the activity log");
            }
        });
    }

    fn event(&self, total: Duration) -> NewEvent {
        let rules: Vec<Value> = self
            .rules
            .iter()
            .map(|(s, r, a)| json!({"stage": s, "rule": r, "action": a}))
            .collect();
        let mut details = json!({
            "endpoint": self.endpoint.name(),
            "model": self.model,
            "upstream": self.upstream,
            "status": self.status,
            "stream": self.stream,
            "verdict": {"input": self.input_action, "output": self.output_action},
            "rules": rules,
            "tokens": {"prompt": self.prompt_tokens, "completion": self.completion_tokens},
            "latency_ms": total.as_secs_f64() * 1000.0,
            "upstream_ms": self.upstream_time.as_secs_f64() * 1000.0,
        });
        if let Some(obj) = details.as_object_mut() {
            if let Some(e) = self.error {
                obj.insert("error".into(), json!(e));
            }
            if self.guard_failed_open {
                obj.insert("guard_failed_open".into(), json!(true));
            }
            if !self.alerts.is_empty() {
                obj.insert("extraction_alerts".into(), json!(self.alerts));
            }
            if let Some(b) = &self.captured_request {
                obj.insert("request_body".into(), json!(b));
            }
            if let Some(b) = &self.captured_response {
                obj.insert("response_body".into(), json!(b));
            }
        }
        let (actor_kind, actor_id, target) = match &self.key {
            Some(k) => (ActorKind::Key, k.id.clone(), Some(k.system_id.clone())),
            None => (ActorKind::Anonymous, "anonymous".to_string(), None),
        };
        NewEvent {
            time: Timestamp::now(),
            actor_kind,
            actor_id,
            action: "gateway.request".into(),
            target,
            outcome: self.outcome(),
            details,
            request_id: Some(self.request_id.clone()),
        }
    }
}
