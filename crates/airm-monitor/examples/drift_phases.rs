//! Per-phase CPU times of the drift report on one thread (best of 5), for tuning on a busy
//! machine: `cargo run --release -p airm-monitor --example drift_phases REF CUR`.

use std::path::Path;

use airm_monitor::reader::{read_table, ReadOptions};
use airm_monitor::stats::{self, sort::sort_f64};
use airm_monitor::table::Values;

/// CPU time of this thread in seconds (Linux), so that other processes on a busy machine
/// do not count.
fn cpu() -> f64 {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").unwrap_or_default();
    let ns: f64 = s
        .split_whitespace()
        .next()
        .and_then(|x| x.parse().ok())
        .unwrap_or(0.0);
    ns / 1e9
}

/// Least CPU time of 5 runs.
fn best<T>(mut f: impl FnMut() -> T) -> (f64, T) {
    let mut best = f64::INFINITY;
    let mut out = None;
    for _ in 0..5 {
        let t = cpu();
        let r = f();
        best = best.min(cpu() - t);
        out = Some(r);
    }
    (best, out.expect("ran"))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let (Some(r), Some(c)) = (args.get(1), args.get(2)) else {
        return Err("usage: drift_phases REF CUR".into());
    };
    let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build()?;
    let ro = ReadOptions::default();
    let (t_read, (rt, ct)) = pool.install(|| {
        best(|| {
            (
                read_table(Path::new(r), &ro).expect("ref"),
                read_table(Path::new(c), &ro).expect("cur"),
            )
        })
    });
    eprintln!("read both files, 1 thread: {t_read:.3} s");
    let (mut t_sort, mut t_merge, mut t_sep) = (0.0, 0.0, 0.0);
    for (a, b) in rt.columns.iter().zip(&ct.columns) {
        let (Values::Numeric(a), Values::Numeric(b)) = (&a.values, &b.values) else {
            continue;
        };
        let (ts, (a, b)) = best(|| {
            let (mut a, mut b) = (a.clone(), b.clone());
            sort_f64(&mut a);
            sort_f64(&mut b);
            (a, b)
        });
        t_sort += ts;
        let (tm, fused) = best(|| stats::ks_and_wasserstein(&a, &b));
        t_merge += tm;
        let (tp, sep) = best(|| (stats::ks_statistic(&a, &b), stats::wasserstein(&a, &b)));
        t_sep += tp;
        assert_eq!(fused.0.to_bits(), sep.0.to_bits());
        let rel = (fused.1 - sep.1).abs() / sep.1.abs().max(f64::MIN_POSITIVE);
        assert!(rel < 1e-12, "wasserstein {} vs {}", fused.1, sep.1);
        if fused.1 != sep.1 {
            eprintln!("wasserstein differs by {rel:.1e} relative");
        }
    }
    eprintln!("sort (with clone): {t_sort:.3} s; ks+wasserstein fused {t_merge:.3} s, separate {t_sep:.3} s");
    Ok(())
}
