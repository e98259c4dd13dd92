//! Operations on the stored activity log that both the server and the CLI need: signing a
//! checkpoint of the current head, verifying the whole stored log (streaming, constant
//! memory), proving that an entry is in a checkpointed tree, and exporting for offline
//! verification. The cryptography lives in `airm-ledger`; this module only feeds it rows.

use std::collections::VecDeque;
use std::io::Write;

use airm_core::Timestamp;
use airm_ledger::{
    merkle::{consistency_proof, inclusion_proof},
    Chain, ChainState, Checkpoint, ConsistencyProof, Digest, InclusionProof, LedgerEntry,
    PublicKey, SigningKey, Verifier, VerifyError, VerifySummary,
};

use crate::{DynStore, RawEntry, Result, StoreError};

/// Rows read per round trip while streaming the log.
const CHUNK: u32 = 10_000;
/// Chunks read ahead of the verifier.
const READ_AHEAD: usize = 4;

/// The signed checkpoint of the current head: the latest stored checkpoint if it already
/// covers every entry, otherwise a new one. `None` for an empty log.
pub async fn checkpoint_now(store: &DynStore, key: &SigningKey) -> Result<Option<Checkpoint>> {
    let state = store.ledger_state().await?;
    if state.size == 0 {
        return Ok(None);
    }
    if let Some(last) = store.checkpoints().await?.pop() {
        if last.tree_size == state.size {
            return Ok(Some(last));
        }
    }
    let root = Chain::resume(state.clone())?.root();
    let cp = key.sign_checkpoint(state.size, root, Timestamp::now());
    store.add_checkpoint(&cp).await?;
    Ok(Some(cp))
}

