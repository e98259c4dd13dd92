//! Canonical bytes of an audit event: the exact input of the entry hash.
//!
//! The encoding is JSON in the style of RFC 8785 (JSON Canonicalization Scheme, "JCS"):
//! object keys sorted by their UTF-16 code units, no whitespace, strings escaped with the
//! minimal JCS escapes (`\"`, `\\`, `\b`, `\f`, `\n`, `\r`, `\t`, other control characters as
//! `\u00xx` with lowercase hex, everything else as literal UTF-8), and non-integer numbers in
//! the ECMAScript shortest form JCS prescribes (`1.5`, `1e+21`, `1e-7`; `-0` is `0`).
//! One documented difference from JCS: integers that JSON parsing keeps as integers
//! (`u64`/`i64`) are written exactly in decimal, even beyond 2^53 where JCS would round
//! them through a double. Re-parsing canonical output and encoding it again gives the same
//! bytes (the encoding is idempotent), which the export verifier relies on.
//!
//! An event is encoded as a fixed object that does not follow `AuditEvent`'s serde shape, so
//! that later changes to `airm-core` cannot change the hash of an old entry:
//!
//! ```text
//! {"action":S,"actor":{"id":S,"kind":S},"details":J,"outcome":S,"request_id":S|null,
//!  "seq":N,"target":S|null,"time_ms":N}
//! ```
//!
//! `time_ms` is the integer number of milliseconds since the Unix epoch; `seq` must not be
//! negative; `details` nesting is capped at [`MAX_DEPTH`]. This module does no hashing and
//! no I/O; `docs/ledger-format.md` repeats this definition for independent verifiers.

use airm_core::{Actor, ActorKind, AuditEvent, Outcome, Timestamp};
use serde::Deserialize;
use serde_json::Value;

use crate::Error;

/// Deepest nesting of arrays and objects accepted in `details` (serde_json's own parse limit
/// is 128, so anything that was parsed from JSON fits).
pub const MAX_DEPTH: usize = 128;

/// The canonical bytes of `event` (see the module docs).
pub fn encode_event(event: &AuditEvent) -> Result<Vec<u8>, Error> {
    let mut out = Vec::with_capacity(256);
    encode_event_into(event, &mut out)?;
    Ok(out)
}

/// Appends the canonical bytes of `event` to `out` (lets hot loops reuse one buffer).
/// On error `out` may hold a partial encoding.
pub fn encode_event_into(event: &AuditEvent, out: &mut Vec<u8>) -> Result<(), Error> {
    if event.seq < 0 {
        return Err(Error::Encode(format!("negative seq {}", event.seq)));
    }
    out.extend_from_slice(b"{\"action\":");
    write_string(&event.action, out);
    out.extend_from_slice(b",\"actor\":{\"id\":");
    write_string(&event.actor.id, out);
    out.extend_from_slice(b",\"kind\":");
    write_string(event.actor.kind.as_str(), out);
    out.extend_from_slice(b"},\"details\":");
    write_value(&event.details, out, 0)?;
    out.extend_from_slice(b",\"outcome\":");
    write_string(event.outcome.as_str(), out);
    out.extend_from_slice(b",\"request_id\":");
    write_opt_string(event.request_id.as_deref(), out);
    out.extend_from_slice(b",\"seq\":");
    write_int(event.seq, out);
    out.extend_from_slice(b",\"target\":");
    write_opt_string(event.target.as_deref(), out);
    out.extend_from_slice(b",\"time_ms\":");
    write_int(event.time.millis(), out);
    out.push(b'}');
    Ok(())
}

/// The canonical event object as parsed back from JSON. Strict: unknown or duplicate keys
/// are rejected; callers compare the re-encoding with the input to reject any other
/// non-canonical spelling.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CanonicalEvent {
    action: String,
    actor: CanonicalActor,
    details: Value,
    outcome: Outcome,
    request_id: Option<String>,
    pub(crate) seq: i64,
    target: Option<String>,
    time_ms: i64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CanonicalActor {
    id: String,
    kind: ActorKind,
}

