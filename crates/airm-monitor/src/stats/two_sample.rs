//! Two-sample drift statistics on sorted numeric samples (KS, Wasserstein, PSI bins) and on
//! count vectors over shared bins or categories (PSI, chi-squared, Jensen–Shannon).
//!
//! Conventions follow NumPy/SciPy so results can be checked against them: quantiles are
//! NumPy's default linear interpolation, `chi2_contingency` applies Yates' correction only
//! when dof = 1, `jensenshannon` normalises the count vectors first. Callers pass sorted,
//! NaN-free slices; none of these functions allocate more than the bin vectors.

use super::special::chi2_sf;

/// Smallest proportion used in PSI (no renormalisation after clipping).
pub const PSI_EPSILON: f64 = 1e-4;

/// Compensated (Neumaier) sum, accurate to a few ulps whatever the order.
pub fn accurate_sum(values: impl IntoIterator<Item = f64>) -> f64 {
    let mut sum = 0.0f64;
    let mut c = 0.0f64;
    for v in values {
        let t = sum + v;
        if sum.abs() >= v.abs() {
            c += (sum - t) + v;
        } else {
            c += (v - t) + sum;
        }
        sum = t;
    }
    sum + c
}

/// The `q`-quantile (0 ≤ q ≤ 1) of a sorted sample, NumPy's default ("linear") method.
pub fn quantile_linear(sorted: &[f64], q: f64) -> Option<f64> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    #[allow(clippy::cast_precision_loss)]
    let virtual_index = (n - 1) as f64 * q;
    #[allow(clippy::cast_precision_loss)]
    if virtual_index >= (n - 1) as f64 {
        return sorted.last().copied();
    }
    if virtual_index <= 0.0 {
        return sorted.first().copied();
    }
    let prev = virtual_index.floor();
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let i = prev as usize;
    let t = virtual_index - prev;
    let a = *sorted.get(i)?;
    let b = *sorted.get(i + 1)?;
    let diff = b - a;
    Some(if t >= 0.5 {
        b - diff * (1.0 - t)
    } else {
        a + diff * t
    })
}

/// Inner PSI bin edges: the reference deciles (linear interpolation), duplicates removed.
/// Outer edges are ±∞ and implicit.
pub fn decile_edges(sorted_ref: &[f64]) -> Vec<f64> {
    let mut edges: Vec<f64> = (1..10)
        .filter_map(|i| quantile_linear(sorted_ref, f64::from(i) / 10.0))
        .collect();
    edges.dedup();
    edges
}

/// Counts of a sorted sample in the bins `(-∞, e0), [e0, e1), …, [e_last, ∞)`: a value equal
/// to an edge goes to the upper bin.
pub fn bin_counts(sorted: &[f64], edges: &[f64]) -> Vec<u64> {
    let mut counts = Vec::with_capacity(edges.len() + 1);
    let mut prev = 0usize;
    for &e in edges {
        let below = sorted.partition_point(|&v| v < e);
        counts.push((below - prev) as u64);
        prev = below;
    }
    counts.push((sorted.len() - prev) as u64);
    counts
}

fn proportions(counts: &[u64]) -> Vec<f64> {
    let total: u64 = counts.iter().sum();
    #[allow(clippy::cast_precision_loss)]
    let t = total as f64;
    #[allow(clippy::cast_precision_loss)]
    counts
        .iter()
        .map(|&c| if total == 0 { 0.0 } else { c as f64 / t })
        .collect()
}

/// Population stability index over shared bins: `Σ (c − r) ln(c / r)` with both
/// proportions clipped below at [`PSI_EPSILON`].
pub fn psi(ref_counts: &[u64], cur_counts: &[u64]) -> f64 {
    let r = proportions(ref_counts);
    let c = proportions(cur_counts);
    accurate_sum(r.iter().zip(&c).map(|(&r, &c)| {
        let r = r.max(PSI_EPSILON);
        let c = c.max(PSI_EPSILON);
        (c - r) * (c / r).ln()
    }))
}

