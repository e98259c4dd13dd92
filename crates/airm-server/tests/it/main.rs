//! Server integration tests: the API in-process (`app(state)` with `oneshot`), the
//! dashboard over real HTTP in headless Chromium.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod api;
mod audit;
mod browser;
mod dashboard;
mod governance;
mod inventory;
mod monitor;

use std::sync::Arc;

use airm_core::Role;
use airm_server::{app, new_token, AppState, ServerConfig};
use airm_store::{DynStore, NewUser, SqliteStore};
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use axum::Router;
use tower::ServiceExt;

pub struct TestServer {
    pub app: Router,
    pub store: DynStore,
    pub _dir: tempfile::TempDir,
}

impl TestServer {
    pub async fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store: DynStore = Arc::new(SqliteStore::open_dir(dir.path()).await.unwrap());
        let key = Arc::new(airm_ledger::SigningKey::from_seed([42; 32]));
        let state = AppState::new(store.clone(), key, ServerConfig::default());
        TestServer {
            app: app(state),
            store,
            _dir: dir,
        }
    }

    /// Creates a user with `role` and returns a fresh token for it.
    pub async fn token(&self, role: Role) -> String {
        let email = format!("{}-{}@example.com", role, rand_suffix());
        self.token_for(&email, role).await
    }

    /// Creates a user with this email and role and returns a fresh token for it.
    pub async fn token_for(&self, email: &str, role: Role) -> String {
        let email = email.to_string();
        let user = self
            .store
            .create_user(NewUser {
                email,
                name: format!("{role} user"),
                role,
            })
            .await
            .unwrap();
        let (token, hash) = new_token();
        self.store
            .create_token(&user.id, "test", &hash, None)
            .await
            .unwrap();
        token
    }

    /// Starts a dashboard session for `user_id`; returns the `Cookie` header value.
    pub async fn session_cookie(&self, user_id: &str) -> String {
        let sid = airm_server::auth::random_string(32);
        self.store
            .create_session(
                &airm_server::hash_secret(&sid),
                user_id,
                "c",
                airm_core::Timestamp::now().plus_days(1),
            )
            .await
            .unwrap();
        format!("airm_session={sid}")
    }

    pub async fn call(
        &self,
        method: Method,
        uri: &str,
        token: Option<&str>,
        body: Option<(&str, Vec<u8>)>,
    ) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
        let mut req = Request::builder().method(method).uri(uri);
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        let req = match body {
            Some((ct, bytes)) => req.header("content-type", ct).body(Body::from(bytes)),
            None => req.body(Body::empty()),
        }
        .unwrap();
        let res = self.app.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = axum::body::to_bytes(res.into_body(), 64 * 1024 * 1024)
            .await
            .unwrap()
            .to_vec();
        (status, headers, bytes)
    }

    pub async fn json(
        &self,
        method: Method,
        uri: &str,
        token: Option<&str>,
        body: Option<serde_json::Value>,
    ) -> (StatusCode, serde_json::Value) {
        let body = body.map(|b| ("application/json", serde_json::to_vec(&b).unwrap()));
        let (status, _, bytes) = self.call(method, uri, token, body).await;
        let v = if bytes.is_empty() {
            serde_json::Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or_else(|_| {
                serde_json::Value::String(String::from_utf8_lossy(&bytes).into_owned())
            })
        };
        (status, v)
    }
}

pub fn rand_suffix() -> String {
    airm_server::auth::random_string(6).to_lowercase()
}
