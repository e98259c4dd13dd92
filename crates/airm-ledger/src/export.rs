//! The JSON Lines export: events, checkpoints and proofs in one file that anyone holding the
//! public key can verify offline.
//!
//! Every line is one JSON object in canonical form (sorted keys, no whitespace — see
//! [`crate::canonical`]) ending in `\n`, at most [`MAX_LINE_BYTES`] long, in this order:
//!
//! 1. `{"type":"header","format":"airm-ledger-export/v1","public_key":"ed25519:…",
//!    "key_id":…,"from_seq":N,"prev_hash":HEX,"frontier":[HEX…]}` — the export starts at
//!    seq `from_seq`; `prev_hash` is the hash of entry `from_seq - 1` (zero for 0) and
//!    `frontier` the Merkle frontier of the first `from_seq` leaves, so roots can be
//!    recomputed without the earlier entries;
//! 2. `checkpoint` lines for trees up to `from_seq` (older checkpoints; each must be tied to
//!    a later verified checkpoint by a consistency proof);
//! 3. `entry` lines `{"entry_hash":HEX,"event":<canonical event>,"prev_hash":HEX,
//!    "type":"entry"}` in seq order, each `checkpoint` line
//!    (`{"key_id","root_hash","signature","time","tree_size","type"}`) right after the entry
//!    that completes its tree, checkpoints in increasing (size, time) order;
//! 4. `inclusion_proof` (`leaf_index`, `tree_size`, `hashes`) then `consistency_proof`
//!    (`old_size`, `new_size`, `hashes`) lines, each sorted by their two sizes, proving
//!    against checkpoints in the file;
//! 5. `{"type":"end","entries":N,"tree_size":M,"checkpoints":C,"inclusion_proofs":I,
//!    "consistency_proofs":K}`, the last line, counting what came before.
//!
//! Because every line must be canonical and in its place, any changed, added, removed or
//! moved byte or line fails verification, with the line number and, for entries, the seq.
//! Truncation is caught by the end line and, against a deliberate attacker, only by a
//! checkpoint that covers the tail ([`ExportSummary::uncovered_tail`] says how many entries
//! none covers). Reading is bounded and never panics. This module does no file opening: it
//! reads and writes the streams it is given.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};

use serde::{Deserialize, Serialize};

use crate::canonical::{check_event_bytes, encode_event_into, encode_json};
use crate::chain::ChainState;
use crate::merkle::{
    consistency_proof, inclusion_proof, verify_consistency, verify_inclusion, CompactTree,
    LeafSource,
};
use crate::{
    Checkpoint, ConsistencyProof, Digest, Error, InclusionProof, LedgerEntry, PublicKey, Verifier,
    VerifyError,
};

/// The `format` value of the header line.
pub const EXPORT_FORMAT: &str = "airm-ledger-export/v1";

/// Longest accepted line, newline included (1 MiB).
pub const MAX_LINE_BYTES: usize = 1 << 20;

const ENTRY_PREFIX: &[u8] = b"{\"entry_hash\":\"";
const ENTRY_EVENT: &[u8] = b"\",\"event\":";
const ENTRY_PREV: &[u8] = b",\"prev_hash\":\"";
const ENTRY_END: &[u8] = b"\",\"type\":\"entry\"}";

/// Splits a canonically laid out entry line into (entry hash text, event bytes, prev hash
/// text); `None` if the fixed parts are not where canonical form puts them.
fn split_entry_line(line: &[u8]) -> Option<(&str, &[u8], &str)> {
    let rest = line.strip_prefix(ENTRY_PREFIX)?;
    let (entry_hex, rest) = rest.split_at_checked(64)?;
    let rest = rest.strip_prefix(ENTRY_EVENT)?;
    let tail_len = ENTRY_PREV.len() + 64 + ENTRY_END.len();
    let (event, tail) = rest.split_at_checked(rest.len().checked_sub(tail_len)?)?;
    let (prev_hex, end) = tail.strip_prefix(ENTRY_PREV)?.split_at_checked(64)?;
    if end != ENTRY_END {
        return None;
    }
    let entry_hex = std::str::from_utf8(entry_hex).ok()?;
    let prev_hex = std::str::from_utf8(prev_hex).ok()?;
    Some((entry_hex, event, prev_hex))
}

