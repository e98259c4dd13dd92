//! Governance operations shared by the API, the dashboard and the CLI: evaluate the
//! policies over the stored state (recording violations so their age is known), run
//! escalation, vote on approvals and grant or end exceptions. Each decision is checked
//! by `airm-govern` and recorded in the activity log here, so every entry point enforces
//! the same rules.

use std::collections::HashMap;
use std::path::PathBuf;

use airm_core::{
    Actor, Approval, Notification, Outcome, PolicyException, Role, Timestamp, ViolationRecord,
    VoteChoice,
};
use airm_govern::escalation::{self, EscalationRule, Step};
use airm_govern::{Evaluation, GovernError, PolicyInput, PolicySet};
use airm_store::{DynStore, NewEvent, StoreError};

/// Policy settings (`[policy]` in airm.toml).
#[derive(Debug, Clone)]
pub struct PolicyOptions {
    /// Built-in policies switched off (ids or names).
    pub disabled: Vec<String>,
    /// Directory of user `.rego` policies.
    pub dir: Option<PathBuf>,
    /// Escalation rules by severity.
    pub escalation: Vec<EscalationRule>,
    /// Committee that receives the last escalation step.
    pub escalation_committee: Option<String>,
    /// Where escalation steps are delivered besides the notification table: the
    /// monitoring alert sinks (`[[monitor.sinks]]`), filtered by their minimum severity.
    pub sinks: Vec<crate::monitor::sinks::Sink>,
}

impl Default for PolicyOptions {
    fn default() -> Self {
        PolicyOptions {
            disabled: Vec::new(),
            dir: None,
            escalation: escalation::default_rules(),
            escalation_committee: None,
            sinks: Vec::new(),
        }
    }
}

