//! HyperLogLog distinct counts (Flajolet et al. 2007) with linear counting for small
//! cardinalities. `2^p` one-byte registers; merging takes the register-wise maximum, so the
//! merge of shard sketches equals the sketch of the union. Standard error ≈ 1.04/√(2^p).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HyperLogLog {
    pub p: u8,
    /// Registers as hex (two digits each), compact in JSON.
    #[serde(with = "hex_bytes")]
    pub registers: Vec<u8>,
}

mod hex_bytes {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(v))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let s = String::deserialize(d)?;
        hex::decode(s).map_err(serde::de::Error::custom)
    }
}

impl HyperLogLog {
    pub fn new(p: u8) -> Self {
        let p = p.clamp(4, 18);
        HyperLogLog {
            p,
            registers: vec![0; 1 << p],
        }
    }

    pub fn insert_hash(&mut self, h: u64) {
        let idx = usize::try_from(h >> (64 - u32::from(self.p))).unwrap_or(0);
        let rest = (h << self.p) | (1u64 << (u32::from(self.p) - 1));
        #[allow(clippy::cast_possible_truncation)]
        let rank = rest.leading_zeros() as u8 + 1;
        if let Some(r) = self.registers.get_mut(idx) {
            *r = (*r).max(rank);
        }
    }

    pub fn merge(&mut self, other: &HyperLogLog) -> Result<(), String> {
        if other.p != self.p {
            return Err(format!(
                "HyperLogLog precisions differ ({} vs {})",
                self.p, other.p
            ));
        }
        for (a, b) in self.registers.iter_mut().zip(&other.registers) {
            *a = (*a).max(*b);
        }
        Ok(())
    }

    /// Estimated number of distinct values.
    pub fn estimate(&self) -> f64 {
        #[allow(clippy::cast_precision_loss)]
        let m = self.registers.len() as f64;
        let alpha = match self.registers.len() {
            16 => 0.673,
            32 => 0.697,
            64 => 0.709,
            _ => 0.7213 / (1.0 + 1.079 / m),
        };
        let sum: f64 = self
            .registers
            .iter()
            .map(|&r| 2f64.powi(-i32::from(r)))
            .sum();
        let raw = alpha * m * m / sum;
        let zeros = self.registers.iter().filter(|&&r| r == 0).count();
        if raw <= 2.5 * m && zeros > 0 {
            #[allow(clippy::cast_precision_loss)]
            let z = zeros as f64;
            m * (m / z).ln()
        } else {
            raw
        }
    }

    /// Relative standard error.
    pub fn standard_error(&self) -> f64 {
        #[allow(clippy::cast_precision_loss)]
        let m = self.registers.len() as f64;
        1.04 / m.sqrt()
    }

    pub fn check(&self) -> Result<(), String> {
        if !(4..=18).contains(&self.p) || self.registers.len() != 1usize << self.p {
            return Err("HyperLogLog precision and register count do not match".into());
        }
        if self
            .registers
            .iter()
            .any(|&r| u32::from(r) > 65 - u32::from(self.p))
        {
            return Err("HyperLogLog register out of range".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sketch::hash64;

    #[test]
    fn estimates_within_three_standard_errors() {
        for n in [10u64, 1000, 50_000] {
            let mut h = HyperLogLog::new(12);
            for i in 0..n {
                h.insert_hash(hash64(&i.to_le_bytes()));
                h.insert_hash(hash64(&i.to_le_bytes()));
            }
            #[allow(clippy::cast_precision_loss)]
            let err = (h.estimate() - n as f64).abs() / n as f64;
            assert!(err < 3.0 * h.standard_error(), "n={n} err={err}");
        }
    }
}