/// Jensen–Shannon distance between two count vectors over the same bins, in natural log
/// (`base = None`) or the given base; 0 for identical distributions.
pub fn js_distance(a: &[u64], b: &[u64], base: Option<f64>) -> f64 {
    let p = proportions(a);
    let q = proportions(b);
    let rel_entr = |x: f64, y: f64| {
        if x > 0.0 && y > 0.0 {
            x * (x / y).ln()
        } else {
            0.0
        }
    };
    let mut left = Vec::with_capacity(p.len());
    let mut right = Vec::with_capacity(p.len());
    for (&x, &y) in p.iter().zip(&q) {
        let m = (x + y) / 2.0;
        left.push(rel_entr(x, m));
        right.push(rel_entr(y, m));
    }
    let mut js = accurate_sum(left) + accurate_sum(right);
    if let Some(b) = base {
        js /= b.ln();
    }
    (js / 2.0).max(0.0).sqrt()
}

/// Result of a chi-squared test of homogeneity on the 2×K table.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Chi2 {
    pub statistic: f64,
    pub pvalue: f64,
    pub dof: u64,
}

/// `scipy.stats.chi2_contingency` on the 2×K table `[a; b]`. Columns empty in both rows
/// are dropped first (SciPy rejects a zero expected frequency); Yates' correction applies
/// only when dof = 1; dof = 0 gives statistic 0 and p-value 1. `None` when a row is empty.
pub fn chi2_contingency(a: &[u64], b: &[u64]) -> Option<Chi2> {
    let cols: Vec<(u64, u64)> = a
        .iter()
        .zip(b)
        .filter(|(x, y)| **x + **y > 0)
        .map(|(x, y)| (*x, *y))
        .collect();
    let ra: u64 = cols.iter().map(|c| c.0).sum();
    let rb: u64 = cols.iter().map(|c| c.1).sum();
    if ra == 0 || rb == 0 {
        return None;
    }
    let total = ra + rb;
    let dof = (cols.len() as u64).saturating_sub(1);
    if dof == 0 {
        return Some(Chi2 {
            statistic: 0.0,
            pvalue: 1.0,
            dof,
        });
    }
    #[allow(clippy::cast_precision_loss)]
    let expected = |row: u64, col: u64| -> f64 {
        match row.checked_mul(col) {
            Some(p) => p as f64 / total as f64,
            None => row as f64 * col as f64 / total as f64,
        }
    };
    let mut terms = Vec::with_capacity(cols.len() * 2);
    for &(x, y) in &cols {
        for (obs, row) in [(x, ra), (y, rb)] {
            let e = expected(row, x + y);
            #[allow(clippy::cast_precision_loss)]
            let mut o = obs as f64;
            if dof == 1 {
                let diff = e - o;
                o += diff.abs().min(0.5) * diff.signum() * f64::from(u8::from(diff != 0.0));
            }
            terms.push((o - e) * (o - e) / e);
        }
    }
    let statistic = accurate_sum(terms);
    #[allow(clippy::cast_precision_loss)]
    let pvalue = chi2_sf(statistic, dof as f64);
    Some(Chi2 {
        statistic,
        pvalue,
        dof,
    })
}

/// Exact two-sample KS statistic `sup |F_a − F_b|` of two sorted samples (ties handled
/// by evaluating both empirical CDFs after each distinct value).
pub fn ks_statistic(a: &[f64], b: &[f64]) -> f64 {
    if a.is_empty() || b.is_empty() {
        return f64::NAN;
    }
    #[allow(clippy::cast_precision_loss)]
    let (n1, n2) = (a.len() as f64, b.len() as f64);
    let (mut i, mut j) = (0usize, 0usize);
    let mut d = 0.0f64;
    loop {
        let v = match (a.get(i), b.get(j)) {
            (Some(&x), Some(&y)) => x.min(y),
            (Some(&x), None) => x,
            (None, Some(&y)) => y,
            (None, None) => break,
        };
        while a.get(i).is_some_and(|&x| x <= v) {
            i += 1;
        }
        while b.get(j).is_some_and(|&y| y <= v) {
            j += 1;
        }
        #[allow(clippy::cast_precision_loss)]
        let diff = i as f64 / n1 - j as f64 / n2;
        d = d.max(diff.abs());
    }
    d
}

