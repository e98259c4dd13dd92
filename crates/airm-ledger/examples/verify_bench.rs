//! Times verification of a generated log of 1,000,000 events (override with the first
//! argument): in memory with `verify_entries`, and as a JSON Lines export with
//! `verify_export`. Run: `cargo run --release --example verify_bench -p airm-ledger`.

use std::time::{Duration, Instant};

/// CPU time of this thread (Linux `schedstat`), so a loaded shared machine still gives a
/// meaningful number next to the wall-clock time.
fn cpu_time() -> Option<Duration> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: u64 = s.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(ns))
}

struct Timer(Instant, Option<Duration>);

impl Timer {
    fn start() -> Self {
        Timer(Instant::now(), cpu_time())
    }
    fn report(&self) -> String {
        let wall = self.0.elapsed();
        match (self.1, cpu_time()) {
            (Some(a), Some(b)) => format!("{wall:.2?} wall, {:.2?} cpu", b.saturating_sub(a)),
            _ => format!("{wall:.2?} wall"),
        }
    }
}

use airm_core::{Actor, AuditEvent, Outcome, Timestamp};
use airm_ledger::chain::ChainState;
use airm_ledger::{verify_entries, verify_export, write_export, Chain, ExportHeader, SigningKey};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: i64 = std::env::args()
        .nth(1)
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(1_000_000);
    let key = SigningKey::from_seed([42; 32]);
    let pk = key.public_key();

    let t = Timer::start();
    let mut chain = Chain::new();
    let mut entries = Vec::with_capacity(n as usize);
    let mut checkpoints = Vec::new();
    for i in 0..n {
        let event = AuditEvent {
            seq: i,
            time: Timestamp(1_764_806_400_000 + i),
            actor: Actor::system("bench"),
            action: "finding.update".into(),
            target: Some(format!("finding-{i:08}")),
            outcome: Outcome::Success,
            details: serde_json::json!({"status": "triaged", "severity": "high", "rule": "MF001", "count": i % 97}),
            request_id: Some(format!("req-{i:012x}")),
        };
        entries.push(chain.append(event)?);
        if (i + 1) % 10_000 == 0 || i == n - 1 {
            checkpoints.push(key.sign_checkpoint(chain.size(), chain.root(), Timestamp(i)));
        }
    }
    println!(
        "built {n} entries and {} checkpoints in {}",
        checkpoints.len(),
        t.report()
    );

    let t = Timer::start();
    let s = verify_entries(&entries, ChainState::empty(), &checkpoints, Some(&pk))?;
    println!(
        "verify_entries: {} entries, {} checkpoints in {}",
        s.entries,
        s.checkpoints_verified,
        t.report()
    );

    let t = Timer::start();
    let header = ExportHeader::new(&pk, ChainState::empty());
    let bytes = write_export(Vec::new(), &header, entries, &checkpoints, &[], &[])?;
    println!("write_export: {} MiB in {}", bytes.len() >> 20, t.report());

    let t = Timer::start();
    let s = verify_export(bytes.as_slice(), &pk)?;
    println!(
        "verify_export: {} entries, {} checkpoints in {}",
        s.entries,
        s.checkpoints,
        t.report()
    );
    Ok(())
}
