//! The one-shot drift report: per-column tests between a reference and a current table
//! and a dataset-level verdict. Numeric columns are sorted once and the sorted arrays are
//! reused for the PSI bins, KS and Wasserstein; columns are processed in parallel.
//!
//! Which statistics a column gets depends on its kind: numeric columns get PSI, KS,
//! chi-squared and Jensen–Shannon on the PSI bins, and Wasserstein; categorical columns
//! get PSI, chi-squared and Jensen–Shannon over the categories, and the new categories.
//! Fields that do not apply are `null`. Conventions are in docs/monitoring.md.

pub mod html;

use std::collections::{BTreeMap, HashMap};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{MonitorError, Result};
use crate::stats::{self, sort::sort_f64};
use crate::table::{Column, Kind, Table, Values};

/// The statistic that decides whether a column drifted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// KS (numeric) or chi-squared (categorical) when the reference has at most 1000
    /// values; normalised Wasserstein (numeric) or Jensen–Shannon (categorical) above.
    #[default]
    Auto,
    Psi,
    Ks,
    Chi2,
    Js,
    Wasserstein,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Auto => "auto",
            Method::Psi => "psi",
            Method::Ks => "ks",
            Method::Chi2 => "chi2",
            Method::Js => "js",
            Method::Wasserstein => "wasserstein",
        }
    }
}

impl std::str::FromStr for Method {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        Ok(match s {
            "auto" => Method::Auto,
            "psi" => Method::Psi,
            "ks" => Method::Ks,
            "chi2" => Method::Chi2,
            "js" => Method::Js,
            "wasserstein" => Method::Wasserstein,
            _ => {
                return Err(format!(
                    "unknown method `{s}` (auto, psi, ks, chi2, js, wasserstein)"
                ))
            }
        })
    }
}

/// Drift thresholds: a column drifts when its method's value crosses its threshold.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Thresholds {
    /// PSI ≥ this.
    pub psi: f64,
    /// KS p-value < this.
    pub ks_pvalue: f64,
    /// Chi-squared p-value < this.
    pub chi2_pvalue: f64,
    /// Jensen–Shannon distance ≥ this.
    pub js: f64,
    /// Wasserstein distance / reference standard deviation ≥ this.
    pub wasserstein_norm: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            psi: 0.2,
            ks_pvalue: 0.05,
            chi2_pvalue: 0.05,
            js: 0.1,
            wasserstein_norm: 0.1,
        }
    }
}

/// Options of a drift report.
#[derive(Debug, Clone, PartialEq)]
pub struct DriftOptions {
    pub method: Method,
    pub thresholds: Thresholds,
    /// The dataset drifts when at least this share of the evaluated columns drifted …
    pub drift_share: f64,
    /// … or when any of these columns drifted.
    pub critical: Vec<String>,
    /// Logarithm base of the Jensen–Shannon distance: `None` natural log (SciPy's
    /// default), `Some(2.0)` bits (then the distance lies in [0, 1]).
    pub js_base: Option<f64>,
    /// Reference size up to which `Method::Auto` uses the statistical tests.
    pub auto_test_max_n: u64,
}

impl Default for DriftOptions {
    fn default() -> Self {
        DriftOptions {
            method: Method::Auto,
            thresholds: Thresholds::default(),
            drift_share: 0.5,
            critical: Vec::new(),
            js_base: None,
            auto_test_max_n: 1000,
        }
    }
}

impl DriftOptions {
    pub fn validate(&self) -> Result<()> {
        if !(0.0..=1.0).contains(&self.drift_share) {
            return Err(MonitorError::Invalid(
                "drift share must be between 0 and 1".into(),
            ));
        }
        if let Some(b) = self.js_base {
            if !(b > 1.0 && b.is_finite()) {
                return Err(MonitorError::Invalid("the JS log base must be > 1".into()));
            }
        }
        let t = &self.thresholds;
        for (name, v) in [
            ("psi", t.psi),
            ("ks p-value", t.ks_pvalue),
            ("chi2 p-value", t.chi2_pvalue),
            ("js", t.js),
            ("wasserstein", t.wasserstein_norm),
        ] {
            if !(v.is_finite() && v >= 0.0) {
                return Err(MonitorError::Invalid(format!(
                    "{name} threshold must be ≥ 0"
                )));
            }
        }
        Ok(())
    }
}