/// 1-D Wasserstein (earth mover's) distance between two sorted samples:
/// `∫ |F_a(x) − F_b(x)| dx`.
pub fn wasserstein(a: &[f64], b: &[f64]) -> f64 {
    if a.is_empty() || b.is_empty() {
        return f64::NAN;
    }
    #[allow(clippy::cast_precision_loss)]
    let (n1, n2) = (a.len() as f64, b.len() as f64);
    let (mut i, mut j) = (0usize, 0usize);
    let mut sum = 0.0f64;
    let mut comp = 0.0f64;
    let mut prev: Option<(f64, f64)> = None; // (value, |Fa - Fb| after it)
    loop {
        let v = match (a.get(i), b.get(j)) {
            (Some(&x), Some(&y)) => x.min(y),
            (Some(&x), None) => x,
            (None, Some(&y)) => y,
            (None, None) => break,
        };
        if let Some((pv, gap)) = prev {
            let term = gap * (v - pv);
            neumaier_add(&mut sum, &mut comp, term);
        }
        while a.get(i).is_some_and(|&x| x <= v) {
            i += 1;
        }
        while b.get(j).is_some_and(|&y| y <= v) {
            j += 1;
        }
        #[allow(clippy::cast_precision_loss)]
        let gap = (i as f64 / n1 - j as f64 / n2).abs();
        prev = Some((v, gap));
    }
    sum + comp
}

/// The KS statistic and the Wasserstein distance of two sorted samples in one merge pass.
/// The KS statistic is bit for bit [`ks_statistic`]'s; the Wasserstein distance sums exact
/// integer CDF gaps, so it equals [`wasserstein`]'s up to that function's rounding (which it
/// improves on: `i/n_a − j/n_b` loses digits when the two CDFs are close). The merge takes
/// one element per step without data-dependent branches (the separate functions
/// mispredict about once per element on random data) and without a division. A step inside
/// a run of ties adds a zero-width term, and the KS maximum is taken only at the last of a
/// run of equal values. Samples made mostly of runs of ties (counts, ratings, rounded
/// values) take [`ks_and_wasserstein_runs`] instead, which gives the same bits one run at
/// a time. Falls back to the separate functions when a sample holds ±∞ or
/// `n_a·n_b > 2^50`.
pub fn ks_and_wasserstein(a: &[f64], b: &[f64]) -> (f64, f64) {
    let ends_finite = |s: &[f64]| {
        s.first().is_some_and(|x| x.is_finite()) && s.last().is_some_and(|x| x.is_finite())
    };
    if !(ends_finite(a) && ends_finite(b)) {
        return (ks_statistic(a, b), wasserstein(a, b));
    }
    let (len_a, len_b) = (a.len() as u64, b.len() as u64);
    let Some(nn) = len_a.checked_mul(len_b).filter(|&p| p <= 1 << 50) else {
        return (ks_statistic(a, b), wasserstein(a, b));
    };
    if mostly_ties(a) && mostly_ties(b) {
        ks_and_wasserstein_runs(a, b, nn)
    } else {
        ks_and_wasserstein_steps(a, b, nn)
    }
}

/// [`ks_and_wasserstein`] one value at a time (`nn = n_a·n_b ≤ 2^50`; finite samples).
fn ks_and_wasserstein_steps(a: &[f64], b: &[f64], nn: u64) -> (f64, f64) {
    let (len_a, len_b) = (a.len() as u64, b.len() as u64);
    let mut i = 0u64;
    let mut m = Merge::new(len_a, len_b, a[0].min(b[0]));
    let at = |s: &[f64], i: u64| {
        usize::try_from(i)
            .ok()
            .and_then(|i| s.get(i))
            .copied()
            .unwrap_or(f64::INFINITY)
    };
    // The heads of both samples; past the end of a sample, +∞ stands for "nothing left"
    // (the samples are finite). Each step loads the two new heads once.
    // No NaN here, so a comparison and a select give the minimum (`f64::min` adds NaN
    // handling); after `step` steps, `j = step − i`.
    let lower = |x: f64, y: f64| if x < y { x } else { y };
    let (mut x, mut y) = (at(a, 0), at(b, 0));
    for step in 1..=len_a + len_b {
        let take_a = u64::from(x <= y);
        let v = lower(x, y);
        m.area_to(v);
        i += take_a;
        let j = step - i;
        x = at(a, i);
        y = at(b, j);
        // The KS maximum is taken where a run of equal values ends.
        m.counts(i, j, lower(x, y) > v);
    }
    m.finish(nn)
}

