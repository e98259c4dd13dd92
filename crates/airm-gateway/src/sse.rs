//! Server-sent events in both directions: a bounded, panic-free parser for the upstream's
//! event stream ([`SseParser`]), and the streaming response path ([`respond`]) that feeds
//! every text delta through the guard's [`airm_guard::OutputStream`] and re-emits only text
//! the guard released (scanned and redacted, with the hold-back window kept back), so a
//! secret split across chunks is redacted as a whole and nothing unscanned reaches the
//! client. A block ends the stream with `finish_reason: "content_filter"` (OpenAI) or
//! `stop_reason: "refusal"` (Anthropic). Upstream stalls, truncation and malformed events
//! become an error event the OpenAI client libraries raise, never a hung connection.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use airm_guard::{Action, OutputStream, StreamEnd};
use axum::body::Body;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde_json::{json, Value};
use tokio::sync::mpsc;

use crate::error::{Dialect, GatewayError};
use crate::protocol::{self, Endpoint};
use crate::proxy::{Gateway, OutputPlan};
use crate::record::Record;
use crate::upstream::Upstream;

/// Largest single line or event accepted from an upstream.
pub const MAX_EVENT_BYTES: usize = 1024 * 1024;

/// One parsed event.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SseEvent {
    /// The `event:` field, if any.
    pub event: Option<String>,
    /// The `data:` lines joined with `\n`.
    pub data: String,
}

/// Why an event stream could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SseError {
    /// A line or event is larger than the cap.
    TooLarge,
    /// A line is not UTF-8.
    NotUtf8,
}

/// Incremental SSE parser with a cap on line and event size.
#[derive(Debug, Default)]
pub struct SseParser {
    line: Vec<u8>,
    current: SseEvent,
    has_data: bool,
    cap: usize,
}

impl SseParser {
    /// A parser with the default cap ([`MAX_EVENT_BYTES`]).
    pub fn new() -> SseParser {
        SseParser {
            cap: MAX_EVENT_BYTES,
            ..SseParser::default()
        }
    }

    /// Feeds bytes; complete events are appended to `out`.
    pub fn push(&mut self, chunk: &[u8], out: &mut Vec<SseEvent>) -> Result<(), SseError> {
        for piece in chunk.split_inclusive(|b| *b == b'\n') {
            match piece.split_last() {
                Some((b'\n', body)) => {
                    if self.line.len() + body.len() > self.cap {
                        return Err(SseError::TooLarge);
                    }
                    self.line.extend_from_slice(body);
                    if self.line.last() == Some(&b'\r') {
                        self.line.pop();
                    }
                    let line = std::mem::take(&mut self.line);
                    self.line_done(&line, out)?;
                    self.line = line;
                    self.line.clear();
                }
                _ => {
                    if self.line.len() + piece.len() > self.cap {
                        return Err(SseError::TooLarge);
                    }
                    self.line.extend_from_slice(piece);
                }
            }
        }
        Ok(())
    }

    fn line_done(&mut self, line: &[u8], out: &mut Vec<SseEvent>) -> Result<(), SseError> {
        if line.is_empty() {
            if self.has_data || self.current.event.is_some() {
                out.push(std::mem::take(&mut self.current));
            }
            self.has_data = false;
            return Ok(());
        }
        if line.first() == Some(&b':') {
            return Ok(());
        }
        let line = std::str::from_utf8(line).map_err(|_| SseError::NotUtf8)?;
        let (field, value) = match line.split_once(':') {
            Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
            None => (line, ""),
        };
        match field {
            "data" => {
                if self.current.data.len() + value.len() + 1 > self.cap {
                    return Err(SseError::TooLarge);
                }
                if self.has_data {
                    self.current.data.push('\n');
                }
                self.current.data.push_str(value);
                self.has_data = true;
            }
            "event" => self.current.event = Some(value.to_string()),
            _ => {}
        }
        Ok(())
    }
}

