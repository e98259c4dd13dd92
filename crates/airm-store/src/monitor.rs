//! Stored shapes of monitoring data: prediction events (with labels joined later by id),
//! request statistics from the gateway, alerts with their open/resolved state, and each
//! model's performance baseline. Validation of untrusted events happens before the store
//! (`airm-monitor`); the store keeps what it is given, bounded by the caller.

use airm_core::{Severity, Timestamp};
use serde::{Deserialize, Serialize};

/// A prediction event to store. Values are JSON (`features` and `metadata` objects,
/// `prediction` and `label` scalars).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MonitorEvent {
    /// Id within the model; `None` on insert lets the store assign one.
    pub id: Option<String>,
    /// When the prediction was made.
    pub time: Timestamp,
    /// Feature values by name (null = missing).
    pub features: serde_json::Value,
    /// The model's output.
    pub prediction: Option<serde_json::Value>,
    /// Probability of the positive class.
    pub score: Option<f64>,
    /// The true outcome.
    pub label: Option<serde_json::Value>,
    /// When the label was stored.
    pub label_time: Option<Timestamp>,
    /// String metadata.
    pub metadata: serde_json::Value,
}

/// Per-model totals for the monitoring overview.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelSummary {
    /// Model name.
    pub model: String,
    /// Stored prediction events.
    pub events: u64,
    /// Of which labelled.
    pub labelled: u64,
    /// Earliest event time.
    pub first: Option<Timestamp>,
    /// Latest event time.
    pub last: Option<Timestamp>,
    /// Open alerts.
    pub open_alerts: u64,
}

/// What the guard did with a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GuardAction {
    /// Passed.
    Allow,
    /// Passed with a finding.
    Flag,
    /// Passed with redactions.
    Redact,
    /// Blocked.
    Block,
}

impl GuardAction {
    /// The stable spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            GuardAction::Allow => "allow",
            GuardAction::Flag => "flag",
            GuardAction::Redact => "redact",
            GuardAction::Block => "block",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "allow" => GuardAction::Allow,
            "flag" => GuardAction::Flag,
            "redact" => GuardAction::Redact,
            "block" => GuardAction::Block,
            _ => return None,
        })
    }
}

/// Statistics of one proxied LLM request, recorded by the gateway with
/// [`crate::Store::record_requests`] (batch them: one call per flush, not per request).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequestStat {
    /// When the request finished.
    pub time: Timestamp,
    /// AI system (name) the request belongs to.
    pub system: Option<String>,
    /// Virtual key id (never the secret).
    pub key: Option<String>,
    /// Upstream model name.
    pub model: Option<String>,
    /// End-to-end latency, ms.
    pub latency_ms: f64,
    /// Prompt tokens.
    pub prompt_tokens: u64,
    /// Completion tokens.
    pub completion_tokens: u64,
    /// The model refused to answer.
    pub refused: bool,
    /// The guard's strongest action on the request or response.
    pub guard_action: Option<GuardAction>,
    /// Output class, when the caller classifies responses.
    pub output_class: Option<String>,
}

impl RequestStat {
    pub(crate) fn guard_from(s: Option<String>) -> Option<GuardAction> {
        s.as_deref().and_then(GuardAction::parse)
    }
}

/// Which request statistics to read; all given filters must match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestFilter {
    /// Model.
    pub model: Option<String>,
    /// System.
    pub system: Option<String>,
    /// Key id.
    pub key: Option<String>,
    /// At or after.
    pub since: Option<Timestamp>,
    /// Before.
    pub until: Option<Timestamp>,
}

/// Open or resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertStatus {
    /// The condition holds (as of `last_seen`).
    Open,
    /// The condition stopped holding at `resolved_at`.
    Resolved,
}

impl AlertStatus {
    /// The stable spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            AlertStatus::Open => "open",
            AlertStatus::Resolved => "resolved",
        }
    }
}

impl std::str::FromStr for AlertStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "open" => Ok(AlertStatus::Open),
            "resolved" => Ok(AlertStatus::Resolved),
            _ => Err(format!("unknown alert status `{s}` (open, resolved)")),
        }
    }
}

/// A firing rule to record as an alert.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAlert {
    /// Identity (rule + model); one open alert per fingerprint.
    pub fingerprint: String,
    /// Rule name.
    pub rule: String,
    /// Model.
    pub model: String,
    /// Metric name.
    pub metric: String,
    /// Condition name.
    pub condition: String,
    /// Severity.
    pub severity: Severity,
    /// Owner.
    pub owner: Option<String>,
    /// A sentence for people.
    pub message: String,
    /// Observed value.
    pub value: f64,
    /// Threshold or baseline compared with.
    pub reference: f64,
    /// Window judged.
    pub window_start: Timestamp,
    /// Its end.
    pub window_end: Timestamp,
    /// Evaluation time.
    pub time: Timestamp,
}