/// The running state of a merge of two sorted samples: the Wasserstein integral (Neumaier
/// sum of `gap · Δvalue`) and the KS maximum over the CDF gaps. The gap is kept in units
/// of `1/(n_a·n_b)`, `|i·n_b − j·n_a|`, an exact integer, so a step needs no division.
/// Below 2^50 two different gaps differ by more than the rounding of `i/n_a − j/n_b`, so the
/// largest integer gap is where the float statistic peaks too; ties between equal integer
/// gaps are resolved in floating point.
struct Merge {
    len_a: u64,
    len_b: u64,
    n1: f64,
    n2: f64,
    g_max: u64,
    d: f64,
    sum: f64,
    comp: f64,
    gap: f64,
    prev: f64,
}

impl Merge {
    /// Before the first value (`first`, the smaller head).
    fn new(len_a: u64, len_b: u64, first: f64) -> Merge {
        #[allow(clippy::cast_precision_loss)]
        let (n1, n2) = (len_a as f64, len_b as f64);
        Merge {
            len_a,
            len_b,
            n1,
            n2,
            g_max: 0,
            d: 0.0,
            sum: 0.0,
            comp: 0.0,
            gap: 0.0,
            prev: first,
        }
    }

    /// Adds the area between the CDFs from the previous value to `v`.
    #[inline(always)]
    fn area_to(&mut self, v: f64) {
        neumaier_add(&mut self.sum, &mut self.comp, self.gap * (v - self.prev));
        self.prev = v;
    }

    /// `i` values of `a` and `j` of `b` are now behind: the new gap, and the KS maximum
    /// when `at_run_end`.
    #[inline(always)]
    fn counts(&mut self, i: u64, j: u64, at_run_end: bool) {
        let g = (i * self.len_b).abs_diff(j * self.len_a);
        self.gap = len_f64_u64(g);
        if g >= self.g_max && at_run_end {
            self.g_max = g;
            #[allow(clippy::cast_precision_loss)]
            let diff = i as f64 / self.n1 - j as f64 / self.n2;
            self.d = self.d.max(diff.abs());
        }
    }

    /// The KS statistic and the Wasserstein distance (`nn = n_a·n_b`).
    fn finish(self, nn: u64) -> (f64, f64) {
        (self.d, (self.sum + self.comp) / len_f64_u64(nn))
    }
}

/// Adds `term` to `sum` with Neumaier's compensation kept in `comp` (the total is
/// `sum + comp`): the Wasserstein integral of long samples stays exact to rounding.
#[inline(always)]
fn neumaier_add(sum: &mut f64, comp: &mut f64, term: f64) {
    let t = *sum + term;
    if sum.abs() >= term.abs() {
        *comp += (*sum - t) + term;
    } else {
        *comp += (term - t) + *sum;
    }
    *sum = t;
}

/// Whether most neighbours in a sorted sample are equal: at least 7 in 8 of 64 evenly
/// spaced pairs (runs of about eight values or more, on average).
fn mostly_ties(s: &[f64]) -> bool {
    let Some(last) = s.len().checked_sub(1).filter(|&l| l >= 64) else {
        return false;
    };
    let ties = (0..64)
        .filter(|t| {
            let p = t * last / 64;
            s.get(p) == s.get(p + 1)
        })
        .count();
    ties >= 56
}

/// The end of the run of `v` starting at `s[from]` in a sorted sample: the first index at
/// or after `from` whose value exceeds `v`, by galloping (doubling steps, then a binary
/// search), so a run of `r` values costs about `2·log2 r` comparisons.
fn run_end(s: &[f64], from: usize, v: f64) -> usize {
    let rest = s.get(from..).unwrap_or_default();
    // `rest[..known]` is ≤ v; the next probe is `step` values further on.
    let (mut known, mut step) = (0usize, 1usize);
    loop {
        let probe = known + step - 1;
        match rest.get(probe) {
            Some(&x) if x <= v => {
                known = probe + 1;
                step *= 2;
            }
            _ => {
                let hi = probe.min(rest.len());
                let tail = rest.get(known..hi).unwrap_or_default();
                return from + known + tail.partition_point(|&x| x <= v);
            }
        }
    }
}

