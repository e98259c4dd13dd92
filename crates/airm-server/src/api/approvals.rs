//! `/api/v1/approvals`: ask a committee to decide, list requests, and vote. Only members
//! of the deciding committee vote; quorum decides; every request, vote and decision is
//! recorded in the activity log.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;

use airm_core::{Actor, ActorKind, Approval, ApprovalStatus, Outcome, VoteChoice};
use airm_store::{ApprovalFilter, NewApproval};

use super::{page_of, List};
use crate::auth::{Authed, Caller, Writer};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::json::{ApiJson, ApiQuery};
use crate::state::AppState;

pub(crate) fn actor(c: &Caller) -> Actor {
    Actor {
        kind: ActorKind::User,
        id: c.user.email.clone(),
    }
}

/// Filters for listing approval requests.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ApprovalQuery {
    /// Status.
    pub status: Option<ApprovalStatus>,
    /// Committee name.
    pub committee: Option<String>,
    /// Only requests of committees the caller is a member of.
    pub mine: Option<bool>,
    /// Items per page (1–500, default 50).
    pub limit: Option<u32>,
    /// Items to skip.
    pub offset: Option<u64>,
}

/// A request for a committee decision.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateApproval {
    /// What is to be decided about (system name, asset id, …).
    pub subject: String,
    /// The decision asked for, kebab-case (e.g. `production`).
    pub action: String,
    /// Deciding committee (name or id).
    pub committee: String,
    /// Why.
    #[serde(default)]
    pub reason: String,
}

/// A vote.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CastVote {
    /// `approve` or `reject`.
    pub choice: VoteChoice,
    /// Why.
    pub comment: Option<String>,
}

/// List approval requests, newest first.
#[utoipa::path(get, path = "/api/v1/approvals", tag = "governance", params(ApprovalQuery),
    responses((status = 200, body = List<Approval>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn list_approvals(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiQuery(q): ApiQuery<ApprovalQuery>,
) -> ApiResult<Json<List<Approval>>> {
    let page = page_of(q.limit, q.offset);
    let filter = ApprovalFilter {
        status: q.status,
        committee: q.committee,
        member: q.mine.unwrap_or(false).then(|| caller.user.email.clone()),
    };
    Ok(Json(List::new(
        state.store.list_approvals(&filter, page).await?,
        page,
    )))
}

/// Ask a committee to decide.
#[utoipa::path(post, path = "/api/v1/approvals", tag = "governance", request_body = CreateApproval,
    responses((status = 201, body = Approval), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_approval(
    State(state): State<AppState>,
    Writer(caller): Writer,
    ApiJson(body): ApiJson<CreateApproval>,
) -> ApiResult<(StatusCode, Json<Approval>)> {
    let committee = state
        .store
        .get_committee(&body.committee)
        .await?
        .ok_or_else(|| ApiError::not_found("committee", &body.committee))?;
    airm_govern::approvals::validate_request(&body.subject, &body.action, &committee)
        .map_err(crate::governance::GovernanceError::from)?;
    let a = state
        .store
        .create_approval(NewApproval {
            subject: body.subject,
            action: body.action,
            committee: committee.id,
            requested_by: caller.user.email.clone(),
            reason: body.reason,
        })
        .await?;
    state
        .record(
            &caller,
            "approval.request",
            Some(&a.id),
            Outcome::Success,
            serde_json::json!({"subject": a.subject, "action": a.action, "committee": a.committee, "quorum": a.quorum}),
        )
        .await;
    Ok((StatusCode::CREATED, Json(a)))
}

/// Read one approval request with its votes.
#[utoipa::path(get, path = "/api/v1/approvals/{id}", tag = "governance",
    params(("id" = String, Path, description = "Approval id")),
    responses((status = 200, body = Approval), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_approval(
    State(state): State<AppState>,
    _caller: Authed,
    Path(id): Path<String>,
) -> ApiResult<Json<Approval>> {
    state
        .store
        .get_approval(&id)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::not_found("approval", &id))
}

/// Vote on a pending request (committee members only).
#[utoipa::path(post, path = "/api/v1/approvals/{id}/votes", tag = "governance", request_body = CastVote,
    params(("id" = String, Path, description = "Approval id")),
    responses((status = 200, body = Approval), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn vote_approval(
    State(state): State<AppState>,
    Authed(caller): Authed,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<CastVote>,
) -> ApiResult<Json<Approval>> {
    let a = crate::governance::vote(
        &state.store,
        &actor(&caller),
        &id,
        &caller.user.email,
        body.choice,
        body.comment,
    )
    .await?;
    Ok(Json(a))
}
