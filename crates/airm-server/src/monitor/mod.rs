//! Monitoring in the server: the settings from `[monitor]` in airm.toml, conversions
//! between `airm-monitor`'s validated events and the store's rows, the alert evaluator
//! (run periodically by `airm serve` and on demand by the API and `airm monitor alerts
//! evaluate`) and the sinks that deliver alerts.
//!
//! The evaluator reads windows from the store, asks `airm-monitor` whether each rule
//! fires, and lets the store's one-open-alert-per-fingerprint upsert decide what is new:
//! only a newly opened or resolved alert is delivered to sinks and written to the
//! activity log, so several instances evaluating together do not notify twice.
//!
//! Gateway integration: the gateway records each request's statistics
//! ([`airm_store::monitor::RequestStat`]) through [`airm_store::monitor::RequestRecorder`]
//! (non-blocking, batched) or [`airm_store::Store::record_requests`]; rules on
//! `request_rate`, `latency_ms`, `tokens`, `block_rate`, `refusal_rate` and
//! `class_mix_shift` then evaluate over them.

#[cfg(feature = "smtp")]
pub mod email;
pub mod sinks;

use std::sync::Arc;

use serde::Serialize;

use airm_core::{ActorKind, Outcome as ActivityOutcome, Timestamp};
use airm_monitor::alert::{self, AlertRule, Check, Transition};
use airm_monitor::anomaly::{self, RequestSample};
use airm_monitor::drift::DriftOptions;
use airm_monitor::event::{Limits, PredictionEvent, Value};
use airm_monitor::perf;
use airm_monitor::reference::ReferenceSample;
use airm_store::monitor::{
    Alert, AlertFilter, AlertStatus, GuardAction, MonitorEvent, NewAlert, RequestFilter,
    RequestStat,
};
use airm_store::{DynStore, NewEvent, Page, StoreError};

pub use sinks::{Delivery, Sink, SinkConfig};

/// Most events or requests read for one computation; beyond it results are marked
/// truncated (use a shorter range or window).
pub const MAX_ROWS: u32 = 500_000;

/// Monitoring settings of a running server.
#[derive(Debug, Clone)]
pub struct MonitorSettings {
    /// Alert rules (validated).
    pub rules: Vec<AlertRule>,
    /// Where alerts go.
    pub sinks: Vec<Sink>,
    /// Seconds between evaluations in `airm serve` (0 = only on demand).
    pub evaluate_interval_secs: u64,
    /// Caps on ingested events.
    pub limits: Limits,
}

impl Default for MonitorSettings {
    fn default() -> Self {
        MonitorSettings {
            rules: Vec::new(),
            sinks: Vec::new(),
            evaluate_interval_secs: 60,
            limits: Limits::default(),
        }
    }
}

/// Checks a model name from a URL or the command line.
pub fn check_model_name(model: &str) -> Result<(), String> {
    if model.is_empty() || model.len() > 128 {
        return Err("model name must be 1–128 characters".into());
    }
    if !model
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':' | b'@'))
    {
        return Err("model name may contain letters, digits and - _ . : @ only".into());
    }
    Ok(())
}

fn value_json(v: &Value) -> serde_json::Value {
    match v {
        Value::Bool(b) => serde_json::Value::Bool(*b),
        Value::Number(n) => serde_json::Number::from_f64(*n)
            .map(serde_json::Value::Number)
            .unwrap_or(serde_json::Value::Null),
        Value::Text(s) => serde_json::Value::String(s.clone()),
    }
}

fn json_value(v: &serde_json::Value) -> Option<Value> {
    match v {
        serde_json::Value::Bool(b) => Some(Value::Bool(*b)),
        serde_json::Value::Number(n) => n.as_f64().map(Value::Number),
        serde_json::Value::String(s) => Some(Value::Text(s.clone())),
        _ => None,
    }
}

/// A validated event as a store row.
pub fn to_row(e: PredictionEvent) -> MonitorEvent {
    MonitorEvent {
        id: e.id,
        time: e.time,
        features: serde_json::Value::Object(
            e.features
                .iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        v.as_ref().map_or(serde_json::Value::Null, value_json),
                    )
                })
                .collect(),
        ),
        prediction: e.prediction.as_ref().map(value_json),
        score: e.score,
        label: e.label.as_ref().map(value_json),
        label_time: None,
        metadata: serde_json::to_value(&e.metadata).unwrap_or_default(),
    }
}

/// The performance view of a stored event.
pub fn outcome(e: &MonitorEvent) -> perf::Outcome {
    perf::Outcome {
        time_ms: e.time.millis(),
        prediction: e.prediction.as_ref().and_then(json_value),
        score: e.score,
        label: e.label.as_ref().and_then(json_value),
    }
}

