//! Export round trips and deterministic failure cases of `verify_export`.

use airm_core::Timestamp;
use airm_ledger::{verify_export, SigningKey, VerifyError, MAX_LINE_BYTES};

use crate::common::{build_log, export, key, lines, simple_event};

fn log(n: i64) -> crate::common::Log {
    build_log((0..n).map(simple_event).collect(), &[3, 4, 9])
}

#[test]
fn whole_and_partial_exports_verify() {
    let log = log(12);
    let pk = key().public_key();
    for from in 0..12 {
        let bytes = export(&log, from);
        let s = verify_export(bytes.as_slice(), &pk).unwrap_or_else(|e| panic!("from {from}: {e}"));
        assert_eq!(s.from_seq, from);
        assert_eq!(s.entries, 12 - from);
        assert_eq!(s.tree_size, 12);
        assert_eq!(s.uncovered_tail, 0);
        assert_eq!(s.root, log.checkpoints.last().unwrap().root_hash);
        assert_eq!(s.inclusion_proofs, 12 - from);
        let older = log
            .checkpoints
            .iter()
            .filter(|c| c.tree_size < from)
            .count() as u64;
        assert_eq!(s.consistency_proofs, older);
        assert_eq!(s.checkpoints, log.checkpoints.len() as u64);
    }
}

#[test]
fn export_layout_is_documented_shape() {
    let bytes = export(&log(5), 0);
    let text = String::from_utf8(bytes).unwrap();
    let first = text.lines().next().unwrap();
    assert!(
        first.starts_with("{\"format\":\"airm-ledger-export/v1\",\"from_seq\":0,\"frontier\":[]")
    );
    assert!(first.ends_with("\"type\":\"header\"}"));
    assert!(text
        .lines()
        .nth(1)
        .unwrap()
        .starts_with("{\"entry_hash\":\""));
    assert!(text.lines().last().unwrap().starts_with("{\"checkpoints\":3,\"consistency_proofs\":0,\"entries\":5,\"inclusion_proofs\":5,\"tree_size\":5,\"type\":\"end\"}"));
    assert!(text.contains("\"type\":\"checkpoint\"}"));
    assert!(text.contains("\"type\":\"inclusion_proof\"}"));
}

#[test]
fn wrong_key_is_refused() {
    let bytes = export(&log(5), 0);
    let other = SigningKey::from_seed([3; 32]).public_key();
    let err = verify_export(bytes.as_slice(), &other).unwrap_err();
    assert_eq!(err.line(), Some(1), "{err}");
}

#[test]
fn checkpoint_signed_by_another_key_is_refused() {
    let mut l = log(5);
    let other = SigningKey::from_seed([3; 32]);
    let last = l.checkpoints.last().unwrap().clone();
    *l.checkpoints.last_mut().unwrap() = other.sign_checkpoint(5, last.root_hash, Timestamp(99));
    let bytes = export(&l, 0);
    let err = verify_export(bytes.as_slice(), &key().public_key()).unwrap_err();
    assert!(matches!(err, VerifyError::AtLine { .. }), "{err}");
    assert!(
        err.to_string().contains("checkpoint for tree size 5"),
        "{err}"
    );
}

#[test]
fn forged_but_consistent_chain_is_caught_by_checkpoint() {
    let l = log(6);
    let mut forged_events: Vec<_> = (0..6).map(simple_event).collect();
    forged_events[2].actor.id = "mallory".into();
    let forged = build_log(forged_events, &[]);
    // Keep the forged entries but the genuine signed checkpoints.
    let mixed = crate::common::Log {
        entries: forged.entries,
        leaves: forged.leaves,
        checkpoints: l.checkpoints.clone(),
    };
    let bytes = export(&mixed, 0);
    let err = verify_export(bytes.as_slice(), &key().public_key()).unwrap_err();
    assert!(
        err.to_string().contains("root hash does not match"),
        "{err}"
    );
}

#[test]
fn bad_frontier_is_caught() {
    let l = log(8);
    let bytes = export(&l, 5);
    let text = String::from_utf8(bytes).unwrap();
    let header = text.lines().next().unwrap();
    let frontier_pos = header.find("\"frontier\":[\"").unwrap() + 13;
    let mut bad = text.clone().into_bytes();
    bad[frontier_pos] = if bad[frontier_pos] == b'0' {
        b'1'
    } else {
        b'0'
    };
    let err = verify_export(bad.as_slice(), &key().public_key()).unwrap_err();
    assert!(
        err.to_string().contains("root hash does not match"),
        "{err}"
    );
}

