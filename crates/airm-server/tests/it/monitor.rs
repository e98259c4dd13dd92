//! Monitoring over the API, in-process: ingestion limits and validation, late labels,
//! performance windows, alert rules that fire on a scripted accuracy drop (and not on a
//! stable stream) and on a drifted feature column (and not on a stable one),
//! de-duplication, automatic resolution, signed webhook deliveries to a
//! receiver on 127.0.0.1:0, and the Monitoring dashboard pages.

use std::sync::{Arc, Mutex};

use airm_core::{Role, Severity, Timestamp};
use airm_monitor::alert::{AlertRule, Condition, Metric};
use airm_server::monitor::sinks::{verify, SinkKind};
use airm_server::monitor::{MonitorSettings, Sink, SinkConfig};
use airm_server::{app, AppState, ServerConfig};
use airm_store::monitor::RequestStat;
use airm_store::{DynStore, SqliteStore};
use axum::http::{Method, StatusCode};
use serde_json::{json, Value};

use crate::dashboard::get_with_cookie;
use crate::TestServer;

const H: i64 = 3_600_000;

fn rule(name: &str, metric: Metric, condition: Condition, threshold: Option<f64>) -> AlertRule {
    AlertRule {
        name: name.into(),
        model: None,
        system: None,
        key: None,
        column: None,
        metric,
        condition,
        threshold,
        window: "1h".into(),
        history: Some(12),
        label_delay: None,
        min_samples: Some(20),
        positive: None,
        severity: Severity::High,
        owner: Some("ml-team@example.com".into()),
    }
}

async fn server_with(settings: MonitorSettings) -> TestServer {
    let dir = tempfile::tempdir().unwrap();
    let store: DynStore = Arc::new(SqliteStore::open_dir(dir.path()).await.unwrap());
    let key = Arc::new(airm_ledger::SigningKey::from_seed([42; 32]));
    let state = AppState::new(store.clone(), key, ServerConfig::default()).with_monitor(settings);
    TestServer {
        app: app(state),
        store,
        _dir: dir,
    }
}

/// `n` events in the hour starting at `start`, the first `correct` of them right.
fn hour(start: i64, n: usize, correct: usize, tag: &str) -> Vec<Value> {
    (0..n)
        .map(|i| {
            let label = i % 2;
            let pred = if i < correct { label } else { 1 - label };
            json!({
                "id": format!("{tag}-{start}-{i}"),
                "time": Timestamp(start + i as i64 * 1000).to_string(),
                "features": {"amount": 10.0 + i as f64, "country": "NO"},
                "prediction": pred,
                "score": if pred == 1 { 0.8 } else { 0.2 },
                "label": label,
            })
        })
        .collect()
}

pub(crate) type Request = (axum::http::HeaderMap, Vec<u8>);

#[derive(Clone, Default)]
pub(crate) struct Received(pub(crate) Arc<Mutex<Vec<Request>>>);

/// A webhook receiver on 127.0.0.1:0 that fails its first request with 500.
/// A webhook sink to `url` (signed when `secret_file` is given) with three attempts and a
/// short backoff, for tests.
pub(crate) fn test_sink(url: String, secret_file: Option<std::path::PathBuf>) -> Sink {
    let mut sink = Sink::build(SinkConfig {
        name: "test".into(),
        kind: SinkKind::Webhook,
        url,
        secret_env: None,
        secret_file,
        min_severity: None,
        max_attempts: Some(3),
        timeout_secs: Some(5),
        email: None,
    })
    .unwrap();
    sink.backoff_base = std::time::Duration::from_millis(5);
    sink
}

pub(crate) async fn receiver() -> (String, Received) {
    let got = Received::default();
    let calls = Arc::new(Mutex::new(0u32));
    let g = got.clone();
    let handler = move |headers: axum::http::HeaderMap, body: axum::body::Bytes| {
        let (g, calls) = (g.clone(), calls.clone());
        async move {
            let n = {
                let mut c = calls.lock().unwrap();
                *c += 1;
                *c
            };
            if n == 1 {
                return StatusCode::INTERNAL_SERVER_ERROR;
            }
            g.0.lock().unwrap().push((headers, body.to_vec()));
            StatusCode::NO_CONTENT
        }
    };
    let router = axum::Router::new().route("/hook", axum::routing::post(handler));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    (format!("http://{addr}/hook"), got)
}

