//! `/api/v1/findings`: list and read findings, and record the user's decision on one.

use axum::extract::{Path, State};
use axum::Json;
use serde::Deserialize;

use airm_core::{Finding, FindingStatus, Outcome, Severity};
use airm_store::FindingFilter;

use super::{page_of, List};
use crate::auth::{Authed, Writer};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::json::{ApiJson, ApiQuery};
use crate::state::AppState;

/// Filters and pagination for listing findings.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct FindingQuery {
    /// Exactly this severity.
    pub severity: Option<Severity>,
    /// At or above this severity.
    pub min_severity: Option<Severity>,
    /// Status.
    pub status: Option<FindingStatus>,
    /// Rule id.
    pub rule_id: Option<String>,
    /// Asset id.
    pub asset_id: Option<String>,
    /// Findings on assets of this system (id or name).
    pub system: Option<String>,
    /// Items per page (1–500, default 50).
    pub limit: Option<u32>,
    /// Items to skip.
    pub offset: Option<u64>,
}

/// The user's decision on a finding.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateFinding {
    /// New status.
    pub status: FindingStatus,
    /// Why (recorded in the activity log).
    pub reason: Option<String>,
}

impl FindingQuery {
    fn filter(&self) -> FindingFilter {
        FindingFilter {
            min_severity: self.min_severity,
            severity: self.severity,
            status: self.status,
            rule_id: self.rule_id.clone(),
            asset_id: self.asset_id.clone(),
            system: self.system.clone(),
        }
    }
}

/// List findings, most severe first.
#[utoipa::path(get, path = "/api/v1/findings", tag = "findings", params(FindingQuery),
    responses((status = 200, body = List<Finding>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn list_findings(
    State(state): State<AppState>,
    _caller: Authed,
    ApiQuery(q): ApiQuery<FindingQuery>,
) -> ApiResult<Json<List<Finding>>> {
    let page = page_of(q.limit, q.offset);
    Ok(Json(List::new(
        state.store.list_findings(&q.filter(), page).await?,
        page,
    )))
}

/// Read one finding.
#[utoipa::path(get, path = "/api/v1/findings/{id}", tag = "findings",
    params(("id" = String, Path, description = "Finding id")),
    responses((status = 200, body = Finding), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_finding(
    State(state): State<AppState>,
    _caller: Authed,
    Path(id): Path<String>,
) -> ApiResult<Json<Finding>> {
    state
        .store
        .get_finding(&id)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::not_found("finding", &id))
}

/// Record a decision on a finding (accept, fixed, false positive, reopen).
#[utoipa::path(patch, path = "/api/v1/findings/{id}", tag = "findings", request_body = UpdateFinding,
    params(("id" = String, Path, description = "Finding id")),
    responses((status = 200, body = Finding), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_finding(
    State(state): State<AppState>,
    Writer(caller): Writer,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<UpdateFinding>,
) -> ApiResult<Json<Finding>> {
    let f = state.store.set_finding_status(&id, body.status).await?;
    state
        .record(
            &caller,
            "finding.update",
            Some(&f.id),
            Outcome::Success,
            serde_json::json!({"status": f.status, "rule_id": f.rule_id, "reason": body.reason}),
        )
        .await;
    Ok(Json(f))
}
