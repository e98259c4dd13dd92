//! Static scanning of model files.
//!
//! [`scan_file`] sniffs a file's format from its content (never its name), hashes it
//! (BLAKE3 and SHA-256) in the same read, analyses it with the bounded parsers of
//! `airm-formats` — the symbolic pickle machine for pickles, PyTorch checkpoints (zip,
//! legacy and tar), joblib and NumPy object arrays; header checks for safetensors; chat
//! templates in GGUF; Lambda layers in Keras; path traversal and bombs in archives — and
//! returns a [`FileReport`] with a verdict (`malicious`, `suspicious`, `clean`, `unknown`)
//! and findings of the model-file rules listed by [`rules`]. It never executes anything
//! and never calls consumers: the caller stores or prints the report.

mod config;
mod error;
mod hash;
mod policy;
mod policy_lists;
mod report;
pub mod rules;
mod scan;
mod scanners;
mod sniff;

pub mod sarif;
pub use config::ScanConfig;
pub use error::ScanError;
pub use hash::HashingReader;
pub use policy::{CallablePolicy, Class, Danger};
pub use report::{FileReport, Format, ScanFinding, Verdict};
pub use rules::rules;
pub use scan::{scan_bytes, scan_file, scan_files};
pub use sniff::sniff;
