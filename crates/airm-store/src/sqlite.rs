//! The embedded default store: one SQLite file in the data directory, WAL journal, full
//! fsync on commit, foreign keys on. Nothing to install.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use crate::{Result, StoreError};

/// [`crate::Store`] on an embedded SQLite database.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pub(crate) pool: sqlx::SqlitePool,
}

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

impl SqliteStore {
    /// Opens (creating if needed) `airm.db` in `dir`, creating the directory too.
    pub async fn open_dir(dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(dir).map_err(|e| {
            StoreError::Invalid(format!(
                "cannot create data directory {}: {e}",
                dir.display()
            ))
        })?;
        Self::open_file(&dir.join("airm.db")).await
    }

    /// Opens (creating if needed) the database file at `path` and migrates it.
    pub async fn open_file(path: &Path) -> Result<Self> {
        let opts = SqliteConnectOptions::new().filename(path);
        Self::open_with(opts).await
    }

    /// Opens a `sqlite:` URL.
    pub async fn open_url(url: &str) -> Result<Self> {
        let opts = SqliteConnectOptions::from_str(url).map_err(|e| StoreError::BadUrl {
            url: url.to_string(),
            reason: e.to_string(),
        })?;
        Self::open_with(opts).await
    }

    async fn open_with(opts: SqliteConnectOptions) -> Result<Self> {
        let opts = opts
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
            // Reads of large logs go through memory-mapped I/O instead of read() calls.
            .pragma("mmap_size", "268435456");
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(opts)
            .await?;
        MIGRATOR.run(&pool).await?;
        Ok(SqliteStore { pool })
    }

    /// Runs SQLite's integrity check; `Ok(())` when the database is sound.
    pub async fn integrity_check(&self) -> Result<()> {
        let row: (String,) = sqlx::query_as("PRAGMA integrity_check")
            .fetch_one(&self.pool)
            .await?;
        if row.0 == "ok" {
            Ok(())
        } else {
            Err(StoreError::Corrupt {
                table: "sqlite",
                reason: row.0,
            })
        }
    }
}

crate::sql::impl_sql_store!(
    SqliteStore,
    sqlx::Sqlite,
    "sqlite",
    "SELECT e.seq FROM events e LEFT JOIN events p ON p.seq = e.seq - 1 WHERE \
     (CASE WHEN e.seq = 0 THEN e.prev_hash <> '0000000000000000000000000000000000000000000000000000000000000000' \
      ELSE p.entry_hash IS NOT e.prev_hash END) \
     OR json_extract(e.canonical, '$.seq', '$.time_ms', '$.actor.kind', '$.actor.id', '$.action', \
                     '$.target', '$.outcome', '$.request_id') \
        IS NOT json_array(e.seq, e.time, e.actor_kind, e.actor_id, e.action, e.target, e.outcome, e.request_id) \
     ORDER BY e.seq LIMIT 1",
    "SELECT group_concat(seq || ' ' || entry_hash || ' ' || canonical, char(10) ORDER BY seq) \
     FROM (SELECT seq, entry_hash, canonical FROM events WHERE seq >= $1 ORDER BY seq LIMIT $2)"
);
