//! Governance records: committee approvals and their votes, exceptions (risk acceptances)
//! that suppress policy violations until they expire, recorded policy violations,
//! escalation notifications, and the per-asset facts governance policies read.
//!
//! Only shapes and invariants live here; deciding (quorum, who may vote, when to
//! escalate) is `airm-govern`'s job and storing is `airm-store`'s.

use serde::{Deserialize, Serialize};

use crate::parse::string_enum;
use crate::{AssetKind, Severity, Timestamp};

string_enum! {
    /// Where an approval request stands.
    pub enum ApprovalStatus: "approval status" {
        /// Waiting for votes.
        Pending = "pending",
        /// Quorum of approving votes reached.
        Approved = "approved",
        /// Quorum of rejecting votes reached, or approval can no longer reach quorum.
        Rejected = "rejected",
    }
}

string_enum! {
    /// A committee member's vote.
    pub enum VoteChoice: "vote" {
        /// In favour.
        Approve = "approve",
        /// Against.
        Reject = "reject",
    }
}

string_enum! {
    /// A person's part in a system under the RACI model.
    pub enum RaciRole: "RACI role" {
        /// Does the work.
        Responsible = "responsible",
        /// Answers for the outcome; signs off.
        Accountable = "accountable",
        /// Is asked before decisions.
        Consulted = "consulted",
        /// Is told after decisions.
        Informed = "informed",
    }
}

/// One RACI assignment: `person` has `role` for `system`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RaciAssignment {
    /// System name.
    pub system: String,
    /// RACI role.
    pub role: RaciRole,
    /// The person's email.
    pub person: String,
}

/// One vote on an approval request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Vote {
    /// The voter's email.
    pub voter: String,
    /// Approve or reject.
    pub choice: VoteChoice,
    /// Why, if given.
    pub comment: Option<String>,
    /// When the vote was cast.
    pub at: Timestamp,
}

/// A request that a committee decide something, e.g. "approve `support-bot` for production".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Approval {
    /// Stable id (`apr_…`).
    pub id: String,
    /// What is to be decided about: a system name, asset id or free text.
    pub subject: String,
    /// The decision asked for, kebab-case, e.g. `production`.
    pub action: String,
    /// The deciding committee's name.
    pub committee: String,
    /// Votes the committee needed when the request was made.
    pub quorum: u32,
    /// Who asked.
    pub requested_by: String,
    /// Why, as given by the requester.
    pub reason: String,
    /// Current status.
    pub status: ApprovalStatus,
    /// Votes cast so far, in order.
    pub votes: Vec<Vote>,
    /// When it was requested.
    pub created_at: Timestamp,
    /// When quorum decided it.
    pub decided_at: Option<Timestamp>,
}

/// An exception (risk acceptance): a named approver accepts that `policy` is violated by
/// `object` until `expires_at`. Active exceptions suppress matching violations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PolicyException {
    /// Stable id (`exc_…`).
    pub id: String,
    /// Policy id it covers, e.g. `GV002`.
    pub policy: String,
    /// The object it covers (system name or id, asset id), or `*` for every object.
    pub object: String,
    /// Why the risk is accepted.
    pub justification: String,
    /// Who granted it (an `admin` or `risk-owner`).
    pub approver: String,
    /// When it was granted.
    pub created_at: Timestamp,
    /// When it stops suppressing violations.
    pub expires_at: Timestamp,
    /// When it was ended early, if it was.
    pub revoked_at: Option<Timestamp>,
}

impl PolicyException {
    /// Longest exception a person may grant: two years.
    pub const MAX_DAYS: i64 = 730;

    /// Whether it suppresses violations at `now`.
    pub fn is_active(&self, now: Timestamp) -> bool {
        self.revoked_at.is_none() && self.expires_at > now
    }

    /// Whether it covers a violation of `policy` on an object known by any of `keys`.
    pub fn covers(&self, policy: &str, keys: &[&str]) -> bool {
        self.policy.eq_ignore_ascii_case(policy)
            && (self.object == "*" || keys.iter().any(|k| *k == self.object))
    }

