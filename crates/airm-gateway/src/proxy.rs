//! The proxy: one handler per endpoint family running the same phases on a typed
//! [`Record`]: authenticate the virtual key → read and parse the body (capped) → check the
//! model against the key → guard every input text with its source (block / redact) →
//! optionally plant a canary → route and send upstream → check the output (whole, or
//! incrementally for streams, see [`crate::sse`]) → answer → metrics and one activity event.

use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::{Duration, Instant};

use airm_core::Timestamp;
use airm_guard::{Action, Guard, OutputContext, Policy, Vault};
use airm_store::{DynStore, EventLog};
use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use bytes::Bytes;
use serde_json::Value;

use crate::config::{GatewayConfig, OnGuardError, UpstreamKind};
use crate::error::{Dialect, GatewayError};
use crate::extraction::{Alert, Detector, ExtractionAction};
use crate::keys::{hash_key, presented_key, KeyCache};
use crate::limits::Counters;
use crate::metrics::Metrics;
use crate::protocol::{self, Endpoint};
use crate::record::Record;
use crate::upstream::{Upstream, Upstreams};

/// A running gateway: configuration, upstream clients, one guard per policy, the key cache,
/// the activity log and the metrics.
pub struct Gateway {
    pub(crate) cfg: GatewayConfig,
    pub(crate) upstreams: Upstreams,
    guards: HashMap<String, Arc<Guard>>,
    keys: KeyCache,
    store: DynStore,
    pub(crate) events: Option<EventLog>,
    pub(crate) counters: Counters,
    detector: Detector,
    notifier: std::sync::OnceLock<crate::incident::AlertNotifier>,
    guard_fault: std::sync::atomic::AtomicU8,
    /// Metrics (rendered at `GET /metrics`).
    pub metrics: Metrics,
}

impl Gateway {
    /// Builds the gateway; `default_policy` is the `[guard]` section (policy `default`);
    /// `counters` hold the rate limits (memory, or Redis for several instances).
    /// Must run inside a Tokio runtime (it starts the activity-log writer).
    pub fn new(
        cfg: GatewayConfig,
        default_policy: Policy,
        store: DynStore,
        counters: Counters,
    ) -> Result<Arc<Gateway>, GatewayError> {
        cfg.validate()?;
        let mut guards = HashMap::new();
        let build = |name: &str, p: Policy| {
            Guard::new(p)
                .map(Arc::new)
                .map_err(|e| GatewayError::Config {
                    field: format!("policies.{name}"),
                    message: e.to_string(),
                })
        };
        guards.insert("default".to_string(), build("default", default_policy)?);
        for (name, p) in &cfg.policies {
            guards.insert(name.clone(), build(name, p.clone())?);
        }
        // Extraction statistics live where the rate-limit counters live.
        let detector = match counters.shared_redis() {
            Some((conn, prefix)) => Detector::redis(cfg.extraction.clone(), conn, prefix),
            None => Detector::new(cfg.extraction.clone()),
        };
        Ok(Arc::new(Gateway {
            upstreams: Upstreams::build(&cfg.upstreams)?,
            keys: KeyCache::new(store.clone(), Duration::from_secs(cfg.key_cache_secs)),
            events: Some(EventLog::start(store.clone())),
            counters,
            detector,
            notifier: std::sync::OnceLock::new(),
            guard_fault: std::sync::atomic::AtomicU8::new(0),
            store,
            guards,
            cfg,
            metrics: Metrics::default(),
        }))
    }

    /// Installs what delivers newly opened extraction alerts (the monitoring alert sinks);
    /// only the first call takes effect.
    pub fn set_alert_notifier(&self, notifier: crate::incident::AlertNotifier) {
        let _ = self.notifier.set(notifier);
    }

    /// Fault injection for the failure tests: while set, the guard calls of this gateway on
    /// inputs and/or outputs fail as a guard bug would (a panic, caught by the gateway).
    #[doc(hidden)]
    pub fn inject_guard_fault(&self, input: bool, output: bool) {
        self.guard_fault.store(
            u8::from(input) | (u8::from(output) << 1),
            std::sync::atomic::Ordering::Relaxed,
        );
    }

