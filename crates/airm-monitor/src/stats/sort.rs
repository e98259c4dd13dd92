//! Sorting of `f64` samples by a radix sort on order-preserving integer keys: the drift
//! report sorts every numeric column once (millions of values) and reuses the sorted arrays
//! for KS, the PSI edges and Wasserstein, so this is the hot path after parsing.
//!
//! Inputs must be free of NaN (the readers count NaN as missing); `-0.0` sorts before
//! `+0.0`, which no statistic here can tell apart. Equal keys are equal bit patterns, so
//! the output does not depend on the algorithm.

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

/// Buckets of at most this many keys are left to an insertion sort.
const SMALL_BUCKET: usize = 24;

/// Widest digit: 2^16 buckets.
const MAX_DIGIT_BITS: u32 = 16;

/// Largest key buffers kept between sorts (elements each): 64 MiB.
const MAX_KEPT: usize = 8 << 20;

thread_local! {
    /// Per-thread buffers of the sort, reused across columns: the keys, one bucket's keys
    /// and one digit table (fresh buffers for every column cost page faults and zeroing).
    static SCRATCH: std::cell::RefCell<(Vec<u64>, Vec<u64>, Vec<u32>)> =
        const { std::cell::RefCell::new((Vec::new(), Vec::new(), Vec::new())) };
}

/// Digit bits for `m` keys: about one bucket per key, at most [`MAX_DIGIT_BITS`].
fn digit_bits(m: usize) -> u32 {
    (usize::BITS - m.saturating_sub(1).leading_zeros()).clamp(1, MAX_DIGIT_BITS)
}

/// Sorts `v` ascending. Small inputs use the standard sort; large ones a most significant
/// digit first radix sort on the keys. Key bits that are the same in every value are
/// skipped, so the first digit starts at the highest bit that varies: it splits the input
/// into buckets that usually fit in the L2 cache, and each large bucket is then sorted on
/// its own by digits sized to it, down to buckets of at most [`SMALL_BUCKET`] keys that an
/// insertion sort finishes. The keys are thus moved about twice in memory, the rest in
/// cache (an LSD sort with 16-bit digits moves every key four times through 2^16 scattered
/// write positions: twice as slow on the drift benchmark's columns). When the first digit
/// holds every varying bit, its counts are the sorted sample and nothing is moved.
pub fn sort_f64(v: &mut [f64]) {
    let n = v.len();
    if n < 4096 || u32::try_from(n).is_err() {
        v.sort_unstable_by(f64::total_cmp);
        return;
    }
    let (or, and) = v.iter().fold((0u64, u64::MAX), |(o, a), &x| {
        let k = key(x);
        (o | k, a & k)
    });
    let varying = or ^ and;
    if varying == 0 {
        return; // every key is the same
    }
    let top = u64::BITS - varying.leading_zeros();
    let low = varying.trailing_zeros();
    let bits = digit_bits(n);
    let shift = top.saturating_sub(bits);
    let mask = (1usize << bits) - 1;
    #[allow(clippy::cast_possible_truncation)]
    let digit = |k: u64| (k >> shift) as usize & mask;
    SCRATCH.with(|scratch| {
        let mut guard = scratch.borrow_mut();
        let (buf_a, buf_b, table) = &mut *guard;
        if table.len() < 1 << MAX_DIGIT_BITS {
            table.resize(1 << MAX_DIGIT_BITS, 0);
        }
        let counts = &mut table[..=mask];
        counts.fill(0);
        for &x in v.iter() {
            // In bounds: the digit is masked.
            counts[digit(key(x))] += 1;
        }
        if shift <= low {
            // Every varying bit is in the digit: the counts are the sorted sample.
            let fixed = and & !((mask as u64) << shift);
            let mut start = 0usize;
            for (d, &c) in counts.iter().enumerate() {
                let end = start + c as usize;
                if let Some(run) = v.get_mut(start..end) {
                    run.fill(unkey(fixed | (d as u64) << shift));
                }
                start = end;
            }
            return;
        }
        // Grown only: the buffers are overwritten before they are read. The second one
        // only ever holds one bucket.
        let largest = counts.iter().max().map_or(0, |&c| c as usize);
        for (buf, len) in [(&mut *buf_a, n), (&mut *buf_b, largest)] {
            if buf.len() < len {
                buf.resize(len, 0);
            }
        }
        let (a, b) = (&mut buf_a[..n], &mut buf_b[..largest]);
        to_offsets(counts);
        for &x in v.iter() {
            let k = key(x);
            let slot = &mut counts[digit(k)];
            if let Some(out) = a.get_mut(*slot as usize) {
                *out = k;
            }
            *slot += 1;
        }
        // `counts[d]` is now the end of bucket `d`. Each large bucket is sorted on its own
        // (in cache) and written back as floats; each run of small buckets between them
        // is finished by one insertion sort.
        let ends: Vec<u32> = counts.iter().copied().filter(|&e| e > 0).collect();
        let (mut start, mut pending) = (0usize, 0usize);
        for end in ends {
            let end = end as usize;
            if end - start > SMALL_BUCKET {
                insertion_sort(&mut a[pending..start]);
                write_floats(&mut v[pending..start], &a[pending..start]);
                let b = &mut b[..end - start];
                sort_keys_into(&mut a[start..end], b, shift, low, table);
                write_floats(&mut v[start..end], b);
                pending = end;
            }
            start = end;
        }
        insertion_sort(&mut a[pending..]);
        write_floats(&mut v[pending..], &a[pending..]);
        // Keep the buffers for the next column unless they are unusually large.
        for buf in [buf_a, buf_b] {
            if buf.len() > MAX_KEPT {
                *buf = Vec::new();
            }
        }
    });
}

