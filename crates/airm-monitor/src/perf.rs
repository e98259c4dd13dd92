//! Performance of a model from labelled predictions: accuracy, precision, recall, F1,
//! ROC AUC (ties by mid-rank), log-loss (probabilities clipped), RMSE and MAE, over
//! tumbling time windows; plus the two ways a drop is detected — against a baseline with a
//! threshold, and the Page–Hinkley change-point test.
//!
//! Only events with a label count (labels may arrive later: a window's `labelled` count
//! and `label_coverage` say how complete it is). Definitions follow scikit-learn so the
//! numbers can be checked against it (`tests/fixtures/sklearn_metrics.json`). Pure
//! functions, no I/O.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{MonitorError, Result};
use crate::event::Value;

/// Probabilities are clipped to `[EPS, 1 - EPS]` before taking logs (scikit-learn ≥ 1.5
/// clips to the machine epsilon of float64).
pub const LOG_LOSS_EPS: f64 = f64::EPSILON;

/// Most windows one request may compute.
pub const MAX_WINDOWS: usize = 10_000;

/// The parts of an event that performance needs.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// Event time, ms since the epoch.
    pub time_ms: i64,
    /// The model's output.
    pub prediction: Option<Value>,
    /// Probability of the positive class.
    pub score: Option<f64>,
    /// The truth, if known.
    pub label: Option<Value>,
}

/// Performance metrics of a set of events; `None` where a metric is undefined (no
/// labels, one class only, no scores, no numeric predictions).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    /// Events.
    pub events: u64,
    /// Events with a label.
    pub labelled: u64,
    /// `labelled / events`.
    pub label_coverage: Option<f64>,
    /// Share of labelled predictions equal to their label.
    pub accuracy: Option<f64>,
    /// TP / (TP + FP) for the positive class (0 when nothing was predicted positive).
    pub precision: Option<f64>,
    /// TP / (TP + FN) (0 when there are no positive labels).
    pub recall: Option<f64>,
    /// Harmonic mean of precision and recall.
    pub f1: Option<f64>,
    /// Area under the ROC curve of `score` against the positive class.
    pub roc_auc: Option<f64>,
    /// Mean negative log-likelihood of `score`.
    pub log_loss: Option<f64>,
    /// Root mean squared error of numeric predictions.
    pub rmse: Option<f64>,
    /// Mean absolute error of numeric predictions.
    pub mae: Option<f64>,
}

/// Area under the ROC curve by the Mann–Whitney statistic, tied scores sharing their
/// mid-rank (equal to the trapezoidal AUC). `None` unless both classes occur. Non-finite
/// scores are skipped.
pub fn roc_auc(scores: &[f64], positive: &[bool]) -> Option<f64> {
    let mut pairs: Vec<(f64, bool)> = scores
        .iter()
        .zip(positive)
        .filter(|(s, _)| s.is_finite())
        .map(|(s, p)| (*s, *p))
        .collect();
    let n_pos = pairs.iter().filter(|(_, p)| *p).count() as f64;
    let n_neg = pairs.len() as f64 - n_pos;
    if n_pos == 0.0 || n_neg == 0.0 {
        return None;
    }
    pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut rank_sum_pos = 0.0;
    let mut i = 0;
    while i < pairs.len() {
        let mut j = i;
        while j + 1 < pairs.len() && pairs[j + 1].0 == pairs[i].0 {
            j += 1;
        }
        // Ranks i+1 ..= j+1 share their mean.
        let mid = (i + j) as f64 / 2.0 + 1.0;
        let pos_in_tie = pairs[i..=j].iter().filter(|(_, p)| *p).count() as f64;
        rank_sum_pos += mid * pos_in_tie;
        i = j + 1;
    }
    Some((rank_sum_pos - n_pos * (n_pos + 1.0) / 2.0) / (n_pos * n_neg))
}

/// Mean log-loss of probabilities `p` (of the positive class) against outcomes, with `p`
/// clipped to `[LOG_LOSS_EPS, 1 - LOG_LOSS_EPS]`. `None` for no finite input.
pub fn log_loss(p: &[f64], positive: &[bool]) -> Option<f64> {
    let mut sum = 0.0;
    let mut n = 0usize;
    for (pi, y) in p.iter().zip(positive) {
        if !pi.is_finite() {
            continue;
        }
        let q = pi.clamp(LOG_LOSS_EPS, 1.0 - LOG_LOSS_EPS);
        sum -= if *y { q.ln() } else { (1.0 - q).ln() };
        n += 1;
    }
    (n > 0).then(|| sum / n as f64)
}

