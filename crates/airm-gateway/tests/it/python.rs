//! The official `openai` Python client against the gateway: chat (streamed and not),
//! embeddings, models, and errors it must parse (a blocked request, a broken stream, a bad
//! key). Runs when `AIRM_TEST_PYTHON` names a Python with `openai` installed (`.ci/run`
//! makes one); in CI a missing interpreter is a failure.

use serde_json::Value;

use crate::start;

#[tokio::test]
async fn the_official_openai_python_client_works_through_the_gateway() {
    let python = match std::env::var(airm_core::env::TEST_PYTHON) {
        Ok(p) if !p.is_empty() => p,
        _ => {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI is set but {} is not: the OpenAI client test must not be skipped",
                airm_core::env::TEST_PYTHON
            );
            return;
        }
    };
    let h = start(|_, _| {}).await;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/openai_client.py");
    let out = tokio::process::Command::new(&python)
        .arg(script)
        .env("GW_URL", &h.url)
        .env("GW_KEY", &h.key)
        .output()
        .await
        .expect("run python");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["chat"], "Hello from the mock.");
    assert_eq!(v["chat_tokens"], 21);
    assert_eq!(v["stream"], "Hello from the mock.");
    assert_eq!(v["stream_finish"], "stop");
    assert_eq!(v["embeddings"], 2);
    assert_eq!(v["models"], serde_json::json!(["mock-1", "other-1"]));
    assert_eq!(v["blocked"]["status"], 400);
    assert_eq!(v["blocked"]["code"], "content_blocked");
    assert_eq!(v["blocked"]["type"], "invalid_request_error");
    assert!(v["blocked"]["message"]
        .as_str()
        .unwrap()
        .contains("blocked by policy"));
    assert_eq!(v["broken_stream"]["class"], "APIError", "{v}");
    assert!(v["broken_stream"]["message"]
        .as_str()
        .unwrap()
        .contains("ended early"));
    assert_eq!(v["unauthorized"]["status"], 401);
    assert_eq!(v["unauthorized"]["code"], "invalid_api_key");
}
