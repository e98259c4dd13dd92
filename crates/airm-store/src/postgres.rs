//! The store for several instances: PostgreSQL, selected with `--database-url postgres://…`.
//! Migrations run under PostgreSQL's advisory lock, so instances starting together are safe.

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use crate::error::mask_url;
use crate::{Result, StoreError};

/// [`crate::Store`] on PostgreSQL.
#[derive(Debug, Clone)]
pub struct PgStore {
    pub(crate) pool: sqlx::PgPool,
}

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

impl PgStore {
    /// Connects to `url` and migrates the schema.
    pub async fn open(url: &str) -> Result<Self> {
        Self::open_in_schema(url, None).await
    }

    /// Connects with `search_path` set to `schema` (created if missing); used by tests to
    /// isolate runs inside one database.
    pub async fn open_in_schema(url: &str, schema: Option<&str>) -> Result<Self> {
        let mut opts = PgConnectOptions::from_str(url).map_err(|e| StoreError::BadUrl {
            url: mask_url(url),
            reason: e.to_string(),
        })?;
        if let Some(s) = schema {
            if !s
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
            {
                return Err(StoreError::Invalid(format!("invalid schema name `{s}`")));
            }
            let admin = PgPoolOptions::new()
                .max_connections(1)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(opts.clone())
                .await?;
            sqlx::query(&format!("CREATE SCHEMA IF NOT EXISTS {s}"))
                .execute(&admin)
                .await?;
            admin.close().await;
            opts = opts.options([("search_path", s)]);
        }
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(opts)
            .await?;
        MIGRATOR.run(&pool).await?;
        Ok(PgStore { pool })
    }
}

crate::sql::impl_sql_store!(
    PgStore,
    sqlx::Postgres,
    "postgres",
    "SELECT seq FROM (SELECT seq, time, actor_kind, actor_id, action, target, outcome, request_id, \
     prev_hash, LAG(entry_hash, 1, '0000000000000000000000000000000000000000000000000000000000000000') OVER (ORDER BY seq) AS before, \
     canonical::jsonb AS j FROM events) e WHERE \
     before IS DISTINCT FROM prev_hash \
     OR (j->>'seq')::bigint IS DISTINCT FROM seq \
     OR (j->>'time_ms')::bigint IS DISTINCT FROM time \
     OR (j->'actor'->>'kind') IS DISTINCT FROM actor_kind \
     OR (j->'actor'->>'id') IS DISTINCT FROM actor_id \
     OR (j->>'action') IS DISTINCT FROM action \
     OR (j->>'target') IS DISTINCT FROM target \
     OR (j->>'outcome') IS DISTINCT FROM outcome \
     OR (j->>'request_id') IS DISTINCT FROM request_id \
     ORDER BY seq LIMIT 1",
    "SELECT string_agg(seq::text || ' ' || entry_hash || ' ' || canonical, E'\\n' ORDER BY seq) \
     FROM (SELECT seq, entry_hash, canonical FROM events WHERE seq >= $1 ORDER BY seq LIMIT $2) t"
);
