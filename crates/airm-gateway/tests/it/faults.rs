//! The fault matrix: upstream 5xx, retries, timeouts, refused connections, truncated,
//! malformed, reset and stalled streams all end in a clear OpenAI-style error, never a hang.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::{chat, openai_stream_text, start};

fn last_error(raw: &str) -> Value {
    raw.lines()
        .rev()
        .filter_map(|l| l.strip_prefix("data: "))
        .filter_map(|d| serde_json::from_str::<Value>(d).ok())
        .find(|v| v.get("error").is_some())
        .unwrap_or(Value::Null)
}

#[tokio::test]
async fn non_streamed_faults_become_clear_errors() {
    let h = start(|_, _| {}).await;
    let (s, b) = h
        .post("/v1/chat/completions", chat("fault-500", "hi"))
        .await;
    assert_eq!(s, 502, "{b}");
    assert_eq!(b["error"]["code"], "upstream_error");
    // Provider errors with a proper body pass through.
    let (s, b) = h
        .post("/v1/chat/completions", chat("fault-400", "hi"))
        .await;
    assert_eq!(s, 400);
    assert_eq!(b["error"]["param"], "x");
    // A 503 is retried.
    let (s, b) = h
        .post("/v1/chat/completions", chat("fault-503-once", "hi"))
        .await;
    assert_eq!(s, 200, "{b}");
    let t = Instant::now();
    let (s, b) = h
        .post("/v1/chat/completions", chat("fault-slow", "hi"))
        .await;
    assert_eq!(s, 504, "{b}");
    assert_eq!(b["error"]["code"], "upstream_timeout");
    assert!(t.elapsed() < Duration::from_secs(4));
}

#[tokio::test]
async fn refused_connections_are_retried_then_reported() {
    let h = start(|c, _| {
        // Nothing listens on port 9 of localhost (discard); connections are refused.
        c.upstreams[0].base_url = "http://127.0.0.1:9/v1".into();
        c.upstreams[0].retries = 1;
    })
    .await;
    let (s, b) = h.post("/v1/chat/completions", chat("mock-1", "hi")).await;
    assert_eq!(s, 502, "{b}");
    assert!(b["error"]["message"]
        .as_str()
        .unwrap()
        .contains("cannot connect"));
    let ev = h.events(1).await;
    assert_eq!(ev[0].details["error"], "upstream_error");
}

#[tokio::test]
async fn broken_streams_end_with_an_error_event() {
    let h = start(|_, _| {}).await;
    for model in [
        "fault-truncated",
        "fault-malformed",
        "fault-reset",
        "fault-stall",
    ] {
        let mut b = chat(model, "hi");
        b["stream"] = json!(true);
        let t = Instant::now();
        let (s, raw) = h.post_stream("/v1/chat/completions", b).await;
        assert_eq!(s, 200, "{model}");
        let err = last_error(&raw);
        assert!(err["error"]["code"].is_string(), "{model}: {raw}");
        let (text, _, done) = openai_stream_text(&raw.replace("{\"error\"", "{\"x\""));
        assert!(!done, "{model}");
        assert!(
            "Hello from the mock.".starts_with(&text),
            "{model}: only scanned text: {text}"
        );
        assert!(t.elapsed() < Duration::from_secs(5), "{model} hung");
    }
}

#[tokio::test]
async fn guard_failures_fail_closed_unless_the_route_allows() {
    let h = start(|_, _| {}).await;
    *h.mock.reply.lock().unwrap() = format!("Key: {} done", crate::secret());
    // Input side: refused, the upstream never called.
    h.gateway.inject_guard_fault(true, false);
    let calls = h.mock.calls.load(std::sync::atomic::Ordering::SeqCst);
    let (s, b) = h.post("/v1/chat/completions", chat("mock-1", "hi")).await;
    assert_eq!(s, 500, "{b}");
    assert_eq!(b["error"]["code"], "guard_failed");
    assert_eq!(
        h.mock.calls.load(std::sync::atomic::Ordering::SeqCst),
        calls
    );
    // Output side, whole response: refused, the unchecked reply never reaches the client.
    h.gateway.inject_guard_fault(false, true);
    let (s, b) = h.post("/v1/chat/completions", chat("mock-1", "hi")).await;
    assert_eq!(s, 500, "{b}");
    assert!(!b.to_string().contains(&crate::secret()));
    // Output side, streamed: an error event, nothing unscanned, no [DONE].
    let mut body = chat("mock-1", "hi");
    body["stream"] = json!(true);
    let (s, raw) = h.post_stream("/v1/chat/completions", body).await;
    assert_eq!(s, 200);
    assert!(!raw.contains(&crate::secret()), "{raw}");
    assert_eq!(last_error(&raw)["error"]["code"], "guard_failed", "{raw}");
    assert!(!raw.contains("[DONE]"));
    let ev = h.events(3).await;
    assert!(
        ev.iter().all(|e| e.details["error"] == "guard_failed"),
        "{:?}",
        ev.iter().map(|e| &e.details["error"]).collect::<Vec<_>>()
    );
    // A route configured to let text through on guard errors does so, and says so.
    let open = start(|c, _| {
        c.upstreams[0].on_guard_error = airm_gateway::OnGuardError::Allow;
    })
    .await;
    open.gateway.inject_guard_fault(true, true);
    let (s, b) = open
        .post("/v1/chat/completions", chat("mock-1", "hi"))
        .await;
    assert_eq!(s, 200, "{b}");
    let ev = open.events(1).await;
    assert_eq!(
        ev[0].details["guard_failed_open"], true,
        "{:?}",
        ev[0].details
    );
}

#[tokio::test]
async fn broken_anthropic_streams_end_with_an_error_event() {
    let h = start(|_, _| {}).await;
    for model in ["fault-truncated", "fault-malformed"] {
        let (s, raw) = h
            .post_stream(
                "/v1/messages",
                json!({"model": model, "max_tokens": 50, "stream": true,
                       "messages": [{"role": "user", "content": "hi"}]}),
            )
            .await;
        assert_eq!(s, 200, "{model}");
        let last = raw
            .split("\n\n")
            .filter(|b| !b.trim().is_empty())
            .last()
            .unwrap_or("");
        assert!(last.starts_with("event: error\n"), "{model}: {raw}");
        let data: Value =
            serde_json::from_str(last.lines().nth(1).unwrap().strip_prefix("data: ").unwrap())
                .unwrap();
        assert_eq!(data["type"], "error", "{model}");
        assert!(!raw.contains("message_stop"), "{model}");
        // Only scanned text went out, all of it a prefix of the reply.
        let text: String = raw
            .split("\n\n")
            .filter(|b| b.starts_with("event: content_block_delta"))
            .filter_map(|b| b.lines().nth(1)?.strip_prefix("data: "))
            .filter_map(|d| serde_json::from_str::<Value>(d).ok())
            .filter_map(|v| v["delta"]["text"].as_str().map(str::to_string))
            .collect();
        assert!("Hello from the mock.".starts_with(&text), "{model}: {text}");
    }
}