    /// Panics when a guard fault is injected for `stage` (1 input, 2 output); called inside
    /// the gateway's guard calls.
    pub(crate) fn guard_fault_point(&self, stage: u8) {
        if self.guard_fault.load(std::sync::atomic::Ordering::Relaxed) & stage != 0 {
            std::panic::panic_any("injected guard fault");
        }
    }

    /// Where the extraction statistics live (`memory` or `redis`).
    pub fn extraction_backend(&self) -> &'static str {
        self.detector.backend()
    }

    /// The names of the configured guard policies.
    pub fn policy_names(&self) -> Vec<&str> {
        self.guards.keys().map(String::as_str).collect()
    }

    /// The HTTP routes.
    pub fn router(self: &Arc<Self>) -> Router {
        let gw = self.clone();
        Router::new()
            .route("/v1/chat/completions", post(chat))
            .route("/v1/completions", post(completions))
            .route("/v1/embeddings", post(embeddings))
            .route("/v1/messages", post(messages))
            .route("/v1/models", get(models))
            .route("/healthz", get(|| async { "ok" }))
            .route("/metrics", get(metrics))
            .fallback(|| async {
                GatewayError::BadRequest("unknown endpoint".into())
                    .into_response_for(Dialect::OpenAi)
            })
            .with_state(gw)
    }

    /// Records extraction alerts: metrics, the request's record, one
    /// `gateway.extraction_alert` activity event each, and in the background a finding and a
    /// monitoring alert (delivered to the sinks when new), see [`crate::incident`].
    fn alert(&self, rec: &mut Record, key: &airm_store::GatewayKey, alerts: Vec<Alert>) {
        for a in alerts {
            tracing::warn!(key = %key.id, signal = a.signal, value = a.value, "Possible model extraction");
            self.metrics.extraction_alert(a.signal);
            rec.alerts.push(a.signal);
            let (store, cfg, k, notify) = (
                self.store.clone(),
                self.cfg.extraction.clone(),
                key.clone(),
                self.notifier.get().cloned(),
            );
            let (model, alert) = (rec.model.clone().unwrap_or_default(), a.clone());
            tokio::spawn(async move {
                if let Err(e) =
                    crate::incident::record(&store, &cfg, &k, &model, &alert, notify).await
                {
                    tracing::error!(error = %e, "Cannot store an extraction finding or alert");
                }
            });
            let Some(events) = self.events.clone() else {
                continue;
            };
            let event = airm_store::NewEvent {
                time: Timestamp::now(),
                actor_kind: airm_core::ActorKind::Key,
                actor_id: key.id.clone(),
                action: "gateway.extraction_alert".into(),
                target: Some(key.system_id.clone()),
                outcome: if a.action == ExtractionAction::Flag {
                    airm_core::Outcome::Success
                } else {
                    airm_core::Outcome::Denied
                },
                details: serde_json::json!({"signal": a.signal, "value": a.value, "action": a.action}),
                request_id: Some(rec.request_id.clone()),
            };
            tokio::spawn(async move {
                if let Err(e) = events.append(event).await {
                    tracing::error!(error = %e, "Cannot record an extraction alert");
                }
            });
        }
    }

    pub(crate) fn finish(&self, rec: Record) {
        rec.finish(&self.metrics, self.events.as_ref());
    }
}

type Gw = State<Arc<Gateway>>;

async fn chat(State(gw): Gw, headers: HeaderMap, body: Body) -> Response {
    handle(gw, Endpoint::Chat, headers, body).await
}
async fn completions(State(gw): Gw, headers: HeaderMap, body: Body) -> Response {
    handle(gw, Endpoint::Completions, headers, body).await
}
async fn embeddings(State(gw): Gw, headers: HeaderMap, body: Body) -> Response {
    handle(gw, Endpoint::Embeddings, headers, body).await
}
async fn messages(State(gw): Gw, headers: HeaderMap, body: Body) -> Response {
    handle(gw, Endpoint::Messages, headers, body).await
}

