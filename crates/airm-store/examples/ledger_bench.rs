//! Activity-log throughput: appends through group commit from many concurrent producers,
//! then verifies the whole stored log. Run by `bench/ledger.sh`.
//!
//! Usage: `ledger_bench [EVENTS] [PRODUCERS] [postgres://URL]` (SQLite in a temp dir when
//! no URL is given).

use std::sync::Arc;
use std::time::Instant;

use airm_core::{ActorKind, Outcome, Timestamp};
use airm_store::{DynStore, EventLog, NewEvent, PgStore, SqliteStore};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let events: usize = args
        .get(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let producers: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(64);
    let dir = tempfile::tempdir()?;
    let (store, engine): (DynStore, &str) = match args.get(3) {
        Some(url) => {
            let schema = format!("bench_{}", std::process::id());
            (
                Arc::new(PgStore::open_in_schema(url, Some(&schema)).await?),
                "postgres",
            )
        }
        None => (Arc::new(SqliteStore::open_dir(dir.path()).await?), "sqlite"),
    };
    let log = EventLog::start(store.clone());
    let per = events / producers;
    let start = Instant::now();
    let mut tasks = Vec::new();
    for p in 0..producers {
        let log = log.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..per {
                log.append(NewEvent {
                    time: Timestamp::now(),
                    actor_kind: ActorKind::Key,
                    actor_id: format!("key-{p}"),
                    action: "gateway.request".into(),
                    target: Some("chat-bot".into()),
                    outcome: Outcome::Success,
                    details: serde_json::json!({"model": "gpt-4o-mini", "tokens": i % 900, "verdict": "allow"}),
                    request_id: Some(format!("r{p}-{i}")),
                })
                .await
                .expect("append");
            }
        }));
    }
    for t in tasks {
        t.await?;
    }
    let append_secs = start.elapsed().as_secs_f64();
    let total = per * producers;
    println!(
        "{engine}: appended {total} events with {producers} producers in {append_secs:.2} s = {:.0} events/s",
        total as f64 / append_secs
    );
    // Reading the signed bytes alone (what verification costs beyond hashing).
    let start = Instant::now();
    let mut next = 0u64;
    let mut rows = 0usize;
    loop {
        let chunk = store.raw_entries(next, 10_000).await?;
        if chunk.is_empty() {
            break;
        }
        rows += chunk.len();
        next += chunk.len() as u64;
    }
    println!(
        "{engine}: read {rows} entries sequentially in {:.2} s",
        start.elapsed().as_secs_f64()
    );
    let start = Instant::now();
    let mismatch = store.first_index_mismatch().await?;
    println!(
        "{engine}: checked search columns against signed bytes in {:.2} s (mismatch: {mismatch:?})",
        start.elapsed().as_secs_f64()
    );
    let key = airm_ledger::SigningKey::generate();
    airm_store::audit::checkpoint_now(&store, &key).await?;
    let start = Instant::now();
    let summary = airm_store::audit::verify_store(&store, Some(&key.public_key())).await?;
    let verify_secs = start.elapsed().as_secs_f64();
    println!(
        "{engine}: verified {} entries and {} checkpoint(s) from the store in {verify_secs:.2} s = {:.0} entries/s",
        summary.entries,
        summary.checkpoints_verified,
        summary.entries as f64 / verify_secs
    );
    Ok(())
}
