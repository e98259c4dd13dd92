//! The crate's two error enums: [`Error`] for building, signing and key handling, and
//! [`VerifyError`] for everything verification finds wrong, each naming the first bad entry,
//! checkpoint, proof or export line.
//!
//! Error classes (STYLE.md): `Error::Key*`/`Error::Io` are local environment problems
//! (internal for the server, user for the CLI); `Error::Encode`/`Error::BadHash`/`Error::Proof`
//! are bad input; every `VerifyError` is a finding about the log under test, not a crash.

use std::path::PathBuf;

/// Failures while building entries, proofs, checkpoints or exports, and handling keys.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An event or value cannot be canonically encoded (negative seq, too deep, NaN).
    #[error("cannot encode canonically: {0}")]
    Encode(String),
    /// Text is not 64 lowercase hex digits.
    #[error("invalid hash `{0}` (expected 64 lowercase hex digits)")]
    BadHash(String),
    /// An event's seq is not the next one of the chain.
    #[error("event seq {found} is not the next seq {expected}")]
    OutOfOrder {
        /// The seq the chain expects.
        expected: u64,
        /// The seq the event carries.
        found: i64,
    },
    /// Proof or tree arguments out of range (index beyond size, old size above new size).
    #[error("invalid proof request: {0}")]
    Proof(String),
    /// A leaf source could not supply a leaf (the store failed).
    #[error("leaf source: {0}")]
    Source(String),
    /// A key text or key file is malformed.
    #[error("invalid key{}: {reason}", path.as_ref().map(|p| format!(" in {}", p.display())).unwrap_or_default())]
    Key {
        /// The key file, when the key came from one.
        path: Option<PathBuf>,
        /// What is wrong.
        reason: String,
    },
    /// Reading or writing a key file or an export failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done, with the path.
        context: String,
        /// The underlying error.
        source: std::io::Error,
    },
}

/// What verification found wrong. Every variant names where: an entry by `seq`, a checkpoint
/// by tree size, a proof by its sizes, an export line by number ([`VerifyError::AtLine`]).
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// The entry that should have seq `expected` carries `found` (missing, inserted or
    /// reordered entries).
    #[error("entry {expected}: sequence broken, found seq {found} where {expected} was expected")]
    SeqGap {
        /// The seq that should come next.
        expected: u64,
        /// The seq found there.
        found: i64,
    },
    /// The entry's `prev_hash` is not the previous entry's hash.
    #[error("entry {seq}: prev_hash does not link to the previous entry")]
    BrokenLink {
        /// The entry.
        seq: u64,
    },
    /// The entry's stored `entry_hash` does not match its contents.
    #[error("entry {seq}: entry_hash does not match the entry's contents")]
    HashMismatch {
        /// The entry.
        seq: u64,
    },
    /// The entry cannot be encoded or parsed (bad fields, non-canonical spelling).
    #[error("entry {seq}: {reason}")]
    BadEntry {
        /// The entry.
        seq: u64,
        /// What is wrong.
        reason: String,
    },
    /// A checkpoint's signature, key or root does not hold.
    #[error("checkpoint for tree size {size}: {reason}")]
    BadCheckpoint {
        /// The checkpoint's tree size.
        size: u64,
        /// What is wrong.
        reason: String,
    },
    /// A checkpoint covers entries that are not there.
    #[error(
        "entry {missing_seq}: missing (log truncated; a checkpoint covers {tree_size} entries)"
    )]
    Truncated {
        /// The first missing entry.
        missing_seq: u64,
        /// The size the checkpoint (or end line) claims.
        tree_size: u64,
    },
    /// An inclusion proof does not verify.
    #[error("inclusion proof of entry {leaf_index} in tree size {tree_size}: {reason}")]
    BadInclusionProof {
        /// The entry the proof is about.
        leaf_index: u64,
        /// The tree size it is against.
        tree_size: u64,
        /// What is wrong.
        reason: String,
    },
    /// A consistency proof does not verify.
    #[error("consistency proof from tree size {old_size} to {new_size}: {reason}")]
    BadConsistencyProof {
        /// The older size.
        old_size: u64,
        /// The newer size.
        new_size: u64,
        /// What is wrong.
        reason: String,
    },
    /// The starting point (first prev hash, frontier) is unusable.
    #[error("bad starting point: {0}")]
    BadStart(String),
    /// An export line is not valid (not JSON, unknown type, not canonical, out of place,
    /// too long).
    #[error("line {line}: {reason}")]
    Malformed {
        /// 1-based line number.
        line: u64,
        /// What is wrong.
        reason: String,
    },
    /// A failure located at an export line.
    #[error("line {line}: {source}")]
    AtLine {
        /// 1-based line number.
        line: u64,
        /// The failure.
        #[source]
        source: Box<VerifyError>,
    },
    /// Reading the export failed.
    #[error("reading export: {0}")]
    Io(#[from] std::io::Error),
}

impl VerifyError {
    /// The seq of the entry this error names, if it names one.
    pub fn seq(&self) -> Option<u64> {
        match self {
            VerifyError::SeqGap { expected, .. } => Some(*expected),
            VerifyError::BrokenLink { seq }
            | VerifyError::HashMismatch { seq }
            | VerifyError::BadEntry { seq, .. } => Some(*seq),
            VerifyError::Truncated { missing_seq, .. } => Some(*missing_seq),
            VerifyError::AtLine { source, .. } => source.seq(),
            _ => None,
        }
    }

    /// The 1-based export line this error names, if any.
    pub fn line(&self) -> Option<u64> {
        match self {
            VerifyError::Malformed { line, .. } | VerifyError::AtLine { line, .. } => Some(*line),
            _ => None,
        }
    }

    pub(crate) fn at_line(self, line: u64) -> VerifyError {
        match self {
            VerifyError::Malformed { line: 0, reason } => VerifyError::Malformed { line, reason },
            e @ (VerifyError::Malformed { .. }
            | VerifyError::AtLine { .. }
            | VerifyError::Io(_)) => e,
            e => VerifyError::AtLine {
                line,
                source: Box::new(e),
            },
        }
    }
}