fn dialect(e: Endpoint) -> Dialect {
    if e == Endpoint::Messages {
        Dialect::Anthropic
    } else {
        Dialect::OpenAi
    }
}

async fn handle(gw: Arc<Gateway>, endpoint: Endpoint, headers: HeaderMap, body: Body) -> Response {
    let mut rec = Some(Record::new(endpoint));
    let request_id = rec
        .as_ref()
        .map(|r| r.request_id.clone())
        .unwrap_or_default();
    let result = process(&gw, endpoint, &headers, body, &mut rec).await;
    let mut resp = match result {
        Ok(r) => r,
        Err(e) => {
            if let Some(r) = rec.as_mut() {
                r.error(&e);
            }
            e.into_response_for(dialect(endpoint))
        }
    };
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        resp.headers_mut().insert("x-request-id", v);
    }
    // A streamed response finishes its record when the stream ends.
    if let Some(mut r) = rec {
        r.status = resp.status().as_u16();
        gw.finish(r);
    }
    resp
}

/// Everything the output side needs to know about the request.
pub(crate) struct OutputPlan {
    pub guard: Arc<Guard>,
    pub ctx: Option<OutputContext>,
    pub vault: Option<Vault>,
}

impl OutputPlan {
    pub(crate) fn check(&self, text: &str) -> airm_guard::Verdict {
        match &self.ctx {
            Some(c) => self.guard.check_output_with(text, c),
            None => self.guard.check_output(text),
        }
    }
}

