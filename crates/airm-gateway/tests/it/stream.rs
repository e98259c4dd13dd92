//! Streamed responses: redaction across chunk boundaries, canary leaks cut mid-stream,
//! usage, Anthropic event streams, and long streams.

use std::sync::atomic::Ordering;

use serde_json::{json, Value};

use crate::{chat, openai_stream_text, secret, start};

fn streaming(model: &str, user: &str) -> Value {
    let mut b = chat(model, user);
    b["stream"] = json!(true);
    b
}

#[tokio::test]
async fn a_secret_split_across_chunks_is_redacted_as_a_whole() {
    let h = start(|_, _| {}).await;
    let reply = format!(
        "Here is the key you asked for: {} and nothing else.",
        secret()
    );
    *h.mock.reply.lock().unwrap() = reply.clone();
    for size in [1, 3, 7] {
        h.mock.chunk_size.store(size, Ordering::SeqCst);
        let (s, raw) = h
            .post_stream("/v1/chat/completions", streaming("mock-1", "key?"))
            .await;
        assert_eq!(s, 200);
        let (text, chunks, done) = openai_stream_text(&raw);
        assert!(done, "{raw}");
        assert!(
            !raw.contains(&secret()),
            "secret leaked with chunk size {size}"
        );
        assert!(
            text.starts_with("Here is the key you asked for: [REDACTED:"),
            "{text}"
        );
        assert!(text.ends_with(" and nothing else."), "{text}");
        assert_eq!(
            chunks.last().unwrap()["choices"][0]["finish_reason"],
            "stop"
        );
        assert_eq!(chunks[0]["choices"][0]["delta"]["role"], "assistant");
    }
}

#[tokio::test]
async fn a_canary_leak_ends_the_stream_with_content_filter() {
    let h = start(|c, _| c.inject_canary = true).await;
    *h.mock.reply.lock().unwrap() = format!(
        "{} The reference is {{CANARY}} as requested.",
        "Fine. ".repeat(80)
    );
    h.mock.chunk_size.store(5, Ordering::SeqCst);
    let (s, raw) = h
        .post_stream("/v1/chat/completions", streaming("mock-1", "reference?"))
        .await;
    assert_eq!(s, 200);
    let (text, chunks, done) = openai_stream_text(&raw);
    assert!(done);
    assert!(!raw.contains("airm-canary-"), "{raw}");
    assert!(
        text.starts_with("Fine. Fine."),
        "text before the leak is released: {text}"
    );
    assert_eq!(
        chunks.last().unwrap()["choices"][0]["finish_reason"],
        "content_filter"
    );
    let ev = h.events(1).await;
    assert_eq!(ev[0].details["stream"], true);
    assert_eq!(ev[0].details["verdict"]["output"], "block");
}

#[tokio::test]
async fn usage_and_completions_streams() {
    let h = start(|_, _| {}).await;
    let mut b = streaming("mock-1", "hi");
    b["stream_options"] = json!({"include_usage": true});
    let (s, raw) = h.post_stream("/v1/chat/completions", b).await;
    assert_eq!(s, 200);
    let (text, chunks, done) = openai_stream_text(&raw);
    assert!(done);
    assert_eq!(text, "Hello from the mock.");
    assert!(chunks.iter().any(|c| c["usage"]["completion_tokens"] == 11));
    let ev = h.events(1).await;
    assert_eq!(ev[0].details["tokens"]["completion"], 11);
    // A stream without a finish chunk: held-back text still goes out before [DONE].
    let (s, raw) = h
        .post_stream("/v1/chat/completions", streaming("no-finish", "hi"))
        .await;
    assert_eq!(s, 200);
    let (text, _, done) = openai_stream_text(&raw);
    assert!(done);
    assert_eq!(text, "Hello from the mock.");
    let (s, raw) = h
        .post_stream(
            "/v1/completions",
            json!({"model": "mock-1", "prompt": "hi", "stream": true}),
        )
        .await;
    assert_eq!(s, 200);
    let (text, _, done) = openai_stream_text(&raw);
    assert!(done);
    assert_eq!(text, "Hello from the mock.");
}

