//! The linear model: hashed-feature weights, bias and the decision threshold chosen at
//! training time, with a small versioned binary format (weights quantised to `i16`), plus an
//! optional second head for harmful requests over the same feature space. The default model
//! is embedded from `model/injection.bin`; its bytes are checked, never trusted.
//!
//! Format: `AIRMPI01` (one head), `AIRMPI02` (two heads) or `AIRMPI03` (two heads and what
//! the second one sees), then `bits: u8`, and per head `threshold, bias, scale: f32`
//! (little-endian) followed by `2^bits` `i16` weights. `AIRMPI03` then holds `flags: u8`
//! (bit 0: the harmful head scores the whole folded text, not its content words; bit 1: a
//! token channel follows; bit 2: the features include the harmful-topic concepts; bit 3: the
//! harmful head's content-word gate counts a concept term as a word) and the
//! token channel: `u32` byte length of the vocabulary, the
//! vocabulary (tokens joined by `\n`, in id order), `scale: f32` and one `i16` weight per
//! token.

use std::sync::OnceLock;

use crate::classifier::features;
use crate::classifier::tokens::TokenWeights;
use crate::GuardError;

const MAGIC: &[u8; 8] = b"AIRMPI01";
const MAGIC2: &[u8; 8] = b"AIRMPI02";
const MAGIC3: &[u8; 8] = b"AIRMPI03";
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
    /// The harmful-request head (scored on content words), if the model has one.
    pub harmful: Option<Head>,
    /// The features include the harmful-topic concepts ([`crate::classifier::concepts`]);
    /// only with a harmful-request head (the flag is stored with that head's).
    pub concepts: bool,
}

/// A second linear head over the same feature space.
#[derive(Debug, Clone, PartialEq)]
pub struct Head {
    /// One weight per bucket.
    pub weights: Vec<f32>,
    /// Intercept.
    pub bias: f32,
    /// Decision threshold.
    pub threshold: f32,
    /// Token channel: the mean weight of the text's WordPiece tokens, added to the logit
    /// (see [`crate::classifier::tokens`]).
    pub tokens: Option<TokenWeights>,
    /// Scores the whole folded text (the injection head's features) instead of its content
    /// words.
    pub full_text: bool,
    /// The content-word gate of PI014 counts a harmful-topic concept term found in the text
    /// as one more content word (see [`crate::classifier::content::content_evidence_with`]); only
    /// with the concept features.
    pub concept_gate: bool,
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
        self.extract(folded, f);
        self.score_features(f)
    }

    /// The features of `text` as this model was trained on them.
    pub fn extract(&self, text: &str, f: &mut features::Features) {
        features::extract_for(text, self.bits, self.concepts, f);
    }

    /// Scores extracted features (whole text and windows, max).
    pub fn score_features(&self, f: &features::Features) -> f32 {
        score_features(
            |i| self.weights.get(i).copied().unwrap_or(0.0),
            self.bias,
            f,
        )
    }

    /// Probability that `content` (the content words of a folded text, see
    /// [`crate::classifier::content`]) is a harmful request; `None` without that head.
    pub fn harmful_score_with(&self, content: &str, f: &mut features::Features) -> Option<f32> {
        self.harmful_score_with_logit(content, 0.0, f)
    }

    /// Like [`Model::harmful_score_with`], with `extra` added to the head's logit (its token
    /// channel's logit, see [`Head::token_logit`]).
    pub fn harmful_score_with_logit(
        &self,
        content: &str,
        extra: f32,
        f: &mut features::Features,
    ) -> Option<f32> {
        let h = self.harmful.as_ref()?;
        self.extract(content, f);
        Some(score_features(
            |i| h.weights.get(i).copied().unwrap_or(0.0),
            h.bias + extra,
            f,
        ))
    }

    /// Serialises (see the module docs for the format).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(32 + self.weights.len() * 4);
        let tokens = self.harmful.as_ref().and_then(|h| h.tokens.as_ref());
        let full_text = self.harmful.as_ref().is_some_and(|h| h.full_text);
        let concept_gate = self.harmful.as_ref().is_some_and(|h| h.concept_gate);
        out.extend_from_slice(match &self.harmful {
            None => MAGIC,
            Some(_) if tokens.is_none() && !full_text && !self.concepts => MAGIC2,
            Some(_) => MAGIC3,
        });
        out.push(self.bits);
        write_head(&mut out, self.threshold, self.bias, &self.weights);
        if let Some(h) = &self.harmful {
            write_head(&mut out, h.threshold, h.bias, &h.weights);
        }
        if self.harmful.is_some() && (tokens.is_some() || full_text || self.concepts) {
            out.push(
                u8::from(full_text)
                    | u8::from(tokens.is_some()) << 1
                    | u8::from(self.concepts) << 2
                    | u8::from(concept_gate) << 3,
            );
        }
        if let Some(t) = tokens {
            out.extend_from_slice(&(t.vocab_text.len() as u32).to_le_bytes());
            out.extend_from_slice(t.vocab_text.as_bytes());
            write_weights(&mut out, &t.weights);
        }
        out
    }

    /// Parses bytes written by [`Model::to_bytes`].
    pub fn from_bytes(b: &[u8]) -> Result<Model, GuardError> {
        let err = |m: &str| GuardError::InvalidModel(m.to_string());
        let (heads, with_tokens) = match b.get(..8) {
            Some(m) if m == MAGIC.as_slice() => (1, false),
            Some(m) if m == MAGIC2.as_slice() => (2, false),
            Some(m) if m == MAGIC3.as_slice() => (2, true),
            _ => return Err(err("bad magic (not an airm PI model, or wrong version)")),
        };
        let bits = *b.get(8).ok_or_else(|| err("truncated header"))?;
        if !(8..=24).contains(&bits) {
            return Err(err("feature bits out of range 8..=24"));
        }
        let n = 1usize << bits;
        let head_len = 12 + n * 2;
        let tables = 9 + heads * head_len;
        if b.len() < tables || (!with_tokens && b.len() != tables) {
            return Err(err("weight table has the wrong length"));
        }
        let first = read_head(b.get(9..9 + head_len).unwrap_or(&[]))?;
        let mut harmful = if heads == 2 {
            Some(read_head(b.get(9 + head_len..tables).unwrap_or(&[]))?)
        } else {
            None
        };
        let mut concepts = false;
        if let (true, Some(h)) = (with_tokens, harmful.as_mut()) {
            let flags = *b.get(tables).ok_or_else(|| err("truncated flags"))?;
            if flags > 15 {
                return Err(err("unknown flags"));
            }
            h.full_text = flags & 1 != 0;
            concepts = flags & 4 != 0;
            h.concept_gate = flags & 8 != 0;
            if h.concept_gate && !concepts {
                return Err(err("concept gate without concept features"));
            }
            let rest = b.get(tables + 1..).unwrap_or(&[]);
            if flags & 2 != 0 {
                h.tokens = Some(read_tokens(rest)?);
            } else if !rest.is_empty() {
                return Err(err("trailing bytes after the flags"));
            }
        }
        Ok(Model {
            bits,
            weights: first.weights,
            bias: first.bias,
            threshold: first.threshold,
            harmful,
            concepts,
        })
    }
}

