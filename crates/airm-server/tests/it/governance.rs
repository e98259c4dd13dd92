//! Governance over the API: violations evaluated live, exceptions only from admin and
//! risk-owner, votes only from committee members, quorum decisions, and every decision in
//! the activity log.

use airm_core::Role;
use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::TestServer;

#[tokio::test]
async fn violations_exceptions_and_votes_follow_the_rules() {
    let s = TestServer::new().await;
    let ro = s.token_for("ro@example.com", Role::RiskOwner).await;
    let member = s.token_for("member@example.com", Role::Viewer).await;
    let other_member = s.token_for("chair@example.com", Role::Auditor).await;
    let outsider = s.token_for("outsider@example.com", Role::Viewer).await;

    let (st, _) = s
        .json(
            Method::POST,
            "/api/v1/systems",
            Some(&ro),
            Some(json!({
            "name": "support-bot", "lifecycle": "production", "exposure": "public", "llm": true,
            "owner": "ana@example.com", "risk_owner": "ro@example.com"})),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED);

    let (st, policies) = s
        .json(Method::GET, "/api/v1/policies", Some(&outsider), None)
        .await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(policies.as_array().unwrap().len(), 7);
    let (st, p) = s
        .json(Method::GET, "/api/v1/policies/gv004", Some(&outsider), None)
        .await;
    assert_eq!((st, p["id"].as_str()), (StatusCode::OK, Some("GV004")));
    assert!(p["docs"].as_str().unwrap().contains("## Remediation"));

    let (st, v) = s
        .json(Method::GET, "/api/v1/violations", Some(&outsider), None)
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let gv004: Vec<_> = v["violations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["policy"] == "GV004")
        .collect();
    assert_eq!(gv004.len(), 1, "{v}");
    assert_eq!(gv004[0]["object"], "support-bot");

    // Exceptions: viewers may not grant; risk owners may; the violation is then suppressed.
    let exc = json!({"policy": "GV004", "object": "support-bot",
        "justification": "gateway rollout is next sprint", "expires_at": "2099-01-01"});
    let (st, _) = s
        .json(
            Method::POST,
            "/api/v1/exceptions",
            Some(&outsider),
            Some(exc.clone()),
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, _) = s
        .json(
            Method::POST,
            "/api/v1/exceptions",
            Some(&ro),
            Some(exc.clone()),
        )
        .await;
    assert_eq!(
        st,
        StatusCode::UNPROCESSABLE_ENTITY,
        "expiry beyond two years is refused"
    );
    let soon = (airm_core::Timestamp::now().plus_days(30)).to_string();
    let exc = json!({"policy": "gv004", "object": "support-bot",
        "justification": "gateway rollout is next sprint", "expires_at": soon});
    let (st, e) = s
        .json(Method::POST, "/api/v1/exceptions", Some(&ro), Some(exc))
        .await;
    assert_eq!(st, StatusCode::CREATED, "{e}");
    assert_eq!(
        (e["policy"].as_str(), e["approver"].as_str()),
        (Some("GV004"), Some("ro@example.com"))
    );
    let (_, v) = s
        .json(
            Method::GET,
            "/api/v1/violations?policy=GV004",
            Some(&outsider),
            None,
        )
        .await;
    assert!(v["violations"].as_array().unwrap().is_empty(), "{v}");
    let (_, v) = s
        .json(
            Method::GET,
            "/api/v1/violations?policy=GV004&include_suppressed=true",
            Some(&outsider),
            None,
        )
        .await;
    assert_eq!(v["violations"][0]["suppressed_by"], e["id"]);
    let (_, near) = s
        .json(
            Method::GET,
            "/api/v1/exceptions?expiring_within_days=31",
            Some(&outsider),
            None,
        )
        .await;
    assert_eq!(near.as_array().unwrap().len(), 1);
    let path = format!("/api/v1/exceptions/{}/expire", e["id"].as_str().unwrap());
    let (st, _) = s.json(Method::POST, &path, Some(&outsider), None).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, ended) = s.json(Method::POST, &path, Some(&ro), None).await;
    assert_eq!(st, StatusCode::OK);
    assert!(ended["revoked_at"].is_string());
    let (_, v) = s
        .json(
            Method::GET,
            "/api/v1/violations?policy=GV004",
            Some(&outsider),
            None,
        )
        .await;
    assert_eq!(
        v["violations"].as_array().unwrap().len(),
        1,
        "expired exceptions stop suppressing"
    );

    // Approvals: only members vote; quorum decides.
    s.store
        .create_committee(
            "AI board",
            &[
                "member@example.com".into(),
                "chair@example.com".into(),
                "x@example.com".into(),
            ],
            2,
        )
        .await
        .unwrap();
    let (st, _) = s
        .json(
            Method::POST,
            "/api/v1/approvals",
            Some(&outsider),
            Some(
                json!({"subject": "support-bot", "action": "production", "committee": "AI board"}),
            ),
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN, "viewers cannot request");
    let (st, a) = s
        .json(Method::POST, "/api/v1/approvals", Some(&ro), Some(json!({"subject": "support-bot", "action": "production", "committee": "ai board", "reason": "pen test passed"})))
        .await;
    assert_eq!(st, StatusCode::CREATED, "{a}");
    let votes = format!("/api/v1/approvals/{}/votes", a["id"].as_str().unwrap());
    let (st, body) = s
        .json(
            Method::POST,
            &votes,
            Some(&outsider),
            Some(json!({"choice": "approve"})),
        )
        .await;
    assert_eq!(
        (st, body["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("forbidden"))
    );
    let (_, mine) = s
        .json(
            Method::GET,
            "/api/v1/approvals?mine=true&status=pending",
            Some(&member),
            None,
        )
        .await;
    assert_eq!(mine["total"], 1);
    let (st, a1) = s
        .json(
            Method::POST,
            &votes,
            Some(&member),
            Some(json!({"choice": "approve"})),
        )
        .await;
    assert_eq!(
        (st, a1["status"].as_str()),
        (StatusCode::OK, Some("pending"))
    );
    let (st, _) = s
        .json(
            Method::POST,
            &votes,
            Some(&member),
            Some(json!({"choice": "approve"})),
        )
        .await;
    assert_eq!(st, StatusCode::CONFLICT);
    let (st, a2) = s
        .json(
            Method::POST,
            &votes,
            Some(&other_member),
            Some(json!({"choice": "approve", "comment": "ok"})),
        )
        .await;
    assert_eq!(
        (st, a2["status"].as_str()),
        (StatusCode::OK, Some("approved"))
    );
    assert_eq!(a2["votes"].as_array().unwrap().len(), 2);

    // Every decision is in the activity log, refusals included.
    let admin = s.token(Role::Admin).await;
    let (_, ev) = s
        .json(
            Method::GET,
            "/api/v1/audit/events?limit=200",
            Some(&admin),
            None,
        )
        .await;
    let actions: Vec<(String, String)> = ev["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap().to_string(),
                e["outcome"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    // (A viewer's exception request is refused by the role gate before it reaches the
    // governance layer; the CLI path records such refusals, see the airm tests.)
    for want in [
        ("exception.grant", "success"),
        ("exception.expire", "success"),
        ("approval.request", "success"),
        ("approval.vote", "denied"),
        ("approval.vote", "success"),
        ("approval.decide", "success"),
    ] {
        assert!(
            actions.iter().any(|(a, o)| a == want.0 && o == want.1),
            "{want:?} missing from {actions:?}"
        );
    }
}

#[tokio::test]
async fn dashboard_shows_violations_approvals_and_expiring_exceptions() {
    use crate::dashboard::{get_with_cookie, post_form};
    let s = TestServer::new().await;
    let ro = s.token_for("ro@example.com", Role::RiskOwner).await;
    let (st, _) = s
        .json(
            Method::POST,
            "/api/v1/systems",
            Some(&ro),
            Some(json!({
            "name": "hr-screening", "lifecycle": "production", "data_categories": ["personal"],
            "owner": "ana@example.com", "risk_owner": "ro@example.com"})),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED);
    let member = s
        .store
        .create_user(airm_store::NewUser {
            email: "m@example.com".into(),
            name: "M".into(),
            role: Role::Viewer,
        })
        .await
        .unwrap();
    s.store
        .create_committee(
            "board",
            &["m@example.com".into(), "n@example.com".into()],
            1,
        )
        .await
        .unwrap();
    let (_, a) = s
        .json(Method::POST, "/api/v1/approvals", Some(&ro), Some(json!({"subject": "hr-screening", "action": "production", "committee": "board", "reason": "<b>ready</b>"})))
        .await;
    let soon = airm_core::Timestamp::now().plus_days(10).to_string();
    let (st, _) = s
        .json(
            Method::POST,
            "/api/v1/exceptions",
            Some(&ro),
            Some(json!({"policy": "GV001", "object": "*",
            "justification": "one-person team until hiring", "expires_at": soon})),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED);

    let cookie = s.session_cookie(&member.id).await;
    let (st, _, html) = get_with_cookie(&s, "/violations", &cookie).await;
    assert_eq!(st, StatusCode::OK);
    assert!(
        html.contains("id=\"violations\"") && html.contains("GV005"),
        "{html}"
    );
    let (st, _, html) = get_with_cookie(&s, "/exceptions", &cookie).await;
    assert_eq!(st, StatusCode::OK);
    assert!(html.contains("one-person team until hiring"));
    let (st, _, html) = get_with_cookie(&s, "/approvals", &cookie).await;
    assert_eq!(st, StatusCode::OK);
    assert!(
        html.contains("&lt;b&gt;ready") && !html.contains("<b>ready"),
        "escaped: {html}"
    );
    let path = format!("/approvals/{}/vote", a["id"].as_str().unwrap());
    let (st, _, _) = post_form(&s, &path, &cookie, "csrf=wrong&choice=approve").await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, _, html) = post_form(&s, &path, &cookie, "csrf=c&choice=approve&comment=fine").await;
    assert_eq!(st, StatusCode::OK, "{html}");
    assert!(html.contains("the request is approved"), "{html}");
    assert!(html.contains("Nothing is waiting for your vote."));
    let (st, _, _) = post_form(&s, &path, &cookie, "csrf=c&choice=approve").await;
    assert_eq!(st, StatusCode::CONFLICT, "decided requests take no votes");
}

#[tokio::test]
async fn escalation_notifies_once_per_step_and_records_expiries() {
    let s = TestServer::new().await;
    let ro = s.token_for("ro@example.com", Role::RiskOwner).await;
    let (st, _) = s
        .json(
            Method::POST,
            "/api/v1/systems",
            Some(&ro),
            Some(json!({
            "name": "bot", "lifecycle": "production", "exposure": "public", "llm": true,
            "owner": "ana@example.com", "risk_owner": "ro@example.com"})),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED);
    let now = airm_core::Timestamp::now();
    s.store
        .create_exception(airm_core::PolicyException {
            id: String::new(),
            policy: "GV001".into(),
            object: "bot".into(),
            justification: "temporary, now over".into(),
            approver: "ro@example.com".into(),
            created_at: now.plus_days(-10),
            expires_at: now.plus_days(-1),
            revoked_at: None,
        })
        .await
        .unwrap();
    // Escalation steps also reach the monitoring alert sinks, signed.
    let (url, got) = crate::monitor::receiver().await;
    let sink = crate::monitor::test_sink(url, None);
    let options = airm_server::governance::PolicyOptions {
        escalation_committee: Some("AI board".into()),
        sinks: vec![sink],
        ..Default::default()
    };
    let actor = airm_core::Actor::system("escalation");
    let sent = airm_server::governance::escalate(&s.store, &options, &actor)
        .await
        .unwrap();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(
        (sent[0].step.as_str(), sent[0].recipient.as_str()),
        ("owner", "ana@example.com")
    );
    let again = airm_server::governance::escalate(&s.store, &options, &actor)
        .await
        .unwrap();
    assert!(again.is_empty(), "a step is taken once");
    let delivered = got.0.lock().unwrap().clone();
    assert_eq!(
        delivered.len(),
        1,
        "one step, delivered once (after one retry)"
    );
    let (headers, body) = &delivered[0];
    assert_eq!(headers["x-airm-event"], "governance.escalation");
    let body: serde_json::Value = serde_json::from_slice(body).unwrap();
    assert_eq!(body["notification"]["recipient"], "ana@example.com");
    assert_eq!(body["notification"]["step"], "owner");
    let events = s
        .store
        .list_events(
            &airm_store::EventFilter {
                action: Some("exception.expired".into()),
                ..Default::default()
            },
            airm_store::Page::default(),
        )
        .await
        .unwrap();
    assert_eq!(events.total, 1, "recorded once");
    let esc = s
        .store
        .list_events(
            &airm_store::EventFilter {
                action: Some("policy.escalate".into()),
                ..Default::default()
            },
            airm_store::Page::default(),
        )
        .await
        .unwrap();
    assert_eq!(esc.total, 1);
    let open = s
        .store
        .list_violations(true, airm_store::Page::default())
        .await
        .unwrap();
    assert_eq!(open.total, 1);
}

/// GV007 sees the monitoring capability's open alerts: one past its SLA is a violation, a
/// fresh one and a resolved one are not.
#[tokio::test]
async fn monitoring_alerts_past_their_sla_are_violations() {
    let s = TestServer::new().await;
    let now = airm_core::Timestamp::now();
    let alert = |fingerprint: &str, severity, time| airm_store::monitor::NewAlert {
        fingerprint: fingerprint.into(),
        rule: fingerprint.into(),
        model: "fraud".into(),
        metric: "accuracy".into(),
        condition: "below".into(),
        severity,
        owner: Some("ana@example.com".into()),
        message: "accuracy below 0.9".into(),
        value: 0.7,
        reference: 0.9,
        window_start: time,
        window_end: time,
        time,
    };
    let (old, _) = s
        .store
        .fire_alert(alert("old", airm_core::Severity::High, now.plus_days(-2)))
        .await
        .unwrap();
    let (fresh, _) = s
        .store
        .fire_alert(alert("fresh", airm_core::Severity::High, now))
        .await
        .unwrap();
    s.store
        .fire_alert(alert(
            "gone",
            airm_core::Severity::Critical,
            now.plus_days(-3),
        ))
        .await
        .unwrap();
    s.store.resolve_alert("gone", now).await.unwrap();
    let options = airm_server::governance::PolicyOptions::default();
    let ev = airm_server::governance::evaluate(&s.store, &options, false)
        .await
        .unwrap();
    let gv007: Vec<&str> = ev
        .evaluation
        .violations
        .iter()
        .filter(|v| v.policy == "GV007")
        .map(|v| v.object.as_str())
        .collect();
    assert_eq!(gv007, vec![old.id.as_str()], "fresh alert {}", fresh.id);
    assert_eq!(ev.input.alerts.len(), 2, "only open alerts are input");
}
