//! `/api/v1/audit/events`: read the activity log (`admin` and `auditor` only).

use axum::extract::State;
use axum::Json;
use serde::Deserialize;

use airm_core::{AuditEvent, Timestamp};
use airm_store::EventFilter;

use super::{page_of, List};
use crate::auth::AuditReader;
use crate::error::{ApiResult, ErrorBody};
use crate::json::ApiQuery;
use crate::state::AppState;

/// Filters and pagination for reading events.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct EventQuery {
    /// Actor id (e.g. an email).
    pub actor: Option<String>,
    /// Action, or a prefix ending in `.` (e.g. `system.`).
    pub action: Option<String>,
    /// Target id.
    pub target: Option<String>,
    /// At or after (RFC 3339).
    #[param(value_type = Option<String>)]
    pub since: Option<Timestamp>,
    /// Before (RFC 3339).
    #[param(value_type = Option<String>)]
    pub until: Option<Timestamp>,
    /// Items per page (1–500, default 50).
    pub limit: Option<u32>,
    /// Items to skip.
    pub offset: Option<u64>,
}

/// Read activity-log events, newest first.
#[utoipa::path(get, path = "/api/v1/audit/events", tag = "audit", params(EventQuery),
    responses((status = 200, body = List<AuditEvent>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list_events(
    State(state): State<AppState>,
    _caller: AuditReader,
    ApiQuery(q): ApiQuery<EventQuery>,
) -> ApiResult<Json<List<AuditEvent>>> {
    let page = page_of(q.limit, q.offset);
    let filter = EventFilter {
        actor: q.actor,
        action: q.action,
        target: q.target,
        since: q.since,
        until: q.until,
    };
    Ok(Json(List::new(
        state.store.list_events(&filter, page).await?,
        page,
    )))
}
