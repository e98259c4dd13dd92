//! People, their roles in airm, owners and committees.

use serde::{Deserialize, Serialize};

use crate::parse::string_enum;
use crate::Timestamp;

string_enum! {
    /// What a user may do in airm. Ordered from most to least privileged.
    pub enum Role: "role" {
        /// Everything, including users, tokens and configuration.
        Admin = "admin",
        /// Manage systems, assets, findings, risks, exceptions; no user administration.
        RiskOwner = "risk-owner",
        /// Read everything, including the audit log and evidence; change nothing.
        Auditor = "auditor",
        /// Read inventory, findings and risks; no audit log, no evidence contents.
        Viewer = "viewer",
    }
}

impl Role {
    /// May create or change systems, assets, findings and risks.
    pub fn can_write(self) -> bool {
        matches!(self, Role::Admin | Role::RiskOwner)
    }

    /// May manage users and tokens.
    pub fn can_admin(self) -> bool {
        matches!(self, Role::Admin)
    }

    /// May read the activity log and evidence contents.
    pub fn can_audit(self) -> bool {
        matches!(self, Role::Admin | Role::Auditor)
    }
}

/// A person known to airm; may or may not be able to log in (have tokens).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Person {
    /// Stable id (`usr_…`).
    pub id: String,
    /// Email address; unique, used as the login name.
    pub email: String,
    /// Display name.
    pub name: String,
    /// Role in airm.
    pub role: Role,
    /// Whether the person may still log in.
    pub active: bool,
    /// When the person was added.
    pub created_at: Timestamp,
}

/// Who is answerable for something: a person or a committee.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", content = "name", rename_all = "kebab-case")]
pub enum Owner {
    /// A person, by email.
    Person(String),
    /// A committee, by name.
    Committee(String),
}

/// An oversight body (e.g. an AI risk committee) that decides by quorum.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Committee {
    /// Stable id (`com_…`).
    pub id: String,
    /// Unique name.
    pub name: String,
    /// Members' emails.
    pub members: Vec<String>,
    /// Votes needed for a decision.
    pub quorum: u32,
    /// When it was created.
    pub created_at: Timestamp,
}

impl Committee {
    /// A quorum must be reachable: at least 1 and at most the number of members.
    pub fn validate(&self) -> Result<(), String> {
        if self.quorum == 0 || self.quorum as usize > self.members.len() {
            return Err(format!(
                "quorum {} is not reachable with {} members",
                self.quorum,
                self.members.len()
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_permissions() {
        assert!(Role::Admin.can_admin() && Role::Admin.can_write() && Role::Admin.can_audit());
        assert!(Role::RiskOwner.can_write() && !Role::RiskOwner.can_admin());
        assert!(Role::Auditor.can_audit() && !Role::Auditor.can_write());
        assert!(!Role::Viewer.can_audit() && !Role::Viewer.can_write());
    }

    #[test]
    fn committee_quorum_must_be_reachable() {
        let mut c = Committee {
            id: "com_1".into(),
            name: "AI board".into(),
            members: vec!["a@x".into(), "b@x".into()],
            quorum: 2,
            created_at: Timestamp(0),
        };
        assert!(c.validate().is_ok());
        c.quorum = 3;
        assert!(c.validate().is_err());
        c.quorum = 0;
        assert!(c.validate().is_err());
    }
}
