//! Drift of a deployed model's input features: a reference sample of feature objects
//! (stored with the model's baseline by `airm monitor baseline`) and the drift report of
//! recent events' features against it, computed by [`crate::drift::compare`] exactly as
//! `airm monitor drift` does for two files.
//!
//! Features are the JSON objects of prediction events: numbers are numeric cells, strings
//! and booleans categorical cells, `null` or an absent key a missing value.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::drift::{self, DriftOptions, DriftReport};
use crate::error::{MonitorError, Result};
use crate::table::{Cell, Column, Table};

/// Rows kept in a reference sample (evenly spaced over the baseline period beyond it).
pub const MAX_REFERENCE_ROWS: usize = 10_000;
/// Feature columns considered (the first ones by name beyond it).
pub const MAX_COLUMNS: usize = 1_000;
/// Distinct values kept per categorical feature (more: the column is skipped).
const MAX_CATEGORIES: usize = 10_000;

/// The reference feature sample of a model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReferenceSample {
    /// Events the sample was drawn from.
    pub events: u64,
    /// The sampled feature objects, in time order.
    pub rows: Vec<serde_json::Value>,
}

impl ReferenceSample {
    /// At most `max_rows` evenly spaced rows of `features` (feature objects in time order).
    pub fn from_features(features: &[serde_json::Value], max_rows: usize) -> Self {
        let n = features.len();
        let rows = if n <= max_rows {
            features.to_vec()
        } else {
            (0..max_rows)
                .filter_map(|i| features.get(i * n / max_rows).cloned())
                .collect()
        };
        ReferenceSample {
            events: n as u64,
            rows,
        }
    }
}

/// The columns of feature objects (non-object rows count as all features missing).
pub fn table_of(features: &[serde_json::Value]) -> Table {
    let mut names: BTreeMap<&str, ()> = BTreeMap::new();
    for row in features {
        if let Some(o) = row.as_object() {
            for k in o.keys() {
                if names.len() >= MAX_COLUMNS {
                    break;
                }
                names.insert(k.as_str(), ());
            }
        }
    }
    let mut columns: Vec<Column> = names.keys().map(|n| Column::new(*n, None)).collect();
    for row in features {
        let o = row.as_object();
        for col in &mut columns {
            let v = o.and_then(|o| o.get(&col.name));
            let cell = match v {
                Some(serde_json::Value::Number(x)) => x
                    .as_f64()
                    .filter(|x| x.is_finite())
                    .map_or(Cell::Missing, Cell::Number),
                Some(serde_json::Value::String(s)) => Cell::Text(s),
                Some(serde_json::Value::Bool(true)) => Cell::Text("true"),
                Some(serde_json::Value::Bool(false)) => Cell::Text("false"),
                _ => Cell::Missing,
            };
            // Columns are never forced numeric here, so a push cannot fail.
            let _ = col.push(cell, MAX_CATEGORIES);
        }
    }
    Table {
        columns,
        rows: features.len() as u64,
    }
}

/// The drift report of `current` feature objects against the reference sample.
pub fn compare(
    reference: &ReferenceSample,
    current: &[serde_json::Value],
    opts: &DriftOptions,
) -> Result<DriftReport> {
    if reference.rows.is_empty() {
        return Err(MonitorError::Invalid(
            "the reference sample is empty".into(),
        ));
    }
    drift::compare(table_of(&reference.rows), table_of(current), opts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rows(f: impl Fn(usize) -> serde_json::Value, n: usize) -> Vec<serde_json::Value> {
        (0..n).map(f).collect()
    }

    #[test]
    fn shifted_column_drifts_and_stable_one_does_not() {
        let reference = ReferenceSample::from_features(
            &rows(
                |i| json!({"amount": (i % 50) as f64, "country": if i % 2 == 0 { "NO" } else { "SE" }}),
                400,
            ),
            MAX_REFERENCE_ROWS,
        );
        let current = rows(
            |i| json!({"amount": 100.0 + (i % 50) as f64, "country": if i % 2 == 0 { "NO" } else { "SE" }}),
            200,
        );
        let r = compare(&reference, &current, &DriftOptions::default()).unwrap();
        let by = |c: &str| r.columns.iter().find(|x| x.column == c).unwrap();
        assert!(by("amount").drifted);
        assert!(!by("country").drifted);
        assert_eq!(by("country").kind, crate::table::Kind::Categorical);
    }

    #[test]
    fn sample_is_evenly_spaced_and_bounded() {
        let all = rows(|i| json!({"x": i}), 1000);
        let s = ReferenceSample::from_features(&all, 10);
        assert_eq!(s.events, 1000);
        assert_eq!(s.rows.len(), 10);
        assert_eq!(s.rows[1], json!({"x": 100}));
        assert!(compare(
            &ReferenceSample::from_features(&[], 10),
            &all,
            &DriftOptions::default()
        )
        .is_err());
    }

    #[test]
    fn odd_rows_are_missing_values() {
        let t = table_of(&[json!(3), json!({"x": null}), json!({"x": "a", "y": true})]);
        let x = t.column("x").unwrap();
        assert_eq!((x.count(), x.missing), (1, 2));
    }
}