/// Starts the streamed response: a task reads the upstream, guards and re-emits; the client
/// body is fed through a small bounded channel (memory stays constant however long the
/// stream, and a slow client slows the upstream read instead of buffering).
pub(crate) fn respond(
    gw: Arc<Gateway>,
    upstream: &Upstream,
    endpoint: Endpoint,
    resp: reqwest::Response,
    plan: OutputPlan,
    slot: &mut Option<Record>,
    estimate: u64,
) -> Result<Response, GatewayError> {
    let rec = slot
        .take()
        .ok_or_else(|| GatewayError::Internal("request record missing".into()))?;
    let (tx, rx) = mpsc::channel::<Bytes>(16);
    let idle = Duration::from_secs(upstream.cfg.stream_idle_secs);
    let name = upstream.cfg.name.clone();
    tokio::spawn(async move {
        let mut rec = rec;
        let mut pump = Pump {
            tx,
            endpoint,
            rec: &mut rec,
            gw: &gw,
            released_bytes: 0,
        };
        pump.run(resp, plan, idle, &name).await;
        let released = pump.released_bytes;
        if rec.completion_tokens == 0 {
            rec.completion_tokens = protocol::estimate_tokens(released);
        }
        if let Some(key) = rec.key.clone() {
            crate::proxy::charge(&gw, &key, estimate, &rec).await;
        }
        gw.finish(rec);
    });
    let body = Body::from_stream(futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|b| (Ok::<Bytes, Infallible>(b), rx))
    }));
    Ok((
        [
            (header::CONTENT_TYPE, "text/event-stream"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response())
}

/// Guarded streams by (choice or content-block index, slot): slot 0 is the text, slot
/// `1 + j` the arguments of tool call `j` (OpenAI), [`FUNCTION_SLOT`] the legacy
/// `function_call` arguments.
type Streams<'g> = BTreeMap<(u64, u64), Guarded<'g>>;

/// Slot of the legacy `delta.function_call.arguments`.
const FUNCTION_SLOT: u64 = u64::MAX;

struct Pump<'a> {
    tx: mpsc::Sender<Bytes>,
    endpoint: Endpoint,
    rec: &'a mut Record,
    gw: &'a Arc<Gateway>,
    released_bytes: usize,
}

/// How reading the upstream ended.
enum End {
    /// `[DONE]` / `message_stop` seen, or a block ended it.
    Done,
    /// The client went away.
    ClientGone,
    /// The upstream failed.
    Failed(GatewayError),
}

impl Pump<'_> {
    async fn send(&mut self, b: Bytes) -> bool {
        self.tx.send(b).await.is_ok()
    }

    async fn run(
        &mut self,
        mut resp: reqwest::Response,
        plan: OutputPlan,
        idle: Duration,
        name: &str,
    ) {
        let guard = plan.guard.clone();
        let new_stream = || {
            let s = match &plan.ctx {
                Some(c) => guard.stream_with(c.clone()),
                None => guard.stream(),
            };
            Guarded::new(match &plan.vault {
                Some(v) => s.restoring(v.clone()),
                None => s,
            })
        };
        let mut streams: Streams<'_> = BTreeMap::new();
        let mut parser = SseParser::new();
        let mut events = Vec::new();
        let anthropic = self.endpoint == Endpoint::Messages;
        let end = 'outer: loop {
            let chunk = match tokio::time::timeout(idle, resp.chunk()).await {
                Err(_) => {
                    break End::Failed(GatewayError::UpstreamTimeout {
                        upstream: name.to_string(),
                    })
                }
                Ok(Err(_)) => {
                    break End::Failed(GatewayError::Upstream {
                        upstream: name.to_string(),
                        message: "the stream broke".into(),
                    })
                }
                Ok(Ok(None)) => {
                    break End::Failed(GatewayError::Upstream {
                        upstream: name.to_string(),
                        message: "the stream ended early".into(),
                    })
                }
                Ok(Ok(Some(c))) => c,
            };
            events.clear();
            if parser.push(&chunk, &mut events).is_err() {
                break End::Failed(GatewayError::Upstream {
                    upstream: name.to_string(),
                    message: "malformed event stream".into(),
                });
            }
            for ev in events.drain(..) {
                // A failure inside the guard ends the stream with an error (fail closed):
                // the guard's state for this stream can no longer be trusted.
                let step = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    self.gw.guard_fault_point(2);
                    if anthropic {
                        self.anthropic_event(ev, &mut streams, &new_stream)
                    } else {
                        self.openai_event(ev, &mut streams, &new_stream)
                    }
                }))
                .unwrap_or_else(|_| {
                    tracing::error!(request_id = %self.rec.request_id, "The guard failed on a stream");
                    Step::Fail(GatewayError::GuardFailed)
                });
                match step {
                    Step::Emit(out, done) => {
                        for b in out {
                            self.released_bytes += b.len();
                            if !self.send(b).await {
                                break 'outer End::ClientGone;
                            }
                        }
                        if done {
                            break 'outer End::Done;
                        }
                    }
                    Step::Fail(e) => break 'outer End::Failed(e),
                }
            }
        };
        if matches!(end, End::Failed(GatewayError::GuardFailed)) {
            // Nothing held back goes out unscanned.
            streams.clear();
        }
        // Verdicts of every stream (this also scans anything still held back).
        let mut leftover = Vec::new();
        for (k, s) in std::mem::take(&mut streams) {
            let (blocked, json) = (s.is_blocked(), s.json);
            let end = s.finish();
            self.rec.verdict("output", &end.verdict, &self.gw.metrics);
            if !blocked && !end.text.is_empty() {
                leftover.push((k, json, end.text));
            }
        }
        match end {
            End::Done => {}
            End::ClientGone => {
                self.rec.status = 499;
                self.rec.error = Some("client_closed");
            }
            End::Failed(e) => {
                tracing::warn!(request_id = %self.rec.request_id, error = %e, "Stream from upstream failed");
                self.rec.error(&e);
                // Text already scanned may still go out, then the error the client raises.
                for ((idx, slot), json, text) in leftover {
                    let b = if anthropic {
                        anthropic_delta_event(idx, json, &text)
                    } else {
                        openai_flush_chunk(self.endpoint, idx, slot, &text)
                    };
                    if !self.send(b).await {
                        return;
                    }
                }
                let dialect = if anthropic {
                    Dialect::Anthropic
                } else {
                    Dialect::OpenAi
                };
                let body = e.body(dialect);
                let b = if anthropic {
                    Bytes::from(format!("event: error\ndata: {body}\n\n"))
                } else {
                    Bytes::from(format!("data: {body}\n\n"))
                };
                let _ = self.send(b).await;
            }
        }
    }

    /// Finishes every stream of choice `idx` (all of them when `None`): the held-back text
    /// of each, or `None` when one of them blocks.
    fn flush_openai(
        &mut self,
        streams: &mut Streams<'_>,
        idx: Option<u64>,
    ) -> Option<Vec<((u64, u64), String)>> {
        let keys: Vec<(u64, u64)> = streams
            .keys()
            .filter(|k| idx.is_none_or(|i| k.0 == i))
            .copied()
            .collect();
        let mut out = Vec::new();
        let mut blocked = false;
        for k in keys {
            let Some(s) = streams.remove(&k) else {
                continue;
            };
            let end = s.finish();
            self.rec.verdict("output", &end.verdict, &self.gw.metrics);
            if end.verdict.action == Action::Block {
                blocked = true;
            } else if !end.text.is_empty() {
                out.push((k, end.text));
            }
        }
        (!blocked).then_some(out)
    }

    fn openai_event<'g>(
        &mut self,
        ev: SseEvent,
        streams: &mut Streams<'g>,
        new_stream: &dyn Fn() -> Guarded<'g>,
    ) -> Step {
        let data = ev.data.trim();
        if data == "[DONE]" {
            // Anything still held back (no finish chunk came) is scanned and released first.
            let mut out = match self.flush_openai(streams, None) {
                Some(held) => held
                    .into_iter()
                    .map(|((i, slot), t)| openai_flush_chunk(self.endpoint, i, slot, &t))
                    .collect(),
                None => {
                    let c = json!({"object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {}, "finish_reason": "content_filter"}]});
                    vec![Bytes::from(format!("data: {c}\n\n"))]
                }
            };
            out.push(Bytes::from_static(b"data: [DONE]\n\n"));
            return Step::Emit(out, true);
        }
        let Ok(mut chunk) = serde_json::from_str::<Value>(data) else {
            return Step::Fail(GatewayError::Upstream {
                upstream: self.rec.upstream.clone().unwrap_or_default(),
                message: "malformed stream chunk".into(),
            });
        };
        if chunk.get("error").is_some() {
            return Step::Fail(GatewayError::Upstream {
                upstream: self.rec.upstream.clone().unwrap_or_default(),
                message: "the upstream reported an error mid-stream".into(),
            });
        }
        if let Some((p, c)) = protocol::usage(&chunk) {
            self.rec.prompt_tokens = p;
            self.rec.completion_tokens = c;
        }
        let completions = self.endpoint == Endpoint::Completions;
        let mut blocked = false;
        let mut worth_sending = chunk.get("usage").is_some_and(|u| !u.is_null());
        if let Some(choices) = chunk.get_mut("choices").and_then(Value::as_array_mut) {
            for c in choices.iter_mut() {
                let idx = c.get("index").and_then(Value::as_u64).unwrap_or(0);
                let finished = c.get("finish_reason").is_some_and(|f| !f.is_null());
                let text_field = if completions {
                    c.get_mut("text")
                } else {
                    c.get_mut("delta").and_then(|d| d.get_mut("content"))
                };
                let mut released = String::new();
                if let Some(Value::String(t)) = text_field {
                    let s = streams.entry((idx, 0)).or_insert_with(new_stream);
                    released = s.push(t);
                    blocked |= s.is_blocked();
                }
                if let Some(delta) = c.get_mut("delta").and_then(Value::as_object_mut) {
                    blocked |= guard_tool_deltas(delta, idx, streams, new_stream);
                }
                if finished && !blocked {
                    // Flush what was held back before the finish reaches the client, into this
                    // chunk: the text into its content, tool-call arguments appended to its
                    // tool calls (after the fragments it already carries, so order holds).
                    match self.flush_openai(streams, Some(idx)) {
                        None => blocked = true,
                        Some(held) => {
                            for ((_, slot), t) in held {
                                if slot == 0 {
                                    released.push_str(&t);
                                } else if let Some(d) = c.get_mut("delta") {
                                    append_tool_text(d, slot, t);
                                }
                            }
                        }
                    }
                }
                if blocked {
                    released.clear();
                    c["finish_reason"] = json!("content_filter");
                    if let Some(d) = c.get_mut("delta").and_then(Value::as_object_mut) {
                        d.remove("tool_calls");
                        d.remove("function_call");
                    }
                }
                let has_other = c
                    .get("delta")
                    .and_then(Value::as_object)
                    .is_some_and(|d| d.keys().any(|k| k != "content"));
                if !released.is_empty() || finished || blocked || has_other {
                    worth_sending = true;
                }
                let holder = if completions {
                    Some(&mut *c)
                } else {
                    c.get_mut("delta")
                };
                let field = if completions { "text" } else { "content" };
                if let Some(obj) = holder.and_then(Value::as_object_mut) {
                    let had_text = obj.get(field).is_some_and(Value::is_string);
                    if had_text || !released.is_empty() {
                        obj.insert(field.into(), Value::String(released));
                    }
                }
            }
        }
        if !worth_sending {
            return Step::Emit(Vec::new(), false);
        }
        let mut out = vec![Bytes::from(format!("data: {chunk}\n\n"))];
        if blocked {
            out.push(Bytes::from_static(b"data: [DONE]\n\n"));
        }
        Step::Emit(out, blocked)
    }

    fn anthropic_event<'g>(
        &mut self,
        ev: SseEvent,
        streams: &mut Streams<'g>,
        new_stream: &dyn Fn() -> Guarded<'g>,
    ) -> Step {
        let name = ev.event.clone().unwrap_or_default();
        let Ok(mut data) = serde_json::from_str::<Value>(ev.data.trim()) else {
            return Step::Fail(GatewayError::Upstream {
                upstream: self.rec.upstream.clone().unwrap_or_default(),
                message: "malformed stream event".into(),
            });
        };
        let frame =
            |name: &str, data: &Value| Bytes::from(format!("event: {name}\ndata: {data}\n\n"));
        let idx = data.get("index").and_then(Value::as_u64).unwrap_or(0);
        match name.as_str() {
            "message_start" => {
                if let Some(n) = data
                    .pointer("/message/usage/input_tokens")
                    .and_then(Value::as_u64)
                {
                    self.rec.prompt_tokens = n;
                }
                Step::Emit(vec![frame(&name, &data)], false)
            }
            "content_block_delta" => {
                // Text, and the JSON input of tool calls, go through the guard.
                let field = match data.pointer("/delta/type").and_then(Value::as_str) {
                    Some("text_delta") => "text",
                    Some("input_json_delta") => "partial_json",
                    _ => return Step::Emit(vec![frame(&name, &data)], false),
                };
                let text = data
                    .get("delta")
                    .and_then(|d| d.get(field))
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string();
                let s = streams.entry((idx, 0)).or_insert_with(|| {
                    let mut g = new_stream();
                    g.json = field == "partial_json";
                    g
                });
                let released = s.push(&text);
                if s.is_blocked() {
                    return Step::Emit(anthropic_refusal(idx), true);
                }
                if released.is_empty() {
                    return Step::Emit(Vec::new(), false);
                }
                if let Some(t) = data.get_mut("delta").and_then(|d| d.get_mut(field)) {
                    *t = Value::String(released);
                }
                Step::Emit(vec![frame(&name, &data)], false)
            }
            "content_block_stop" => {
                let mut out = Vec::new();
                if let Some(s) = streams.remove(&(idx, 0)) {
                    let json = s.json;
                    let end = s.finish();
                    self.rec.verdict("output", &end.verdict, &self.gw.metrics);
                    if end.verdict.action == Action::Block {
                        return Step::Emit(anthropic_refusal(idx), true);
                    }
                    if !end.text.is_empty() {
                        out.push(anthropic_delta_event(idx, json, &end.text));
                    }
                }
                out.push(frame(&name, &data));
                Step::Emit(out, false)
            }
            "message_delta" => {
                if let Some(n) = data.pointer("/usage/output_tokens").and_then(Value::as_u64) {
                    self.rec.completion_tokens = n;
                }
                Step::Emit(vec![frame(&name, &data)], false)
            }
            "message_stop" => Step::Emit(vec![frame(&name, &data)], true),
            "error" => Step::Fail(GatewayError::Upstream {
                upstream: self.rec.upstream.clone().unwrap_or_default(),
                message: "the upstream reported an error mid-stream".into(),
            }),
            _ => Step::Emit(vec![frame(&name, &data)], false),
        }
    }
}