async fn post_events(s: &TestServer, token: &str, model: &str, events: &[Value]) -> Value {
    let (st, v) = s
        .json(
            Method::POST,
            &format!("/api/v1/monitor/{model}/events"),
            Some(token),
            Some(json!(events)),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    v
}

#[tokio::test]
async fn bad_events_get_clear_errors_never_500() {
    let s = server_with(MonitorSettings {
        limits: airm_monitor::event::Limits {
            max_events: 100,
            ..Default::default()
        },
        ..Default::default()
    })
    .await;
    let writer = s.token(Role::RiskOwner).await;
    let viewer = s.token(Role::Viewer).await;
    let url = "/api/v1/monitor/fraud/events";
    let send = |body: Vec<u8>, ct: &'static str, token: String| {
        let s = &s;
        async move {
            let (st, _, b) = s
                .call(Method::POST, url, Some(&token), Some((ct, body)))
                .await;
            let v: Value = serde_json::from_slice(&b).unwrap_or(Value::Null);
            (st, v["code"].as_str().unwrap_or("").to_string(), v)
        }
    };
    let cases: Vec<(Vec<u8>, StatusCode, &str)> = vec![
        (
            br#"[{"score": "high"}]"#.to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_event",
        ),
        (
            br#"[{"score": 1.5}]"#.to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_event",
        ),
        (
            br#"[{}]"#.to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_event",
        ),
        (
            br#"[{"label": 1}, {"features": [1, 2]}]"#.to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_event",
        ),
        (
            br#"[{"prediction": NaN}]"#.to_vec(),
            StatusCode::BAD_REQUEST,
            "malformed_body",
        ),
        (
            br#"[{"prediction": 1e999}]"#.to_vec(),
            StatusCode::BAD_REQUEST,
            "malformed_body",
        ),
        (
            br#"[{"label": 1},"#.to_vec(),
            StatusCode::BAD_REQUEST,
            "malformed_body",
        ),
        (b"".to_vec(), StatusCode::BAD_REQUEST, "malformed_body"),
        (
            serde_json::to_vec(&vec![json!({"label": 1}); 101]).unwrap(),
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_many_events",
        ),
        (
            vec![b' '; 11 * 1024 * 1024],
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
        ),
    ];
    for (body, status, code) in cases {
        let preview = String::from_utf8_lossy(&body[..body.len().min(60)]).into_owned();
        let (st, c, v) = send(body, "application/json", writer.clone()).await;
        assert_eq!((st, c.as_str()), (status, code), "{preview}: {v}");
        assert!(!v["message"].as_str().unwrap_or("").is_empty());
    }
    let (_, _, v) = send(
        br#"[{"label": 1}, {"score": 2}]"#.to_vec(),
        "application/json",
        writer.clone(),
    )
    .await;
    assert!(
        v["message"].as_str().unwrap().contains("event 1: score"),
        "{v}"
    );
    // Nothing of a rejected batch was stored.
    assert!(s.store.monitor_models().await.unwrap().is_empty());
    // Roles and names.
    let (st, _, _) = send(br#"[{"label": 1}]"#.to_vec(), "application/json", viewer).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, _, _) = s
        .call(
            Method::POST,
            url,
            None,
            Some(("application/json", b"[]".to_vec())),
        )
        .await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    let (st, v) = s
        .json(
            Method::POST,
            "/api/v1/monitor/bad%20name/events",
            Some(&writer),
            Some(json!([{"label": 1}])),
        )
        .await;
    assert_eq!(
        (st, v["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_model"))
    );
    // JSON Lines, with null features counted as missing.
    let nd = b"{\"features\": {\"a\": null, \"b\": 1}, \"prediction\": 1}\n{\"features\": {\"a\": 2}, \"prediction\": 0}\n";
    let (st, _, v) = send(nd.to_vec(), "application/x-ndjson", writer.clone()).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(
        (v["accepted"].as_u64(), v["missing_features"].as_u64()),
        (Some(2), Some(1))
    );
    let (st, v) = s
        .json(
            Method::GET,
            "/api/v1/monitor/fraud/performance?window=0s",
            Some(&writer),
            None,
        )
        .await;
    assert_eq!(
        (st, v["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_window"))
    );
    let (st, v) = s
        .json(
            Method::GET,
            "/api/v1/monitor/fraud/performance?window=1s&since=2000-01-01",
            Some(&writer),
            None,
        )
        .await;
    assert_eq!(
        (st, v["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_window")),
        "{v}"
    );
}

#[tokio::test]
async fn late_labels_join_and_performance_is_windowed() {
    let s = server_with(MonitorSettings::default()).await;
    let writer = s.token(Role::Admin).await;
    let start = (Timestamp::now().millis() / H - 3) * H;
    let mut evs = hour(start, 40, 30, "a");
    for e in &mut evs {
        e.as_object_mut().unwrap().remove("label");
    }
    let v = post_events(&s, &writer, "fraud", &evs).await;
    assert_eq!(v["accepted"], 40);
    let labels: Vec<Value> = (0..40)
        .map(|i| json!({"id": format!("a-{start}-{i}"), "label": i % 2}))
        .chain([json!({"id": "nope", "label": 1})])
        .collect();
    let (st, v) = s
        .json(
            Method::POST,
            "/api/v1/monitor/fraud/labels",
            Some(&writer),
            Some(json!(labels)),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(
        (v["matched"].as_u64(), v["unmatched"].as_u64()),
        (Some(40), Some(1))
    );
    let viewer = s.token(Role::Viewer).await;
    let until = Timestamp(start + 2 * H).to_string();
    let (st, v) = s
        .json(
            Method::GET,
            &format!("/api/v1/monitor/fraud/performance?window=1h&until={until}"),
            Some(&viewer),
            None,
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let w = v["windows"].as_array().unwrap();
    assert_eq!(w.len(), 24);
    let m = &w[22]["metrics"];
    assert_eq!(
        (m["events"].as_u64(), m["labelled"].as_u64()),
        (Some(40), Some(40))
    );
    assert_eq!(m["accuracy"].as_f64(), Some(0.75));
    assert!(m["roc_auc"].as_f64().is_some());
    let (_, v) = s
        .json(Method::GET, "/api/v1/monitor/models", Some(&viewer), None)
        .await;
    assert_eq!(v["items"][0]["model"], "fraud");
    assert_eq!(v["items"][0]["labelled"], 40);
}

#[tokio::test]
async fn alerts_fire_once_reach_a_signed_webhook_and_resolve() {
    let (url, got) = receiver().await;
    let secret = "s3cret-for-tests";
    let dir = tempfile::tempdir().unwrap();
    let secret_path = dir.path().join("hook.secret");
    std::fs::write(&secret_path, format!("{secret}\n")).unwrap();
    let sink = test_sink(url, Some(secret_path));
    let mut latency = rule("latency", Metric::LatencyMs, Condition::Anomaly, None);
    latency.min_samples = Some(5);
    let settings = MonitorSettings {
        rules: vec![
            rule(
                "accuracy-floor",
                Metric::Accuracy,
                Condition::Below,
                Some(0.8),
            ),
            rule(
                "accuracy-drop",
                Metric::Accuracy,
                Condition::Drop,
                Some(0.2),
            ),
            latency,
        ],
        sinks: vec![sink],
        evaluate_interval_secs: 0,
        limits: Default::default(),
    };
    let s = server_with(settings).await;
    let writer = s.token(Role::RiskOwner).await;
    let end = Timestamp::now().millis() / H * H;
    // Ten good hours for both models, then a bad last hour for `fraud` only.
    for h in 1..=10 {
        let start = end - (11 - h) * H;
        post_events(&s, &writer, "steady", &hour(start, 40, 38, "s")).await;
        let correct = if h == 10 { 16 } else { 38 };
        post_events(&s, &writer, "fraud", &hour(start, 40, correct, "f")).await;
    }
    // Stable gateway latency: the behaviour rule must stay quiet.
    let stats: Vec<RequestStat> = (1..=10)
        .flat_map(|h| {
            (0..10).map(move |i| RequestStat {
                time: Timestamp(end - (11 - h) * H + i * 1000),
                system: Some("bot".into()),
                key: None,
                model: Some("gpt".into()),
                latency_ms: 100.0 + (i % 3) as f64,
                prompt_tokens: 10,
                completion_tokens: 10,
                refused: false,
                guard_action: None,
                output_class: None,
            })
        })
        .collect();
    s.store.record_requests(stats).await.unwrap();

    let (st, v) = s
        .json(
            Method::POST,
            "/api/v1/monitor/alerts/evaluate",
            Some(&writer),
            None,
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let report = &v["report"];
    let opened: Vec<(String, String)> = report["opened"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["rule"].as_str().unwrap().to_string(),
                a["model"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        opened,
        vec![
            ("accuracy-floor".to_string(), "fraud".to_string()),
            ("accuracy-drop".to_string(), "fraud".to_string())
        ],
        "{report}"
    );
    let deliveries = report["deliveries"].as_array().unwrap();
    assert_eq!(deliveries.len(), 2, "{report}");
    assert!(deliveries.iter().all(|d| d["ok"] == true));
    // The receiver's first answer was a 500: one delivery needed a retry.
    assert_eq!(
        deliveries
            .iter()
            .map(|d| d["attempts"].as_u64().unwrap())
            .sum::<u64>(),
        3
    );
    {
        let received = got.0.lock().unwrap();
        assert_eq!(received.len(), 2);
        for (headers, body) in received.iter() {
            let ts: i64 = headers["x-airm-timestamp"]
                .to_str()
                .unwrap()
                .parse()
                .unwrap();
            let sig = headers["x-airm-signature"].to_str().unwrap();
            assert!(verify(secret.as_bytes(), ts, body, sig), "bad signature");
            assert!(!verify(b"wrong", ts, body, sig));
            let payload: Value = serde_json::from_slice(body).unwrap();
            assert_eq!(payload["event"], "alert.opened");
            assert_eq!(payload["alert"]["model"], "fraud");
            assert_eq!(payload["alert"]["owner"], "ml-team@example.com");
        }
    }
    // Evaluating again refreshes the open alerts without notifying.
    let (_, v) = s
        .json(
            Method::POST,
            "/api/v1/monitor/alerts/evaluate",
            Some(&writer),
            None,
        )
        .await;
    assert_eq!(v["report"]["opened"].as_array().unwrap().len(), 0);
    assert_eq!(got.0.lock().unwrap().len(), 2);
    let (_, v) = s
        .json(
            Method::GET,
            "/api/v1/monitor/alerts?status=open",
            Some(&writer),
            None,
        )
        .await;
    assert_eq!(v["total"], 2);
    assert_eq!(v["items"][0]["seen_count"], 2);
    // Every opened alert is in the activity log.
    let (_, ev) = s
        .json(
            Method::GET,
            "/api/v1/audit/events?action=monitor.alert.open",
            Some(&s.token(Role::Admin).await),
            None,
        )
        .await;
    assert_eq!(ev["total"], 2);

    // More correct predictions in the judged hour lift accuracy: both alerts resolve.
    post_events(
        &s,
        &writer,
        "fraud",
        &hour(end - H + 100_000, 200, 200, "fix"),
    )
    .await;
    let (_, v) = s
        .json(
            Method::POST,
            "/api/v1/monitor/alerts/evaluate",
            Some(&writer),
            None,
        )
        .await;
    assert_eq!(v["report"]["resolved"].as_array().unwrap().len(), 2, "{v}");
    let received: Vec<Request> = got.0.lock().unwrap().clone();
    assert_eq!(received.len(), 4);
    let last: Value = serde_json::from_slice(&received[3].1).unwrap();
    assert_eq!(last["event"], "alert.resolved");
    let (_, v) = s
        .json(
            Method::GET,
            "/api/v1/monitor/alerts?status=open",
            Some(&writer),
            None,
        )
        .await;
    assert_eq!(v["total"], 0);
    // Viewers may read alerts but not evaluate.
    let viewer = s.token(Role::Viewer).await;
    let (st, _) = s
        .json(Method::GET, "/api/v1/monitor/alerts", Some(&viewer), None)
        .await;
    assert_eq!(st, StatusCode::OK);
    let (st, _) = s
        .json(
            Method::POST,
            "/api/v1/monitor/alerts/evaluate",
            Some(&viewer),
            None,
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, v) = s
        .json(
            Method::GET,
            "/api/v1/monitor/gpt/behaviour",
            Some(&viewer),
            None,
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    assert!(
        v["verdicts"]
            .as_array()
            .unwrap()
            .iter()
            .all(|x| x["anomalous"] == false),
        "{v}"
    );
}

#[tokio::test]
async fn monitoring_pages_show_models_charts_and_alerts() {
    let s = server_with(MonitorSettings {
        rules: vec![rule(
            "accuracy-floor",
            Metric::Accuracy,
            Condition::Below,
            Some(0.8),
        )],
        ..Default::default()
    })
    .await;
    let writer = s.token(Role::Admin).await;
    let end = Timestamp::now().millis() / H * H;
    for h in 1..=3 {
        let correct = if h == 3 { 10 } else { 38 };
        post_events(
            &s,
            &writer,
            "fraud",
            &hour(end - (4 - h) * H, 40, correct, "f"),
        )
        .await;
    }
    s.json(
        Method::POST,
        "/api/v1/monitor/alerts/evaluate",
        Some(&writer),
        None,
    )
    .await;
    let user = s
        .store
        .list_users(&Default::default(), Default::default())
        .await
        .unwrap();
    let cookie = s.session_cookie(&user.items[0].id).await;
    let get = |uri: &'static str| {
        let (s, cookie) = (&s, cookie.clone());
        async move {
            let (st, _, html) = get_with_cookie(s, uri, &cookie).await;
            (st, html)
        }
    };
    let (st, html) = get("/monitoring").await;
    assert_eq!(st, StatusCode::OK);
    assert!(html.contains("href=\"/monitoring/fraud\""), "{html}");
    assert!(html.contains("accuracy 0.2500 is below 0.8"), "{html}");
    let (st, html) = get("/monitoring/fraud").await;
    assert_eq!(st, StatusCode::OK);
    assert!(html.contains("<svg class=\"chart\""), "{html}");
    assert!(html.contains("<path class=\"line s0\""));
    assert!(html.contains("0.9500") && html.contains("0.2500"), "{html}");
    assert!(html.contains("ml-team@example.com"));
    assert!(!html.contains("<script"));
    let (st, _) = get("/monitoring/fraud?window=5y").await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    let (st, _) = get("/monitoring/bad%20name").await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    // Without a session: to the login page.
    let (st, h, _) = get_with_cookie(&s, "/monitoring", "").await;
    assert_eq!(
        (st, h["location"].to_str().unwrap()),
        (StatusCode::SEE_OTHER, "/login")
    );
}

#[tokio::test]
async fn behaviour_anomaly_fires_for_the_key_whose_block_rate_jumps() {
    let scoped = |name: &str, key: &str| {
        let mut r = rule(name, Metric::BlockRate, Condition::Anomaly, None);
        r.key = Some(key.into());
        r
    };
    let s = server_with(MonitorSettings {
        rules: vec![scoped("blocks-1", "vk_1"), scoped("blocks-2", "vk_2")],
        ..Default::default()
    })
    .await;
    let end = Timestamp::now().millis() / H * H;
    let mut stats = Vec::new();
    for h in 1..=10 {
        for key in ["vk_1", "vk_2"] {
            for i in 0..20 {
                let burst = key == "vk_2" && h == 10 && i < 10;
                stats.push(RequestStat {
                    time: Timestamp(end - (11 - h) * H + i * 1000),
                    system: Some("bot".into()),
                    key: Some(key.into()),
                    model: Some("gpt".into()),
                    latency_ms: 100.0,
                    prompt_tokens: 10,
                    completion_tokens: 10,
                    refused: false,
                    guard_action: Some(if burst || i == 0 {
                        airm_store::monitor::GuardAction::Block
                    } else {
                        airm_store::monitor::GuardAction::Allow
                    }),
                    output_class: None,
                });
            }
        }
    }
    s.store.record_requests(stats).await.unwrap();
    let writer = s.token(Role::RiskOwner).await;
    let (st, v) = s
        .json(
            Method::POST,
            "/api/v1/monitor/alerts/evaluate",
            Some(&writer),
            None,
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let opened = v["report"]["opened"].as_array().unwrap();
    assert_eq!(opened.len(), 1, "{v}");
    assert_eq!(opened[0]["rule"], "blocks-2");
    assert_eq!(opened[0]["model"], "*");
    let results = v["report"]["results"].as_array().unwrap();
    let quiet = results.iter().find(|r| r["rule"] == "blocks-1").unwrap();
    assert_eq!(quiet["check"]["state"], "ok", "{v}");
}

#[tokio::test]
async fn serve_evaluates_periodically_and_stops_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let store: DynStore = Arc::new(SqliteStore::open_dir(dir.path()).await.unwrap());
    let end = Timestamp::now().millis() / H * H;
    let rows: Vec<_> = hour(end - H, 40, 10, "p")
        .iter()
        .map(|v| {
            airm_server::monitor::to_row(
                airm_monitor::event::parse_event(
                    0,
                    v,
                    "fraud",
                    Timestamp::now(),
                    &Default::default(),
                )
                .unwrap(),
            )
        })
        .collect();
    store.insert_monitor_events("fraud", rows).await.unwrap();
    let settings = MonitorSettings {
        rules: vec![rule(
            "accuracy-floor",
            Metric::Accuracy,
            Condition::Below,
            Some(0.8),
        )],
        evaluate_interval_secs: 1,
        ..Default::default()
    };
    let key = Arc::new(airm_ledger::SigningKey::from_seed([42; 32]));
    let state = AppState::new(store.clone(), key, ServerConfig::default()).with_monitor(settings);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(airm_server::serve(listener, state, async {
        let _ = stopped.await;
    }));
    let open = airm_store::monitor::AlertFilter {
        status: Some(airm_store::monitor::AlertStatus::Open),
        ..Default::default()
    };
    let mut found = 0;
    for _ in 0..50 {
        found = store
            .list_alerts(&open, Default::default())
            .await
            .unwrap()
            .total;
        if found > 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(found, 1, "the periodic evaluator opened the alert");
    stop.send(()).unwrap();
    tokio::time::timeout(std::time::Duration::from_secs(10), server)
        .await
        .expect("serve stops promptly")
        .unwrap()
        .unwrap();
}

#[tokio::test]
async fn drift_alert_fires_for_a_drifted_column_and_not_for_a_stable_one() {
    let (url, got) = receiver().await;
    let secret = "drift-secret";
    let dir = tempfile::tempdir().unwrap();
    let secret_path = dir.path().join("hook.secret");
    std::fs::write(&secret_path, secret).unwrap();
    let sink = test_sink(url, Some(secret_path));
    let column = |name: &str, col: &str| AlertRule {
        column: Some(col.into()),
        ..rule(name, Metric::Drift, Condition::Above, Some(0.5))
    };
    let settings = MonitorSettings {
        rules: vec![
            column("amount-drift", "amount"),
            column("country-drift", "country"),
            rule("dataset-drift", Metric::Drift, Condition::Above, Some(0.4)),
        ],
        sinks: vec![sink],
        evaluate_interval_secs: 0,
        limits: Default::default(),
    };
    let s = server_with(settings).await;
    let writer = s.token(Role::RiskOwner).await;
    let end = Timestamp::now().millis() / H * H;
    // Ten hours of the same inputs for both models; in `fraud`'s last hour the amounts
    // shift by 100 while the country mix stays the same.
    for h in 1..=10 {
        let start = end - (11 - h) * H;
        post_events(&s, &writer, "steady", &hour(start, 40, 38, "s")).await;
        let mut events = hour(start, 40, 38, "f");
        if h == 10 {
            for e in &mut events {
                let a = e["features"]["amount"].as_f64().unwrap();
                e["features"]["amount"] = json!(a + 100.0);
            }
        }
        post_events(&s, &writer, "fraud", &events).await;
    }
    // Without a reference sample drift rules cannot judge.
    let (_, v) = s
        .json(
            Method::POST,
            "/api/v1/monitor/alerts/evaluate",
            Some(&writer),
            None,
        )
        .await;
    assert_eq!(v["report"]["opened"].as_array().unwrap().len(), 0, "{v}");
    assert!(
        v["report"]["results"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["check"]["state"] == "insufficient"),
        "{v}"
    );
    // Baselines over the nine first hours, as `airm monitor baseline` stores them.
    for model in ["fraud", "steady"] {
        let (sample, truncated) = airm_server::monitor::reference_sample(
            &s.store,
            model,
            Timestamp(end - 10 * H),
            Timestamp(end - H),
        )
        .await
        .unwrap();
        assert!(!truncated);
        assert_eq!(sample.rows.len(), 360);
        s.store
            .set_baseline(&airm_store::monitor::Baseline {
                model: model.into(),
                metrics: json!({}),
                reference: Some(serde_json::to_value(&sample).unwrap()),
                window_start: Timestamp(end - 10 * H),
                window_end: Timestamp(end - H),
                created_at: Timestamp::now(),
            })
            .await
            .unwrap();
    }
    let (st, v) = s
        .json(
            Method::POST,
            "/api/v1/monitor/alerts/evaluate",
            Some(&writer),
            None,
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let report = &v["report"];
    let mut opened: Vec<(String, String)> = report["opened"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["rule"].as_str().unwrap().to_string(),
                a["model"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    opened.sort();
    // One of fraud's two feature columns drifted: share 0.5 > 0.4.
    assert_eq!(
        opened,
        vec![
            ("amount-drift".to_string(), "fraud".to_string()),
            ("dataset-drift".to_string(), "fraud".to_string()),
        ],
        "{report}"
    );
    let states: Vec<(String, String, String)> = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["rule"].as_str().unwrap().to_string(),
                r["model"].as_str().unwrap().to_string(),
                r["check"]["state"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(
        states.contains(&("country-drift".into(), "fraud".into(), "ok".into())),
        "{states:?}"
    );
    assert!(
        states
            .iter()
            .filter(|(_, m, _)| m == "steady")
            .all(|(_, _, st)| st == "ok"),
        "{states:?}"
    );
    let received = got.0.lock().unwrap().clone();
    assert_eq!(received.len(), 2);
    for (headers, body) in &received {
        let ts: i64 = headers["x-airm-timestamp"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        let sig = headers["x-airm-signature"].to_str().unwrap();
        assert!(verify(secret.as_bytes(), ts, body, sig), "bad signature");
        let payload: Value = serde_json::from_slice(body).unwrap();
        assert_eq!(payload["alert"]["metric"], "drift");
        assert_eq!(payload["alert"]["model"], "fraud");
    }
    // The model page shows the drift table and the histograms.
    let user = s
        .store
        .list_users(&Default::default(), Default::default())
        .await
        .unwrap();
    let cookie = s.session_cookie(&user.items[0].id).await;
    let (st, _, html) = get_with_cookie(&s, "/monitoring/fraud", &cookie).await;
    assert_eq!(st, StatusCode::OK);
    let table = html
        .split("<table id=\"drift\">")
        .nth(1)
        .and_then(|t| t.split("</table>").next())
        .unwrap_or_else(|| panic!("no drift table: {html}"));
    let row = |col: &str| {
        table
            .split("<tr>")
            .find(|r| r.contains(&format!("<td class=\"mono\">{col}</td>")))
            .unwrap_or_else(|| panic!("no row for {col}: {table}"))
            .to_string()
    };
    assert!(row("amount").contains("drifted") && row("amount").contains(">ks<"));
    assert!(row("country").contains("stable") && row("country").contains(">chi2<"));
    assert!(
        row("amount").contains("<rect class=\"ref\"")
            && row("amount").contains("<rect class=\"cur\"")
    );
    assert!(html.contains("1 of 2 columns drifted"), "{html}");
    assert!(!html.contains("<script"));
    let (_, _, html) = get_with_cookie(&s, "/monitoring/steady", &cookie).await;
    assert!(html.contains("0 of 2 columns drifted"), "{html}");

    let amount = received
        .iter()
        .map(|(_, b)| serde_json::from_slice::<Value>(b).unwrap())
        .find(|p| p["alert"]["rule"] == "amount-drift")
        .unwrap();
    assert!(
        amount["alert"]["message"]
            .as_str()
            .unwrap()
            .contains("drift of column `amount`"),
        "{amount}"
    );
}
