//! Times airm-monitor's performance metrics on a CSV of `label,score,prediction` rows
//! (written by `bench/monitor_metrics.py`); prints one JSON object with the values and the
//! best-of-N computation time (file reading excluded), for `bench/monitor_metrics.sh`.

use std::time::Instant;

use airm_monitor::event::Value;
use airm_monitor::perf::{self, Outcome};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .ok_or("usage: perf_bench FILE.csv [REPEATS]")?;
    let repeats: usize = std::env::args()
        .nth(2)
        .map(|r| r.parse())
        .transpose()?
        .unwrap_or(5);
    let text = std::fs::read_to_string(&path)?;
    let mut events = Vec::new();
    for line in text.lines().skip(1) {
        let mut it = line.split(',');
        let (Some(y), Some(s), Some(p)) = (it.next(), it.next(), it.next()) else {
            continue;
        };
        events.push(Outcome {
            time_ms: 0,
            label: Some(Value::Number(y.parse()?)),
            score: Some(s.parse()?),
            prediction: Some(Value::Number(p.parse()?)),
        });
    }
    let mut best = f64::INFINITY;
    let mut m = perf::Metrics::default();
    for _ in 0..repeats {
        let t = Instant::now();
        m = perf::metrics(&events, "1");
        best = best.min(t.elapsed().as_secs_f64());
    }
    println!(
        "{}",
        serde_json::json!({"rows": events.len(), "seconds": best, "metrics": m})
    );
    Ok(())
}