fn write_head(out: &mut Vec<u8>, threshold: f32, bias: f32, weights: &[f32]) {
    out.extend_from_slice(&threshold.to_le_bytes());
    out.extend_from_slice(&bias.to_le_bytes());
    write_weights(out, weights);
}

/// `scale: f32`, then each weight as `i16` (`weight / scale`, rounded).
fn write_weights(out: &mut Vec<u8>, weights: &[f32]) {
    let max = weights.iter().fold(0.0_f32, |m, w| m.max(w.abs()));
    let scale = if max > 0.0 { max / 32767.0 } else { 1.0 };
    out.extend_from_slice(&scale.to_le_bytes());
    for w in weights {
        let q = (w / scale).round().clamp(-32767.0, 32767.0) as i16;
        out.extend_from_slice(&q.to_le_bytes());
    }
}

fn read_head(b: &[u8]) -> Result<Head, GuardError> {
    let err = |m: &str| GuardError::InvalidModel(m.to_string());
    let f = |at: usize| -> Result<f32, GuardError> {
        let s = b.get(at..at + 4).ok_or_else(|| err("truncated header"))?;
        Ok(f32::from_le_bytes([s[0], s[1], s[2], s[3]]))
    };
    let threshold = f(0)?;
    let bias = f(4)?;
    let scale = f(8)?;
    if !(threshold.is_finite() && bias.is_finite() && scale.is_finite()) {
        return Err(err("non-finite header value"));
    }
    let weights = b
        .get(12..)
        .unwrap_or(&[])
        .chunks_exact(2)
        .map(|c| f32::from(i16::from_le_bytes([c[0], c[1]])) * scale)
        .collect();
    Ok(Head {
        weights,
        bias,
        threshold,
        tokens: None,
        full_text: false,
        concept_gate: false,
    })
}

/// The token channel of an `AIRMPI03` model (see the module docs).
fn read_tokens(b: &[u8]) -> Result<TokenWeights, GuardError> {
    let err = |m: String| GuardError::InvalidModel(m);
    let n = b
        .get(..4)
        .map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]) as usize)
        .ok_or_else(|| err("truncated token channel".into()))?;
    let vocab = b
        .get(4..4 + n)
        .ok_or_else(|| err("truncated token vocabulary".into()))?;
    let vocab = std::str::from_utf8(vocab)
        .map_err(|_| err("token vocabulary is not UTF-8".into()))?
        .to_string();
    let rest = b.get(4 + n..).unwrap_or(&[]);
    let scale = rest
        .get(..4)
        .map(|s| f32::from_le_bytes([s[0], s[1], s[2], s[3]]))
        .filter(|s| s.is_finite())
        .ok_or_else(|| err("truncated or non-finite token scale".into()))?;
    let q = rest.get(4..).unwrap_or(&[]);
    if q.len() % 2 != 0 {
        return Err(err("token weights have the wrong length".into()));
    }
    let weights = q
        .chunks_exact(2)
        .map(|c| f32::from(i16::from_le_bytes([c[0], c[1]])) * scale)
        .collect();
    TokenWeights::new(vocab, weights).map_err(|e| err(format!("token channel: {e}")))
}

