//! Shared builders: events, logs and exports for the tests.

// Test helpers: a failed build of a fixture is a test failure.
#![allow(clippy::unwrap_used)]

use airm_core::{Actor, ActorKind, AuditEvent, Outcome, Timestamp};
use airm_ledger::chain::ChainState;
use airm_ledger::merkle::{consistency_proof, inclusion_proof, CompactTree};
use airm_ledger::{write_export, Chain, Checkpoint, Digest, ExportHeader, LedgerEntry, SigningKey};
use proptest::prelude::*;
use serde_json::Value;

pub fn key() -> SigningKey {
    SigningKey::from_seed([9; 32])
}

pub fn simple_event(i: i64) -> AuditEvent {
    AuditEvent {
        seq: i,
        time: Timestamp(1_764_806_400_000 + i * 1000),
        actor: Actor {
            kind: ActorKind::User,
            id: "ana@example.org".into(),
        },
        action: "risk.update".into(),
        target: Some(format!("risk-{i}")),
        outcome: Outcome::Success,
        details: serde_json::json!({"from": "open", "to": "mitigated", "score": 3.25, "n": i}),
        request_id: None,
    }
}

pub fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        (-1e30f64..1e30).prop_map(Value::from),
        "\\PC{0,8}".prop_map(Value::from),
        "[\\x00-\\x1f\"\\\\a]{0,4}".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("\\PC{0,6}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

pub fn event() -> impl Strategy<Value = AuditEvent> {
    (
        0i64..4_000_000_000_000,
        prop::sample::select(ActorKind::ALL),
        "\\PC{0,12}",
        "[a-z]{1,8}\\.[a-z]{1,8}",
        prop::option::of("\\PC{0,10}"),
        prop::sample::select(Outcome::ALL),
        json_value(),
        prop::option::of("[a-f0-9]{4,12}"),
    )
        .prop_map(
            |(time, kind, id, action, target, outcome, details, request_id)| AuditEvent {
                seq: 0,
                time: Timestamp(time),
                actor: Actor { kind, id },
                action,
                target,
                outcome,
                details,
                request_id,
            },
        )
}

/// A log: entries, every leaf hash, and checkpoints at `cp_sizes` (plus the full size).
#[derive(Debug, Clone)]
pub struct Log {
    pub entries: Vec<LedgerEntry>,
    pub leaves: Vec<Digest>,
    pub checkpoints: Vec<Checkpoint>,
}

pub fn build_log(events: Vec<AuditEvent>, cp_sizes: &[u64]) -> Log {
    let key = key();
    let mut chain = Chain::new();
    let mut entries = Vec::new();
    let mut checkpoints = Vec::new();
    let n = events.len() as u64;
    for (i, e) in events.into_iter().enumerate() {
        entries.push(chain.append(e).unwrap());
        let size = i as u64 + 1;
        if cp_sizes.contains(&size) || size == n {
            checkpoints.push(key.sign_checkpoint(size, chain.root(), Timestamp(size as i64)));
        }
    }
    let leaves = entries.iter().map(LedgerEntry::leaf_hash).collect();
    Log {
        entries,
        leaves,
        checkpoints,
    }
}

/// An export of `log` from `from_seq`, with older checkpoints tied to the last one by
/// consistency proofs and an inclusion proof of every exported entry in the full tree.
pub fn export(log: &Log, from_seq: u64) -> Vec<u8> {
    let key = key();
    let n = log.entries.len() as u64;
    let head = if from_seq == 0 {
        Digest::ZERO
    } else {
        log.entries[from_seq as usize - 1].entry_hash
    };
    let tree = CompactTree::from_source(&log.leaves, from_seq).unwrap();
    let start = ChainState {
        size: from_seq,
        head,
        frontier: tree.frontier().to_vec(),
    };
    let header = ExportHeader::new(&key.public_key(), start);
    let consistency: Vec<_> = log
        .checkpoints
        .iter()
        .filter(|c| c.tree_size < from_seq)
        .map(|c| consistency_proof(&log.leaves, c.tree_size, n).unwrap())
        .collect();
    let inclusion: Vec<_> = (from_seq..n)
        .map(|i| inclusion_proof(&log.leaves, i, n).unwrap())
        .collect();
    write_export(
        Vec::new(),
        &header,
        log.entries[from_seq as usize..].iter().cloned(),
        &log.checkpoints,
        &inclusion,
        &consistency,
    )
    .unwrap()
}

/// Byte offsets of line starts (1-based line `k` starts at `starts[k - 1]`).
pub fn line_starts(bytes: &[u8]) -> Vec<usize> {
    let mut starts = vec![0];
    for (i, b) in bytes.iter().enumerate() {
        if *b == b'\n' && i + 1 < bytes.len() {
            starts.push(i + 1);
        }
    }
    starts
}

pub fn lines(bytes: &[u8]) -> Vec<Vec<u8>> {
    bytes
        .split_inclusive(|b| *b == b'\n')
        .map(<[u8]>::to_vec)
        .collect()
}

/// The seq of an entry line, if it is one.
pub fn entry_seq(line: &[u8]) -> Option<u64> {
    if !line.starts_with(b"{\"entry_hash\":") {
        return None;
    }
    let v: Value = serde_json::from_slice(line).ok()?;
    v.get("event")?.get("seq")?.as_u64()
}
