//! Shared detectors used by several rules: personal data with check-digit validators
//! ([`pii`]), provider secrets and high-entropy tokens ([`secrets`]), and the lazily compiled
//! static patterns they use ([`lazy_regex`]). Detectors return matches; rules decide.

pub mod pii;
pub mod secrets;

use std::sync::OnceLock;

use regex::Regex;

/// Compiles a static pattern once. A pattern that fails to compile (a bug caught by the
/// `all_static_patterns_compile` tests) yields `None` and the detector is skipped.
pub fn lazy_regex(cell: &'static OnceLock<Option<Regex>>, pattern: &str) -> Option<&'static Regex> {
    cell.get_or_init(|| Regex::new(pattern).ok()).as_ref()
}

/// One match of a detector in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Match {
    /// Kind label, upper-case, used in redaction placeholders (`EMAIL`, `AWS_ACCESS_KEY`).
    pub kind: &'static str,
    /// Byte start.
    pub start: usize,
    /// Byte end.
    pub end: usize,
}
