//! `/api/v1/users`: the people airm knows and their roles. Reading needs `admin` or
//! `auditor`; changing needs `admin`. Tokens are made with `airm tokens create`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;

use airm_core::{Outcome, Person, Role};
use airm_store::{NewUser, UserFilter};

use super::{page_of, List};
use crate::auth::{AdminOnly, AuditReader};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::json::{ApiJson, ApiQuery};
use crate::state::AppState;

/// Filters and pagination for listing users.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct UserQuery {
    /// Role.
    pub role: Option<Role>,
    /// Only active (`true`) or inactive (`false`) people.
    pub active: Option<bool>,
    /// Items per page (1–500, default 50).
    pub limit: Option<u32>,
    /// Items to skip.
    pub offset: Option<u64>,
}

/// A person to add.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    /// Email, used as the login name.
    pub email: String,
    /// Display name.
    #[serde(default)]
    pub name: String,
    /// Role.
    pub role: Role,
}

/// A change to a person.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUser {
    /// New role.
    pub role: Option<Role>,
    /// Allow (`true`) or stop (`false`) logins.
    pub active: Option<bool>,
}

/// List people.
#[utoipa::path(get, path = "/api/v1/users", tag = "users", params(UserQuery),
    responses((status = 200, body = List<Person>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list_users(
    State(state): State<AppState>,
    _caller: AuditReader,
    ApiQuery(q): ApiQuery<UserQuery>,
) -> ApiResult<Json<List<Person>>> {
    let page = page_of(q.limit, q.offset);
    let filter = UserFilter {
        role: q.role,
        active: q.active,
    };
    Ok(Json(List::new(
        state.store.list_users(&filter, page).await?,
        page,
    )))
}

/// Add a person.
#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = CreateUser,
    responses((status = 201, body = Person), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_user(
    State(state): State<AppState>,
    AdminOnly(caller): AdminOnly,
    ApiJson(body): ApiJson<CreateUser>,
) -> ApiResult<(StatusCode, Json<Person>)> {
    let user = state
        .store
        .create_user(NewUser {
            email: body.email,
            name: body.name,
            role: body.role,
        })
        .await?;
    state
        .record(
            &caller,
            "user.create",
            Some(&user.email),
            Outcome::Success,
            serde_json::json!({"role": user.role}),
        )
        .await;
    Ok((StatusCode::CREATED, Json(user)))
}

/// Read one person by id or email.
#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "users",
    params(("id" = String, Path, description = "User id or email")),
    responses((status = 200, body = Person), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_user(
    State(state): State<AppState>,
    _caller: AuditReader,
    Path(id): Path<String>,
) -> ApiResult<Json<Person>> {
    state
        .store
        .get_user(&id)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::not_found("user", &id))
}

/// Change a person's role or active flag.
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "users", request_body = UpdateUser,
    params(("id" = String, Path, description = "User id or email")),
    responses((status = 200, body = Person), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_user(
    State(state): State<AppState>,
    AdminOnly(caller): AdminOnly,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<UpdateUser>,
) -> ApiResult<Json<Person>> {
    let mut user = state
        .store
        .get_user(&id)
        .await?
        .ok_or_else(|| ApiError::not_found("user", &id))?;
    if user.id == caller.user.id
        && (body.role.is_some_and(|r| r != Role::Admin) || body.active == Some(false))
    {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
            "administrators cannot demote or deactivate themselves",
        ));
    }
    if let Some(role) = body.role {
        user = state.store.set_user_role(&user.id, role).await?;
    }
    if let Some(active) = body.active {
        user = state.store.set_user_active(&user.id, active).await?;
    }
    state
        .record(
            &caller,
            "user.update",
            Some(&user.email),
            Outcome::Success,
            serde_json::json!({"role": body.role, "active": body.active}),
        )
        .await;
    Ok(Json(user))
}
