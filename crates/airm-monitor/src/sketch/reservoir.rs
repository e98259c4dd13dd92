//! A uniform sample of numeric values of bounded size (reservoir sampling, Algorithm R),
//! exact while the stream is no larger than the capacity. Two samples of disjoint data
//! merge into a uniform sample of the union by drawing from each in proportion to the
//! population it stands for.

use serde::{Deserialize, Serialize};

use super::SplitMix64;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reservoir {
    pub capacity: u32,
    /// Values seen.
    pub n: u64,
    pub values: Vec<f64>,
    pub rng: SplitMix64,
}

pub const MAX_CAPACITY: u32 = 10_000_000;

impl Reservoir {
    pub fn new(capacity: u32, seed: u64) -> Self {
        Reservoir {
            capacity: capacity.min(MAX_CAPACITY),
            n: 0,
            values: Vec::new(),
            rng: SplitMix64(seed ^ 0x5eed_5a3b_1e00_0000),
        }
    }

    /// True when `values` holds every value seen.
    pub fn is_exact(&self) -> bool {
        self.n == self.values.len() as u64
    }

    pub fn insert(&mut self, x: f64) {
        self.n += 1;
        if self.values.len() < self.capacity as usize {
            self.values.push(x);
        } else {
            let j = self.rng.below(self.n);
            if let Some(slot) = usize::try_from(j).ok().and_then(|j| self.values.get_mut(j)) {
                *slot = x;
            }
        }
    }

    pub fn merge(&mut self, other: &Reservoir) {
        let capacity = self.capacity.min(other.capacity) as usize;
        let total = self.n + other.n;
        let mut a = std::mem::take(&mut self.values);
        let mut b = other.values.clone();
        if a.len() + b.len() <= capacity && self.is_exact() && other.is_exact() {
            a.extend(b);
            self.values = a;
        } else {
            // Draw without replacement; each draw comes from A with probability
            // (A's remaining population) / (remaining population).
            let (mut ra, mut rb) = (self.n, other.n);
            let mut out = Vec::with_capacity(capacity);
            while out.len() < capacity && (!a.is_empty() || !b.is_empty()) {
                let from_a = if a.is_empty() {
                    false
                } else if b.is_empty() {
                    true
                } else {
                    self.rng.below(ra + rb) < ra
                };
                let src = if from_a { &mut a } else { &mut b };
                let i = usize::try_from(self.rng.below(src.len() as u64)).unwrap_or(0);
                if i < src.len() {
                    out.push(src.swap_remove(i));
                }
                if from_a {
                    ra = ra.saturating_sub(1);
                } else {
                    rb = rb.saturating_sub(1);
                }
            }
            self.values = out;
        }
        self.capacity = u32::try_from(capacity).unwrap_or(MAX_CAPACITY);
        self.n = total;
        self.rng.0 ^= other.rng.0.rotate_left(29);
    }

    pub fn check(&self) -> Result<(), String> {
        if self.capacity > MAX_CAPACITY || self.values.len() > self.capacity as usize {
            return Err("sample larger than its capacity".into());
        }
        if self.values.len() as u64 > self.n {
            return Err("sample holds more values than were seen".into());
        }
        if self.values.iter().any(|x| !x.is_finite()) {
            return Err("sample holds a non-finite value".into());
        }
        Ok(())
    }
}
