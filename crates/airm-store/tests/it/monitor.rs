//! Monitoring storage on every engine: events upsert by id and keep late labels, request
//! statistics filter, alerts open once per fingerprint and resolve, baselines replace.

use airm_core::{Severity, Timestamp};
use airm_store::monitor::*;
use airm_store::Page;
use serde_json::json;

use crate::backends;

fn event(id: Option<&str>, t: i64, label: Option<serde_json::Value>) -> MonitorEvent {
    MonitorEvent {
        id: id.map(str::to_string),
        time: Timestamp(t),
        features: json!({"age": 30, "city": null}),
        prediction: Some(json!(1)),
        score: Some(0.75),
        label,
        label_time: None,
        metadata: json!({"key": "k1"}),
    }
}

fn alert(fp: &str, value: f64, t: i64) -> NewAlert {
    NewAlert {
        fingerprint: fp.into(),
        rule: "acc".into(),
        model: "fraud".into(),
        metric: "accuracy".into(),
        condition: "below".into(),
        severity: Severity::High,
        owner: Some("ml@example.com".into()),
        message: format!("accuracy {value}"),
        value,
        reference: 0.8,
        window_start: Timestamp(0),
        window_end: Timestamp(3_600_000),
        time: Timestamp(t),
    }
}

#[tokio::test]
async fn prediction_events_labels_and_models() {
    for b in backends("monitor_events") {
        let s = b.open().await;
        let n = s
            .insert_monitor_events(
                "fraud",
                vec![
                    event(Some("a"), 1000, None),
                    event(Some("b"), 2000, Some(json!(0))),
                    event(None, 3000, None),
                    // The same id twice in one batch: the last wins.
                    event(Some("a"), 1500, None),
                ],
            )
            .await
            .unwrap();
        assert_eq!(n, 3);
        // A late label joins by id; unknown ids do not match.
        let matched = s
            .set_monitor_labels(
                "fraud",
                vec![("a".into(), json!(1)), ("zzz".into(), json!(1))],
                Timestamp(9000),
            )
            .await
            .unwrap();
        assert_eq!(matched, 1);
        // Re-sending an event without its label keeps the stored label.
        s.insert_monitor_events("fraud", vec![event(Some("b"), 2000, None)])
            .await
            .unwrap();
        let evs = s
            .list_monitor_events("fraud", Timestamp(0), Timestamp(10_000), 100)
            .await
            .unwrap();
        assert_eq!(evs.len(), 3);
        assert_eq!(evs[0].id.as_deref(), Some("a"));
        assert_eq!(evs[0].time, Timestamp(1500));
        assert_eq!(evs[0].label, Some(json!(1)));
        assert_eq!(evs[0].label_time, Some(Timestamp(9000)));
        assert_eq!(evs[1].label, Some(json!(0)));
        assert_eq!(evs[0].features, json!({"age": 30, "city": null}));
        assert_eq!(evs[0].score, Some(0.75));
        assert!(evs[2].id.as_deref().unwrap().starts_with("pev_"));
        let light = s
            .list_monitor_outcomes("fraud", Timestamp(0), Timestamp(10_000), 100)
            .await
            .unwrap();
        assert_eq!(light.len(), 3);
        assert_eq!(
            (light[0].label.clone(), light[0].score),
            (Some(json!(1)), Some(0.75))
        );
        assert_eq!(light[0].features, serde_json::Value::Null);
        // Time range and limit.
        let some = s
            .list_monitor_events("fraud", Timestamp(1600), Timestamp(10_000), 1)
            .await
            .unwrap();
        assert_eq!(some.len(), 1);
        assert_eq!(some[0].id.as_deref(), Some("b"));
        assert!(s
            .list_monitor_events("other", Timestamp(0), Timestamp(10_000), 10)
            .await
            .unwrap()
            .is_empty());
        let models = s.monitor_models().await.unwrap();
        assert_eq!(models.len(), 1);
        assert_eq!(
            (models[0].events, models[0].labelled, models[0].first),
            (3, 2, Some(Timestamp(1500)))
        );
    }
}

