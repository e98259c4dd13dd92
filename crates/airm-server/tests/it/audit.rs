//! The activity log over the API and dashboard: checkpoints, proofs, verification, and
//! detection of tampering done directly in the database.

use airm_core::Role;
use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::TestServer;

#[tokio::test]
async fn checkpoints_proofs_and_verification() {
    let s = TestServer::new().await;
    let admin = s.token(Role::Admin).await;
    let auditor = s.token(Role::Auditor).await;
    for i in 0..5 {
        let (st, _) = s
            .json(
                Method::POST,
                "/api/v1/systems",
                Some(&admin),
                Some(json!({"name": format!("s{i}")})),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED);
    }
    // Only admins sign checkpoints on demand.
    let (st, _) = s
        .json(
            Method::POST,
            "/api/v1/audit/checkpoints",
            Some(&auditor),
            None,
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, cp) = s
        .json(
            Method::POST,
            "/api/v1/audit/checkpoints",
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{cp}");
    assert_eq!(cp["tree_size"], 5);

    let (st, list) = s
        .json(
            Method::GET,
            "/api/v1/audit/checkpoints",
            Some(&auditor),
            None,
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    assert!(list["public_key"].as_str().unwrap().starts_with("ed25519:"));
    assert_eq!(list["items"][0]["tree_size"], 5);
    assert_eq!(list["log_size"], 6, "the checkpoint itself was logged");

    // An inclusion proof verifies against the signed root with the public ledger code.
    let (st, proof) = s
        .json(Method::GET, "/api/v1/audit/proof/2", Some(&auditor), None)
        .await;
    assert_eq!(st, StatusCode::OK, "{proof}");
    let p: airm_ledger::InclusionProof =
        serde_json::from_value(proof["inclusion_proof"].clone()).unwrap();
    let entry_hash =
        airm_ledger::Digest::from_hex(proof["entry"]["entry_hash"].as_str().unwrap()).unwrap();
    let leaf = airm_ledger::merkle::leaf_hash(&entry_hash.0);
    let root =
        airm_ledger::Digest::from_hex(proof["checkpoint"]["root_hash"].as_str().unwrap()).unwrap();
    airm_ledger::merkle::verify_inclusion(&p, &leaf, &root).unwrap();
    let (st, e) = s
        .json(Method::GET, "/api/v1/audit/proof/99", Some(&auditor), None)
        .await;
    assert_eq!(
        (st, e["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
    let (st, e) = s
        .json(Method::GET, "/api/v1/audit/proof/abc", Some(&auditor), None)
        .await;
    assert_eq!(
        (st, e["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_path"))
    );

    let (st, v) = s
        .json(Method::GET, "/api/v1/audit/verify", Some(&auditor), None)
        .await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(
        (v["ok"].clone(), v["checkpoints_verified"].clone()),
        (json!(true), json!(1)),
        "{v}"
    );
}

#[tokio::test]
async fn tampering_in_the_database_is_detected_and_named() {
    let s = TestServer::new().await;
    let admin = s.token(Role::Admin).await;
    for i in 0..4 {
        s.json(
            Method::POST,
            "/api/v1/systems",
            Some(&admin),
            Some(json!({"name": format!("t{i}")})),
        )
        .await;
    }
    s.json(
        Method::POST,
        "/api/v1/audit/checkpoints",
        Some(&admin),
        None,
    )
    .await;
    // An attacker with file access drops the guard trigger and rewrites history.
    let db = s._dir.path().join("airm.db");
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", db.display()))
        .await
        .unwrap();
    sqlx::query("DROP TRIGGER events_no_update")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("UPDATE events SET actor_id = 'someone-else' WHERE seq = 1")
        .execute(&pool)
        .await
        .unwrap();
    let (_, v) = s
        .json(Method::GET, "/api/v1/audit/verify", Some(&admin), None)
        .await;
    assert_eq!(v["ok"], false, "{v}");
    assert_eq!(v["bad_seq"], 1);
    assert!(v["error"].as_str().unwrap().contains("entry 1"), "{v}");
}
