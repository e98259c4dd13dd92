//! `/api/v1/systems`: register, list, read and change AI systems.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;

use airm_core::{
    AiSystem, DataCategory, EuAiActTier, Exposure, LifecycleStage, Outcome, Timestamp,
};
use airm_store::{NewSystem, SystemFilter, SystemPatch};

use super::{page_of, List};
use crate::auth::{Authed, Writer};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::json::{double_option, ApiJson, ApiQuery};
use crate::state::AppState;

/// Filters and pagination for listing systems.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct SystemQuery {
    /// Case-insensitive substring of name or purpose.
    pub q: Option<String>,
    /// Exact owner.
    pub owner: Option<String>,
    /// Lifecycle stage.
    pub lifecycle: Option<LifecycleStage>,
    /// Exposure.
    pub exposure: Option<Exposure>,
    /// Minimum business importance (1–5).
    pub min_importance: Option<u8>,
    /// Items per page (1–500, default 50).
    pub limit: Option<u32>,
    /// Items to skip.
    pub offset: Option<u64>,
}

/// A system to register.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSystem {
    /// Unique name (letters, digits, `-`, `_`, `.`, spaces).
    pub name: String,
    /// What the system is for.
    #[serde(default)]
    pub purpose: String,
    /// Accountable owner.
    pub owner: Option<String>,
    /// Named risk owner.
    pub risk_owner: Option<String>,
    /// Business importance 1–5 (default 3).
    pub importance: Option<u8>,
    /// Lifecycle stage (default `development`).
    pub lifecycle: Option<LifecycleStage>,
    /// Exposure (default `internal`).
    pub exposure: Option<Exposure>,
    /// Data categories processed.
    #[serde(default)]
    pub data_categories: Vec<DataCategory>,
    /// EU AI Act tier, once classified.
    pub eu_ai_act_tier: Option<EuAiActTier>,
    /// Whether it uses a large language model.
    #[serde(default)]
    pub llm: bool,
    /// Guard policy of the airm gateway fronting it, if fronted.
    pub gateway_policy: Option<String>,
    /// When its last impact assessment was completed.
    pub impact_assessed_at: Option<Timestamp>,
    /// Controls in place, kebab-case (e.g. `human-oversight`, `logging`).
    #[serde(default)]
    pub controls: Vec<String>,
}

/// A change to a system. Absent fields stay; `null` clears optional fields.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateSystem {
    /// New purpose.
    pub purpose: Option<String>,
    /// New owner, or `null` to clear.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub owner: Option<Option<String>>,
    /// New risk owner, or `null` to clear.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub risk_owner: Option<Option<String>>,
    /// New importance 1–5.
    pub importance: Option<u8>,
    /// New lifecycle stage.
    pub lifecycle: Option<LifecycleStage>,
    /// New exposure.
    pub exposure: Option<Exposure>,
    /// Replace the data categories.
    pub data_categories: Option<Vec<DataCategory>>,
    /// New EU AI Act tier, or `null` to clear.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<EuAiActTier>)]
    pub eu_ai_act_tier: Option<Option<EuAiActTier>>,
    /// Whether it uses a large language model.
    pub llm: Option<bool>,
    /// New gateway guard policy, or `null`: not fronted.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub gateway_policy: Option<Option<String>>,
    /// New impact-assessment date, or `null` to clear.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Timestamp>)]
    pub impact_assessed_at: Option<Option<Timestamp>>,
    /// Replace the controls.
    pub controls: Option<Vec<String>>,
    /// Apply only if the stored version is still this one (optimistic concurrency).
    pub version: Option<i64>,
}

/// List AI systems.
#[utoipa::path(get, path = "/api/v1/systems", tag = "systems", params(SystemQuery),
    responses((status = 200, body = List<AiSystem>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn list_systems(
    State(state): State<AppState>,
    _caller: Authed,
    ApiQuery(q): ApiQuery<SystemQuery>,
) -> ApiResult<Json<List<AiSystem>>> {
    let page = page_of(q.limit, q.offset);
    let filter = SystemFilter {
        query: q.q,
        owner: q.owner,
        lifecycle: q.lifecycle,
        exposure: q.exposure,
        min_importance: q.min_importance,
    };
    let paged = state.store.list_systems(&filter, page).await?;
    Ok(Json(List::new(paged, page)))
}

/// Register an AI system.
#[utoipa::path(post, path = "/api/v1/systems", tag = "systems", request_body = CreateSystem,
    responses((status = 201, body = AiSystem), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_system(
    State(state): State<AppState>,
    Writer(caller): Writer,
    ApiJson(body): ApiJson<CreateSystem>,
) -> ApiResult<(StatusCode, Json<AiSystem>)> {
    let sys = state
        .store
        .create_system(NewSystem {
            name: body.name,
            purpose: body.purpose,
            owner: body.owner,
            risk_owner: body.risk_owner,
            importance: body.importance.unwrap_or(3),
            lifecycle: body.lifecycle.unwrap_or(LifecycleStage::Development),
            exposure: body.exposure.unwrap_or(Exposure::Internal),
            data_categories: body.data_categories,
            eu_ai_act_tier: body.eu_ai_act_tier,
            llm: body.llm,
            gateway_policy: body.gateway_policy,
            impact_assessed_at: body.impact_assessed_at,
            controls: body.controls,
        })
        .await?;
    state
        .record(
            &caller,
            "system.create",
            Some(&sys.id),
            Outcome::Success,
            serde_json::json!({"name": sys.name}),
        )
        .await;
    Ok((StatusCode::CREATED, Json(sys)))
}

/// Read one AI system by id or name.
#[utoipa::path(get, path = "/api/v1/systems/{id}", tag = "systems",
    params(("id" = String, Path, description = "System id or name")),
    responses((status = 200, body = AiSystem), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_system(
    State(state): State<AppState>,
    _caller: Authed,
    Path(id): Path<String>,
) -> ApiResult<Json<AiSystem>> {
    state
        .store
        .get_system(&id)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::not_found("system", &id))
}

/// Change an AI system.
#[utoipa::path(patch, path = "/api/v1/systems/{id}", tag = "systems", request_body = UpdateSystem,
    params(("id" = String, Path, description = "System id or name")),
    responses((status = 200, body = AiSystem), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_system(
    State(state): State<AppState>,
    Writer(caller): Writer,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<UpdateSystem>,
) -> ApiResult<Json<AiSystem>> {
    let patch = SystemPatch {
        purpose: body.purpose,
        owner: body.owner,
        risk_owner: body.risk_owner,
        importance: body.importance,
        lifecycle: body.lifecycle,
        exposure: body.exposure,
        data_categories: body.data_categories,
        add_data_categories: Vec::new(),
        eu_ai_act_tier: body.eu_ai_act_tier,
        llm: body.llm,
        gateway_policy: body.gateway_policy,
        impact_assessed_at: body.impact_assessed_at,
        controls: body.controls,
        add_controls: Vec::new(),
        remove_controls: Vec::new(),
    };
    let sys = state.store.update_system(&id, &patch, body.version).await?;
    state
        .record(
            &caller,
            "system.update",
            Some(&sys.id),
            Outcome::Success,
            serde_json::json!({"name": sys.name, "version": sys.version}),
        )
        .await;
    Ok(Json(sys))
}