/// Errors of governance operations.
#[derive(Debug, thiserror::Error)]
pub enum GovernanceError {
    /// A governance rule refused the request.
    #[error(transparent)]
    Govern(#[from] GovernError),
    /// The store failed or refused.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The evaluation task stopped.
    #[error("policy evaluation was interrupted")]
    Interrupted,
}

/// An evaluation over the stored state.
#[derive(Debug, Clone)]
pub struct Evaluated {
    /// Violations and errors.
    pub evaluation: Evaluation,
    /// The input document it ran against.
    pub input: PolicyInput,
    /// When each active violation was first seen (by fingerprint), when recorded.
    pub first_seen: HashMap<String, Timestamp>,
    /// Evaluation time.
    pub now: Timestamp,
}

/// Builds the policy set from the options.
pub fn policy_set(options: &PolicyOptions) -> Result<PolicySet, GovernError> {
    let set = PolicySet::new(&options.disabled)?;
    match &options.dir {
        Some(dir) => set.with_user_dir(dir),
        None => Ok(set),
    }
}

/// Evaluates every policy over the store's state. With `record`, active violations are
/// written to the store (new ones start their escalation clock, vanished ones resolve).
/// Most open monitoring alerts handed to the policies (GV007).
const MAX_ALERTS: u32 = 10_000;

/// Hours an open monitoring alert may stay open before GV007 asks for escalation: 4 for
/// critical, 24 for high, 72 for medium, a week below.
pub fn alert_sla_hours(severity: airm_core::Severity) -> u64 {
    match severity {
        airm_core::Severity::Critical => 4,
        airm_core::Severity::High => 24,
        airm_core::Severity::Medium => 72,
        _ => 168,
    }
}

/// The open alerts of the monitoring capability, as the policies' `alerts` input. An alert
/// concerns a model; `system` carries the model name.
async fn open_monitor_alerts(
    store: &DynStore,
) -> Result<Vec<airm_govern::input::AlertInput>, GovernanceError> {
    let filter = airm_store::monitor::AlertFilter {
        model: None,
        status: Some(airm_store::monitor::AlertStatus::Open),
    };
    let mut open = Vec::new();
    loop {
        let page = airm_store::Page {
            limit: 500,
            offset: open.len() as u64,
        };
        let got = store.list_alerts(&filter, page).await?;
        let done = got.items.len() < 500;
        open.extend(got.items);
        if done || open.len() >= MAX_ALERTS as usize {
            break;
        }
    }
    Ok(open
        .into_iter()
        .map(|a| airm_govern::input::AlertInput {
            id: a.id,
            system: a.model,
            severity: a.severity.to_string(),
            status: "open".to_string(),
            opened_ms: a.first_seen.millis(),
            sla_hours: alert_sla_hours(a.severity),
            escalated: false,
        })
        .collect())
}

pub async fn evaluate(
    store: &DynStore,
    options: &PolicyOptions,
    record: bool,
) -> Result<Evaluated, GovernanceError> {
    let now = Timestamp::now();
    let facts = store.governance_facts().await?;
    let alerts = open_monitor_alerts(store).await?;
    let mut set = policy_set(options)?;
    let (evaluation, input) = tokio::task::spawn_blocking(move || {
        let mut input = airm_govern::build_input(&airm_govern::Facts {
            now,
            systems: &facts.systems,
            assets: &facts.assets,
            exceptions: &facts.exceptions,
            approvals: &facts.approvals,
            committees: &facts.committees,
            people: &facts.people,
            raci: &facts.raci,
        });
        input.alerts = alerts;
        let json = serde_json::to_value(&input).unwrap_or(serde_json::Value::Null);
        (set.evaluate(json), input)
    })
    .await
    .map_err(|_| GovernanceError::Interrupted)?;
    let mut first_seen = HashMap::new();
    if record {
        let current: Vec<ViolationRecord> = evaluation
            .active()
            .map(|v| ViolationRecord {
                fingerprint: v.fingerprint.clone(),
                policy: v.policy.clone(),
                severity: v.severity,
                object: v.object.clone(),
                message: v.message.clone(),
                first_seen: now,
                last_seen: now,
                resolved_at: None,
            })
            .collect();
        for r in store.sync_violations(&current, now).await? {
            first_seen.insert(r.fingerprint, r.first_seen);
        }
    }
    Ok(Evaluated {
        evaluation,
        input,
        first_seen,
        now,
    })
}

fn event(
    actor: &Actor,
    action: &str,
    target: Option<&str>,
    outcome: Outcome,
    details: serde_json::Value,
) -> NewEvent {
    NewEvent {
        time: Timestamp::now(),
        actor_kind: actor.kind,
        actor_id: actor.id.clone(),
        action: action.to_string(),
        target: target.map(str::to_string),
        outcome,
        details,
        request_id: None,
    }
}

/// Evaluates, then takes every escalation step that is due: stores a notification per
/// violation and step (never twice) and records each step in the activity log.
pub async fn escalate(
    store: &DynStore,
    options: &PolicyOptions,
    actor: &Actor,
) -> Result<Vec<Notification>, GovernanceError> {
    let ev = evaluate(store, options, true).await?;
    let mut done: HashMap<String, Vec<Step>> = HashMap::new();
    for n in store.list_notifications(None, None, 10_000).await? {
        let step = match n.step.as_str() {
            "owner" => Step::Owner,
            "risk-owner" => Step::RiskOwner,
            _ => Step::Committee,
        };
        done.entry(n.fingerprint).or_default().push(step);
    }
    let mut sent = Vec::new();
    let mut events = Vec::new();
    for v in ev.evaluation.active() {
        let since = ev.first_seen.get(&v.fingerprint).copied().unwrap_or(ev.now);
        let age = ev.now.millis().saturating_sub(since.millis());
        let taken = done.get(&v.fingerprint).map(Vec::as_slice).unwrap_or(&[]);
        let due = escalation::due_steps(v.severity, age, &options.escalation, taken);
        if due.is_empty() {
            continue;
        }
        let who = escalation::recipients(v, &ev.input, options.escalation_committee.as_deref());
        for step in due {
            let Some(recipient) = who.for_step(step) else {
                continue;
            };
            let n = Notification {
                id: String::new(),
                fingerprint: v.fingerprint.clone(),
                step: step.as_str().to_string(),
                recipient: recipient.to_string(),
                message: format!("[{} {}] {}", v.policy, v.severity, v.message),
                created_at: ev.now,
            };
            if store.add_notification(&n).await? {
                for sink in options.sinks.iter().filter(|k| k.wants(v.severity)) {
                    let d = sink.deliver_escalation(&n, v.severity).await;
                    events.push(event(
                        actor,
                        "notification.deliver",
                        Some(&v.object),
                        if d.ok {
                            Outcome::Success
                        } else {
                            Outcome::Error
                        },
                        serde_json::json!({
                            "sink": d.sink, "step": n.step, "recipient": n.recipient,
                            "attempts": d.attempts, "error": d.error,
                        }),
                    ));
                }
                events.push(event(
                    actor,
                    "policy.escalate",
                    Some(&v.object),
                    Outcome::Success,
                    serde_json::json!({
                        "policy": v.policy, "severity": v.severity, "step": n.step,
                        "recipient": n.recipient, "first_seen": since, "message": v.message,
                    }),
                ));
                sent.push(n);
            }
        }
    }
    events.extend(expiry_events(store, actor, ev.now).await?);
    store.append_events(events).await?;
    Ok(sent)
}

/// Events for exceptions that expired on their own since the last run (each recorded
/// once, as `exception.expired`).
async fn expiry_events(
    store: &DynStore,
    actor: &Actor,
    now: Timestamp,
) -> Result<Vec<NewEvent>, GovernanceError> {
    let mut out = Vec::new();
    let expired = store
        .list_exceptions(&airm_store::ExceptionFilter {
            expiring_before: Some(now),
            ..Default::default()
        })
        .await?;
    for e in expired.into_iter().filter(|e| e.revoked_at.is_none()) {
        let seen = store
            .list_events(
                &airm_store::EventFilter {
                    action: Some("exception.expired".into()),
                    target: Some(e.id.clone()),
                    ..Default::default()
                },
                airm_store::Page::new(1, 0),
            )
            .await?;
        if seen.total == 0 {
            out.push(event(
                actor,
                "exception.expired",
                Some(&e.id),
                Outcome::Success,
                serde_json::json!({"policy": e.policy, "object": e.object, "expires_at": e.expires_at}),
            ));
        }
    }
    Ok(out)
}

/// Casts `voter`'s vote; only committee members vote, once, on pending requests. The vote
/// and, when quorum decides it, the decision are recorded; a refused vote is recorded as
/// denied.
pub async fn vote(
    store: &DynStore,
    actor: &Actor,
    approval_id: &str,
    voter: &str,
    choice: VoteChoice,
    comment: Option<String>,
) -> Result<Approval, GovernanceError> {
    let approval = store
        .get_approval(approval_id)
        .await?
        .ok_or_else(|| StoreError::NotFound {
            what: "approval",
            key: approval_id.to_string(),
        })?;
    let committee = store
        .get_committee(&approval.committee)
        .await?
        .ok_or_else(|| StoreError::NotFound {
            what: "committee",
            key: approval.committee.clone(),
        })?;
    let checked = airm_govern::approvals::cast_vote(
        &approval,
        &committee,
        voter,
        choice,
        comment,
        Timestamp::now(),
    );
    let (vote, status) = match checked {
        Ok(v) => v,
        Err(e) => {
            store
                .append_event(event(
                    actor,
                    "approval.vote",
                    Some(approval_id),
                    Outcome::Denied,
                    serde_json::json!({"voter": voter, "choice": choice, "reason": e.to_string()}),
                ))
                .await?;
            return Err(e.into());
        }
    };
    let updated = store
        .record_vote(approval_id, &vote, approval.votes.len(), status)
        .await?;
    let mut events = vec![event(
        actor,
        "approval.vote",
        Some(approval_id),
        Outcome::Success,
        serde_json::json!({"voter": vote.voter, "choice": vote.choice, "comment": vote.comment,
            "committee": updated.committee, "subject": updated.subject}),
    )];
    if updated.status != airm_core::ApprovalStatus::Pending {
        let (yes, no) = airm_govern::approvals::tally(&updated);
        events.push(event(
            actor,
            "approval.decide",
            Some(approval_id),
            Outcome::Success,
            serde_json::json!({"status": updated.status, "approve": yes, "reject": no,
                "quorum": updated.quorum, "subject": updated.subject, "action": updated.action}),
        ));
    }
    store.append_events(events).await?;
    Ok(updated)
}

/// Grants an exception; only `admin` and `risk-owner` may. Refusals are recorded too.
pub async fn grant_exception(
    store: &DynStore,
    actor: &Actor,
    approver_role: Role,
    exception: PolicyException,
) -> Result<PolicyException, GovernanceError> {
    if let Err(e) = airm_govern::approvals::may_grant_exception(approver_role) {
        store
            .append_event(event(
                actor,
                "exception.grant",
                Some(&exception.object),
                Outcome::Denied,
                serde_json::json!({"policy": exception.policy, "approver": exception.approver, "reason": e.to_string()}),
            ))
            .await?;
        return Err(e.into());
    }
    let e = store.create_exception(exception).await?;
    store
        .append_event(event(
            actor,
            "exception.grant",
            Some(&e.id),
            Outcome::Success,
            serde_json::json!({"policy": e.policy, "object": e.object, "approver": e.approver,
                "expires_at": e.expires_at, "justification": e.justification}),
        ))
        .await?;
    Ok(e)
}

/// Ends an exception now; only `admin` and `risk-owner` may.
pub async fn expire_exception(
    store: &DynStore,
    actor: &Actor,
    role: Role,
    id: &str,
) -> Result<PolicyException, GovernanceError> {
    if let Err(e) = airm_govern::approvals::may_grant_exception(role) {
        store
            .append_event(event(
                actor,
                "exception.expire",
                Some(id),
                Outcome::Denied,
                serde_json::json!({"reason": e.to_string()}),
            ))
            .await?;
        return Err(e.into());
    }
    let e = store.revoke_exception(id, Timestamp::now()).await?;
    store
        .append_event(event(
            actor,
            "exception.expire",
            Some(&e.id),
            Outcome::Success,
            serde_json::json!({"policy": e.policy, "object": e.object, "revoked_at": e.revoked_at}),
        ))
        .await?;
    Ok(e)
}
