//! The [`Store`] trait: every read and write airm makes, as one capability with two
//! implementations (embedded SQLite, PostgreSQL) that pass the same conformance suite.
//!
//! Writes that read-modify-write use optimistic concurrency (a `version` column), so two
//! processes writing to one database never silently overwrite each other.

use airm_core::{
    AiSystem, Approval, ApprovalStatus, Asset, AuditEvent, Committee, Finding, FindingStatus,
    Notification, Person, PolicyException, Role, Timestamp, ViolationRecord, Vote,
};
use airm_ledger::{ChainState, Checkpoint, Digest, LedgerEntry};
use async_trait::async_trait;

use crate::model::{
    ApprovalFilter, AssetFilter, Counts, EventFilter, ExceptionFilter, FindingFilter,
    GovernanceFacts, NewApproval, NewEvent, NewSystem, NewUser, Page, Paged, Principal,
    SessionInfo, SystemFilter, SystemPatch, TokenInfo, UserFilter,
};
use crate::model::{GatewayKey, NewGatewayKey};
use crate::Result;

/// Persistence of airm's state.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Which engine this is: `sqlite` or `postgres`.
    fn backend(&self) -> &'static str;

    /// Checks that the database answers (for `/healthz`).
    async fn ping(&self) -> Result<()>;

    // --- AI systems ---

    /// Registers a system; fails with `AlreadyExists` if the name is taken (case-insensitive).
    async fn create_system(&self, new: NewSystem) -> Result<AiSystem>;
    /// Finds a system by id or by name (case-insensitive).
    async fn get_system(&self, id_or_name: &str) -> Result<Option<AiSystem>>;
    /// Lists systems, by name.
    async fn list_systems(&self, filter: &SystemFilter, page: Page) -> Result<Paged<AiSystem>>;
    /// Applies `patch` if the stored version is still `expected_version` (any version when
    /// `None`: the patch is then re-applied on the latest state, never overwriting fields
    /// it does not name).
    async fn update_system(
        &self,
        id_or_name: &str,
        patch: &SystemPatch,
        expected_version: Option<i64>,
    ) -> Result<AiSystem>;

    // --- assets ---

    /// Inserts an asset or, if one with the same content hash (or, without a hash, the
    /// same kind and location) exists, refreshes it; links it to `asset.systems` (names).
    /// Returns the stored asset (with the existing id when deduplicated).
    async fn upsert_asset(&self, asset: Asset) -> Result<Asset>;
    /// Finds an asset by id.
    async fn get_asset(&self, id: &str) -> Result<Option<Asset>>;
    /// Lists assets, newest first.
    async fn list_assets(&self, filter: &AssetFilter, page: Page) -> Result<Paged<Asset>>;

    // --- findings ---

    /// Inserts a finding or, if its fingerprint is known, refreshes `last_seen`, severity,
    /// message and evidence (keeping the user's status and `first_seen`).
    async fn upsert_finding(&self, finding: Finding) -> Result<Finding>;
    /// Finds a finding by id.
    async fn get_finding(&self, id: &str) -> Result<Option<Finding>>;
    /// Lists findings, most severe and most recent first.
    async fn list_findings(&self, filter: &FindingFilter, page: Page) -> Result<Paged<Finding>>;
    /// Records the user's decision on a finding.
    async fn set_finding_status(&self, id: &str, status: FindingStatus) -> Result<Finding>;

    // --- people, tokens, sessions ---

    /// Adds a person; `AlreadyExists` if the email is taken.
    async fn create_user(&self, new: NewUser) -> Result<Person>;
    /// Finds a person by id or email.
    async fn get_user(&self, id_or_email: &str) -> Result<Option<Person>>;
    /// Lists people by email.
    async fn list_users(&self, filter: &UserFilter, page: Page) -> Result<Paged<Person>>;
    /// Changes a person's role.
    async fn set_user_role(&self, id_or_email: &str, role: Role) -> Result<Person>;
    /// Activates or deactivates a person (inactive people cannot authenticate).
    async fn set_user_active(&self, id_or_email: &str, active: bool) -> Result<Person>;
    /// Stores a token (only its hash) for a user.
    async fn create_token(
        &self,
        user_id: &str,
        name: &str,
        token_hash: &str,
        expires_at: Option<Timestamp>,
    ) -> Result<TokenInfo>;
    /// Resolves a token hash to its usable token and active user.
    async fn authenticate_token(
        &self,
        token_hash: &str,
        now: Timestamp,
    ) -> Result<Option<Principal>>;
    /// Revokes a token (idempotent); returns it.
    async fn revoke_token(&self, id: &str) -> Result<TokenInfo>;
    /// Lists tokens (optionally of one user), newest first.
    async fn list_tokens(&self, user_id: Option<&str>) -> Result<Vec<TokenInfo>>;
    /// If the store has no users at all, creates an admin user with a token (hash given)
    /// atomically and returns the user; otherwise returns `None`.
    async fn bootstrap_admin(&self, email: &str, token_hash: &str) -> Result<Option<Person>>;
    /// Starts a dashboard session.
    async fn create_session(
        &self,
        id_hash: &str,
        user_id: &str,
        csrf: &str,
        expires_at: Timestamp,
    ) -> Result<()>;
    /// Resolves a live session of an active user.
    async fn get_session(&self, id_hash: &str, now: Timestamp) -> Result<Option<SessionInfo>>;
    /// Ends a session (idempotent).
    async fn delete_session(&self, id_hash: &str) -> Result<()>;

    // --- activity events ---

    /// Appends events atomically to the hash-chained activity log: assigns consecutive
    /// sequence numbers and seals each entry to the previous one under a lock on the
    /// chain head, so concurrent writers (threads or processes) form one chain. When this
    /// returns, the entries are durable.
    async fn append_events(&self, events: Vec<NewEvent>) -> Result<Vec<LedgerEntry>>;
    /// Appends one event; see [`Store::append_events`].
    async fn append_event(&self, event: NewEvent) -> Result<AuditEvent> {
        let mut sealed = self.append_events(vec![event]).await?;
        sealed
            .pop()
            .map(|e| e.event)
            .ok_or_else(|| crate::StoreError::LogWriter("no entry sealed".into()))
    }
    /// Reads events, newest first.
    async fn list_events(&self, filter: &EventFilter, page: Page) -> Result<Paged<AuditEvent>>;
    /// Reads up to `limit` sealed entries from `from_seq` on, in order.
    async fn ledger_entries(&self, from_seq: u64, limit: u32) -> Result<Vec<LedgerEntry>>;
    /// The chain head: size, last entry hash and Merkle frontier.
    async fn ledger_state(&self) -> Result<ChainState>;
    /// Merkle leaf hashes (`SHA-256(0x00 || entry_hash)`) of the entries `[from, to)`.
    async fn leaf_hashes(&self, from: u64, to: u64) -> Result<Vec<Digest>>;
    /// Up to `limit` entries from `from_seq` on as stored: the signed canonical bytes and
    /// hashes, undecoded (for fast verification).
    async fn raw_entries(&self, from_seq: u64, limit: u32) -> Result<Vec<crate::RawEntry>>;
    /// The first entry whose stored columns disagree with the signed entries: searchable
    /// columns (seq, time, actor, action, target, outcome, request id) that differ from
    /// its canonical bytes, or a `prev_hash` that is not the previous entry's hash.
    async fn first_index_mismatch(&self) -> Result<Option<i64>>;
    /// Stores a signed checkpoint (idempotent per tree size).
    async fn add_checkpoint(&self, checkpoint: &Checkpoint) -> Result<()>;
    /// All checkpoints, oldest first.
    async fn checkpoints(&self) -> Result<Vec<Checkpoint>>;

    // --- overview ---

    /// Counts for the overview page and metrics.
    async fn counts(&self) -> Result<Counts>;

    // --- asset facts (discovery inventory; migration 0004) ---

    /// Replaces the facts discovery recorded about an asset (a JSON object).
    async fn set_asset_facts(&self, asset_id: &str, facts: &serde_json::Value) -> Result<()>;
    /// The facts recorded about an asset, if any.
    async fn asset_facts(&self, asset_id: &str) -> Result<Option<serde_json::Value>>;
    // --- governance (issue 9): committees, approvals, exceptions, violations,
    // notifications. Kept together at the end of the trait. ---

    /// Creates a committee; `AlreadyExists` if the name is taken (case-insensitive),
    /// `Invalid` if the quorum is unreachable.
    async fn create_committee(
        &self,
        name: &str,
        members: &[String],
        quorum: u32,
    ) -> Result<Committee>;
    /// Finds a committee by id or name.
    async fn get_committee(&self, id_or_name: &str) -> Result<Option<Committee>>;
    /// All committees, by name.
    async fn list_committees(&self) -> Result<Vec<Committee>>;
    /// Stores a pending approval request of an existing committee, with its quorum.
    async fn create_approval(&self, new: NewApproval) -> Result<Approval>;
    /// Finds an approval request with its votes.
    async fn get_approval(&self, id: &str) -> Result<Option<Approval>>;
    /// Lists approval requests, newest first.
    async fn list_approvals(&self, filter: &ApprovalFilter, page: Page) -> Result<Paged<Approval>>;
    /// Records a vote and the request's resulting status atomically. `votes_before` is the
    /// number of votes the status was computed from: if another vote landed meanwhile the
    /// call fails with `VersionConflict` and nothing is stored; a second vote of the same
    /// voter fails with `AlreadyExists`.
    async fn record_vote(
        &self,
        approval_id: &str,
        vote: &Vote,
        votes_before: usize,
        status: ApprovalStatus,
    ) -> Result<Approval>;
    /// Stores an exception (the id is assigned when empty) after checking its invariants.
    async fn create_exception(&self, exception: PolicyException) -> Result<PolicyException>;
    /// Finds an exception.
    async fn get_exception(&self, id: &str) -> Result<Option<PolicyException>>;
    /// Lists exceptions, soonest expiry first.
    async fn list_exceptions(&self, filter: &ExceptionFilter) -> Result<Vec<PolicyException>>;
    /// Ends an exception early (idempotent: an ended one keeps its first end time).
    async fn revoke_exception(&self, id: &str, at: Timestamp) -> Result<PolicyException>;
    /// Reads everything governance policies need, with open findings counted per asset
    /// and severity in the database.
    async fn governance_facts(&self) -> Result<GovernanceFacts>;
    /// Records the violations found by an evaluation at `now`: new ones start at `now`,
    /// known ones keep their `first_seen`, and open ones not in `current` are resolved.
    /// Returns `current` with the stored `first_seen`.
    async fn sync_violations(
        &self,
        current: &[ViolationRecord],
        now: Timestamp,
    ) -> Result<Vec<ViolationRecord>>;
    /// Lists recorded violations, most severe and oldest first.
    async fn list_violations(&self, open_only: bool, page: Page) -> Result<Paged<ViolationRecord>>;
    /// Assigns (`assigned`) or removes a RACI role of a person on a system; returns the
    /// system's RACI assignments.
    async fn set_raci(
        &self,
        system: &str,
        role: airm_core::RaciRole,
        person: &str,
        assigned: bool,
    ) -> Result<Vec<airm_core::RaciAssignment>>;
    /// RACI assignments of one system (id or name), or of all, by system, role, person.
    async fn list_raci(&self, system: Option<&str>) -> Result<Vec<airm_core::RaciAssignment>>;
    /// Stores a notification unless one exists for the same violation and step; returns
    /// whether it was stored.
    async fn add_notification(&self, notification: &Notification) -> Result<bool>;
    /// Notifications, newest first, optionally of one violation or one recipient.
    async fn list_notifications(
        &self,
        fingerprint: Option<&str>,
        recipient: Option<&str>,
        limit: u32,
    ) -> Result<Vec<Notification>>;

    // --- gateway virtual keys (airm-gateway) ---

    /// Stores a gateway key (only its hash) bound to a system (id or name); `NotFound`
    /// when the system does not exist.
    async fn create_gateway_key(&self, new: NewGatewayKey, key_hash: &str) -> Result<GatewayKey>;
    /// Resolves a key hash to its key if it is usable at `now` (not revoked, not expired).
    async fn gateway_key_by_hash(
        &self,
        key_hash: &str,
        now: Timestamp,
    ) -> Result<Option<GatewayKey>>;
    /// Lists gateway keys, newest first.
    async fn list_gateway_keys(&self) -> Result<Vec<GatewayKey>>;
    /// Revokes a gateway key (idempotent); returns it.
    async fn revoke_gateway_key(&self, id: &str) -> Result<GatewayKey>;

    // --- monitoring (prediction events, request statistics, alerts, baselines) ---

    /// Stores prediction events of `model` in one transaction; an event whose id exists
    /// replaces it but keeps a stored label when the new one has none. Events without an
    /// id get a fresh one. Returns the number stored.
    async fn insert_monitor_events(
        &self,
        model: &str,
        events: Vec<crate::monitor::MonitorEvent>,
    ) -> Result<u64>;
    /// Sets labels of stored events of `model` by id (labels arriving later), in one
    /// transaction. Returns how many events matched.
    async fn set_monitor_labels(
        &self,
        model: &str,
        labels: Vec<(String, serde_json::Value)>,
        time: Timestamp,
    ) -> Result<u64>;
    /// Events of `model` in `[since, until)`, oldest first, at most `limit`.
    async fn list_monitor_events(
        &self,
        model: &str,
        since: Timestamp,
        until: Timestamp,
        limit: u32,
    ) -> Result<Vec<crate::monitor::MonitorEvent>>;
    /// Like [`Store::list_monitor_events`] without features and metadata (returned as
    /// `null`): what performance computations need, at a fraction of the memory.
    async fn list_monitor_outcomes(
        &self,
        model: &str,
        since: Timestamp,
        until: Timestamp,
        limit: u32,
    ) -> Result<Vec<crate::monitor::MonitorEvent>>;
    /// Every model with events or alerts, by name.
    async fn monitor_models(&self) -> Result<Vec<crate::monitor::ModelSummary>>;
    /// Appends request statistics (the gateway's per-request record) in one transaction.
    async fn record_requests(&self, stats: Vec<crate::monitor::RequestStat>) -> Result<()>;
    /// Request statistics matching `filter`, oldest first, at most `limit`.
    async fn list_requests(
        &self,
        filter: &crate::monitor::RequestFilter,
        limit: u32,
    ) -> Result<Vec<crate::monitor::RequestStat>>;
    /// Opens an alert, or refreshes the open alert with the same fingerprint (value,
    /// message, window, last seen, count). Returns it and whether it was newly opened.
    async fn fire_alert(
        &self,
        alert: crate::monitor::NewAlert,
    ) -> Result<(crate::monitor::Alert, bool)>;
    /// Resolves the open alert with this fingerprint, if any, and returns it.
    async fn resolve_alert(
        &self,
        fingerprint: &str,
        time: Timestamp,
    ) -> Result<Option<crate::monitor::Alert>>;
    /// Alerts matching `filter`, open first, most recently seen first.
    async fn list_alerts(
        &self,
        filter: &crate::monitor::AlertFilter,
        page: Page,
    ) -> Result<Paged<crate::monitor::Alert>>;
    /// Stores (replacing) a model's performance baseline.
    async fn set_baseline(&self, baseline: &crate::monitor::Baseline) -> Result<()>;
    /// A model's performance baseline, if set.
    async fn get_baseline(&self, model: &str) -> Result<Option<crate::monitor::Baseline>>;
}