    /// Checks the fields a stored exception must satisfy.
    pub fn validate(&self) -> Result<(), String> {
        if self.policy.trim().is_empty() || self.policy.len() > 100 {
            return Err("policy must be 1-100 bytes".into());
        }
        if self.object.trim().is_empty() || self.object.len() > 300 {
            return Err("object must be 1-300 bytes".into());
        }
        if self.justification.trim().len() < 10 || self.justification.len() > 4000 {
            return Err("justification must be 10-4000 bytes".into());
        }
        if self.expires_at <= self.created_at {
            return Err("expiry must be in the future".into());
        }
        if self.expires_at > self.created_at.plus_days(Self::MAX_DAYS) {
            return Err(format!("expiry must be within {} days", Self::MAX_DAYS));
        }
        Ok(())
    }
}

/// A policy violation as recorded between evaluations, so its age can drive escalation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ViolationRecord {
    /// Stable key: policy id, object and message.
    pub fingerprint: String,
    /// Policy id, e.g. `GV001`.
    pub policy: String,
    /// Severity.
    pub severity: Severity,
    /// The object it concerns.
    pub object: String,
    /// What is wrong.
    pub message: String,
    /// First evaluation that found it.
    pub first_seen: Timestamp,
    /// Latest evaluation that found it.
    pub last_seen: Timestamp,
    /// When an evaluation no longer found it.
    pub resolved_at: Option<Timestamp>,
}

/// A message to a person produced by escalation; unique per violation and step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Notification {
    /// Stable id (`ntf_…`).
    pub id: String,
    /// The violation it is about.
    pub fingerprint: String,
    /// Escalation step: `owner`, `risk-owner` or `committee`.
    pub step: String,
    /// Who is told (email or committee name).
    pub recipient: String,
    /// What they are told.
    pub message: String,
    /// When.
    pub created_at: Timestamp,
}

/// What governance policies need to know about an asset: where it is used and how many
/// open findings of each severity it has (aggregated, so policies stay linear).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssetFacts {
    /// Asset id.
    pub id: String,
    /// Kind.
    pub kind: AssetKind,
    /// Display name.
    pub name: String,
    /// Location.
    pub location: String,
    /// Format, if known.
    pub format: Option<String>,
    /// Who signed it, if a signature verified.
    pub signed_by: Option<String>,
    /// Names of the systems using it.
    pub systems: Vec<String>,
    /// Open findings per severity, indexed by [`Severity::rank`].
    pub open_findings: [u64; 5],
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exc() -> PolicyException {
        PolicyException {
            id: "exc_1".into(),
            policy: "GV002".into(),
            object: "ast_1".into(),
            justification: "Vendor fix due next sprint".into(),
            approver: "ro@example.com".into(),
            created_at: Timestamp(0),
            expires_at: Timestamp(0).plus_days(30),
            revoked_at: None,
        }
    }

    #[test]
    fn exceptions_expire_and_match_objects() {
        let e = exc();
        assert!(e.validate().is_ok());
        assert!(e.is_active(Timestamp(0).plus_days(29)));
        assert!(!e.is_active(Timestamp(0).plus_days(30)));
        assert!(e.covers("gv002", &["x", "ast_1"]));
        assert!(!e.covers("GV001", &["ast_1"]));
        let revoked = PolicyException {
            revoked_at: Some(Timestamp(1)),
            ..exc()
        };
        assert!(!revoked.is_active(Timestamp(2)));
        let star = PolicyException {
            object: "*".into(),
            ..exc()
        };
        assert!(star.covers("GV002", &["anything"]));
    }

    #[test]
    fn exception_invariants() {
        let long = PolicyException {
            expires_at: Timestamp(0).plus_days(800),
            ..exc()
        };
        assert!(long.validate().unwrap_err().contains("within"));
        let short = PolicyException {
            justification: "ok".into(),
            ..exc()
        };
        assert!(short.validate().is_err());
        let past = PolicyException {
            expires_at: Timestamp(0),
            ..exc()
        };
        assert!(past.validate().is_err());
    }
}
