//! Sorting of `f64` samples by an LSD radix sort on order-preserving integer keys: the drift
//! report sorts every numeric column once (millions of values) and reuses the sorted arrays
//! for KS, the PSI edges and Wasserstein, so this is the hot path after parsing.
//!
//! Inputs must be free of NaN (the readers count NaN as missing); `-0.0` sorts before
//! `+0.0`, which no statistic here can tell apart.

/// Order-preserving map from `f64` bits to `u64`.
fn key(x: f64) -> u64 {
    let b = x.to_bits();
    if b >> 63 == 1 {
        !b
    } else {
        b ^ (1 << 63)
    }
}

fn unkey(k: u64) -> f64 {
    let b = if k >> 63 == 1 { k ^ (1 << 63) } else { !k };
    f64::from_bits(b)
}

const BITS: u32 = 11;
const RADIX: usize = 1 << BITS;
const PASSES: usize = 6;

#[allow(clippy::cast_possible_truncation)]
#[inline]
fn digit(k: u64, pass: usize) -> usize {
    ((k >> (BITS * pass as u32)) as usize) & (RADIX - 1)
}

/// Exclusive prefix sums of one pass's histogram.
fn offsets(counts: &[u32; RADIX]) -> Box<[usize; RADIX]> {
    let mut o = Box::new([0usize; RADIX]);
    let mut acc = 0usize;
    for (o, &c) in o.iter_mut().zip(counts.iter()) {
        *o = acc;
        acc += c as usize;
    }
    o
}

/// Sorts `v` ascending. Small inputs use the standard sort; large ones an 11-bit-digit
/// LSD radix sort on the order-preserving keys (up to 6 passes, skipping digits that are
/// constant across the input). The first pass reads the floats and the last writes them
/// back, so no separate conversion passes are made.
pub fn sort_f64(v: &mut [f64]) {
    let n = v.len();
    if n < 4096 || u32::try_from(n).is_err() {
        v.sort_unstable_by(f64::total_cmp);
        return;
    }
    let mut counts = vec![[0u32; RADIX]; PASSES];
    for &x in v.iter() {
        let k = key(x);
        for (pass, c) in counts.iter_mut().enumerate() {
            // In bounds: the digit is masked to the radix.
            c[digit(k, pass)] += 1;
        }
    }
    #[allow(clippy::cast_possible_truncation)]
    let all = n as u32;
    let passes: Vec<usize> = (0..PASSES).filter(|&p| !counts[p].contains(&all)).collect();
    let (Some(&first), Some(&last)) = (passes.first(), passes.last()) else {
        return; // every key is the same: already sorted
    };
    SCRATCH.with(|scratch| {
        let mut scratch = scratch.borrow_mut();
        let (buf, keys) = &mut *scratch;
        scatter(v, &counts, &passes, first, last, buf, keys);
        // Keep the buffers for the next column unless they are unusually large.
        if buf.capacity() > MAX_KEPT {
            *buf = Vec::new();
            *keys = Vec::new();
        }
    });
}

thread_local! {
    /// Per-thread scratch buffers of the radix sort, reused across columns: fresh buffers
    /// of this size cost page faults and zeroing by the kernel on every sort.
    static SCRATCH: std::cell::RefCell<(Vec<u64>, Vec<u64>)> =
        const { std::cell::RefCell::new((Vec::new(), Vec::new())) };
}

/// Largest scratch buffer kept between sorts (elements): 64 MiB.
const MAX_KEPT: usize = 8 << 20;

fn scatter(
    v: &mut [f64],
    counts: &[[u32; RADIX]],
    passes: &[usize],
    first: usize,
    last: usize,
    buf: &mut Vec<u64>,
    keys: &mut Vec<u64>,
) {
    let n = v.len();
    // Grown only: the scratch is overwritten before it is read, so zeroing it again for
    // every column would be wasted work.
    if buf.len() < n {
        buf.resize(n, 0);
    }
    let buf = &mut buf[..n];
    let mut o = offsets(&counts[first]);
    for &x in v.iter() {
        let k = key(x);
        let slot = &mut o[digit(k, first)];
        if let Some(b) = buf.get_mut(*slot) {
            *b = k;
        }
        *slot += 1;
    }
    if first == last {
        for (dst, &k) in v.iter_mut().zip(buf.iter()) {
            *dst = unkey(k);
        }
        return;
    }
    if keys.len() < n {
        keys.resize(n, 0);
    }
    let mut buf = buf;
    let mut keys = &mut keys[..n];
    for &pass in &passes[1..passes.len() - 1] {
        let mut o = offsets(&counts[pass]);
        for &k in buf.iter() {
            let slot = &mut o[digit(k, pass)];
            if let Some(b) = keys.get_mut(*slot) {
                *b = k;
            }
            *slot += 1;
        }
        std::mem::swap(&mut keys, &mut buf);
    }
    let mut o = offsets(&counts[last]);
    for &k in buf.iter() {
        let slot = &mut o[digit(k, last)];
        if let Some(dst) = v.get_mut(*slot) {
            *dst = unkey(k);
        }
        *slot += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn radix_sort_matches_std(mut v in proptest::collection::vec(-1e300f64..1e300, 0..6000), small in proptest::collection::vec(-3i32..3, 0..6000)) {
            v.extend(small.into_iter().map(f64::from));
            // Large enough for the radix path, with one digit varying only.
            let ints: Vec<f64> = (0..5000).map(|i| f64::from(i % 5)).collect();
            let mut sorted_ints = ints.clone();
            sort_f64(&mut sorted_ints);
            prop_assert!(sorted_ints.windows(2).all(|w| w[0] <= w[1]));
            let mut expected = v.clone();
            expected.sort_by(f64::total_cmp);
            sort_f64(&mut v);
            prop_assert_eq!(v, expected);
        }
    }

    #[test]
    fn sorts_infinities_and_signs() {
        let mut v: Vec<f64> = (0..5000).map(|i| f64::from(i % 7) - 3.5).collect();
        v.push(f64::INFINITY);
        v.push(f64::NEG_INFINITY);
        v.push(-0.0);
        sort_f64(&mut v);
        assert!(v.windows(2).all(|w| w[0] <= w[1]));
        assert_eq!(v[0], f64::NEG_INFINITY);
        assert_eq!(v[v.len() - 1], f64::INFINITY);
    }
}
