//! The request and response shapes the gateway understands, as edits on `serde_json::Value`
//! so unknown fields pass through untouched: where the text of each endpoint lives and which
//! [`Source`] it comes from, how a canary is planted in the system prompt, where the
//! completion text and the token usage are in a response, and how a blocked response is
//! marked (`finish_reason: "content_filter"`). No I/O, no guard policy decisions.

use airm_guard::Source;
use serde_json::Value;

/// The endpoints the gateway proxies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// `POST /v1/chat/completions`.
    Chat,
    /// `POST /v1/completions`.
    Completions,
    /// `POST /v1/embeddings`.
    Embeddings,
    /// `POST /v1/messages` (Anthropic).
    Messages,
}

impl Endpoint {
    /// Path below the upstream base URL.
    pub fn path(self) -> &'static str {
        match self {
            Endpoint::Chat => "/chat/completions",
            Endpoint::Completions => "/completions",
            Endpoint::Embeddings => "/embeddings",
            Endpoint::Messages => "/messages",
        }
    }

    /// Short name for metrics, logs and events.
    pub fn name(self) -> &'static str {
        match self {
            Endpoint::Chat => "chat",
            Endpoint::Completions => "completions",
            Endpoint::Embeddings => "embeddings",
            Endpoint::Messages => "messages",
        }
    }
}

fn role_source(role: Option<&str>) -> Source {
    match role {
        Some("system" | "developer") => Source::System,
        Some("tool" | "function") => Source::Tool,
        // Assistant turns in the history are written by the client too: check them as user text.
        _ => Source::User,
    }
}

/// Calls `f` on every piece of input text of the request, with its source, allowing edits.
pub fn visit_input(endpoint: Endpoint, body: &mut Value, f: &mut dyn FnMut(&mut String, Source)) {
    match endpoint {
        Endpoint::Chat => {
            if let Some(msgs) = body.get_mut("messages").and_then(Value::as_array_mut) {
                for m in msgs {
                    let src = role_source(m.get("role").and_then(Value::as_str));
                    if let Some(c) = m.get_mut("content") {
                        visit_content(c, src, f);
                    }
                }
            }
        }
        Endpoint::Completions => {
            if let Some(p) = body.get_mut("prompt") {
                visit_strings(p, Source::User, f);
            }
        }
        Endpoint::Embeddings => {
            if let Some(p) = body.get_mut("input") {
                visit_strings(p, Source::Document, f);
            }
        }
        Endpoint::Messages => {
            if let Some(s) = body.get_mut("system") {
                visit_content(s, Source::System, f);
            }
            if let Some(msgs) = body.get_mut("messages").and_then(Value::as_array_mut) {
                for m in msgs {
                    let src = role_source(m.get("role").and_then(Value::as_str));
                    if let Some(c) = m.get_mut("content") {
                        visit_content(c, src, f);
                    }
                }
            }
        }
    }
}

/// A string, or an array of strings (token arrays are skipped).
fn visit_strings(v: &mut Value, src: Source, f: &mut dyn FnMut(&mut String, Source)) {
    match v {
        Value::String(s) => f(s, src),
        Value::Array(items) => {
            for i in items {
                if let Value::String(s) = i {
                    f(s, src);
                }
            }
        }
        _ => {}
    }
}

/// Message content: a string, or parts (`{"type":"text","text":…}`, Anthropic
/// `tool_result` blocks whose content is tool output).
fn visit_content(v: &mut Value, src: Source, f: &mut dyn FnMut(&mut String, Source)) {
    match v {
        Value::String(s) => f(s, src),
        Value::Array(parts) => {
            for p in parts {
                let kind = p.get("type").and_then(Value::as_str).unwrap_or("");
                match kind {
                    "text" | "input_text" => {
                        if let Some(Value::String(s)) = p.get_mut("text") {
                            f(s, src);
                        }
                    }
                    "tool_result" => {
                        if let Some(c) = p.get_mut("content") {
                            visit_content(c, Source::Tool, f);
                        }
                    }
                    _ => {}
                }
            }
        }
        _ => {}
    }
}