#[test]
fn overlong_line_and_garbage_are_bounded_errors() {
    let mut big = vec![b'{'; MAX_LINE_BYTES + 10];
    big.push(b'\n');
    let err = verify_export(big.as_slice(), &key().public_key()).unwrap_err();
    assert!(err.to_string().contains("longer than"), "{err}");
    assert_eq!(err.line(), Some(1));

    let err = verify_export(&b""[..], &key().public_key()).unwrap_err();
    assert_eq!(err.line(), Some(1));
    let err = verify_export(&b"\n"[..], &key().public_key()).unwrap_err();
    assert_eq!(err.line(), Some(1));

    // An entry line where the header should be.
    let ls = lines(&export(&log(3), 0));
    let err = verify_export(ls[1].as_slice(), &key().public_key()).unwrap_err();
    assert_eq!(err.line(), Some(1), "{err}");
}

#[test]
fn data_after_end_and_missing_end_fail() {
    let bytes = export(&log(4), 0);
    let mut more = bytes.clone();
    more.extend_from_slice(b"{}\n");
    let err = verify_export(more.as_slice(), &key().public_key()).unwrap_err();
    assert!(err.to_string().contains("after the end line"), "{err}");

    let ls = lines(&bytes);
    let without_end: Vec<u8> = ls[..ls.len() - 1].concat();
    let err = verify_export(without_end.as_slice(), &key().public_key()).unwrap_err();
    assert_eq!(err.line(), Some(ls.len() as u64), "{err}");
}

#[test]
fn export_log_helper_round_trips() {
    let l = build_log((0..20).map(simple_event).collect(), &[5, 10, 12]);
    let pk = key().public_key();
    let prev = l.entries[11].entry_hash;
    let bytes = airm_ledger::export_log(
        Vec::new(),
        &pk,
        &l.leaves,
        12,
        prev,
        l.entries[12..].iter().cloned(),
        &l.checkpoints,
        &[12, 19],
    )
    .unwrap();
    let s = verify_export(bytes.as_slice(), &pk).unwrap();
    assert_eq!((s.from_seq, s.entries, s.tree_size), (12, 8, 20));
    assert_eq!(s.consistency_proofs, 2);
    assert_eq!(s.inclusion_proofs, 2);
    assert_eq!(s.checkpoints, 4);
    assert_eq!(s.latest_checkpoint.unwrap().tree_size, 20);

    // Proving an entry before the export is refused at write time.
    let err = airm_ledger::export_log(
        Vec::new(),
        &pk,
        &l.leaves,
        12,
        prev,
        l.entries[12..].iter().cloned(),
        &l.checkpoints,
        &[3],
    );
    assert!(err.is_err());
}

#[test]
fn seal_matches_chain_append() {
    let l = build_log((0..3).map(simple_event).collect(), &[]);
    let sealed =
        airm_ledger::LedgerEntry::seal(l.entries[2].event.clone(), l.entries[1].entry_hash)
            .unwrap();
    assert_eq!(sealed, l.entries[2]);
}

#[test]
fn uncovered_tail_is_reported() {
    // Checkpoint only at 3 of 6: the last 3 entries are not covered by a signature.
    let l = build_log((0..6).map(simple_event).collect(), &[3]);
    let mut cps = l.checkpoints.clone();
    cps.retain(|c| c.tree_size == 3);
    let bytes = airm_ledger::export_log(
        Vec::new(),
        &key().public_key(),
        &l.leaves,
        0,
        airm_ledger::Digest::ZERO,
        l.entries.iter().cloned(),
        &cps,
        &[],
    )
    .unwrap();
    let s = verify_export(bytes.as_slice(), &key().public_key()).unwrap();
    assert_eq!(s.uncovered_tail, 3);
}

