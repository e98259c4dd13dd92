//! Shared server state and the per-request id.

use std::sync::Arc;

use airm_core::{ActorKind, Outcome, Timestamp};
use airm_ledger::SigningKey;
use airm_store::{DynStore, EventLog, NewEvent};

use crate::auth::Caller;
use crate::metrics::Metrics;

/// Settings of the HTTP server.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Set the `Secure` flag on cookies (the dashboard is served over HTTPS).
    pub secure_cookies: bool,
    /// Dashboard session lifetime in hours.
    pub session_hours: i64,
    /// Seconds between automatic activity-log checkpoints (0 = only on demand).
    pub checkpoint_interval_secs: u64,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            secure_cookies: false,
            session_hours: 12,
            checkpoint_interval_secs: 300,
        }
    }
}

/// Everything a handler needs.
#[derive(Clone)]
pub struct AppState {
    /// The store.
    pub store: DynStore,
    /// The activity log (group commit).
    pub events: EventLog,
    /// Key that signs activity-log checkpoints.
    pub ledger_key: Arc<SigningKey>,
    /// The runtime guard for `/api/v1/guard/check`.
    pub guard: Arc<airm_guard::Guard>,
    /// Request metrics.
    pub metrics: Arc<Metrics>,
    /// Dashboard templates.
    pub templates: Arc<minijinja::Environment<'static>>,
    /// Settings.
    pub config: Arc<ServerConfig>,
    /// Governance policy settings (disabled built-ins, user policy directory, escalation).
    pub governance: Arc<crate::governance::PolicyOptions>,
    /// Monitoring: alert rules, sinks, ingestion limits.
    pub monitor: Arc<crate::monitor::MonitorSettings>,
}

/// The id of the current request (also returned in `x-request-id`).
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

impl AppState {
    /// Records an action in the activity log. A failure to record is logged loudly; the
    /// action itself has already happened.
    pub async fn record(
        &self,
        caller: &Caller,
        action: &str,
        target: Option<&str>,
        outcome: Outcome,
        details: serde_json::Value,
    ) {
        let mut details = details;
        if let (Some(t), Some(obj)) = (&caller.token_id, details.as_object_mut()) {
            obj.insert("token_id".into(), serde_json::Value::String(t.clone()));
        }
        let event = NewEvent {
            time: Timestamp::now(),
            actor_kind: ActorKind::User,
            actor_id: caller.user.email.clone(),
            action: action.to_string(),
            target: target.map(str::to_string),
            outcome,
            details,
            request_id: Some(caller.request_id.clone()).filter(|s| !s.is_empty()),
        };
        if let Err(e) = self.events.append(event).await {
            tracing::error!(error = %e, action, "Failed to record activity event");
        }
    }
}