/// Plants `canary` in the system prompt (appending to the first system message, or adding
/// one); returns the system prompt text after the edit.
pub fn plant_canary(endpoint: Endpoint, body: &mut Value, canary: &str) -> Option<String> {
    match endpoint {
        Endpoint::Chat => {
            let msgs = body.get_mut("messages")?.as_array_mut()?;
            let sys = msgs.iter_mut().find(|m| {
                matches!(
                    m.get("role").and_then(Value::as_str),
                    Some("system" | "developer")
                ) && m.get("content").is_some_and(Value::is_string)
            });
            match sys {
                Some(m) => {
                    let old = m.get("content").and_then(Value::as_str).unwrap_or("");
                    let new = airm_guard::with_canary(old, canary);
                    m["content"] = Value::String(new.clone());
                    Some(new)
                }
                None => {
                    let new = airm_guard::with_canary("", canary).trim_start().to_string();
                    msgs.insert(
                        0,
                        serde_json::json!({"role": "system", "content": new.clone()}),
                    );
                    Some(new)
                }
            }
        }
        Endpoint::Messages => {
            let obj = body.as_object_mut()?;
            let old = match obj.get("system") {
                Some(Value::String(s)) => s.clone(),
                None | Some(Value::Null) => String::new(),
                // Block-form system prompts are left as they are.
                Some(_) => return None,
            };
            let new = airm_guard::with_canary(&old, canary)
                .trim_start()
                .to_string();
            obj.insert("system".into(), Value::String(new.clone()));
            Some(new)
        }
        Endpoint::Completions | Endpoint::Embeddings => None,
    }
}

/// Calls `f` on every piece of completion text in a whole (non-streamed) response.
pub fn visit_output(endpoint: Endpoint, body: &mut Value, f: &mut dyn FnMut(&mut String)) {
    match endpoint {
        Endpoint::Chat => {
            for c in choices(body) {
                if let Some(m) = c.get_mut("message") {
                    if let Some(Value::String(s)) = m.get_mut("content") {
                        f(s);
                    }
                    if let Some(calls) = m.get_mut("tool_calls").and_then(Value::as_array_mut) {
                        for call in calls {
                            if let Some(Value::String(a)) = call
                                .get_mut("function")
                                .and_then(|f| f.get_mut("arguments"))
                            {
                                f(a);
                            }
                        }
                    }
                }
            }
        }
        Endpoint::Completions => {
            for c in choices(body) {
                if let Some(Value::String(s)) = c.get_mut("text") {
                    f(s);
                }
            }
        }
        Endpoint::Messages => {
            if let Some(blocks) = body.get_mut("content").and_then(Value::as_array_mut) {
                for b in blocks {
                    if let Some(Value::String(s)) = b.get_mut("text") {
                        f(s);
                    }
                    // A tool call's input is checked as its JSON text; a redacted input is
                    // parsed back (markers hold no quotes), or emptied if it no longer parses.
                    if b.get("type").and_then(Value::as_str) == Some("tool_use") {
                        if let Some(input) = b.get_mut("input") {
                            let before = input.to_string();
                            let mut text = before.clone();
                            f(&mut text);
                            if text != before {
                                *input = serde_json::from_str(&text)
                                    .unwrap_or_else(|_| Value::Object(Default::default()));
                            }
                        }
                    }
                }
            }
        }
        Endpoint::Embeddings => {}
    }
}

fn choices(body: &mut Value) -> impl Iterator<Item = &mut Value> {
    body.get_mut("choices")
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
}