/// Deltas smaller than this are collected before the guard sees them: the guard rescans its
/// context window on every push, and the hold-back window delays release anyway.
const COALESCE_BYTES: usize = 64;

/// A guarded output stream that hands the guard text in batches of [`COALESCE_BYTES`].
pub(crate) struct Guarded<'g> {
    inner: OutputStream<'g>,
    batch: String,
    /// The stream carries tool-call arguments (JSON), not text.
    json: bool,
}

impl<'g> Guarded<'g> {
    fn new(inner: OutputStream<'g>) -> Guarded<'g> {
        Guarded {
            inner,
            batch: String::new(),
            json: false,
        }
    }

    fn push(&mut self, text: &str) -> String {
        self.batch.push_str(text);
        if self.batch.len() < COALESCE_BYTES {
            return String::new();
        }
        let out = self.inner.push(&self.batch);
        self.batch.clear();
        out
    }

    fn is_blocked(&self) -> bool {
        self.inner.is_blocked()
    }

    fn finish(mut self) -> StreamEnd {
        let mut head = if self.batch.is_empty() {
            String::new()
        } else {
            self.inner.push(&self.batch)
        };
        let mut end = self.inner.finish();
        if end.verdict.action == Action::Block {
            return end;
        }
        head.push_str(&end.text);
        end.text = head;
        end
    }
}

enum Step {
    /// Frames to send; `true` when the stream is over.
    Emit(Vec<Bytes>, bool),
    Fail(GatewayError),
}

/// Runs the tool-call argument fragments of an OpenAI `delta` through their guarded
/// streams, replacing each by what the guard released; drops fragments left with nothing
/// to say. Returns whether a stream blocked.
fn guard_tool_deltas<'g>(
    delta: &mut serde_json::Map<String, Value>,
    idx: u64,
    streams: &mut Streams<'g>,
    new_stream: &dyn Fn() -> Guarded<'g>,
) -> bool {
    let mut blocked = false;
    let mut push = |slot: u64, args: &mut Value| {
        if let Value::String(a) = args {
            let s = streams.entry((idx, slot)).or_insert_with(|| {
                let mut g = new_stream();
                g.json = true;
                g
            });
            *a = s.push(a);
            blocked |= s.is_blocked();
        }
    };
    if let Some(calls) = delta.get_mut("tool_calls").and_then(Value::as_array_mut) {
        for (pos, call) in calls.iter_mut().enumerate() {
            let j = call
                .get("index")
                .and_then(Value::as_u64)
                .unwrap_or(pos as u64)
                .min(FUNCTION_SLOT - 2);
            if let Some(args) = call
                .get_mut("function")
                .and_then(|f| f.get_mut("arguments"))
            {
                push(1 + j, args);
            }
        }
        calls.retain(|call| {
            call.get("id").is_some_and(|v| !v.is_null())
                || call.pointer("/function/name").is_some_and(|v| !v.is_null())
                || call
                    .pointer("/function/arguments")
                    .and_then(Value::as_str)
                    .is_some_and(|a| !a.is_empty())
        });
        if calls.is_empty() {
            delta.remove("tool_calls");
        }
    }
    if let Some(args) = delta
        .get_mut("function_call")
        .and_then(|f| f.get_mut("arguments"))
    {
        push(FUNCTION_SLOT, args);
    }
    blocked
}