/// The first line of an export.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportHeader {
    /// Always [`EXPORT_FORMAT`].
    pub format: String,
    /// The key that signed the checkpoints (informational: the verifier is given the key it
    /// trusts and refuses a different one).
    pub public_key: PublicKey,
    /// Its key id.
    pub key_id: String,
    /// Seq of the first entry in the export.
    pub from_seq: u64,
    /// Hash of entry `from_seq - 1` (zero when `from_seq` is 0).
    pub prev_hash: Digest,
    /// Merkle frontier of the first `from_seq` leaves (one hash per set bit, largest first).
    pub frontier: Vec<Digest>,
}

impl ExportHeader {
    /// A header for an export that continues after `start` (use `ChainState::empty()` for
    /// a whole log).
    pub fn new(public_key: &PublicKey, start: ChainState) -> Self {
        ExportHeader {
            format: EXPORT_FORMAT.to_string(),
            public_key: *public_key,
            key_id: public_key.key_id(),
            from_seq: start.size,
            prev_hash: start.head,
            frontier: start.frontier,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct EndLine {
    entries: u64,
    tree_size: u64,
    checkpoints: u64,
    inclusion_proofs: u64,
    consistency_proofs: u64,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Line {
    Header(Box<ExportHeader>),
    Checkpoint(Checkpoint),
    InclusionProof(InclusionProof),
    ConsistencyProof(ConsistencyProof),
    End(EndLine),
}

/// Just enough of a non-canonical entry line to name its entry in the error.
#[derive(Deserialize)]
struct EntryLineIn {
    event: SeqOnly,
}

#[derive(Deserialize)]
struct SeqOnly {
    seq: i64,
}

/// Writes the canonical entry line (without newline) into `out`; returns the range of the
/// canonical event bytes within it.
fn entry_line(entry: &LedgerEntry, out: &mut Vec<u8>) -> Result<std::ops::Range<usize>, Error> {
    out.clear();
    out.extend_from_slice(ENTRY_PREFIX);
    entry.entry_hash.write_hex(out);
    out.extend_from_slice(ENTRY_EVENT);
    let start = out.len();
    encode_event_into(&entry.event, out)?;
    let end = out.len();
    out.extend_from_slice(ENTRY_PREV);
    entry.prev_hash.write_hex(out);
    out.extend_from_slice(ENTRY_END);
    Ok(start..end)
}

/// Streaming writer of an export. Call in file order: [`ExportWriter::new`] (header),
/// checkpoints and entries interleaved, proofs, then [`ExportWriter::finish`] (end line).
/// It does not re-verify what it is given; [`write_export`] orders things for you.
pub struct ExportWriter<W: Write> {
    out: W,
    buf: Vec<u8>,
    from_seq: u64,
    entries: u64,
    checkpoints: u64,
    inclusion_proofs: u64,
    consistency_proofs: u64,
}

impl<W: Write> ExportWriter<W> {
    /// Writes the header line.
    pub fn new(out: W, header: &ExportHeader) -> Result<Self, Error> {
        let mut w = ExportWriter {
            out,
            buf: Vec::with_capacity(1024),
            from_seq: header.from_seq,
            entries: 0,
            checkpoints: 0,
            inclusion_proofs: 0,
            consistency_proofs: 0,
        };
        w.line(&Line::Header(Box::new(header.clone())))?;
        Ok(w)
    }

    fn line(&mut self, line: &Line) -> Result<(), Error> {
        let mut bytes = encode_json(line)?;
        bytes.push(b'\n');
        self.write_raw(&bytes)
    }

    fn write_raw(&mut self, bytes: &[u8]) -> Result<(), Error> {
        self.out.write_all(bytes).map_err(|source| Error::Io {
            context: "writing export".into(),
            source,
        })
    }

    /// Writes an entry line.
    pub fn entry(&mut self, entry: &LedgerEntry) -> Result<(), Error> {
        let mut buf = std::mem::take(&mut self.buf);
        let r = entry_line(entry, &mut buf).and_then(|_| {
            buf.push(b'\n');
            self.write_raw(&buf)
        });
        self.buf = buf;
        r?;
        self.entries += 1;
        Ok(())
    }

    /// Writes a checkpoint line.
    pub fn checkpoint(&mut self, cp: &Checkpoint) -> Result<(), Error> {
        self.line(&Line::Checkpoint(cp.clone()))?;
        self.checkpoints += 1;
        Ok(())
    }

    /// Writes an inclusion proof line.
    pub fn inclusion_proof(&mut self, p: &InclusionProof) -> Result<(), Error> {
        self.line(&Line::InclusionProof(p.clone()))?;
        self.inclusion_proofs += 1;
        Ok(())
    }

    /// Writes a consistency proof line.
    pub fn consistency_proof(&mut self, p: &ConsistencyProof) -> Result<(), Error> {
        self.line(&Line::ConsistencyProof(p.clone()))?;
        self.consistency_proofs += 1;
        Ok(())
    }

    /// Writes the end line and returns the stream (flushed).
    pub fn finish(mut self) -> Result<W, Error> {
        let end = EndLine {
            entries: self.entries,
            tree_size: self.from_seq + self.entries,
            checkpoints: self.checkpoints,
            inclusion_proofs: self.inclusion_proofs,
            consistency_proofs: self.consistency_proofs,
        };
        self.line(&Line::End(end))?;
        self.out.flush().map_err(|source| Error::Io {
            context: "flushing export".into(),
            source,
        })?;
        Ok(self.out)
    }
}

/// Writes a complete export: header, `checkpoints` placed where their tree size is reached
/// (sorted by size and time; exact duplicates dropped; ones beyond the last entry are
/// refused), `entries` in order, then the proofs sorted as the format requires.
pub fn write_export<W: Write>(
    out: W,
    header: &ExportHeader,
    entries: impl IntoIterator<Item = LedgerEntry>,
    checkpoints: &[Checkpoint],
    inclusion_proofs: &[InclusionProof],
    consistency_proofs: &[ConsistencyProof],
) -> Result<W, Error> {
    let mut cps: Vec<&Checkpoint> = checkpoints.iter().collect();
    cps.sort_by_key(|c| (c.tree_size, c.time));
    cps.dedup();
    let mut cps = cps.into_iter().peekable();
    let mut w = ExportWriter::new(out, header)?;
    let mut size = header.from_seq;
    while let Some(cp) = cps.next_if(|c| c.tree_size <= size) {
        w.checkpoint(cp)?;
    }
    for e in entries {
        w.entry(&e)?;
        size += 1;
        while let Some(cp) = cps.next_if(|c| c.tree_size <= size) {
            w.checkpoint(cp)?;
        }
    }
    if let Some(cp) = cps.next() {
        return Err(Error::Proof(format!(
            "checkpoint for tree size {} is beyond the {size} entries exported",
            cp.tree_size
        )));
    }
    let mut inc: Vec<&InclusionProof> = inclusion_proofs.iter().collect();
    inc.sort_by_key(|p| (p.leaf_index, p.tree_size));
    inc.dedup();
    for p in inc {
        w.inclusion_proof(p)?;
    }
    let mut con: Vec<&ConsistencyProof> = consistency_proofs.iter().collect();
    con.sort_by_key(|p| (p.old_size, p.new_size));
    con.dedup();
    for p in con {
        w.consistency_proof(p)?;
    }
    w.finish()
}

/// Writes the export `airm audit export` needs in one call: entries from `from_seq` (the
/// entry before it has hash `prev_hash`), every checkpoint in `checkpoints` (older ones tied
/// to the newest by consistency proofs), and inclusion proofs of the `prove` seqs in the
/// newest checkpoint's tree. `leaves` must supply the leaf hashes of the whole log up to the
/// newest checkpoint; `entries` must reach at least that checkpoint (sign a fresh checkpoint
/// of the current size first, so the tail is covered).
#[allow(clippy::too_many_arguments)]
pub fn export_log<W: Write, S: LeafSource + ?Sized>(
    out: W,
    public_key: &PublicKey,
    leaves: &S,
    from_seq: u64,
    prev_hash: Digest,
    entries: impl IntoIterator<Item = LedgerEntry>,
    checkpoints: &[Checkpoint],
    prove: &[u64],
) -> Result<W, Error> {
    let tree = CompactTree::from_source(leaves, from_seq)?;
    let start = ChainState {
        size: from_seq,
        head: prev_hash,
        frontier: tree.frontier().to_vec(),
    };
    let header = ExportHeader::new(public_key, start);
    let newest = checkpoints.iter().map(|c| c.tree_size).max();
    let mut consistency = Vec::new();
    let mut inclusion = Vec::new();
    if let Some(n) = newest {
        for c in checkpoints.iter().filter(|c| c.tree_size < from_seq) {
            consistency.push(consistency_proof(leaves, c.tree_size, n)?);
        }
        for &seq in prove {
            if seq < from_seq {
                return Err(Error::Proof(format!(
                    "entry {seq} is before the export's first entry {from_seq}"
                )));
            }
            inclusion.push(inclusion_proof(leaves, seq, n)?);
        }
    } else if !prove.is_empty() {
        return Err(Error::Proof("inclusion proofs need a checkpoint".into()));
    }
    write_export(out, &header, entries, checkpoints, &inclusion, &consistency)
}

/// What an export verification covered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportSummary {
    /// Key id of the trusted key.
    pub key_id: String,
    /// Seq of the first entry.
    pub from_seq: u64,
    /// Number of entries.
    pub entries: u64,
    /// Tree size after the last entry.
    pub tree_size: u64,
    /// Hash of the last entry.
    pub head: Digest,
    /// Merkle root of the full tree.
    pub root: Digest,
    /// Checkpoint lines verified (signature, and root or consistency proof).
    pub checkpoints: u64,
    /// The checkpoint with the largest (size, time).
    pub latest_checkpoint: Option<Checkpoint>,
    /// Entries after the largest checkpoint: their truncation would only be caught by the
    /// (unsigned) end line. The CLI should warn when this is not 0.
    pub uncovered_tail: u64,
    /// Inclusion proofs verified.
    pub inclusion_proofs: u64,
    /// Consistency proofs verified.
    pub consistency_proofs: u64,
}

#[derive(PartialEq, Eq, PartialOrd, Ord, Clone, Copy)]
enum Phase {
    Header,
    Prefix,
    Entries,
    Proofs,
    Ended,
}

struct State {
    key: PublicKey,
    phase: Phase,
    verifier: Option<Verifier>,
    /// Root per checkpointed size, and whether it is verified (root recomputed or linked).
    roots: BTreeMap<u64, (Digest, bool)>,
    /// Line of each checkpoint still waiting for a consistency proof.
    unlinked: BTreeMap<u64, u64>,
    last_cp: Option<(u64, airm_core::Timestamp)>,
    latest: Option<Checkpoint>,
    checkpoints: u64,
    last_proof: Option<(u8, u64, u64)>,
    inclusion: u64,
    consistency: u64,
    buf: Vec<u8>,
    line_no: u64,
}

/// Verifies an export read from `reader` against the trusted `key` (see the module docs for
/// what is checked). The first problem is returned, naming the line and, where there is
/// one, the entry.
pub fn verify_export<R: Read>(reader: R, key: &PublicKey) -> Result<ExportSummary, VerifyError> {
    let mut reader = BufReader::with_capacity(1 << 16, reader);
    let mut st = State {
        key: *key,
        phase: Phase::Header,
        verifier: None,
        roots: BTreeMap::new(),
        unlinked: BTreeMap::new(),
        last_cp: None,
        latest: None,
        checkpoints: 0,
        last_proof: None,
        inclusion: 0,
        consistency: 0,
        buf: Vec::with_capacity(1024),
        line_no: 0,
    };
    let mut line = Vec::with_capacity(1024);
    let mut line_no: u64 = 0;
    loop {
        line.clear();
        let n = (&mut reader)
            .take(MAX_LINE_BYTES as u64)
            .read_until(b'\n', &mut line)?;
        if n == 0 {
            break;
        }
        line_no += 1;
        let malformed = |reason: &str| VerifyError::Malformed {
            line: line_no,
            reason: reason.to_string(),
        };
        match line.pop() {
            Some(b'\n') => {}
            _ if n >= MAX_LINE_BYTES => {
                return Err(malformed(&format!(
                    "line longer than {MAX_LINE_BYTES} bytes"
                )))
            }
            _ => return Err(malformed("last line does not end with a newline")),
        }
        if st.phase == Phase::Ended {
            return Err(malformed("data after the end line"));
        }
        st.line_no = line_no;
        st.line(&line).map_err(|e| e.at_line(line_no))?;
    }
    if st.phase != Phase::Ended {
        let next_seq = st.verifier.as_ref().map_or(0, Verifier::size);
        return Err(VerifyError::Malformed {
            line: line_no + 1,
            reason: format!(
                "export ends without its end line (truncated? next entry would be {next_seq})"
            ),
        });
    }
    if let Some((size, line)) = st.unlinked.iter().next() {
        return Err(VerifyError::AtLine {
            line: *line,
            source: Box::new(VerifyError::BadCheckpoint {
                size: *size,
                reason: "no consistency proof ties it to a verified checkpoint".into(),
            }),
        });
    }
    let Some(v) = st.verifier else {
        return Err(VerifyError::BadStart("no header".into()));
    };
    let s = v.summary();
    let covered = st.latest.as_ref().map_or(s.from_seq, |c| c.tree_size);
    Ok(ExportSummary {
        key_id: st.key.key_id(),
        from_seq: s.from_seq,
        entries: s.entries,
        tree_size: s.tree_size,
        head: s.head,
        root: s.root,
        checkpoints: st.checkpoints,
        latest_checkpoint: st.latest,
        uncovered_tail: s.tree_size.saturating_sub(covered.max(s.from_seq)),
        inclusion_proofs: st.inclusion,
        consistency_proofs: st.consistency,
    })
}

impl State {
    fn line(&mut self, bytes: &[u8]) -> Result<(), VerifyError> {
        let bad = |reason: String| VerifyError::Malformed { line: 0, reason };
        if bytes.starts_with(ENTRY_PREFIX) {
            return match self.phase {
                Phase::Prefix | Phase::Entries => self.entry(bytes),
                Phase::Header => Err(bad("the first line must be the header".into())),
                Phase::Proofs | Phase::Ended => Err(bad(
                    "entry after the proofs (entries must come first)".into(),
                )),
            };
        }
        let parsed: Line = serde_json::from_slice(bytes)
            .map_err(|e| bad(format!("not a valid export line: {e}")))?;
        let canonical = encode_json(&parsed).map_err(|e| bad(e.to_string()))?;
        if canonical != bytes {
            return Err(bad("line is not in canonical form".into()));
        }
        match (self.phase, parsed) {
            (Phase::Header, Line::Header(h)) => self.header(*h),
            (Phase::Header, _) => Err(bad("the first line must be the header".into())),
            (Phase::Prefix | Phase::Entries, Line::Checkpoint(cp)) => self.checkpoint(cp),
            (_, Line::InclusionProof(p)) => {
                self.proof_order(0, p.leaf_index, p.tree_size)?;
                self.inclusion(&p)
            }
            (_, Line::ConsistencyProof(p)) => {
                self.proof_order(1, p.old_size, p.new_size)?;
                self.consistency(&p)
            }
            (_, Line::End(end)) => self.end(&end),
            (_, Line::Header(_)) => Err(bad("a second header".into())),
            (_, Line::Checkpoint(_)) => Err(bad("checkpoint after the proofs".into())),
        }
    }

    fn verifier(&mut self) -> Result<&mut Verifier, VerifyError> {
        self.verifier
            .as_mut()
            .ok_or_else(|| VerifyError::BadStart("no header".into()))
    }

    fn header(&mut self, h: ExportHeader) -> Result<(), VerifyError> {
        if h.format != EXPORT_FORMAT {
            return Err(VerifyError::BadStart(format!(
                "unknown format (expected {EXPORT_FORMAT})"
            )));
        }
        if h.public_key != self.key || h.key_id != self.key.key_id() {
            return Err(VerifyError::BadStart(format!(
                "export was made with key {} but the trusted key is {}",
                h.public_key.key_id(),
                self.key.key_id()
            )));
        }
        let start = ChainState {
            size: h.from_seq,
            head: h.prev_hash,
            frontier: h.frontier,
        };
        self.verifier = Some(Verifier::new(start)?.keep_leaves());
        self.phase = Phase::Prefix;
        Ok(())
    }

    fn entry(&mut self, bytes: &[u8]) -> Result<(), VerifyError> {
        let v = self
            .verifier
            .as_ref()
            .ok_or_else(|| VerifyError::BadStart("no header".into()))?;
        let expected = v.size();
        let check_seq = |found: i64| {
            if u64::try_from(found).ok() == Some(expected) {
                Ok(())
            } else {
                Err(VerifyError::SeqGap { expected, found })
            }
        };
        let not_canonical = || VerifyError::BadEntry {
            seq: expected,
            reason: "entry line is not in canonical form".into(),
        };
        let Some((entry_hex, event_bytes, prev_hex)) = split_entry_line(bytes) else {
            // Not laid out canonically: parse it anyway to name the entry.
            let parsed: EntryLineIn =
                serde_json::from_slice(bytes).map_err(|e| VerifyError::Malformed {
                    line: 0,
                    reason: format!("not a valid entry line: {e}"),
                })?;
            check_seq(parsed.event.seq)?;
            return Err(not_canonical());
        };
        let mut buf = std::mem::take(&mut self.buf);
        let checked = check_event_bytes(event_bytes, &mut buf);
        self.buf = buf;
        let checked = checked.map_err(|e| VerifyError::Malformed {
            line: 0,
            reason: format!("not a valid event: {e}"),
        })?;
        check_seq(checked.seq)?;
        if let Some(reason) = checked.problem {
            return Err(VerifyError::BadEntry {
                seq: expected,
                reason,
            });
        }
        let prev_hash = Digest::from_hex(prev_hex).map_err(|_| not_canonical())?;
        let entry_hash = Digest::from_hex(entry_hex).map_err(|_| not_canonical())?;
        self.verifier()?
            .push_canonical(expected, &prev_hash, &entry_hash, event_bytes)?;
        self.phase = Phase::Entries;
        Ok(())
    }

    fn checkpoint(&mut self, cp: Checkpoint) -> Result<(), VerifyError> {
        let bad = |reason: &str| VerifyError::BadCheckpoint {
            size: cp.tree_size,
            reason: reason.to_string(),
        };
        self.key.verify_checkpoint(&cp)?;
        if let Some(last) = self.last_cp {
            if (cp.tree_size, cp.time) <= last {
                return Err(bad(
                    "out of order (checkpoints must increase in size, then time)",
                ));
            }
        }
        let key = self.key;
        let v = self.verifier()?;
        let (size, from_seq) = (v.size(), v.from_seq());
        let verified = if cp.tree_size == size {
            v.check_checkpoint(&cp, Some(&key))?;
            true
        } else if cp.tree_size < from_seq && self.phase == Phase::Prefix {
            false
        } else if cp.tree_size > size {
            return Err(VerifyError::Truncated {
                missing_seq: size,
                tree_size: cp.tree_size,
            });
        } else {
            return Err(bad(&format!(
                "out of place: it must follow entry {}",
                cp.tree_size.saturating_sub(1)
            )));
        };
        match self.roots.get(&cp.tree_size) {
            Some((root, _)) if *root != cp.root_hash => {
                return Err(bad("two checkpoints of this size disagree (fork)"))
            }
            _ => {}
        }
        if !verified {
            self.unlinked.entry(cp.tree_size).or_insert(self.line_no);
        }
        let entry = self
            .roots
            .entry(cp.tree_size)
            .or_insert((cp.root_hash, verified));
        entry.1 |= verified;
        self.last_cp = Some((cp.tree_size, cp.time));
        self.checkpoints += 1;
        self.latest = Some(cp);
        Ok(())
    }

    fn proof_order(&mut self, kind: u8, a: u64, b: u64) -> Result<(), VerifyError> {
        let key = (kind, a, b);
        if self.last_proof.is_some_and(|last| key <= last) {
            return Err(VerifyError::Malformed {
                line: 0,
                reason:
                    "proof out of order (inclusion proofs first, each kind sorted by its two sizes)"
                        .into(),
            });
        }
        self.last_proof = Some(key);
        self.phase = Phase::Proofs;
        Ok(())
    }

    fn inclusion(&mut self, p: &InclusionProof) -> Result<(), VerifyError> {
        let bad = |reason: &str| VerifyError::BadInclusionProof {
            leaf_index: p.leaf_index,
            tree_size: p.tree_size,
            reason: reason.to_string(),
        };
        let leaf = self
            .verifier()?
            .leaf(p.leaf_index)
            .ok_or_else(|| bad("the entry is not in this export"))?;
        let root = match self.roots.get(&p.tree_size) {
            Some((root, true)) => *root,
            _ => return Err(bad("no verified checkpoint of that size in this export")),
        };
        verify_inclusion(p, &leaf, &root).map_err(|r| bad(&r))?;
        self.inclusion += 1;
        Ok(())
    }

    fn consistency(&mut self, p: &ConsistencyProof) -> Result<(), VerifyError> {
        let bad = |reason: &str| VerifyError::BadConsistencyProof {
            old_size: p.old_size,
            new_size: p.new_size,
            reason: reason.to_string(),
        };
        let (Some((old, _)), Some((new, new_ok))) =
            (self.roots.get(&p.old_size), self.roots.get(&p.new_size))
        else {
            return Err(bad("no checkpoint of one of the sizes in this export"));
        };
        if !new_ok {
            return Err(bad("the newer checkpoint is not itself verified"));
        }
        verify_consistency(p, old, new).map_err(|r| bad(&r))?;
        if let Some(e) = self.roots.get_mut(&p.old_size) {
            e.1 = true;
        }
        self.unlinked.remove(&p.old_size);
        self.consistency += 1;
        Ok(())
    }

    fn end(&mut self, end: &EndLine) -> Result<(), VerifyError> {
        let v = self.verifier()?;
        let (size, entries) = (v.size(), v.size() - v.from_seq());
        if end.tree_size > size || end.entries > entries {
            return Err(VerifyError::Truncated {
                missing_seq: size,
                tree_size: end.tree_size,
            });
        }
        if end.tree_size != size || end.entries != entries {
            return Err(VerifyError::Malformed {
                line: 0,
                reason: format!(
                    "end line claims {} entries (tree size {}), the export has {entries} (tree size {size})",
                    end.entries, end.tree_size
                ),
            });
        }
        let counts = (self.checkpoints, self.inclusion, self.consistency);
        if (
            end.checkpoints,
            end.inclusion_proofs,
            end.consistency_proofs,
        ) != counts
        {
            return Err(VerifyError::Malformed {
                line: 0,
                reason: format!(
                    "end line counts {} checkpoints, {} inclusion and {} consistency proofs; the export has {}, {} and {} (lines removed or added?)",
                    end.checkpoints, end.inclusion_proofs, end.consistency_proofs, counts.0, counts.1, counts.2
                ),
            });
        }
        self.phase = Phase::Ended;
        Ok(())
    }
}