impl Head {
    /// The token channel's logit for `folded` (0 without a channel); `ids` and `word` are
    /// reusable buffers.
    pub fn token_logit(&self, folded: &str, ids: &mut Vec<u32>, word: &mut String) -> f32 {
        self.tokens
            .as_ref()
            .map_or(0.0, |t| t.logit(folded, ids, word))
    }
}

/// Scores extracted features with one head (whole text and windows, max); `w` gives the
/// weight of a bucket.
#[inline]
pub(crate) fn score_features(w: impl Fn(usize) -> f32, bias: f32, f: &features::Features) -> f32 {
    let contrib = |r: std::ops::Range<usize>| -> f32 {
        f.idx
            .get(r)
            .unwrap_or(&[])
            .iter()
            .map(|&i| w(i as usize))
            .sum()
    };
    let wins = f.windows();
    if wins.is_empty() {
        let z = contrib(0..f.idx.len());
        return sigmoid(bias + z * features::value(f.idx.len()));
    }
    // Prefix sums over features make every window O(log n).
    let mut prefix = Vec::with_capacity(f.idx.len() + 1);
    let mut acc = 0.0_f32;
    prefix.push(0.0);
    for &i in &f.idx {
        acc += w(i as usize);
        prefix.push(acc);
    }
    let mut best = sigmoid(bias + acc * features::value(f.idx.len()));
    for std::ops::Range { start: s, end: e } in f.window_ranges(&wins) {
        let n = e - s;
        let z = prefix.get(e).copied().unwrap_or(0.0) - prefix.get(s).copied().unwrap_or(0.0);
        best = best.max(sigmoid(bias + z * features::value(n)));
    }
    best
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
            harmful: None,
            concepts: false,
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
    fn two_head_models_roundtrip_and_truncation_is_rejected() {
        let head = Head {
            weights: (0..256).map(|i| (i as f32) / 100.0).collect(),
            bias: 0.25,
            threshold: 0.9,
            tokens: None,
            full_text: false,
            concept_gate: false,
        };
        let m = Model {
            bits: 8,
            weights: vec![0.5; 256],
            bias: 0.0,
            threshold: 0.6,
            harmful: Some(head),
            concepts: false,
        };
        let bytes = m.to_bytes();
        assert_eq!(&bytes[..8], b"AIRMPI02");
        let back = Model::from_bytes(&bytes).unwrap();
        let h = back.harmful.as_ref().unwrap();
        assert_eq!(h.threshold, 0.9);
        assert!((h.weights[200] - 2.0).abs() < 1e-3);
        assert!(Model::from_bytes(&bytes[..bytes.len() - 1]).is_err());
        let mut one = Model {
            harmful: None,
            ..m.clone()
        };
        one.threshold = 0.5;
        assert_eq!(&one.to_bytes()[..8], b"AIRMPI01");
        // The concept flag is stored with the harmful head's flags (bit 2).
        let with = Model {
            concepts: true,
            ..m.clone()
        };
        let bytes = with.to_bytes();
        assert_eq!(&bytes[..8], b"AIRMPI03");
        assert_eq!(bytes.last(), Some(&4));
        assert!(Model::from_bytes(&bytes).unwrap().concepts);
        // The concept gate (bit 3) needs the concept features; bits above it are unknown.
        for (flags, ok) in [(8, false), (12, true), (16, false), (20, false)] {
            let mut other = bytes.clone();
            if let Some(b) = other.last_mut() {
                *b = flags;
            }
            let back = Model::from_bytes(&other);
            assert_eq!(back.is_ok(), ok, "flags {flags}");
            if let Ok(back) = back {
                assert!(back.concepts && back.harmful.as_ref().is_some_and(|h| h.concept_gate));
                assert_eq!(back.to_bytes(), other);
            }
        }
        let full = Model {
            harmful: Some(Head {
                full_text: true,
                concept_gate: false,
                ..m.harmful.clone().unwrap()
            }),
            ..m
        };
        let back = Model::from_bytes(&full.to_bytes()).unwrap();
        assert!(!back.concepts && back.harmful.unwrap().full_text);
    }

    #[test]
    fn embedded_model_loads() {
        let m = Model::default_model().unwrap();
        assert!(m.threshold > 0.0 && m.threshold < 1.0);
        assert!(
            m.harmful.is_some(),
            "the shipped model has the harmful-request head"
        );
        assert!(m.concepts, "the shipped model uses the concept features");
    }
}
