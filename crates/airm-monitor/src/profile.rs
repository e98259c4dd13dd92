//! Reference profiles: per-column mergeable summaries of a dataset — counts, missing values,
//! moments, a KLL quantile sketch, HyperLogLog distinct counts, Misra–Gries frequent items,
//! exact counts while a column has few distinct values, and a uniform sample of numeric
//! values (exact up to its capacity) for exact tests. Profiles of shards merge into the
//! profile of the union (`airm monitor merge`), within each sketch's error bound.
//!
//! A profile file is untrusted input: [`Profile::from_json`] caps its size and validates
//! every sketch before it is used or merged.

use std::collections::{BTreeMap, HashMap};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{MonitorError, Result};
use crate::sketch::{hash64, hash_f64, FrequentItems, HyperLogLog, Kll, Reservoir};
use crate::table::{number_category, Column, Kind, Table, Values};

pub const FORMAT: &str = "airm-profile";
pub const VERSION: u32 = 1;
/// Largest profile file accepted.
pub const MAX_PROFILE_BYTES: usize = 512 << 20;

/// Sketch sizes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileOptions {
    pub kll_k: u32,
    pub hll_p: u8,
    pub frequent_k: u32,
    /// Exact counts are kept while a column has at most this many distinct values.
    pub exact_max: u32,
    pub sample_size: u32,
    pub seed: u64,
}

impl Default for ProfileOptions {
    fn default() -> Self {
        ProfileOptions {
            kll_k: 200,
            hll_p: 12,
            frequent_k: 64,
            exact_max: 1000,
            sample_size: 10_000,
            seed: 0,
        }
    }
}

/// Moments and sketches of a numeric column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NumericProfile {
    pub min: f64,
    pub max: f64,
    pub mean: f64,
    /// Sum of squared deviations from the mean (merged with Chan et al.'s formula).
    pub m2: f64,
    pub quantiles: Kll,
    pub sample: Reservoir,
}

impl NumericProfile {
    /// Population standard deviation.
    pub fn std(&self, count: u64) -> f64 {
        if count == 0 {
            return f64::NAN;
        }
        #[allow(clippy::cast_precision_loss)]
        let n = count as f64;
        (self.m2 / n).sqrt()
    }
}

/// The profile of one column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnProfile {
    pub name: String,
    pub kind: Kind,
    /// Non-missing values.
    pub count: u64,
    pub missing: u64,
    pub distinct: HyperLogLog,
    pub frequent: FrequentItems,
    pub exact_max: u32,
    /// Counts per value while there are at most `exact_max` distinct values.
    pub exact_counts: Option<BTreeMap<String, u64>>,
    pub numeric: Option<NumericProfile>,
}

/// A dataset profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    pub format: String,
    pub version: u32,
    pub rows: u64,
    pub columns: Vec<ColumnProfile>,
    /// Columns that could not be profiled (e.g. too many distinct categories to read).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skipped: Vec<String>,
}

impl Profile {
    /// Profiles a table read by [`crate::reader`].
    pub fn from_table(table: Table, opts: &ProfileOptions) -> Profile {
        let rows = table.rows;
        let results: Vec<std::result::Result<ColumnProfile, String>> = table
            .columns
            .into_par_iter()
            .map(|c| profile_column(c, opts))
            .collect();
        let mut columns = Vec::new();
        let mut skipped = Vec::new();
        for r in results {
            match r {
                Ok(c) => columns.push(c),
                Err(name) => skipped.push(name),
            }
        }
        Profile {
            format: FORMAT.into(),
            version: VERSION,
            rows,
            columns,
            skipped,
        }
    }

    /// Parses and validates a profile (`name` is used in errors).
    pub fn from_json(name: &str, bytes: &[u8]) -> Result<Profile> {
        let err = |message: String| MonitorError::Profile {
            path: name.to_string(),
            message,
        };
        if bytes.len() > MAX_PROFILE_BYTES {
            return Err(err(format!("larger than {MAX_PROFILE_BYTES} bytes")));
        }
        let p: Profile = serde_json::from_slice(bytes).map_err(|e| err(e.to_string()))?;
        p.check().map_err(err)?;
        Ok(p)
    }

