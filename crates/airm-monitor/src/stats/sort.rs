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

/// Sorts `v` ascending. Small inputs use the standard sort; large ones an 11-bit-digit
/// radix sort (6 passes, skipping digits that are constant across the input).
pub fn sort_f64(v: &mut [f64]) {
    if v.len() < 4096 {
        v.sort_unstable_by(f64::total_cmp);
        return;
    }
    let mut keys: Vec<u64> = v.iter().map(|&x| key(x)).collect();
    let mut buf = vec![0u64; keys.len()];
    const BITS: u32 = 11;
    const RADIX: usize = 1 << BITS;
    let mut counts = vec![[0usize; RADIX]; 6];
    for &k in &keys {
        for (pass, c) in counts.iter_mut().enumerate() {
            #[allow(clippy::cast_possible_truncation)]
            let d = ((k >> (BITS * pass as u32)) as usize) & (RADIX - 1);
            c[d] += 1;
        }
    }
    let n = keys.len();
    for (pass, c) in counts.iter().enumerate() {
        if c.contains(&n) {
            continue; // every key has the same digit: the pass would not move anything
        }
        let mut offsets = [0usize; RADIX];
        let mut acc = 0;
        for (o, &cnt) in offsets.iter_mut().zip(c.iter()) {
            *o = acc;
            acc += cnt;
        }
        for &k in &keys {
            #[allow(clippy::cast_possible_truncation)]
            let d = ((k >> (BITS * pass as u32)) as usize) & (RADIX - 1);
            // In bounds: `d` is masked to the radix and the offsets sum the counts.
            let o = &mut offsets[d];
            buf[*o] = k;
            *o += 1;
        }
        std::mem::swap(&mut keys, &mut buf);
    }
    for (dst, &k) in v.iter_mut().zip(&keys) {
        *dst = unkey(k);
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
