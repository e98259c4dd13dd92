//! The hash chain: each entry commits to the one before it.
//!
//! `entry_hash = SHA-256(ENTRY_DOMAIN || prev_hash || canonical(event))`, where
//! [`ENTRY_DOMAIN`] is the ASCII text `airm-ledger/v1/entry` followed by one 0x00 byte (21 bytes),
//! `prev_hash` is the 32 raw bytes of the previous entry's hash ([`Digest::ZERO`] for seq 0)
//! and `canonical(event)` is [`crate::canonical::encode_event`]. The domain tag keeps entry
//! hashes apart from Merkle leaf (0x00) and node (0x01) hashes and versions the format.
//!
//! [`Chain`] appends events in memory, assigns seqs and keeps the Merkle frontier so the
//! caller always knows the head hash and the tree root. It stores nothing: the caller
//! persists the returned [`LedgerEntry`] and, to resume, the [`ChainState`].

use airm_core::AuditEvent;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::canonical::encode_event_into;
use crate::merkle::{leaf_hash, CompactTree};
use crate::{Digest, Error};

/// Domain tag hashed before every entry: `b"airm-ledger/v1/entry\0"`.
pub const ENTRY_DOMAIN: &[u8] = b"airm-ledger/v1/entry\0";

/// One entry of the log: the event and the two hashes that chain it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LedgerEntry {
    /// The event; `event.seq` is the entry's position (and Merkle leaf index).
    pub event: AuditEvent,
    /// The previous entry's hash ([`Digest::ZERO`] for seq 0).
    pub prev_hash: Digest,
    /// `SHA-256(ENTRY_DOMAIN || prev_hash || canonical(event))`.
    pub entry_hash: Digest,
}

impl LedgerEntry {
    /// The entry's seq as an unsigned position (errors on a negative seq).
    pub fn seq(&self) -> Result<u64, Error> {
        u64::try_from(self.event.seq)
            .map_err(|_| Error::Encode(format!("negative seq {}", self.event.seq)))
    }

    /// Its Merkle leaf hash: `SHA-256(0x00 || entry_hash)`.
    pub fn leaf_hash(&self) -> Digest {
        leaf_hash(&self.entry_hash.0)
    }

    /// Seals `event` after an entry whose hash is `prev_hash` ([`Digest::ZERO`] for seq 0):
    /// computes the entry hash. For stores that append inside a database transaction
    /// (read the last entry, set `event.seq` to its seq + 1, seal, insert) instead of
    /// keeping a [`Chain`] in memory.
    pub fn seal(event: AuditEvent, prev_hash: Digest) -> Result<LedgerEntry, Error> {
        let entry_hash = entry_hash(&prev_hash, &event)?;
        Ok(LedgerEntry {
            event,
            prev_hash,
            entry_hash,
        })
    }

    /// Recomputes the entry hash from the event and `prev_hash` (ignores `entry_hash`).
    pub fn compute_hash(&self) -> Result<Digest, Error> {
        entry_hash(&self.prev_hash, &self.event)
    }
}

/// `SHA-256(ENTRY_DOMAIN || prev || canonical(event))`.
pub fn entry_hash(prev: &Digest, event: &AuditEvent) -> Result<Digest, Error> {
    let mut buf = Vec::with_capacity(256);
    encode_event_into(event, &mut buf)?;
    Ok(hash_canonical(prev, &buf))
}

/// The entry hash given the canonical event bytes.
pub(crate) fn hash_canonical(prev: &Digest, canonical: &[u8]) -> Digest {
    let mut h = Sha256::new();
    h.update(ENTRY_DOMAIN);
    h.update(prev.0);
    h.update(canonical);
    Digest(h.finalize().into())
}

/// What a caller must persist to resume a chain: the number of entries, the last entry's
/// hash and the Merkle frontier (at most 64 hashes; see [`CompactTree::from_frontier`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChainState {
    /// Number of entries (= next seq = tree size).
    pub size: u64,
    /// Hash of the last entry, [`Digest::ZERO`] when empty.
    pub head: Digest,
    /// Merkle frontier of the `size` leaves.
    pub frontier: Vec<Digest>,
}

impl ChainState {
    /// The state of an empty log.
    pub fn empty() -> Self {
        ChainState {
            size: 0,
            head: Digest::ZERO,
            frontier: Vec::new(),
        }
    }
}

/// An append-only chain builder: assigns seqs, links hashes, maintains the Merkle root.
#[derive(Debug, Clone, Default)]
pub struct Chain {
    head: Digest,
    tree: CompactTree,
    buf: Vec<u8>,
}

impl Chain {
    /// An empty log (next seq 0, head [`Digest::ZERO`]).
    pub fn new() -> Self {
        Chain::default()
    }

    /// Resumes from persisted state.
    pub fn resume(state: ChainState) -> Result<Self, Error> {
        if state.size == 0 && state.head != Digest::ZERO {
            return Err(Error::Proof("an empty chain must have a zero head".into()));
        }
        Ok(Chain {
            head: state.head,
            tree: CompactTree::from_frontier(state.size, state.frontier)?,
            buf: Vec::new(),
        })
    }