/// [`ks_and_wasserstein`] one run of equal values at a time, for samples made mostly of
/// long runs. Bit for bit the per-value merge: a run's first step adds the only non-zero
/// Wasserstein term (its other steps add `+0.0`, which leaves Neumaier's sum and
/// compensation as they are: both stay ≥ +0.0 and are never −0.0), and the KS maximum is
/// only taken at a run's end anyway. `nn = n_a·n_b ≤ 2^50`; both samples are finite.
fn ks_and_wasserstein_runs(a: &[f64], b: &[f64], nn: u64) -> (f64, f64) {
    let (len_a, len_b) = (a.len() as u64, b.len() as u64);
    let (mut i, mut j) = (0usize, 0usize);
    let Some(first) = a.first().zip(b.first()).map(|(x, y)| x.min(*y)) else {
        return (f64::NAN, f64::NAN);
    };
    let mut m = Merge::new(len_a, len_b, first);
    loop {
        let v = match (a.get(i), b.get(j)) {
            (Some(&x), Some(&y)) => {
                if x < y {
                    x
                } else {
                    y
                }
            }
            (Some(&x), None) => x,
            (None, Some(&y)) => y,
            (None, None) => break,
        };
        m.area_to(v);
        i = run_end(a, i, v);
        j = run_end(b, j, v);
        m.counts(i as u64, j as u64, true);
    }
    m.finish(nn)
}

/// A count as `f64` through the signed conversion, which is one instruction on x86-64 and
/// equal to the unsigned one for counts below 2^63.
#[allow(clippy::cast_possible_wrap, clippy::cast_precision_loss)]
fn len_f64_u64(n: u64) -> f64 {
    n as i64 as f64
}

