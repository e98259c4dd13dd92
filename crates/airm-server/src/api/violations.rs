//! `/api/v1/violations`: evaluates the governance policies over the current state and
//! returns the violations (suppressed ones marked) and any policy file errors.

use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};

use airm_core::Severity;

use crate::auth::Authed;
use crate::error::{ApiResult, ErrorBody};
use crate::json::ApiQuery;
use crate::state::AppState;

/// Filters for the evaluation result.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ViolationQuery {
    /// At or above this severity.
    pub min_severity: Option<Severity>,
    /// Only this policy id.
    pub policy: Option<String>,
    /// Also return violations an active exception suppresses (default false).
    pub include_suppressed: Option<bool>,
}

/// One violation.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ViolationBody {
    /// Policy id.
    pub policy: String,
    /// Severity.
    pub severity: Severity,
    /// What is wrong.
    pub message: String,
    /// The object concerned.
    pub object: String,
    /// Object kind (`system`, `asset`, `alert`).
    pub object_type: Option<String>,
    /// Stable key.
    pub fingerprint: String,
    /// `built-in` or the user policy file.
    pub source: String,
    /// Suppressing exception, if any.
    pub suppressed_by: Option<String>,
}

/// An evaluation.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ViolationsBody {
    /// When it ran.
    pub evaluated_at: airm_core::Timestamp,
    /// Policies evaluated.
    pub policies: Vec<String>,
    /// Violations, most severe first.
    pub violations: Vec<ViolationBody>,
    /// Policy files that failed (`file:line:col: message`).
    pub errors: Vec<String>,
}

/// Evaluate the governance policies now and list violations.
#[utoipa::path(get, path = "/api/v1/violations", tag = "governance", params(ViolationQuery),
    responses((status = 200, body = ViolationsBody), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn list_violations(
    State(state): State<AppState>,
    _caller: Authed,
    ApiQuery(q): ApiQuery<ViolationQuery>,
) -> ApiResult<Json<ViolationsBody>> {
    let ev = crate::governance::evaluate(&state.store, &state.governance, false).await?;
    let include = q.include_suppressed.unwrap_or(false);
    let violations = ev
        .evaluation
        .violations
        .into_iter()
        .filter(|v| include || v.is_active())
        .filter(|v| q.min_severity.is_none_or(|m| v.severity >= m))
        .filter(|v| {
            q.policy
                .as_ref()
                .is_none_or(|p| v.policy.eq_ignore_ascii_case(p))
        })
        .map(|v| ViolationBody {
            policy: v.policy,
            severity: v.severity,
            message: v.message,
            object: v.object,
            object_type: v.object_type,
            fingerprint: v.fingerprint,
            source: v.source,
            suppressed_by: v.suppressed_by,
        })
        .collect();
    Ok(Json(ViolationsBody {
        evaluated_at: ev.now,
        policies: ev.evaluation.policies,
        violations,
        errors: ev
            .evaluation
            .errors
            .iter()
            .map(ToString::to_string)
            .collect(),
    }))
}
