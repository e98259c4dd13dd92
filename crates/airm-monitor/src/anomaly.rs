//! Behaviour anomalies in request streams: per model, system or key, the request rate,
//! latency, token counts, guard block and refusal rates and output-class mix of each
//! tumbling window, compared with a robust baseline of the windows before it.
//!
//! The baseline is the median and the median absolute deviation (MAD) of the previous
//! windows — a few outliers in the history do not move it, and there is no seasonality
//! model to tune. A window is anomalous when its modified z-score
//! `|x − median| / (1.4826·MAD)` exceeds a threshold (3.5 by default); a floor on the
//! scale keeps perfectly flat histories from alarming on noise. Pure functions, no I/O.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::perf::window_start;

/// One request seen by the gateway (or any caller recording request statistics).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequestSample {
    /// When, ms since the epoch.
    pub time_ms: i64,
    /// End-to-end latency in milliseconds.
    pub latency_ms: f64,
    /// Prompt tokens.
    pub prompt_tokens: u64,
    /// Completion tokens.
    pub completion_tokens: u64,
    /// The model refused to answer.
    pub refused: bool,
    /// The guard blocked the request or response.
    pub blocked: bool,
    /// Output class (e.g. a classifier's predicted class), if any.
    pub output_class: Option<String>,
}

/// Aggregates of one window of a request stream.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BehaviourWindow {
    /// Window start, ms since the epoch.
    pub start_ms: i64,
    /// Window end (exclusive).
    pub end_ms: i64,
    /// Requests in the window.
    pub requests: u64,
    /// Median latency, ms.
    pub latency_ms: Option<f64>,
    /// Mean prompt + completion tokens per request.
    pub tokens: Option<f64>,
    /// Share of requests blocked by the guard.
    pub block_rate: Option<f64>,
    /// Share of requests the model refused.
    pub refusal_rate: Option<f64>,
    /// Count of each output class.
    pub classes: BTreeMap<String, u64>,
}

/// The behaviour metrics a window has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BehaviourMetric {
    /// Requests per window.
    RequestRate,
    /// Median latency.
    LatencyMs,
    /// Mean tokens per request.
    Tokens,
    /// Guard block rate.
    BlockRate,
    /// Refusal rate.
    RefusalRate,
    /// Total-variation distance of the window's output classes from the history's.
    ClassMixShift,
}

impl BehaviourMetric {
    /// Every metric.
    pub const ALL: [BehaviourMetric; 6] = [
        BehaviourMetric::RequestRate,
        BehaviourMetric::LatencyMs,
        BehaviourMetric::Tokens,
        BehaviourMetric::BlockRate,
        BehaviourMetric::RefusalRate,
        BehaviourMetric::ClassMixShift,
    ];

    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            BehaviourMetric::RequestRate => "request_rate",
            BehaviourMetric::LatencyMs => "latency_ms",
            BehaviourMetric::Tokens => "tokens",
            BehaviourMetric::BlockRate => "block_rate",
            BehaviourMetric::RefusalRate => "refusal_rate",
            BehaviourMetric::ClassMixShift => "class_mix_shift",
        }
    }

    /// Smallest scale of the robust z-score: flat histories do not alarm on changes
    /// below this.
    fn abs_floor(self) -> f64 {
        match self {
            BehaviourMetric::RequestRate => 1.0,
            BehaviourMetric::LatencyMs => 1.0,
            BehaviourMetric::Tokens => 1.0,
            BehaviourMetric::BlockRate | BehaviourMetric::RefusalRate => 0.01,
            BehaviourMetric::ClassMixShift => 0.02,
        }
    }

    /// The window's value of this metric (class-mix shift needs the history; see
    /// [`class_mix_shift`]).
    pub fn value(self, w: &BehaviourWindow) -> Option<f64> {
        match self {
            BehaviourMetric::RequestRate => Some(w.requests as f64),
            BehaviourMetric::LatencyMs => w.latency_ms,
            BehaviourMetric::Tokens => w.tokens,
            BehaviourMetric::BlockRate => w.block_rate,
            BehaviourMetric::RefusalRate => w.refusal_rate,
            BehaviourMetric::ClassMixShift => None,
        }
    }
}

fn median(sorted: &[f64]) -> Option<f64> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    let mid = n / 2;
    Some(if n % 2 == 1 {
        sorted[mid]
    } else {
        (sorted[mid - 1] + sorted[mid]) / 2.0
    })
}

/// Median and MAD of a history.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RobustBaseline {
    /// Median of the history.
    pub median: f64,
    /// Median absolute deviation from it.
    pub mad: f64,
    /// Values in the history.
    pub n: usize,
}

