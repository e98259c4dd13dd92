//! Re-checking a run of entries: seq contiguity, prev-hash links, entry hashes, and the
//! Merkle roots that signed checkpoints claim.
//!
//! [`Verifier`] is the streaming core (constant memory apart from optional kept leaf
//! hashes) shared by [`verify_entries`] and the export verifier. It stops at the first
//! problem and names the entry; it never trusts a stored hash it can recompute. It reads no
//! files and knows nothing of the export format.

use serde::{Deserialize, Serialize};

use crate::canonical::encode_event_into;
use crate::chain::{hash_canonical, ChainState};
use crate::merkle::{leaf_hash, CompactTree};
use crate::{Checkpoint, Digest, LedgerEntry, PublicKey, VerifyError};

/// What a successful verification covered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifySummary {
    /// Seq of the first verified entry.
    pub from_seq: u64,
    /// Number of entries verified.
    pub entries: u64,
    /// Tree size after them (`from_seq + entries`).
    pub tree_size: u64,
    /// Hash of the last entry (the start's prev hash if there were none).
    pub head: Digest,
    /// Merkle root of the whole tree of `tree_size` entries.
    pub root: Digest,
    /// Checkpoints whose signature and root were verified.
    pub checkpoints_verified: u64,
    /// Entries after the largest verified checkpoint: a truncation of these would not be
    /// detectable from the data alone.
    pub uncovered_tail: u64,
}

/// Streaming verifier: feed entries in order, check checkpoints as their size is reached.
#[derive(Debug, Clone)]
pub struct Verifier {
    from_seq: u64,
    head: Digest,
    tree: CompactTree,
    buf: Vec<u8>,
    keep_leaves: bool,
    leaves: Vec<Digest>,
    checkpoints_verified: u64,
    covered: u64,
}

impl Verifier {
    /// Starts after `start`: `start.size` entries precede, the last with hash `start.head`,
    /// and `start.frontier` is the Merkle frontier of those entries. For a whole log use
    /// `ChainState::empty()`.
    pub fn new(start: ChainState) -> Result<Self, VerifyError> {
        if start.size == 0 && start.head != Digest::ZERO {
            return Err(VerifyError::BadStart(
                "a log starting at seq 0 must have a zero prev hash".into(),
            ));
        }
        let from_seq = start.size;
        let tree = CompactTree::from_frontier(start.size, start.frontier)
            .map_err(|e| VerifyError::BadStart(e.to_string()))?;
        Ok(Verifier {
            from_seq,
            head: start.head,
            tree,
            buf: Vec::with_capacity(512),
            keep_leaves: false,
            leaves: Vec::new(),
            checkpoints_verified: 0,
            covered: from_seq,
        })
    }

    /// Also keep the leaf hash of every verified entry, for checking inclusion proofs
    /// ([`Verifier::leaf`]); 32 bytes per entry.
    pub fn keep_leaves(mut self) -> Self {
        self.keep_leaves = true;
        self
    }

    /// Number of entries so far, preceding ones included (= next seq = tree size).
    pub fn size(&self) -> u64 {
        self.tree.size()
    }

    /// Seq of the first entry this verifier checks.
    pub fn from_seq(&self) -> u64 {
        self.from_seq
    }

    /// Hash of the last entry.
    pub fn head(&self) -> Digest {
        self.head
    }

    /// Merkle root of all entries so far.
    pub fn root(&self) -> Digest {
        self.tree.root()
    }

    /// The leaf hash of entry `seq`, if it was verified here and leaves are kept.
    pub fn leaf(&self, seq: u64) -> Option<Digest> {
        let i = usize::try_from(seq.checked_sub(self.from_seq)?).ok()?;
        self.leaves.get(i).copied()
    }

    /// Checks the next entry.
    pub fn push(&mut self, entry: &LedgerEntry) -> Result<(), VerifyError> {
        let seq = self.expect_seq(entry.event.seq)?;
        let mut buf = std::mem::take(&mut self.buf);
        buf.clear();
        let encoded = encode_event_into(&entry.event, &mut buf);
        let result = encoded
            .map_err(|e| VerifyError::BadEntry {
                seq,
                reason: e.to_string(),
            })
            .and_then(|()| self.push_canonical(seq, &entry.prev_hash, &entry.entry_hash, &buf));
        self.buf = buf;
        result
    }

