//! A fixed-rate (open-loop) HTTP load generator for `bench/gateway.sh`: POSTs one JSON body
//! at RATE requests per second for SECONDS and prints latency percentiles as JSON. Latency is
//! measured from each request's scheduled send time, so a stalled server cannot hide its
//! queueing (no coordinated omission).
//!
//! Usage: load URL BODY_FILE RATE SECONDS [BEARER_TOKEN]
//!
//! Concurrent streams: `load --streams N URL BODY_FILE [BEARER_TOKEN]` opens N streaming
//! requests at once (the body must ask for `stream: true`), reads each to its end and prints
//! how many ended with `[DONE]`, the errors and the stream durations as JSON.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--streams") {
        return streams(&args[2..]).await;
    }
    let url = args.get(1).expect("URL").clone();
    let body = bytes::Bytes::from(std::fs::read(args.get(2).expect("BODY_FILE")).unwrap());
    let rate: u64 = args.get(3).map_or(1000, |r| r.parse().unwrap());
    let secs: u64 = args.get(4).map_or(60, |s| s.parse().unwrap());
    let token = args.get(5).cloned();
    let client = reqwest::Client::builder()
        .tcp_nodelay(true)
        .pool_max_idle_per_host(4096)
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    // Warm-up: open some connections, let the servers reach steady state.
    for _ in 0..200 {
        let mut r = client
            .post(&url)
            .header("content-type", "application/json")
            .body(body.clone());
        if let Some(t) = &token {
            r = r.bearer_auth(t);
        }
        if let Ok(resp) = r.send().await {
            let _ = resp.bytes().await;
        }
    }
    let total = rate * secs;
    let lat = Arc::new(Mutex::new(Vec::<u32>::with_capacity(total as usize)));
    let errors = Arc::new(AtomicU64::new(0));
    let inflight = Arc::new(AtomicU64::new(0));
    let period = Duration::from_nanos(1_000_000_000 / rate.max(1));
    let start = Instant::now();
    let mut tasks = Vec::with_capacity(total as usize);
    for i in 0..total {
        let due = start + period * u32::try_from(i).unwrap();
        tokio::time::sleep_until(tokio::time::Instant::from_std(due)).await;
        if inflight.load(Ordering::Relaxed) > 10_000 {
            errors.fetch_add(1, Ordering::Relaxed);
            continue;
        }
        let (client, url, body, token) = (client.clone(), url.clone(), body.clone(), token.clone());
        let (lat, errors, inflight) = (lat.clone(), errors.clone(), inflight.clone());
        inflight.fetch_add(1, Ordering::Relaxed);
        tasks.push(tokio::spawn(async move {
            let mut r = client
                .post(&url)
                .header("content-type", "application/json")
                .body(body);
            if let Some(t) = &token {
                r = r.bearer_auth(t);
            }
            let ok = match r.send().await {
                Ok(resp) => resp.status().is_success() && resp.bytes().await.is_ok(),
                Err(_) => false,
            };
            let us = due.elapsed().as_micros().min(u128::from(u32::MAX)) as u32;
            if ok {
                lat.lock().unwrap().push(us);
            } else {
                errors.fetch_add(1, Ordering::Relaxed);
            }
            inflight.fetch_sub(1, Ordering::Relaxed);
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    let elapsed = start.elapsed().as_secs_f64();
    let mut v = lat.lock().unwrap().clone();
    v.sort_unstable();
    let pct = |p: f64| -> f64 {
        if v.is_empty() {
            return f64::NAN;
        }
        let i = ((v.len() as f64 - 1.0) * p).round() as usize;
        f64::from(v[i.min(v.len() - 1)]) / 1000.0
    };
    let out = serde_json::json!({
        "sent": total,
        "ok": v.len(),
        "errors": errors.load(Ordering::Relaxed),
        "achieved_rps": v.len() as f64 / elapsed,
        "p50_ms": pct(0.50),
        "p90_ms": pct(0.90),
        "p99_ms": pct(0.99),
        "max_ms": pct(1.0),
    });
    println!("{out}");
}

/// `--streams N URL BODY_FILE [TOKEN]`.
async fn streams(args: &[String]) {
    let n: usize = args.first().expect("N").parse().unwrap();
    let url = args.get(1).expect("URL").clone();
    let body = bytes::Bytes::from(std::fs::read(args.get(2).expect("BODY_FILE")).unwrap());
    let token = args.get(3).cloned();
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .timeout(Duration::from_secs(120))
        .build()
        .unwrap();
    let start = Instant::now();
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..n {
        let (client, url, body, token) = (client.clone(), url.clone(), body.clone(), token.clone());
        set.spawn(async move {
            let t = Instant::now();
            let mut r = client
                .post(&url)
                .header("content-type", "application/json")
                .body(body);
            if let Some(t) = &token {
                r = r.bearer_auth(t);
            }
            let mut resp = r.send().await.ok()?;
            if !resp.status().is_success() {
                return None;
            }
            let mut tail = Vec::new();
            while let Some(c) = resp.chunk().await.ok()? {
                tail.extend_from_slice(&c);
                let keep = tail.len().saturating_sub(64);
                tail.drain(..keep);
            }
            let done = String::from_utf8_lossy(&tail)
                .trim_end()
                .ends_with("data: [DONE]");
            done.then(|| t.elapsed().as_secs_f64() * 1000.0)
        });
    }
    let mut ms = Vec::new();
    let mut errors = 0u64;
    while let Some(r) = set.join_next().await {
        match r {
            Ok(Some(t)) => ms.push(t),
            _ => errors += 1,
        }
    }
    ms.sort_by(f64::total_cmp);
    let pct = |p: f64| -> f64 {
        if ms.is_empty() {
            return f64::NAN;
        }
        ms[(((ms.len() - 1) as f64) * p).round() as usize]
    };
    let out = serde_json::json!({
        "streams": n, "ok": ms.len(), "errors": errors,
        "p50_ms": pct(0.5), "p99_ms": pct(0.99), "wall_s": start.elapsed().as_secs_f64(),
    });
    println!("{out}");
}