#[tokio::test]
async fn anthropic_streams_are_guarded_too() {
    let h = start(|_, _| {}).await;
    *h.mock.reply.lock().unwrap() = format!("Key: {} done", secret());
    h.mock.chunk_size.store(2, Ordering::SeqCst);
    let (s, raw) = h
        .post_stream(
            "/v1/messages",
            json!({"model": "claude-x", "max_tokens": 50, "stream": true,
                                            "messages": [{"role": "user", "content": "key?"}]}),
        )
        .await;
    assert_eq!(s, 200);
    assert!(!raw.contains(&secret()), "{raw}");
    let mut text = String::new();
    let mut names = Vec::new();
    for (name, data) in anthropic_events(&raw) {
        if name == "content_block_delta" {
            text.push_str(data["delta"]["text"].as_str().unwrap());
        }
        names.push(name);
    }
    assert!(
        text.starts_with("Key: [REDACTED:") && text.ends_with(" done"),
        "{text}"
    );
    assert_eq!(names.first().unwrap(), "message_start");
    assert_eq!(names.last().unwrap(), "message_stop");
    let stop = names
        .iter()
        .position(|n| n == "content_block_stop")
        .unwrap();
    let last_delta = names
        .iter()
        .rposition(|n| n == "content_block_delta")
        .unwrap();
    assert!(
        last_delta < stop,
        "held-back text is released before the block stops"
    );
}

#[tokio::test]
async fn ten_thousand_chunks_pass() {
    let h = start(|_, _| {}).await;
    h.mock.chunk_count.store(10_000, Ordering::SeqCst);
    let (s, raw) = h
        .post_stream("/v1/chat/completions", streaming("mock-1", "count"))
        .await;
    assert_eq!(s, 200);
    let (text, _, done) = openai_stream_text(&raw);
    assert!(done);
    let expected: String = (0..10_000).map(|i| format!("w{} ", i % 10)).collect();
    assert_eq!(text, expected);
}

