//! The one error type of airm-monitor: what went wrong with an input file, a prediction
//! event, a profile or an alert rule, with enough context (file and line, event index,
//! field, rule name) to fix it. Everything here is a user error except I/O failures.

use std::path::PathBuf;

/// Errors of monitoring input and configuration.
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
    /// One event of a batch is invalid.
    #[error("event {index}: {field}: {reason}")]
    InvalidEvent {
        /// Position in the batch (0-based) or line number in a file (1-based).
        index: usize,
        /// The offending field, e.g. `score` or `features.age`.
        field: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The body or file is not a JSON array, JSON Lines or CSV as expected.
    #[error("line {line}: {reason}")]
    Malformed {
        /// 1-based line (1 for a JSON array body).
        line: usize,
        /// Parser message.
        reason: String,
    },
    /// More events than one request or file may carry.
    #[error("too many events: at most {max} per batch")]
    TooMany {
        /// The cap.
        max: usize,
    },
    /// An alert rule in `[[monitor.alerts]]` is invalid.
    #[error("alert rule `{name}`: {reason}")]
    InvalidRule {
        /// Rule name.
        name: String,
        /// What is wrong.
        reason: String,
    },
    /// A window or duration is out of range.
    #[error("{0}")]
    InvalidWindow(String),
}

/// Result alias.
pub type Result<T, E = MonitorError> = std::result::Result<T, E>;