/// A stored alert.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    /// Id (`alr_…`).
    pub id: String,
    /// Identity (rule + model).
    pub fingerprint: String,
    /// Rule name.
    pub rule: String,
    /// Model.
    pub model: String,
    /// Metric.
    pub metric: String,
    /// Condition.
    pub condition: String,
    /// Severity.
    pub severity: Severity,
    /// Owner.
    pub owner: Option<String>,
    /// Open or resolved.
    pub status: AlertStatus,
    /// Latest message.
    pub message: String,
    /// Latest observed value.
    pub value: f64,
    /// Threshold or baseline.
    pub reference: f64,
    /// Latest window judged.
    pub window_start: Timestamp,
    /// Its end.
    pub window_end: Timestamp,
    /// When it opened.
    pub first_seen: Timestamp,
    /// Last evaluation that found it firing.
    pub last_seen: Timestamp,
    /// When it resolved.
    pub resolved_at: Option<Timestamp>,
    /// Evaluations that found it firing.
    pub seen_count: u64,
}

/// Filters for listing alerts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AlertFilter {
    /// Model.
    pub model: Option<String>,
    /// Status.
    pub status: Option<AlertStatus>,
}

/// A model's stored reference performance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Baseline {
    /// Model.
    pub model: String,
    /// Metrics (as computed by `airm-monitor`), JSON object.
    pub metrics: serde_json::Value,
    /// Reference feature sample for drift (`airm_monitor::reference::ReferenceSample`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<serde_json::Value>,
    /// Period the baseline was computed over.
    pub window_start: Timestamp,
    /// Its end.
    pub window_end: Timestamp,
    /// When it was set.
    pub created_at: Timestamp,
}

/// A non-blocking recorder of request statistics for the gateway's hot path: `record`
/// queues a statistic without waiting for the database; one writer task stores queued
/// statistics in batches (one transaction each). When the queue is full (the database is
/// slower than the traffic) statistics are dropped and counted, never blocking requests.
/// The writer stops when every handle is dropped, after storing what was queued.
///
/// ```ignore
/// let recorder = RequestRecorder::start(store.clone());
/// recorder.record(RequestStat { time: Timestamp::now(), latency_ms: 812.0, .. });
/// recorder.flush().await; // e.g. at shutdown: everything queued before is stored
/// ```
#[derive(Clone)]
pub struct RequestRecorder {
    tx: tokio::sync::mpsc::Sender<Queued>,
    dropped: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

enum Queued {
    Stat(RequestStat),
    Flush(tokio::sync::oneshot::Sender<()>),
}

/// Statistics queued at most (beyond it they are dropped).
pub const RECORDER_QUEUE: usize = 65_536;
/// Statistics stored per transaction at most.
pub const RECORDER_BATCH: usize = 4096;

impl RequestRecorder {
    /// Starts the writer task on the current Tokio runtime.
    pub fn start(store: crate::DynStore) -> Self {
        let (tx, mut rx) = tokio::sync::mpsc::channel::<Queued>(RECORDER_QUEUE);
        tokio::spawn(async move {
            let mut batch = Vec::with_capacity(RECORDER_BATCH);
            let mut acks = Vec::new();
            while let Some(first) = rx.recv().await {
                let mut next = Some(first);
                while let Some(q) = next.take() {
                    match q {
                        Queued::Stat(s) => batch.push(s),
                        Queued::Flush(ack) => acks.push(ack),
                    }
                    if batch.len() < RECORDER_BATCH && acks.is_empty() {
                        next = rx.try_recv().ok();
                    }
                }
                if !batch.is_empty() {
                    let n = batch.len();
                    if let Err(e) = store.record_requests(std::mem::take(&mut batch)).await {
                        tracing::warn!(error = %e, lost = n, "Request statistics not stored");
                    }
                }
                for ack in acks.drain(..) {
                    let _ = ack.send(());
                }
            }
        });
        RequestRecorder {
            tx,
            dropped: Default::default(),
        }
    }

    /// Queues one statistic; returns false (and counts it) if the queue is full.
    pub fn record(&self, stat: RequestStat) -> bool {
        let ok = self.tx.try_send(Queued::Stat(stat)).is_ok();
        if !ok {
            self.dropped
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        ok
    }

    /// Statistics dropped so far (by every handle).
    pub fn dropped(&self) -> u64 {
        self.dropped.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Waits until everything queued before this call is stored (or failed and logged).
    pub async fn flush(&self) {
        let (ack, done) = tokio::sync::oneshot::channel();
        if self.tx.send(Queued::Flush(ack)).await.is_ok() {
            let _ = done.await;
        }
    }
}
