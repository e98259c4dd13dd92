//! Prediction events: the type, its validation, and the readers that turn untrusted input
//! (JSON arrays, JSON Lines, CSV) into events.
//!
//! An event is `{id?, model?, time?, features{…}, prediction?, score?, label?, metadata{…}}`.
//! Validation is strict about types and bounded in size: wrong types, non-finite scores or
//! predictions, over-long keys and strings, too many features and too many events are
//! errors that name the event and field; a non-finite or null *feature* value is kept as
//! missing (counted, not fatal). Nothing here panics on any input, and nothing here does
//! I/O beyond reading the bytes it is given.

use std::collections::BTreeMap;

use airm_core::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use crate::error::{MonitorError, Result};

/// Caps on one event and one batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Events per request or file.
    pub max_events: usize,
    /// Features per event.
    pub max_features: usize,
    /// Metadata entries per event.
    pub max_metadata: usize,
    /// Bytes of a key (feature or metadata name, id, model).
    pub max_key_len: usize,
    /// Bytes of a string value.
    pub max_string_len: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_events: 10_000,
            max_features: 512,
            max_metadata: 32,
            max_key_len: 128,
            max_string_len: 1024,
        }
    }
}

/// A scalar value: a feature value, a prediction or a label.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Value {
    /// `true` / `false`.
    Bool(bool),
    /// A finite number.
    Number(f64),
    /// Text (a category).
    Text(String),
}

impl Value {
    /// The class this value names, for comparing predictions with labels: booleans are
    /// `1`/`0`, integral numbers print without a fraction (`1.0` is `1`), text as is.
    pub fn class_key(&self) -> String {
        match self {
            Value::Bool(true) => "1".to_string(),
            Value::Bool(false) => "0".to_string(),
            Value::Number(n) if n.fract() == 0.0 && n.abs() < 1e15 => format!("{}", *n as i64),
            Value::Number(n) => format!("{n}"),
            Value::Text(s) => s.clone(),
        }
    }

    /// Whether two values name the same class ([`Value::class_key`] equality), without
    /// allocating in the common cases.
    pub fn same_class(&self, other: &Value) -> bool {
        match (self.as_f64_class(), other.as_f64_class()) {
            (Some(a), Some(b)) => a == b,
            _ => match (self, other) {
                (Value::Text(a), Value::Text(b)) => a == b,
                _ => self.class_key() == other.class_key(),
            },
        }
    }

    /// Booleans and numbers as numbers (the classes `1`, `0`, `2.5` …).
    fn as_f64_class(&self) -> Option<f64> {
        match self {
            Value::Bool(b) => Some(f64::from(u8::from(*b))),
            Value::Number(n) => Some(*n),
            Value::Text(_) => None,
        }
    }

    /// The value as a number, for regression metrics.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Number(n) => Some(*n),
            Value::Bool(b) => Some(f64::from(u8::from(*b))),
            Value::Text(_) => None,
        }
    }
}

/// One validated prediction event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PredictionEvent {
    /// Client-chosen id (labels arriving later are joined by it); `None` lets the store
    /// assign one.
    pub id: Option<String>,
    /// When the prediction was made.
    pub time: Timestamp,
    /// Input features; `None` marks a missing value (null, empty, NaN or ±∞).
    pub features: BTreeMap<String, Option<Value>>,
    /// The model's output (class or number).
    pub prediction: Option<Value>,
    /// Probability of the positive class, in [0, 1].
    pub score: Option<f64>,
    /// The true outcome, if known.
    pub label: Option<Value>,
    /// Free-form string metadata (e.g. `system`, `key`, `segment`).
    pub metadata: BTreeMap<String, String>,
}

impl PredictionEvent {
    /// How many features are missing.
    pub fn missing_features(&self) -> usize {
        self.features.values().filter(|v| v.is_none()).count()
    }
}

/// A label that arrives after its prediction, joined by event id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LabelUpdate {
    /// Id of the prediction event.
    pub id: String,
    /// The true outcome.
    pub label: Value,
}

const FIELDS: [&str; 8] = [
    "id",
    "model",
    "time",
    "features",
    "prediction",
    "score",
    "label",
    "metadata",
];

fn bad(index: usize, field: impl Into<String>, reason: impl Into<String>) -> MonitorError {
    MonitorError::InvalidEvent {
        index,
        field: field.into(),
        reason: reason.into(),
    }
}

