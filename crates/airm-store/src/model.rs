//! Request and result shapes of the store: what callers pass in (new objects, patches,
//! filters, pages) and what list calls return.

use airm_core::{
    ActorKind, AssetKind, DataCategory, EuAiActTier, Exposure, FindingStatus, LifecycleStage,
    Outcome, Person, Role, Severity, Timestamp,
};
use serde::{Deserialize, Serialize};

/// A page request. `limit` is clamped to [`Page::MAX_LIMIT`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    /// Items to return (1..=500).
    pub limit: u32,
    /// Items to skip.
    pub offset: u64,
}

impl Page {
    /// Largest page size served.
    pub const MAX_LIMIT: u32 = 500;

    /// A page, with `limit` clamped to 1..=500.
    pub fn new(limit: u32, offset: u64) -> Self {
        Page {
            limit: limit.clamp(1, Self::MAX_LIMIT),
            offset: offset.min(i64::MAX as u64),
        }
    }
}

impl Default for Page {
    fn default() -> Self {
        Page::new(50, 0)
    }
}

/// One page of results plus the total number of matches.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Paged<T> {
    /// The items of this page.
    pub items: Vec<T>,
    /// Matches in total, across pages.
    pub total: u64,
}

/// A system to register.
#[derive(Debug, Clone, PartialEq)]
pub struct NewSystem {
    /// Unique name.
    pub name: String,
    /// What it is for.
    pub purpose: String,
    /// Accountable owner.
    pub owner: Option<String>,
    /// Risk owner.
    pub risk_owner: Option<String>,
    /// 1..=5.
    pub importance: u8,
    /// Lifecycle stage.
    pub lifecycle: LifecycleStage,
    /// Exposure.
    pub exposure: Exposure,
    /// Data categories processed.
    pub data_categories: Vec<DataCategory>,
    /// EU AI Act tier.
    pub eu_ai_act_tier: Option<EuAiActTier>,
    /// Uses a large language model.
    pub llm: bool,
    /// Guard policy of the fronting airm gateway.
    pub gateway_policy: Option<String>,
    /// When the last impact assessment was completed.
    pub impact_assessed_at: Option<Timestamp>,
    /// Controls in place (kebab-case).
    pub controls: Vec<String>,
}

/// A change to a system; `None` leaves a field as it is. For the optional fields,
/// `Some(None)` clears the value.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SystemPatch {
    /// New purpose.
    pub purpose: Option<String>,
    /// New owner (or clear).
    pub owner: Option<Option<String>>,
    /// New risk owner (or clear).
    pub risk_owner: Option<Option<String>>,
    /// New importance.
    pub importance: Option<u8>,
    /// New lifecycle stage.
    pub lifecycle: Option<LifecycleStage>,
    /// New exposure.
    pub exposure: Option<Exposure>,
    /// Replace the data categories.
    pub data_categories: Option<Vec<DataCategory>>,
    /// Data categories to add (applied after a replacement).
    pub add_data_categories: Vec<DataCategory>,
    /// New EU AI Act tier (or clear).
    pub eu_ai_act_tier: Option<Option<EuAiActTier>>,
    /// Uses a large language model.
    pub llm: Option<bool>,
    /// New gateway guard policy (or clear: not fronted).
    pub gateway_policy: Option<Option<String>>,
    /// New impact-assessment date (or clear).
    pub impact_assessed_at: Option<Option<Timestamp>>,
    /// Replace the controls.
    pub controls: Option<Vec<String>>,
    /// Controls to add (applied after a replacement).
    pub add_controls: Vec<String>,
    /// Controls to remove.
    pub remove_controls: Vec<String>,
}

impl SystemPatch {
    /// Whether the patch changes nothing.
    pub fn is_empty(&self) -> bool {
        *self == SystemPatch::default()
    }
}

/// Filters for listing systems; all given filters must match.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SystemFilter {
    /// Case-insensitive substring of name or purpose.
    pub query: Option<String>,
    /// Exact owner.
    pub owner: Option<String>,
    /// Lifecycle stage.
    pub lifecycle: Option<LifecycleStage>,
    /// Exposure.
    pub exposure: Option<Exposure>,
    /// Minimum importance.
    pub min_importance: Option<u8>,
}

/// Filters for listing assets.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AssetFilter {
    /// Kind of asset.
    pub kind: Option<AssetKind>,
    /// Used by this system (id or name).
    pub system: Option<String>,
    /// Case-insensitive substring of name or location.
    pub query: Option<String>,
}

/// Filters for listing findings.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FindingFilter {
    /// At or above this severity.
    pub min_severity: Option<Severity>,
    /// Exactly this severity.
    pub severity: Option<Severity>,
    /// Status.
    pub status: Option<FindingStatus>,
    /// Rule id.
    pub rule_id: Option<String>,
    /// Asset id.
    pub asset_id: Option<String>,
    /// Findings on assets of this system (id or name).
    pub system: Option<String>,
}

/// A person to add.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUser {
    /// Email (login name); stored lower-cased.
    pub email: String,
    /// Display name.
    pub name: String,
    /// Role.
    pub role: Role,
}

/// Filters for listing users.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserFilter {
    /// Role.
    pub role: Option<Role>,
    /// Only active (true) or only inactive (false) users.
    pub active: Option<bool>,
}

/// An API token as stored: never the secret, only metadata.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenInfo {
    /// Token id (`tok_…`), safe to show and log.
    pub id: String,
    /// The user it acts for.
    pub user_id: String,
    /// A label chosen at creation.
    pub name: String,
    /// When it was made.
    pub created_at: Timestamp,
    /// When it stops working, if ever.
    pub expires_at: Option<Timestamp>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<Timestamp>,
}