    /// Validates a deserialised profile.
    pub fn check(&self) -> std::result::Result<(), String> {
        if self.format != FORMAT || self.version != VERSION {
            return Err(format!(
                "not an {FORMAT} version {VERSION} file (format {:?}, version {})",
                self.format, self.version
            ));
        }
        let mut names = std::collections::HashSet::new();
        for c in &self.columns {
            let at = |m: String| format!("column `{}`: {m}", c.name);
            if !names.insert(c.name.as_str()) {
                return Err(at("listed twice".into()));
            }
            c.distinct.check().map_err(at)?;
            c.frequent.check().map_err(at)?;
            if c.count.checked_add(c.missing) != Some(self.rows) {
                return Err(at("count + missing differs from the rows".into()));
            }
            if let Some(e) = &c.exact_counts {
                if e.len() > c.exact_max as usize {
                    return Err(at("more exact counts than exact_max".into()));
                }
                let total: u128 = e.values().map(|&v| u128::from(v)).sum();
                if total != u128::from(c.count) {
                    return Err(at("exact counts do not add up to the count".into()));
                }
            }
            match (&c.numeric, c.kind) {
                (Some(n), Kind::Numeric) => {
                    n.quantiles.check().map_err(at)?;
                    n.sample.check().map_err(at)?;
                    if n.quantiles.n != c.count || n.sample.n != c.count {
                        return Err(at("sketch counts differ from the count".into()));
                    }
                }
                (None, Kind::Categorical) => {}
                _ => return Err(at("numeric summary does not match the kind".into())),
            }
        }
        Ok(())
    }

    /// Merges the profile of other rows of the same data (a shard) into this one.
    pub fn merge(&mut self, other: &Profile) -> std::result::Result<(), String> {
        let (rows_a, rows_b) = (self.rows, other.rows);
        for c in &mut self.columns {
            if !other.columns.iter().any(|o| o.name == c.name) {
                c.missing += rows_b;
            }
        }
        for o in &other.columns {
            match self.columns.iter_mut().find(|c| c.name == o.name) {
                Some(c) => merge_column(c, o)?,
                None => {
                    let mut o = o.clone();
                    o.missing += rows_a;
                    self.columns.push(o);
                }
            }
        }
        self.rows = rows_a + rows_b;
        for s in &other.skipped {
            if !self.skipped.contains(s) {
                self.skipped.push(s.clone());
            }
        }
        Ok(())
    }
}

fn merge_column(c: &mut ColumnProfile, o: &ColumnProfile) -> std::result::Result<(), String> {
    if c.kind != o.kind {
        return Err(format!(
            "column `{}` is {:?} in one profile and {:?} in another; profile with \
             --numeric/--categorical to fix its kind",
            c.name, c.kind, o.kind
        ));
    }
    c.distinct.merge(&o.distinct)?;
    c.frequent.merge(&o.frequent);
    c.exact_max = c.exact_max.min(o.exact_max);
    c.exact_counts = match (c.exact_counts.take(), &o.exact_counts) {
        (Some(mut a), Some(b)) => {
            for (k, v) in b {
                *a.entry(k.clone()).or_insert(0) += v;
            }
            (a.len() <= c.exact_max as usize).then_some(a)
        }
        _ => None,
    };
    match (&mut c.numeric, &o.numeric) {
        (Some(a), Some(b)) => {
            #[allow(clippy::cast_precision_loss)]
            let (na, nb) = (c.count as f64, o.count as f64);
            if o.count > 0 {
                if c.count == 0 {
                    a.min = b.min;
                    a.max = b.max;
                    a.mean = b.mean;
                    a.m2 = b.m2;
                } else {
                    let delta = b.mean - a.mean;
                    let n = na + nb;
                    a.mean += delta * nb / n;
                    a.m2 += b.m2 + delta * delta * na * nb / n;
                    a.min = a.min.min(b.min);
                    a.max = a.max.max(b.max);
                }
            }
            a.quantiles.merge(&b.quantiles);
            a.sample.merge(&b.sample);
        }
        (None, None) => {}
        _ => return Err(format!("column `{}`: numeric summaries differ", c.name)),
    }
    c.count += o.count;
    c.missing += o.missing;
    Ok(())
}

