//! Integration tests of airm-gateway: a real gateway on 127.0.0.1:0 in front of the
//! in-process mock provider ([`mock`]), called over HTTP.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod extraction;
mod faults;
mod mock;
mod proxy;
mod python;
mod stream;

use std::sync::Arc;
use std::time::Duration;

use airm_core::{DataCategory, Exposure, LifecycleStage};
use airm_gateway::{Gateway, GatewayConfig, UpstreamConfig, UpstreamKind};
use airm_store::{DynStore, EventFilter, NewGatewayKey, NewSystem, Page, SqliteStore};
use serde_json::Value;

pub struct Harness {
    pub url: String,
    pub key: String,
    pub mock: mock::Mock,
    pub store: DynStore,
    pub http: reqwest::Client,
    pub gateway: Arc<Gateway>,
    /// The configuration and policy the gateway runs with.
    pub cfg: GatewayConfig,
    pub policy: airm_guard::Policy,
    /// Sends the shutdown signal to the gateway.
    pub stop: Option<tokio::sync::oneshot::Sender<()>>,
    /// Ends when the gateway's `serve` returned.
    pub stopped: Option<tokio::task::JoinHandle<()>>,
    _dir: tempfile::TempDir,
}

pub const UPSTREAM_KEY: &str = "sk-upstream-secret-0123456789";

/// Starts a mock and a gateway in front of it; `tweak` edits the config first.
pub async fn start(tweak: impl FnOnce(&mut GatewayConfig, &mut airm_guard::Policy)) -> Harness {
    start_with(tweak, airm_gateway::Counters::memory()).await
}

/// Starts a gateway over `store` with `cfg`; returns its URL and handle (stops with the test).
pub async fn serve_gateway(
    cfg: GatewayConfig,
    policy: airm_guard::Policy,
    store: DynStore,
    counters: airm_gateway::Counters,
) -> (String, Arc<Gateway>) {
    let gateway = Gateway::new(cfg, policy, store, counters).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let g = gateway.clone();
    tokio::spawn(async move {
        let _ = airm_gateway::serve(listener, g, std::future::pending()).await;
    });
    (format!("http://{addr}"), gateway)
}

