//! Ingestion throughput of `POST /api/v1/monitor/{model}/events`, in-process (no network):
//! batches of 10,000 events with 20 features each are parsed, validated and stored (one
//! transaction per batch), on SQLite in a temporary directory, or on PostgreSQL when
//! `AIRM_BENCH_POSTGRES_URL` is set. Prints events per second.
//!
//!     cargo run --release -p airm-server --example ingest_bench [BATCHES]

use std::sync::Arc;
use std::time::Instant;

use airm_core::Role;
use airm_server::{app, new_token, AppState, ServerConfig};
use airm_store::{DynStore, NewUser, PgStore, SqliteStore};
use axum::body::Body;
use axum::http::Request;
use tower::ServiceExt;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let batches: usize = std::env::args()
        .nth(1)
        .map(|b| b.parse())
        .transpose()?
        .unwrap_or(20);
    let dir = tempfile::tempdir()?;
    let (store, engine): (DynStore, &str) = match std::env::var("AIRM_BENCH_POSTGRES_URL") {
        Ok(url) => (
            Arc::new(PgStore::open_in_schema(&url, Some("ingest_bench")).await?),
            "postgres",
        ),
        Err(_) => (Arc::new(SqliteStore::open_dir(dir.path()).await?), "sqlite"),
    };
    let user = store
        .create_user(NewUser {
            email: format!("bench-{}@example.com", std::process::id()),
            name: "bench".into(),
            role: Role::Admin,
        })
        .await?;
    let (token, hash) = new_token();
    store.create_token(&user.id, "bench", &hash, None).await?;
    let key = Arc::new(airm_ledger::SigningKey::from_seed([7; 32]));
    let router = app(AppState::new(store, key, ServerConfig::default()));
    let bodies: Vec<Vec<u8>> = (0..batches)
        .map(|b| {
            let events: Vec<serde_json::Value> = (0..10_000)
                .map(|i| {
                    let features: serde_json::Map<String, serde_json::Value> =
                        (0..20).map(|f| (format!("f{f}"), serde_json::json!((i * 31 + f) % 97))).collect();
                    serde_json::json!({"id": format!("{b}-{i}"), "time": 1_700_000_000 + b * 10_000 + i,
                        "features": features, "prediction": i % 2, "score": (i % 100) as f64 / 100.0, "label": (i / 3) % 2})
                })
                .collect();
            serde_json::to_vec(&events).unwrap_or_default()
        })
        .collect();
    let bytes: usize = bodies.iter().map(Vec::len).sum();
    let start = Instant::now();
    for body in bodies {
        let req = Request::post("/api/v1/monitor/bench/events")
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", "application/json")
            .body(Body::from(body))?;
        let res = router.clone().oneshot(req).await?;
        if !res.status().is_success() {
            return Err(format!("HTTP {}", res.status()).into());
        }
    }
    let secs = start.elapsed().as_secs_f64();
    let n = batches * 10_000;
    println!(
        "{engine}: {n} events ({:.1} MB JSON) in {secs:.2} s = {:.0} events/s",
        bytes as f64 / 1e6,
        n as f64 / secs
    );
    Ok(())
}