fn check_key(index: usize, field: &str, key: &str, limits: &Limits) -> Result<()> {
    if key.is_empty() {
        return Err(bad(index, field, "must not be empty"));
    }
    if key.len() > limits.max_key_len {
        return Err(bad(
            index,
            field,
            format!("longer than {} bytes", limits.max_key_len),
        ));
    }
    if key.chars().any(char::is_control) {
        return Err(bad(index, field, "contains control characters"));
    }
    Ok(())
}

/// A prediction or label: bool, finite number or bounded text.
fn scalar(index: usize, field: &str, v: &Json, limits: &Limits) -> Result<Option<Value>> {
    match v {
        Json::Null => Ok(None),
        Json::Bool(b) => Ok(Some(Value::Bool(*b))),
        Json::Number(n) => match n.as_f64() {
            Some(f) if f.is_finite() => Ok(Some(Value::Number(f))),
            _ => Err(bad(index, field, "must be a finite number")),
        },
        Json::String(s) if s.len() > limits.max_string_len => Err(bad(
            index,
            field,
            format!("longer than {} bytes", limits.max_string_len),
        )),
        Json::String(s) => Ok(Some(Value::Text(s.clone()))),
        _ => Err(bad(index, field, "must be a boolean, number or string")),
    }
}

fn parse_time(index: usize, v: &Json) -> Result<Option<Timestamp>> {
    match v {
        Json::Null => Ok(None),
        Json::String(s) => s
            .parse::<Timestamp>()
            .map(Some)
            .map_err(|e| bad(index, "time", e.to_string())),
        Json::Number(n) => {
            let secs = n.as_f64().unwrap_or(f64::NAN);
            // Seconds since the epoch, between 1970 and 2200.
            if secs.is_finite() && (0.0..7.3e9).contains(&secs) {
                Ok(Some(Timestamp((secs * 1000.0).round() as i64)))
            } else {
                Err(bad(
                    index,
                    "time",
                    "a number must be seconds since 1970 (before 2200)",
                ))
            }
        }
        _ => Err(bad(
            index,
            "time",
            "must be RFC 3339 text or seconds since the epoch",
        )),
    }
}

/// Validates one JSON event. `model` is the model named by the caller (URL path or CLI
/// flag): an event naming another model is refused. Events without `time` get `now`.
pub fn parse_event(
    index: usize,
    v: &Json,
    model: &str,
    now: Timestamp,
    limits: &Limits,
) -> Result<PredictionEvent> {
    let Json::Object(obj) = v else {
        return Err(bad(index, "event", "must be a JSON object"));
    };
    if let Some(k) = obj.keys().find(|k| !FIELDS.contains(&k.as_str())) {
        return Err(bad(
            index,
            k.clone(),
            format!("unknown field; expected one of {}", FIELDS.join(", ")),
        ));
    }
    let id = match obj.get("id") {
        None | Some(Json::Null) => None,
        Some(Json::String(s)) => {
            check_key(index, "id", s, limits)?;
            Some(s.clone())
        }
        Some(Json::Number(n)) if n.is_u64() || n.is_i64() => Some(n.to_string()),
        Some(_) => return Err(bad(index, "id", "must be a string or an integer")),
    };
    match obj.get("model") {
        None | Some(Json::Null) => {}
        Some(Json::String(m)) if m == model => {}
        Some(Json::String(m)) => {
            return Err(bad(
                index,
                "model",
                format!("`{m}` does not match the model `{model}` of this request"),
            ))
        }
        Some(_) => return Err(bad(index, "model", "must be a string")),
    }
    let time = match obj.get("time") {
        Some(t) => parse_time(index, t)?.unwrap_or(now),
        None => now,
    };
    let mut features = BTreeMap::new();
    match obj.get("features") {
        None | Some(Json::Null) => {}
        Some(Json::Object(map)) => {
            if map.len() > limits.max_features {
                return Err(bad(
                    index,
                    "features",
                    format!("more than {} features", limits.max_features),
                ));
            }
            for (k, fv) in map {
                let field = format!("features.{k}");
                check_key(index, &field, k, limits)?;
                let value = match fv {
                    Json::Null => None,
                    Json::Bool(b) => Some(Value::Bool(*b)),
                    // serde_json never yields NaN/∞, but numbers beyond f64 do overflow.
                    Json::Number(n) => n.as_f64().filter(|f| f.is_finite()).map(Value::Number),
                    Json::String(s) if s.len() > limits.max_string_len => {
                        return Err(bad(
                            index,
                            field,
                            format!("longer than {} bytes", limits.max_string_len),
                        ))
                    }
                    Json::String(s) => Some(Value::Text(s.clone())),
                    _ => {
                        return Err(bad(
                            index,
                            field,
                            "must be a boolean, number, string or null",
                        ))
                    }
                };
                features.insert(k.clone(), value);
            }
        }
        Some(_) => return Err(bad(index, "features", "must be an object")),
    }
    let prediction = match obj.get("prediction") {
        Some(p) => scalar(index, "prediction", p, limits)?,
        None => None,
    };
    let label = match obj.get("label") {
        Some(l) => scalar(index, "label", l, limits)?,
        None => None,
    };
    let score = match obj.get("score") {
        None | Some(Json::Null) => None,
        Some(Json::Number(n)) => match n.as_f64() {
            Some(s) if (0.0..=1.0).contains(&s) => Some(s),
            _ => return Err(bad(index, "score", "must be a probability between 0 and 1")),
        },
        Some(_) => return Err(bad(index, "score", "must be a number between 0 and 1")),
    };
    let mut metadata = BTreeMap::new();
    match obj.get("metadata") {
        None | Some(Json::Null) => {}
        Some(Json::Object(map)) => {
            if map.len() > limits.max_metadata {
                return Err(bad(
                    index,
                    "metadata",
                    format!("more than {} entries", limits.max_metadata),
                ));
            }
            for (k, mv) in map {
                let field = format!("metadata.{k}");
                check_key(index, &field, k, limits)?;
                let text = match mv {
                    Json::String(s) => s.clone(),
                    Json::Number(n) => n.to_string(),
                    Json::Bool(b) => b.to_string(),
                    _ => return Err(bad(index, field, "must be a string, number or boolean")),
                };
                if text.len() > limits.max_string_len {
                    return Err(bad(
                        index,
                        field,
                        format!("longer than {} bytes", limits.max_string_len),
                    ));
                }
                metadata.insert(k.clone(), text);
            }
        }
        Some(_) => return Err(bad(index, "metadata", "must be an object")),
    }
    if prediction.is_none() && score.is_none() && label.is_none() && features.is_empty() {
        return Err(bad(
            index,
            "event",
            "has none of features, prediction, score or label",
        ));
    }
    Ok(PredictionEvent {
        id,
        time,
        features,
        prediction,
        score,
        label,
        metadata,
    })
}

