//! Alert rules (`[[monitor.alerts]]` in airm.toml) and their evaluation: a rule names a
//! metric, a condition, a window, a severity and an owner; evaluating it over a series of
//! windows gives a [`Check`], and [`transition`] turns a check plus "is an alert open for
//! this rule and model?" into what to do — open a new alert, keep the open one (no new
//! notification: de-duplication), resolve it, or nothing.
//!
//! Conditions: `below` / `above` a threshold; `drop` from the baseline (the stored
//! baseline, else the median of the previous windows) by more than the threshold;
//! `anomaly` (robust z-score against previous windows above the threshold, default 3.5);
//! `change` (a Page–Hinkley change point in the worse direction within the evaluated
//! windows, threshold = λ). Pure: the server gathers the windows and sends the alerts.

use serde::{Deserialize, Serialize};

use airm_core::Severity;

use crate::anomaly::{BehaviourMetric, BehaviourWindow, Detector, RobustBaseline};
use crate::error::{MonitorError, Result};
use crate::perf::{self, Metrics};

/// What a rule watches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// Accuracy of labelled predictions.
    Accuracy,
    /// Precision of the positive class.
    Precision,
    /// Recall of the positive class.
    Recall,
    /// F1 of the positive class.
    F1,
    /// ROC AUC of scores.
    RocAuc,
    /// Log-loss of scores.
    LogLoss,
    /// RMSE of numeric predictions.
    Rmse,
    /// MAE of numeric predictions.
    Mae,
    /// Prediction events per window.
    Events,
    /// Share of events with a label.
    LabelCoverage,
    /// Requests per window (gateway).
    RequestRate,
    /// Median latency (gateway).
    LatencyMs,
    /// Mean tokens per request (gateway).
    Tokens,
    /// Guard block rate (gateway).
    BlockRate,
    /// Refusal rate (gateway).
    RefusalRate,
    /// Shift of the output-class mix against previous windows (gateway).
    ClassMixShift,
    /// Data drift of the input features in the latest window against the baseline's
    /// reference sample ([`crate::reference`]): the share of drifted feature columns, or
    /// with `column`, 1 when that column drifted and 0 when it did not.
    Drift,
}

impl Metric {
    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Metric::Accuracy => "accuracy",
            Metric::Precision => "precision",
            Metric::Recall => "recall",
            Metric::F1 => "f1",
            Metric::RocAuc => "roc_auc",
            Metric::LogLoss => "log_loss",
            Metric::Rmse => "rmse",
            Metric::Mae => "mae",
            Metric::Events => "events",
            Metric::LabelCoverage => "label_coverage",
            Metric::RequestRate => "request_rate",
            Metric::LatencyMs => "latency_ms",
            Metric::Tokens => "tokens",
            Metric::BlockRate => "block_rate",
            Metric::RefusalRate => "refusal_rate",
            Metric::ClassMixShift => "class_mix_shift",
            Metric::Drift => "drift",
        }
    }

    /// Whether larger values are better (accuracy) or worse (loss, latency).
    pub fn higher_is_better(self) -> bool {
        matches!(
            self,
            Metric::Accuracy
                | Metric::Precision
                | Metric::Recall
                | Metric::F1
                | Metric::RocAuc
                | Metric::LabelCoverage
                | Metric::Events
                | Metric::RequestRate
        )
    }

    /// The request-stream metric this is, if it is one (else a prediction metric).
    pub fn behaviour(self) -> Option<BehaviourMetric> {
        Some(match self {
            Metric::RequestRate => BehaviourMetric::RequestRate,
            Metric::LatencyMs => BehaviourMetric::LatencyMs,
            Metric::Tokens => BehaviourMetric::Tokens,
            Metric::BlockRate => BehaviourMetric::BlockRate,
            Metric::RefusalRate => BehaviourMetric::RefusalRate,
            Metric::ClassMixShift => BehaviourMetric::ClassMixShift,
            _ => return None,
        })
    }

    /// This metric's value in a performance window.
    pub fn of_metrics(self, m: &Metrics) -> Option<f64> {
        match self {
            Metric::Accuracy => m.accuracy,
            Metric::Precision => m.precision,
            Metric::Recall => m.recall,
            Metric::F1 => m.f1,
            Metric::RocAuc => m.roc_auc,
            Metric::LogLoss => m.log_loss,
            Metric::Rmse => m.rmse,
            Metric::Mae => m.mae,
            Metric::Events => Some(m.events as f64),
            Metric::LabelCoverage => m.label_coverage,
            _ => None,
        }
    }
}

