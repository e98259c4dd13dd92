//! The linear model: hashed-feature weights, bias and the decision threshold chosen at
//! training time, with a small versioned binary format (weights quantised to `i16`). The
//! default model is embedded from `model/injection.bin`; its bytes are checked, never trusted.

use std::sync::OnceLock;

use crate::classifier::features;
use crate::GuardError;

const MAGIC: &[u8; 8] = b"AIRMPI01";
static DEFAULT_BYTES: &[u8] = include_bytes!("../../model/injection.bin");
static DEFAULT: OnceLock<Result<Model, String>> = OnceLock::new();

/// A trained logistic-regression model over hashed n-gram features.
#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    /// Feature space is `2^bits` buckets.
    pub bits: u8,
    /// One weight per bucket.
    pub weights: Vec<f32>,
    /// Intercept.
    pub bias: f32,
    /// Probability at or above which text is classified as an attack.
    pub threshold: f32,
}

impl Model {
    /// The model shipped with airm (trained by `examples/train.rs`).
    pub fn default_model() -> Result<&'static Model, GuardError> {
        DEFAULT
            .get_or_init(|| Model::from_bytes(DEFAULT_BYTES).map_err(|e| e.to_string()))
            .as_ref()
            .map_err(|e| GuardError::InvalidModel(format!("embedded model: {e}")))
    }

    /// Probability that `folded` (lowercased, normalised text) is an attack: the maximum
    /// over the whole text and each window of it (see [`features::WINDOW`]).
    pub fn score(&self, folded: &str) -> f32 {
        self.score_with(folded, &mut features::Features::default())
    }

    /// Like [`Model::score`], reusing feature buffers.
    pub fn score_with(&self, folded: &str, f: &mut features::Features) -> f32 {
        features::extract(folded, self.bits, f);
        self.score_features(f)
    }

    /// Scores extracted features (whole text and windows, max).
    pub fn score_features(&self, f: &features::Features) -> f32 {
        let w = &self.weights;
        let contrib = |r: std::ops::Range<usize>| -> f32 {
            f.idx
                .get(r)
                .unwrap_or(&[])
                .iter()
                .map(|&i| w.get(i as usize).copied().unwrap_or(0.0))
                .sum()
        };
        let wins = f.windows();
        if wins.is_empty() {
            let z = contrib(0..f.idx.len());
            return sigmoid(self.bias + z * features::value(f.idx.len()));
        }
        // Prefix sums over features make every window O(log n).
        let mut prefix = Vec::with_capacity(f.idx.len() + 1);
        let mut acc = 0.0_f32;
        prefix.push(0.0);
        for &i in &f.idx {
            acc += w.get(i as usize).copied().unwrap_or(0.0);
            prefix.push(acc);
        }
        let mut best = sigmoid(self.bias + acc * features::value(f.idx.len()));
        for (a, b) in wins {
            let r = f.range(a, b);
            let n = r.len();
            let z = prefix.get(r.end).copied().unwrap_or(0.0)
                - prefix.get(r.start).copied().unwrap_or(0.0);
            best = best.max(sigmoid(self.bias + z * features::value(n)));
        }
        best
    }

    /// Serialises: magic, bits, threshold, bias, scale, then `2^bits` little-endian `i16`.
    pub fn to_bytes(&self) -> Vec<u8> {
        let max = self.weights.iter().fold(0.0_f32, |m, w| m.max(w.abs()));
        let scale = if max > 0.0 { max / 32767.0 } else { 1.0 };
        let mut out = Vec::with_capacity(21 + self.weights.len() * 2);
        out.extend_from_slice(MAGIC);
        out.push(self.bits);
        out.extend_from_slice(&self.threshold.to_le_bytes());
        out.extend_from_slice(&self.bias.to_le_bytes());
        out.extend_from_slice(&scale.to_le_bytes());
        for w in &self.weights {
            let q = (w / scale).round().clamp(-32767.0, 32767.0) as i16;
            out.extend_from_slice(&q.to_le_bytes());
        }
        out
    }

    /// Parses bytes written by [`Model::to_bytes`].
    pub fn from_bytes(b: &[u8]) -> Result<Model, GuardError> {
        let err = |m: &str| GuardError::InvalidModel(m.to_string());
        if b.get(..8) != Some(MAGIC.as_slice()) {
            return Err(err("bad magic (not an airm PI model, or wrong version)"));
        }
        let bits = *b.get(8).ok_or_else(|| err("truncated header"))?;
        if !(8..=24).contains(&bits) {
            return Err(err("feature bits out of range 8..=24"));
        }
        let f = |at: usize| -> Result<f32, GuardError> {
            let s = b.get(at..at + 4).ok_or_else(|| err("truncated header"))?;
            Ok(f32::from_le_bytes([s[0], s[1], s[2], s[3]]))
        };
        let threshold = f(9)?;
        let bias = f(13)?;
        let scale = f(17)?;
        if !(threshold.is_finite() && bias.is_finite() && scale.is_finite()) {
            return Err(err("non-finite header value"));
        }
        let n = 1usize << bits;
        let body = b.get(21..).unwrap_or(&[]);
        if body.len() != n * 2 {
            return Err(err("weight table has the wrong length"));
        }
        let weights = body
            .chunks_exact(2)
            .map(|c| f32::from(i16::from_le_bytes([c[0], c[1]])) * scale)
            .collect();
        Ok(Model {
            bits,
            weights,
            bias,
            threshold,
        })
    }
}

/// The logistic function.
pub fn sigmoid(z: f32) -> f32 {
    1.0 / (1.0 + (-z.clamp(-40.0, 40.0)).exp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrip_and_reject_garbage() {
        let m = Model {
            bits: 8,
            weights: (0..256).map(|i| (i as f32 - 128.0) / 64.0).collect(),
            bias: -0.5,
            threshold: 0.7,
        };
        let back = Model::from_bytes(&m.to_bytes()).unwrap();
        assert_eq!(back.bits, 8);
        assert!((back.weights[3] - m.weights[3]).abs() < 1e-3);
        assert_eq!(back.threshold, 0.7);
        assert!(Model::from_bytes(b"nope").is_err());
        let mut t = m.to_bytes();
        t.truncate(100);
        assert!(Model::from_bytes(&t).is_err());
    }

    #[test]
    fn embedded_model_loads() {
        let m = Model::default_model().unwrap();
        assert!(m.threshold > 0.0 && m.threshold < 1.0);
    }
}
