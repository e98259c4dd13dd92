//! KLL quantile sketch (Karnin, Lang & Liberty 2016) with the 2/3 capacity decay: a stack
//! of compactors where level `h` items weigh `2^h`; a full level is sorted and every other
//! item (random offset) moves up. The normalised rank error bound used here is `3.3 / k`
//! (1.65% at the default k = 200, the 99%-confidence figure published for KLL); merging
//! sketches of shards keeps that bound.

use serde::{Deserialize, Serialize};

use super::SplitMix64;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Kll {
    pub k: u32,
    /// Items seen.
    pub n: u64,
    pub levels: Vec<Vec<f64>>,
    pub rng: SplitMix64,
}

/// Largest accepted `k` (and so a bound on a sketch's size).
pub const MAX_K: u32 = 65_536;
const MAX_LEVELS: usize = 64;

impl Kll {
    pub fn new(k: u32, seed: u64) -> Self {
        Kll {
            k: k.clamp(8, MAX_K),
            n: 0,
            levels: vec![Vec::new()],
            rng: SplitMix64(seed),
        }
    }

    /// The normalised rank error bound this implementation documents for its `k`.
    pub fn rank_error(&self) -> f64 {
        // Empirical double-sided 99% bound of KLL with c = 2/3 (≈ 1.65% at k = 200).
        3.3 / f64::from(self.k)
    }

    fn capacity(&self, h: usize) -> usize {
        let depth = self.levels.len() - h - 1;
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let c = ((2.0f64 / 3.0).powi(i32::try_from(depth).unwrap_or(i32::MAX)) * f64::from(self.k))
            .ceil() as usize;
        c.max(2) + 1
    }

    fn max_size(&self) -> usize {
        (0..self.levels.len()).map(|h| self.capacity(h)).sum()
    }

    fn size(&self) -> usize {
        self.levels.iter().map(Vec::len).sum()
    }

    pub fn insert(&mut self, x: f64) {
        if x.is_nan() {
            return;
        }
        self.n += 1;
        if let Some(l0) = self.levels.first_mut() {
            l0.push(x);
        }
        if self.size() >= self.max_size() {
            self.compress();
        }
    }

    fn compress(&mut self) {
        let mut h = 0;
        while h < self.levels.len() {
            if self.levels[h].len() >= self.capacity(h) {
                if h + 1 >= self.levels.len() {
                    if self.levels.len() >= MAX_LEVELS {
                        return;
                    }
                    self.levels.push(Vec::new());
                }
                let mut level = std::mem::take(&mut self.levels[h]);
                level.sort_unstable_by(f64::total_cmp);
                let keep_last = level.len() % 2 == 1;
                let last = if keep_last { level.pop() } else { None };
                let offset = usize::from(self.rng.next_u64() & 1 == 1);
                let promoted: Vec<f64> = level.iter().skip(offset).step_by(2).copied().collect();
                self.levels[h + 1].extend(promoted);
                if let Some(l) = last {
                    self.levels[h].push(l);
                }
                if self.size() < self.max_size() {
                    return;
                }
            }
            h += 1;
        }
    }

    /// Merges another sketch (of other data) into this one.
    pub fn merge(&mut self, other: &Kll) {
        while self.levels.len() < other.levels.len() {
            self.levels.push(Vec::new());
        }
        for (h, l) in other.levels.iter().enumerate() {
            self.levels[h].extend_from_slice(l);
        }
        self.n += other.n;
        self.rng.0 ^= other.rng.0.rotate_left(17);
        let mut guard = 0;
        while self.size() >= self.max_size() && guard < 4 * MAX_LEVELS {
            self.compress();
            guard += 1;
        }
    }

    /// Sorted (value, weight) pairs.
    fn weighted(&self) -> Vec<(f64, u64)> {
        let mut v: Vec<(f64, u64)> = Vec::with_capacity(self.size());
        for (h, l) in self.levels.iter().enumerate() {
            let w = 1u64 << h.min(63);
            v.extend(l.iter().map(|&x| (x, w)));
        }
        v.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
        v
    }

    /// Estimated fraction of items ≤ `x`.
    pub fn rank(&self, x: f64) -> f64 {
        let w = self.weighted();
        let total: u64 = w.iter().map(|p| p.1).sum();
        if total == 0 {
            return f64::NAN;
        }
        let below: u64 = w.iter().take_while(|p| p.0 <= x).map(|p| p.1).sum();
        #[allow(clippy::cast_precision_loss)]
        let r = below as f64 / total as f64;
        r
    }

    /// Estimated `q`-quantile (0 ≤ q ≤ 1); `None` when empty.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        let w = self.weighted();
        let total: u64 = w.iter().map(|p| p.1).sum();
        if total == 0 {
            return None;
        }
        #[allow(
            clippy::cast_precision_loss,
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss
        )]
        let target = (q.clamp(0.0, 1.0) * total as f64).ceil().max(1.0) as u64;
        let mut acc = 0u64;
        for (x, wt) in &w {
            acc += wt;
            if acc >= target {
                return Some(*x);
            }
        }
        w.last().map(|p| p.0)
    }

    /// Validates a deserialised sketch.
    pub fn check(&self) -> Result<(), String> {
        if !(8..=MAX_K).contains(&self.k) {
            return Err(format!("KLL k {} out of range", self.k));
        }
        if self.levels.is_empty() || self.levels.len() > MAX_LEVELS {
            return Err("KLL levels out of range".into());
        }
        if self.size() > self.max_size() + 2 * MAX_LEVELS {
            return Err("KLL sketch larger than its capacity".into());
        }
        if self.levels.iter().flatten().any(|x| x.is_nan()) {
            return Err("KLL sketch holds NaN".into());
        }
        let weight: u128 = self
            .levels
            .iter()
            .enumerate()
            .map(|(h, l)| (l.len() as u128) << h.min(63))
            .sum();
        if weight > u128::from(self.n) * 2 + 2 || (self.n > 0 && weight == 0) {
            return Err("KLL weights do not match its count".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_are_within_the_bound() {
        let mut s = Kll::new(200, 7);
        let n = 100_000;
        for i in 0..n {
            // A scrambled order of 0..n.
            s.insert(f64::from((i * 7919) % n));
        }
        for q in [0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99] {
            let x = s.quantile(q).expect("q");
            let true_rank = x / f64::from(n);
            assert!((true_rank - q).abs() <= s.rank_error(), "q={q} x={x}");
        }
        assert!(s.levels.iter().map(Vec::len).sum::<usize>() < 1000);
        s.check().expect("valid");
    }
}