/// How a rule judges the metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Condition {
    /// Value below the threshold.
    Below,
    /// Value above the threshold.
    Above,
    /// Worse than the baseline by more than the threshold (absolute).
    Drop,
    /// Robust z-score against previous windows beyond the threshold (default 3.5).
    Anomaly,
    /// Page–Hinkley change point in the worse direction (threshold = λ).
    Change,
}

fn default_window() -> String {
    "1h".to_string()
}

fn default_severity() -> Severity {
    Severity::Medium
}

/// One `[[monitor.alerts]]` entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertRule {
    /// Unique name; part of the alert's identity.
    pub name: String,
    /// Only this model (default: every model with data).
    #[serde(default)]
    pub model: Option<String>,
    /// Request metrics only: requests of this AI system only.
    #[serde(default)]
    pub system: Option<String>,
    /// Request metrics only: requests made with this gateway key id only.
    #[serde(default)]
    pub key: Option<String>,
    /// `drift` only: this feature column (default: the share of drifted columns).
    #[serde(default)]
    pub column: Option<String>,
    /// The metric.
    pub metric: Metric,
    /// The condition.
    pub condition: Condition,
    /// Threshold of the condition (required except for `anomaly` and `change`).
    #[serde(default)]
    pub threshold: Option<f64>,
    /// Window length: `90s`, `30m`, `1h`, `1d` (default `1h`).
    #[serde(default = "default_window")]
    pub window: String,
    /// Windows of history for baselines, anomalies and change points (default 24).
    #[serde(default)]
    pub history: Option<usize>,
    /// Ignore the most recent period while labels are still arriving (e.g. `2h`).
    #[serde(default)]
    pub label_delay: Option<String>,
    /// Windows with fewer labelled events (or requests) than this are not judged
    /// (default 20).
    #[serde(default)]
    pub min_samples: Option<u64>,
    /// Class key of the positive class (default `1`).
    #[serde(default)]
    pub positive: Option<String>,
    /// Severity of the alert (default `medium`).
    #[serde(default = "default_severity")]
    pub severity: Severity,
    /// Who is told (recorded on the alert and in sink payloads).
    #[serde(default)]
    pub owner: Option<String>,
}

/// Parses `90s`, `30m`, `1h`, `7d` (or plain seconds) into milliseconds.
pub fn parse_duration(s: &str) -> Result<i64> {
    let t = s.trim();
    let (num, unit) = t.split_at(t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len()));
    let n: i64 = num.parse().map_err(|_| {
        MonitorError::InvalidWindow(format!("`{s}` is not a duration like 30m, 1h or 1d"))
    })?;
    let mult = match unit {
        "" | "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => {
            return Err(MonitorError::InvalidWindow(format!(
                "`{s}`: unit must be s, m, h or d"
            )))
        }
    };
    n.checked_mul(mult)
        .filter(|ms| (0..=366 * 86_400_000).contains(ms))
        .ok_or_else(|| MonitorError::InvalidWindow(format!("`{s}` is out of range (at most 366d)")))
}

impl AlertRule {
    /// Window length in ms.
    pub fn window_ms(&self) -> Result<i64> {
        let ms = parse_duration(&self.window)?;
        if ms < 1000 {
            return Err(MonitorError::InvalidWindow(format!(
                "window `{}` is shorter than a second",
                self.window
            )));
        }
        Ok(ms)
    }

    /// Label delay in ms (0 when unset).
    pub fn label_delay_ms(&self) -> Result<i64> {
        self.label_delay.as_deref().map_or(Ok(0), parse_duration)
    }

    /// Windows of history.
    pub fn history(&self) -> usize {
        self.history.unwrap_or(24).clamp(1, 1000)
    }

    /// Minimum samples per judged window.
    pub fn min_samples(&self) -> u64 {
        self.min_samples.unwrap_or(20)
    }

    /// The positive class key.
    pub fn positive(&self) -> &str {
        self.positive.as_deref().unwrap_or("1")
    }