    /// Rebuilds the state by replaying stored entries from seq 0, checking each link and hash
    /// (what a store does once at start-up if it did not persist the state).
    pub fn replay<'a>(entries: impl IntoIterator<Item = &'a LedgerEntry>) -> Result<Self, Error> {
        let mut chain = Chain::new();
        for e in entries {
            let appended = chain.append_checked(e.event.clone())?;
            if appended.prev_hash != e.prev_hash || appended.entry_hash != e.entry_hash {
                return Err(Error::Encode(format!(
                    "stored entry {} does not match its recomputed hash",
                    e.event.seq
                )));
            }
        }
        Ok(chain)
    }

    /// The persistable state.
    pub fn state(&self) -> ChainState {
        ChainState {
            size: self.tree.size(),
            head: self.head,
            frontier: self.tree.frontier().to_vec(),
        }
    }

    /// Number of entries, which is also the next seq.
    pub fn size(&self) -> u64 {
        self.tree.size()
    }

    /// The last entry's hash ([`Digest::ZERO`] when empty).
    pub fn head(&self) -> Digest {
        self.head
    }

    /// The current Merkle root (tree head).
    pub fn root(&self) -> Digest {
        self.tree.root()
    }

    /// The Merkle tree state.
    pub fn tree(&self) -> &CompactTree {
        &self.tree
    }

    /// Appends `event`, overwriting its `seq` with the next position.
    pub fn append(&mut self, mut event: AuditEvent) -> Result<LedgerEntry, Error> {
        event.seq =
            i64::try_from(self.tree.size()).map_err(|_| Error::Encode("log is full".into()))?;
        self.push(event)
    }

    /// Appends `event`, which must already carry the next seq.
    pub fn append_checked(&mut self, event: AuditEvent) -> Result<LedgerEntry, Error> {
        let expected = self.tree.size();
        if u64::try_from(event.seq).ok() != Some(expected) {
            return Err(Error::OutOfOrder {
                expected,
                found: event.seq,
            });
        }
        self.push(event)
    }

    fn push(&mut self, event: AuditEvent) -> Result<LedgerEntry, Error> {
        self.buf.clear();
        encode_event_into(&event, &mut self.buf)?;
        let prev_hash = self.head;
        let entry_hash = hash_canonical(&prev_hash, &self.buf);
        self.head = entry_hash;
        self.tree.push_leaf_hash(leaf_hash(&entry_hash.0));
        Ok(LedgerEntry {
            event,
            prev_hash,
            entry_hash,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use airm_core::{Actor, Outcome, Timestamp};

    pub(crate) fn ev(i: i64) -> AuditEvent {
        AuditEvent {
            seq: 999,
            time: Timestamp(1_700_000_000_000 + i),
            actor: Actor::system("test"),
            action: "test.append".into(),
            target: Some(format!("t{i}")),
            outcome: Outcome::Success,
            details: serde_json::json!({ "i": i }),
            request_id: None,
        }
    }

    #[test]
    fn links_and_seqs() {
        let mut c = Chain::new();
        let a = c.append(ev(0)).unwrap();
        let b = c.append(ev(1)).unwrap();
        assert_eq!(a.event.seq, 0);
        assert_eq!(b.event.seq, 1);
        assert_eq!(a.prev_hash, Digest::ZERO);
        assert_eq!(b.prev_hash, a.entry_hash);
        assert_eq!(b.compute_hash().unwrap(), b.entry_hash);
        assert_eq!(c.head(), b.entry_hash);
        assert_eq!(
            c.root(),
            crate::merkle::root_of(&[a.leaf_hash(), b.leaf_hash()])
        );
        let mut wrong = ev(2);
        wrong.seq = 5;
        assert!(matches!(
            c.append_checked(wrong),
            Err(Error::OutOfOrder {
                expected: 2,
                found: 5
            })
        ));
    }

    #[test]
    fn resume_and_replay_match() {
        let mut c = Chain::new();
        let entries: Vec<_> = (0..10).map(|i| c.append(ev(i)).unwrap()).collect();
        let mut r = Chain::resume(c.state()).unwrap();
        let mut r2 = Chain::replay(&entries).unwrap();
        let x = c.append(ev(10)).unwrap();
        assert_eq!(r.append(ev(10)).unwrap(), x);
        assert_eq!(r2.append(ev(10)).unwrap(), x);
        assert_eq!(r.root(), c.root());
        let mut bad = entries.clone();
        bad[3].event.action.push('!');
        assert!(Chain::replay(&bad).is_err());
    }

    #[test]
    fn known_entry_hash() {
        // Pinned so that an accidental change of the format is caught.
        let mut e = ev(0);
        e.seq = 0;
        let h = entry_hash(&Digest::ZERO, &e).unwrap();
        let mut manual = ENTRY_DOMAIN.to_vec();
        manual.extend_from_slice(&[0u8; 32]);
        manual.extend_from_slice(br#"{"action":"test.append","actor":{"id":"test","kind":"system"},"details":{"i":0},"outcome":"success","request_id":null,"seq":0,"target":"t0","time_ms":1700000000000}"#);
        assert_eq!(h, Digest::sha256(&manual));
        // The test vector in docs/ledger-format.md.
        assert_eq!(
            h.to_hex(),
            "bcba9c00cea0c02ec059a688456327c9abdb3d8c648dc9bbb39a7bb5efa6fec5"
        );
        assert_eq!(
            leaf_hash(&h.0).to_hex(),
            "d4f578420ee5b2166995c1d1151c59f004d3d72e613fdaa31f65ca18c190b34d"
        );
    }
}
