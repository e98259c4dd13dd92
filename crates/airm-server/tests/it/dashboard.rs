//! The dashboard's session and CSRF handling, in-process.

use airm_core::Role;
use axum::http::{Method, StatusCode};

use crate::TestServer;

fn cookie_value(headers: &axum::http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(|v| {
            v.split(';')
                .next()
                .unwrap()
                .split_once('=')
                .unwrap()
                .1
                .to_string()
        })
}

fn hidden_csrf(html: &str) -> String {
    let i = html.find("name=\"csrf\" value=\"").unwrap() + "name=\"csrf\" value=\"".len();
    html[i..].split('"').next().unwrap().to_string()
}

pub async fn get_with_cookie(
    s: &TestServer,
    uri: &str,
    cookie: &str,
) -> (StatusCode, axum::http::HeaderMap, String) {
    let req = axum::http::Request::builder()
        .uri(uri)
        .header("cookie", cookie)
        .body(axum::body::Body::empty())
        .unwrap();
    let res = tower::ServiceExt::oneshot(s.app.clone(), req)
        .await
        .unwrap();
    let (st, h) = (res.status(), res.headers().clone());
    let body = axum::body::to_bytes(res.into_body(), 1 << 24)
        .await
        .unwrap();
    (st, h, String::from_utf8_lossy(&body).into_owned())
}