#[test]
fn hash_consistent_but_non_canonical_event_is_refused() {
    // An entry whose hashes and signed checkpoint are all computed over a non-canonical
    // spelling of the event (keys out of order): internally consistent, but not the bytes
    // the store hashes, so it must be refused.
    use airm_ledger::canonical::encode_value;
    use airm_ledger::merkle::leaf_hash;
    use airm_ledger::Digest;
    use serde_json::json;

    let key = key();
    let pk = key.public_key();
    let event = br#"{"action":"a.b","actor":{"id":"x","kind":"user"},"details":{"b":1,"a":2},"outcome":"success","request_id":null,"seq":0,"target":null,"time_ms":0}"#;
    let mut pre = b"airm-ledger/v1/entry\0".to_vec();
    pre.extend_from_slice(&[0u8; 32]);
    pre.extend_from_slice(event);
    let entry_hash = Digest::sha256(&pre);
    let root = leaf_hash(&entry_hash.0);
    let cp = key.sign_checkpoint(1, root, Timestamp(5));

    let line = |v: serde_json::Value| {
        let mut l = encode_value(&v).unwrap();
        l.push(b'\n');
        l
    };
    let mut file = line(json!({
        "type": "header", "format": "airm-ledger-export/v1", "public_key": pk.to_string(),
        "key_id": pk.key_id(), "from_seq": 0, "prev_hash": Digest::ZERO.to_hex(), "frontier": []
    }));
    file.extend_from_slice(format!("{{\"entry_hash\":\"{entry_hash}\",\"event\":").as_bytes());
    file.extend_from_slice(event);
    file.extend_from_slice(
        format!(",\"prev_hash\":\"{}\",\"type\":\"entry\"}}\n", Digest::ZERO).as_bytes(),
    );
    let mut cp_value = serde_json::to_value(&cp).unwrap();
    cp_value["type"] = json!("checkpoint");
    file.extend(line(cp_value));
    file.extend(line(json!({
        "type": "end", "entries": 1, "tree_size": 1, "checkpoints": 1,
        "inclusion_proofs": 0, "consistency_proofs": 0
    })));

    let err = verify_export(file.as_slice(), &pk).unwrap_err();
    assert_eq!(err.line(), Some(2), "{err}");
    assert_eq!(err.seq(), Some(0), "{err}");
    assert!(err.to_string().contains("canonical"), "{err}");

    // The same file with the canonical key order (and matching hashes) verifies, so the
    // hand-built lines above are otherwise right.
    let fixed_event = String::from_utf8(event.to_vec())
        .unwrap()
        .replace(r#"{"b":1,"a":2}"#, r#"{"a":2,"b":1}"#);
    let mut pre = b"airm-ledger/v1/entry\0".to_vec();
    pre.extend_from_slice(&[0u8; 32]);
    pre.extend_from_slice(fixed_event.as_bytes());
    let fixed_hash = Digest::sha256(&pre);
    let fixed_cp = key.sign_checkpoint(1, leaf_hash(&fixed_hash.0), Timestamp(5));
    let text = String::from_utf8(file)
        .unwrap()
        .replace(r#"{"b":1,"a":2}"#, r#"{"a":2,"b":1}"#)
        .replace(&entry_hash.to_hex(), &fixed_hash.to_hex())
        .replace(&root.to_hex(), &fixed_cp.root_hash.to_hex())
        .replace(&cp.signature, &fixed_cp.signature);
    verify_export(text.as_bytes(), &pk).unwrap();
}

#[test]
fn equivalent_but_non_canonical_spellings_are_refused() {
    // Each edit keeps the meaning (and so every hash and signature) but not the canonical
    // bytes; each must fail on its line.
    let bytes = export(&log(4), 0);
    let text = String::from_utf8(bytes).unwrap();
    let cp_line = text
        .lines()
        .position(|l| l.contains("\"type\":\"checkpoint\""))
        .unwrap()
        + 1;
    let edits: Vec<(String, u64)> = vec![
        (
            text.replacen("Z\",\"tree_size\"", "z\",\"tree_size\"", 1),
            cp_line as u64,
        ),
        (
            text.replacen("Z\",\"tree_size\"", "+00:00\",\"tree_size\"", 1),
            cp_line as u64,
        ),
        (text.replacen("{\"format\"", "{ \"format\"", 1), 1),
        (text.replacen("\"from_seq\":0", "\"from_seq\":0.0", 1), 1),
        (text.replacen("\"score\":3.25", "\"score\":3.250", 1), 2),
        (text.replacen("\"score\":3.25", "\"score\":325e-2", 1), 2),
        (text.replacen("risk-0", "risk\\u002d0", 1), 2),
    ];
    for (edited, line) in edits {
        assert_ne!(edited, text);
        let err = verify_export(edited.as_bytes(), &key().public_key()).unwrap_err();
        assert_eq!(err.line(), Some(line), "{err}");
    }
}

#[test]
fn absurd_header_sizes_are_errors_not_panics() {
    use airm_ledger::canonical::encode_value;
    use airm_ledger::Digest;
    let pk = key().public_key();
    for (from_seq, hashes) in [(u64::MAX, 64usize), (1u64 << 63, 1), (5, 0)] {
        let header = serde_json::json!({
            "type": "header", "format": "airm-ledger-export/v1", "public_key": pk.to_string(),
            "key_id": pk.key_id(), "from_seq": from_seq, "prev_hash": Digest::ZERO.to_hex(),
            "frontier": vec![Digest::ZERO.to_hex(); hashes],
        });
        let mut file = encode_value(&header).unwrap();
        file.push(b'\n');
        let err = verify_export(file.as_slice(), &pk).unwrap_err();
        assert_eq!(err.line(), Some(1), "{err}");
    }
}
