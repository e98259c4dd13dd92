//! Request metrics in the Prometheus text exposition format (version 0.0.4): a counter
//! of requests by method, route template and status, and a latency histogram by route.
//! Route templates (`/api/v1/systems/{id}`), never raw paths, keep label cardinality bounded.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::Duration;

use airm_store::Counts;

/// Histogram bucket upper bounds, in seconds.
const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    sum: f64,
    count: u64,
}

#[derive(Default)]
struct Inner {
    requests: BTreeMap<(String, String, u16), u64>,
    latency: BTreeMap<String, Histogram>,
}

/// Collected request metrics.
#[derive(Default)]
pub struct Metrics {
    inner: Mutex<Inner>,
}

impl Metrics {
    /// Records one finished request.
    pub fn observe(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        let Ok(mut inner) = self.inner.lock() else {
            return;
        };
        *inner
            .requests
            .entry((method.to_string(), route.to_string(), status))
            .or_default() += 1;
        let h = inner.latency.entry(route.to_string()).or_default();
        let secs = elapsed.as_secs_f64();
        for (i, b) in BUCKETS.iter().enumerate() {
            if secs <= *b {
                h.counts[i] += 1;
            }
        }
        h.sum += secs;
        h.count += 1;
    }

    /// Renders all metrics, plus inventory gauges from `counts`.
    pub fn render(&self, counts: &Counts) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# HELP airm_build_info airm version.\n# TYPE airm_build_info gauge\nairm_build_info{{version=\"{}\"}} 1",
            env!("CARGO_PKG_VERSION")
        );
        let gauges = [
            ("airm_systems", "AI systems registered.", counts.systems),
            ("airm_assets", "AI assets in the inventory.", counts.assets),
            (
                "airm_findings",
                "Findings recorded (any status).",
                counts.findings,
            ),
            ("airm_users", "People known to airm.", counts.users),
            ("airm_events", "Activity-log events.", counts.events),
        ];
        for (name, help, v) in gauges {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {v}");
        }
        let _ = writeln!(
            out,
            "# HELP airm_findings_open Open findings by severity.\n# TYPE airm_findings_open gauge"
        );
        for sev in airm_core::Severity::ALL {
            let n = counts
                .open_by_severity
                .get(sev.rank() as usize)
                .copied()
                .unwrap_or(0);
            let _ = writeln!(out, "airm_findings_open{{severity=\"{sev}\"}} {n}");
        }
        let Ok(inner) = self.inner.lock() else {
            return out;
        };
        let _ = writeln!(
            out,
            "# HELP airm_http_requests_total HTTP requests served.\n# TYPE airm_http_requests_total counter"
        );
        for ((method, route, status), n) in &inner.requests {
            let _ = writeln!(
                out,
                "airm_http_requests_total{{method=\"{}\",route=\"{}\",status=\"{status}\"}} {n}",
                escape(method),
                escape(route)
            );
        }
        let _ = writeln!(
            out,
            "# HELP airm_http_request_duration_seconds Time to answer HTTP requests.\n# TYPE airm_http_request_duration_seconds histogram"
        );
        for (route, h) in &inner.latency {
            let r = escape(route);
            for (i, b) in BUCKETS.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "airm_http_request_duration_seconds_bucket{{route=\"{r}\",le=\"{b}\"}} {}",
                    h.counts[i]
                );
            }
            let _ = writeln!(
                out,
                "airm_http_request_duration_seconds_bucket{{route=\"{r}\",le=\"+Inf\"}} {c}\n\
                 airm_http_request_duration_seconds_sum{{route=\"{r}\"}} {s}\n\
                 airm_http_request_duration_seconds_count{{route=\"{r}\"}} {c}",
                c = h.count,
                s = h.sum
            );
        }
        out
    }
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_cumulative_buckets() {
        let m = Metrics::default();
        m.observe("GET", "/api/v1/systems", 200, Duration::from_millis(3));
        m.observe("GET", "/api/v1/systems", 200, Duration::from_millis(30));
        m.observe("GET", "/api/v1/systems", 401, Duration::from_micros(100));
        let text = m.render(&Counts::default());
        assert!(text.contains(
            "airm_http_requests_total{method=\"GET\",route=\"/api/v1/systems\",status=\"200\"} 2"
        ));
        assert!(text.contains("le=\"0.005\"} 2"));
        assert!(text.contains("le=\"+Inf\"} 3"));
        assert!(text.contains("airm_findings_open{severity=\"critical\"} 0"));
    }
}
