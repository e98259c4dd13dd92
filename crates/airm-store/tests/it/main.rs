//! Store conformance suite: every test runs on SQLite, and on PostgreSQL when
//! `AIRM_TEST_POSTGRES_URL` is set. In CI (`CI` set) a missing PostgreSQL URL fails the run.

#![allow(clippy::unwrap_used)]

mod conformance;
mod governance;
mod monitor;

use std::path::PathBuf;
use std::sync::Arc;

use airm_store::{DynStore, PgStore, SqliteStore};

/// One database that several store instances (standing in for processes) can open.
pub enum Backend {
    Sqlite(tempfile::TempDir),
    Postgres { url: String, schema: String },
}

impl Backend {
    pub async fn open(&self) -> DynStore {
        match self {
            Backend::Sqlite(dir) => Arc::new(SqliteStore::open_dir(dir.path()).await.unwrap()),
            Backend::Postgres { url, schema } => {
                Arc::new(PgStore::open_in_schema(url, Some(schema)).await.unwrap())
            }
        }
    }

    /// Runs raw SQL outside airm (as an attacker with database access would).
    pub async fn raw_exec(&self, sql: &str) -> Result<(), String> {
        match self {
            Backend::Sqlite(dir) => {
                let pool = sqlx::SqlitePool::connect(&format!(
                    "sqlite://{}",
                    dir.path().join("airm.db").display()
                ))
                .await
                .unwrap();
                sqlx::query(sql)
                    .execute(&pool)
                    .await
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            }
            Backend::Postgres { url, schema } => {
                let opts: sqlx::postgres::PgConnectOptions = url.parse().unwrap();
                let pool =
                    sqlx::PgPool::connect_with(opts.options([("search_path", schema.as_str())]))
                        .await
                        .unwrap();
                sqlx::query(sql)
                    .execute(&pool)
                    .await
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            }
        }
    }

    pub fn sqlite_dir(&self) -> Option<PathBuf> {
        match self {
            Backend::Sqlite(d) => Some(d.path().to_path_buf()),
            Backend::Postgres { .. } => None,
        }
    }
}

pub fn postgres_url() -> Option<String> {
    match std::env::var(airm_core::env::TEST_POSTGRES_URL) {
        Ok(u) if !u.is_empty() => Some(u),
        _ => {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI is set but {} is not: the PostgreSQL conformance run must not be skipped",
                airm_core::env::TEST_POSTGRES_URL
            );
            None
        }
    }
}

pub fn backends(test: &str) -> Vec<Backend> {
    let mut out = vec![Backend::Sqlite(tempfile::tempdir().unwrap())];
    if let Some(url) = postgres_url() {
        let rand: u32 = rand_u32();
        out.push(Backend::Postgres {
            url,
            schema: format!("t_{}_{rand:08x}", test.to_lowercase()),
        });
    }
    out
}

fn rand_u32() -> u32 {
    use std::time::{SystemTime, UNIX_EPOCH};
    let n = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    n ^ std::process::id().rotate_left(16)
}

#[test]
fn migrations_move_together() {
    let list = |dir: &str| {
        let mut v: Vec<String> = std::fs::read_dir(
            concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/").to_string() + dir,
        )
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
        v.sort();
        v
    };
    let sqlite = list("sqlite");
    assert!(!sqlite.is_empty());
    assert_eq!(sqlite, list("postgres"));
}
