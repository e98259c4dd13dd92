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
use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, Visitor};
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
    let fields = Fields {
        action: &event.action,
        actor_id: &event.actor.id,
        kind: event.actor.kind,
        outcome: event.outcome,
        request_id: event.request_id.as_deref(),
        seq: event.seq,
        target: event.target.as_deref(),
        time_ms: event.time.millis(),
    };
    write_event(&fields, |out| write_value(&event.details, out, 0), out)
}

/// The scalar fields of an event, borrowed.
struct Fields<'a> {
    action: &'a str,
    actor_id: &'a str,
    kind: ActorKind,
    outcome: Outcome,
    request_id: Option<&'a str>,
    seq: i64,
    target: Option<&'a str>,
    time_ms: i64,
}

fn write_event(
    f: &Fields<'_>,
    details: impl FnOnce(&mut Vec<u8>) -> Result<(), Error>,
    out: &mut Vec<u8>,
) -> Result<(), Error> {
    if f.seq < 0 {
        return Err(Error::Encode(format!("negative seq {}", f.seq)));
    }
    out.extend_from_slice(b"{\"action\":");
    write_string(f.action, out);
    out.extend_from_slice(b",\"actor\":{\"id\":");
    write_string(f.actor_id, out);
    out.extend_from_slice(b",\"kind\":");
    write_string(f.kind.as_str(), out);
    out.extend_from_slice(b"},\"details\":");
    details(out)?;
    out.extend_from_slice(b",\"outcome\":");
    write_string(f.outcome.as_str(), out);
    out.extend_from_slice(b",\"request_id\":");
    write_opt_string(f.request_id, out);
    out.extend_from_slice(b",\"seq\":");
    write_int(f.seq, out);
    out.extend_from_slice(b",\"target\":");
    write_opt_string(f.target, out);
    out.extend_from_slice(b",\"time_ms\":");
    write_int(f.time_ms, out);
    out.push(b'}');
    Ok(())
}

/// Result of [`check_event_bytes`].
pub(crate) struct EventCheck {
    /// The event's seq.
    pub(crate) seq: i64,
    /// Why the bytes are not canonical, if they are not.
    pub(crate) problem: Option<String>,
}

/// Parses event bytes without building an `AuditEvent` or a `serde_json::Value` and tells
/// whether they are exactly canonical (the export verifier's hot path). `Err` means the
/// bytes are not an event at all.
pub(crate) fn check_event_bytes(bytes: &[u8], scratch: &mut Vec<u8>) -> Result<EventCheck, String> {
    let e: EventRef<'_> = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
    let fields = Fields {
        action: &e.action.0,
        actor_id: &e.actor.id.0,
        kind: e.actor.kind,
        outcome: e.outcome,
        request_id: e.request_id.as_ref().map(|t| t.0.as_ref()),
        seq: e.seq,
        target: e.target.as_ref().map(|t| t.0.as_ref()),
        time_ms: e.time_ms,
    };
    scratch.clear();
    let problem = match write_event(
        &fields,
        |out| {
            out.extend_from_slice(&e.details.0);
            Ok(())
        },
        scratch,
    ) {
        Err(err) => Some(err.to_string()),
        Ok(()) if scratch.as_slice() != bytes => Some("event is not in canonical form".into()),
        Ok(()) => None,
    };
    Ok(EventCheck {
        seq: e.seq,
        problem,
    })
}

/// A string that borrows from the input when it has no escapes.
struct Text<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Text<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<Text<'a>, E> {
                Ok(Text(Cow::Borrowed(s)))
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Text<'a>, E> {
                Ok(Text(Cow::Owned(s.to_string())))
            }
        }
        d.deserialize_str(V(std::marker::PhantomData))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EventRef<'a> {
    #[serde(borrow)]
    action: Text<'a>,
    #[serde(borrow)]
    actor: ActorRef<'a>,
    details: CanonicalJson,
    outcome: Outcome,
    #[serde(borrow)]
    request_id: Option<Text<'a>>,
    seq: i64,
    #[serde(borrow)]
    target: Option<Text<'a>>,
    time_ms: i64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ActorRef<'a> {
    #[serde(borrow)]
    id: Text<'a>,
    kind: ActorKind,
}

/// The canonical bytes of a JSON value, written while it is being parsed (no `Value` tree).
/// Same output as [`encode_value`] of the parsed value; duplicate object keys are refused.
pub(crate) struct CanonicalJson(pub(crate) Vec<u8>);

impl<'de> Deserialize<'de> for CanonicalJson {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut out = Vec::new();
        d.deserialize_any(Transcoder {
            out: &mut out,
            depth: 0,
        })?;
        Ok(CanonicalJson(out))
    }
}

/// Parses JSON text into canonical bytes (see [`CanonicalJson`]).
pub fn canonicalize_json(text: &[u8]) -> Result<Vec<u8>, Error> {
    let c: CanonicalJson =
        serde_json::from_slice(text).map_err(|e| Error::Encode(e.to_string()))?;
    Ok(c.0)
}

struct Transcoder<'o> {
    out: &'o mut Vec<u8>,
    depth: usize,
}

impl<'de> DeserializeSeed<'de> for Transcoder<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Transcoder<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.out.extend_from_slice(b"null");
        Ok(())
    }
    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        self.visit_unit()
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<(), E> {
        self.out
            .extend_from_slice(if v { b"true" as &[u8] } else { b"false" });
        Ok(())
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<(), E> {
        write_int(v, self.out);
        Ok(())
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<(), E> {
        write_u64_sign(false, v, self.out);
        Ok(())
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<(), E> {
        write_f64(v, self.out).map_err(E::custom)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        write_string(v, self.out);
        Ok(())
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        if self.depth >= MAX_DEPTH {
            return Err(de::Error::custom(format!("nested deeper than {MAX_DEPTH}")));
        }
        self.out.push(b'[');
        let mut first = true;
        loop {
            let mark = self.out.len();
            if !first {
                self.out.push(b',');
            }
            let seed = Transcoder {
                out: &mut *self.out,
                depth: self.depth + 1,
            };
            if seq.next_element_seed(seed)?.is_none() {
                self.out.truncate(mark);
                break;
            }
            first = false;
        }
        self.out.push(b']');
        Ok(())
    }
    fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        if self.depth >= MAX_DEPTH {
            return Err(de::Error::custom(format!("nested deeper than {MAX_DEPTH}")));
        }
        let mut entries: Vec<(Text<'de>, Vec<u8>)> = Vec::new();
        while let Some(key) = map.next_key::<Text<'de>>()? {
            let mut value = Vec::new();
            map.next_value_seed(Transcoder {
                out: &mut value,
                depth: self.depth + 1,
            })?;
            entries.push((key, value));
        }
        let sorted = entries
            .windows(2)
            .all(|w| matches!(w, [a, b] if a.0 .0.as_bytes() < b.0 .0.as_bytes()))
            && !entries.iter().any(|(k, _)| k.0.bytes().any(|b| b >= 0xee));
        if !sorted {
            entries.sort_by(|a, b| a.0 .0.encode_utf16().cmp(b.0 .0.encode_utf16()));
            if entries
                .windows(2)
                .any(|w| matches!(w, [a, b] if a.0 .0 == b.0 .0))
            {
                return Err(de::Error::custom("duplicate object key"));
            }
        }
        self.out.push(b'{');
        for (i, (k, v)) in entries.iter().enumerate() {
            if i > 0 {
                self.out.push(b',');
            }
            write_string(&k.0, self.out);
            self.out.push(b':');
            self.out.extend_from_slice(v);
        }
        self.out.push(b'}');
        Ok(())
    }
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
