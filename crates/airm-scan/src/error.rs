//! Errors of the scanner: only failures to read the file itself. Anything wrong *inside* a
//! file is a finding, never an error.

use std::path::PathBuf;

/// A scan error.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    /// The file could not be opened or read (user class: bad path or permissions).
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}