async fn process(
    gw: &Arc<Gateway>,
    endpoint: Endpoint,
    headers: &HeaderMap,
    body: Body,
    slot: &mut Option<Record>,
) -> Result<Response, GatewayError> {
    let Some(rec) = slot.as_mut() else {
        return Err(GatewayError::Internal("request record missing".into()));
    };
    let presented = presented_key(headers).ok_or(GatewayError::Unauthorized)?;
    let key = gw.keys.resolve(presented).await?;
    rec.key = Some(key.clone());
    gw.detector.check(&key.id).await?;
    let bytes = axum::body::to_bytes(body, gw.cfg.max_body_bytes)
        .await
        .map_err(|_| GatewayError::TooLarge(gw.cfg.max_body_bytes))?;
    let mut v: Value = serde_json::from_slice(&bytes)
        .map_err(|e| GatewayError::BadRequest(format!("the body is not valid JSON: {e}")))?;
    if !v.is_object() {
        return Err(GatewayError::BadRequest(
            "the body must be a JSON object".into(),
        ));
    }
    let model = protocol::model(&v)
        .ok_or_else(|| GatewayError::BadRequest("`model` is required".into()))?
        .to_string();
    rec.model = Some(model.clone());
    if !key.models.is_empty()
        && !key
            .models
            .iter()
            .any(|p| crate::config::model_matches(p, &model))
    {
        return Err(GatewayError::ModelNotAllowed(model));
    }
    let estimate = protocol::estimate_tokens(bytes.len());
    if let Err(e) = gw.counters.admit(&key, estimate).await {
        if let GatewayError::RateLimited { what, .. } = &e {
            gw.metrics.rate_limited(what);
        }
        return Err(e);
    }
    let guard = gw
        .guards
        .get(&key.policy)
        .cloned()
        .ok_or_else(|| GatewayError::Config {
            field: format!("policies.{}", key.policy),
            message: format!("key {} refers to a policy that is not configured", key.id),
        })?;
    let kind = if endpoint == Endpoint::Messages {
        UpstreamKind::Anthropic
    } else {
        UpstreamKind::Openai
    };
    let upstream = gw
        .upstreams
        .route(kind, &model)
        .ok_or_else(|| GatewayError::NoRoute(model.clone()))?;
    rec.upstream = Some(upstream.cfg.name.clone());

    // Input guard.
    let mut changed = false;
    let mut blocked: Vec<String> = Vec::new();
    let mut vault = guard.policy().anonymize.then(Vault::new);
    let metrics = &gw.metrics;
    let mut probe_text = String::new();
    let checked = std::panic::catch_unwind(AssertUnwindSafe(|| {
        gw.guard_fault_point(1);
        protocol::visit_input(endpoint, &mut v, &mut |text, source| {
            if matches!(
                source,
                airm_guard::Source::User | airm_guard::Source::Document
            ) && probe_text.len() < 4096
            {
                probe_text.push_str(text);
                probe_text.push('\n');
            }
            let verdict = match vault.as_mut() {
                Some(vt) => guard.check_input_anonymized(text, source, vt),
                None => guard.check_input(text, source),
            };
            rec.verdict("input", &verdict, metrics);
            if verdict.is_blocked() {
                for f in verdict
                    .findings
                    .iter()
                    .filter(|f| f.action == Action::Block)
                {
                    if !blocked.contains(&f.rule_id) {
                        blocked.push(f.rule_id.clone());
                    }
                }
            } else if let Some(r) = verdict.redacted {
                *text = r;
                changed = true;
            }
        });
    }));
    if checked.is_err() {
        tracing::error!(request_id = %rec.request_id, "The guard failed on a request");
        match upstream.cfg.on_guard_error {
            OnGuardError::Block => return Err(GatewayError::GuardFailed),
            OnGuardError::Allow => {
                rec.guard_failed_open = true;
                changed = false;
                vault = None;
                v = serde_json::from_slice(&bytes)
                    .map_err(|e| GatewayError::BadRequest(e.to_string()))?;
            }
        }
    }
    if !blocked.is_empty() {
        return Err(GatewayError::Blocked {
            rules: blocked.join(", "),
        });
    }

    let alerts = gw.detector.observe_prompt(&key.id, &probe_text).await;
    gw.alert(rec, &key, alerts);

    // Canary.
    let mut ctx = None;
    if gw.cfg.inject_canary && !rec.guard_failed_open {
        let canary = airm_guard::new_canary();
        if let Some(system) = protocol::plant_canary(endpoint, &mut v, &canary) {
            let mut canaries = guard.policy().output.canaries.clone();
            canaries.push(canary);
            let prompt = guard
                .policy()
                .output
                .system_prompt
                .clone()
                .unwrap_or(system);
            ctx = Some(OutputContext::new(Some(&prompt), canaries));
            changed = true;
        }
    }
    let forward = if changed {
        Bytes::from(serde_json::to_vec(&v).map_err(|e| GatewayError::Internal(e.to_string()))?)
    } else {
        bytes
    };
    if gw.cfg.capture_bodies {
        rec.captured_request = Some(Record::capture(&forward));
    }
    let stream = endpoint != Endpoint::Embeddings && protocol::wants_stream(&v);
    rec.stream = stream;
    rec.prompt_tokens = protocol::estimate_tokens(forward.len());
    let plan = OutputPlan { guard, ctx, vault };

    let t_up = Instant::now();
    let resp = upstream
        .send(
            reqwest::Method::POST,
            endpoint.path(),
            Some(forward),
            headers,
            stream,
        )
        .await;
    let resp = match resp {
        Ok(r) => r,
        Err(e) => {
            rec.upstream_time = t_up.elapsed();
            return Err(e);
        }
    };
    let status = resp.status();
    if stream && status.is_success() {
        rec.upstream_time = t_up.elapsed();
        return crate::sse::respond(gw.clone(), upstream, endpoint, resp, plan, slot, estimate);
    }
    let raw = read_capped(upstream, resp, gw.cfg.max_response_bytes).await;
    rec.upstream_time = t_up.elapsed();
    let raw = raw?;
    if !status.is_success() {
        return upstream_failure(upstream, status, &raw, dialect(endpoint));
    }
    let mut out: Value = serde_json::from_slice(&raw).map_err(|_| GatewayError::Upstream {
        upstream: upstream.cfg.name.clone(),
        message: "malformed JSON response".into(),
    })?;
    if let Some((p, c)) = protocol::usage(&out) {
        rec.prompt_tokens = p;
        rec.completion_tokens = c;
    }
    charge(gw, &key, estimate, rec).await;
    if endpoint == Endpoint::Embeddings {
        let mut alerts = Vec::new();
        if let Some(data) = out.get("data").and_then(Value::as_array) {
            for item in data.iter().take(16) {
                if let Some(e) = item.get("embedding").and_then(Value::as_array) {
                    let v: Vec<f64> = e.iter().filter_map(Value::as_f64).take(8192).collect();
                    alerts.extend(gw.detector.observe_embedding(&key.id, &v).await);
                }
            }
        }
        gw.alert(rec, &key, alerts);
        return Ok(json_response(raw));
    }
    // Output guard on the whole response.
    let mut block = false;
    let mut changed = false;
    let checked = std::panic::catch_unwind(AssertUnwindSafe(|| {
        gw.guard_fault_point(2);
        protocol::visit_output(endpoint, &mut out, &mut |text| {
            let verdict = plan.check(text);
            rec.verdict("output", &verdict, metrics);
            if verdict.is_blocked() {
                block = true;
            } else if let Some(r) = verdict.redacted {
                *text = r;
                changed = true;
            }
            if let Some(vt) = &plan.vault {
                let restored = vt.restore(text);
                if restored != *text {
                    *text = restored;
                    changed = true;
                }
            }
        });
    }));
    if checked.is_err() {
        tracing::error!(request_id = %rec.request_id, "The guard failed on a response");
        match upstream.cfg.on_guard_error {
            OnGuardError::Block => return Err(GatewayError::GuardFailed),
            OnGuardError::Allow => {
                rec.guard_failed_open = true;
                return Ok(json_response(raw));
            }
        }
    }
    if block {
        protocol::mark_blocked(endpoint, &mut out);
        changed = true;
    }
    let body = if changed {
        Bytes::from(serde_json::to_vec(&out).map_err(|e| GatewayError::Internal(e.to_string()))?)
    } else {
        raw
    };
    if gw.cfg.capture_bodies && !block {
        rec.captured_response = Some(Record::capture(&body));
    }
    Ok(json_response(body))
}

