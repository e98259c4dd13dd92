//! `/api/v1/audit/…`: read the activity log, its signed checkpoints and inclusion proofs,
//! and verify it (`admin` and `auditor` only; signing a checkpoint on demand is `admin`).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};

use airm_core::{AuditEvent, Outcome, Timestamp};
use airm_ledger::Checkpoint;
use airm_store::EventFilter;

use super::{page_of, List};
use crate::auth::{AdminOnly, AuditReader};
use crate::error::{ApiError, ApiResult, ErrorBody};
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

/// A signed checkpoint of the activity log.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CheckpointView {
    /// Entries covered.
    pub tree_size: u64,
    /// Merkle root (hex).
    pub root_hash: String,
    /// When it was signed.
    #[schema(value_type = String, format = DateTime)]
    pub time: Timestamp,
    /// Id of the signing key.
    pub key_id: String,
    /// Ed25519 signature, base64.
    pub signature: String,
}

impl From<Checkpoint> for CheckpointView {
    fn from(c: Checkpoint) -> Self {
        CheckpointView {
            tree_size: c.tree_size,
            root_hash: c.root_hash.to_hex(),
            time: c.time,
            key_id: c.key_id,
            signature: c.signature,
        }
    }
}

/// Checkpoints and the key that signs them.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CheckpointList {
    /// Public key that verifies the signatures (`ed25519:<base64>`).
    pub public_key: String,
    /// Key id.
    pub key_id: String,
    /// Entries in the log now.
    pub log_size: u64,
    /// Checkpoints, newest first.
    pub items: Vec<CheckpointView>,
}

/// List signed checkpoints of the activity log.
#[utoipa::path(get, path = "/api/v1/audit/checkpoints", tag = "audit",
    responses((status = 200, body = CheckpointList), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list_checkpoints(
    State(state): State<AppState>,
    _caller: AuditReader,
) -> ApiResult<Json<CheckpointList>> {
    let mut cps = state.store.checkpoints().await?;
    cps.reverse();
    let pk = state.ledger_key.public_key();
    Ok(Json(CheckpointList {
        public_key: pk.to_string(),
        key_id: pk.key_id(),
        log_size: state.store.ledger_state().await?.size,
        items: cps.into_iter().map(CheckpointView::from).collect(),
    }))
}

/// Sign a checkpoint of the current log head now.
#[utoipa::path(post, path = "/api/v1/audit/checkpoints", tag = "audit",
    responses((status = 201, body = CheckpointView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
pub async fn create_checkpoint(
    State(state): State<AppState>,
    AdminOnly(caller): AdminOnly,
) -> ApiResult<(StatusCode, Json<CheckpointView>)> {
    let cp = airm_store::audit::checkpoint_now(&state.store, &state.ledger_key)
        .await?
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::CONFLICT,
                "empty_log",
                "the activity log is empty",
            )
        })?;
    state
        .record(
            &caller,
            "audit.checkpoint",
            Some(&cp.tree_size.to_string()),
            Outcome::Success,
            serde_json::json!({"tree_size": cp.tree_size}),
        )
        .await;
    Ok((StatusCode::CREATED, Json(cp.into())))
}

/// Which checkpoint to prove against.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ProofQuery {
    /// Tree size of the checkpoint (default: the first checkpoint that covers the entry).
    pub tree_size: Option<u64>,
}

/// An entry, a checkpoint and the inclusion proof linking them.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ProofView {
    /// The entry as stored (event, prev_hash, entry_hash).
    #[schema(value_type = Object)]
    pub entry: serde_json::Value,
    /// The checkpoint.
    pub checkpoint: CheckpointView,
    /// RFC 6962 inclusion proof: `leaf_index`, `tree_size`, `hashes` (hex).
    #[schema(value_type = Object)]
    pub inclusion_proof: serde_json::Value,
}

/// Prove that an entry is in a signed checkpoint (RFC 6962 inclusion proof).
#[utoipa::path(get, path = "/api/v1/audit/proof/{seq}", tag = "audit", params(("seq" = u64, Path, description = "Entry sequence number"), ProofQuery),
    responses((status = 200, body = ProofView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_proof(
    State(state): State<AppState>,
    caller: AuditReader,
    Path(seq): Path<String>,
    ApiQuery(q): ApiQuery<ProofQuery>,
) -> ApiResult<Json<ProofView>> {
    let seq: u64 = seq.parse().map_err(|_| {
        ApiError::bad_request("invalid_path", format!("`{seq}` is not an entry number"))
    })?;
    let p = airm_store::audit::prove_entry(&state.store, seq, q.tree_size).await?;
    state
        .record(
            &caller.0,
            "audit.proof",
            Some(&seq.to_string()),
            Outcome::Success,
            serde_json::json!({}),
        )
        .await;
    Ok(Json(ProofView {
        entry: serde_json::to_value(&p.entry).map_err(|_| ApiError::internal())?,
        checkpoint: p.checkpoint.into(),
        inclusion_proof: serde_json::to_value(&p.inclusion_proof)
            .map_err(|_| ApiError::internal())?,
    }))
}

/// Result of verifying the stored log.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct VerifyView {
    /// Whether every entry and checkpoint verified.
    pub ok: bool,
    /// Entries verified.
    pub entries: u64,
    /// Checkpoints verified.
    pub checkpoints_verified: u64,
    /// Entries after the last checkpoint (a truncation there is only detectable against the head).
    pub uncovered_tail: u64,
    /// Merkle root of the whole log (hex), when it verified.
    pub root_hash: Option<String>,
    /// The first problem found, naming the entry.
    pub error: Option<String>,
    /// The first bad entry, when one is to blame.
    pub bad_seq: Option<u64>,
}

/// Verify the whole stored activity log now (hash chain, Merkle roots, checkpoint signatures).
#[utoipa::path(get, path = "/api/v1/audit/verify", tag = "audit",
    responses((status = 200, body = VerifyView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn verify_log(
    State(state): State<AppState>,
    caller: AuditReader,
) -> ApiResult<Json<VerifyView>> {
    let view = verify_view(&state).await?;
    state
        .record(
            &caller.0,
            "audit.verify",
            None,
            Outcome::Success,
            serde_json::json!({"ok": view.ok}),
        )
        .await;
    Ok(Json(view))
}

/// Runs verification and shapes the answer (shared with the dashboard).
pub async fn verify_view(state: &AppState) -> ApiResult<VerifyView> {
    let pk = state.ledger_key.public_key();
    match airm_store::audit::verify_store(&state.store, Some(&pk)).await {
        Ok(s) => Ok(VerifyView {
            ok: true,
            entries: s.entries,
            checkpoints_verified: s.checkpoints_verified,
            uncovered_tail: s.uncovered_tail,
            root_hash: Some(s.root.to_hex()),
            error: None,
            bad_seq: None,
        }),
        Err(airm_store::audit::AuditFailure::Store(e)) => Err(e.into()),
        Err(e) => {
            let bad_seq = match &e {
                airm_store::audit::AuditFailure::Tampered(v) => v.seq(),
                airm_store::audit::AuditFailure::MissingTail { found, .. } => Some(*found),
                airm_store::audit::AuditFailure::HeadMismatch { seq }
                | airm_store::audit::AuditFailure::IndexMismatch { seq } => Some(*seq),
                airm_store::audit::AuditFailure::Store(_) => None,
            };
            tracing::error!(error = %e, "Activity log verification failed");
            Ok(VerifyView {
                ok: false,
                entries: 0,
                checkpoints_verified: 0,
                uncovered_tail: 0,
                root_hash: None,
                error: Some(e.to_string()),
                bad_seq,
            })
        }
    }
}
