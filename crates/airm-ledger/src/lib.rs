//! The tamper-evident activity log of airm, as a pure library.
//!
//! Every audit event is encoded canonically ([`canonical`]), chained to the one before it by
//! hash ([`chain`]), and committed to by an RFC 6962 Merkle tree ([`merkle`]) whose roots are
//! signed as checkpoints with an Ed25519 key ([`checkpoint`]). Inclusion and consistency
//! proofs show that an event is in the log and that an older checkpoint is a prefix of a
//! newer one. [`verify`] re-checks a run of entries; [`export`] writes and verifies the
//! JSON Lines export offline, with only the public key.
//!
//! The crate does no I/O except reading and writing the signing key file
//! ([`SigningKey::load_or_create`]) and the `Read`/`Write` streams callers hand to the export
//! functions; it has no async, no database and no clock reads except where a caller asks for
//! a checkpoint "now". The byte-level format is documented in `docs/ledger-format.md`.

pub mod canonical;
pub mod chain;
pub mod checkpoint;
mod digest;
mod error;
pub mod export;
pub mod merkle;
pub mod verify;

pub use chain::{entry_hash, Chain, ChainState, LedgerEntry, ENTRY_DOMAIN};
pub use checkpoint::{Checkpoint, PublicKey, SigningKey, CHECKPOINT_ORIGIN};
pub use digest::Digest;
pub use error::{Error, VerifyError};
pub use export::{
    export_log, verify_export, write_export, ExportHeader, ExportSummary, ExportWriter,
    EXPORT_FORMAT, MAX_LINE_BYTES,
};
pub use merkle::{
    verify_consistency, verify_inclusion, CompactTree, ConsistencyProof, InclusionProof, LeafSource,
};
pub use verify::{verify_entries, Verifier, VerifySummary};
