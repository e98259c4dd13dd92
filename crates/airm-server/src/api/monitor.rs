//! `/api/v1/monitor/…`: ingest prediction events and late labels (writers), read models,
//! performance windows, behaviour windows with anomaly verdicts and alerts (any role), and
//! evaluate alert rules on demand (writers).
//!
//! Bodies are a JSON array or JSON Lines (`application/x-ndjson`), at most 10 MiB and
//! `[monitor] max_events_per_request` events; a batch is all-or-nothing, and an invalid
//! event is answered with a 422 naming its index and field.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};

use airm_core::{Outcome, Timestamp};
use airm_monitor::alert::parse_duration;
use airm_monitor::anomaly::Detector;
use airm_monitor::event;
use airm_store::monitor::{AlertFilter, AlertStatus, RequestFilter};

use super::page_of;
use crate::auth::{Authed, Writer};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::json::ApiQuery;
use crate::monitor::{self as mon, check_model_name, EvalError};
use crate::state::AppState;

impl From<airm_monitor::MonitorError> for ApiError {
    fn from(e: airm_monitor::MonitorError) -> Self {
        use airm_monitor::MonitorError as E;
        match &e {
            E::InvalidEvent { .. } => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_event",
                e.to_string(),
            ),
            E::Malformed { .. } => ApiError::bad_request("malformed_body", e.to_string()),
            E::TooMany { .. } => ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_many_events",
                e.to_string(),
            ),
            E::InvalidRule { .. } | E::InvalidWindow(_) => {
                ApiError::bad_request("invalid_window", e.to_string())
            }
            E::Input { .. } | E::File { .. } | E::Invalid(_) | E::Profile { .. } => {
                ApiError::bad_request("invalid_input", e.to_string())
            }
            E::Io { .. } => {
                tracing::error!(error = %e, "monitoring I/O failed");
                ApiError::internal()
            }
        }
    }
}

impl From<EvalError> for ApiError {
    fn from(e: EvalError) -> Self {
        match e {
            EvalError::Monitor(m) => m.into(),
            EvalError::Store(s) => s.into(),
        }
    }
}

fn model_param(model: &str) -> ApiResult<()> {
    check_model_name(model).map_err(|m| ApiError::bad_request("invalid_model", m))
}

fn body(b: Result<Bytes, BytesRejection>) -> ApiResult<Bytes> {
    b.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            crate::json::payload_too_large()
        } else {
            ApiError::bad_request("bad_body", "the request body could not be read")
        }
    })
}

/// Result of an ingestion.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct IngestResult {
    /// Events stored (an id sent twice counts once).
    pub accepted: u64,
    /// Feature values that were null or not finite, stored as missing.
    pub missing_features: u64,
}

/// Result of a label upload.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct LabelResult {
    /// Labels joined to a stored event.
    pub matched: u64,
    /// Labels whose id matched no stored event of this model.
    pub unmatched: u64,
}

/// Ingest prediction events (JSON array or JSON Lines; all-or-nothing).
#[utoipa::path(post, path = "/api/v1/monitor/{model}/events", tag = "monitor",
    params(("model" = String, Path, description = "Model name")),
    request_body(content = Vec<Object>, description = "Events `{id?, time?, features{…}, prediction?, score?, label?, metadata{…}}` as a JSON array or JSON Lines"),
    responses((status = 200, body = IngestResult), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn ingest_events(
    State(state): State<AppState>,
    Writer(caller): Writer,
    Path(model): Path<String>,
    raw: Result<Bytes, BytesRejection>,
) -> ApiResult<Json<IngestResult>> {
    model_param(&model)?;
    let raw = body(raw)?;
    let limits = state.monitor.limits;
    let events = event::parse_batch(&raw, &model, Timestamp::now(), &limits)?;
    let missing: u64 = events.iter().map(|e| e.missing_features() as u64).sum();
    let rows: Vec<_> = events.into_iter().map(mon::to_row).collect();
    let accepted = state.store.insert_monitor_events(&model, rows).await?;
    state
        .record(
            &caller,
            "monitor.ingest",
            Some(&model),
            Outcome::Success,
            serde_json::json!({"events": accepted, "missing_features": missing}),
        )
        .await;
    Ok(Json(IngestResult {
        accepted,
        missing_features: missing,
    }))
}

/// Attach labels that arrived after their predictions, by event id.
#[utoipa::path(post, path = "/api/v1/monitor/{model}/labels", tag = "monitor",
    params(("model" = String, Path, description = "Model name")),
    request_body(content = Vec<Object>, description = "`[{id, label}]` as a JSON array or JSON Lines"),
    responses((status = 200, body = LabelResult), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn ingest_labels(
    State(state): State<AppState>,
    Writer(caller): Writer,
    Path(model): Path<String>,
    raw: Result<Bytes, BytesRejection>,
) -> ApiResult<Json<LabelResult>> {
    model_param(&model)?;
    let raw = body(raw)?;
    let labels = event::parse_labels(&raw, &state.monitor.limits)?;
    let total = labels.len() as u64;
    let pairs = labels
        .into_iter()
        .map(|l| {
            let v = mon::to_row(event::PredictionEvent {
                id: None,
                time: Timestamp(0),
                features: Default::default(),
                prediction: None,
                score: None,
                label: Some(l.label),
                metadata: Default::default(),
            })
            .label
            .unwrap_or_default();
            (l.id, v)
        })
        .collect();
    let matched = state
        .store
        .set_monitor_labels(&model, pairs, Timestamp::now())
        .await?;
    state
        .record(
            &caller,
            "monitor.labels",
            Some(&model),
            Outcome::Success,
            serde_json::json!({"labels": total, "matched": matched}),
        )
        .await;
    Ok(Json(LabelResult {
        matched,
        unmatched: total - matched,
    }))
}

/// Models with monitoring data.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ModelList {
    /// `{model, events, labelled, first, last, open_alerts}` per model.
    #[schema(value_type = Vec<Object>)]
    pub items: serde_json::Value,
}

/// List monitored models.
#[utoipa::path(get, path = "/api/v1/monitor/models", tag = "monitor",
    responses((status = 200, body = ModelList), (status = 401, body = ErrorBody)))]
