//! The one error type of airm-monitor. Input errors carry the file and line so users can
//! fix their data; everything here is a user error except I/O failures.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum MonitorError {
    /// The file could not be opened or read.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Bad data at a line of an input file (1-based).
    #[error("{path}:{line}: {message}")]
    Input {
        path: PathBuf,
        line: u64,
        message: String,
    },
    /// A problem with a whole file (no header, too large, unknown format).
    #[error("{path}: {message}")]
    File { path: PathBuf, message: String },
    /// Invalid options or arguments (unknown column, bad threshold).
    #[error("{0}")]
    Invalid(String),
    /// A profile file that cannot be read or merged.
    #[error("profile {path}: {message}")]
    Profile { path: String, message: String },
}

pub type Result<T> = std::result::Result<T, MonitorError>;
