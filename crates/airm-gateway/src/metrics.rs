//! Gateway metrics in the Prometheus text format: requests by endpoint and status, latency
//! histograms split into upstream time and airm's own overhead, guard verdicts by stage,
//! rule and action, tokens, rate-limit hits and extraction alerts. Label values come from
//! fixed sets (endpoints, rule ids, upstream names), never from request data.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::Duration;

/// Histogram bucket upper bounds, in seconds (fine at the low end: overhead is sub-ms).
const BUCKETS: [f64; 16] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    10.0, 60.0,
];

#[derive(Default, Clone)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    sum: f64,
    count: u64,
}

impl Histogram {
    fn observe(&mut self, d: Duration) {
        let secs = d.as_secs_f64();
        for (i, b) in BUCKETS.iter().enumerate() {
            if secs <= *b {
                self.counts[i] += 1;
            }
        }
        self.sum += secs;
        self.count += 1;
    }

    fn render(&self, out: &mut String, name: &str, labels: &str) {
        let sep = if labels.is_empty() { "" } else { "," };
        for (i, b) in BUCKETS.iter().enumerate() {
            let _ = writeln!(
                out,
                "{name}_bucket{{{labels}{sep}le=\"{b}\"}} {}",
                self.counts[i]
            );
        }
        let _ = writeln!(
            out,
            "{name}_bucket{{{labels}{sep}le=\"+Inf\"}} {}",
            self.count
        );
        let _ = writeln!(out, "{name}_sum{{{labels}}} {}", self.sum);
        let _ = writeln!(out, "{name}_count{{{labels}}} {}", self.count);
    }
}

#[derive(Default)]
struct Inner {
    requests: BTreeMap<(&'static str, u16), u64>,
    upstream: BTreeMap<String, Histogram>,
    overhead: BTreeMap<&'static str, Histogram>,
    verdicts: BTreeMap<(&'static str, String, String), u64>,
    tokens: BTreeMap<&'static str, u64>,
    rate_limited: BTreeMap<&'static str, u64>,
    extraction: BTreeMap<&'static str, u64>,
}

/// Collected gateway metrics.
#[derive(Default)]
pub struct Metrics {
    inner: Mutex<Inner>,
}

impl Metrics {
    fn with(&self, f: impl FnOnce(&mut Inner)) {
        if let Ok(mut i) = self.inner.lock() {
            f(&mut i);
        }
    }

    /// One finished request: status, time spent upstream (if it got there) and airm's own time.
    pub fn request(
        &self,
        endpoint: &'static str,
        status: u16,
        upstream: Option<(&str, Duration)>,
        overhead: Duration,
    ) {
        self.with(|i| {
            *i.requests.entry((endpoint, status)).or_default() += 1;
            if let Some((name, d)) = upstream {
                match i.upstream.get_mut(name) {
                    Some(h) => h.observe(d),
                    None => {
                        let mut h = Histogram::default();
                        h.observe(d);
                        i.upstream.insert(name.to_string(), h);
                    }
                }
            }
            i.overhead.entry(endpoint).or_default().observe(overhead);
        });
    }

    /// One guard finding acted on (`stage` is `input` or `output`).
    pub fn verdict(&self, stage: &'static str, rule: &str, action: &str) {
        self.with(|i| {
            *i.verdicts
                .entry((stage, rule.to_string(), action.to_string()))
                .or_default() += 1;
        });
    }

    /// Tokens used (`prompt` or `completion`).
    pub fn tokens(&self, kind: &'static str, n: u64) {
        self.with(|i| *i.tokens.entry(kind).or_default() += n);
    }

    /// A request refused by a rate limit (`requests` or `tokens`).
    pub fn rate_limited(&self, what: &'static str) {
        self.with(|i| *i.rate_limited.entry(what).or_default() += 1);
    }

    /// An extraction alert by signal.
    pub fn extraction_alert(&self, signal: &'static str) {
        self.with(|i| *i.extraction.entry(signal).or_default() += 1);
    }

    /// The exposition text.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let Ok(i) = self.inner.lock() else {
            return out;
        };
        out.push_str("# HELP airm_gateway_requests_total Gateway requests by endpoint and status.\n# TYPE airm_gateway_requests_total counter\n");
        for ((e, s), n) in &i.requests {
            let _ = writeln!(
                out,
                "airm_gateway_requests_total{{endpoint=\"{e}\",status=\"{s}\"}} {n}"
            );
        }
        out.push_str("# HELP airm_gateway_upstream_seconds Time waiting for the upstream (to response headers).\n# TYPE airm_gateway_upstream_seconds histogram\n");
        for (u, h) in &i.upstream {
            h.render(
                &mut out,
                "airm_gateway_upstream_seconds",
                &format!("upstream=\"{u}\""),
            );
        }
        out.push_str("# HELP airm_gateway_overhead_seconds Time spent in airm (total minus upstream).\n# TYPE airm_gateway_overhead_seconds histogram\n");
        for (e, h) in &i.overhead {
            h.render(
                &mut out,
                "airm_gateway_overhead_seconds",
                &format!("endpoint=\"{e}\""),
            );
        }
        out.push_str("# HELP airm_gateway_guard_verdicts_total Guard findings acted on, by stage, rule and action.\n# TYPE airm_gateway_guard_verdicts_total counter\n");
        for ((s, r, a), n) in &i.verdicts {
            let _ = writeln!(out, "airm_gateway_guard_verdicts_total{{stage=\"{s}\",rule=\"{r}\",action=\"{a}\"}} {n}");
        }
        out.push_str("# HELP airm_gateway_tokens_total Tokens reported by upstreams (or estimated).\n# TYPE airm_gateway_tokens_total counter\n");
        for (k, n) in &i.tokens {
            let _ = writeln!(out, "airm_gateway_tokens_total{{kind=\"{k}\"}} {n}");
        }
        out.push_str("# HELP airm_gateway_rate_limited_total Requests refused by a rate limit.\n# TYPE airm_gateway_rate_limited_total counter\n");
        for (k, n) in &i.rate_limited {
            let _ = writeln!(out, "airm_gateway_rate_limited_total{{limit=\"{k}\"}} {n}");
        }
        out.push_str("# HELP airm_gateway_extraction_alerts_total Model-extraction alerts by signal.\n# TYPE airm_gateway_extraction_alerts_total counter\n");
        for (k, n) in &i.extraction {
            let _ = writeln!(
                out,
                "airm_gateway_extraction_alerts_total{{signal=\"{k}\"}} {n}"
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_histograms() {
        let m = Metrics::default();
        m.request(
            "chat",
            200,
            Some(("mock", Duration::from_millis(3))),
            Duration::from_micros(200),
        );
        m.verdict("input", "PI001", "block");
        m.tokens("prompt", 12);
        let t = m.render();
        assert!(t.contains("airm_gateway_requests_total{endpoint=\"chat\",status=\"200\"} 1"));
        assert!(
            t.contains("airm_gateway_overhead_seconds_bucket{endpoint=\"chat\",le=\"0.00025\"} 1")
        );
        assert!(
            t.contains("airm_gateway_overhead_seconds_bucket{endpoint=\"chat\",le=\"0.0001\"} 0")
        );
        assert!(t.contains("airm_gateway_upstream_seconds_count{upstream=\"mock\"} 1"));
        assert!(t.contains("rule=\"PI001\",action=\"block\"} 1"));
        assert!(t.contains("airm_gateway_tokens_total{kind=\"prompt\"} 12"));
    }
}