pub async fn list_models(
    State(state): State<AppState>,
    _caller: Authed,
) -> ApiResult<Json<ModelList>> {
    let items = state.store.monitor_models().await?;
    Ok(Json(ModelList {
        items: serde_json::to_value(items).map_err(|_| ApiError::internal())?,
    }))
}

/// A time range split into tumbling windows.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct WindowQuery {
    /// Window length, e.g. `15m`, `1h` (default), `1d`.
    pub window: Option<String>,
    /// Start (RFC 3339; default: 24 windows before `until`).
    pub since: Option<String>,
    /// End, exclusive (RFC 3339; default: now).
    pub until: Option<String>,
    /// Class key of the positive class (default `1`).
    pub positive: Option<String>,
    /// Request statistics of this system only (behaviour).
    pub system: Option<String>,
    /// Request statistics of this key only (behaviour).
    pub key: Option<String>,
}

struct Range {
    window_ms: i64,
    from: i64,
    to: i64,
}

fn range(q: &WindowQuery) -> ApiResult<Range> {
    let window_ms = parse_duration(q.window.as_deref().unwrap_or("1h"))?;
    if window_ms < 1000 {
        return Err(ApiError::bad_request(
            "invalid_window",
            "window must be at least 1s",
        ));
    }
    let ts = |s: &Option<String>, what: &str| -> ApiResult<Option<i64>> {
        s.as_deref()
            .map(|v| {
                v.parse::<Timestamp>()
                    .map(Timestamp::millis)
                    .map_err(|e| ApiError::bad_request("invalid_query", format!("{what}: {e}")))
            })
            .transpose()
    };
    let to = ts(&q.until, "until")?.unwrap_or_else(|| Timestamp::now().millis());
    let from = ts(&q.since, "since")?.unwrap_or(to.saturating_sub(window_ms.saturating_mul(24)));
    Ok(Range {
        window_ms,
        from,
        to,
    })
}

/// Performance windows.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PerformanceView {
    /// Model.
    pub model: String,
    /// Window length, ms.
    pub window_ms: i64,
    /// `{start_ms, end_ms, metrics{events, labelled, label_coverage, accuracy, precision, recall, f1, roc_auc, log_loss, rmse, mae}}`.
    #[schema(value_type = Vec<Object>)]
    pub windows: serde_json::Value,
    /// The stored baseline's metrics, if set.
    #[schema(value_type = Option<Object>)]
    pub baseline: Option<serde_json::Value>,
    /// More events than one computation reads (500,000) were in range.
    pub truncated: bool,
}