/// The behaviour view of a stored request statistic.
pub fn sample(r: &RequestStat) -> RequestSample {
    RequestSample {
        time_ms: r.time.millis(),
        latency_ms: r.latency_ms,
        prompt_tokens: r.prompt_tokens,
        completion_tokens: r.completion_tokens,
        refused: r.refused,
        blocked: r.guard_action == Some(GuardAction::Block),
        output_class: r.output_class.clone(),
    }
}

/// Performance windows of `model` over `[from, to)`.
pub async fn performance(
    store: &DynStore,
    model: &str,
    from_ms: i64,
    to_ms: i64,
    window_ms: i64,
    positive: &str,
) -> Result<(Vec<perf::Window>, bool), EvalError> {
    perf::window_count(from_ms, to_ms, window_ms)?;
    let rows = store
        .list_monitor_outcomes(model, Timestamp(from_ms), Timestamp(to_ms), MAX_ROWS)
        .await?;
    let truncated = rows.len() as u64 >= u64::from(MAX_ROWS);
    let outcomes: Vec<perf::Outcome> = rows.iter().map(outcome).collect();
    Ok((
        perf::windows(&outcomes, from_ms, to_ms, window_ms, positive)?,
        truncated,
    ))
}

/// Behaviour windows of the requests matching `filter` over `[from, to)`.
pub async fn behaviour(
    store: &DynStore,
    filter: &RequestFilter,
    from_ms: i64,
    to_ms: i64,
    window_ms: i64,
) -> Result<(Vec<anomaly::BehaviourWindow>, bool), EvalError> {
    perf::window_count(from_ms, to_ms, window_ms)?;
    let f = RequestFilter {
        since: Some(Timestamp(from_ms)),
        until: Some(Timestamp(to_ms)),
        ..filter.clone()
    };
    let rows = store.list_requests(&f, MAX_ROWS).await?;
    let truncated = rows.len() as u64 >= u64::from(MAX_ROWS);
    let samples: Vec<RequestSample> = rows.iter().map(sample).collect();
    Ok((
        anomaly::behaviour_windows(&samples, from_ms, to_ms, window_ms)?,
        truncated,
    ))
}

/// Errors of monitoring computations.
#[derive(Debug)]
pub enum EvalError {
    /// Bad input (window, range, rule).
    Monitor(airm_monitor::MonitorError),
    /// The store failed.
    Store(StoreError),
}

impl std::fmt::Display for EvalError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EvalError::Monitor(e) => e.fmt(f),
            EvalError::Store(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for EvalError {}

impl From<airm_monitor::MonitorError> for EvalError {
    fn from(e: airm_monitor::MonitorError) -> Self {
        EvalError::Monitor(e)
    }
}

impl From<StoreError> for EvalError {
    fn from(e: StoreError) -> Self {
        EvalError::Store(e)
    }
}

/// One rule judged for one model.
#[derive(Debug, Clone, Serialize)]
pub struct RuleResult {
    /// Rule name.
    pub rule: String,
    /// Model (`*` for request rules over all traffic).
    pub model: String,
    /// What the rule found.
    pub check: Check,
    /// What was done.
    pub transition: Transition,
}

/// What one evaluation did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct EvalReport {
    /// When.
    pub time: Timestamp,
    /// Every rule × model judged.
    pub results: Vec<RuleResult>,
    /// Alerts opened now.
    pub opened: Vec<Alert>,
    /// Alerts resolved now.
    pub resolved: Vec<Alert>,
    /// Notifications sent.
    pub deliveries: Vec<Delivery>,
}

/// Most recent events whose features are compared with the reference sample.
pub const MAX_DRIFT_ROWS: u32 = 50_000;

/// The drift report of `model`'s events in `[from, to)` against the reference sample of
/// its baseline, with the number of events compared; `None` without a reference sample
/// or without events.
pub async fn drift(
    store: &DynStore,
    model: &str,
    from_ms: i64,
    to_ms: i64,
) -> Result<Option<(airm_monitor::drift::DriftReport, u64)>, EvalError> {
    let Some(reference) = store.get_baseline(model).await?.and_then(|b| b.reference) else {
        return Ok(None);
    };
    let reference: ReferenceSample = serde_json::from_value(reference).map_err(|e| {
        EvalError::Monitor(airm_monitor::MonitorError::Invalid(format!(
            "the stored reference sample of `{model}` is unreadable: {e}"
        )))
    })?;
    let rows = store
        .list_monitor_events(model, Timestamp(from_ms), Timestamp(to_ms), MAX_DRIFT_ROWS)
        .await?;
    if rows.is_empty() || reference.rows.is_empty() {
        return Ok(None);
    }
    let current: Vec<serde_json::Value> = rows.into_iter().map(|r| r.features).collect();
    let report = airm_monitor::reference::compare(&reference, &current, &DriftOptions::default())?;
    Ok(Some((report, current.len() as u64)))
}

