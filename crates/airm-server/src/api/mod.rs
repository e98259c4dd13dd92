//! The REST API under `/api/v1`: one module per resource, one OpenAPI 3.1 document
//! generated from the handlers' annotations and served at `/api/v1/openapi.json`.

pub mod approvals;
pub mod assets;
pub mod audit;
pub mod exceptions;
pub mod findings;
pub mod guard;
pub mod inventory;
pub mod monitor;
pub mod policies;
pub mod systems;
pub mod users;
pub mod violations;

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::auth::Authed;
use crate::error::{ApiResult, ErrorBody};
use crate::state::AppState;

/// Pagination parameters shared by list endpoints.
#[derive(Debug, Clone, Copy, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct PageParams {
    /// Items per page (1–500, default 50).
    pub limit: Option<u32>,
    /// Items to skip (default 0).
    pub offset: Option<u64>,
}

/// A page of results.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct List<T> {
    /// The items.
    pub items: Vec<T>,
    /// Matches across all pages.
    pub total: u64,
    /// Page size used.
    pub limit: u32,
    /// Offset used.
    pub offset: u64,
}

impl<T> List<T> {
    pub fn new(paged: airm_store::Paged<T>, page: airm_store::Page) -> Self {
        List {
            items: paged.items,
            total: paged.total,
            limit: page.limit,
            offset: page.offset,
        }
    }
}

pub fn page_of(p: Option<u32>, o: Option<u64>) -> airm_store::Page {
    airm_store::Page::new(p.unwrap_or(50), o.unwrap_or(0))
}

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("airm API token")
                    .build(),
            ),
        );
    }
}

/// The OpenAPI description of the API.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "airm API",
        description = "AI risk management: inventory of AI systems and assets, findings, people and the activity log. Every endpoint requires `Authorization: Bearer <token>`.",
        license(name = "Apache-2.0", identifier = "Apache-2.0")
    ),
    paths(
        openapi_json,
        metrics,
        systems::list_systems,
        systems::create_system,
        systems::get_system,
        systems::update_system,
        assets::list_assets,
        assets::create_asset,
        assets::get_asset,
        inventory::list_inventory,
        inventory::get_inventory_item,
        inventory::get_bom,
        findings::list_findings,
        findings::get_finding,
        findings::update_finding,
        users::list_users,
        users::create_user,
        users::get_user,
        users::update_user,
        audit::list_events,
        audit::list_checkpoints,
        audit::create_checkpoint,
        audit::get_proof,
        audit::verify_log,
        guard::check_text,
        policies::list_policies,
        policies::get_policy,
        violations::list_violations,
        approvals::list_approvals,
        approvals::create_approval,
        approvals::get_approval,
        approvals::vote_approval,
        exceptions::list_exceptions,
        exceptions::create_exception,
        exceptions::expire_exception,
        monitor::ingest_events,
        monitor::ingest_labels,
        monitor::list_models,
        monitor::get_performance,
        monitor::get_behaviour,
        monitor::list_alerts,
        monitor::evaluate_alerts,
    ),
    components(schemas(ErrorBody)),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
    tags(
        (name = "systems", description = "AI systems: business-level AI applications"),
        (name = "assets", description = "Models, datasets, notebooks, endpoints and services"),
        (name = "findings", description = "Facts established by airm's rules"),
        (name = "users", description = "People and roles"),
        (name = "audit", description = "The activity log"),
        (name = "guard", description = "Runtime checks of prompts and completions"),
        (name = "governance", description = "Policies as code, violations, approvals and exceptions"),
        (name = "monitor", description = "Prediction events, performance, behaviour anomalies and alerts"),
        (name = "meta", description = "API description and metrics"),
    )
)]
pub struct ApiDoc;

/// The OpenAPI 3.1 document of this API.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "meta",
    responses((status = 200, description = "OpenAPI 3.1 document"), (status = 401, body = ErrorBody)))]
pub async fn openapi_json(_caller: Authed) -> impl IntoResponse {
    Json(ApiDoc::openapi())
}

/// Prometheus metrics (text exposition format 0.0.4).
#[utoipa::path(get, path = "/metrics", tag = "meta",
    responses((status = 200, description = "Prometheus text format", content_type = "text/plain"), (status = 401, body = ErrorBody)))]
pub async fn metrics(
    State(state): State<AppState>,
    _caller: Authed,
) -> ApiResult<impl IntoResponse> {
    let counts = state.store.counts().await?;
    Ok((
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics.render(&counts),
    ))
}

/// Routes under `/api/v1`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/openapi.json", get(openapi_json))
        .route(
            "/api/v1/systems",
            get(systems::list_systems).post(systems::create_system),
        )
        .route(
            "/api/v1/systems/{id}",
            get(systems::get_system).patch(systems::update_system),
        )
        .route(
            "/api/v1/assets",
            get(assets::list_assets).post(assets::create_asset),
        )
        .route("/api/v1/assets/{id}", get(assets::get_asset))
        .route("/api/v1/inventory", get(inventory::list_inventory))
        .route("/api/v1/inventory/{id}", get(inventory::get_inventory_item))
        .route("/api/v1/bom", get(inventory::get_bom))
        .route("/api/v1/findings", get(findings::list_findings))
        .route(
            "/api/v1/findings/{id}",
            get(findings::get_finding).patch(findings::update_finding),
        )
        .route(
            "/api/v1/users",
            get(users::list_users).post(users::create_user),
        )
        .route(
            "/api/v1/users/{id}",
            get(users::get_user).patch(users::update_user),
        )
        .route("/api/v1/audit/events", get(audit::list_events))
        .route(
            "/api/v1/audit/checkpoints",
            get(audit::list_checkpoints).post(audit::create_checkpoint),
        )
        .route("/api/v1/audit/proof/{seq}", get(audit::get_proof))
        .route("/api/v1/audit/verify", get(audit::verify_log))
        .route(
            "/api/v1/guard/check",
            axum::routing::post(guard::check_text),
        )
        .route("/api/v1/policies", get(policies::list_policies))
        .route("/api/v1/policies/{id}", get(policies::get_policy))
        .route("/api/v1/violations", get(violations::list_violations))
        .route(
            "/api/v1/approvals",
            get(approvals::list_approvals).post(approvals::create_approval),
        )
        .route("/api/v1/approvals/{id}", get(approvals::get_approval))
        .route(
            "/api/v1/approvals/{id}/votes",
            axum::routing::post(approvals::vote_approval),
        )
        .route(
            "/api/v1/exceptions",
            get(exceptions::list_exceptions).post(exceptions::create_exception),
        )
        .route(
            "/api/v1/exceptions/{id}/expire",
            axum::routing::post(exceptions::expire_exception),
        )
        .route("/api/v1/monitor/models", get(monitor::list_models))
        .route("/api/v1/monitor/alerts", get(monitor::list_alerts))
        .route(
            "/api/v1/monitor/alerts/evaluate",
            axum::routing::post(monitor::evaluate_alerts),
        )
        .route(
            "/api/v1/monitor/{model}/events",
            axum::routing::post(monitor::ingest_events),
        )
        .route(
            "/api/v1/monitor/{model}/labels",
            axum::routing::post(monitor::ingest_labels),
        )
        .route(
            "/api/v1/monitor/{model}/performance",
            get(monitor::get_performance),
        )
        .route(
            "/api/v1/monitor/{model}/behaviour",
            get(monitor::get_behaviour),
        )
}
