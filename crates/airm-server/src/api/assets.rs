//! `/api/v1/assets`: the AI inventory — list, read, and register assets that discovery
//! cannot see (hosted endpoints, AI services).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;

use airm_core::{Asset, AssetKind, ContentHash, Outcome, Provenance, Timestamp};
use airm_store::AssetFilter;

use super::{page_of, List};
use crate::auth::{Authed, Writer};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::json::{ApiJson, ApiQuery};
use crate::state::AppState;

/// Filters and pagination for listing assets.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AssetQuery {
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

/// An asset to register by hand.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAsset {
    /// Kind of asset.
    pub kind: AssetKind,
    /// Display name.
    pub name: String,
    /// Path, URL or resource address.
    pub location: String,
    /// Content hashes, if it has content.
    #[serde(default)]
    pub hashes: Vec<ContentHash>,
    /// Format.
    pub format: Option<String>,
    /// Size in bytes.
    pub size: Option<u64>,
    /// Provenance.
    #[serde(default)]
    pub provenance: Provenance,
    /// Names of the systems that use it.
    #[serde(default)]
    pub systems: Vec<String>,
}

/// List assets.
#[utoipa::path(get, path = "/api/v1/assets", tag = "assets", params(AssetQuery),
    responses((status = 200, body = List<Asset>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn list_assets(
    State(state): State<AppState>,
    _caller: Authed,
    ApiQuery(q): ApiQuery<AssetQuery>,
) -> ApiResult<Json<List<Asset>>> {
    let page = page_of(q.limit, q.offset);
    let filter = AssetFilter {
        kind: q.kind,
        system: q.system,
        query: q.q,
    };
    Ok(Json(List::new(
        state.store.list_assets(&filter, page).await?,
        page,
    )))
}

/// Register an asset (deduplicated by SHA-256, or by kind and location).
#[utoipa::path(post, path = "/api/v1/assets", tag = "assets", request_body = CreateAsset,
    responses((status = 201, body = Asset), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_asset(
    State(state): State<AppState>,
    Writer(caller): Writer,
    ApiJson(body): ApiJson<CreateAsset>,
) -> ApiResult<(StatusCode, Json<Asset>)> {
    if body.name.trim().is_empty() || body.location.trim().is_empty() {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
            "`name` and `location` must not be empty",
        ));
    }
    for h in &body.hashes {
        let valid =
            !h.alg.is_empty() && h.hex.len() <= 128 && h.hex.bytes().all(|b| b.is_ascii_hexdigit());
        if !valid {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_request",
                format!("hash `{}` is not a hex digest", h.alg),
            ));
        }
    }
    let asset = Asset {
        id: String::new(),
        kind: body.kind,
        name: body.name,
        location: body.location,
        hashes: body
            .hashes
            .into_iter()
            .map(|h| ContentHash {
                alg: h.alg.to_lowercase(),
                hex: h.hex.to_lowercase(),
            })
            .collect(),
        format: body.format,
        size: body.size,
        provenance: body.provenance,
        systems: body.systems,
        first_seen: Timestamp::now(),
        last_seen: Timestamp::now(),
    };
    let stored = state.store.upsert_asset(asset).await?;
    state
        .record(
            &caller,
            "asset.create",
            Some(&stored.id),
            Outcome::Success,
            serde_json::json!({"kind": stored.kind, "name": stored.name}),
        )
        .await;
    Ok((StatusCode::CREATED, Json(stored)))
}

/// Read one asset.
#[utoipa::path(get, path = "/api/v1/assets/{id}", tag = "assets",
    params(("id" = String, Path, description = "Asset id")),
    responses((status = 200, body = Asset), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_asset(
    State(state): State<AppState>,
    _caller: Authed,
    Path(id): Path<String>,
) -> ApiResult<Json<Asset>> {
    state
        .store
        .get_asset(&id)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::not_found("asset", &id))
}
