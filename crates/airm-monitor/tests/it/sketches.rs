//! Profiles of shards merged versus one pass over all the data: exact parts agree exactly,
//! sketches agree within their documented error bounds, and merging is associative within
//! those bounds (proptest).

use std::collections::HashMap;

use airm_monitor::profile::{Profile, ProfileOptions};
use airm_monitor::sketch::SplitMix64;
use airm_monitor::table::{Column, Table, Values};
use proptest::prelude::*;

/// Deterministic data: a skewed numeric column, a low-cardinality numeric column and a
/// categorical column with a heavy hitter.
fn data(n: usize, seed: u64) -> (Vec<f64>, Vec<f64>, Vec<String>) {
    let mut r = SplitMix64(seed);
    let mut x = Vec::with_capacity(n);
    let mut y = Vec::with_capacity(n);
    let mut z = Vec::with_capacity(n);
    for _ in 0..n {
        #[allow(clippy::cast_precision_loss)]
        let u = (r.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        x.push(-(1.0 - u).ln() * 3.0 + if r.below(10) == 0 { 50.0 } else { 0.0 });
        #[allow(clippy::cast_precision_loss)]
        y.push(r.below(7) as f64);
        z.push(if r.below(4) == 0 {
            "hot".to_string()
        } else {
            format!("v{}", r.below(5000))
        });
    }
    (x, y, z)
}

fn table(x: &[f64], y: &[f64], z: &[String]) -> Table {
    let num = |name: &str, v: &[f64]| {
        let mut c = Column::new(name, None);
        c.values = Values::Numeric(v.to_vec());
        c.seen = v.len() as u64;
        c
    };
    let mut counts: HashMap<String, u64> = HashMap::new();
    for s in z {
        *counts.entry(s.clone()).or_insert(0) += 1;
    }
    let mut zc = Column::new("z", None);
    zc.values = Values::Categorical(counts);
    zc.seen = z.len() as u64;
    Table {
        columns: vec![num("x", x), num("y", y), zc],
        rows: x.len() as u64,
    }
}

fn true_rank(sorted: &[f64], v: f64) -> f64 {
    #[allow(clippy::cast_precision_loss)]
    let r = sorted.partition_point(|&a| a <= v) as f64 / sorted.len() as f64;
    r
}

fn check_quantiles(p: &Profile, sorted: &[f64], what: &str) {
    let col = p.columns.iter().find(|c| c.name == "x").expect("x");
    let kll = &col.numeric.as_ref().expect("numeric").quantiles;
    for i in 1..100 {
        let q = f64::from(i) / 100.0;
        let v = kll.quantile(q).expect("quantile");
        let r = true_rank(sorted, v);
        // The returned item's rank brackets q within the bound.
        let below = sorted.partition_point(|&a| a < v) as f64 / sorted.len() as f64;
        assert!(
            q >= below - kll.rank_error() && q <= r + kll.rank_error(),
            "{what}: q={q} value={v} rank=[{below}, {r}] bound={}",
            kll.rank_error()
        );
    }
}

#[test]
fn ten_shards_merge_within_the_bounds_of_one_pass() {
    let n = 200_000;
    let (x, y, z) = data(n, 42);
    let opts = ProfileOptions::default();
    let whole = Profile::from_table(table(&x, &y, &z), &opts);
    let shard = n / 10;
    let mut merged: Option<Profile> = None;
    for s in 0..10 {
        let r = s * shard..(s + 1) * shard;
        let p = Profile::from_table(table(&x[r.clone()], &y[r.clone()], &z[r]), &opts);
        match merged.as_mut() {
            None => merged = Some(p),
            Some(m) => m.merge(&p).expect("merge"),
        }
    }
    let merged = merged.expect("merged");
    merged.check().expect("valid merged profile");
    assert_eq!(merged.rows, whole.rows);
    let mut sorted = x.clone();
    sorted.sort_by(f64::total_cmp);
    check_quantiles(&whole, &sorted, "single pass");
    check_quantiles(&merged, &sorted, "merged");
    for (m, w) in merged.columns.iter().zip(&whole.columns) {
        assert_eq!(m.name, w.name);
        assert_eq!((m.count, m.missing), (w.count, w.missing));
        // Register-wise maximum: the merged HyperLogLog is the one-pass HyperLogLog.
        assert_eq!(m.distinct, w.distinct);
        assert_eq!(m.exact_counts, w.exact_counts, "{}", m.name);
        if let (Some(a), Some(b)) = (&m.numeric, &w.numeric) {
            assert_eq!((a.min, a.max), (b.min, b.max));
            assert!((a.mean - b.mean).abs() <= 1e-9 * b.mean.abs());
            assert!((a.std(m.count) - b.std(w.count)).abs() <= 1e-9 * b.std(w.count));
            assert_eq!(a.sample.values.len(), 10_000);
            assert!(!a.sample.is_exact());
        }
    }
    // Low cardinality: exact counts are kept and equal the truth.
    let yc = merged.columns.iter().find(|c| c.name == "y").expect("y");
    let exact = yc.exact_counts.as_ref().expect("exact counts for 7 values");
    assert_eq!(exact.len(), 7);
    // Distinct count of z (5001 values) within 3 standard errors.
    let zc = merged.columns.iter().find(|c| c.name == "z").expect("z");
    let est = zc.distinct.estimate();
    assert!(
        (est - 5001.0).abs() / 5001.0 < 3.0 * zc.distinct.standard_error(),
        "{est}"
    );
    assert!(zc.exact_counts.is_none());
    // The heavy hitter is found with its count within the Misra–Gries bound.
    let hot_true = z.iter().filter(|s| *s == "hot").count() as u64;
    let hot = zc.frequent.counters.get("hot").copied().unwrap_or(0);
    assert!(hot <= hot_true && hot + zc.frequent.error_bound() >= hot_true);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    #[test]
    fn merge_is_associative_within_bounds(sizes in proptest::collection::vec(1usize..4000, 3), seed in 0u64..1000) {
        let opts = ProfileOptions { seed, ..ProfileOptions::default() };
        let parts: Vec<(Vec<f64>, Vec<f64>, Vec<String>)> =
            sizes.iter().enumerate().map(|(i, &n)| data(n, seed * 10 + i as u64)).collect();
        let prof = |i: usize| {
            let (x, y, z) = &parts[i];
            Profile::from_table(table(x, y, z), &opts)
        };
        let mut left = prof(0);
        left.merge(&prof(1)).expect("merge");
        left.merge(&prof(2)).expect("merge");
        let mut bc = prof(1);
        bc.merge(&prof(2)).expect("merge");
        let mut right = prof(0);
        right.merge(&bc).expect("merge");
        prop_assert_eq!(left.rows, right.rows);
        let mut all: Vec<f64> = parts.iter().flat_map(|p| p.0.iter().copied()).collect();
        all.sort_by(f64::total_cmp);
        for p in [&left, &right] {
            for (a, b) in p.columns.iter().zip(&left.columns) {
                prop_assert_eq!(&a.distinct, &b.distinct);
                prop_assert_eq!(&a.exact_counts, &b.exact_counts);
                prop_assert_eq!(a.count, b.count);
            }
            let kll = &p.columns[0].numeric.as_ref().expect("numeric").quantiles;
            for q in [0.05, 0.25, 0.5, 0.75, 0.95] {
                let v = kll.quantile(q).expect("q");
                let hi = true_rank(&all, v);
                let lo = all.partition_point(|&a| a < v) as f64 / all.len() as f64;
                prop_assert!(q >= lo - kll.rank_error() && q <= hi + kll.rank_error());
            }
        }
    }
}