impl RobustBaseline {
    /// Fits the finite values of `history`; `None` when there are none.
    pub fn fit(history: &[f64]) -> Option<Self> {
        let mut v: Vec<f64> = history.iter().copied().filter(|x| x.is_finite()).collect();
        v.sort_by(f64::total_cmp);
        let med = median(&v)?;
        let mut dev: Vec<f64> = v.iter().map(|x| (x - med).abs()).collect();
        dev.sort_by(f64::total_cmp);
        Some(RobustBaseline {
            median: med,
            mad: median(&dev).unwrap_or(0.0),
            n: v.len(),
        })
    }

    /// The modified z-score of `x`, with the scale floored at `abs_floor` and 5 % of
    /// the median's magnitude.
    pub fn z(&self, x: f64, abs_floor: f64) -> f64 {
        let scale = (1.4826 * self.mad)
            .max(abs_floor)
            .max(0.05 * self.median.abs());
        (x - self.median) / scale
    }
}

/// How a value compares with its baseline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    /// The metric.
    pub metric: BehaviourMetric,
    /// Window start, ms.
    pub start_ms: i64,
    /// The window's value.
    pub value: f64,
    /// Baseline median.
    pub median: f64,
    /// Modified z-score.
    pub z: f64,
    /// `|z|` above the threshold.
    pub anomalous: bool,
}

/// Settings of the detector.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Detector {
    /// Windows of history in the baseline.
    pub history: usize,
    /// Fewer history windows than this: no verdict.
    pub min_history: usize,
    /// `|z|` above which a window is anomalous.
    pub threshold: f64,
}

impl Default for Detector {
    fn default() -> Self {
        Detector {
            history: 24,
            min_history: 6,
            threshold: 3.5,
        }
    }
}

impl Detector {
    /// Scores `current` against `history` (older values, any order).
    pub fn score(
        &self,
        metric: BehaviourMetric,
        start_ms: i64,
        history: &[f64],
        current: f64,
    ) -> Option<Verdict> {
        if !current.is_finite() {
            return None;
        }
        let tail = history.get(history.len().saturating_sub(self.history)..)?;
        let b = RobustBaseline::fit(tail)?;
        if b.n < self.min_history {
            return None;
        }
        let z = b.z(current, metric.abs_floor());
        Some(Verdict {
            metric,
            start_ms,
            value: current,
            median: b.median,
            z,
            anomalous: z.abs() > self.threshold,
        })
    }

    /// Verdicts for every metric of the last window of `windows`, against the windows
    /// before it. Windows without requests have no latency, tokens or rates.
    pub fn verdicts(&self, windows: &[BehaviourWindow]) -> Vec<Verdict> {
        let Some((last, before)) = windows.split_last() else {
            return Vec::new();
        };
        let before = before
            .get(before.len().saturating_sub(self.history)..)
            .unwrap_or(before);
        let mut out = Vec::new();
        for m in BehaviourMetric::ALL {
            let (hist, cur): (Vec<f64>, Option<f64>) = if m == BehaviourMetric::ClassMixShift {
                // The history's own shifts (each window against the ones before it).
                let hist = (1..before.len())
                    .filter_map(|i| class_mix_shift(&before[..i], &before[i]))
                    .collect();
                (hist, class_mix_shift(before, last))
            } else {
                (
                    before.iter().filter_map(|w| m.value(w)).collect(),
                    m.value(last),
                )
            };
            if let Some(v) = cur.and_then(|c| self.score(m, last.start_ms, &hist, c)) {
                out.push(v);
            }
        }
        out
    }
}

/// Total-variation distance between the output classes of `current` and those of all of
/// `history` pooled; `None` when either has no classes.
pub fn class_mix_shift(history: &[BehaviourWindow], current: &BehaviourWindow) -> Option<f64> {
    let mut pooled: BTreeMap<&str, u64> = BTreeMap::new();
    for w in history {
        for (k, v) in &w.classes {
            *pooled.entry(k.as_str()).or_default() += v;
        }
    }
    let total_h: u64 = pooled.values().sum();
    let total_c: u64 = current.classes.values().sum();
    if total_h == 0 || total_c == 0 {
        return None;
    }
    let mut keys: Vec<&str> = pooled.keys().copied().collect();
    keys.extend(current.classes.keys().map(String::as_str));
    keys.sort_unstable();
    keys.dedup();
    let tv: f64 = keys
        .iter()
        .map(|k| {
            let p = pooled.get(k).copied().unwrap_or(0) as f64 / total_h as f64;
            let q = current.classes.get(*k).copied().unwrap_or(0) as f64 / total_c as f64;
            (p - q).abs()
        })
        .sum();
    Some(tv / 2.0)
}