/// Like [`start`], with the given rate-limit counters (and so extraction statistics).
pub async fn start_with(
    tweak: impl FnOnce(&mut GatewayConfig, &mut airm_guard::Policy),
    counters: airm_gateway::Counters,
) -> Harness {
    let (mock_url, mock) = mock::start().await;
    let dir = tempfile::tempdir().unwrap();
    let store: DynStore = Arc::new(SqliteStore::open_dir(dir.path()).await.unwrap());
    store
        .create_system(NewSystem {
            name: "support-bot".into(),
            purpose: "customer support".into(),
            owner: None,
            risk_owner: None,
            importance: 3,
            lifecycle: LifecycleStage::Production,
            exposure: Exposure::Public,
            data_categories: vec![DataCategory::Personal],
            eu_ai_act_tier: None,
            llm: true,
            gateway_policy: Some("default".into()),
            impact_assessed_at: None,
            controls: Vec::new(),
        })
        .await
        .unwrap();
    let key_file = dir.path().join("upstream.key");
    std::fs::write(&key_file, format!("{UPSTREAM_KEY}\n")).unwrap();
    let mut cfg = GatewayConfig::default();
    let mut up = UpstreamConfig::new("mock", &mock_url);
    up.api_key_file = Some(key_file.clone());
    up.timeout_secs = 2;
    up.stream_idle_secs = 1;
    up.backoff_ms = 10;
    let mut anth = UpstreamConfig::new("mock-anthropic", &mock_url);
    anth.kind = UpstreamKind::Anthropic;
    anth.api_key_file = Some(key_file);
    cfg.upstreams = vec![up, anth];
    cfg.key_cache_secs = 0;
    let mut policy = airm_guard::Policy::default();
    tweak(&mut cfg, &mut policy);
    let key = new_key(&store, vec![], "default").await;
    let gateway = Gateway::new(cfg.clone(), policy.clone(), store.clone(), counters).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let g = gateway.clone();
    let (stop, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let stopped = tokio::spawn(async move {
        let _ = airm_gateway::serve(listener, g, async move {
            let _ = stop_rx.await;
        })
        .await;
    });
    Harness {
        url: format!("http://{addr}"),
        key,
        mock,
        store,
        http: reqwest::Client::new(),
        gateway,
        cfg,
        policy,
        stop: Some(stop),
        stopped: Some(stopped),
        _dir: dir,
    }
}

pub async fn new_key(store: &DynStore, models: Vec<String>, policy: &str) -> String {
    limited_key(store, models, policy, None, None).await
}

pub async fn limited_key(
    store: &DynStore,
    models: Vec<String>,
    policy: &str,
    rpm: Option<u32>,
    tpm: Option<u32>,
) -> String {
    let (key, hash) = airm_gateway::new_key();
    store
        .create_gateway_key(
            NewGatewayKey {
                name: "test".into(),
                system: "support-bot".into(),
                models,
                policy: policy.into(),
                requests_per_minute: rpm,
                tokens_per_minute: tpm,
                expires_at: None,
            },
            &hash,
        )
        .await
        .unwrap();
    key
}

impl Harness {
    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let r = self
            .http
            .post(format!("{}{path}", self.url))
            .bearer_auth(&self.key)
            .json(&body)
            .send()
            .await
            .unwrap();
        let s = r.status().as_u16();
        let text = r.text().await.unwrap();
        (
            s,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    /// Posts a streaming request; returns the status and the raw event-stream text.
    pub async fn post_stream(&self, path: &str, body: Value) -> (u16, String) {
        let r = self
            .http
            .post(format!("{}{path}", self.url))
            .bearer_auth(&self.key)
            .json(&body)
            .send()
            .await
            .unwrap();
        let s = r.status().as_u16();
        (s, r.text().await.unwrap())
    }

    /// Gateway activity events, waiting until `n` exist (they are written in the background).
    pub async fn events(&self, n: usize) -> Vec<airm_core::AuditEvent> {
        for _ in 0..200 {
            let ev = self
                .store
                .list_events(
                    &EventFilter {
                        action: Some("gateway.request".into()),
                        ..EventFilter::default()
                    },
                    Page::new(500, 0),
                )
                .await
                .unwrap();
            if ev.items.len() >= n {
                return ev.items;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("fewer than {n} gateway events were recorded");
    }
}

/// The concatenated text deltas of an OpenAI event stream, and whether it ended with `[DONE]`.
pub fn openai_stream_text(raw: &str) -> (String, Vec<Value>, bool) {
    let mut text = String::new();
    let mut chunks = Vec::new();
    let mut done = false;
    for line in raw.lines() {
        let Some(data) = line.strip_prefix("data: ") else {
            continue;
        };
        if data == "[DONE]" {
            done = true;
            continue;
        }
        let v: Value = serde_json::from_str(data).unwrap();
        if let Some(t) = v
            .pointer("/choices/0/delta/content")
            .and_then(Value::as_str)
        {
            text.push_str(t);
        }
        if let Some(t) = v.pointer("/choices/0/text").and_then(Value::as_str) {
            text.push_str(t);
        }
        chunks.push(v);
    }
    (text, chunks, done)
}

pub fn chat(model: &str, user: &str) -> Value {
    serde_json::json!({"model": model, "messages": [
        {"role": "system", "content": "You are a helpful support assistant."},
        {"role": "user", "content": user}
    ], "temperature": 0.2, "x_vendor_extension": {"keep": "me"}})
}

pub fn secret() -> String {
    format!("{}{}", "AKIA", "ABCDEFGHIJ234567")
}