/// Splits a request body into JSON values: a JSON array, or JSON Lines (one object per
/// line, blank lines ignored). At most `limits.max_events` values.
pub fn split_batch(body: &[u8], limits: &Limits) -> Result<Vec<Json>> {
    let first = body.iter().find(|b| !b.is_ascii_whitespace());
    if first == Some(&b'[') {
        let values: Vec<Json> =
            serde_json::from_slice(body).map_err(|e| MonitorError::Malformed {
                line: e.line(),
                reason: e.to_string(),
            })?;
        if values.len() > limits.max_events {
            return Err(MonitorError::TooMany {
                max: limits.max_events,
            });
        }
        return Ok(values);
    }
    let mut out = Vec::new();
    for (i, line) in body.split(|b| *b == b'\n').enumerate() {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        if out.len() >= limits.max_events {
            return Err(MonitorError::TooMany {
                max: limits.max_events,
            });
        }
        let v: Json = serde_json::from_slice(line).map_err(|e| MonitorError::Malformed {
            line: i + 1,
            reason: e.to_string(),
        })?;
        out.push(v);
    }
    if out.is_empty() {
        return Err(MonitorError::Malformed {
            line: 1,
            reason: "no events: expected a JSON array or JSON Lines".to_string(),
        });
    }
    Ok(out)
}

/// Parses and validates a whole batch; the first invalid event fails the batch (so a
/// retried request never half-applies).
pub fn parse_batch(
    body: &[u8],
    model: &str,
    now: Timestamp,
    limits: &Limits,
) -> Result<Vec<PredictionEvent>> {
    split_batch(body, limits)?
        .iter()
        .enumerate()
        .map(|(i, v)| parse_event(i, v, model, now, limits))
        .collect()
}

