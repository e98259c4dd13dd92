//! Frequent items by the Misra–Gries summary with the mergeable reduction of Agarwal et
//! al. (2012): at most `k` counters; a counter underestimates its item's count by at most
//! `error_bound()`, and every item more frequent than that bound is present.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FrequentItems {
    pub k: u32,
    /// Items summarised.
    pub n: u64,
    pub counters: BTreeMap<String, u64>,
}

pub const MAX_K: u32 = 100_000;

impl FrequentItems {
    pub fn new(k: u32) -> Self {
        FrequentItems {
            k: k.clamp(1, MAX_K),
            n: 0,
            counters: BTreeMap::new(),
        }
    }

    /// Adds `count` occurrences of `item`.
    pub fn insert(&mut self, item: &str, count: u64) {
        self.n += count;
        match self.counters.get_mut(item) {
            Some(c) => *c += count,
            None => {
                self.counters.insert(item.to_string(), count);
            }
        }
        // Reducing only at 2k counters keeps the amortised cost per item at O(log k).
        if self.counters.len() > 2 * self.k as usize {
            self.reduce();
        }
    }

    /// Keeps the `k` largest counters, minus the (k+1)-th largest count.
    pub fn reduce(&mut self) {
        let k = self.k as usize;
        if self.counters.len() <= k {
            return;
        }
        let mut counts: Vec<u64> = self.counters.values().copied().collect();
        counts.sort_unstable_by(|a, b| b.cmp(a));
        let cut = counts.get(k).copied().unwrap_or(0);
        self.counters.retain(|_, c| {
            *c = c.saturating_sub(cut);
            *c > 0
        });
    }

    pub fn merge(&mut self, other: &FrequentItems) {
        self.n += other.n;
        self.k = self.k.min(other.k);
        for (item, c) in &other.counters {
            *self.counters.entry(item.clone()).or_insert(0) += c;
        }
        self.reduce();
    }

    /// Largest possible undercount of any counter.
    pub fn error_bound(&self) -> u64 {
        let kept: u64 = self.counters.values().sum();
        (self.n.saturating_sub(kept)) / (u64::from(self.k) + 1)
    }

    /// The `top` largest counters, most frequent first (ties by item).
    pub fn top(&self, top: usize) -> Vec<(String, u64)> {
        let mut v: Vec<(String, u64)> =
            self.counters.iter().map(|(a, b)| (a.clone(), *b)).collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        v.truncate(top);
        v
    }

    pub fn check(&self) -> Result<(), String> {
        if !(1..=MAX_K).contains(&self.k) || self.counters.len() > 2 * self.k as usize {
            return Err("frequent items: more counters than k".into());
        }
        let kept: u128 = self.counters.values().map(|&c| u128::from(c)).sum();
        if kept > u128::from(self.n) {
            return Err("frequent items: counters exceed the item count".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heavy_hitters_survive_merges() {
        let mut a = FrequentItems::new(5);
        let mut b = FrequentItems::new(5);
        for i in 0..1000u32 {
            a.insert(&format!("noise{i}"), 1);
            b.insert(&format!("other{i}"), 1);
        }
        a.insert("hot", 600);
        b.insert("hot", 500);
        a.merge(&b);
        a.reduce();
        let hot = a.counters.get("hot").copied().unwrap_or(0);
        assert!(
            hot <= 1100 && hot + a.error_bound() >= 1100,
            "{hot} {}",
            a.error_bound()
        );
        assert_eq!(a.top(1)[0].0, "hot");
    }
}
