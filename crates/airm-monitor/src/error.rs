//! The crate's error type: what went wrong with a prediction event, an input file or an
//! alert rule, with enough context (event index, line, field, rule name) to fix it.

/// Errors of monitoring input and configuration. All are user errors: bad events, bad
/// files or bad rules.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
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
pub type Result<T, E = Error> = std::result::Result<T, E>;
