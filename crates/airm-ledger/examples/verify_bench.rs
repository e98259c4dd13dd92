//! Times verification of a generated log of 1,000,000 events (override with the first
//! argument): in memory with `verify_entries`, and as a JSON Lines export with
//! `verify_export`. Run: `cargo run --release --example verify_bench -p airm-ledger`.

use std::time::Instant;

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

    let t = Instant::now();
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
        "built {n} entries and {} checkpoints in {:.2?}",
        checkpoints.len(),
        t.elapsed()
    );

    let t = Instant::now();
    let s = verify_entries(&entries, ChainState::empty(), &checkpoints, Some(&pk))?;
    println!(
        "verify_entries: {} entries, {} checkpoints in {:.2?}",
        s.entries,
        s.checkpoints_verified,
        t.elapsed()
    );

    let t = Instant::now();
    let header = ExportHeader::new(&pk, ChainState::empty());
    let bytes = write_export(Vec::new(), &header, entries, &checkpoints, &[], &[])?;
    println!(
        "write_export: {} MiB in {:.2?}",
        bytes.len() >> 20,
        t.elapsed()
    );

    let t = Instant::now();
    let s = verify_export(bytes.as_slice(), &pk)?;
    println!(
        "verify_export: {} entries, {} checkpoints in {:.2?}",
        s.entries,
        s.checkpoints,
        t.elapsed()
    );
    Ok(())
}