/// Appends released arguments of tool slot `slot` to an OpenAI `delta` (a new `tool_calls`
/// entry after any already there, or the legacy `function_call.arguments`).
fn append_tool_text(delta: &mut Value, slot: u64, text: String) {
    let Some(d) = delta.as_object_mut() else {
        return;
    };
    if slot == FUNCTION_SLOT {
        let f = d.entry("function_call").or_insert_with(|| json!({}));
        if let Some(f) = f.as_object_mut() {
            let prev = f.get("arguments").and_then(Value::as_str).unwrap_or("");
            let joined = format!("{prev}{text}");
            f.insert("arguments".into(), Value::String(joined));
        }
        return;
    }
    let entry = json!({"index": slot - 1, "function": {"arguments": text}});
    match d.get_mut("tool_calls").and_then(Value::as_array_mut) {
        Some(calls) => calls.push(entry),
        None => {
            d.insert("tool_calls".into(), Value::Array(vec![entry]));
        }
    }
}

/// A chunk releasing held-back `text` of stream `(idx, slot)`.
fn openai_flush_chunk(endpoint: Endpoint, idx: u64, slot: u64, text: &str) -> Bytes {
    let delta = match slot {
        0 => return openai_text_chunk_at(endpoint, idx, text),
        FUNCTION_SLOT => json!({"function_call": {"arguments": text}}),
        j => json!({"tool_calls": [{"index": j - 1, "function": {"arguments": text}}]}),
    };
    let c = json!({"object": "chat.completion.chunk", "choices": [{"index": idx, "delta": delta, "finish_reason": null}]});
    Bytes::from(format!("data: {c}\n\n"))
}

