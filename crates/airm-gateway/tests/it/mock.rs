//! An in-process mock LLM provider on 127.0.0.1:0 speaking the OpenAI and Anthropic shapes,
//! streamed and not, with faults chosen by model name:
//! `fault-500`, `fault-503-once` (then fine), `fault-slow` (5 s), `fault-truncated`
//! (stream ends without `[DONE]`), `fault-malformed` (bad JSON chunk), `fault-reset`
//! (connection dropped mid-stream), `fault-stall` (stream goes silent), `no-finish` (a
//! stream with `[DONE]` but no chunk carrying `finish_reason`), `slow-stream` (20 ms between
//! frames), `chunks-N` (a stream of N chunks), `tool-call` (the reply is streamed as the
//! arguments of a tool call, finishing with `tool_calls`). On the Anthropic route:
//! `fault-truncated`, `fault-malformed`, and `tool-use` (a `tool_use` block fed by
//! `input_json_delta`).
//! The reply text is set by the test; `{CANARY}` in it is replaced by the canary found in
//! the system prompt (a model that leaks it).

use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use bytes::Bytes;
use serde_json::{json, Value};

#[derive(Default)]
pub struct MockState {
    pub reply: Mutex<String>,
    pub chunk_size: AtomicUsize,
    /// Number of content chunks to stream (0 = split `reply` by `chunk_size`).
    pub chunk_count: AtomicUsize,
    pub calls: AtomicUsize,
    pub last_body: Mutex<Option<Value>>,
    pub last_auth: Mutex<Option<String>>,
}

pub type Mock = Arc<MockState>;