/// Parses `[{id, label}, …]` (or JSON Lines) of late labels.
pub fn parse_labels(body: &[u8], limits: &Limits) -> Result<Vec<LabelUpdate>> {
    let values = split_batch(body, limits)?;
    let mut out = Vec::with_capacity(values.len());
    for (i, v) in values.iter().enumerate() {
        let Json::Object(obj) = v else {
            return Err(bad(i, "label", "must be an object {id, label}"));
        };
        if let Some(k) = obj.keys().find(|k| *k != "id" && *k != "label") {
            return Err(bad(i, k.clone(), "unknown field; expected id and label"));
        }
        let id = match obj.get("id") {
            Some(Json::String(s)) => {
                check_key(i, "id", s, limits)?;
                s.clone()
            }
            Some(Json::Number(n)) if n.is_u64() || n.is_i64() => n.to_string(),
            _ => return Err(bad(i, "id", "required: a string or an integer")),
        };
        let label = obj
            .get("label")
            .map(|l| scalar(i, "label", l, limits))
            .transpose()?
            .flatten()
            .ok_or_else(|| bad(i, "label", "required: a boolean, number or string"))?;
        out.push(LabelUpdate { id, label });
    }
    Ok(out)
}

/// A rejected row of a file, with its 1-based line.
#[derive(Debug)]
pub struct Rejected {
    /// Line (JSON Lines) or record number (CSV, header = 1).
    pub line: usize,
    /// Why.
    pub error: MonitorError,
}

/// Events read from a file: the valid ones, and the rows that were not.
#[derive(Debug, Default)]
pub struct FileEvents {
    /// Valid events, in file order.
    pub events: Vec<PredictionEvent>,
    /// Invalid rows.
    pub rejected: Vec<Rejected>,
}

/// Reads JSON Lines: each line an event object. Invalid lines are collected, not fatal.
pub fn read_jsonl(text: &[u8], model: &str, now: Timestamp, limits: &Limits) -> Result<FileEvents> {
    let mut out = FileEvents::default();
    for (i, line) in text.split(|b| *b == b'\n').enumerate() {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        if out.events.len() + out.rejected.len() >= limits.max_events {
            return Err(MonitorError::TooMany {
                max: limits.max_events,
            });
        }
        let parsed = serde_json::from_slice::<Json>(line)
            .map_err(|e| MonitorError::Malformed {
                line: i + 1,
                reason: e.to_string(),
            })
            .and_then(|v| parse_event(i + 1, &v, model, now, limits));
        match parsed {
            Ok(e) => out.events.push(e),
            Err(error) => out.rejected.push(Rejected { line: i + 1, error }),
        }
    }
    Ok(out)
}

/// A CSV cell as a feature value: empty, `NA`, `NaN`, `null` and ±∞ are missing.
fn csv_value(cell: &str) -> Option<Value> {
    let t = cell.trim();
    if t.is_empty() || ["na", "nan", "null", "none"].contains(&t.to_ascii_lowercase().as_str()) {
        return None;
    }
    match t.parse::<f64>() {
        Ok(f) if f.is_finite() => Some(Value::Number(f)),
        Ok(_) => None,
        Err(_) => match t {
            "true" | "TRUE" | "True" => Some(Value::Bool(true)),
            "false" | "FALSE" | "False" => Some(Value::Bool(false)),
            _ => Some(Value::Text(t.to_string())),
        },
    }
}

/// Reads CSV with a header row. Columns `id`, `model`, `time`, `prediction`, `score` and
/// `label` have their event meaning, `meta.NAME` columns are metadata, every other column
/// is a feature. Each row becomes a JSON event validated like an API event.
pub fn read_csv(text: &[u8], model: &str, now: Timestamp, limits: &Limits) -> Result<FileEvents> {
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(false)
        .has_headers(true)
        .from_reader(text);
    let headers = rdr
        .headers()
        .map_err(|e| MonitorError::Malformed {
            line: 1,
            reason: e.to_string(),
        })?
        .clone();
    if headers.len() > limits.max_features + FIELDS.len() + limits.max_metadata {
        return Err(MonitorError::Malformed {
            line: 1,
            reason: format!("too many columns ({})", headers.len()),
        });
    }
    let mut out = FileEvents::default();
    for (i, rec) in rdr.records().enumerate() {
        let line = i + 2;
        if out.events.len() + out.rejected.len() >= limits.max_events {
            return Err(MonitorError::TooMany {
                max: limits.max_events,
            });
        }
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                out.rejected.push(Rejected {
                    line,
                    error: MonitorError::Malformed {
                        line,
                        reason: e.to_string(),
                    },
                });
                continue;
            }
        };
        push_row(
            headers.iter().zip(rec.iter()),
            line,
            model,
            now,
            limits,
            &mut out,
        );
    }
    Ok(out)
}

