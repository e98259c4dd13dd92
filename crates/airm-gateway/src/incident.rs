//! What an extraction alert leaves behind besides metrics and the request's event: a
//! **finding** of rule PI050 on the key (stored as an `api-key-usage` asset linked to the
//! key's AI system, deduplicated per key and signal, so repeated detections refresh one
//! finding), a **monitoring alert** (one open alert per key and signal, the same table and
//! `monitor.alert.open` event as the monitoring rules, so it is listed, resolved and judged by
//! GV007 like them), and — when the alert is new — a delivery to the monitoring alert sinks
//! through the notifier the binary installs ([`crate::Gateway::set_alert_notifier`]).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use airm_core::{
    ActorKind, Asset, AssetKind, Finding, FindingStatus, Location, Outcome, Reference, RuleDocs,
    RuleMeta, RuleStatus, RuleTarget, Severity, Timestamp,
};
use airm_store::monitor::{Alert as StoredAlert, NewAlert};
use airm_store::{DynStore, GatewayKey, NewEvent};
use sha2::{Digest, Sha256};

use crate::extraction::{Alert, ExtractionAction, ExtractionConfig};

/// Rule metadata of extraction findings.
pub static MODEL_EXTRACTION: RuleMeta = RuleMeta {
    id: "PI050",
    name: "model-extraction-pattern",
    summary: "A gateway key's traffic looks like an attempt to copy the model through its API",
    target: RuleTarget::Prompt,
    severity: Severity::High,
    status: RuleStatus::Preview,
    references: &[
        Reference::Atlas("AML.T0024.002"),
        Reference::OwaspLlm("LLM10"),
        Reference::Url("https://arxiv.org/abs/1805.02628"),
    ],
    docs: RuleDocs {
        what: "The gateway's extraction detector saw one of its signals on a virtual key: request volume above the limit in the window, unusually wide coverage of the input space (distinct-word ratio), a high share of near-duplicate prompts (a template probed one slot at a time), or, on embedding endpoints, distances between successive queries that stop looking normally distributed (after PRADA, Juuti et al. 2019). The finding's location names the key and the signal.",
        why: "Systematic querying lets an attacker train a copy of the model (functional extraction) or map its decision boundary for evasion, at the owner's expense.",
        example: "A client sends 5,000 requests an hour of the form 'Classify the sentiment: the delivery was {w1} and the item {w2}', varying one slot at a time.",
        remediation: "Check who holds the key and what the traffic is for; revoke or restrict the key (`airm gateway keys revoke`), lower its rate limits, or set `[gateway.extraction] action = \"throttle\"` or `\"block\"`.",
        false_positives: "Legitimate batch jobs (evaluation runs, data labelling, templated classification pipelines) look like extraction; accept the finding for such keys, or give them a policy with higher thresholds.",
    },
};

/// The rules this crate defines.
pub fn rules() -> Vec<&'static RuleMeta> {
    vec![&MODEL_EXTRACTION]
}

/// Delivers a newly opened alert (installed by the binary: the monitoring alert sinks).
pub type AlertNotifier =
    Arc<dyn Fn(StoredAlert) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;

/// The threshold a signal crossed (the alert's reference value).
fn threshold(cfg: &ExtractionConfig, signal: &str) -> f64 {
    match signal {
        "volume" => cfg.max_requests as f64,
        "coverage" => cfg.coverage_ratio,
        "near_duplicates" => cfg.near_duplicate_share,
        "distance_distribution" => cfg.distance_p_value,
        _ => 0.0,
    }
}

/// The key's location string.
fn location(key: &GatewayKey) -> String {
    format!("airm-gateway:key/{}", key.id)
}

/// Stores the finding and the alert of one extraction signal; delivers the alert through
/// `notify` when it was newly opened. Returns the stored finding and alert.
pub(crate) async fn record(
    store: &DynStore,
    cfg: &ExtractionConfig,
    key: &GatewayKey,
    model: &str,
    alert: &Alert,
    notify: Option<AlertNotifier>,
) -> Result<(Finding, StoredAlert), airm_store::StoreError> {
    let now = Timestamp::now();
    let system = store.get_system(&key.system_id).await?;
    let asset = store
        .upsert_asset(Asset {
            id: String::new(),
            kind: AssetKind::ApiKeyUsage,
            name: format!("gateway key {} ({})", key.name, key.id),
            location: location(key),
            hashes: Vec::new(),
            format: None,
            size: None,
            provenance: airm_core::Provenance {
                source: Some("airm-gateway".into()),
                ..airm_core::Provenance::default()
            },
            systems: vec![key.system_id.clone()],
            first_seen: now,
            last_seen: now,
        })
        .await?;
    let reference = threshold(cfg, alert.signal);
    let action = match alert.action {
        ExtractionAction::Flag => "flagged",
        ExtractionAction::Throttle => "throttled",
        ExtractionAction::Block => "blocked",
    };
    let message = format!(
        "Possible model extraction through gateway key {}: signal {} at {:.4} (threshold {reference}); key {action} for {} s",
        key.id, alert.signal, alert.value, cfg.cooldown_secs
    );
    let fingerprint = {
        let mut h = Sha256::new();
        h.update(format!(
            "{}\0{}\0{}",
            MODEL_EXTRACTION.id, key.id, alert.signal
        ));
        format!("{:x}", h.finalize())
    };
    let finding = store
        .upsert_finding(Finding {
            id: String::new(),
            rule_id: MODEL_EXTRACTION.id.to_string(),
            severity: MODEL_EXTRACTION.severity,
            asset_id: Some(asset.id.clone()),
            location: Location {
                path: location(key),
                member: Some(alert.signal.to_string()),
                ..Location::default()
            },
            message: message.clone(),
            evidence: Some(format!(
                "{}={:.4} model={model} refs={}",
                alert.signal,
                alert.value,
                MODEL_EXTRACTION
                    .references
                    .iter()
                    .map(Reference::label)
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
            status: FindingStatus::Open,
            first_seen: now,
            last_seen: now,
            fingerprint,
        })
        .await?;
    let (stored, created) = store
        .fire_alert(NewAlert {
            fingerprint: format!("gateway.extraction:{}:{}", key.id, alert.signal),
            rule: format!("gateway.extraction.{}", alert.signal),
            model: model.to_string(),
            metric: alert.signal.to_string(),
            condition: if alert.signal == "distance_distribution" {
                "below".into()
            } else {
                "above".into()
            },
            severity: if alert.action == ExtractionAction::Block {
                Severity::Critical
            } else {
                Severity::High
            },
            owner: system.and_then(|s| s.risk_owner.or(s.owner)),
            message,
            value: alert.value,
            reference,
            window_start: Timestamp(
                now.millis() - i64::try_from(cfg.window_secs).unwrap_or(0) * 1000,
            ),
            window_end: now,
            time: now,
        })
        .await?;
    if created {
        store
            .append_events(vec![NewEvent {
                time: now,
                actor_kind: ActorKind::System,
                actor_id: "gateway".into(),
                action: "monitor.alert.open".into(),
                target: Some(stored.id.clone()),
                outcome: Outcome::Success,
                details: serde_json::json!({
                    "rule": stored.rule, "model": stored.model, "metric": stored.metric,
                    "severity": stored.severity, "value": stored.value,
                    "reference": stored.reference, "owner": stored.owner,
                    "message": stored.message, "finding": finding.id, "key": key.id,
                    "system": key.system_id,
                }),
                request_id: None,
            }])
            .await?;
        if let Some(n) = notify {
            n(stored.clone()).await;
        }
    }
    Ok((finding, stored))
}
