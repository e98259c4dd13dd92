//! `/api/v1/inventory`, `/api/v1/bom` and the dashboard's inventory pages.

use axum::http::{Method, StatusCode};
use serde_json::json;

use airm_core::Role;

use crate::TestServer;

async fn seeded() -> (TestServer, String, String) {
    let s = TestServer::new().await;
    let admin = s.token(Role::Admin).await;
    s.json(
        Method::POST,
        "/api/v1/systems",
        Some(&admin),
        Some(json!({"name": "bot", "exposure": "public", "importance": 5, "data_categories": ["personal"]})),
    )
    .await;
    let (_, m) = s
        .json(
            Method::POST,
            "/api/v1/assets",
            Some(&admin),
            Some(json!({"kind": "model", "name": "clf.safetensors", "location": "/models/clf.safetensors",
                "format": "safetensors", "hashes": [{"alg": "sha256", "hex": "ab".repeat(32)}], "systems": ["bot"]})),
        )
        .await;
    let id = m["id"].as_str().unwrap().to_string();
    s.store
        .set_asset_facts(
            &id,
            &json!({"architecture": "BertForSequenceClassification", "parameters": 110}),
        )
        .await
        .unwrap();
    s.json(
        Method::POST,
        "/api/v1/assets",
        Some(&admin),
        Some(json!({"kind": "library", "name": "torch", "location": "pkg:pypi/torch@2.3.1"})),
    )
    .await;
    (s, admin, id)
}

#[tokio::test]
async fn inventory_ranks_and_explains() {
    let (s, admin, id) = seeded().await;
    let (st, v) = s.json(Method::GET, "/api/v1/inventory", None, None).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED, "{v}");
    let (st, v) = s
        .json(Method::GET, "/api/v1/inventory", Some(&admin), None)
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["total"], 2);
    assert_eq!(v["items"][0]["asset"]["id"], id.as_str());
    assert_eq!(v["items"][0]["risk"]["importance"], 5);
    assert!(
        v["items"][0]["risk"]["priority"].as_u64().unwrap()
            > v["items"][1]["risk"]["priority"].as_u64().unwrap()
    );
    let (_, v) = s
        .json(
            Method::GET,
            "/api/v1/inventory?kind=library",
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(v["total"], 1);
    let (st, v) = s
        .json(
            Method::GET,
            "/api/v1/inventory?kind=robot",
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{v}");
    let (st, v) = s
        .json(
            Method::GET,
            &format!("/api/v1/inventory/{id}"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(v["facts"]["parameters"], 110);
    assert_eq!(v["risk"]["factors"][1]["factor"], "exposure");
    assert_eq!(v["risk"]["factors"][1]["points"], 20);
    let (st, _) = s
        .json(
            Method::GET,
            "/api/v1/inventory/ast_nope",
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn bom_of_a_system() {
    let (s, admin, _) = seeded().await;
    let (st, h, body) = s
        .call(Method::GET, "/api/v1/bom?system=bot", Some(&admin), None)
        .await;
    assert_eq!(st, StatusCode::OK);
    assert!(h["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/vnd.cyclonedx+json"));
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["specVersion"], "1.6");
    assert_eq!(
        v["components"].as_array().unwrap().len(),
        1,
        "only the system's assets"
    );
    let c = &v["components"][0];
    assert_eq!(c["type"], "machine-learning-model");
    assert_eq!(c["hashes"][0]["alg"], "SHA-256");
    assert_eq!(
        c["modelCard"]["modelParameters"]["modelArchitecture"],
        "BertForSequenceClassification"
    );
    let (st, _) = s
        .json(Method::GET, "/api/v1/bom?system=nobody", Some(&admin), None)
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (st, v) = s
        .json(
            Method::GET,
            "/api/v1/bom?system=bot&spec=2.0",
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(
        (st, v["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_request"))
    );
    let (st, _) = s.json(Method::GET, "/api/v1/bom", Some(&admin), None).await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    let (st, _) = s
        .json(Method::GET, "/api/v1/bom?system=bot", None, None)
        .await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn dashboard_inventory_pages() {
    let (s, _admin, id) = seeded().await;
    let user = s
        .store
        .list_users(&Default::default(), airm_store::Page::default())
        .await
        .unwrap()
        .items
        .remove(0);
    let cookie = s.session_cookie(&user.id).await;
    for (page, must) in [
        ("/inventory", "clf.safetensors"),
        ("/inventory?kind=library&sort=risk", "torch"),
        ("/inventory?system=bot&sort=name&q=clf", "clf.safetensors"),
        (
            &format!("/inventory/{id}") as &str,
            "BertForSequenceClassification",
        ),
    ] {
        let (st, h, html) = crate::dashboard::get_with_cookie(&s, page, &cookie).await;
        assert_eq!(st, StatusCode::OK, "{page}: {html}");
        assert!(html.contains(must), "{page} lacks {must}");
        assert!(h.contains_key("content-security-policy"));
    }
    let (_, _, html) =
        crate::dashboard::get_with_cookie(&s, &format!("/inventory/{id}"), &cookie).await;
    assert!(
        html.contains("machine-learning-model") && html.contains("priority"),
        "{html}"
    );
    let (st, _, _) = crate::dashboard::get_with_cookie(&s, "/inventory?kind=robot", &cookie).await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    let (st, _, _) = crate::dashboard::get_with_cookie(&s, "/inventory?sort=evil", &cookie).await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    let (st, _, _) = crate::dashboard::get_with_cookie(&s, "/inventory/ast_nope", &cookie).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
}
