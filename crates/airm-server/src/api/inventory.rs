//! `/api/v1/inventory` and `/api/v1/bom`: the assets ranked by risk × business importance
//! with the factors of each score (the same ranking as `airm inventory`), and the AI-BOM
//! of a system as CycloneDX JSON (the same document as `airm bom --system`).

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use serde::{Deserialize, Serialize};

use airm_core::{Asset, AssetKind, Finding, RiskScore, Timestamp};
use airm_scan::bom::{cyclonedx, input_of, BomOptions, SpecVersion};
use airm_store::inventory::{assess, inventory, system_assets, InventoryItem};
use airm_store::AssetFilter;

use crate::auth::Authed;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::json::ApiQuery;
use crate::state::AppState;

/// Filters and pagination for the inventory.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct InventoryQuery {
    /// Kind of asset.
    pub kind: Option<AssetKind>,
    /// Used by this system (id or name).
    pub system: Option<String>,
    /// Case-insensitive substring of name or location.
    pub q: Option<String>,
    /// Items per page (1–500, default 50).
    pub limit: Option<u32>,
    /// Items to skip.
    pub offset: Option<u64>,
}

/// One ranked asset.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct InventoryEntry {
    /// The asset.
    pub asset: Asset,
    /// What discovery recorded about it.
    #[schema(value_type = Object)]
    pub facts: serde_json::Value,
    /// Score (0–100), importance (1–5), priority (score × importance) and factors.
    pub risk: RiskScore,
    /// Its open findings, most severe first.
    pub findings: Vec<Finding>,
}

impl From<InventoryItem> for InventoryEntry {
    fn from(i: InventoryItem) -> Self {
        InventoryEntry {
            asset: i.asset,
            facts: i.facts,
            risk: i.risk,
            findings: i.findings,
        }
    }
}

/// A page of the ranked inventory.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct InventoryPage {
    /// The assets of this page, highest priority first.
    pub items: Vec<InventoryEntry>,
    /// Matching assets in total.
    pub total: u64,
    /// Page size used.
    pub limit: u32,
    /// Offset used.
    pub offset: u64,
}

/// The inventory, highest risk × importance first.
#[utoipa::path(get, path = "/api/v1/inventory", tag = "assets", params(InventoryQuery),
    responses((status = 200, body = InventoryPage), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn list_inventory(
    State(state): State<AppState>,
    _caller: Authed,
    ApiQuery(q): ApiQuery<InventoryQuery>,
) -> ApiResult<Json<InventoryPage>> {
    let page = super::page_of(q.limit, q.offset);
    let filter = AssetFilter {
        kind: q.kind,
        system: q.system,
        query: q.q,
    };
    let all = inventory(state.store.as_ref(), &filter).await?;
    let total = all.len() as u64;
    let items = all
        .into_iter()
        .skip(usize::try_from(page.offset).unwrap_or(usize::MAX))
        .take(page.limit as usize)
        .map(InventoryEntry::from)
        .collect();
    Ok(Json(InventoryPage {
        items,
        total,
        limit: page.limit,
        offset: page.offset,
    }))
}

/// One asset with its risk factors, facts and open findings.
#[utoipa::path(get, path = "/api/v1/inventory/{id}", tag = "assets",
    params(("id" = String, Path, description = "Asset id")),
    responses((status = 200, body = InventoryEntry), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_inventory_item(
    State(state): State<AppState>,
    _caller: Authed,
    Path(id): Path<String>,
) -> ApiResult<Json<InventoryEntry>> {
    let asset = state
        .store
        .get_asset(&id)
        .await?
        .ok_or_else(|| ApiError::not_found("asset", &id))?;
    let item = assess(state.store.as_ref(), asset, &mut Default::default()).await?;
    Ok(Json(item.into()))
}

/// Which BOM to build.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct BomQuery {
    /// The AI system (name or id).
    pub system: String,
    /// CycloneDX version: `1.6` (default) or `1.7`.
    pub spec: Option<String>,
}

/// The CycloneDX AI-BOM of a system.
pub async fn system_bom(
    state: &AppState,
    system: &str,
    spec: SpecVersion,
) -> ApiResult<serde_json::Value> {
    let sys = state
        .store
        .get_system(system)
        .await?
        .ok_or_else(|| ApiError::not_found("system", system))?;
    let assets: Vec<_> = system_assets(state.store.as_ref(), &sys.id)
        .await?
        .iter()
        .map(|(a, f)| input_of(a, f))
        .collect();
    Ok(cyclonedx(
        &assets,
        &BomOptions {
            root_name: sys.name,
            root_kind: "system",
            timestamp: Timestamp::now().to_string(),
            serial: None,
            spec,
            tool_version: env!("CARGO_PKG_VERSION").to_string(),
        },
    ))
}

/// The AI-BOM of a system (CycloneDX JSON).
#[utoipa::path(get, path = "/api/v1/bom", tag = "assets", params(BomQuery),
    responses((status = 200, description = "CycloneDX BOM", content_type = "application/vnd.cyclonedx+json"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_bom(
    State(state): State<AppState>,
    _caller: Authed,
    ApiQuery(q): ApiQuery<BomQuery>,
) -> ApiResult<impl IntoResponse> {
    let spec = match q.spec.as_deref() {
        None | Some("1.6") => SpecVersion::V1_6,
        Some("1.7") => SpecVersion::V1_7,
        Some(other) => {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                format!("unsupported CycloneDX version `{other}` (use 1.6 or 1.7)"),
            ))
        }
    };
    let bom = system_bom(&state, &q.system, spec).await?;
    Ok((
        [(
            header::CONTENT_TYPE,
            format!("application/vnd.cyclonedx+json; version={}", spec.as_str()),
        )],
        Json(bom),
    ))
}
