//! Per-format analyses that turn parser facts into findings.

pub(crate) mod other;
pub(crate) mod pickle;
