//! Static scanning of model files, and discovery of AI assets in trees ([`discover`]).
//!
//! [`scan_file`] sniffs a file's format from its content (never its name), hashes it
//! (BLAKE3 and SHA-256) in the same read, analyses it with the bounded parsers of
//! `airm-formats` — the symbolic pickle machine for pickles, PyTorch checkpoints (zip,
//! legacy and tar), joblib (also `compress=` zlib/gzip/`ZF` files, decompressed under the
//! member read cap; bz2, LZMA, xz and LZ4 are recognised and reported as not analysed) and
//! NumPy object arrays; header checks for safetensors; chat
//! templates in GGUF; Lambda layers in Keras; path traversal and bombs in archives — and
//! returns a [`FileReport`] with a verdict (`malicious`, `suspicious`, `clean`, `unknown`)
//! and findings of the model-file rules listed by [`rules`]. It never executes anything
//! and never calls consumers: the caller stores or prints the report.
//!
//! ```
//! use airm_formats::pickle::PickleWriter;
//! use airm_scan::{scan_bytes, ScanConfig, Verdict};
//!
//! // `os.system("true")`, built opcode by opcode.
//! let evil = PickleWriter::proto(2).call_global("os", "system", &["true"]).stop();
//! let report = scan_bytes("model.pkl", &evil, &ScanConfig::default());
//! assert_eq!(report.verdict, Verdict::Malicious);
//! assert_eq!(report.findings[0].rule_id, "MF001");
//! let stored = report.findings[0]
//!     .clone()
//!     .into_finding(&report.path, "fnd_1".into(), airm_core::Timestamp(0));
//! assert_eq!(stored.location.offset, Some(2));
//! ```
//!
//! Verdicts: `malicious` when a finding shows known-dangerous behaviour, `suspicious` when
//! something is not known to be safe, `unknown` when the file was not (completely)
//! analysed — unrecognised format, damage, or a cap hit — and `clean` only when it was
//! analysed to the end and nothing was found.

pub mod bom;
mod config;
pub mod discover;
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
pub use config::{ExtensionCode, ScanConfig};
pub use error::ScanError;
pub use hash::HashingReader;
pub use policy::{CallablePolicy, Class, Danger};
pub use report::{FileReport, Format, ScanFinding, Verdict};
pub use rules::rules;
pub use scan::{scan_bytes, scan_file, scan_files};
pub use sniff::sniff;
