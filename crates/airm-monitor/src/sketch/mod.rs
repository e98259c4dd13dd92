//! Mergeable sketches for profiles of large data: a KLL quantile sketch, HyperLogLog
//! distinct counts, Misra–Gries frequent items and a uniform reservoir sample. Each has an
//! `insert`, a `merge` that gives the same guarantees as one pass over the union, and serde
//! so profiles of shards can be written anywhere and merged later.
//!
//! Randomness is a seeded SplitMix64 kept in the sketch, so a profile is a deterministic
//! function of its input and seed. Deserialised sketches are validated (`check`) before use:
//! profile files are untrusted input.

pub mod frequent;
pub mod hll;
pub mod kll;
pub mod reservoir;

pub use frequent::FrequentItems;
pub use hll::HyperLogLog;
pub use kll::Kll;
pub use reservoir::Reservoir;

/// SplitMix64: a tiny, stable pseudo-random generator (the state is serialised).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SplitMix64(pub u64);

impl SplitMix64 {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`), by rejection (no modulo bias).
    pub fn below(&mut self, n: u64) -> u64 {
        if n <= 1 {
            return 0;
        }
        let zone = u64::MAX - (u64::MAX % n);
        loop {
            let v = self.next_u64();
            if v < zone {
                return v % n;
            }
        }
    }
}

/// A stable 64-bit hash of bytes (FNV-1a followed by the MurmurHash3 finaliser), the same
/// on every platform and release so HyperLogLog registers of shards can be merged.
pub fn hash64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

/// The hash of a number: `-0.0` and `0.0` are the same value.
pub fn hash_f64(x: f64) -> u64 {
    let x = if x == 0.0 { 0.0 } else { x };
    hash64(&x.to_bits().to_le_bytes())
}