impl TokenInfo {
    /// Whether the token may be used at `now`.
    pub fn is_usable(&self, now: Timestamp) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|e| e > now)
    }
}

/// A token with the person it belongs to, as resolved during authentication.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The person.
    pub user: Person,
    /// The token or session used, if any.
    pub token: Option<TokenInfo>,
}

/// A dashboard session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionInfo {
    /// The person logged in.
    pub user: Person,
    /// CSRF token bound to the session.
    pub csrf: String,
    /// When it ends.
    pub expires_at: Timestamp,
}

/// An event to append to the activity log; the store assigns `seq`.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    /// When.
    pub time: Timestamp,
    /// Kind of actor.
    pub actor_kind: ActorKind,
    /// Actor id.
    pub actor_id: String,
    /// Dotted verb.
    pub action: String,
    /// Object acted on.
    pub target: Option<String>,
    /// How it ended.
    pub outcome: Outcome,
    /// Redacted details.
    pub details: serde_json::Value,
    /// Request id.
    pub request_id: Option<String>,
}

/// Filters for reading events.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventFilter {
    /// Actor id.
    pub actor: Option<String>,
    /// Action, or prefix ending in `.` (e.g. `system.`).
    pub action: Option<String>,
    /// Target.
    pub target: Option<String>,
    /// At or after.
    pub since: Option<Timestamp>,
    /// Before.
    pub until: Option<Timestamp>,
}

/// Numbers for the overview page and metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// AI systems.
    pub systems: u64,
    /// Assets.
    pub assets: u64,
    /// All findings.
    pub findings: u64,
    /// Open findings per severity, indexed by `Severity::rank()`.
    pub open_by_severity: [u64; 5],
    /// Users.
    pub users: u64,
    /// Activity-log events.
    pub events: u64,
}

/// A stored activity-log entry before decoding. Its stored `prev_hash` is not read: the
/// verifier chains each entry to the hash it computed for the one before, and
/// [`crate::Store::first_index_mismatch`] checks the stored links in the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawEntry {
    /// Position.
    pub seq: i64,
    /// Entry hash; `None` when the stored value is not a 32-byte hash in hex.
    pub entry_hash: Option<[u8; 32]>,
    /// The canonical event bytes that were hashed.
    pub canonical: String,
}

/// An approval request to store; the committee is given by id or name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewApproval {
    /// What is to be decided about.
    pub subject: String,
    /// The decision asked for (kebab-case).
    pub action: String,
    /// Deciding committee (id or name).
    pub committee: String,
    /// Who asks.
    pub requested_by: String,
    /// Why.
    pub reason: String,
}

/// Filters for listing approvals.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApprovalFilter {
    /// Status.
    pub status: Option<airm_core::ApprovalStatus>,
    /// Committee (name).
    pub committee: Option<String>,
    /// Only requests of committees this person (email) is a member of.
    pub member: Option<String>,
}

/// Filters for listing exceptions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExceptionFilter {
    /// Only exceptions active at this time (not revoked, not expired).
    pub active_at: Option<Timestamp>,
    /// Only exceptions expiring before this time.
    pub expiring_before: Option<Timestamp>,
    /// Policy id.
    pub policy: Option<String>,
}

/// Everything governance policies are evaluated against, read in one go.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GovernanceFacts {
    /// All systems.
    pub systems: Vec<airm_core::AiSystem>,
    /// All assets with open-finding counts.
    pub assets: Vec<airm_core::AssetFacts>,
    /// All exceptions.
    pub exceptions: Vec<airm_core::PolicyException>,
    /// All approval requests.
    pub approvals: Vec<airm_core::Approval>,
    /// All committees.
    pub committees: Vec<airm_core::Committee>,
    /// All people.
    pub people: Vec<Person>,
    /// RACI assignments of all systems.
    pub raci: Vec<airm_core::RaciAssignment>,
}

// --- gateway virtual keys (airm-gateway) ---

/// A gateway virtual key as stored: never the secret, only its metadata and bindings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GatewayKey {
    /// Key id (`gwk_…`), safe to show and log.
    pub id: String,
    /// A label chosen at creation.
    pub name: String,
    /// The AI system whose traffic this key carries (system id).
    pub system_id: String,
    /// Model name patterns the key may use (`*` wildcard at the end); empty = any.
    pub models: Vec<String>,
    /// Name of the guard policy applied to its traffic (`default` = the `[guard]` section).
    pub policy: String,
    /// Requests per minute allowed (none = unlimited).
    pub requests_per_minute: Option<u32>,
    /// Tokens per minute allowed (none = unlimited).
    pub tokens_per_minute: Option<u32>,
    /// When it was made.
    pub created_at: Timestamp,
    /// When it stops working, if ever.
    pub expires_at: Option<Timestamp>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<Timestamp>,
}

impl GatewayKey {
    /// Whether the key may be used at `now`.
    pub fn is_usable(&self, now: Timestamp) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|e| e > now)
    }
}

/// A gateway key to create (the caller makes the secret and passes only its hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewGatewayKey {
    /// Label.
    pub name: String,
    /// System id or name.
    pub system: String,
    /// Allowed model patterns; empty = any.
    pub models: Vec<String>,
    /// Guard policy name.
    pub policy: String,
    /// Requests per minute.
    pub requests_per_minute: Option<u32>,
    /// Tokens per minute.
    pub tokens_per_minute: Option<u32>,
    /// Expiry.
    pub expires_at: Option<Timestamp>,
}