/// `(rmse, mae)` of predictions against truths; `None` when empty.
pub fn errors(pred: &[f64], truth: &[f64]) -> Option<(f64, f64)> {
    let n = pred.len().min(truth.len());
    if n == 0 {
        return None;
    }
    let (mut sq, mut abs) = (0.0, 0.0);
    for (p, t) in pred.iter().zip(truth) {
        let d = p - t;
        sq += d * d;
        abs += d.abs();
    }
    Some(((sq / n as f64).sqrt(), abs / n as f64))
}

/// Computes all metrics of `events`. `positive` is the class key of the positive class
/// (e.g. `1`, `fraud`) for precision, recall, F1, ROC AUC and log-loss.
pub fn metrics(events: &[Outcome], positive: &str) -> Metrics {
    let mut m = Metrics {
        events: events.len() as u64,
        ..Metrics::default()
    };
    let (mut correct, mut classified) = (0u64, 0u64);
    let (mut tp, mut fp, mut fn_) = (0u64, 0u64, 0u64);
    let (mut scores, mut score_pos) = (Vec::new(), Vec::new());
    let (mut num_pred, mut num_truth) = (Vec::new(), Vec::new());
    let positive_value = positive
        .parse::<f64>()
        .ok()
        .filter(|p| p.is_finite() && p.to_string() == positive)
        .map_or_else(|| Value::Text(positive.to_string()), Value::Number);
    for e in events {
        let Some(label) = &e.label else { continue };
        m.labelled += 1;
        let label_pos = label.same_class(&positive_value);
        if let Some(pred) = &e.prediction {
            classified += 1;
            let pred_pos = pred.same_class(&positive_value);
            if pred.same_class(label) {
                correct += 1;
            }
            match (pred_pos, label_pos) {
                (true, true) => tp += 1,
                (true, false) => fp += 1,
                (false, true) => fn_ += 1,
                (false, false) => {}
            }
            if let (Some(p), Some(t)) = (pred.as_f64(), label.as_f64()) {
                num_pred.push(p);
                num_truth.push(t);
            }
        }
        if let Some(s) = e.score {
            scores.push(s);
            score_pos.push(label_pos);
        }
    }
    let ratio = |a: u64, b: u64| (b > 0).then(|| a as f64 / b as f64);
    m.label_coverage = ratio(m.labelled, m.events);
    m.accuracy = ratio(correct, classified);
    if classified > 0 {
        let precision = ratio(tp, tp + fp).unwrap_or(0.0);
        let recall = ratio(tp, tp + fn_).unwrap_or(0.0);
        m.precision = Some(precision);
        m.recall = Some(recall);
        m.f1 = Some(if precision + recall > 0.0 {
            2.0 * precision * recall / (precision + recall)
        } else {
            0.0
        });
    }
    m.roc_auc = roc_auc(&scores, &score_pos);
    m.log_loss = log_loss(&scores, &score_pos);
    if let Some((rmse, mae)) = errors(&num_pred, &num_truth) {
        m.rmse = Some(rmse);
        m.mae = Some(mae);
    }
    m
}

/// One tumbling window `[start_ms, end_ms)` and its metrics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Window {
    /// Start, ms since the epoch (a multiple of the window length).
    pub start_ms: i64,
    /// End (exclusive).
    pub end_ms: i64,
    /// Metrics of the events in the window.
    pub metrics: Metrics,
}

/// The start of the window of length `len_ms` that contains `t`.
pub fn window_start(t: i64, len_ms: i64) -> i64 {
    t.div_euclid(len_ms.max(1)) * len_ms.max(1)
}