impl From<CanonicalEvent> for AuditEvent {
    fn from(c: CanonicalEvent) -> Self {
        AuditEvent {
            seq: c.seq,
            time: Timestamp(c.time_ms),
            actor: Actor {
                kind: c.actor.kind,
                id: c.actor.id,
            },
            action: c.action,
            target: c.target,
            outcome: c.outcome,
            details: c.details,
            request_id: c.request_id,
        }
    }
}

/// Parses canonical event bytes back into an event, and checks that they are canonical
/// (encoding the result gives back exactly `bytes`).
pub fn decode_event(bytes: &[u8]) -> Result<AuditEvent, Error> {
    let c: CanonicalEvent =
        serde_json::from_slice(bytes).map_err(|e| Error::Encode(e.to_string()))?;
    let event = AuditEvent::from(c);
    if encode_event(&event)? != bytes {
        return Err(Error::Encode("event is not in canonical form".into()));
    }
    Ok(event)
}

/// The canonical (JCS-style) bytes of any JSON value.
pub fn encode_value(value: &Value) -> Result<Vec<u8>, Error> {
    let mut out = Vec::new();
    write_value(value, &mut out, 0)?;
    Ok(out)
}

/// The canonical bytes of any serialisable value (through `serde_json::Value`).
pub fn encode_json<T: serde::Serialize>(value: &T) -> Result<Vec<u8>, Error> {
    let v = serde_json::to_value(value).map_err(|e| Error::Encode(e.to_string()))?;
    encode_value(&v)
}

fn write_opt_string(s: Option<&str>, out: &mut Vec<u8>) {
    match s {
        Some(s) => write_string(s, out),
        None => out.extend_from_slice(b"null"),
    }
}

fn write_int(n: i64, out: &mut Vec<u8>) {
    write_u64_sign(n < 0, n.unsigned_abs(), out);
}

/// Decimal digits without an intermediate `String` (this runs for every entry).
fn write_u64_sign(negative: bool, mut n: u64, out: &mut Vec<u8>) {
    if negative {
        out.push(b'-');
    }
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        if let Some(d) = digits.get_mut(i) {
            *d = b'0' + (n % 10) as u8;
        }
        n /= 10;
        if n == 0 || i == 0 {
            break;
        }
    }
    out.extend_from_slice(digits.get(i..).unwrap_or_default());
}

fn write_value(v: &Value, out: &mut Vec<u8>, depth: usize) -> Result<(), Error> {
    match v {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(n) => {
            if let Some(u) = n.as_u64() {
                write_u64_sign(false, u, out);
            } else if let Some(i) = n.as_i64() {
                write_int(i, out);
            } else if let Some(f) = n.as_f64() {
                write_f64(f, out)?;
            } else {
                return Err(Error::Encode(format!("unsupported number {n}")));
            }
        }
        Value::String(s) => write_string(s, out),
        Value::Array(items) => {
            if depth >= MAX_DEPTH {
                return Err(Error::Encode(format!(
                    "details nested deeper than {MAX_DEPTH}"
                )));
            }
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_value(item, out, depth + 1)?;
            }
            out.push(b']');
        }
        Value::Object(map) => {
            if depth >= MAX_DEPTH {
                return Err(Error::Encode(format!(
                    "details nested deeper than {MAX_DEPTH}"
                )));
            }
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            // UTF-8 byte order equals UTF-16 order unless a key holds a character at or
            // above U+E000 (lead byte 0xEE or more); skip the sort when the map already
            // iterates in that order (a BTreeMap does, an insertion-ordered map may not).
            let sorted = entries
                .windows(2)
                .all(|w| matches!(w, [a, b] if a.0.as_bytes() < b.0.as_bytes()))
                && !entries.iter().any(|(k, _)| k.bytes().any(|b| b >= 0xee));
            if !sorted {
                entries.sort_by(|a, b| a.0.encode_utf16().cmp(b.0.encode_utf16()));
            }
            out.push(b'{');
            for (i, (k, val)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_string(k, out);
                out.push(b':');
                write_value(val, out, depth + 1)?;
            }
            out.push(b'}');
        }
    }
    Ok(())
}