/// Replaces the completion by nothing and marks it filtered.
pub fn mark_blocked(endpoint: Endpoint, body: &mut Value) {
    match endpoint {
        Endpoint::Chat => {
            for c in choices(body) {
                if let Some(m) = c.get_mut("message").and_then(Value::as_object_mut) {
                    m.insert("content".into(), Value::Null);
                    m.remove("tool_calls");
                    m.remove("function_call");
                }
                c["finish_reason"] = Value::String("content_filter".into());
            }
        }
        Endpoint::Completions => {
            for c in choices(body) {
                c["text"] = Value::String(String::new());
                c["finish_reason"] = Value::String("content_filter".into());
            }
        }
        Endpoint::Messages => {
            if let Some(o) = body.as_object_mut() {
                o.insert("content".into(), Value::Array(Vec::new()));
                o.insert("stop_reason".into(), Value::String("refusal".into()));
            }
        }
        Endpoint::Embeddings => {}
    }
}

/// `(prompt, completion)` tokens reported by the upstream, if any.
pub fn usage(body: &Value) -> Option<(u64, u64)> {
    let u = body.get("usage")?;
    let get = |k: &str| u.get(k).and_then(Value::as_u64);
    match (get("prompt_tokens"), get("input_tokens")) {
        (Some(p), _) => Some((p, get("completion_tokens").unwrap_or(0))),
        (None, Some(i)) => Some((i, get("output_tokens").unwrap_or(0))),
        _ => None,
    }
}

/// A rough token estimate for budgeting before the upstream reports usage (4 bytes/token).
pub fn estimate_tokens(bytes: usize) -> u64 {
    (bytes as u64).div_ceil(4)
}

/// The requested model.
pub fn model(body: &Value) -> Option<&str> {
    body.get("model").and_then(Value::as_str)
}

/// Whether the client asked for a streamed response.
pub fn wants_stream(body: &Value) -> bool {
    body.get("stream").and_then(Value::as_bool).unwrap_or(false)
}

/// The embedding inputs as texts (for the extraction detector).
pub fn embedding_inputs(body: &Value) -> Vec<&str> {
    match body.get("input") {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn visits_every_text_with_its_source() {
        let mut b = json!({"model": "m", "messages": [
            {"role": "system", "content": "sys"},
            {"role": "user", "content": [{"type": "text", "text": "u1"}, {"type": "image_url", "image_url": {"url": "x"}}]},
            {"role": "tool", "content": "t"},
            {"role": "assistant", "content": null, "tool_calls": []}
        ], "extra": {"keep": true}});
        let mut seen = Vec::new();
        visit_input(Endpoint::Chat, &mut b, &mut |s, src| {
            seen.push((s.clone(), src));
            s.push('!');
        });
        assert_eq!(
            seen,
            vec![
                ("sys".into(), Source::System),
                ("u1".into(), Source::User),
                ("t".into(), Source::Tool)
            ]
        );
        assert_eq!(b["messages"][1]["content"][0]["text"], "u1!");
        assert_eq!(b["extra"]["keep"], true);
        let mut a = json!({"system": "s", "messages": [{"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": "x", "content": "tool says"}]}]});
        let mut seen = Vec::new();
        visit_input(Endpoint::Messages, &mut a, &mut |s, src| {
            seen.push((s.clone(), src))
        });
        assert_eq!(seen[1], ("tool says".to_string(), Source::Tool));
    }

    #[test]
    fn canary_is_planted_and_blocked_marking() {
        let mut b = json!({"messages": [{"role": "user", "content": "hi"}]});
        let sys = plant_canary(Endpoint::Chat, &mut b, "airm-canary-0123456789abcdef").unwrap();
        assert!(sys.contains("airm-canary-0123456789abcdef"));
        assert_eq!(b["messages"][0]["role"], "system");
        let mut r = json!({"choices": [{"index": 0, "message": {"role": "assistant", "content": "x"}, "finish_reason": "stop"}],
                           "usage": {"prompt_tokens": 3, "completion_tokens": 5}});
        assert_eq!(usage(&r), Some((3, 5)));
        mark_blocked(Endpoint::Chat, &mut r);
        assert_eq!(r["choices"][0]["finish_reason"], "content_filter");
        assert!(r["choices"][0]["message"]["content"].is_null());
    }
}