/// Charges the tokens the upstream reported beyond the estimate taken at admission.
pub(crate) async fn charge(
    gw: &Gateway,
    key: &airm_store::GatewayKey,
    estimate: u64,
    rec: &Record,
) {
    let used = i64::try_from(rec.prompt_tokens + rec.completion_tokens).unwrap_or(i64::MAX);
    let delta = used.saturating_sub(i64::try_from(estimate).unwrap_or(i64::MAX));
    if let Err(e) = gw.counters.charge(key, delta).await {
        tracing::warn!(error = %e, "Cannot charge tokens to the rate limit");
    }
}

fn json_response(body: Bytes) -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response()
}

/// Reads a whole upstream body, refusing more than `cap` bytes.
async fn read_capped(
    upstream: &Upstream,
    mut resp: reqwest::Response,
    cap: usize,
) -> Result<Bytes, GatewayError> {
    if let Some(len) = resp.content_length() {
        if len > cap as u64 {
            return Err(GatewayError::Upstream {
                upstream: upstream.cfg.name.clone(),
                message: format!("response larger than {cap} bytes"),
            });
        }
    }
    let mut buf = bytes::BytesMut::new();
    loop {
        match resp.chunk().await {
            Ok(Some(c)) => {
                if buf.len() + c.len() > cap {
                    return Err(GatewayError::Upstream {
                        upstream: upstream.cfg.name.clone(),
                        message: format!("response larger than {cap} bytes"),
                    });
                }
                buf.extend_from_slice(&c);
            }
            Ok(None) => return Ok(buf.freeze()),
            Err(e) => return Err(upstream.body_error(&e)),
        }
    }
}