/// Bar heights for a histogram of the two samples (proportions of non-missing values).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Histogram {
    pub labels: Vec<String>,
    pub reference: Vec<f64>,
    pub current: Vec<f64>,
}

/// Drift statistics of one column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnDrift {
    pub column: String,
    pub kind: Kind,
    pub n_ref: u64,
    pub n_cur: u64,
    pub missing_ref: u64,
    pub missing_cur: u64,
    pub psi: Option<f64>,
    pub ks_statistic: Option<f64>,
    pub ks_pvalue: Option<f64>,
    pub chi2_statistic: Option<f64>,
    pub chi2_pvalue: Option<f64>,
    pub js_distance: Option<f64>,
    pub wasserstein: Option<f64>,
    pub wasserstein_norm: Option<f64>,
    pub new_categories: Option<Vec<String>>,
    pub drifted: bool,
    /// The statistic that decided `drifted` (never `auto`).
    pub method: Method,
    /// For HTML pages; not part of the JSON report.
    #[serde(skip)]
    pub histogram: Histogram,
}

/// A column left out of the report, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Skipped {
    pub column: String,
    pub reason: String,
}

/// The drift report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DriftReport {
    pub columns: Vec<ColumnDrift>,
    pub dataset_drift: bool,
    /// Drifted columns / evaluated columns.
    pub drift_share: f64,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skipped: Vec<Skipped>,
}

fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

/// Compares two tables column by column.
pub fn compare(reference: Table, current: Table, opts: &DriftOptions) -> Result<DriftReport> {
    opts.validate()?;
    let mut cur_cols: HashMap<String, Column> = current
        .columns
        .into_iter()
        .map(|c| (c.name.clone(), c))
        .collect();
    let mut pairs: Vec<(Column, Column)> = Vec::new();
    let mut skipped = Vec::new();
    for r in reference.columns {
        match cur_cols.remove(&r.name) {
            Some(c) => pairs.push((r, c)),
            None => skipped.push(Skipped {
                column: r.name,
                reason: "only in the reference".into(),
            }),
        }
    }
    let mut only_cur: Vec<String> = cur_cols.into_keys().collect();
    only_cur.sort();
    skipped.extend(only_cur.into_iter().map(|column| Skipped {
        column,
        reason: "only in the current data".into(),
    }));
    for c in &opts.critical {
        if !pairs.iter().any(|(r, _)| &r.name == c) {
            return Err(MonitorError::Invalid(format!(
                "critical column `{c}` is not in both files"
            )));
        }
    }
    let results: Vec<std::result::Result<ColumnDrift, Skipped>> = pairs
        .into_par_iter()
        .map(|(r, c)| column_drift(r, c, opts))
        .collect();
    let mut columns = Vec::with_capacity(results.len());
    for r in results {
        match r {
            Ok(c) => columns.push(c),
            Err(s) => skipped.push(s),
        }
    }
    let evaluated = columns
        .iter()
        .filter(|c| c.n_ref > 0 && c.n_cur > 0)
        .count();
    let drifted = columns.iter().filter(|c| c.drifted).count();
    #[allow(clippy::cast_precision_loss)]
    let share = if evaluated == 0 {
        0.0
    } else {
        drifted as f64 / evaluated as f64
    };
    let critical_drift = columns
        .iter()
        .any(|c| c.drifted && opts.critical.contains(&c.column));
    Ok(DriftReport {
        dataset_drift: (evaluated > 0 && share >= opts.drift_share) || critical_drift,
        drift_share: share,
        columns,
        skipped,
    })
}

