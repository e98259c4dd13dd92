//! Governance for airm: policies as code, approvals, exceptions and escalation.
//!
//! Policies are Rego modules (the Open Policy Agent language, run by the `regorus`
//! interpreter) evaluated against one input document that describes airm's state
//! ([`input`]): systems, assets with pre-aggregated finding counts, exceptions, approvals,
//! committees, people and alerts. Seven built-in policies ([`registry`]) ship embedded;
//! users add `.rego` files in a policy directory ([`engine`]). Violations of a policy that
//! an active exception covers are reported as suppressed, not dropped.
//!
//! Deciding who may vote and when quorum is reached ([`approvals`]) and which escalation
//! step is due ([`escalation`]) are pure functions here; the store persists, the server
//! and CLI call. This crate does no I/O except reading a user policy directory.

pub mod approvals;
pub mod engine;
mod error;
pub mod escalation;
pub mod input;
pub mod registry;
pub mod testing;

pub use engine::{Evaluation, PolicyError, PolicySet, Violation};
pub use error::GovernError;
pub use input::{build_input, Facts, PolicyInput};
pub use registry::{builtin_policies, rules, BuiltinPolicy};