/// Aggregates `samples` into tumbling windows of `len_ms` covering `[from_ms, to_ms)`.
/// The caller bounds the range (see [`crate::perf::window_count`]).
pub fn behaviour_windows(
    samples: &[RequestSample],
    from_ms: i64,
    to_ms: i64,
    len_ms: i64,
) -> crate::error::Result<Vec<BehaviourWindow>> {
    let n = crate::perf::window_count(from_ms, to_ms, len_ms)?;
    let first = window_start(from_ms, len_ms);
    let mut buckets: BTreeMap<i64, Vec<&RequestSample>> = BTreeMap::new();
    for s in samples {
        if s.time_ms >= from_ms && s.time_ms < to_ms {
            buckets
                .entry(window_start(s.time_ms, len_ms))
                .or_default()
                .push(s);
        }
    }
    Ok((0..n)
        .map(|i| {
            let start = first + i as i64 * len_ms;
            let ss = buckets.get(&start).map(Vec::as_slice).unwrap_or(&[]);
            let mut w = BehaviourWindow {
                start_ms: start,
                end_ms: start + len_ms,
                requests: ss.len() as u64,
                ..BehaviourWindow::default()
            };
            if !ss.is_empty() {
                let n = ss.len() as f64;
                let mut lat: Vec<f64> = ss
                    .iter()
                    .map(|s| s.latency_ms)
                    .filter(|l| l.is_finite())
                    .collect();
                lat.sort_by(f64::total_cmp);
                w.latency_ms = median(&lat);
                w.tokens = Some(
                    ss.iter()
                        .map(|s| s.prompt_tokens.saturating_add(s.completion_tokens) as f64)
                        .sum::<f64>()
                        / n,
                );
                w.block_rate = Some(ss.iter().filter(|s| s.blocked).count() as f64 / n);
                w.refusal_rate = Some(ss.iter().filter(|s| s.refused).count() as f64 / n);
                for s in ss {
                    if let Some(c) = &s.output_class {
                        *w.classes.entry(c.clone()).or_default() += 1;
                    }
                }
            }
            w
        })
        .collect())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use proptest::prelude::*;

    fn sample(t: i64, lat: f64, blocked: bool) -> RequestSample {
        RequestSample {
            time_ms: t,
            latency_ms: lat,
            prompt_tokens: 10,
            completion_tokens: 5,
            refused: false,
            blocked,
            output_class: Some(if blocked { "b" } else { "a" }.into()),
        }
    }

    #[test]
    fn baseline_ignores_outliers() {
        let b = RobustBaseline::fit(&[1.0, 2.0, 3.0, 4.0, 1000.0]).unwrap();
        assert_eq!((b.median, b.mad), (3.0, 1.0));
        assert!(RobustBaseline::fit(&[f64::NAN]).is_none());
    }

    #[test]
    fn latency_spike_and_block_burst_are_flagged() {
        let h = 3_600_000;
        let mut ss = Vec::new();
        for w in 0..12 {
            for i in 0..20 {
                ss.push(sample(w * h + i, 100.0 + (i % 5) as f64, false));
            }
        }
        for i in 0..20 {
            ss.push(sample(12 * h + i, 900.0, i < 10));
        }
        let ws = behaviour_windows(&ss, 0, 13 * h, h).unwrap();
        let v = Detector::default().verdicts(&ws);
        let get = |m| v.iter().find(|x| x.metric == m).unwrap();
        assert!(get(BehaviourMetric::LatencyMs).anomalous);
        assert!(get(BehaviourMetric::BlockRate).anomalous);
        assert!(get(BehaviourMetric::ClassMixShift).anomalous);
        assert!(!get(BehaviourMetric::RequestRate).anomalous);
        // Without the last window nothing is anomalous.
        let quiet = Detector::default().verdicts(&ws[..12]);
        assert!(quiet.iter().all(|x| !x.anomalous), "{quiet:?}");
    }

    #[test]
    fn short_history_gives_no_verdict() {
        let d = Detector::default();
        assert!(d
            .score(BehaviourMetric::Tokens, 0, &[1.0, 2.0], 100.0)
            .is_none());
    }

    proptest! {
        #[test]
        fn stationary_noise_rarely_alarms(seed in any::<u64>()) {
            // 25 windows of the same small-noise process: the last is never anomalous
            // beyond the threshold when noise is bounded within the floor.
            let vals: Vec<f64> = (0..25).map(|i| 100.0 + ((seed >> (i % 60)) & 3) as f64).collect();
            let (last, hist) = vals.split_last().unwrap();
            let v = Detector::default().score(BehaviourMetric::LatencyMs, 0, hist, *last).unwrap();
            prop_assert!(!v.anomalous, "{v:?}");
        }

        #[test]
        fn z_is_monotone(h in proptest::collection::vec(0.0f64..100.0, 6..30), a in 0.0f64..200.0, b in 0.0f64..200.0) {
            let base = RobustBaseline::fit(&h).unwrap();
            let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
            prop_assert!(base.z(lo, 1.0) <= base.z(hi, 1.0));
        }
    }
}