fn column_drift(
    mut r: Column,
    mut c: Column,
    opts: &DriftOptions,
) -> std::result::Result<ColumnDrift, Skipped> {
    let too_many = |name: &str| Skipped {
        column: name.to_string(),
        reason: "too many distinct categories".into(),
    };
    if r.kind() != c.kind() {
        r.to_categorical(usize::MAX);
        c.to_categorical(usize::MAX);
    }
    let name = r.name.clone();
    let mut out = ColumnDrift {
        column: name.clone(),
        kind: r.kind(),
        n_ref: r.count(),
        n_cur: c.count(),
        missing_ref: r.missing,
        missing_cur: c.missing,
        psi: None,
        ks_statistic: None,
        ks_pvalue: None,
        chi2_statistic: None,
        chi2_pvalue: None,
        js_distance: None,
        wasserstein: None,
        wasserstein_norm: None,
        new_categories: None,
        drifted: false,
        method: Method::Auto,
        histogram: Histogram::default(),
    };
    match (r.values, c.values) {
        (Values::Numeric(mut a), Values::Numeric(mut b)) => {
            // The two sorts are tasks of their own, so that the last columns to finish
            // leave a shorter tail with one core idle.
            rayon::join(|| sort_f64(&mut a), || sort_f64(&mut b));
            numeric(&a, &b, opts, &mut out);
        }
        (Values::Categorical(a), Values::Categorical(b)) => categorical(&a, &b, opts, &mut out),
        _ => return Err(too_many(&name)),
    }
    decide(&mut out, opts);
    Ok(out)
}

fn numeric(a: &[f64], b: &[f64], opts: &DriftOptions, out: &mut ColumnDrift) {
    if a.is_empty() || b.is_empty() {
        return;
    }
    let edges = stats::decile_edges(a);
    let ca = stats::bin_counts(a, &edges);
    let cb = stats::bin_counts(b, &edges);
    out.psi = finite(stats::psi(&ca, &cb));
    if let Some(chi) = stats::chi2_contingency(&ca, &cb) {
        out.chi2_statistic = finite(chi.statistic);
        out.chi2_pvalue = finite(chi.pvalue);
    }
    out.js_distance = finite(stats::js_distance(&ca, &cb, opts.js_base));
    // The merge and the standard deviation are both sequential passes: a task each, so
    // that the last column to finish does not leave a core idle for both.
    let ((d, w), sd) = rayon::join(
        || stats::ks_and_wasserstein(a, b),
        || stats::std_population(a),
    );
    out.ks_statistic = finite(d);
    out.ks_pvalue = finite(stats::ks_2samp_asymp_pvalue(
        d,
        a.len() as u64,
        b.len() as u64,
    ));
    out.wasserstein = finite(w);
    out.wasserstein_norm = if sd > 0.0 { finite(w / sd) } else { None };
    let mut labels = Vec::with_capacity(ca.len());
    for i in 0..ca.len() {
        let lo = if i == 0 { None } else { edges.get(i - 1) };
        let hi = edges.get(i);
        labels.push(match (lo, hi) {
            (None, Some(h)) => format!("< {}", short(*h)),
            (Some(l), None) => format!("≥ {}", short(*l)),
            (Some(l), Some(h)) => format!("[{}, {})", short(*l), short(*h)),
            (None, None) => "all".to_string(),
        });
    }
    out.histogram = Histogram {
        labels,
        reference: proportions(&ca),
        current: proportions(&cb),
    };
}

fn short(x: f64) -> String {
    let s = format!("{x:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s.is_empty() || s == "-" {
        "0".into()
    } else {
        s.to_string()
    }
}

fn proportions(c: &[u64]) -> Vec<f64> {
    let t: u64 = c.iter().sum();
    #[allow(clippy::cast_precision_loss)]
    c.iter()
        .map(|&x| if t == 0 { 0.0 } else { x as f64 / t as f64 })
        .collect()
}