pub async fn start() -> (String, Mock) {
    let state: Mock = Arc::new(MockState::default());
    *state.reply.lock().unwrap() = "Hello from the mock.".into();
    state.chunk_size.store(4, Ordering::SeqCst);
    let app = Router::new()
        .route("/v1/chat/completions", post(chat))
        .route("/v1/completions", post(chat))
        .route("/v1/embeddings", post(embeddings))
        .route("/v1/models", get(models))
        .route("/v1/messages", post(messages))
        .with_state(state.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{addr}/v1"), state)
}

fn remember(state: &MockState, headers: &HeaderMap, body: &Value) -> String {
    state.calls.fetch_add(1, Ordering::SeqCst);
    *state.last_body.lock().unwrap() = Some(body.clone());
    let auth = headers
        .get("authorization")
        .or_else(|| headers.get("x-api-key"))
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    *state.last_auth.lock().unwrap() = auth;
    let reply = state.reply.lock().unwrap().clone();
    if reply.contains("{CANARY}") {
        let text = body.to_string();
        let canary = text
            .find("airm-canary-")
            .and_then(|i| text.get(i..i + 28))
            .unwrap_or("no-canary")
            .to_string();
        return reply.replace("{CANARY}", &canary);
    }
    reply
}

fn pieces(state: &MockState, reply: &str, model: &str) -> Vec<String> {
    // `chunks-N`: N content chunks whatever the state says (for the memory benchmark).
    let n = model
        .strip_prefix("chunks-")
        .and_then(|n| n.parse::<usize>().ok())
        .map_or_else(
            || state.chunk_count.load(Ordering::SeqCst),
            |n| n.min(10_000_000),
        );
    if n > 0 {
        return (0..n).map(|i| format!("w{} ", i % 10)).collect();
    }
    let size = state.chunk_size.load(Ordering::SeqCst).max(1);
    let chars: Vec<char> = reply.chars().collect();
    chars.chunks(size).map(|c| c.iter().collect()).collect()
}

fn sse(frames: Vec<Result<Bytes, std::io::Error>>, tail: Option<Duration>) -> Response {
    let stream = futures_util::stream::iter(frames);
    let body = match tail {
        // A stream that stays open and silent after its frames.
        Some(d) => Body::from_stream(futures_util::StreamExt::chain(
            stream,
            futures_util::stream::once(async move {
                tokio::time::sleep(d).await;
                Ok::<Bytes, std::io::Error>(Bytes::new())
            }),
        )),
        None => Body::from_stream(stream),
    };
    ([("content-type", "text/event-stream")], body).into_response()
}

async fn chat(State(st): State<Mock>, headers: HeaderMap, Json(body): Json<Value>) -> Response {
    let reply = remember(&st, &headers, &body);
    let model = body["model"].as_str().unwrap_or("").to_string();
    let completions = body.get("prompt").is_some();
    match model.as_str() {
        "fault-500" => return (StatusCode::INTERNAL_SERVER_ERROR, "boom").into_response(),
        "fault-503-once" if st.calls.load(Ordering::SeqCst) % 2 == 1 => {
            return (StatusCode::SERVICE_UNAVAILABLE, "busy").into_response()
        }
        "fault-slow" => tokio::time::sleep(Duration::from_secs(5)).await,
        "fault-400" => {
            return (
                StatusCode::BAD_REQUEST,
                Json(json!({"error": {"message": "bad param", "type": "invalid_request_error", "param": "x", "code": null}})),
            )
                .into_response()
        }
        _ => {}
    }
    if body["stream"].as_bool() == Some(true) {
        let mut frames: Vec<Result<Bytes, std::io::Error>> = Vec::new();
        let chunk = |delta: Value, finish: Value| {
            let c = if completions {
                json!({"id": "cmpl-1", "object": "text_completion", "model": model,
                       "choices": [{"index": 0, "text": delta.get("content").cloned().unwrap_or(json!("")), "finish_reason": finish}]})
            } else {
                json!({"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1, "model": model,
                       "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})
            };
            Ok(Bytes::from(format!("data: {c}\n\n")))
        };
        if !completions {
            frames.push(chunk(
                json!({"role": "assistant", "content": ""}),
                Value::Null,
            ));
        }
        if model == "tool-call" {
            frames.push(chunk(
                json!({"tool_calls": [{"index": 0, "id": "call_1", "type": "function",
                                       "function": {"name": "lookup", "arguments": ""}}]}),
                Value::Null,
            ));
            // The last fragment comes with the finish reason, as some providers send it.
            let mut ps = pieces(&st, &reply, &model);
            let last = ps.pop().unwrap_or_default();
            for p in ps {
                frames.push(chunk(
                    json!({"tool_calls": [{"index": 0, "function": {"arguments": p}}]}),
                    Value::Null,
                ));
            }
            frames.push(chunk(
                json!({"tool_calls": [{"index": 0, "function": {"arguments": last}}]}),
                json!("tool_calls"),
            ));
            frames.push(Ok(Bytes::from_static(b"data: [DONE]\n\n")));
            return sse(frames, None);
        }
        for p in pieces(&st, &reply, &model) {
            frames.push(chunk(json!({"content": p}), Value::Null));
        }
        match model.as_str() {
            "fault-truncated" => return sse(frames, None),
            "fault-malformed" => {
                frames.push(Ok(Bytes::from_static(b"data: {not json\n\n")));
                return sse(frames, None);
            }
            "fault-reset" => {
                // Headers and some chunks go out, then the connection breaks.
                let body = Body::from_stream(futures_util::StreamExt::chain(
                    futures_util::stream::iter(frames),
                    futures_util::stream::once(async {
                        tokio::time::sleep(Duration::from_millis(200)).await;
                        Err::<Bytes, std::io::Error>(std::io::Error::other("reset"))
                    }),
                ));
                return ([("content-type", "text/event-stream")], body).into_response();
            }
            "fault-stall" => return sse(frames, Some(Duration::from_secs(30))),
            "slow-stream" => {
                // Every frame 20 ms after the previous one.
                frames.push(chunk(json!({}), json!("stop")));
                frames.push(Ok(Bytes::from_static(b"data: [DONE]\n\n")));
                let body = Body::from_stream(futures_util::StreamExt::then(
                    futures_util::stream::iter(frames),
                    |f| async move {
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        f
                    },
                ));
                return ([("content-type", "text/event-stream")], body).into_response();
            }
            _ => {}
        }
        if model != "no-finish" {
            frames.push(chunk(json!({}), json!("stop")));
        }
        if body.pointer("/stream_options/include_usage") == Some(&json!(true)) {
            let u = json!({"id": "chatcmpl-1", "object": "chat.completion.chunk", "choices": [],
                           "usage": {"prompt_tokens": 7, "completion_tokens": 11, "total_tokens": 18}});
            frames.push(Ok(Bytes::from(format!("data: {u}\n\n"))));
        }
        frames.push(Ok(Bytes::from_static(b"data: [DONE]\n\n")));
        return sse(frames, None);
    }
    if completions {
        return Json(
            json!({"id": "cmpl-1", "object": "text_completion", "model": model,
            "choices": [{"index": 0, "text": reply, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 5, "completion_tokens": 6, "total_tokens": 11}}),
        )
        .into_response();
    }
    Json(json!({
        "id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": reply}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 9, "completion_tokens": 12, "total_tokens": 21},
        "system_fingerprint": "fp_mock"
    }))
    .into_response()
}

async fn embeddings(
    State(st): State<Mock>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    remember(&st, &headers, &body);
    let n = match &body["input"] {
        Value::Array(a) => a.len(),
        _ => 1,
    };
    let data: Vec<Value> = (0..n)
        .map(|i| json!({"object": "embedding", "index": i, "embedding": [0.1, 0.2, 0.3]}))
        .collect();
    Json(
        json!({"object": "list", "data": data, "model": body["model"],
                "usage": {"prompt_tokens": 3, "total_tokens": 3}}),
    )
    .into_response()
}

async fn models() -> Response {
    Json(json!({"object": "list", "data": [
        {"id": "mock-1", "object": "model", "created": 1, "owned_by": "mock"},
        {"id": "other-1", "object": "model", "created": 1, "owned_by": "mock"}
    ]}))
    .into_response()
}

async fn messages(State(st): State<Mock>, headers: HeaderMap, Json(body): Json<Value>) -> Response {
    let reply = remember(&st, &headers, &body);
    let model = body["model"].as_str().unwrap_or("").to_string();
    if body["stream"].as_bool() == Some(true) {
        let ev = |name: &str, d: Value| -> Result<Bytes, Infallible> {
            Ok(Bytes::from(format!("event: {name}\ndata: {d}\n\n")))
        };
        let tool = model == "tool-use";
        let mut frames = vec![
            ev(
                "message_start",
                json!({"type": "message_start", "message": {"id": "msg_1", "type": "message", "role": "assistant", "model": model, "content": [], "usage": {"input_tokens": 8, "output_tokens": 0}}}),
            ),
            ev(
                "content_block_start",
                if tool {
                    json!({"type": "content_block_start", "index": 0, "content_block": {"type": "tool_use", "id": "toolu_1", "name": "lookup", "input": {}}})
                } else {
                    json!({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}})
                },
            ),
            ev("ping", json!({"type": "ping"})),
        ];
        for p in pieces(&st, &reply, &model) {
            let delta = if tool {
                json!({"type": "input_json_delta", "partial_json": p})
            } else {
                json!({"type": "text_delta", "text": p})
            };
            frames.push(ev(
                "content_block_delta",
                json!({"type": "content_block_delta", "index": 0, "delta": delta}),
            ));
        }
        frames.push(ev(
            "content_block_stop",
            json!({"type": "content_block_stop", "index": 0}),
        ));
        frames.push(ev("message_delta", json!({"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": 15}})));
        frames.push(ev("message_stop", json!({"type": "message_stop"})));
        match model.as_str() {
            // The stream ends before the block and the message stop.
            "fault-truncated" => frames.truncate(frames.len() - 3),
            "fault-malformed" => {
                let at = frames.len() - 3;
                frames.insert(
                    at,
                    Ok(Bytes::from_static(
                        b"event: content_block_delta\ndata: {not json\n\n",
                    )),
                );
            }
            _ => {}
        }
        let body = Body::from_stream(futures_util::stream::iter(frames));
        return ([("content-type", "text/event-stream")], body).into_response();
    }
    let content = if model == "tool-use" {
        json!([{"type": "tool_use", "id": "toolu_1", "name": "lookup",
                "input": serde_json::from_str::<Value>(&reply).unwrap_or(json!({}))}])
    } else {
        json!([{"type": "text", "text": reply}])
    };
    Json(
        json!({"id": "msg_1", "type": "message", "role": "assistant", "model": model,
        "content": content, "stop_reason": "end_turn",
        "usage": {"input_tokens": 8, "output_tokens": 15}}),
    )
    .into_response()
}