/// Why a stored log failed verification.
#[derive(Debug, thiserror::Error)]
pub enum AuditFailure {
    /// The entries or checkpoints do not verify; names the first bad entry.
    #[error(transparent)]
    Tampered(#[from] VerifyError),
    /// The chain head says there are more entries than the table holds.
    #[error("the log ends at entry {found} but its head records {expected} entries: entries were removed")]
    MissingTail {
        /// Entries found.
        found: u64,
        /// Entries the head records.
        expected: u64,
    },
    /// The head's hash does not match the last entry.
    #[error("the chain head does not match entry {seq}")]
    HeadMismatch {
        /// The last entry.
        seq: u64,
    },
    /// An entry's searchable columns were changed after it was signed.
    #[error("entry {seq}: its stored columns (time, actor, action, target, outcome or link to the previous entry) differ from the signed entry")]
    IndexMismatch {
        /// The first such entry.
        seq: u64,
    },
    /// The store could not be read.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Verifies every stored entry from seq 0, every stored checkpoint (signature with `key`
/// when given, root always), and that the chain head matches the last entry.
pub async fn verify_store(
    store: &DynStore,
    key: Option<&PublicKey>,
) -> std::result::Result<VerifySummary, AuditFailure> {
    verify_store_from(store, key, None).await
}

/// Like [`verify_store`], but starting at the signed checkpoint of `from_checkpoint`
/// entries: that checkpoint's signature and root are checked against the stored entry
/// hashes, then every later entry and checkpoint is verified in full.
pub async fn verify_store_from(
    store: &DynStore,
    key: Option<&PublicKey>,
    from_checkpoint: Option<u64>,
) -> std::result::Result<VerifySummary, AuditFailure> {
    let all = store.checkpoints().await?;
    let head = store.ledger_state().await?;
    let start = match from_checkpoint {
        None | Some(0) => ChainState::empty(),
        Some(size) => {
            let cp =
                all.iter()
                    .find(|c| c.tree_size == size)
                    .ok_or_else(|| StoreError::NotFound {
                        what: "checkpoint of tree size",
                        key: size.to_string(),
                    })?;
            if let Some(k) = key {
                k.verify_checkpoint(cp)?;
            }
            let leaves = store.leaf_hashes(0, size).await?;
            if leaves.len() as u64 != size {
                return Err(VerifyError::Truncated {
                    missing_seq: leaves.len() as u64,
                    tree_size: size,
                }
                .into());
            }
            let tree =
                airm_ledger::CompactTree::from_source(&leaves, size).map_err(StoreError::from)?;
            if tree.root() != cp.root_hash {
                return Err(VerifyError::BadCheckpoint {
                    size,
                    reason: "root hash does not match the stored entries".into(),
                }
                .into());
            }
            let last = store
                .ledger_entries(size - 1, 1)
                .await?
                .into_iter()
                .next()
                .ok_or_else(|| StoreError::NotFound {
                    what: "entry",
                    key: (size - 1).to_string(),
                })?;
            ChainState {
                size,
                head: last.entry_hash,
                frontier: tree.frontier().to_vec(),
            }
        }
    };
    // The search-column check runs in the database meanwhile (its own connection).
    let index_check = {
        let s = store.clone();
        tokio::spawn(async move { s.first_index_mismatch().await })
    };
    let start_size = start.size;
    let mut cps = all
        .into_iter()
        .filter(|c| c.tree_size > start_size)
        .peekable();
    let mut v = Verifier::new(start)?;
    // Read chunks ahead in parallel (decoding rows is most of the cost) while verifying
    // in order on this task.
    let end = head.size;
    let mut next_read = v.size();
    let mut inflight: VecDeque<tokio::task::JoinHandle<Result<Vec<RawEntry>>>> = VecDeque::new();
    loop {
        while inflight.len() < READ_AHEAD && next_read < end {
            let (s, from) = (store.clone(), next_read);
            inflight.push_back(tokio::spawn(
                async move { s.raw_entries(from, CHUNK).await },
            ));
            next_read += u64::from(CHUNK);
        }
        let Some(task) = inflight.pop_front() else {
            break;
        };
        let rows = task
            .await
            .map_err(|e| StoreError::LogWriter(format!("reader task failed: {e}")))??;
        for e in &rows {
            push_raw(&mut v, e)?;
            while let Some(cp) = cps.next_if(|c| c.tree_size <= v.size()) {
                v.check_checkpoint(&cp, key)?;
            }
        }
        if rows.len() < CHUNK as usize {
            break;
        }
    }
    for t in inflight {
        t.abort();
    }
    if let Some(cp) = cps.next() {
        return Err(VerifyError::Truncated {
            missing_seq: v.size(),
            tree_size: cp.tree_size,
        }
        .into());
    }
    // The log may grow while it is verified: read to the end, then compare with the head
    // (read after the entries, so it covers at least every entry seen).
    loop {
        let rows = store.raw_entries(v.size(), CHUNK).await?;
        for e in &rows {
            push_raw(&mut v, e)?;
        }
        let head = store.ledger_state().await?;
        if head.size == v.size() {
            if head.head != v.head() {
                return Err(AuditFailure::HeadMismatch {
                    seq: v.size().saturating_sub(1),
                });
            }
            break;
        }
        if head.size < v.size() {
            return Err(AuditFailure::HeadMismatch { seq: head.size });
        }
        if rows.is_empty() {
            return Err(AuditFailure::MissingTail {
                found: v.size(),
                expected: head.size,
            });
        }
    }
    let mismatch = index_check
        .await
        .map_err(|e| StoreError::LogWriter(format!("index check failed: {e}")))??;
    if let Some(seq) = mismatch {
        return Err(AuditFailure::IndexMismatch {
            seq: u64::try_from(seq).unwrap_or(0),
        });
    }
    Ok(v.summary())
}

/// Feeds one stored entry to the verifier: its hashes and exact signed bytes.
fn push_raw(v: &mut Verifier, e: &RawEntry) -> std::result::Result<(), AuditFailure> {
    let seq = u64::try_from(e.seq).map_err(|_| VerifyError::SeqGap {
        expected: v.size(),
        found: e.seq,
    })?;
    if seq != v.size() {
        return Err(VerifyError::SeqGap {
            expected: v.size(),
            found: e.seq,
        }
        .into());
    }
    let hash = Digest(e.entry_hash.ok_or_else(|| VerifyError::BadEntry {
        seq,
        reason: "stored entry_hash is not a 64-digit hex hash".into(),
    })?);
    let prev = v.head();
    v.push_canonical(seq, &prev, &hash, e.canonical.as_bytes())?;
    Ok(())
}

/// An entry with the proof that it is in the tree of a signed checkpoint.
#[derive(Debug, Clone, serde::Serialize)]
pub struct EntryProof {
    /// The entry.
    pub entry: LedgerEntry,
    /// The checkpoint the proof is against.
    pub checkpoint: Checkpoint,
    /// RFC 6962 audit path.
    pub inclusion_proof: InclusionProof,
}

/// Proves entry `seq` against the checkpoint of `tree_size` (default: the smallest stored
/// checkpoint covering it).
pub async fn prove_entry(store: &DynStore, seq: u64, tree_size: Option<u64>) -> Result<EntryProof> {
    let cps = store.checkpoints().await?;
    let cp = cps
        .into_iter()
        .find(|c| c.tree_size > seq && tree_size.is_none_or(|t| t == c.tree_size))
        .ok_or_else(|| StoreError::NotFound {
            what: "checkpoint covering entry",
            key: seq.to_string(),
        })?;
    let entry = store
        .ledger_entries(seq, 1)
        .await?
        .into_iter()
        .find(|e| e.event.seq == seq as i64)
        .ok_or_else(|| StoreError::NotFound {
            what: "entry",
            key: seq.to_string(),
        })?;
    let leaves = store.leaf_hashes(0, cp.tree_size).await?;
    let proof = inclusion_proof(&leaves, seq, cp.tree_size)?;
    Ok(EntryProof {
        entry,
        checkpoint: cp,
        inclusion_proof: proof,
    })
}

/// Proves that the checkpoint of `old_size` is a prefix of the one of `new_size`.
pub async fn prove_consistency(
    store: &DynStore,
    old_size: u64,
    new_size: u64,
) -> Result<ConsistencyProof> {
    let leaves = store.leaf_hashes(0, new_size).await?;
    Ok(consistency_proof(&leaves, old_size, new_size)?)
}

/// Writes an export (`airm-ledger-export/v1`, JSON Lines) of the entries from `from_seq`
/// on, with every checkpoint they reach and inclusion proofs of the first and last entry,
/// verifiable offline with the public key. Returns the number of entries written.
pub async fn export<W: Write>(
    store: &DynStore,
    key: &SigningKey,
    from_seq: u64,
    out: W,
) -> Result<u64> {
    let state = store.ledger_state().await?;
    let from_seq = from_seq.min(state.size);
    let leaves: Vec<Digest> = store.leaf_hashes(0, state.size).await?;
    let checkpoints: Vec<Checkpoint> = store
        .checkpoints()
        .await?
        .into_iter()
        .filter(|c| c.tree_size >= from_seq)
        .collect();
    let prev_hash = match from_seq.checked_sub(1) {
        None => Digest::ZERO,
        Some(prev) => store
            .ledger_entries(prev, 1)
            .await?
            .first()
            .map(|e| e.entry_hash)
            .ok_or_else(|| StoreError::NotFound {
                what: "entry",
                key: prev.to_string(),
            })?,
    };
    let mut entries = Vec::new();
    let mut next = from_seq;
    while next < state.size {
        let rows = store.ledger_entries(next, CHUNK).await?;
        let Some(last) = rows.last() else { break };
        next = u64::try_from(last.event.seq)
            .unwrap_or(u64::MAX)
            .saturating_add(1);
        entries.extend(rows);
    }
    let n = entries.len() as u64;
    // Inclusion proofs of the first and last exported entries that a checkpoint covers.
    let covered = checkpoints.last().map_or(0, |c| c.tree_size);
    let mut prove = Vec::new();
    if n > 0 && covered > from_seq {
        prove.push(from_seq);
        prove.push((from_seq + n - 1).min(covered - 1));
    }
    prove.dedup();
    airm_ledger::export_log(
        out,
        &key.public_key(),
        &leaves,
        from_seq,
        prev_hash,
        entries,
        &checkpoints,
        &prove,
    )?;
    Ok(n)
}