#[tokio::test]
async fn shutdown_drains_a_stream_in_flight() {
    let mut h = start(|_, _| {}).await;
    h.mock.chunk_size.store(2, Ordering::SeqCst);
    let mut resp = h
        .http
        .post(format!("{}/v1/chat/completions", h.url))
        .bearer_auth(&h.key)
        .json(&streaming("slow-stream", "hi"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    // The stream is under way (about 12 frames, 20 ms apart); now stop the gateway.
    h.stop.take().unwrap().send(()).unwrap();
    let mut raw = Vec::new();
    while let Some(c) = resp.chunk().await.unwrap() {
        raw.extend_from_slice(&c);
    }
    let (text, _, done) = openai_stream_text(&String::from_utf8(raw).unwrap());
    assert!(done, "the stream finished");
    assert_eq!(text, "Hello from the mock.");
    tokio::time::timeout(std::time::Duration::from_secs(5), h.stopped.take().unwrap())
        .await
        .expect("the gateway stopped after draining")
        .unwrap();
    // New connections are refused.
    assert!(h
        .http
        .post(format!("{}/v1/chat/completions", h.url))
        .bearer_auth(&h.key)
        .json(&chat("mock-1", "hi"))
        .send()
        .await
        .is_err());
}

/// The reassembled arguments of tool call 0 in an OpenAI stream, and the last finish reason.
fn tool_arguments(raw: &str) -> (String, Option<String>) {
    let mut args = String::new();
    let mut finish = None;
    for data in raw.lines().filter_map(|l| l.strip_prefix("data: ")) {
        if data == "[DONE]" {
            continue;
        }
        let v: Value = serde_json::from_str(data).unwrap();
        if let Some(calls) = v
            .pointer("/choices/0/delta/tool_calls")
            .and_then(Value::as_array)
        {
            for c in calls {
                assert_eq!(c["index"], 0);
                if let Some(a) = c.pointer("/function/arguments").and_then(Value::as_str) {
                    args.push_str(a);
                }
            }
        }
        if let Some(f) = v
            .pointer("/choices/0/finish_reason")
            .and_then(Value::as_str)
        {
            finish = Some(f.to_string());
        }
    }
    (args, finish)
}

#[tokio::test]
async fn a_secret_split_across_tool_call_argument_fragments_is_redacted() {
    let h = start(|_, _| {}).await;
    // Longer than the hold-back, so text is released while the call streams, and fragments
    // of 70 bytes: the finish chunk carries a fragment that releases text and the flush.
    let mut args = format!(
        "{{\"query\": \"{}send the key {} to the admin\", \"urgent\": true",
        "please ".repeat(50),
        secret()
    );
    // A whole 70-byte fragment comes with the finish reason.
    while (args.len() + 1) % 70 != 0 {
        args.push(' ');
    }
    args.push('}');
    *h.mock.reply.lock().unwrap() = args.clone();
    for size in [1, 3, 7, 70] {
        h.mock.chunk_size.store(size, Ordering::SeqCst);
        let (s, raw) = h
            .post_stream("/v1/chat/completions", streaming("tool-call", "go"))
            .await;
        assert_eq!(s, 200);
        assert!(
            !raw.contains(&secret()) && !raw.contains("ABCDEFGHIJ234567"),
            "secret leaked with fragment size {size}: {raw}"
        );
        let (got, finish) = tool_arguments(&raw);
        assert!(
            got.starts_with("{\"query\": \"please please ")
                && got.contains("please send the key [REDACTED:"),
            "{size}: {got}"
        );
        assert!(got.contains(" to the admin\", \"urgent\": true "), "{got}");
        assert!(got.ends_with(" }"), "{got}");
        let parsed: Value = serde_json::from_str(&got).expect("still JSON after redaction");
        assert_eq!(parsed["urgent"], true);
        assert_eq!(finish.as_deref(), Some("tool_calls"));
        // The name and id still arrive, before any argument text.
        assert!(raw.contains("\"name\":\"lookup\"") && raw.contains("\"id\":\"call_1\""));
        assert!(raw.trim_end().ends_with("data: [DONE]"));
    }
    let ev = h.events(4).await;
    assert!(
        ev.iter()
            .all(|e| e.details["verdict"]["output"] == "redact"),
        "{ev:?}"
    );
}

#[tokio::test]
async fn a_canary_in_tool_call_arguments_ends_the_stream_with_content_filter() {
    let h = start(|c, _| c.inject_canary = true).await;
    *h.mock.reply.lock().unwrap() = format!(
        "{{\"note\": \"{} ref {{CANARY}} end\"}}",
        "padding ".repeat(60)
    );
    h.mock.chunk_size.store(5, Ordering::SeqCst);
    let (s, raw) = h
        .post_stream("/v1/chat/completions", streaming("tool-call", "go"))
        .await;
    assert_eq!(s, 200);
    assert!(!raw.contains("airm-canary-"), "{raw}");
    let (got, finish) = tool_arguments(&raw);
    assert!(got.starts_with("{\"note\": \"padding"), "{got}");
    assert_eq!(finish.as_deref(), Some("content_filter"));
}

#[tokio::test]
async fn anthropic_tool_use_input_is_guarded_while_streamed() {
    let h = start(|_, _| {}).await;
    *h.mock.reply.lock().unwrap() = format!("{{\"key\": \"{}\", \"n\": 1}}", secret());
    h.mock.chunk_size.store(2, Ordering::SeqCst);
    let (s, raw) = h
        .post_stream(
            "/v1/messages",
            json!({"model": "tool-use", "max_tokens": 50, "stream": true,
                   "messages": [{"role": "user", "content": "go"}]}),
        )
        .await;
    assert_eq!(s, 200);
    assert!(!raw.contains(&secret()), "{raw}");
    let mut input = String::new();
    let mut names = Vec::new();
    for (name, data) in anthropic_events(&raw) {
        if name == "content_block_delta" {
            assert_eq!(data["delta"]["type"], "input_json_delta");
            input.push_str(data["delta"]["partial_json"].as_str().unwrap());
        }
        names.push(name);
    }
    let parsed: Value = serde_json::from_str(&input).expect(&input);
    assert!(
        parsed["key"].as_str().unwrap().starts_with("[REDACTED:"),
        "{input}"
    );
    assert_eq!(parsed["n"], 1);
    let stop = names
        .iter()
        .position(|n| n == "content_block_stop")
        .unwrap();
    let last = names
        .iter()
        .rposition(|n| n == "content_block_delta")
        .unwrap();
    assert!(last < stop);
    assert_eq!(names.last().unwrap(), "message_stop");
    // Not streamed: the tool_use input object is checked and redacted in place.
    let (s, b) = h
        .post(
            "/v1/messages",
            json!({"model": "tool-use", "max_tokens": 50,
                   "messages": [{"role": "user", "content": "go"}]}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert!(!b.to_string().contains(&secret()), "{b}");
    let input = &b["content"][0]["input"];
    assert!(
        input["key"].as_str().unwrap().starts_with("[REDACTED:"),
        "{b}"
    );
    assert_eq!(input["n"], 1);
}

#[tokio::test]
async fn a_thousand_concurrent_streaming_clients_are_served() {
    // Each stream holds four sockets (client and server side, twice).
    let limits = std::fs::read_to_string("/proc/self/limits").unwrap_or_default();
    let soft: u64 = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .and_then(|l| l.split_whitespace().nth(3))
        .and_then(|n| n.parse().ok())
        .unwrap_or(u64::MAX);
    assert!(
        soft >= 4_500,
        "RLIMIT_NOFILE is {soft}: raise it (ulimit -n 8192) to run 1,000 concurrent streams"
    );
    let h = std::sync::Arc::new(start(|_, _| {}).await);
    h.mock.chunk_size.store(2, Ordering::SeqCst);
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    // Every client holds its stream open until all have started.
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(1_000));
    let mut set = tokio::task::JoinSet::new();
    for i in 0..1_000 {
        let (h, http, barrier) = (h.clone(), http.clone(), barrier.clone());
        set.spawn(async move {
            let mut resp = http
                .post(format!("{}/v1/chat/completions", h.url))
                .bearer_auth(&h.key)
                .json(&streaming("slow-stream", &format!("hi {i}")))
                .send()
                .await
                .map_err(|e| format!("{i}: {e}"))?;
            if resp.status() != 200 {
                return Err(format!("{i}: status {}", resp.status()));
            }
            let first = resp.chunk().await.map_err(|e| format!("{i}: {e}"))?;
            tokio::time::timeout(std::time::Duration::from_secs(60), barrier.wait())
                .await
                .map_err(|_| format!("{i}: not all streams started"))?;
            let mut raw = first.map(|b| b.to_vec()).unwrap_or_default();
            while let Some(c) = resp.chunk().await.map_err(|e| format!("{i}: {e}"))? {
                raw.extend_from_slice(&c);
            }
            let (text, _, done) = openai_stream_text(&String::from_utf8_lossy(&raw));
            if !done || text != "Hello from the mock." {
                return Err(format!("{i}: done={done} text={text:?}"));
            }
            Ok(())
        });
    }
    let mut errors = Vec::new();
    while let Some(r) = set.join_next().await {
        if let Err(e) = r.unwrap() {
            errors.push(e);
        }
    }
    assert!(
        errors.is_empty(),
        "{} errors, e.g. {:?}",
        errors.len(),
        &errors[..errors.len().min(5)]
    );
    // One event each, all served.
    for _ in 0..500 {
        let ok = h
            .store
            .list_events(
                &airm_store::EventFilter {
                    action: Some("gateway.request".into()),
                    ..Default::default()
                },
                airm_store::Page::new(1, 0),
            )
            .await
            .unwrap()
            .total;
        if ok >= 1_000 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let ev = h.events(500).await;
    assert!(ev.iter().all(|e| e.details["status"] == 200));
}

/// The `(event name, data)` pairs of an Anthropic SSE body.
fn anthropic_events(raw: &str) -> Vec<(String, Value)> {
    raw.split("\n\n")
        .filter(|b| !b.is_empty())
        .map(|block| {
            let name = block
                .lines()
                .find_map(|l| l.strip_prefix("event: "))
                .unwrap();
            let data = block
                .lines()
                .find_map(|l| l.strip_prefix("data: "))
                .unwrap();
            (name.to_string(), serde_json::from_str(data).unwrap())
        })
        .collect()
}
