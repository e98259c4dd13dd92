//! Audit events: who did what to which object, when, and how it ended. The activity log
//! (ledger) chains these; this module only defines their shape.

use serde::{Deserialize, Serialize};

use crate::parse::string_enum;
use crate::Timestamp;

string_enum! {
    /// What kind of principal acted.
    pub enum ActorKind: "actor kind" {
        /// A person, through the dashboard or the CLI.
        User = "user",
        /// An API token.
        Token = "token",
        /// A gateway virtual key.
        Key = "key",
        /// airm itself (scheduler, bootstrap, CLI run on the host).
        System = "system",
        /// Nobody authenticated (failed login).
        Anonymous = "anonymous",
    }
}

string_enum! {
    /// How an action ended.
    pub enum Outcome: "outcome" {
        /// It happened.
        Success = "success",
        /// It was refused (authorisation, policy, guard).
        Denied = "denied",
        /// It failed with an error.
        Error = "error",
    }
}

/// Who acted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Actor {
    /// Kind of principal.
    pub kind: ActorKind,
    /// Its id (user email, token id, key id, component name).
    pub id: String,
}

impl Actor {
    /// airm itself, acting as `component`.
    pub fn system(component: &str) -> Self {
        Actor {
            kind: ActorKind::System,
            id: component.to_string(),
        }
    }
}

/// One entry of the activity log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditEvent {
    /// Position in the log, from 0; assigned by the store on append.
    pub seq: i64,
    /// When it happened.
    pub time: Timestamp,
    /// Who acted.
    pub actor: Actor,
    /// Dotted verb, e.g. `system.create`, `token.revoke`, `auth.login`.
    pub action: String,
    /// The object acted on (id or name), if any.
    pub target: Option<String>,
    /// How it ended.
    pub outcome: Outcome,
    /// Redacted details (never secrets, prompts or completions).
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub details: serde_json::Value,
    /// Request id, to join with logs.
    pub request_id: Option<String>,
}
