//! Property tests: untouched logs and exports always verify; any single-byte change,
//! deletion, insertion, reordering or truncation fails, naming the entry.

use airm_ledger::chain::ChainState;
use airm_ledger::{verify_entries, verify_export, Digest, VerifyError};
use proptest::prelude::*;

use crate::common::{build_log, entry_seq, event, export, key, line_starts, lines, Log};

fn log_strategy() -> impl Strategy<Value = (Log, u64)> {
    (
        prop::collection::vec(event(), 1..9),
        prop::collection::vec(1u64..9, 0..4),
    )
        .prop_flat_map(|(events, cps)| {
            let n = events.len() as u64;
            let log = build_log(events, &cps);
            (Just(log), 0..n)
        })
        .prop_map(|(log, from)| (log, from))
}

fn line_of(bytes: &[u8], pos: usize) -> usize {
    line_starts(bytes).iter().filter(|s| **s <= pos).count()
}

fn verify(bytes: &[u8]) -> Result<airm_ledger::ExportSummary, VerifyError> {
    verify_export(bytes, &key().public_key())
}

proptest! {
    // 256 cases by default; set PROPTEST_CASES for a longer run.
    #[test]
    fn untouched_log_and_export_verify((log, from) in log_strategy()) {
        let pk = key().public_key();
        let s = verify_entries(&log.entries, ChainState::empty(), &log.checkpoints, Some(&pk)).unwrap();
        prop_assert_eq!(s.entries, log.entries.len() as u64);
        let bytes = export(&log, from);
        let s = verify(&bytes).unwrap();
        prop_assert_eq!(s.tree_size, log.entries.len() as u64);
        prop_assert_eq!(s.uncovered_tail, 0);
    }

    #[test]
    fn any_byte_change_fails_naming_the_line((log, from) in log_strategy(), pos in any::<prop::sample::Index>(), x in 1u8..=255) {
        let bytes = export(&log, from);
        let pos = pos.index(bytes.len());
        let mut bad = bytes.clone();
        bad[pos] ^= x;
        let err = verify(&bad);
        prop_assert!(err.is_err(), "byte {} changed and still verified", pos);
        let err = err.unwrap_err();
        let line = line_of(&bytes, pos);
        let original = &lines(&bytes)[line - 1];
        if let Some(seq) = entry_seq(original) {
            prop_assert!(
                err.line() == Some(line as u64) || err.seq() == Some(seq),
                "change in entry {} (line {}) reported as: {}", seq, line, err
            );
        }
    }

    #[test]
    fn deleting_a_line_fails((log, from) in log_strategy(), i in any::<prop::sample::Index>()) {
        let ls = lines(&export(&log, from));
        let i = i.index(ls.len());
        let mut t = ls.clone();
        let removed = t.remove(i);
        let err = verify(&t.concat());
        prop_assert!(err.is_err());
        if let Some(seq) = entry_seq(&removed) {
            let err = err.unwrap_err();
            prop_assert_eq!(err.seq(), Some(seq), "deleted entry {} reported as: {}", seq, err);
        }
    }

    #[test]
    fn inserting_a_line_fails((log, from) in log_strategy(), src in any::<prop::sample::Index>(), at in any::<prop::sample::Index>()) {
        let ls = lines(&export(&log, from));
        let line = ls[src.index(ls.len())].clone();
        let at = at.index(ls.len() + 1);
        let mut t = ls.clone();
        t.insert(at, line.clone());
        let err = verify(&t.concat());
        prop_assert!(err.is_err(), "inserted line {} verified", at + 1);
        let err = err.unwrap_err();
        if entry_seq(&line).is_some() {
            // Reported at the inserted line, or at the next one when the copy sits right
            // before its original (which is then the second copy).
            let l = err.line().unwrap_or(0);
            prop_assert!(l == at as u64 + 1 || l == at as u64 + 2, "inserted at line {} reported as: {}", at + 1, err);
        }
    }

    #[test]
    fn swapping_two_lines_fails((log, from) in log_strategy(), a in any::<prop::sample::Index>(), b in any::<prop::sample::Index>()) {
        let ls = lines(&export(&log, from));
        let a = a.index(ls.len());
        let b = (a + 1 + b.index(ls.len() - 1)) % ls.len();
        prop_assert_ne!(&ls[a], &ls[b], "every line of an export is distinct");
        let mut t = ls.clone();
        t.swap(a, b);
        let err = verify(&t.concat());
        prop_assert!(err.is_err());
        let first = a.min(b);
        if entry_seq(&ls[first]).is_some() && entry_seq(&ls[a.max(b)]).is_some() {
            let err = err.unwrap_err();
            prop_assert_eq!(err.line(), Some(first as u64 + 1), "{}", err);
        }
    }

    #[test]
    fn truncating_the_file_fails((log, from) in log_strategy(), cut in any::<prop::sample::Index>()) {
        let bytes = export(&log, from);
        let cut = cut.index(bytes.len());
        prop_assert!(verify(&bytes[..cut]).is_err());
    }

    #[test]
    fn random_bytes_never_panic(data in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = verify(&data);
    }

    #[test]
    fn tampering_with_stored_entries_names_the_entry((log, _from) in log_strategy(), i in any::<prop::sample::Index>(), what in 0u8..10, x in 1u8..=255) {
        let pk = key().public_key();
        let n = log.entries.len();
        let i = i.index(n);
        let mut t = log.entries.clone();
        let mut expect = Some(i as u64);
        match what {
            0 => t[i].event.action.push(char::from(x.max(32))),
            1 => t[i].event.actor.id.push('x'),
            2 => t[i].event.time.0 ^= i64::from(x),
            3 => t[i].event.details = serde_json::json!([t[i].event.details.clone()]),
            4 => t[i].event.target = if t[i].event.target.is_some() { None } else { Some(String::new()) },
            5 => t[i].prev_hash.0[usize::from(x) % 32] ^= x,
            6 => t[i].entry_hash.0[usize::from(x) % 32] ^= x,
            7 => { t.remove(i); }
            8 => { let dup = t[i].clone(); t.insert(i, dup); expect = Some(i as u64 + 1); }
            _ => {
                // Truncation: the final checkpoint covers the removed tail.
                t.truncate(i);
            }
        }
        let err = verify_entries(&t, ChainState::empty(), &log.checkpoints, Some(&pk));
        prop_assert!(err.is_err());
        let err = err.unwrap_err();
        prop_assert_eq!(err.seq(), expect, "{}", err);
    }
}

#[test]
fn digest_zero_is_genesis() {
    let log = build_log(vec![crate::common::simple_event(0)], &[]);
    assert_eq!(log.entries[0].prev_hash, Digest::ZERO);
}
