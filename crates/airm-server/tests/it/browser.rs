//! End-to-end: headless Chromium, driven over WebDriver (chromedriver), logs in to a real
//! server, sees a system created through the API and opens its detail page.
//!
//! Needs `/usr/bin/chromium` and `/usr/bin/chromedriver` (Debian packages `chromium` and
//! `chromium-driver`). Without them the test is skipped locally, and fails in CI (`CI` or
//! `AIRM_TEST_BROWSER` set), where `.ci/run` installs them.

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use airm_core::Role;
use airm_server::{new_token, AppState, ServerConfig};
use airm_store::{DynStore, NewUser, SqliteStore};
use serde_json::{json, Value};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

struct Driver {
    child: Child,
    base: String,
    session: Option<String>,
    http: reqwest::Client,
    _profile: tempfile::TempDir,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Driver {
    async fn start() -> Driver {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let http = reqwest::Client::new();
        let base = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(r) = http.get(format!("{base}/status")).send().await {
                if r.status().is_success() {
                    break;
                }
            }
            assert!(Instant::now() < deadline, "chromedriver did not start");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let profile = tempfile::tempdir().unwrap();
        let mut d = Driver {
            child,
            base,
            session: None,
            http,
            _profile: profile,
        };
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                         "--window-size=1280,900",
                         format!("--user-data-dir={}", d._profile.path().display())]
            }
        }}});
        let v = d.cmd("POST", "/session", Some(caps)).await;
        d.session = Some(v["sessionId"].as_str().expect("session id").to_string());
        d
    }

    async fn cmd(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let url = match &self.session {
            Some(s) => format!("{}/session/{s}{path}", self.base),
            None => format!("{}{path}", self.base),
        };
        let req = match method {
            "POST" => self.http.post(&url).json(&body.unwrap_or(json!({}))),
            "DELETE" => self.http.delete(&url),
            _ => self.http.get(&url),
        };
        let res: Value = req
            .send()
            .await
            .expect("webdriver request")
            .json()
            .await
            .expect("webdriver json");
        if let Some(err) = res["value"].get("error") {
            panic!(
                "webdriver {method} {path}: {err} {}",
                res["value"]["message"]
            );
        }
        res["value"].clone()
    }

    async fn goto(&self, url: &str) {
        self.cmd("POST", "/url", Some(json!({"url": url}))).await;
    }

    async fn find(&self, css: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let url = format!(
                "{}/session/{}/element",
                self.base,
                self.session.as_ref().unwrap()
            );
            let res: Value = self
                .http
                .post(&url)
                .json(&json!({"using": "css selector", "value": css}))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            if let Some(obj) = res["value"].as_object() {
                if let Some(id) = obj.values().next().and_then(Value::as_str) {
                    if !obj.contains_key("error") {
                        return id.to_string();
                    }
                }
            }
            if Instant::now() >= deadline {
                let src = self.cmd("GET", "/source", None).await;
                let url = self.current_url().await;
                panic!(
                    "element `{css}` not found at {url}: {}\npage: {}",
                    res["value"]["message"],
                    src.as_str().unwrap_or("")
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn text(&self, css: &str) -> String {
        let el = self.find(css).await;
        self.cmd("GET", &format!("/element/{el}/text"), None)
            .await
            .as_str()
            .unwrap_or("")
            .to_string()
    }

    async fn current_url(&self) -> String {
        self.cmd("GET", "/url", None)
            .await
            .as_str()
            .unwrap_or("")
            .to_string()
    }

    async fn screenshot(&self, path: &std::path::Path) {
        use base64::Engine;
        let png = self.cmd("GET", "/screenshot", None).await;
        if let Some(b64) = png.as_str() {
            if let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(b64) {
                let _ = std::fs::write(path, bytes);
            }
        }
    }
}

fn browser_required() -> bool {
    std::env::var_os("CI").is_some() || std::env::var_os("AIRM_TEST_BROWSER").is_some()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_see_system_and_open_detail_in_chromium() {
    if !std::path::Path::new(CHROMEDRIVER).exists() || !std::path::Path::new(CHROMIUM).exists() {
        assert!(
            !browser_required(),
            "Chromium/chromedriver missing but a browser test is required"
        );
        eprintln!("skipping browser test: {CHROMIUM} or {CHROMEDRIVER} not installed");
        return;
    }
    // A real server on a real socket.
    let dir = tempfile::tempdir().unwrap();
    let store: DynStore = Arc::new(SqliteStore::open_dir(dir.path()).await.unwrap());
    let user = store
        .create_user(NewUser {
            email: "ana@example.com".into(),
            name: "Ana Risk".into(),
            role: Role::RiskOwner,
        })
        .await
        .unwrap();
    let (token, hash) = new_token();
    store
        .create_token(&user.id, "e2e", &hash, None)
        .await
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let key = Arc::new(airm_ledger::SigningKey::generate());
    let state = AppState::new(store.clone(), key, ServerConfig::default());
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(airm_server::serve(listener, state, async move {
        let _ = stop_rx.await;
    }));
    let base = format!("http://{addr}");

    // Create a system through the API, over HTTP.
    let http = reqwest::Client::new();
    let res = http
        .post(format!("{base}/api/v1/systems"))
        .bearer_auth(&token)
        .json(
            &json!({"name": "fraud-detector", "purpose": "Flags suspicious card payments",
                      "importance": 5, "exposure": "internal", "lifecycle": "production",
                      "data_categories": ["personal", "financial"], "owner": "ana@example.com"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);

    let d = Driver::start().await;
    d.goto(&format!("{base}/systems")).await;
    assert!(
        d.current_url().await.ends_with("/login"),
        "unauthenticated visit goes to login"
    );
    let field = d.find("#token").await;
    d.cmd(
        "POST",
        &format!("/element/{field}/value"),
        Some(json!({"text": token})),
    )
    .await;
    let button = d.find("form button[type=submit]").await;
    d.cmd("POST", &format!("/element/{button}/click"), None)
        .await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while !d.current_url().await.ends_with(&format!("{addr}/")) {
        assert!(
            Instant::now() < deadline,
            "login did not land on the overview: {}",
            d.current_url().await
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(d.text("#count-systems").await, "1");

    d.goto(&format!("{base}/systems")).await;
    let link = d.find("#systems a[href^='/systems/']").await;
    assert_eq!(
        d.cmd("GET", &format!("/element/{link}/text"), None).await,
        "fraud-detector"
    );
    d.cmd("POST", &format!("/element/{link}/click"), None).await;
    assert_eq!(d.text("#system-name").await, "fraud-detector");
    assert_eq!(
        d.text("#system-purpose").await,
        "Flags suspicious card payments"
    );
    assert!(d.current_url().await.contains("/systems/sys_"));
    let shots = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
    d.screenshot(&shots.join("dashboard-system.png")).await;
    // Phone width still renders the page.
    d.cmd(
        "POST",
        "/window/rect",
        Some(json!({"width": 390, "height": 844})),
    )
    .await;
    d.goto(&format!("{base}/findings")).await;
    d.find("form.filters").await;
    d.screenshot(&shots.join("dashboard-findings-phone.png"))
        .await;

    let _ = d.cmd("DELETE", "", None).await;
    let _ = stop_tx.send(());
    server.await.unwrap().unwrap();
}