#[tokio::test]
async fn request_statistics_filter_by_model_and_time() {
    for b in backends("monitor_requests") {
        let s = b.open().await;
        let stat = |t: i64, model: &str, action: Option<GuardAction>| RequestStat {
            time: Timestamp(t),
            system: Some("support-bot".into()),
            key: Some("vk_1".into()),
            model: Some(model.into()),
            latency_ms: 120.5,
            prompt_tokens: 10,
            completion_tokens: 20,
            refused: t % 2 == 0,
            guard_action: action,
            output_class: None,
        };
        s.record_requests(vec![
            stat(1, "gpt", Some(GuardAction::Block)),
            stat(2, "gpt", None),
            stat(3, "llama", Some(GuardAction::Allow)),
        ])
        .await
        .unwrap();
        s.record_requests(Vec::new()).await.unwrap();
        let got = s
            .list_requests(
                &RequestFilter {
                    model: Some("gpt".into()),
                    ..Default::default()
                },
                100,
            )
            .await
            .unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(got[0], stat(1, "gpt", Some(GuardAction::Block)));
        let late = s
            .list_requests(
                &RequestFilter {
                    since: Some(Timestamp(2)),
                    key: Some("vk_1".into()),
                    ..Default::default()
                },
                100,
            )
            .await
            .unwrap();
        assert_eq!(late.len(), 2);
    }
}

#[tokio::test]
async fn alerts_open_once_refresh_and_resolve() {
    for b in backends("monitor_alerts") {
        let s = b.open().await;
        let (a, created) = s
            .fire_alert(alert("acc\u{1f}fraud", 0.7, 100))
            .await
            .unwrap();
        assert!(created);
        assert_eq!((a.status, a.seen_count), (AlertStatus::Open, 1));
        assert!(a.id.starts_with("alr_"));
        let (b2, created) = s
            .fire_alert(alert("acc\u{1f}fraud", 0.6, 200))
            .await
            .unwrap();
        assert!(!created, "a firing rule refreshes its open alert");
        assert_eq!(
            (b2.id.as_str(), b2.seen_count, b2.value),
            (a.id.as_str(), 2, 0.6)
        );
        assert_eq!(
            (b2.first_seen, b2.last_seen),
            (Timestamp(100), Timestamp(200))
        );
        let open = AlertFilter {
            status: Some(AlertStatus::Open),
            ..Default::default()
        };
        assert_eq!(
            s.list_alerts(&open, Page::default()).await.unwrap().total,
            1
        );
        assert_eq!(s.monitor_models().await.unwrap()[0].open_alerts, 1);
        let r = s
            .resolve_alert("acc\u{1f}fraud", Timestamp(300))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (r.status, r.resolved_at),
            (AlertStatus::Resolved, Some(Timestamp(300)))
        );
        assert!(s
            .resolve_alert("acc\u{1f}fraud", Timestamp(301))
            .await
            .unwrap()
            .is_none());
        // Firing again after resolution opens a new alert.
        let (c, created) = s
            .fire_alert(alert("acc\u{1f}fraud", 0.5, 400))
            .await
            .unwrap();
        assert!(created);
        assert_ne!(c.id, a.id);
        let all = s
            .list_alerts(&AlertFilter::default(), Page::default())
            .await
            .unwrap();
        assert_eq!(all.total, 2);
        assert_eq!(all.items[0].status, AlertStatus::Open);
    }
}

#[tokio::test]
async fn baselines_replace() {
    for b in backends("monitor_baselines") {
        let s = b.open().await;
        assert!(s.get_baseline("fraud").await.unwrap().is_none());
        let mut base = Baseline {
            model: "fraud".into(),
            metrics: json!({"accuracy": 0.9}),
            reference: None,
            window_start: Timestamp(0),
            window_end: Timestamp(10),
            created_at: Timestamp(11),
        };
        s.set_baseline(&base).await.unwrap();
        base.metrics = json!({"accuracy": 0.95});
        base.reference = Some(json!({"events": 2, "rows": [{"amount": 1.5}, {"amount": null}]}));
        s.set_baseline(&base).await.unwrap();
        assert_eq!(s.get_baseline("fraud").await.unwrap(), Some(base));
    }
}

#[tokio::test]
async fn request_recorder_batches_without_blocking() {
    for b in backends("monitor_recorder") {
        let s = b.open().await;
        let rec = RequestRecorder::start(s.clone());
        let other = rec.clone();
        for i in 0..5000 {
            let h = if i % 2 == 0 { &rec } else { &other };
            assert!(h.record(RequestStat {
                time: Timestamp(i),
                system: None,
                key: Some("vk".into()),
                model: None,
                latency_ms: 1.0,
                prompt_tokens: 1,
                completion_tokens: 1,
                refused: false,
                guard_action: None,
                output_class: None,
            }));
        }
        rec.flush().await;
        let got = s
            .list_requests(&RequestFilter::default(), 10_000)
            .await
            .unwrap();
        assert_eq!(got.len(), 5000);
        assert_eq!(rec.dropped(), 0);
    }
}
