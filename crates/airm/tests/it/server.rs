//! `airm serve` as a real process: bootstrap, API over HTTP, crash safety, and several
//! processes writing to one PostgreSQL database.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::{airm, stderr};

struct Server {
    child: Child,
    base: String,
    bootstrap_token: Option<String>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(data_dir: &Path) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_airm"))
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("AIRM_DATA_DIR", data_dir)
        .env_remove("AIRM_DATABASE_URL")
        .current_dir(data_dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut base = None;
    let mut token = None;
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        let Some(Ok(line)) = lines.next() else { break };
        if let Some(url) = line.split("listening on ").nth(1) {
            base = Some(url.trim().to_string());
            if token.is_some() || !is_first_start(data_dir) {
                break;
            }
        }
        if let Some(t) = line.trim().strip_prefix("airm_") {
            token = Some(format!("airm_{t}"));
            break;
        }
    }
    // Keep draining stdout so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    Server {
        child,
        base: base.expect("server printed its URL"),
        bootstrap_token: token,
    }
}

fn is_first_start(dir: &Path) -> bool {
    std::fs::metadata(dir.join(".started")).is_err() && {
        let _ = std::fs::write(dir.join(".started"), b"");
        true
    }
}

#[tokio::test]
async fn serve_bootstraps_once_and_answers_over_http() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(dir.path());
    let token = s
        .bootstrap_token
        .clone()
        .expect("bootstrap token printed on first start");
    let http = reqwest::Client::new();
    let health: serde_json::Value = http
        .get(format!("{}/healthz", s.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["status"], "ok");
    let r = http
        .get(format!("{}/api/v1/systems", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = http
        .post(format!("{}/api/v1/systems", s.base))
        .bearer_auth(&token)
        .json(&json!({"name": "via-http", "importance": 2}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    drop(s);
    // Second start: no new bootstrap token; the data is still there.
    let s2 = start(dir.path());
    assert!(s2.bootstrap_token.is_none());
    let list: serde_json::Value = http
        .get(format!("{}/api/v1/systems", s2.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"][0]["name"], "via-http");
    let events: serde_json::Value = http
        .get(format!(
            "{}/api/v1/audit/events?action=user.create",
            s2.base
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(events["items"][0]["actor"]["id"], "bootstrap");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_the_server_mid_write_loses_no_acknowledged_data() {
    let dir = tempfile::tempdir().unwrap();
    let mut acknowledged: Vec<String> = Vec::new();
    let mut token = None;
    for round in 0..3 {
        let mut s = start(dir.path());
        if token.is_none() {
            token = s.bootstrap_token.clone();
        }
        let token = token.clone().unwrap();
        let http = reqwest::Client::new();
        let acked = Arc::new(std::sync::Mutex::new(Vec::new()));
        let mut tasks = Vec::new();
        for w in 0..8 {
            let (http, base, token, acked) =
                (http.clone(), s.base.clone(), token.clone(), acked.clone());
            tasks.push(tokio::spawn(async move {
                for i in 0.. {
                    let name = format!("r{round}-w{w}-{i}");
                    let res = http
                        .post(format!("{base}/api/v1/systems"))
                        .bearer_auth(&token)
                        .json(&json!({"name": name, "purpose": "x".repeat(2000)}))
                        .send()
                        .await;
                    match res {
                        Ok(r) if r.status() == 201 => acked.lock().unwrap().push(name),
                        Ok(r) => panic!("unexpected status {}", r.status()),
                        Err(_) => break,
                    }
                }
            }));
        }
        // Kill once writes are flowing: after the first acknowledgement (on a loaded machine
        // that can take longer than any fixed delay), and a little more.
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        while acked.lock().unwrap().is_empty() && std::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        s.child.kill().unwrap(); // SIGKILL
        s.child.wait().unwrap();
        for t in tasks {
            t.await.unwrap();
        }
        let got = acked.lock().unwrap().clone();
        assert!(
            !got.is_empty(),
            "round {round}: no write acknowledged before the kill"
        );
        acknowledged.extend(got);
    }
    let store = airm_store::SqliteStore::open_dir(dir.path()).await.unwrap();
    store.integrity_check().await.unwrap();
    for name in &acknowledged {
        let found = airm_store::Store::get_system(&store, name).await.unwrap();
        assert!(found.is_some(), "acknowledged system {name} was lost");
    }
    // And the CLI still reads the store.
    let o = airm(
        dir.path(),
        &["--format", "json", "systems", "list", "--limit", "1"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn two_processes_on_one_postgres_lose_no_writes() {
    let Ok(url) = std::env::var(airm_core::env::TEST_POSTGRES_URL) else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must set AIRM_TEST_POSTGRES_URL"
        );
        eprintln!("skipping: AIRM_TEST_POSTGRES_URL not set");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let name = format!("shared-{}", std::process::id());
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_airm"))
            .args(args)
            .env("AIRM_DATABASE_URL", &url)
            .env("AIRM_DATA_DIR", dir.path())
            .current_dir(dir.path())
            .output()
            .unwrap()
    };
    let o = run(&["systems", "add", &name]);
    assert!(o.status.success(), "{}", stderr(&o));
    let cats = airm_core::DataCategory::ALL;
    // Each category is added by its own process, all at once.
    let children: Vec<_> = cats
        .iter()
        .map(|c| {
            Command::new(env!("CARGO_BIN_EXE_airm"))
                .args(["systems", "set", &name, "--add-data", c.as_str()])
                .env("AIRM_DATABASE_URL", &url)
                .env("AIRM_DATA_DIR", dir.path())
                .current_dir(dir.path())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for c in children {
        let o = c.wait_with_output().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let o = run(&["--format", "json", "systems", "show", &name]);
    let sys: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        sys["data_categories"].as_array().unwrap().len(),
        cats.len(),
        "{sys}"
    );
    assert_eq!(sys["version"], 1 + cats.len() as i64);
}