    /// Checks the rule; errors name it.
    pub fn validate(&self) -> Result<()> {
        let err = |reason: String| MonitorError::InvalidRule {
            name: self.name.clone(),
            reason,
        };
        if self.name.trim().is_empty() || self.name.len() > 128 {
            return Err(err("name must be 1–128 characters".into()));
        }
        self.window_ms().map_err(|e| err(e.to_string()))?;
        self.label_delay_ms().map_err(|e| err(e.to_string()))?;
        if (self.system.is_some() || self.key.is_some()) && self.metric.behaviour().is_none() {
            return Err(err(format!(
                "system and key apply to request metrics, not to `{}`",
                self.metric.as_str()
            )));
        }
        if self.column.is_some() && self.metric != Metric::Drift {
            return Err(err(format!(
                "column applies to the drift metric, not to `{}`",
                self.metric.as_str()
            )));
        }
        if self.metric == Metric::Drift
            && !matches!(self.condition, Condition::Above | Condition::Below)
        {
            return Err(err(
                "the drift metric takes the condition `above` (or `below`)".into(),
            ));
        }
        match (self.condition, self.threshold) {
            (Condition::Below | Condition::Above | Condition::Drop, None) => {
                return Err(err(format!(
                    "condition `{}` needs a threshold",
                    condition_name(self.condition)
                )))
            }
            (_, Some(t)) if !t.is_finite() => return Err(err("threshold must be finite".into())),
            (Condition::Drop | Condition::Anomaly | Condition::Change, Some(t)) if t <= 0.0 => {
                return Err(err("threshold must be positive".into()))
            }
            _ => {}
        }
        Ok(())
    }
}

fn condition_name(c: Condition) -> &'static str {
    match c {
        Condition::Below => "below",
        Condition::Above => "above",
        Condition::Drop => "drop",
        Condition::Anomaly => "anomaly",
        Condition::Change => "change",
    }
}

/// Validates a rule set: every rule, and unique names.
pub fn validate_rules(rules: &[AlertRule]) -> Result<()> {
    let mut names = std::collections::BTreeSet::new();
    for r in rules {
        r.validate()?;
        if !names.insert(r.name.as_str()) {
            return Err(MonitorError::InvalidRule {
                name: r.name.clone(),
                reason: "duplicate rule name".into(),
            });
        }
    }
    Ok(())
}

/// One window's value of the rule's metric and how many samples it rests on.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Point {
    /// Window start, ms.
    pub start_ms: i64,
    /// Window end, ms.
    pub end_ms: i64,
    /// The value (`None`: undefined in this window).
    pub value: Option<f64>,
    /// Labelled events (prediction metrics) or requests (request metrics).
    pub samples: u64,
}

/// The series of a prediction metric from performance windows.
pub fn perf_points(metric: Metric, windows: &[perf::Window]) -> Vec<Point> {
    windows
        .iter()
        .map(|w| Point {
            start_ms: w.start_ms,
            end_ms: w.end_ms,
            value: metric.of_metrics(&w.metrics),
            samples: match metric {
                Metric::Events | Metric::LabelCoverage => w.metrics.events,
                _ => w.metrics.labelled,
            },
        })
        .collect()
}

/// The series of a request metric from behaviour windows (class-mix shift of each window
/// against all windows before it).
pub fn behaviour_points(metric: BehaviourMetric, windows: &[BehaviourWindow]) -> Vec<Point> {
    windows
        .iter()
        .enumerate()
        .map(|(i, w)| Point {
            start_ms: w.start_ms,
            end_ms: w.end_ms,
            value: if metric == BehaviourMetric::ClassMixShift {
                windows
                    .get(..i)
                    .and_then(|before| crate::anomaly::class_mix_shift(before, w))
            } else {
                metric.value(w)
            },
            samples: w.requests,
        })
        .collect()
}

/// The outcome of evaluating a rule on its latest window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Check {
    /// The condition holds.
    Firing {
        /// Observed value.
        value: f64,
        /// The reference it was compared with (threshold, baseline, median).
        reference: f64,
        /// The window judged.
        start_ms: i64,
        /// Its end.
        end_ms: i64,
        /// A sentence for people.
        message: String,
    },
    /// The condition does not hold.
    Ok {
        /// Observed value.
        value: f64,
        /// Window start.
        start_ms: i64,
    },
    /// Not enough data to judge (too few samples or history).
    Insufficient {
        /// Why.
        reason: String,
    },
}