/// Events of a period read for a reference sample.
pub const REFERENCE_SOURCE_ROWS: u32 = 200_000;

/// The reference feature sample of `model`'s events in `[since, until)` (evenly spaced,
/// at most [`airm_monitor::reference::MAX_REFERENCE_ROWS`] rows), and whether the period
/// had more events than were read.
pub async fn reference_sample(
    store: &DynStore,
    model: &str,
    since: Timestamp,
    until: Timestamp,
) -> Result<(ReferenceSample, bool), EvalError> {
    let events = store
        .list_monitor_events(model, since, until, REFERENCE_SOURCE_ROWS)
        .await?;
    let truncated = events.len() as u64 >= u64::from(REFERENCE_SOURCE_ROWS);
    let features: Vec<serde_json::Value> = events.into_iter().map(|e| e.features).collect();
    Ok((
        ReferenceSample::from_features(&features, airm_monitor::reference::MAX_REFERENCE_ROWS),
        truncated,
    ))
}

/// The one point of a `drift` rule: the latest window's features against the reference.
async fn drift_points(
    store: &DynStore,
    rule: &AlertRule,
    model: &str,
    end_ms: i64,
) -> Result<Option<Vec<alert::Point>>, EvalError> {
    let w = rule.window_ms()?;
    let start = end_ms.saturating_sub(w);
    let Some((report, n)) = drift(store, model, start, end_ms).await? else {
        return Ok(None);
    };
    let value = match &rule.column {
        Some(c) => report
            .columns
            .iter()
            .find(|x| &x.column == c)
            .map(|x| f64::from(u8::from(x.drifted))),
        None => Some(report.drift_share),
    };
    Ok(Some(vec![alert::Point {
        start_ms: start,
        end_ms,
        value,
        samples: n,
    }]))
}

async fn points_for(
    store: &DynStore,
    rule: &AlertRule,
    model: &str,
    end_ms: i64,
) -> Result<(Vec<alert::Point>, Option<f64>), EvalError> {
    let w = rule.window_ms()?;
    let n = i64::try_from(rule.history()).unwrap_or(24) + 1;
    let from = end_ms.saturating_sub(w.saturating_mul(n));
    if let Some(bm) = rule.metric.behaviour() {
        let filter = RequestFilter {
            model: (model != "*").then(|| model.to_string()),
            system: rule.system.clone(),
            key: rule.key.clone(),
            ..Default::default()
        };
        let (ws, _) = behaviour(store, &filter, from, end_ms, w).await?;
        return Ok((alert::behaviour_points(bm, &ws), None));
    }
    let (ws, _) = performance(store, model, from, end_ms, w, rule.positive()).await?;
    let baseline = store
        .get_baseline(model)
        .await?
        .filter(|_| rule.metric != airm_monitor::alert::Metric::Events)
        .and_then(|b| b.metrics.get(rule.metric.as_str()).and_then(|v| v.as_f64()));
    Ok((alert::perf_points(rule.metric, &ws), baseline))
}