fn openai_text_chunk_at(endpoint: Endpoint, idx: u64, text: &str) -> Bytes {
    let c = if endpoint == Endpoint::Completions {
        json!({"object": "text_completion", "choices": [{"index": idx, "text": text, "finish_reason": null}]})
    } else {
        json!({"object": "chat.completion.chunk", "choices": [{"index": idx, "delta": {"content": text}, "finish_reason": null}]})
    };
    Bytes::from(format!("data: {c}\n\n"))
}

fn anthropic_delta_event(idx: u64, json: bool, text: &str) -> Bytes {
    let delta = if json {
        json!({"type": "input_json_delta", "partial_json": text})
    } else {
        json!({"type": "text_delta", "text": text})
    };
    let d = json!({"type": "content_block_delta", "index": idx, "delta": delta});
    Bytes::from(format!("event: content_block_delta\ndata: {d}\n\n"))
}

fn anthropic_refusal(idx: u64) -> Vec<Bytes> {
    let stop = json!({"type": "content_block_stop", "index": idx});
    let delta = json!({"type": "message_delta", "delta": {"stop_reason": "refusal", "stop_sequence": null}, "usage": {"output_tokens": 0}});
    let end = json!({"type": "message_stop"});
    vec![
        Bytes::from(format!("event: content_block_stop\ndata: {stop}\n\n")),
        Bytes::from(format!("event: message_delta\ndata: {delta}\n\n")),
        Bytes::from(format!("event: message_stop\ndata: {end}\n\n")),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_events_split_anywhere() {
        let text = b"event: a\ndata: {\"x\":1}\n\n: comment\r\ndata: l1\r\ndata: l2\r\n\r\ndata: [DONE]\n\n";
        for cut in 0..text.len() {
            let mut p = SseParser::new();
            let mut out = Vec::new();
            p.push(&text[..cut], &mut out).unwrap();
            p.push(&text[cut..], &mut out).unwrap();
            assert_eq!(out.len(), 3, "cut at {cut}");
            assert_eq!(out[0].event.as_deref(), Some("a"));
            assert_eq!(out[1].data, "l1\nl2");
            assert_eq!(out[2].data, "[DONE]");
        }
    }

    #[test]
    fn caps_and_bad_utf8_are_errors() {
        let mut p = SseParser::new();
        let mut out = Vec::new();
        let big = vec![b'a'; MAX_EVENT_BYTES + 1];
        assert_eq!(p.push(&big, &mut out), Err(SseError::TooLarge));
        let mut p = SseParser::new();
        assert_eq!(
            p.push(b"data: \xff\xfe\n", &mut out),
            Err(SseError::NotUtf8)
        );
    }

    #[test]
    fn a_long_stream_holds_back_a_bounded_number_of_bytes() {
        // 10,000 fragments of mixed sizes: what the gateway holds for a stream
        // (batch + the guard's pending text) never exceeds twice the hold-back window (the
        // guard scans once another window has arrived) plus one batch and one word, however
        // long the stream.
        let guard = airm_guard::Guard::new(airm_guard::Policy::default()).unwrap();
        let hold = guard.policy().stream.hold_back.max(16);
        let mut g = Guarded::new(guard.stream());
        let (mut pushed, mut released, mut peak) = (0usize, 0usize, 0usize);
        for i in 0..10_000usize {
            let frag = match i % 4 {
                0 => "w ".to_string(),
                1 => format!("word{i} "),
                2 => "{\"k\":".to_string(),
                _ => "x".repeat(i % 23),
            };
            pushed += frag.len();
            released += g.push(&frag).len();
            peak = peak.max(pushed - released);
        }
        released += g.finish().text.len();
        assert_eq!(released, pushed, "everything is released in the end");
        assert!(
            peak <= 2 * hold + COALESCE_BYTES + 64,
            "held {peak} bytes (hold-back {hold})"
        );
    }

    proptest::proptest! {
        #[test]
        fn any_bytes_split_anywhere_parse_the_same(data in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..2048), cut in 0usize..2048) {
            let cut = cut.min(data.len());
            let mut whole = SseParser::new();
            let mut a = Vec::new();
            let ra = whole.push(&data, &mut a);
            let mut split = SseParser::new();
            let mut b = Vec::new();
            let rb = split.push(&data[..cut], &mut b).and_then(|()| split.push(&data[cut..], &mut b));
            proptest::prop_assert_eq!(ra.is_ok(), rb.is_ok());
            if ra.is_ok() {
                proptest::prop_assert_eq!(a, b);
            }
        }
    }
}