fn write_floats(v: &mut [f64], keys: &[u64]) {
    for (x, &k) in v.iter_mut().zip(keys) {
        *x = unkey(k);
    }
}

/// Turns a digit table into its exclusive prefix sums (the first slot of each digit), in
/// place.
fn to_offsets(counts: &mut [u32]) {
    let mut acc = 0u32;
    for c in counts.iter_mut() {
        let n = *c;
        *c = acc;
        acc = acc.wrapping_add(n);
    }
}

/// Sorts the keys of `src`, which agree on every bit at and above `shift`, into `dst` of
/// the same length, using `src` as scratch. Bits below `low` are the same in every key;
/// `table` holds at least 2^[`MAX_DIGIT_BITS`] entries. Each level takes a digit of about
/// log2 of the bucket's size, so most sub-buckets hold zero to two keys; sub-buckets that
/// are still large recurse (at most 64 bits deep), and one insertion sort over `dst`
/// finishes the rest.
fn sort_keys_into(src: &mut [u64], dst: &mut [u64], mut shift: u32, low: u32, table: &mut [u32]) {
    let m = src.len();
    loop {
        if m <= SMALL_BUCKET || shift <= low {
            dst.copy_from_slice(src);
            insertion_sort(dst);
            return;
        }
        let bits = digit_bits(m).min(shift - low);
        let down = shift - bits;
        let mask = (1usize << bits) - 1;
        #[allow(clippy::cast_possible_truncation)]
        let digit = |k: u64| (k >> down) as usize & mask;
        let counts = &mut table[..=mask];
        counts.fill(0);
        for &k in src.iter() {
            counts[digit(k)] += 1;
        }
        #[allow(clippy::cast_possible_truncation)]
        if counts.contains(&(m as u32)) {
            // One bucket: this digit is the same in every key.
            shift = down;
            continue;
        }
        to_offsets(counts);
        for &k in src.iter() {
            let slot = &mut counts[digit(k)];
            if let Some(out) = dst.get_mut(*slot as usize) {
                *out = k;
            }
            *slot += 1;
        }
        let mut large: Vec<(usize, usize)> = Vec::new();
        let mut start = 0usize;
        for &end in counts.iter() {
            let end = end as usize;
            if end - start > SMALL_BUCKET {
                large.push((start, end));
            }
            start = end;
        }
        for (s, e) in large {
            sort_keys_into(&mut dst[s..e], &mut src[s..e], down, low, table);
            dst[s..e].copy_from_slice(&src[s..e]);
        }
        insertion_sort(dst);
        return;
    }
}

/// Insertion sort: linear on keys that are nearly in order (here: out of order only
/// within buckets of a few keys).
fn insertion_sort(d: &mut [u64]) {
    for i in 1..d.len() {
        let x = d[i];
        if x < d[i - 1] {
            let mut j = i;
            while j > 0 && d[j - 1] > x {
                d[j] = d[j - 1];
                j -= 1;
            }
            d[j] = x;
        }
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
            let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            prop_assert_eq!(bits(&v), bits(&expected));
        }
    }

    #[test]
    fn every_path_sorts_like_total_cmp() {
        // Patterns that take each path: full-range keys (a wide first digit, then
        // recursion), integers (few varying bits: the counting path), repeated values with
        // varying low bits only (digits skipped inside buckets), clustered values with an
        // outlier (one huge bucket split again), and signed zeros among small values.
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let patterns: [&dyn Fn(u64) -> f64; 7] = [
            &|r| f64::from_bits(r) % 1e300,
            &|r| (r >> 28) as f64 * if r & 1 == 0 { 1.0 } else { -1.0 },
            &|r| (r % 5) as f64,
            &|r| ((r % 2001) as f64 - 1000.0) / 8.0,
            &|r| f64::from_bits(1.5f64.to_bits() + (r % 40) * (1 << 20) + (r >> 60)),
            &|r| {
                if r % 100_000 == 7 {
                    1e9
                } else {
                    1.0 + (r >> 40) as f64 * 1e-18
                }
            },
            &|r| match r % 4 {
                0 => 0.0,
                1 => -0.0,
                _ => (r >> 40) as f64 * 1e-300,
            },
        ];
        for n in [4096, 5000, 70_000] {
            for (i, f) in patterns.iter().enumerate() {
                let mut v: Vec<f64> = std::iter::repeat_with(|| f(next()))
                    .filter(|x| !x.is_nan())
                    .take(n)
                    .collect();
                let mut expected = v.clone();
                expected.sort_by(f64::total_cmp);
                sort_f64(&mut v);
                assert!(
                    v.iter()
                        .zip(&expected)
                        .all(|(a, b)| a.to_bits() == b.to_bits()),
                    "pattern {i}, {n} values"
                );
            }
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