/// Writes `s` as a JSON string with the JCS escapes.
pub(crate) fn write_string(s: &str, out: &mut Vec<u8>) {
    out.push(b'"');
    let bytes = s.as_bytes();
    if !bytes.iter().any(|&b| b < 0x20 || b == b'"' || b == b'\\') {
        out.extend_from_slice(bytes);
        out.push(b'"');
        return;
    }
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let esc: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            0x08 => b"\\b",
            0x09 => b"\\t",
            0x0a => b"\\n",
            0x0c => b"\\f",
            0x0d => b"\\r",
            0x00..=0x1f => {
                out.extend_from_slice(&bytes[start..i]);
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.extend_from_slice(b"\\u00");
                out.push(HEX[usize::from(b >> 4)]);
                out.push(HEX[usize::from(b & 0xf)]);
                start = i + 1;
                continue;
            }
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..i]);
        out.extend_from_slice(esc);
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

/// ECMAScript `Number.prototype.toString` for finite doubles, as JCS requires.
fn write_f64(f: f64, out: &mut Vec<u8>) -> Result<(), Error> {
    if !f.is_finite() {
        return Err(Error::Encode("non-finite number".into()));
    }
    if f == 0.0 {
        out.push(b'0');
        return Ok(());
    }
    if f < 0.0 {
        out.push(b'-');
    }
    // Rust's `{:e}` gives the shortest digits that round-trip, e.g. "1.2345e-7".
    let sci = format!("{:e}", f.abs());
    let (mant, exp) = sci
        .split_once('e')
        .ok_or_else(|| Error::Encode(format!("unexpected float form {sci}")))?;
    let exp: i32 = exp
        .parse()
        .map_err(|_| Error::Encode(format!("unexpected float form {sci}")))?;
    let digits: Vec<u8> = mant.bytes().filter(u8::is_ascii_digit).collect();
    let k = digits.len() as i32;
    // value = 0.d1d2..dk * 10^n
    let n = exp + 1;
    if k <= n && n <= 21 {
        out.extend_from_slice(&digits);
        out.extend(std::iter::repeat_n(b'0', (n - k) as usize));
    } else if 0 < n && n <= 21 {
        let (int, frac) = digits
            .split_at_checked(n as usize)
            .ok_or_else(|| Error::Encode(format!("unexpected float form {sci}")))?;
        out.extend_from_slice(int);
        out.push(b'.');
        out.extend_from_slice(frac);
    } else if -6 < n && n <= 0 {
        out.extend_from_slice(b"0.");
        out.extend(std::iter::repeat_n(b'0', (-n) as usize));
        out.extend_from_slice(&digits);
    } else {
        let (first, rest) = digits
            .split_first()
            .ok_or_else(|| Error::Encode(format!("unexpected float form {sci}")))?;
        out.push(*first);
        if !rest.is_empty() {
            out.push(b'.');
            out.extend_from_slice(rest);
        }
        out.push(b'e');
        out.push(if n - 1 < 0 { b'-' } else { b'+' });
        out.extend_from_slice((n - 1).unsigned_abs().to_string().as_bytes());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event() -> AuditEvent {
        AuditEvent {
            seq: 7,
            time: Timestamp(1_733_328_322_123),
            actor: Actor::system("scheduler"),
            action: "system.create".into(),
            target: Some("sys-1".into()),
            outcome: Outcome::Success,
            details: json!({"b": 1, "a": [true, null, "x\ny"], "é": 1.5}),
            request_id: None,
        }
    }

    fn f(v: f64) -> String {
        let mut out = Vec::new();
        write_f64(v, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn event_known_bytes() {
        let bytes = encode_event(&event()).unwrap();
        assert_eq!(
            std::str::from_utf8(&bytes).unwrap(),
            r#"{"action":"system.create","actor":{"id":"scheduler","kind":"system"},"details":{"a":[true,null,"x\ny"],"b":1,"é":1.5},"outcome":"success","request_id":null,"seq":7,"target":"sys-1","time_ms":1733328322123}"#
        );
        assert_eq!(decode_event(&bytes).unwrap(), event());
    }

    #[test]
    fn jcs_numbers() {
        // Examples from RFC 8785 appendix B and ECMAScript.
        assert_eq!(f(0.0), "0");
        assert_eq!(f(-0.0), "0");
        assert_eq!(f(1.0), "1");
        assert_eq!(f(-1.5), "-1.5");
        assert_eq!(f(1e21), "1e+21");
        assert_eq!(f(1e20), "100000000000000000000");
        assert_eq!(f(1e-7), "1e-7");
        assert_eq!(f(1e-6), "0.000001");
        assert_eq!(f(123.456), "123.456");
        assert_eq!(f(5e-324), "5e-324");
        assert_eq!(f(1.7976931348623157e308), "1.7976931348623157e+308");
        assert_eq!(f(9007199254740992.0), "9007199254740992");
        assert_eq!(f(295147905179352830000.0), "295147905179352830000");
        assert_eq!(f(4.50), "4.5");
        assert_eq!(f(2e-3), "0.002");
        assert_eq!(f(0.000001234), "0.000001234");
        assert_eq!(f(1.234e-7), "1.234e-7");
        assert_eq!(f(333333333.3333333), "333333333.3333333");
    }

    #[test]
    fn jcs_strings_and_key_order() {
        let v = json!({"\u{20ac}": 1, "\r": 2, "\u{1d11e}": 3, "\u{fb33}": 4, "1": 5, "\u{80}": 6, "\u{f6}": 7});
        // RFC 8785 §3.2.3 ordering example (UTF-16 code units: surrogates sort before U+FB33).
        let out = String::from_utf8(encode_value(&v).unwrap()).unwrap();
        assert_eq!(
            out,
            "{\"\\r\":2,\"1\":5,\"\u{80}\":6,\"\u{f6}\":7,\"\u{20ac}\":1,\"\u{1d11e}\":3,\"\u{fb33}\":4}"
        );
        let s = String::from_utf8(encode_value(&json!("\u{0}\u{1f}\u{7f}\"\\\u{2028}/")).unwrap())
            .unwrap();
        assert_eq!(s, "\"\\u0000\\u001f\u{7f}\\\"\\\\\u{2028}/\"");
    }

    #[test]
    fn big_integers_exact_and_idempotent() {
        for text in [
            "18446744073709551615",
            "-9223372036854775808",
            "1e400",
            "1.0",
            "1e20",
            "-0.0",
            "0.1",
            "1152921504606846976.0",
        ] {
            let Ok(v) = serde_json::from_str::<Value>(text) else {
                continue;
            };
            let once = encode_value(&v).unwrap();
            let again: Value = serde_json::from_slice(&once).unwrap();
            assert_eq!(encode_value(&again).unwrap(), once, "{text}");
        }
        assert_eq!(
            encode_value(&json!(u64::MAX)).unwrap(),
            b"18446744073709551615"
        );
    }

    #[test]
    fn rejects_negative_seq_and_deep_details() {
        let mut e = event();
        e.seq = -1;
        assert!(encode_event(&e).is_err());
        let mut deep = json!(1);
        for _ in 0..(MAX_DEPTH + 1) {
            deep = json!([deep]);
        }
        let mut e = event();
        e.details = deep;
        assert!(encode_event(&e).is_err());
    }

    #[test]
    fn decode_rejects_non_canonical() {
        let bytes = encode_event(&event()).unwrap();
        let mut spaced = bytes.clone();
        spaced.insert(1, b' ');
        assert!(decode_event(&spaced).is_err());
        let text = String::from_utf8(bytes).unwrap();
        assert!(decode_event(text.replace("\"b\":1", "\"b\":1.0").as_bytes()).is_err());
        assert!(decode_event(text.replace("\"request_id\":null,", "").as_bytes()).is_err());
        assert!(decode_event(text.replace("}", ",\"x\":1}").as_bytes()).is_err());
    }
}