    fn expect_seq(&self, found: i64) -> Result<u64, VerifyError> {
        let expected = self.tree.size();
        if u64::try_from(found).ok() != Some(expected) {
            return Err(VerifyError::SeqGap { expected, found });
        }
        Ok(expected)
    }

    /// Checks the next entry given its seq, hashes and the canonical event bytes as stored
    /// (for stores that keep the signed bytes: no decoding or re-encoding needed).
    pub fn push_canonical(
        &mut self,
        seq: u64,
        prev_hash: &Digest,
        entry_hash: &Digest,
        canonical: &[u8],
    ) -> Result<(), VerifyError> {
        if seq != self.tree.size() {
            return Err(VerifyError::SeqGap {
                expected: self.tree.size(),
                found: i64::try_from(seq).unwrap_or(i64::MAX),
            });
        }
        if *prev_hash != self.head {
            return Err(VerifyError::BrokenLink { seq });
        }
        if hash_canonical(prev_hash, canonical) != *entry_hash {
            return Err(VerifyError::HashMismatch { seq });
        }
        self.head = *entry_hash;
        let leaf = leaf_hash(&entry_hash.0);
        self.tree.push_leaf_hash(leaf);
        if self.keep_leaves {
            self.leaves.push(leaf);
        }
        Ok(())
    }

    /// Checks a checkpoint for exactly the entries so far: signature (when `key` is given)
    /// and root.
    pub fn check_checkpoint(
        &mut self,
        cp: &Checkpoint,
        key: Option<&PublicKey>,
    ) -> Result<(), VerifyError> {
        if let Some(key) = key {
            key.verify_checkpoint(cp)?;
        }
        let size = self.tree.size();
        if cp.tree_size > size {
            return Err(VerifyError::Truncated {
                missing_seq: size,
                tree_size: cp.tree_size,
            });
        }
        if cp.tree_size < size {
            return Err(VerifyError::BadCheckpoint {
                size: cp.tree_size,
                reason: format!(
                    "checked after {size} entries; it must follow entry {}",
                    cp.tree_size.saturating_sub(1)
                ),
            });
        }
        if cp.root_hash != self.tree.root() {
            return Err(VerifyError::BadCheckpoint {
                size: cp.tree_size,
                reason: "root hash does not match the entries".into(),
            });
        }
        self.checkpoints_verified += 1;
        self.covered = self.covered.max(cp.tree_size);
        Ok(())
    }

    /// The summary so far.
    pub fn summary(&self) -> VerifySummary {
        let tree_size = self.tree.size();
        VerifySummary {
            from_seq: self.from_seq,
            entries: tree_size - self.from_seq,
            tree_size,
            head: self.head,
            root: self.tree.root(),
            checkpoints_verified: self.checkpoints_verified,
            uncovered_tail: if self.checkpoints_verified == 0 {
                tree_size - self.from_seq
            } else {
                tree_size - self.covered
            },
        }
    }
}

