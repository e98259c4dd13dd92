//! The one error type of `airm-guard`. Scanning never fails on input text: errors come only
//! from configuration (a bad policy, a regex that does not compile) and from model bytes.

use thiserror::Error;

/// Errors of `airm-guard`. Every variant is a *user* error (bad config or model file) except
/// [`GuardError::Internal`].
#[derive(Debug, Error)]
pub enum GuardError {
    /// A pattern in the policy (banned regex, allow-list) does not compile.
    #[error("policy `{field}`: invalid regex `{pattern}`: {source}")]
    InvalidRegex {
        /// Policy field that holds the pattern.
        field: &'static str,
        /// The pattern as written.
        pattern: String,
        /// Why it failed.
        #[source]
        source: Box<regex::Error>,
    },
    /// A policy value is out of range or refers to an unknown rule.
    #[error("policy `{field}`: {message}")]
    InvalidPolicy {
        /// Policy field.
        field: String,
        /// What is wrong.
        message: String,
    },
    /// Model bytes are truncated, of another version or inconsistent.
    #[error("model: {0}")]
    InvalidModel(String),
    /// Training data could not be used.
    #[error("training data line {line}: {message}")]
    InvalidTrainingData {
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// A bug in airm-guard.
    #[error("internal: {0}")]
    Internal(String),
}

impl GuardError {
    /// True for errors caused by the caller's config or data (map to 4xx / exit 2).
    pub fn is_user_error(&self) -> bool {
        !matches!(self, GuardError::Internal(_))
    }
}