fn categorical(
    a: &HashMap<String, u64>,
    b: &HashMap<String, u64>,
    opts: &DriftOptions,
    out: &mut ColumnDrift,
) {
    let mut union: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
    for (k, &v) in a {
        union.entry(k.as_str()).or_default().0 += v;
    }
    for (k, &v) in b {
        union.entry(k.as_str()).or_default().1 += v;
    }
    out.new_categories = Some(
        union
            .iter()
            .filter(|(_, (r, c))| *r == 0 && *c > 0)
            .map(|(k, _)| (*k).to_string())
            .collect(),
    );
    if out.n_ref == 0 || out.n_cur == 0 {
        return;
    }
    let ca: Vec<u64> = union.values().map(|v| v.0).collect();
    let cb: Vec<u64> = union.values().map(|v| v.1).collect();
    out.psi = finite(stats::psi(&ca, &cb));
    if let Some(chi) = stats::chi2_contingency(&ca, &cb) {
        out.chi2_statistic = finite(chi.statistic);
        out.chi2_pvalue = finite(chi.pvalue);
    }
    out.js_distance = finite(stats::js_distance(&ca, &cb, opts.js_base));
    // Histogram: the 20 most frequent categories over both samples.
    let mut top: Vec<(&str, u64, u64)> = union.iter().map(|(k, v)| (*k, v.0, v.1)).collect();
    top.sort_by(|x, y| (y.1 + y.2).cmp(&(x.1 + x.2)).then(x.0.cmp(y.0)));
    top.truncate(20);
    #[allow(clippy::cast_precision_loss)]
    let (nr, nc) = (out.n_ref as f64, out.n_cur as f64);
    #[allow(clippy::cast_precision_loss)]
    {
        out.histogram = Histogram {
            labels: top.iter().map(|t| t.0.to_string()).collect(),
            reference: top.iter().map(|t| t.1 as f64 / nr).collect(),
            current: top.iter().map(|t| t.2 as f64 / nc).collect(),
        };
    }
}

fn decide(out: &mut ColumnDrift, opts: &DriftOptions) {
    let numeric = out.kind == Kind::Numeric;
    let method = match opts.method {
        Method::Auto => match (numeric, out.n_ref <= opts.auto_test_max_n) {
            (true, true) => Method::Ks,
            (true, false) => Method::Wasserstein,
            (false, true) => Method::Chi2,
            (false, false) => Method::Js,
        },
        // Tests that need numbers fall back to their categorical counterparts.
        Method::Ks if !numeric => Method::Chi2,
        Method::Wasserstein if !numeric => Method::Js,
        m => m,
    };
    out.method = method;
    let t = &opts.thresholds;
    out.drifted = match method {
        Method::Psi => out.psi.is_some_and(|v| v >= t.psi),
        Method::Ks => out.ks_pvalue.is_some_and(|p| p < t.ks_pvalue),
        Method::Chi2 => out.chi2_pvalue.is_some_and(|p| p < t.chi2_pvalue),
        Method::Js => out.js_distance.is_some_and(|v| v >= t.js),
        Method::Wasserstein => match out.wasserstein_norm {
            Some(v) => v >= t.wasserstein_norm,
            // A constant reference: any movement of the current sample is drift.
            None => out.wasserstein.is_some_and(|w| w > 0.0),
        },
        Method::Auto => false,
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::Column;

    fn num(name: &str, v: Vec<f64>) -> Column {
        let mut c = Column::new(name, None);
        c.seen = v.len() as u64;
        c.values = Values::Numeric(v);
        c
    }

    #[test]
    fn identical_samples_do_not_drift() {
        let v: Vec<f64> = (0..500).map(|i| f64::from(i % 37)).collect();
        let t = || Table {
            columns: vec![num("x", v.clone())],
            rows: 500,
        };
        let r = compare(t(), t(), &DriftOptions::default()).expect("report");
        let c = &r.columns[0];
        assert_eq!(c.ks_statistic, Some(0.0));
        assert_eq!(c.psi, Some(0.0));
        assert_eq!(c.ks_pvalue, Some(1.0));
        assert!(!c.drifted && !r.dataset_drift);
        assert_eq!(c.method, Method::Ks);
    }

    #[test]
    fn shifted_samples_drift_and_critical_columns_decide() {
        let a: Vec<f64> = (0..2000).map(f64::from).collect();
        let b: Vec<f64> = (0..2000).map(|i| f64::from(i) + 800.0).collect();
        let same: Vec<f64> = (0..2000).map(|i| f64::from(i % 10)).collect();
        let t = |x: Vec<f64>| Table {
            columns: vec![num("x", x), num("y", same.clone()), num("z", same.clone())],
            rows: 2000,
        };
        let opts = DriftOptions::default();
        let r = compare(t(a.clone()), t(b.clone()), &opts).expect("report");
        assert!(r.columns[0].drifted);
        assert_eq!(r.columns[0].method, Method::Wasserstein);
        assert!(!r.dataset_drift, "1 of 3 columns is below the 0.5 share");
        let opts = DriftOptions {
            critical: vec!["x".into()],
            ..DriftOptions::default()
        };
        assert!(compare(t(a), t(b), &opts).expect("report").dataset_drift);
    }
}
