//! `/api/v1/policies`: the built-in governance policies, whether each is enabled, and
//! their documentation.

use axum::extract::{Path, State};
use axum::Json;
use serde::Serialize;

use airm_core::Severity;

use crate::auth::Authed;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::state::AppState;

/// A built-in policy.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PolicyBody {
    /// Id, e.g. `GV001`.
    pub id: &'static str,
    /// Kebab-case name.
    pub name: &'static str,
    /// One-line summary.
    pub summary: &'static str,
    /// Default severity.
    pub severity: Severity,
    /// Whether it runs (not disabled in `[policy]`).
    pub enabled: bool,
    /// Input facts it reads.
    pub facts: Vec<&'static str>,
    /// Documentation (Markdown).
    pub docs: String,
}

fn body(p: &airm_govern::BuiltinPolicy, state: &AppState) -> PolicyBody {
    let disabled = state
        .governance
        .disabled
        .iter()
        .any(|d| d.eq_ignore_ascii_case(p.meta.id) || d == p.meta.name);
    PolicyBody {
        id: p.meta.id,
        name: p.meta.name,
        summary: p.meta.summary,
        severity: p.meta.severity,
        enabled: !disabled,
        facts: p.facts.to_vec(),
        docs: p.to_markdown(),
    }
}

/// List the built-in governance policies.
#[utoipa::path(get, path = "/api/v1/policies", tag = "governance",
    responses((status = 200, body = Vec<PolicyBody>), (status = 401, body = ErrorBody)))]
pub async fn list_policies(
    State(state): State<AppState>,
    _caller: Authed,
) -> ApiResult<Json<Vec<PolicyBody>>> {
    Ok(Json(
        airm_govern::builtin_policies()
            .iter()
            .map(|p| body(p, &state))
            .collect(),
    ))
}

/// Read one built-in policy by id or name.
#[utoipa::path(get, path = "/api/v1/policies/{id}", tag = "governance",
    params(("id" = String, Path, description = "Policy id (GV001) or name")),
    responses((status = 200, body = PolicyBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_policy(
    State(state): State<AppState>,
    _caller: Authed,
    Path(id): Path<String>,
) -> ApiResult<Json<PolicyBody>> {
    airm_govern::registry::find(&id)
        .map(|p| Json(body(p, &state)))
        .ok_or_else(|| ApiError::not_found("policy", &id))
}