/// Checks a window range and returns the number of windows it spans.
pub fn window_count(from_ms: i64, to_ms: i64, len_ms: i64) -> Result<usize> {
    if len_ms < 1000 {
        return Err(MonitorError::InvalidWindow(
            "window must be at least one second".into(),
        ));
    }
    if to_ms <= from_ms {
        return Ok(0);
    }
    let first = window_start(from_ms, len_ms);
    let n = (to_ms.saturating_sub(first) as i128 + len_ms as i128 - 1) / len_ms as i128;
    let n = usize::try_from(n).unwrap_or(usize::MAX);
    if n > MAX_WINDOWS {
        return Err(MonitorError::InvalidWindow(format!(
            "{n} windows requested; at most {MAX_WINDOWS} (use a longer window or a shorter range)"
        )));
    }
    Ok(n)
}

/// Buckets `events` into tumbling windows of `len_ms` covering `[from_ms, to_ms)` (every
/// window, also empty ones, in order) and computes each window's metrics.
pub fn windows(
    events: &[Outcome],
    from_ms: i64,
    to_ms: i64,
    len_ms: i64,
    positive: &str,
) -> Result<Vec<Window>> {
    let n = window_count(from_ms, to_ms, len_ms)?;
    let first = window_start(from_ms, len_ms);
    let mut buckets: BTreeMap<i64, Vec<Outcome>> = BTreeMap::new();
    for e in events {
        if e.time_ms >= from_ms && e.time_ms < to_ms {
            buckets
                .entry(window_start(e.time_ms, len_ms))
                .or_default()
                .push(e.clone());
        }
    }
    Ok((0..n)
        .map(|i| {
            let start = first + i as i64 * len_ms;
            let evs = buckets.get(&start).map(Vec::as_slice).unwrap_or(&[]);
            Window {
                start_ms: start,
                end_ms: start + len_ms,
                metrics: metrics(evs, positive),
            }
        })
        .collect())
}

/// Whether `current` dropped from `baseline` by more than `threshold` (absolute), in the
/// metric's bad direction (`higher_is_better` false for losses and errors).
pub fn dropped(baseline: f64, current: f64, threshold: f64, higher_is_better: bool) -> bool {
    let worse_by = if higher_is_better {
        baseline - current
    } else {
        current - baseline
    };
    worse_by > threshold
}

/// The Page–Hinkley test for an increase in the mean of a stream (feed it a quantity that
/// grows when things get worse: error rate, loss). It alarms when the cumulative
/// deviation above the running mean, less a tolerance `delta` per step, rises more than
/// `lambda` above its minimum so far.
#[derive(Debug, Clone, PartialEq)]
pub struct PageHinkley {
    delta: f64,
    lambda: f64,
    n: u64,
    mean: f64,
    cum: f64,
    min_cum: f64,
}

impl PageHinkley {
    /// A detector with tolerance `delta` and alarm threshold `lambda` (both ≥ 0).
    pub fn new(delta: f64, lambda: f64) -> Self {
        PageHinkley {
            delta: delta.max(0.0),
            lambda: lambda.max(0.0),
            n: 0,
            mean: 0.0,
            cum: 0.0,
            min_cum: 0.0,
        }
    }

    /// Adds an observation; returns true on an alarm (the detector then restarts).
    /// Non-finite values are ignored.
    pub fn update(&mut self, x: f64) -> bool {
        if !x.is_finite() {
            return false;
        }
        self.n += 1;
        self.mean += (x - self.mean) / self.n as f64;
        self.cum += x - self.mean - self.delta;
        self.min_cum = self.min_cum.min(self.cum);
        if self.cum - self.min_cum > self.lambda {
            *self = PageHinkley::new(self.delta, self.lambda);
            return true;
        }
        false
    }
}

