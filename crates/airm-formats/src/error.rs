//! Errors of the format parsers. Each says what was being read and where, so the scanner
//! can turn it into an "analysis incomplete" finding with an offset.

/// A parse failure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormatError {
    /// The input ended early.
    #[error("{what} is truncated at byte {offset}")]
    Truncated {
        /// What was being read.
        what: &'static str,
        /// Where the input ended.
        offset: u64,
    },
    /// The input is malformed.
    #[error("{what} is invalid at byte {offset}: {reason}")]
    Invalid {
        /// What was being read.
        what: &'static str,
        /// Where.
        offset: u64,
        /// What is wrong.
        reason: String,
    },
}

impl FormatError {
    /// The byte offset it concerns.
    pub fn offset(&self) -> u64 {
        match self {
            FormatError::Truncated { offset, .. } | FormatError::Invalid { offset, .. } => *offset,
        }
    }
}