/// An upstream error answer: passed through when it is a well-formed provider error (so
/// clients see the provider's 400/404/429), except credential failures, which are the
/// gateway's problem, not the client's.
fn upstream_failure(
    upstream: &Upstream,
    status: reqwest::StatusCode,
    raw: &[u8],
    _dialect: Dialect,
) -> Result<Response, GatewayError> {
    let s = status.as_u16();
    let well_formed = serde_json::from_slice::<Value>(raw)
        .ok()
        .is_some_and(|v| v.get("error").is_some());
    if well_formed && !matches!(s, 401 | 403 | 407) {
        let code = StatusCode::from_u16(s).unwrap_or(StatusCode::BAD_GATEWAY);
        return Ok((
            code,
            [(header::CONTENT_TYPE, "application/json")],
            Bytes::copy_from_slice(raw),
        )
            .into_response());
    }
    Err(GatewayError::Upstream {
        upstream: upstream.cfg.name.clone(),
        message: format!("status {s}"),
    })
}

async fn models(State(gw): Gw, headers: HeaderMap) -> Response {
    let mut rec = Record::new(Endpoint::Chat);
    let r = list_models(&gw, &headers, &mut rec).await;
    let resp = match r {
        Ok(r) => r,
        Err(e) => {
            rec.error(&e);
            e.into_response()
        }
    };
    // Model listings are not LLM requests: metrics only, no activity event.
    rec.status = resp.status().as_u16();
    rec.finish(&gw.metrics, None);
    resp
}

async fn list_models(
    gw: &Arc<Gateway>,
    headers: &HeaderMap,
    rec: &mut Record,
) -> Result<Response, GatewayError> {
    let presented = presented_key(headers).ok_or(GatewayError::Unauthorized)?;
    let key = gw.keys.resolve(presented).await?;
    let upstream = gw
        .upstreams
        .first(UpstreamKind::Openai)
        .ok_or_else(|| GatewayError::NoRoute("(model list)".into()))?;
    rec.upstream = Some(upstream.cfg.name.clone());
    let t = Instant::now();
    let resp = upstream
        .send(reqwest::Method::GET, "/models", None, headers, false)
        .await?;
    let status = resp.status();
    let raw = read_capped(upstream, resp, gw.cfg.max_response_bytes).await?;
    rec.upstream_time = t.elapsed();
    if !status.is_success() {
        return upstream_failure(upstream, status, &raw, Dialect::OpenAi);
    }
    let mut v: Value = serde_json::from_slice(&raw).map_err(|_| GatewayError::Upstream {
        upstream: upstream.cfg.name.clone(),
        message: "malformed JSON response".into(),
    })?;
    // Only the models this key may use and some upstream serves.
    if let Some(data) = v.get_mut("data").and_then(Value::as_array_mut) {
        data.retain(|m| {
            let id = m.get("id").and_then(Value::as_str).unwrap_or("");
            (key.models.is_empty()
                || key
                    .models
                    .iter()
                    .any(|p| crate::config::model_matches(p, id)))
                && gw.upstreams.route(UpstreamKind::Openai, id).is_some()
        });
    }
    Ok(axum::Json(v).into_response())
}

/// `GET /metrics`, for holders of an airm API token (`airm tokens create`).
async fn metrics(State(gw): Gw, headers: HeaderMap) -> Response {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|h| h.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| {
            t.starts_with("airm_") && !t.starts_with(crate::keys::KEY_PREFIX) && t.len() <= 128
        });
    let Some(token) = token else {
        return GatewayError::Unauthorized.into_response();
    };
    match gw
        .store
        .authenticate_token(&hash_key(token), Timestamp::now())
        .await
    {
        Ok(Some(_)) => (
            [(
                header::CONTENT_TYPE,
                "text/plain; version=0.0.4; charset=utf-8",
            )],
            gw.metrics.render(),
        )
            .into_response(),
        Ok(None) => GatewayError::Unauthorized.into_response(),
        Err(e) => GatewayError::Internal(e.to_string()).into_response(),
    }
}
