//! Drift report between two files, timed per phase, without the CLI (for profiling the
//! reader and the statistics): `cargo run --release -p airm-monitor --example drift_files REF CUR`.

use std::path::Path;
use std::time::Instant;

use airm_monitor::drift::{compare, DriftOptions};
use airm_monitor::reader::{read_pair, ReadOptions};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let (Some(r), Some(c)) = (args.get(1), args.get(2)) else {
        return Err("usage: drift_files REF CUR".into());
    };
    let ro = ReadOptions::default();
    let t = Instant::now();
    let (reference, current) = read_pair(Path::new(r), Path::new(c), &ro);
    let (reference, current) = (reference?, current?);
    let read = t.elapsed();
    let report = compare(reference, current, &DriftOptions::default())?;
    let all = t.elapsed();
    eprintln!(
        "read {:.3} s, statistics {:.3} s, {} columns",
        read.as_secs_f64(),
        (all - read).as_secs_f64(),
        report.columns.len()
    );
    println!("{}", serde_json::to_string(&report)?);
    Ok(())
}