/// Verifies `entries` (in order, starting right after `start`) and the `checkpoints` whose
/// size falls within them (`start.size ..= start.size + entries.len()`), with `key` if given
/// (without a key only roots are compared). A checkpoint beyond the last entry means the log
/// was truncated; one before `start.size` cannot be checked here (use a consistency proof)
/// and is an error.
pub fn verify_entries<'a>(
    entries: impl IntoIterator<Item = &'a LedgerEntry>,
    start: ChainState,
    checkpoints: &[Checkpoint],
    key: Option<&PublicKey>,
) -> Result<VerifySummary, VerifyError> {
    let mut v = Verifier::new(start)?;
    let mut cps: Vec<&Checkpoint> = checkpoints.iter().collect();
    cps.sort_by_key(|c| (c.tree_size, c.time));
    let mut next = cps.into_iter().peekable();
    while let Some(cp) = next.next_if(|c| c.tree_size <= v.size()) {
        v.check_checkpoint(cp, key)?;
    }
    for e in entries {
        v.push(e)?;
        while let Some(cp) = next.next_if(|c| c.tree_size <= v.size()) {
            v.check_checkpoint(cp, key)?;
        }
    }
    if let Some(cp) = next.next() {
        return Err(VerifyError::Truncated {
            missing_seq: v.size(),
            tree_size: cp.tree_size,
        });
    }
    Ok(v.summary())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Chain, SigningKey};
    use airm_core::{Actor, AuditEvent, Outcome, Timestamp};

    fn ev(i: i64) -> AuditEvent {
        AuditEvent {
            seq: 0,
            time: Timestamp(1_700_000_000_000 + i),
            actor: Actor::system("test"),
            action: "test.verify".into(),
            target: None,
            outcome: Outcome::Denied,
            details: serde_json::json!({ "n": i, "f": 0.5 }),
            request_id: Some(format!("req-{i}")),
        }
    }

    fn log(n: i64) -> (Vec<LedgerEntry>, Vec<Checkpoint>, SigningKey) {
        let key = SigningKey::from_seed([1; 32]);
        let mut c = Chain::new();
        let mut cps = Vec::new();
        let mut entries = Vec::new();
        for i in 0..n {
            entries.push(c.append(ev(i)).unwrap());
            if i % 4 == 3 || i == n - 1 {
                cps.push(key.sign_checkpoint(c.size(), c.root(), Timestamp(i)));
            }
        }
        (entries, cps, key)
    }

    #[test]
    fn untouched_verifies() {
        let (entries, cps, key) = log(10);
        let s =
            verify_entries(&entries, ChainState::empty(), &cps, Some(&key.public_key())).unwrap();
        assert_eq!(s.entries, 10);
        assert_eq!(s.checkpoints_verified, 3);
        assert_eq!(s.uncovered_tail, 0);
    }

    #[test]
    fn names_the_bad_entry() {
        let (entries, cps, key) = log(10);
        let pk = key.public_key();
        let run = |e: &[LedgerEntry]| verify_entries(e, ChainState::empty(), &cps, Some(&pk));

        let mut t = entries.clone();
        t[4].event.action.push('x');
        assert!(matches!(run(&t), Err(VerifyError::HashMismatch { seq: 4 })));

        let mut t = entries.clone();
        t[4].prev_hash = Digest::ZERO;
        assert!(matches!(run(&t), Err(VerifyError::BrokenLink { seq: 4 })));

        let mut t = entries.clone();
        t.remove(6);
        assert!(matches!(
            run(&t),
            Err(VerifyError::SeqGap {
                expected: 6,
                found: 7
            })
        ));

        let mut t = entries.clone();
        t.swap(2, 3);
        assert!(matches!(
            run(&t),
            Err(VerifyError::SeqGap {
                expected: 2,
                found: 3
            })
        ));

        let t = &entries[..8];
        assert!(matches!(
            run(t),
            Err(VerifyError::Truncated {
                missing_seq: 8,
                tree_size: 10
            })
        ));

        // A consistent rewrite of the whole chain is caught by the signed checkpoint.
        let mut c = Chain::new();
        let forged: Vec<_> = (0..10)
            .map(|i| {
                let mut e = ev(i);
                if i == 5 {
                    e.outcome = Outcome::Success;
                }
                c.append(e).unwrap()
            })
            .collect();
        assert!(matches!(
            run(&forged),
            Err(VerifyError::BadCheckpoint { size: 8, .. })
        ));
    }

    #[test]
    fn resumes_from_a_middle_state() {
        let (entries, cps, key) = log(10);
        let leaves: Vec<_> = entries.iter().map(LedgerEntry::leaf_hash).collect();
        let tree = CompactTree::from_source(&leaves, 5).unwrap();
        let start = ChainState {
            size: 5,
            head: entries[4].entry_hash,
            frontier: tree.frontier().to_vec(),
        };
        let later: Vec<_> = cps.iter().filter(|c| c.tree_size >= 5).cloned().collect();
        let s = verify_entries(
            &entries[5..],
            start.clone(),
            &later,
            Some(&key.public_key()),
        )
        .unwrap();
        assert_eq!((s.from_seq, s.entries, s.tree_size), (5, 5, 10));
        assert!(verify_entries(&entries[5..], start, &cps, Some(&key.public_key())).is_err());
    }
}
