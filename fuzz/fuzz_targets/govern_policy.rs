//! Fuzz user governance policies: any text as a `.rego` file, and any bytes as the input
//! document, must give violations or per-file errors without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (policy, input) = match data.iter().position(|b| *b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &b"{}"[..]),
    };
    let text = String::from_utf8_lossy(policy);
    let Ok(set) = airm_govern::PolicySet::new(&[]) else {
        return;
    };
    let mut set = set.with_user_source("fuzz.rego", &text);
    let doc = serde_json::from_slice(input).unwrap_or(serde_json::Value::Null);
    let _ = set.evaluate(doc);
});
