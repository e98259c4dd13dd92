//! `/api/v1/guard/check`: the runtime guard as a service. Any authenticated role may call
//! it; each verdict is recorded in the activity log without the checked text.

use std::time::Instant;

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};

use airm_core::Outcome;
use airm_guard::Source;

use crate::auth::Authed;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::json::ApiJson;
use crate::state::AppState;

/// Longest text accepted, in bytes.
pub const MAX_TEXT: usize = 1 << 20;

/// Whether the text is sent to a model or came back from one.
#[derive(Debug, Clone, Copy, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Direction {
    /// A prompt, document or tool output going to the model.
    #[default]
    Input,
    /// A completion coming back.
    Output,
}

/// A text to check.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckRequest {
    /// The text (at most 1 MiB).
    pub text: String,
    /// Where an input comes from: `user` (default), `system`, `document` or `tool`.
    #[schema(value_type = Option<String>)]
    pub source: Option<Source>,
    /// `input` (default) or `output`.
    #[serde(default)]
    pub direction: Direction,
}

/// The guard's verdict.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CheckResponse {
    /// Any finding that is not `allow`.
    pub flagged: bool,
    /// Strongest action: `allow`, `flag`, `redact` or `block`.
    pub action: String,
    /// Highest finding score (0–1).
    pub score: f32,
    /// Findings with rule id, severity, message, score, action, span and decoding.
    #[schema(value_type = Vec<Object>)]
    pub findings: serde_json::Value,
    /// The text with redactions applied, when any.
    pub redacted: Option<String>,
    /// Time spent in the guard, microseconds.
    pub latency_us: u64,
}

/// Check a prompt or completion with the runtime guard.
#[utoipa::path(post, path = "/api/v1/guard/check", tag = "guard", request_body = CheckRequest,
    responses((status = 200, body = CheckResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn check_text(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiJson(req): ApiJson<CheckRequest>,
) -> ApiResult<Json<CheckResponse>> {
    if req.text.len() > MAX_TEXT {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            "`text` exceeds 1 MiB",
        ));
    }
    let guard = state.guard.clone();
    let (verdict, latency_us) = tokio::task::spawn_blocking(move || {
        let start = Instant::now();
        let v = match req.direction {
            Direction::Input => guard.check_input(&req.text, req.source.unwrap_or_default()),
            Direction::Output => guard.check_output(&req.text),
        };
        (v, start.elapsed().as_micros() as u64)
    })
    .await
    .map_err(|_| ApiError::internal())?;
    let action = serde_json::to_value(verdict.action)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    let rules: Vec<String> = verdict
        .findings
        .iter()
        .map(|f| f.rule_id.to_string())
        .collect();
    state
        .record(
            &caller,
            "guard.check",
            None,
            Outcome::Success,
            serde_json::json!({"action": action, "rules": rules, "score": verdict.score}),
        )
        .await;
    Ok(Json(CheckResponse {
        flagged: verdict.flagged,
        action,
        score: verdict.score,
        findings: serde_json::to_value(&verdict.findings).map_err(|_| ApiError::internal())?,
        redacted: verdict.redacted,
        latency_us,
    }))
}
