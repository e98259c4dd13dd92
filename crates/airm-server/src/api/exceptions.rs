//! `/api/v1/exceptions`: exceptions (risk acceptances) that suppress a policy's
//! violations on an object until they expire. Only `admin` and `risk-owner` grant or end
//! them; every grant, refusal and expiry is recorded in the activity log.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;

use airm_core::{PolicyException, Timestamp};
use airm_store::ExceptionFilter;

use super::approvals::actor;
use crate::auth::{Authed, Writer};
use crate::error::{ApiResult, ErrorBody};
use crate::json::{ApiJson, ApiQuery};
use crate::state::AppState;

/// Filters for listing exceptions.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ExceptionQuery {
    /// Only exceptions active now (default false: all).
    pub active: Option<bool>,
    /// Only exceptions expiring within this many days.
    pub expiring_within_days: Option<u32>,
    /// Only this policy.
    pub policy: Option<String>,
}

/// An exception to grant; the caller is the approver.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateException {
    /// Policy id, e.g. `GV002`.
    pub policy: String,
    /// Object (system name or id, asset id) or `*`.
    pub object: String,
    /// Why the risk is accepted (10–4000 bytes).
    pub justification: String,
    /// When it stops suppressing violations (at most 730 days ahead).
    pub expires_at: Timestamp,
}

/// List exceptions, soonest expiry first.
#[utoipa::path(get, path = "/api/v1/exceptions", tag = "governance", params(ExceptionQuery),
    responses((status = 200, body = Vec<PolicyException>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn list_exceptions(
    State(state): State<AppState>,
    _caller: Authed,
    ApiQuery(q): ApiQuery<ExceptionQuery>,
) -> ApiResult<Json<Vec<PolicyException>>> {
    let now = Timestamp::now();
    let filter = ExceptionFilter {
        active_at: q.active.unwrap_or(false).then_some(now),
        expiring_before: q
            .expiring_within_days
            .map(|d| now.plus_days(i64::from(d.min(36_500)))),
        policy: q.policy,
    };
    Ok(Json(state.store.list_exceptions(&filter).await?))
}

/// Grant an exception (admin or risk-owner).
#[utoipa::path(post, path = "/api/v1/exceptions", tag = "governance", request_body = CreateException,
    responses((status = 201, body = PolicyException), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_exception(
    State(state): State<AppState>,
    Writer(caller): Writer,
    ApiJson(body): ApiJson<CreateException>,
) -> ApiResult<(StatusCode, Json<PolicyException>)> {
    let e = crate::governance::grant_exception(
        &state.store,
        &actor(&caller),
        caller.user.role,
        PolicyException {
            id: String::new(),
            policy: body.policy.trim().to_uppercase(),
            object: body.object.trim().to_string(),
            justification: body.justification,
            approver: caller.user.email.clone(),
            created_at: Timestamp::now(),
            expires_at: body.expires_at,
            revoked_at: None,
        },
    )
    .await?;
    Ok((StatusCode::CREATED, Json(e)))
}

/// End an exception now (admin or risk-owner).
#[utoipa::path(post, path = "/api/v1/exceptions/{id}/expire", tag = "governance",
    params(("id" = String, Path, description = "Exception id")),
    responses((status = 200, body = PolicyException), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn expire_exception(
    State(state): State<AppState>,
    Writer(caller): Writer,
    Path(id): Path<String>,
) -> ApiResult<Json<PolicyException>> {
    Ok(Json(
        crate::governance::expire_exception(&state.store, &actor(&caller), caller.user.role, &id)
            .await?,
    ))
}