/// Performance of a model over tumbling windows (labelled events only).
#[utoipa::path(get, path = "/api/v1/monitor/{model}/performance", tag = "monitor",
    params(("model" = String, Path, description = "Model name"), WindowQuery),
    responses((status = 200, body = PerformanceView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn get_performance(
    State(state): State<AppState>,
    _caller: Authed,
    Path(model): Path<String>,
    ApiQuery(q): ApiQuery<WindowQuery>,
) -> ApiResult<Json<PerformanceView>> {
    model_param(&model)?;
    let r = range(&q)?;
    let positive = q.positive.as_deref().unwrap_or("1");
    let (windows, truncated) =
        mon::performance(&state.store, &model, r.from, r.to, r.window_ms, positive).await?;
    let baseline = state.store.get_baseline(&model).await?.map(|b| b.metrics);
    Ok(Json(PerformanceView {
        model,
        window_ms: r.window_ms,
        windows: serde_json::to_value(windows).map_err(|_| ApiError::internal())?,
        baseline,
        truncated,
    }))
}

/// Behaviour windows and verdicts.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BehaviourView {
    /// Model.
    pub model: String,
    /// Window length, ms.
    pub window_ms: i64,
    /// `{start_ms, end_ms, requests, latency_ms, tokens, block_rate, refusal_rate, classes}`.
    #[schema(value_type = Vec<Object>)]
    pub windows: serde_json::Value,
    /// `{metric, start_ms, value, median, z, anomalous}` of the last window against the
    /// ones before it (median/MAD baseline).
    #[schema(value_type = Vec<Object>)]
    pub verdicts: serde_json::Value,
    /// More requests than one computation reads were in range.
    pub truncated: bool,
}

/// Request-stream behaviour of a model (`*` for all traffic) with anomaly verdicts.
#[utoipa::path(get, path = "/api/v1/monitor/{model}/behaviour", tag = "monitor",
    params(("model" = String, Path, description = "Model name, or `*` for all traffic"), WindowQuery),
    responses((status = 200, body = BehaviourView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn get_behaviour(
    State(state): State<AppState>,
    _caller: Authed,
    Path(model): Path<String>,
    ApiQuery(q): ApiQuery<WindowQuery>,
) -> ApiResult<Json<BehaviourView>> {
    if model != "*" {
        model_param(&model)?;
    }
    let r = range(&q)?;
    let filter = RequestFilter {
        model: (model != "*").then(|| model.clone()),
        system: q.system.clone(),
        key: q.key.clone(),
        ..Default::default()
    };
    let (windows, truncated) =
        mon::behaviour(&state.store, &filter, r.from, r.to, r.window_ms).await?;
    let verdicts = Detector::default().verdicts(&windows);
    Ok(Json(BehaviourView {
        model,
        window_ms: r.window_ms,
        windows: serde_json::to_value(windows).map_err(|_| ApiError::internal())?,
        verdicts: serde_json::to_value(verdicts).map_err(|_| ApiError::internal())?,
        truncated,
    }))
}

/// Filters for alerts.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AlertQuery {
    /// `open` or `resolved`.
    pub status: Option<String>,
    /// Model.
    pub model: Option<String>,
    /// Items per page (1–500, default 50).
    pub limit: Option<u32>,
    /// Items to skip.
    pub offset: Option<u64>,
}

/// A page of alerts.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AlertList {
    /// Alerts, open first.
    #[schema(value_type = Vec<Object>)]
    pub items: serde_json::Value,
    /// Matches across pages.
    pub total: u64,
    /// Page size.
    pub limit: u32,
    /// Offset.
    pub offset: u64,
}

/// List alerts.
#[utoipa::path(get, path = "/api/v1/monitor/alerts", tag = "monitor", params(AlertQuery),
    responses((status = 200, body = AlertList), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn list_alerts(
    State(state): State<AppState>,
    _caller: Authed,
    ApiQuery(q): ApiQuery<AlertQuery>,
) -> ApiResult<Json<AlertList>> {
    let status = q
        .status
        .as_deref()
        .map(|s| s.parse::<AlertStatus>())
        .transpose()
        .map_err(|m| ApiError::bad_request("invalid_query", m))?;
    let page = page_of(q.limit, q.offset);
    let list = state
        .store
        .list_alerts(
            &AlertFilter {
                model: q.model.clone(),
                status,
            },
            page,
        )
        .await?;
    Ok(Json(AlertList {
        items: serde_json::to_value(list.items).map_err(|_| ApiError::internal())?,
        total: list.total,
        limit: page.limit,
        offset: page.offset,
    }))
}

/// What an evaluation did.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct EvaluateView {
    /// `{time, results[{rule, model, check, transition}], opened[], resolved[], deliveries[]}`.
    #[schema(value_type = Object)]
    pub report: serde_json::Value,
}

/// Evaluate the alert rules now (as the periodic evaluator does).
#[utoipa::path(post, path = "/api/v1/monitor/alerts/evaluate", tag = "monitor",
    responses((status = 200, body = EvaluateView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn evaluate_alerts(
    State(state): State<AppState>,
    Writer(caller): Writer,
) -> ApiResult<Json<EvaluateView>> {
    let report = mon::evaluate(&state.store, &state.monitor, Timestamp::now()).await?;
    state
        .record(
            &caller,
            "monitor.evaluate",
            None,
            Outcome::Success,
            serde_json::json!({"rules": state.monitor.rules.len(), "opened": report.opened.len(), "resolved": report.resolved.len()}),
        )
        .await;
    Ok(Json(EvaluateView {
        report: serde_json::to_value(report).map_err(|_| ApiError::internal())?,
    }))
}
