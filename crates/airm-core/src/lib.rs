//! The shared vocabulary of airm.
//!
//! Every capability (discovery, scanning, the runtime guard, monitoring, risk, governance,
//! the activity log) speaks in these types: [`AiSystem`], [`Asset`], [`Finding`], [`Risk`],
//! [`Person`], [`Committee`], [`Evidence`], [`AuditEvent`] and the rule metadata
//! [`RuleMeta`]. The crate is pure: no I/O, no async, no clock reads except in
//! [`Timestamp::now`]; it depends on `serde` only (plus `utoipa` behind the `openapi`
//! feature, for the API's schema). Producers never call consumers: a scanner returns
//! findings built from these types and the caller stores them.

mod asset;
mod audit;
pub mod env;
mod evidence;
mod finding;
mod governance;
mod ids;
pub mod inventory;
mod org;
mod parse;
mod risk;
mod rule;
mod severity;
mod system;
mod time;

pub use asset::{Asset, AssetKind, ContentHash, Provenance};
pub use audit::{Actor, ActorKind, AuditEvent, Outcome};
pub use evidence::Evidence;
pub use finding::{Finding, FindingStatus, Location};
pub use governance::{
    Approval, ApprovalStatus, AssetFacts, Notification, PolicyException, RaciAssignment, RaciRole,
    ViolationRecord, Vote, VoteChoice,
};
pub use ids::new_id;
pub use inventory::{risk_score, RiskFactor, RiskInputs, RiskScore};
pub use org::{Committee, Owner, Person, Role};
pub use parse::ParseError;
pub use risk::{Likelihood, Risk, RiskStatus, Treatment};
pub use rule::{validate_registry, Reference, RuleDocs, RuleMeta, RuleStatus, RuleTarget};
pub use severity::Severity;
pub use system::{
    validate_control, validate_name, AiSystem, DataCategory, EuAiActTier, Exposure, LifecycleStage,
};
pub use time::Timestamp;
