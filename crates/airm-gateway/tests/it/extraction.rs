//! Model-extraction detection end to end: statistics shared by two gateway instances through
//! Redis, and what a detection leaves behind (finding, monitoring alert, notification).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use airm_gateway::extraction::ExtractionAction;
use airm_store::monitor::{AlertFilter, AlertStatus};
use airm_store::{FindingFilter, Page};
use serde_json::Value;

use crate::{chat, serve_gateway, start, start_with, Harness};

const NORMAL: [&str; 8] = [
    "Where is my parcel?",
    "What is the capital of France?",
    "Summarise this paragraph about birds in two sentences.",
    "Who wrote Pride and Prejudice?",
    "How long does shipping to Canada take?",
    "Can I return shoes after thirty days?",
    "Why is the sky blue?",
    "Plan a three-day trip to Lisbon on a budget.",
];

/// The i-th prompt of a template-probing campaign (one slot varied at a time).
fn probe(i: usize) -> String {
    let words = [
        "great", "awful", "fine", "slow", "fast", "cheap", "broken", "lovely",
    ];
    format!(
        "Rate this product review from 1 to 5: the delivery was {} and the item was {}",
        words[i % words.len()],
        words[(i / words.len()) % words.len()]
    )
}

async fn post(h: &Harness, url: &str, user: &str) -> (u16, Value) {
    let r = h
        .http
        .post(format!("{url}/v1/chat/completions"))
        .bearer_auth(&h.key)
        .json(&chat("mock-1", user))
        .send()
        .await
        .unwrap();
    let s = r.status().as_u16();
    (s, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_campaign_split_across_two_instances_sharing_redis_is_caught() {
    let Some(url) = airm_gateway::test_redis_url() else {
        return;
    };
    let prefix = format!("airm-test-gw:{:016x}", rand::random::<u64>());
    let counters = || airm_gateway::Counters::redis_with_prefix(&url, &prefix);
    let h = start_with(
        |c, _| {
            c.extraction.window_prompts = 20;
            c.extraction.action = ExtractionAction::Block;
        },
        counters().await.unwrap(),
    )
    .await;
    let (url_b, gw_b) = serve_gateway(
        h.cfg.clone(),
        h.policy.clone(),
        h.store.clone(),
        counters().await.unwrap(),
    )
    .await;
    assert_eq!(gw_b.extraction_backend(), "redis");
    let urls = [h.url.clone(), url_b];
    // Normal chat, alternating between the instances, fills the shared window quietly.
    for i in 0..40 {
        let (s, b) = post(&h, &urls[i % 2], NORMAL[i % NORMAL.len()]).await;
        assert_eq!(s, 200, "normal traffic {i}: {b}");
    }
    // The campaign, alternating too: each instance sees only half of it.
    let mut blocked_at = None;
    for i in 0..40 {
        let (s, b) = post(&h, &urls[i % 2], &probe(i)).await;
        if s == 403 {
            assert_eq!(b["error"]["code"], "key_blocked");
            blocked_at = Some(i);
            break;
        }
        assert_eq!(s, 200, "{b}");
    }
    let at = blocked_at.expect("the campaign was blocked");
    // 12 near-duplicates in a window of 20 fire; each instance alone would have needed
    // twice as many requests.
    assert!((10..=16).contains(&at), "blocked at {at}");
    // The block is shared: both instances refuse the key now, even for normal chat.
    for u in &urls {
        let (s, b) = post(&h, u, NORMAL[0]).await;
        assert_eq!(s, 403, "{b}");
    }
    // One alert for the campaign across both instances.
    let findings = wait_findings(&h, 1).await;
    assert_eq!(findings.len(), 1, "{findings:?}");
    let m = format!("{}{}", h.gateway.metrics.render(), gw_b.metrics.render());
    assert_eq!(
        m.matches("airm_gateway_extraction_alerts_total{signal=\"near_duplicates\"} 1")
            .count(),
        1,
        "{m}"
    );
}

async fn wait_findings(h: &Harness, n: usize) -> Vec<airm_core::Finding> {
    for _ in 0..200 {
        let f = h
            .store
            .list_findings(
                &FindingFilter {
                    rule_id: Some("PI050".into()),
                    ..FindingFilter::default()
                },
                Page::default(),
            )
            .await
            .unwrap();
        if f.items.len() >= n {
            return f.items;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("fewer than {n} extraction findings were stored");
}

#[tokio::test]
async fn a_detection_stores_one_finding_and_one_alert_and_notifies_once() {
    let h = start(|c, _| {
        c.extraction.window_prompts = 20;
        // Flag only, and no cool-down: every campaign request past the threshold raises the
        // signal again, which must refresh one finding and one alert, not add more.
        c.extraction.action = ExtractionAction::Flag;
        c.extraction.cooldown_secs = 0;
    })
    .await;
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s2 = seen.clone();
    h.gateway.set_alert_notifier(Arc::new(move |a| {
        let s2 = s2.clone();
        Box::pin(async move {
            s2.lock().unwrap().push(a);
        })
    }));
    for i in 0..30 {
        let (s, b) = h
            .post(
                "/v1/chat/completions",
                chat("mock-1", NORMAL[i % NORMAL.len()]),
            )
            .await;
        assert_eq!(s, 200, "{b}");
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        wait_none(&h).await,
        "normal chat produced an extraction finding"
    );
    for i in 0..30 {
        let (s, b) = h
            .post("/v1/chat/completions", chat("mock-1", &probe(i)))
            .await;
        assert_eq!(s, 200, "flag only: {b}");
    }
    let findings = wait_findings(&h, 1).await;
    // Let the background writers of the later raises finish too.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let findings_now = h
        .store
        .list_findings(
            &FindingFilter {
                system: Some("support-bot".into()),
                ..FindingFilter::default()
            },
            Page::default(),
        )
        .await
        .unwrap();
    assert_eq!(findings_now.total, 1, "deduplicated: {findings_now:?}");
    let f = &findings[0];
    assert_eq!(f.rule_id, "PI050");
    assert_eq!(f.location.member.as_deref(), Some("near_duplicates"));
    assert!(
        f.location.path.starts_with("airm-gateway:key/gwk_"),
        "{f:?}"
    );
    assert!(
        f.evidence
            .as_deref()
            .unwrap()
            .contains("MITRE ATLAS AML.T0024.002")
            && f.evidence.as_deref().unwrap().contains("OWASP LLM10"),
        "{f:?}"
    );
    let asset = h
        .store
        .get_asset(f.asset_id.as_deref().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(asset.systems, vec!["support-bot".to_string()]);
    let alerts = h
        .store
        .list_alerts(
            &AlertFilter {
                status: Some(AlertStatus::Open),
                ..Default::default()
            },
            Page::default(),
        )
        .await
        .unwrap();
    assert_eq!(alerts.total, 1, "{alerts:?}");
    let a = &alerts.items[0];
    assert_eq!(a.rule, "gateway.extraction.near_duplicates");
    assert_eq!(a.model, "mock-1");
    assert!(a.value >= 0.6 && (a.reference - 0.6).abs() < 1e-9, "{a:?}");
    let delivered = seen.lock().unwrap().clone();
    assert_eq!(delivered.len(), 1, "notified once: {delivered:?}");
    assert_eq!(delivered[0].id, a.id);
    let opened = h
        .store
        .list_events(
            &airm_store::EventFilter {
                action: Some("monitor.alert.open".into()),
                ..Default::default()
            },
            Page::default(),
        )
        .await
        .unwrap();
    assert_eq!(opened.total, 1);
    assert_eq!(opened.items[0].details["finding"], f.id.as_str());
}

async fn wait_none(h: &Harness) -> bool {
    h.store
        .list_findings(&FindingFilter::default(), Page::default())
        .await
        .unwrap()
        .total
        == 0
}