/// Population standard deviation (ddof = 0), as `numpy.std`.
pub fn std_population(values: &[f64]) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    #[allow(clippy::cast_precision_loss)]
    let n = values.len() as f64;
    let mean = accurate_sum(values.iter().copied()) / n;
    let var = accurate_sum(values.iter().map(|&x| (x - mean) * (x - mean))) / n;
    var.sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::sort::sort_f64;
    use proptest::prelude::*;

    fn sorted(mut v: Vec<f64>) -> Vec<f64> {
        sort_f64(&mut v);
        v
    }

    #[test]
    fn quantiles_interpolate_like_numpy() {
        let s = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(quantile_linear(&s, 0.5), Some(2.5));
        assert_eq!(quantile_linear(&s, 0.0), Some(1.0));
        assert_eq!(quantile_linear(&s, 1.0), Some(4.0));
        assert_eq!(quantile_linear(&[], 0.5), None);
    }

    #[test]
    fn edge_values_go_to_the_upper_bin() {
        assert_eq!(bin_counts(&[1.0, 2.0, 2.0, 3.0], &[2.0]), vec![1, 3]);
    }

    #[test]
    fn chi2_without_columns_or_rows() {
        assert_eq!(chi2_contingency(&[0, 0], &[1, 2]), None);
        let c = chi2_contingency(&[5, 0], &[7, 0]).expect("table");
        assert_eq!((c.statistic, c.pvalue, c.dof), (0.0, 1.0, 0));
    }

    proptest! {
        #[test]
        fn fused_ks_wasserstein_equals_the_separate_functions(a in proptest::collection::vec(-50i32..50, 1..300), b in proptest::collection::vec(-50i32..50, 1..300), scale in prop_oneof![Just(1.0f64), Just(0.37), Just(1e-3)]) {
            let a = sorted(a.into_iter().map(|x| f64::from(x) * scale).collect());
            let b = sorted(b.into_iter().map(|x| f64::from(x) * scale).collect());
            let (d, w) = ks_and_wasserstein(&a, &b);
            prop_assert_eq!(d.to_bits(), ks_statistic(&a, &b).to_bits());
            let w0 = wasserstein(&a, &b);
            prop_assert!((w - w0).abs() <= 1e-12 * w0.abs(), "{} vs {}", w, w0);
        }

        #[test]
        fn runs_of_ties_give_the_bits_of_the_per_value_merge(a in proptest::collection::vec(-6i32..6, 1..400), b in proptest::collection::vec(-8i32..5, 1..400), scale in prop_oneof![Just(1.0f64), Just(0.37), Just(1e-3)], spread in prop_oneof![Just(1i32), Just(1000)]) {
            // Few distinct values (long runs: the run path is taken) or many (short runs).
            let a = sorted(a.into_iter().enumerate().map(|(k, x)| f64::from(x * spread + (k as i32 % spread)) * scale).collect());
            let b = sorted(b.into_iter().enumerate().map(|(k, x)| f64::from(x * spread + (k as i32 % spread)) * scale).collect());
            let nn = a.len() as u64 * b.len() as u64;
            let (d0, w0) = ks_and_wasserstein_steps(&a, &b, nn);
            let (d1, w1) = ks_and_wasserstein_runs(&a, &b, nn);
            prop_assert_eq!((d0.to_bits(), w0.to_bits()), (d1.to_bits(), w1.to_bits()));
            let (d, w) = ks_and_wasserstein(&a, &b);
            prop_assert_eq!((d.to_bits(), w.to_bits()), (d0.to_bits(), w0.to_bits()));
        }

        #[test]
        fn ks_is_symmetric_and_bounded(a in proptest::collection::vec(-100i32..100, 1..200), b in proptest::collection::vec(-100i32..100, 1..200)) {
            let a = sorted(a.into_iter().map(f64::from).collect());
            let b = sorted(b.into_iter().map(f64::from).collect());
            let d = ks_statistic(&a, &b);
            prop_assert!((0.0..=1.0).contains(&d));
            prop_assert_eq!(d, ks_statistic(&b, &a));
            prop_assert_eq!(ks_statistic(&a, &a), 0.0);
        }

        #[test]
        fn psi_is_nonnegative_and_zero_on_identical(a in proptest::collection::vec(0u64..1000, 1..20), b in proptest::collection::vec(0u64..1000, 1..20)) {
            let k = a.len().min(b.len());
            let (a, b) = (&a[..k], &b[..k]);
            prop_assert!(psi(a, b) >= 0.0);
            prop_assert_eq!(psi(a, a), 0.0);
            let js = js_distance(a, b, Some(2.0));
            prop_assert!((0.0..=1.0 + 1e-12).contains(&js) || a.iter().sum::<u64>() == 0 || b.iter().sum::<u64>() == 0);
        }

        #[test]
        fn wasserstein_is_symmetric_and_shift_equivariant(a in proptest::collection::vec(-1000i32..1000, 1..100), b in proptest::collection::vec(-1000i32..1000, 1..100), shift in -50i32..50) {
            let a = sorted(a.into_iter().map(f64::from).collect());
            let b = sorted(b.into_iter().map(f64::from).collect());
            let w = wasserstein(&a, &b);
            prop_assert!(w >= 0.0);
            prop_assert!((w - wasserstein(&b, &a)).abs() <= 1e-9 * (1.0 + w));
            let shifted: Vec<f64> = a.iter().map(|x| x + f64::from(shift)).collect();
            prop_assert!((wasserstein(&a, &shifted) - f64::from(shift.abs())).abs() < 1e-9);
        }

        #[test]
        fn kolmogorov_sf_is_a_probability(n in 1u64..5000, d in 0.0f64..1.0) {
            let sf = crate::stats::kolmogn_sf(n, d);
            let cdf = crate::stats::kolmogn_cdf(n, d);
            prop_assert!((0.0..=1.0).contains(&sf));
            // Not exactly 1: like SciPy, the tail and the body may use different
            // approximations near the switch-over points (e.g. n·d² = 2.2 for n > 140).
            prop_assert!((sf + cdf - 1.0).abs() < 1e-4);
        }
    }
}