/// Evaluates `rule` on `points` (chronological; the last is the window judged).
/// `baseline` is the stored baseline value of the metric, if any (for `drop`).
pub fn evaluate(rule: &AlertRule, points: &[Point], baseline: Option<f64>) -> Check {
    let insufficient = |reason: &str| Check::Insufficient {
        reason: reason.to_string(),
    };
    let Some((last, before)) = points.split_last() else {
        return insufficient("no windows");
    };
    let value = match last.value {
        Some(v) if last.samples >= rule.min_samples() && v.is_finite() => v,
        _ => {
            return insufficient(&format!(
                "latest window has {} samples (needs {})",
                last.samples,
                rule.min_samples()
            ))
        }
    };
    let history: Vec<f64> = before
        .iter()
        .rev()
        .take(rule.history())
        .filter(|p| p.samples >= rule.min_samples())
        .filter_map(|p| p.value)
        .filter(|v| v.is_finite())
        .collect();
    let name = match (&rule.column, rule.metric) {
        (Some(c), Metric::Drift) => format!("drift of column `{c}`"),
        _ => rule.metric.as_str().to_string(),
    };
    let up = rule.metric.higher_is_better();
    let t = rule.threshold.unwrap_or(0.0);
    let (firing, reference, message) = match rule.condition {
        Condition::Below => (value < t, t, format!("{name} {value:.4} is below {t}")),
        Condition::Above => (value > t, t, format!("{name} {value:.4} is above {t}")),
        Condition::Drop => {
            let base = match baseline {
                Some(b) => b,
                None => match RobustBaseline::fit(&history) {
                    Some(b) if b.n >= 3 => b.median,
                    _ => return insufficient("no baseline and fewer than 3 earlier windows"),
                },
            };
            (
                perf::dropped(base, value, t, up),
                base,
                format!("{name} {value:.4} is worse than its baseline {base:.4} by more than {t}"),
            )
        }
        Condition::Anomaly => {
            let threshold = rule.threshold.unwrap_or(3.5);
            let det = Detector {
                history: rule.history(),
                min_history: 6,
                threshold,
            };
            let metric = rule
                .metric
                .behaviour()
                .unwrap_or(BehaviourMetric::RequestRate);
            let mut chronological = history.clone();
            chronological.reverse();
            match det.score(metric, last.start_ms, &chronological, value) {
                Some(v) => (
                    v.anomalous,
                    v.median,
                    format!(
                        "{name} {value:.4} is anomalous against the median {:.4} of earlier windows (z = {:.1})",
                        v.median, v.z
                    ),
                ),
                None => return insufficient("fewer than 6 earlier windows"),
            }
        }
        Condition::Change => {
            let lambda = rule.threshold.unwrap_or(1.0);
            let mut series: Vec<f64> = history.iter().rev().copied().collect();
            series.push(value);
            if series.len() < 6 {
                return insufficient("fewer than 6 windows");
            }
            // Orient so that "worse" is an increase; scale by the series' own spread.
            let oriented: Vec<f64> = series.iter().map(|v| if up { -v } else { *v }).collect();
            let spread = RobustBaseline::fit(&oriented)
                .map(|b| (1.4826 * b.mad).max(1e-3 * b.median.abs()).max(1e-9))
                .unwrap_or(1.0);
            let scaled: Vec<f64> = oriented.iter().map(|v| v / spread).collect();
            let at = perf::last_change(&scaled, 0.5, lambda * 10.0);
            let first = series.first().copied().unwrap_or(value);
            (
                at.is_some(),
                first,
                format!("{name} changed for the worse (Page–Hinkley) within the last {} windows; now {value:.4}", series.len()),
            )
        }
    };
    if firing {
        Check::Firing {
            value,
            reference,
            start_ms: last.start_ms,
            end_ms: last.end_ms,
            message,
        }
    } else {
        Check::Ok {
            value,
            start_ms: last.start_ms,
        }
    }
}

/// What to do with a check, given whether an alert is open for the same rule and model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Transition {
    /// Open a new alert and notify.
    Open,
    /// Keep the open alert (refresh its last-seen time and value); do not notify again.
    Refresh,
    /// Resolve the open alert and notify.
    Resolve,
    /// Nothing to do.
    Quiet,
}

/// The de-duplicating state machine: an alert opens once, stays open while the condition
/// holds, resolves when a judged window no longer meets it. Too little data changes
/// nothing.
pub fn transition(open: bool, check: &Check) -> Transition {
    match (open, check) {
        (false, Check::Firing { .. }) => Transition::Open,
        (true, Check::Firing { .. }) => Transition::Refresh,
        (true, Check::Ok { .. }) => Transition::Resolve,
        _ => Transition::Quiet,
    }
}

