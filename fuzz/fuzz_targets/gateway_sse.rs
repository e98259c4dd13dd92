//! Fuzz the gateway's server-sent-events parser: any upstream bytes, split anywhere, must
//! parse into events or a clean error, without panicking or growing past the event cap.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let split = data.first().map_or(1, |b| usize::from(*b).max(1));
    let mut p = airm_gateway::sse::SseParser::new();
    let mut out = Vec::new();
    for chunk in data.chunks(split) {
        if p.push(chunk, &mut out).is_err() {
            break;
        }
        for ev in out.drain(..) {
            assert!(ev.data.len() <= airm_gateway::sse::MAX_EVENT_BYTES);
            let _ = serde_json::from_str::<serde_json::Value>(&ev.data);
        }
    }
});