/// Turns one row of a table file (column name, cell text) into an event or a rejection.
/// Columns `id`, `model`, `time`, `prediction`, `score` and `label` have their event
/// meaning, `meta.NAME` columns are metadata, every other column is a feature.
fn push_row<H: AsRef<str>, C: AsRef<str>>(
    cells: impl Iterator<Item = (H, C)>,
    line: usize,
    model: &str,
    now: Timestamp,
    limits: &Limits,
    out: &mut FileEvents,
) {
    let mut obj = serde_json::Map::new();
    let mut features = serde_json::Map::new();
    let mut metadata = serde_json::Map::new();
    for (h, cell) in cells {
        let (h, cell) = (h.as_ref(), cell.as_ref());
        let to_json = |v: Option<Value>| -> Json {
            match v {
                None => Json::Null,
                Some(Value::Bool(b)) => Json::Bool(b),
                Some(Value::Number(n)) => {
                    serde_json::Number::from_f64(n).map_or(Json::Null, Json::Number)
                }
                Some(Value::Text(s)) => Json::String(s),
            }
        };
        match h {
            "id" | "model" | "time" if !cell.trim().is_empty() => {
                obj.insert(h.to_string(), Json::String(cell.trim().to_string()));
            }
            "id" | "model" | "time" => {}
            "prediction" | "label" | "score" => {
                let v = csv_value(cell);
                if v.is_none() && !cell.trim().is_empty() {
                    // `NaN` or `inf` where a number is required: let validation say so.
                    obj.insert(h.to_string(), Json::String(cell.trim().to_string()));
                    if h != "score" {
                        out.rejected.push(Rejected {
                            line,
                            error: bad(line, h, "must be a finite number or a class"),
                        });
                    }
                } else {
                    obj.insert(h.to_string(), to_json(v));
                }
            }
            _ => {
                if let Some(name) = h.strip_prefix("meta.") {
                    if !cell.is_empty() {
                        metadata.insert(name.to_string(), Json::String(cell.to_string()));
                    }
                } else {
                    features.insert(h.to_string(), to_json(csv_value(cell)));
                }
            }
        }
    }
    if out.rejected.last().is_some_and(|r| r.line == line) {
        return;
    }
    obj.insert("features".into(), Json::Object(features));
    obj.insert("metadata".into(), Json::Object(metadata));
    match parse_event(line, &Json::Object(obj), model, now, limits) {
        Ok(e) => out.events.push(e),
        Err(error) => out.rejected.push(Rejected { line, error }),
    }
}

