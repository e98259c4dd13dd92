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

/// Turns one pass's histogram into its exclusive prefix sums (the first slot of each
/// digit), in place.
fn to_offsets<const R: usize>(counts: &mut [u32; R]) {
    let mut acc = 0u32;
    for c in counts.iter_mut() {
        let n = *c;
        *c = acc;
        acc = acc.wrapping_add(n);
    }
}

/// A zeroed table on the heap (not built on the stack first: 256 KiB for 16-bit digits).
fn zeroed<const R: usize>() -> Box<[u32; R]> {
    match vec![0u32; R].into_boxed_slice().try_into() {
        Ok(b) => b,
        Err(_) => unreachable!("the vector has R elements"),
    }
}

/// Sorts `v` ascending. Small inputs use the standard sort; large ones an LSD radix sort
/// on the order-preserving keys, skipping digits that are constant across the input:
/// 11-bit digits (up to 6 passes) below 65,536 values, 16-bit digits (up to 4 passes)
/// above, where the fewer passes outweigh the larger tables (measured on the drift
/// benchmark's columns). The first pass reads the floats and the last writes them back,
/// so no separate conversion passes are made.
pub fn sort_f64(v: &mut [f64]) {
    let n = v.len();
    if n < 4096 || u32::try_from(n).is_err() {
        v.sort_unstable_by(f64::total_cmp);
        return;
    }
    if n < 1 << 16 {
        radix_sort::<{ 1 << 11 }, 6>(v);
    } else {
        radix_sort::<{ 1 << 16 }, 4>(v);
    }
}

/// The radix sort with `R`-bucket digits (`R` a power of two) and `PASSES` digits that
/// cover the 64-bit key. `v.len()` fits in `u32`.
fn radix_sort<const R: usize, const PASSES: usize>(v: &mut [f64]) {
    let bits = R.trailing_zeros();
    debug_assert!(R.is_power_of_two() && bits as usize * PASSES >= 64);
    #[allow(clippy::cast_possible_truncation)]
    let digit = |k: u64, pass: usize| ((k >> (bits * pass as u32)) as usize) & (R - 1);
    let mut counts: [Box<[u32; R]>; PASSES] = std::array::from_fn(|_| zeroed::<R>());
    for &x in v.iter() {
        let k = key(x);
        for (pass, c) in counts.iter_mut().enumerate() {
            // In bounds: the digit is masked to the radix.
            c[digit(k, pass)] += 1;
        }
    }
    #[allow(clippy::cast_possible_truncation)]
    let all = v.len() as u32;
    let passes: Vec<usize> = (0..PASSES).filter(|&p| !counts[p].contains(&all)).collect();
    if passes.is_empty() {
        return; // every key is the same: already sorted
    }
    SCRATCH.with(|scratch| {
        let mut buf = scratch.borrow_mut();
        scatter(v, &mut counts, &passes, digit, &mut buf);
        // Keep the buffer for the next column unless it is unusually large.
        if buf.capacity() > MAX_KEPT {
            *buf = Vec::new();
        }
    });
}

thread_local! {
    /// Per-thread scratch buffer of the radix sort, reused across columns: a fresh buffer
    /// of this size costs page faults and zeroing by the kernel on every sort.
    static SCRATCH: std::cell::RefCell<Vec<u64>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Largest scratch buffer kept between sorts (elements): 64 MiB.
const MAX_KEPT: usize = 8 << 20;

/// The scatter passes, alternating between `v` (holding keys as `f64` bit patterns
/// between passes) and one scratch buffer: the first pass reads floats, the last writes
/// floats. With an odd number of passes the last one lands in the scratch buffer and the
/// floats are copied back.
fn scatter<const R: usize>(
    v: &mut [f64],
    counts: &mut [Box<[u32; R]>],
    passes: &[usize],
    digit: impl Fn(u64, usize) -> usize,
    buf: &mut Vec<u64>,
) {
    let n = v.len();
    // Grown only: the scratch is overwritten before it is read, so zeroing it again for
    // every column would be wasted work.
    if buf.len() < n {
        buf.resize(n, 0);
    }
    let buf = &mut buf[..n];
    let last = passes.len() - 1;
    for (i, &pass) in passes.iter().enumerate() {
        let o = &mut *counts[pass];
        to_offsets(o);
        let d = |k: u64| digit(k, pass);
        // Even steps read `v` and write the scratch; odd steps the other way round.
        match (i % 2 == 0, i == 0, i == last) {
            (true, true, _) => scatter_pass(v, buf, o, d, key, |k| k),
            (true, false, _) => scatter_pass(v, buf, o, d, f64::to_bits, |k| k),
            (false, _, false) => scatter_pass(buf, v, o, d, |k| k, f64::from_bits),
            (false, _, true) => scatter_pass(buf, v, o, d, |k| k, unkey),
        }
    }
    if last % 2 == 0 {
        for (dst, &k) in v.iter_mut().zip(buf.iter()) {
            *dst = unkey(k);
        }
    }
}

/// One scatter pass from `src` to `dst` by the digit `d` of each key, starting from the
/// offsets `o`.
#[inline(always)]
fn scatter_pass<const R: usize, S: Copy, D>(
    src: &[S],
    dst: &mut [D],
    o: &mut [u32; R],
    d: impl Fn(u64) -> usize,
    to_key: impl Fn(S) -> u64,
    from_key: impl Fn(u64) -> D,
) {
    for &x in src {
        let k = to_key(x);
        let slot = &mut o[d(k)];
        if let Some(out) = dst.get_mut(*slot as usize) {
            *out = from_key(k);
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
    fn wide_digits_sort_with_any_number_of_passes() {
        // 70,000 values: the 16-bit-digit path. Full-range keys take 4 passes, integers
        // below 2^36 three (the low digit is constant), small integers one: odd counts end
        // in the scratch buffer and are copied back.
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let n = 70_000;
        let patterns: [&dyn Fn(u64) -> f64; 4] = [
            &|r| f64::from_bits(r) % 1e300,
            &|r| (r >> 28) as f64 * if r & 1 == 0 { 1.0 } else { -1.0 },
            &|r| (r % 5) as f64,
            &|r| ((r % 2001) as f64 - 1000.0) / 8.0,
        ];
        for (i, f) in patterns.iter().enumerate() {
            let mut v: Vec<f64> = (0..n).map(|_| f(next())).filter(|x| !x.is_nan()).collect();
            assert!(v.len() > 65_536, "pattern {i}");
            let mut expected = v.clone();
            expected.sort_by(f64::total_cmp);
            sort_f64(&mut v);
            assert!(
                v.iter()
                    .zip(&expected)
                    .all(|(a, b)| a.to_bits() == b.to_bits()),
                "pattern {i}"
            );
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