/// Runs Page–Hinkley over `series`; the index of the last alarm, if any.
pub fn last_change(series: &[f64], delta: f64, lambda: f64) -> Option<usize> {
    let mut ph = PageHinkley::new(delta, lambda);
    let mut last = None;
    for (i, x) in series.iter().enumerate() {
        if ph.update(*x) {
            last = Some(i);
        }
    }
    last
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use proptest::prelude::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn auc_with_ties_uses_mid_ranks() {
        // All scores tied: 0.5 whatever the labels.
        assert_eq!(roc_auc(&[0.3, 0.3, 0.3], &[true, false, true]), Some(0.5));
        // Perfect and reversed rankings.
        assert_eq!(roc_auc(&[0.1, 0.9], &[false, true]), Some(1.0));
        assert_eq!(roc_auc(&[0.9, 0.1], &[false, true]), Some(0.0));
        // One class only: undefined.
        assert_eq!(roc_auc(&[0.1, 0.9], &[true, true]), None);
        // scikit-learn: roc_auc_score([0,0,1,1,1],[0.1,0.4,0.4,0.8,0.4]) == 5/6
        let auc = roc_auc(
            &[0.1, 0.4, 0.4, 0.8, 0.4],
            &[false, false, true, true, true],
        )
        .unwrap();
        assert!(close(auc, 5.0 / 6.0), "{auc}");
    }

    /// Values computed by scikit-learn (`tests/fixtures/sklearn_metrics.py` is the
    /// snippet that wrote `sklearn_metrics.json`).
    #[test]
    fn metrics_match_scikit_learn() {
        let doc: serde_json::Value =
            serde_json::from_str(include_str!("../tests/fixtures/sklearn_metrics.json")).unwrap();
        let nums = |c: &serde_json::Value, k: &str| -> Vec<f64> {
            c[k].as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap())
                .collect()
        };
        for case in doc["cases"].as_array().unwrap() {
            let name = case["name"].as_str().unwrap();
            let y = nums(case, "labels");
            let s = nums(case, "scores");
            let p = nums(case, "predictions");
            let evs: Vec<Outcome> = (0..y.len())
                .map(|i| Outcome {
                    time_ms: 0,
                    prediction: Some(Value::Number(p[i])),
                    score: Some(s[i]),
                    label: Some(Value::Number(y[i])),
                })
                .collect();
            let m = metrics(&evs, "1");
            let want = |k: &str| case[k].as_f64().unwrap();
            for (k, got) in [
                ("roc_auc", m.roc_auc),
                ("log_loss", m.log_loss),
                ("accuracy", m.accuracy),
                ("precision", m.precision),
                ("recall", m.recall),
                ("f1", m.f1),
            ] {
                let got = got.unwrap();
                assert!(
                    (got - want(k)).abs() < 1e-9,
                    "{name} {k}: {got} vs {}",
                    want(k)
                );
            }
            let (rmse, mae) = errors(
                &nums(case, "regression_pred"),
                &nums(case, "regression_truth"),
            )
            .unwrap();
            assert!((rmse - want("rmse")).abs() < 1e-9, "{name} rmse");
            assert!((mae - want("mae")).abs() < 1e-9, "{name} mae");
        }
    }

    #[test]
    fn log_loss_clips_certain_mistakes() {
        let ll = log_loss(&[0.0, 1.0], &[true, false]).unwrap();
        assert!(close(ll, -(f64::EPSILON.ln())), "{ll}");
        assert!(log_loss(&[], &[]).is_none());
    }

    #[test]
    fn classification_metrics_follow_definitions() {
        let ev = |p: i64, y: Option<i64>| Outcome {
            time_ms: 0,
            prediction: Some(Value::Number(p as f64)),
            score: None,
            label: y.map(|y| Value::Number(y as f64)),
        };
        let evs = [
            ev(1, Some(1)),
            ev(1, Some(0)),
            ev(0, Some(1)),
            ev(0, Some(0)),
            ev(1, None),
        ];
        let m = metrics(&evs, "1");
        assert_eq!((m.events, m.labelled), (5, 4));
        assert_eq!(m.label_coverage, Some(0.8));
        assert_eq!(m.accuracy, Some(0.5));
        assert_eq!(
            (m.precision, m.recall, m.f1),
            (Some(0.5), Some(0.5), Some(0.5))
        );
        assert!(close(m.rmse.unwrap(), 0.5_f64.sqrt()));
        let none = metrics(&[ev(1, None)], "1");
        assert_eq!(none.accuracy, None);
    }

    #[test]
    fn windows_are_aligned_and_complete() {
        let ev = |t: i64, ok: bool| Outcome {
            time_ms: t,
            prediction: Some(Value::Bool(true)),
            score: None,
            label: Some(Value::Bool(ok)),
        };
        let h = 3_600_000;
        let evs = [ev(10, true), ev(h + 5, false), ev(3 * h + 1, true)];
        let w = windows(&evs, 0, 4 * h, h, "1").unwrap();
        assert_eq!(w.len(), 4);
        assert_eq!(w[1].metrics.accuracy, Some(0.0));
        assert_eq!(w[2].metrics.events, 0);
        assert!(windows(&evs, 0, i64::MAX, 1000, "1").is_err());
        assert!(windows(&evs, 0, 10, 10, "1").is_err());
    }

    #[test]
    fn classes_compare_across_types() {
        let ev = |p: Value, y: Value| Outcome {
            time_ms: 0,
            prediction: Some(p),
            score: None,
            label: Some(y),
        };
        let evs = [
            ev(Value::Bool(true), Value::Number(1.0)),
            ev(Value::Text("1".into()), Value::Number(1.0)),
            ev(Value::Text("fraud".into()), Value::Text("fraud".into())),
            ev(Value::Number(0.0), Value::Bool(false)),
        ];
        let m = metrics(&evs, "1");
        assert_eq!(m.accuracy, Some(1.0));
        assert_eq!(m.precision, Some(1.0));
        let m = metrics(&evs, "fraud");
        assert_eq!((m.precision, m.recall), (Some(1.0), Some(1.0)));
    }

    #[test]
    fn drops_respect_direction() {
        assert!(dropped(0.9, 0.7, 0.1, true));
        assert!(!dropped(0.9, 0.85, 0.1, true));
        assert!(dropped(0.2, 0.5, 0.1, false));
    }

    #[test]
    fn page_hinkley_finds_a_step() {
        let mut s = vec![0.1; 50];
        s.extend(vec![0.6; 20]);
        let at = last_change(&s, 0.01, 1.0).unwrap();
        assert!((50..60).contains(&at), "{at}");
    }

    proptest! {
        #[test]
        fn auc_is_a_probability_and_flips(
            pts in proptest::collection::vec((0u8..20, any::<bool>()), 2..200)
        ) {
            let s: Vec<f64> = pts.iter().map(|(s, _)| f64::from(*s) / 20.0).collect();
            let y: Vec<bool> = pts.iter().map(|(_, y)| *y).collect();
            if let Some(a) = roc_auc(&s, &y) {
                prop_assert!((0.0..=1.0).contains(&a));
                let flipped: Vec<bool> = y.iter().map(|v| !v).collect();
                let b = roc_auc(&s, &flipped).unwrap();
                prop_assert!((a + b - 1.0).abs() < 1e-9);
                // Brute force over all pairs, ties counting one half.
                let (mut wins, mut pairs) = (0.0, 0.0);
                for (si, yi) in s.iter().zip(&y) {
                    for (sj, yj) in s.iter().zip(&y) {
                        if *yi && !*yj {
                            pairs += 1.0;
                            if si > sj { wins += 1.0 } else if si == sj { wins += 0.5 }
                        }
                    }
                }
                prop_assert!((a - wins / pairs).abs() < 1e-9);
            }
        }

        #[test]
        fn log_loss_is_finite_and_nonnegative(
            pts in proptest::collection::vec((0.0f64..=1.0, any::<bool>()), 1..100)
        ) {
            let p: Vec<f64> = pts.iter().map(|(p, _)| *p).collect();
            let y: Vec<bool> = pts.iter().map(|(_, y)| *y).collect();
            let ll = log_loss(&p, &y).unwrap();
            prop_assert!(ll.is_finite() && ll >= 0.0);
            prop_assert!(ll <= -(LOG_LOSS_EPS.ln()) + 1e-9);
        }

        #[test]
        fn page_hinkley_is_quiet_on_constant_streams(x in 0.0f64..1.0, n in 1usize..500) {
            prop_assert_eq!(last_change(&vec![x; n], 0.005, 0.5), None);
        }

        #[test]
        fn metrics_stay_in_range(
            pts in proptest::collection::vec((0u8..3, 0u8..3, 0.0f64..=1.0, any::<bool>()), 0..100)
        ) {
            let evs: Vec<Outcome> = pts.iter().map(|(p, y, s, has)| Outcome {
                time_ms: 0,
                prediction: Some(Value::Number(f64::from(*p))),
                score: Some(*s),
                label: has.then(|| Value::Number(f64::from(*y))),
            }).collect();
            let m = metrics(&evs, "1");
            for v in [m.accuracy, m.precision, m.recall, m.f1, m.roc_auc, m.label_coverage].into_iter().flatten() {
                prop_assert!((0.0..=1.0).contains(&v), "{v}");
            }
        }
    }
}