/// Evaluates every rule now: opens, refreshes and resolves alerts in the store, records
/// opened and resolved alerts in the activity log, and delivers them to the sinks.
pub async fn evaluate(
    store: &DynStore,
    settings: &MonitorSettings,
    now: Timestamp,
) -> Result<EvalReport, EvalError> {
    let mut report = EvalReport {
        time: now,
        ..EvalReport::default()
    };
    let open: std::collections::BTreeSet<String> = store
        .list_alerts(
            &AlertFilter {
                status: Some(AlertStatus::Open),
                ..Default::default()
            },
            Page::new(Page::MAX_LIMIT, 0),
        )
        .await?
        .items
        .into_iter()
        .map(|a| a.fingerprint)
        .collect();
    let models: Vec<String> = store
        .monitor_models()
        .await?
        .into_iter()
        .filter(|m| m.events > 0)
        .map(|m| m.model)
        .collect();
    let mut activity = Vec::new();
    for rule in &settings.rules {
        let targets: Vec<String> = match (&rule.model, rule.metric.behaviour()) {
            (Some(m), _) => vec![m.clone()],
            (None, Some(_)) => vec!["*".to_string()],
            (None, None) => models.clone(),
        };
        let w = rule.window_ms()?;
        let end = perf::window_start(now.millis() - rule.label_delay_ms()?, w);
        for model in targets {
            let check = if rule.metric == alert::Metric::Drift {
                match drift_points(store, rule, &model, end).await? {
                    Some(points) => alert::evaluate(rule, &points, None),
                    None => Check::Insufficient {
                        reason:
                            "no reference sample (airm monitor baseline) or no events in the window"
                                .into(),
                    },
                }
            } else {
                let (points, baseline) = points_for(store, rule, &model, end).await?;
                alert::evaluate(rule, &points, baseline)
            };
            let fp = alert::fingerprint(&rule.name, &model);
            let transition = alert::transition(open.contains(&fp), &check);
            match (&transition, &check) {
                (
                    Transition::Open | Transition::Refresh,
                    Check::Firing {
                        value,
                        reference,
                        start_ms,
                        end_ms,
                        message,
                    },
                ) => {
                    let (a, created) = store
                        .fire_alert(NewAlert {
                            fingerprint: fp.clone(),
                            rule: rule.name.clone(),
                            model: model.clone(),
                            metric: rule.metric.as_str().to_string(),
                            condition: serde_json::to_value(rule.condition)
                                .ok()
                                .and_then(|v| v.as_str().map(str::to_string))
                                .unwrap_or_default(),
                            severity: rule.severity,
                            owner: rule.owner.clone(),
                            message: message.clone(),
                            value: *value,
                            reference: *reference,
                            window_start: Timestamp(*start_ms),
                            window_end: Timestamp(*end_ms),
                            time: now,
                        })
                        .await?;
                    if created {
                        activity.push(alert_event("monitor.alert.open", &a, now));
                        report.opened.push(a);
                    }
                }
                (Transition::Resolve, _) => {
                    if let Some(a) = store.resolve_alert(&fp, now).await? {
                        activity.push(alert_event("monitor.alert.resolve", &a, now));
                        report.resolved.push(a);
                    }
                }
                _ => {}
            }
            report.results.push(RuleResult {
                rule: rule.name.clone(),
                model,
                check,
                transition,
            });
        }
    }
    if !activity.is_empty() {
        store.append_events(activity).await?;
    }
    report.deliveries = deliver(&settings.sinks, &report.opened, &report.resolved).await;
    Ok(report)
}

fn alert_event(action: &str, a: &Alert, now: Timestamp) -> NewEvent {
    NewEvent {
        time: now,
        actor_kind: ActorKind::System,
        actor_id: "monitor".to_string(),
        action: action.to_string(),
        target: Some(a.id.clone()),
        outcome: ActivityOutcome::Success,
        details: serde_json::json!({
            "rule": a.rule, "model": a.model, "metric": a.metric, "severity": a.severity,
            "value": a.value, "reference": a.reference, "owner": a.owner, "message": a.message,
        }),
        request_id: None,
    }
}

/// Delivers opened and resolved alerts to every sink that wants them, concurrently.
pub async fn deliver(sinks: &[Sink], opened: &[Alert], resolved: &[Alert]) -> Vec<Delivery> {
    let mut set = tokio::task::JoinSet::new();
    for (event, alerts) in [("alert.opened", opened), ("alert.resolved", resolved)] {
        for a in alerts {
            for s in sinks.iter().filter(|s| s.wants(a.severity)) {
                let (s, a) = (s.clone(), a.clone());
                set.spawn(async move { s.deliver(event, &a).await });
            }
        }
    }
    let mut out = Vec::new();
    while let Some(r) = set.join_next().await {
        if let Ok(d) = r {
            out.push(d);
        }
    }
    out.sort_by(|a, b| (&a.alert_id, &a.sink).cmp(&(&b.alert_id, &b.sink)));
    out
}

/// Runs [`evaluate`] every `settings.evaluate_interval_secs` until `stop` fires; an
/// evaluation in progress finishes first.
pub fn spawn_evaluator(
    store: DynStore,
    settings: Arc<MonitorSettings>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> Option<tokio::task::JoinHandle<()>> {
    let secs = settings.evaluate_interval_secs;
    if secs == 0 || settings.rules.is_empty() {
        return None;
    }
    Some(tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(secs));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = stop.changed() => break,
            }
            match evaluate(&store, &settings, Timestamp::now()).await {
                Ok(r) if !r.opened.is_empty() || !r.resolved.is_empty() => {
                    tracing::info!(
                        opened = r.opened.len(),
                        resolved = r.resolved.len(),
                        "Monitor alerts changed"
                    );
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "Monitor alert evaluation failed"),
            }
            if *stop.borrow() {
                break;
            }
        }
    }))
}