/// The identity of an alert: rule and model.
pub fn fingerprint(rule: &str, model: &str) -> String {
    format!("{rule}\u{1f}{model}")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn rule(metric: Metric, condition: Condition, threshold: Option<f64>) -> AlertRule {
        AlertRule {
            name: "r".into(),
            model: None,
            system: None,
            key: None,
            column: None,
            metric,
            condition,
            threshold,
            window: "1h".into(),
            history: None,
            label_delay: None,
            min_samples: Some(10),
            positive: None,
            severity: Severity::High,
            owner: None,
        }
    }

    fn pts(vals: &[f64]) -> Vec<Point> {
        vals.iter()
            .enumerate()
            .map(|(i, v)| Point {
                start_ms: i as i64 * 1000,
                end_ms: (i as i64 + 1) * 1000,
                value: Some(*v),
                samples: 100,
            })
            .collect()
    }

    #[test]
    fn rules_parse_and_validate() {
        let r: AlertRule = toml::from_str(
            "name = \"acc\"\nmetric = \"accuracy\"\ncondition = \"below\"\nthreshold = 0.8\nwindow = \"30m\"\nseverity = \"high\"\nowner = \"ml@x\"\n",
        )
        .unwrap();
        r.validate().unwrap();
        assert_eq!(r.window_ms().unwrap(), 1_800_000);
        assert!(toml::from_str::<AlertRule>(
            "name=\"a\"\nmetric=\"accuracy\"\ncondition=\"below\"\nbogus=1"
        )
        .is_err());
        let no_threshold = rule(Metric::Accuracy, Condition::Drop, None);
        assert!(no_threshold.validate().is_err());
        let mut bad_window = rule(Metric::Accuracy, Condition::Anomaly, None);
        bad_window.window = "5y".into();
        assert!(bad_window.validate().is_err());
        let mut scoped = rule(Metric::F1, Condition::Anomaly, None);
        scoped.key = Some("vk_1".into());
        assert!(scoped.validate().is_err());
        scoped.metric = Metric::BlockRate;
        scoped.validate().unwrap();
        let dup = vec![rule(Metric::F1, Condition::Anomaly, None); 2];
        assert!(validate_rules(&dup).is_err());
        assert_eq!(parse_duration("90s").unwrap(), 90_000);
        assert!(parse_duration("99999999999999d").is_err());
    }

    #[test]
    fn thresholds_drops_and_dedup() {
        let below = rule(Metric::Accuracy, Condition::Below, Some(0.8));
        let c = evaluate(&below, &pts(&[0.9, 0.7]), None);
        assert!(matches!(c, Check::Firing { .. }));
        assert_eq!(transition(false, &c), Transition::Open);
        assert_eq!(transition(true, &c), Transition::Refresh);
        let ok = evaluate(&below, &pts(&[0.7, 0.9]), None);
        assert_eq!(transition(true, &ok), Transition::Resolve);
        assert_eq!(transition(false, &ok), Transition::Quiet);

        let drop = rule(Metric::Accuracy, Condition::Drop, Some(0.1));
        assert!(matches!(
            evaluate(&drop, &pts(&[0.9, 0.91, 0.9, 0.7]), None),
            Check::Firing { .. }
        ));
        assert!(matches!(
            evaluate(&drop, &pts(&[0.9, 0.91, 0.9, 0.85]), None),
            Check::Ok { .. }
        ));
        // A stored baseline wins over the history.
        assert!(matches!(
            evaluate(&drop, &pts(&[0.85]), Some(0.99)),
            Check::Firing { .. }
        ));
        // Losses drop upwards.
        let ll = rule(Metric::LogLoss, Condition::Drop, Some(0.1));
        assert!(matches!(
            evaluate(&ll, &pts(&[0.3, 0.3, 0.3, 0.6]), None),
            Check::Firing { .. }
        ));
        // Too few samples: insufficient, which never opens or resolves.
        let mut thin = pts(&[0.9, 0.1]);
        thin[1].samples = 3;
        let c = evaluate(&below, &thin, None);
        assert!(matches!(c, Check::Insufficient { .. }));
        assert_eq!(transition(true, &c), Transition::Quiet);
    }

    #[test]
    fn anomaly_and_change_conditions() {
        let an = rule(Metric::LatencyMs, Condition::Anomaly, None);
        let mut v = vec![100.0, 102.0, 99.0, 101.0, 100.0, 98.0, 103.0, 100.0];
        assert!(matches!(evaluate(&an, &pts(&v), None), Check::Ok { .. }));
        v.push(400.0);
        assert!(matches!(
            evaluate(&an, &pts(&v), None),
            Check::Firing { .. }
        ));

        let ch = rule(Metric::Accuracy, Condition::Change, Some(1.0));
        let stable: Vec<f64> = (0..20)
            .map(|i| 0.9 + 0.005 * ((i % 3) as f64 - 1.0))
            .collect();
        assert!(matches!(
            evaluate(&ch, &pts(&stable), None),
            Check::Ok { .. }
        ));
        let mut drop = stable.clone();
        drop.extend([0.6, 0.6, 0.6]);
        assert!(matches!(
            evaluate(&ch, &pts(&drop), None),
            Check::Firing { .. }
        ));
    }
}