async fn post_form(
    s: &TestServer,
    uri: &str,
    cookie: &str,
    form: &str,
) -> (StatusCode, axum::http::HeaderMap, String) {
    let req = axum::http::Request::builder()
        .method(Method::POST)
        .uri(uri)
        .header("cookie", cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(axum::body::Body::from(form.to_string()))
        .unwrap();
    let res = tower::ServiceExt::oneshot(s.app.clone(), req)
        .await
        .unwrap();
    let (st, h) = (res.status(), res.headers().clone());
    let body = axum::body::to_bytes(res.into_body(), 1 << 24)
        .await
        .unwrap();
    (st, h, String::from_utf8_lossy(&body).into_owned())
}

#[tokio::test]
async fn pages_need_a_session_and_login_checks_csrf() {
    let s = TestServer::new().await;
    for page in ["/", "/systems", "/findings", "/systems/x"] {
        let (st, h, _) = get_with_cookie(&s, page, "").await;
        assert_eq!(st, StatusCode::SEE_OTHER, "{page}");
        assert_eq!(h["location"], "/login");
    }
    let token = s.token(Role::Viewer).await;
    let (st, h, html) = get_with_cookie(&s, "/login", "").await;
    assert_eq!(st, StatusCode::OK);
    let login_cookie = cookie_value(&h, "airm_login_csrf").unwrap();
    let set = h.get("set-cookie").unwrap().to_str().unwrap();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Strict"),
        "{set}"
    );
    let csrf = hidden_csrf(&html);
    assert_eq!(csrf, login_cookie);
    assert!(h["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("default-src 'none'"));

    // Wrong CSRF token: refused, no session.
    let (st, h, _) = post_form(
        &s,
        "/login",
        &format!("airm_login_csrf={login_cookie}"),
        &format!("token={token}&csrf=wrong"),
    )
    .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    assert!(cookie_value(&h, "airm_session").is_none());
    // Wrong token: refused, and the failure is logged.
    let (st, _, html) = post_form(
        &s,
        "/login",
        &format!("airm_login_csrf={login_cookie}"),
        &format!("token=airm_wrong&csrf={csrf}"),
    )
    .await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    assert!(html.contains("not valid"));
    // Right token and CSRF: a session.
    let (st, h, _) = post_form(
        &s,
        "/login",
        &format!("airm_login_csrf={login_cookie}"),
        &format!("token={token}&csrf={csrf}"),
    )
    .await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    let session = cookie_value(&h, "airm_session").unwrap();
    let cookie = format!("airm_session={session}");
    let (st, _, html) = get_with_cookie(&s, "/", &cookie).await;
    assert_eq!(st, StatusCode::OK);
    assert!(html.contains("Overview") && html.contains("viewer"));
    let (st, _, html) = get_with_cookie(&s, "/findings?min_severity=bogus", &cookie).await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert!(html.contains("invalid severity"));
    let (st, _, _) = get_with_cookie(&s, "/systems/missing", &cookie).await;
    assert_eq!(st, StatusCode::NOT_FOUND);

    // Logout needs the session's CSRF token.
    let page_csrf = hidden_csrf(&get_with_cookie(&s, "/systems", &cookie).await.2);
    let (st, _, _) = post_form(&s, "/logout", &cookie, "csrf=nope").await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, _, _) = post_form(&s, "/logout", &cookie, &format!("csrf={page_csrf}")).await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    let (st, _, _) = get_with_cookie(&s, "/", &cookie).await;
    assert_eq!(st, StatusCode::SEE_OTHER, "session ended");

    let events = s
        .store
        .list_events(
            &airm_store::EventFilter {
                action: Some("auth.login".into()),
                ..Default::default()
            },
            airm_store::Page::default(),
        )
        .await
        .unwrap();
    let outcomes: Vec<_> = events.items.iter().map(|e| e.outcome.as_str()).collect();
    assert_eq!(outcomes, vec!["success", "denied"]);
}

#[tokio::test]
async fn pages_escape_user_content() {
    let s = TestServer::new().await;
    let admin = s.token(Role::Admin).await;
    s.json(
        Method::POST,
        "/api/v1/systems",
        Some(&admin),
        Some(serde_json::json!({"name": "xss", "purpose": "<script>alert(1)</script>"})),
    )
    .await;
    let user = s
        .store
        .list_users(&Default::default(), airm_store::Page::default())
        .await
        .unwrap()
        .items
        .remove(0);
    let cookie = s.session_cookie(&user.id).await;
    let (st, _, html) = get_with_cookie(&s, "/systems/xss", &cookie).await;
    assert_eq!(st, StatusCode::OK);
    assert!(!html.contains("<script>alert(1)"));
    assert!(html.contains("&lt;script&gt;"));
}

/// Every page renders with realistic data (a template error would be a 500).
#[tokio::test]
async fn every_page_renders_with_data() {
    let s = TestServer::new().await;
    let admin = s.token(Role::Admin).await;
    let (_, sys) = s
        .json(
            Method::POST,
            "/api/v1/systems",
            Some(&admin),
            Some(serde_json::json!({"name": "loan-model", "purpose": "x".repeat(300), "importance": 5,
                "exposure": "public", "data_categories": ["personal"], "eu_ai_act_tier": "high"})),
        )
        .await;
    let (_, asset) = s
        .json(
            Method::POST,
            "/api/v1/assets",
            Some(&admin),
            Some(serde_json::json!({"kind": "model", "name": "m.pt", "location": "/m.pt", "systems": ["loan-model"]})),
        )
        .await;
    s.store
        .upsert_finding(airm_core::Finding {
            id: String::new(),
            rule_id: "MF001".into(),
            severity: airm_core::Severity::Critical,
            asset_id: Some(asset["id"].as_str().unwrap().into()),
            location: airm_core::Location {
                path: "/m.pt".into(),
                offset: Some(7),
                line: None,
                column: None,
                member: Some("data.pkl".into()),
            },
            message: "pickle calls `os.system`".into(),
            evidence: Some("os.system('id')".into()),
            status: airm_core::FindingStatus::Open,
            first_seen: airm_core::Timestamp(0),
            last_seen: airm_core::Timestamp(0),
            fingerprint: "fp".into(),
        })
        .await
        .unwrap();
    let user = s
        .store
        .list_users(&Default::default(), airm_store::Page::default())
        .await
        .unwrap()
        .items
        .remove(0);
    let cookie = s.session_cookie(&user.id).await;
    let id = sys["id"].as_str().unwrap();
    for (page, must) in [
        ("/", "loan-model"),
        ("/systems", "loan-model"),
        ("/systems?q=loan&exposure=public&lifecycle=", "loan-model"),
        (&format!("/systems/{id}") as &str, "m.pt"),
        ("/findings", "os.system"),
        (
            "/findings?min_severity=high&status=open&rule_id=MF001&system=loan-model",
            "os.system",
        ),
    ] {
        let (st, _, html) = get_with_cookie(&s, page, &cookie).await;
        assert_eq!(st, StatusCode::OK, "{page}: {html}");
        assert!(html.contains(must), "{page} lacks {must}");
        assert!(html.contains("sev-") || !page.starts_with("/findings"));
    }
    let (st, _, html) = get_with_cookie(&s, &format!("/systems/{id}"), &cookie).await;
    assert_eq!(st, StatusCode::OK);
    assert!(html.contains("sev-critical") && html.contains("high"));
    // The verify button runs a real verification.
    let csrf = hidden_csrf(&get_with_cookie(&s, "/audit", &cookie).await.2);
    let (st, _, html) = post_form(&s, "/audit/verify", &cookie, &format!("csrf={csrf}")).await;
    assert_eq!(st, StatusCode::OK);
    assert!(html.contains("Verified"), "{html}");
    let (st, _, _) = get_with_cookie(&s, "/audit?since=yesterday", &cookie).await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn viewers_do_not_see_the_activity_log() {
    let s = TestServer::new().await;
    let user = s
        .store
        .create_user(airm_store::NewUser {
            email: "v@example.com".into(),
            name: "V".into(),
            role: Role::Viewer,
        })
        .await
        .unwrap();
    let cookie = s.session_cookie(&user.id).await;
    let (st, _, html) = get_with_cookie(&s, "/", &cookie).await;
    assert_eq!(st, StatusCode::OK);
    assert!(!html.contains("href=\"/audit\""));
    let (st, _, _) = get_with_cookie(&s, "/audit", &cookie).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, _, _) = post_form(&s, "/audit/verify", &cookie, "csrf=c").await;
    assert_eq!(st, StatusCode::FORBIDDEN);
}