/// Reads a Parquet file of events (feature `parquet`): the columns mean what they mean in
/// CSV ([`read_csv`]); each cell is taken as the text a CSV file would hold for it, so the
/// two formats give the same events. Rows are numbered from 1 in rejections.
#[cfg(feature = "parquet")]
pub fn read_parquet(
    bytes: Vec<u8>,
    model: &str,
    now: Timestamp,
    limits: &Limits,
) -> Result<FileEvents> {
    let mut out = FileEvents::default();
    let mut row = 0usize;
    crate::parquet::read_rows(
        std::path::Path::new("parquet"),
        bytes::Bytes::from(bytes),
        limits.max_events,
        limits.max_features + FIELDS.len() + limits.max_metadata,
        |names, cells| {
            row += 1;
            push_row(
                names.iter().zip(cells.iter().map(|c| c.text())),
                row,
                model,
                now,
                limits,
                &mut out,
            );
            Ok(())
        },
    )?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    const NOW: Timestamp = Timestamp(1_700_000_000_000);

    fn one(v: Json) -> Result<PredictionEvent> {
        parse_event(0, &v, "m", NOW, &Limits::default())
    }

    #[test]
    fn valid_event_round_trips() {
        let e = one(json!({"id": "a1", "time": "2024-01-01T00:00:00Z",
            "features": {"age": 31, "city": "Oslo", "x": null},
            "prediction": 1, "score": 0.8, "metadata": {"key": "k1", "n": 3}}))
        .unwrap();
        assert_eq!(e.id.as_deref(), Some("a1"));
        assert_eq!(e.time, "2024-01-01T00:00:00Z".parse().unwrap());
        assert_eq!(e.features["age"], Some(Value::Number(31.0)));
        assert_eq!(e.missing_features(), 1);
        assert_eq!(e.metadata["n"], "3");
        assert_eq!(e.prediction.unwrap().class_key(), "1");
        // Seconds since the epoch are accepted too; no time means now.
        assert_eq!(
            one(json!({"time": 1.5, "score": 0.1})).unwrap().time,
            Timestamp(1500)
        );
        assert_eq!(one(json!({"label": true})).unwrap().time, NOW);
    }

    #[test]
    fn bad_events_name_the_field() {
        let cases = [
            (json!([1]), "event"),
            (json!({"score": 1.5}), "score"),
            (json!({"score": "high"}), "score"),
            (json!({"prediction": [1]}), "prediction"),
            (json!({"features": [1]}), "features"),
            (json!({"features": {"a": {"b": 1}}}), "features.a"),
            (json!({"model": "other", "label": 1}), "model"),
            (json!({"time": "yesterday", "label": 1}), "time"),
            (json!({"time": -5, "label": 1}), "time"),
            (json!({"colour": 1}), "colour"),
            (json!({}), "event"),
            (json!({"id": "", "label": 1}), "id"),
            (json!({"id": "a".repeat(200), "label": 1}), "id"),
            (json!({"label": "x".repeat(2000)}), "label"),
        ];
        for (v, field) in cases {
            match one(v.clone()) {
                Err(MonitorError::InvalidEvent { field: f, .. }) => assert_eq!(f, field, "{v}"),
                other => panic!("{v}: {other:?}"),
            }
        }
        let many: serde_json::Map<String, Json> =
            (0..600).map(|i| (format!("f{i}"), json!(i))).collect();
        assert!(one(json!({ "features": many })).is_err());
    }

    #[test]
    fn batches_are_arrays_or_json_lines_and_bounded() {
        let l = Limits::default();
        let arr = br#"[{"label": 1}, {"label": 0}]"#;
        assert_eq!(parse_batch(arr, "m", NOW, &l).unwrap().len(), 2);
        let nd = b"{\"label\": 1}\n\n{\"label\": 0}\n";
        assert_eq!(parse_batch(nd, "m", NOW, &l).unwrap().len(), 2);
        assert!(matches!(
            parse_batch(b"{\"label\": 1}\n{oops", "m", NOW, &l),
            Err(MonitorError::Malformed { line: 2, .. })
        ));
        assert!(matches!(
            parse_batch(b"   ", "m", NOW, &l),
            Err(MonitorError::Malformed { .. })
        ));
        let small = Limits { max_events: 1, ..l };
        assert!(matches!(
            parse_batch(arr, "m", NOW, &small),
            Err(MonitorError::TooMany { max: 1 })
        ));
        assert!(matches!(
            parse_batch(br#"[{"label": 1}, {"score": 2}]"#, "m", NOW, &l),
            Err(MonitorError::InvalidEvent { index: 1, .. })
        ));
        let labels =
            parse_labels(br#"[{"id": "a", "label": 1}, {"id": 7, "label": "x"}]"#, &l).unwrap();
        assert_eq!(labels[1].id, "7");
        assert!(parse_labels(br#"[{"id": "a"}]"#, &l).is_err());
    }

    #[test]
    fn csv_and_jsonl_files() {
        let l = Limits::default();
        let csv = b"id,time,age,city,prediction,score,label,meta.key\n\
            1,2024-01-01T00:00:00Z,30,Oslo,1,0.9,1,k1\n\
            2,2024-01-01T00:01:00Z,NaN,,0,0.2,,k2\n\
            3,2024-01-01T00:02:00Z,40,Rome,1,1.7,1,k1\n\
            4,2024-01-01T00:03:00Z,41,Rome,inf,0.5,1,k1\n";
        let got = read_csv(csv, "m", NOW, &l).unwrap();
        assert_eq!(got.events.len(), 2);
        assert_eq!(got.events[1].features["age"], None);
        assert_eq!(got.events[1].features["city"], None);
        assert_eq!(got.events[1].label, None);
        assert_eq!(got.events[0].metadata["key"], "k1");
        let lines: Vec<usize> = got.rejected.iter().map(|r| r.line).collect();
        assert_eq!(lines, vec![4, 5]);
        let jl = b"{\"label\": 1}\nnot json\n{\"score\": 3}\n";
        let got = read_jsonl(jl, "m", NOW, &l).unwrap();
        assert_eq!(got.events.len(), 1);
        assert_eq!(got.rejected.len(), 2);
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..400)) {
            let l = Limits::default();
            let _ = parse_batch(&bytes, "m", NOW, &l);
            let _ = parse_labels(&bytes, &l);
            let _ = read_csv(&bytes, "m", NOW, &l);
            let _ = read_jsonl(&bytes, "m", NOW, &l);
        }
    }
}
