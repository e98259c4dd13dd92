//! Persistence for airm.
//!
//! [`Store`] is the one interface every other part uses to read and write state; two
//! engines implement it with the same SQL: [`SqliteStore`] (embedded default, a file in the
//! data directory) and [`PgStore`] (PostgreSQL, for several instances). Migrations for both
//! live in `migrations/{sqlite,postgres}` and move together. This crate holds no business
//! rules beyond the invariants of the stored types.

pub mod audit;
mod error;
mod group;
pub mod inventory;
mod model;
pub mod monitor;
mod postgres;
mod sql;
mod sqlite;
mod store;

use std::path::Path;
use std::sync::Arc;

pub use error::{mask_url, ErrorClass, Result, StoreError};
pub use group::{EventLog, MAX_BATCH};
pub use model::{
    ApprovalFilter, AssetFilter, Counts, EventFilter, ExceptionFilter, FindingFilter, GatewayKey,
    GovernanceFacts, NewApproval, NewEvent, NewGatewayKey, NewSystem, NewUser, Page, Paged,
    Principal, RawEntry, SessionInfo, SystemFilter, SystemPatch, TokenInfo, UserFilter,
};
pub use postgres::PgStore;
pub use sqlite::SqliteStore;
pub use store::Store;

/// A shared handle to whichever store is configured.
pub type DynStore = Arc<dyn Store>;

/// Opens the configured store: PostgreSQL or SQLite when `database_url` is given
/// (`postgres://…`, `postgresql://…`, `sqlite:…`), else the embedded SQLite file in
/// `data_dir`.
pub async fn open(database_url: Option<&str>, data_dir: &Path) -> Result<DynStore> {
    match database_url {
        Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
            Ok(Arc::new(PgStore::open(url).await?))
        }
        Some(url) if url.starts_with("sqlite:") => Ok(Arc::new(SqliteStore::open_url(url).await?)),
        Some(url) => Err(StoreError::BadUrl {
            url: mask_url(url),
            reason: "expected a postgres://, postgresql:// or sqlite: URL".to_string(),
        }),
        None => Ok(Arc::new(SqliteStore::open_dir(data_dir).await?)),
    }
}
