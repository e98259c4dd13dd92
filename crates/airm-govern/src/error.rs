//! The crate's one error type; every variant knows whether the user or airm is to blame.

/// Errors of governance operations.
#[derive(Debug, thiserror::Error)]
pub enum GovernError {
    /// The caller may not do this (not a committee member, wrong role).
    #[error("{0}")]
    Forbidden(String),
    /// The request conflicts with the current state (already decided, already voted).
    #[error("{0}")]
    Conflict(String),
    /// Bad input (unknown policy id, invalid field).
    #[error("{0}")]
    Invalid(String),
    /// A policy directory could not be read.
    #[error("cannot read policy directory {path}: {source}")]
    Io {
        /// The directory or file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The policy engine failed on the built-in policies (a bug in airm).
    #[error("policy engine: {0}")]
    Engine(String),
}