fn profile_column(c: Column, opts: &ProfileOptions) -> std::result::Result<ColumnProfile, String> {
    let seed = opts.seed ^ hash64(c.name.as_bytes());
    let mut distinct = HyperLogLog::new(opts.hll_p);
    let mut frequent = FrequentItems::new(opts.frequent_k);
    let exact_max = opts.exact_max;
    let count = c.count();
    let (kind, exact_counts, numeric) = match c.values {
        Values::Numeric(v) => {
            let mut kll = Kll::new(opts.kll_k, seed);
            let mut sample = Reservoir::new(opts.sample_size, seed);
            let (mut min, mut max) = (f64::INFINITY, f64::NEG_INFINITY);
            let (mut mean, mut m2, mut n) = (0.0f64, 0.0f64, 0.0f64);
            let mut counts: HashMap<u64, u64> = HashMap::new();
            let mut exact = true;
            for &x in &v {
                kll.insert(x);
                sample.insert(x);
                distinct.insert_hash(hash_f64(x));
                min = min.min(x);
                max = max.max(x);
                n += 1.0;
                let d = x - mean;
                mean += d / n;
                m2 += d * (x - mean);
                let x = if x == 0.0 { 0.0 } else { x };
                *counts.entry(x.to_bits()).or_insert(0) += 1;
                if counts.len() > 2 * opts.frequent_k.max(exact_max) as usize {
                    // Misra–Gries reduction on bit patterns; exactness is lost.
                    exact = false;
                    reduce_bits(&mut counts, opts.frequent_k as usize);
                }
            }
            exact = exact && counts.len() <= exact_max as usize;
            let exact_counts = exact.then(|| {
                counts
                    .iter()
                    .map(|(b, c)| (number_category(f64::from_bits(*b)), *c))
                    .collect::<BTreeMap<_, _>>()
            });
            // Frequent items from the (possibly reduced) counters.
            let mut fr: Vec<(u64, u64)> = counts.into_iter().collect();
            fr.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            let kept: u64 = fr.iter().map(|p| p.1).sum();
            for (b, c) in fr {
                frequent.insert(&number_category(f64::from_bits(b)), c);
            }
            frequent.n += count.saturating_sub(kept);
            frequent.reduce();
            if v.is_empty() {
                min = 0.0;
                max = 0.0;
            }
            (
                Kind::Numeric,
                exact_counts,
                Some(NumericProfile {
                    min,
                    max,
                    mean,
                    m2,
                    quantiles: kll,
                    sample,
                }),
            )
        }
        Values::Categorical(m) => {
            let mut items: Vec<(String, u64)> = m.into_iter().collect();
            items.sort();
            for (k, n) in &items {
                distinct.insert_hash(hash64(k.as_bytes()));
                frequent.insert(k, *n);
            }
            frequent.reduce();
            let exact = (items.len() <= exact_max as usize).then(|| items.into_iter().collect());
            (Kind::Categorical, exact, None)
        }
        Values::TooManyCategories => return Err(c.name),
    };
    Ok(ColumnProfile {
        name: c.name,
        kind,
        count,
        missing: c.missing,
        distinct,
        frequent,
        exact_max,
        exact_counts,
        numeric,
    })
}

fn reduce_bits(counts: &mut HashMap<u64, u64>, k: usize) {
    let mut v: Vec<u64> = counts.values().copied().collect();
    v.sort_unstable_by(|a, b| b.cmp(a));
    let cut = v.get(k).copied().unwrap_or(0);
    counts.retain(|_, c| {
        *c = c.saturating_sub(cut);
        *c > 0
    });
}
