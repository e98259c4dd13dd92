//! Feature hashing for the classifier: character 2- to 5-grams (with word-boundary padding)
//! and word 1- and 2-grams of the folded text, hashed into `2^bits` buckets. Every feature
//! carries the character position where it ends, so windows of a long text can be scored
//! from one extraction (prefix sums) instead of one extraction per window. Features are binary
//! (first occurrence kept, via a bitset checked as they are produced) and scaled by
//! `1/sqrt(n)`. Pure; one pass; no sort.

/// Window length (chars) for scoring long texts: a short injected instruction inside a long
/// document is scored on its own window, not diluted by the whole document.
pub const WINDOW: usize = 400;
/// Step between windows.
pub const WINDOW_STEP: usize = 200;
/// Maximum characters looked at; longer texts are sampled at head and tail.
pub const MAX_CHARS: usize = 8192;

#[inline]
fn mix(h: u64, x: u64) -> u64 {
    (h ^ x).wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(29)
}

#[inline]
fn finish(h: u64) -> u64 {
    let h = (h ^ (h >> 31)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    h ^ (h >> 29)
}

#[inline]
fn norm_char(c: char) -> char {
    if c.is_ascii_digit() {
        '0'
    } else if c.is_whitespace() {
        ' '
    } else {
        c
    }
}

/// Hashed features of a text: bucket index and the char position each feature ends at.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Features {
    /// Bucket indices (with repeats: counts).
    pub idx: Vec<u32>,
    /// Position (in normalised chars) of each feature, non-decreasing.
    pub pos: Vec<u32>,
    /// Number of normalised chars.
    pub len: usize,
    chars: Vec<char>,
    seen: Vec<u64>,
}

impl Features {
    /// Window ranges `[start, end)` in positions; empty when the text fits in one window.
    pub fn windows(&self) -> Vec<(u32, u32)> {
        let n = self.len;
        let mut out = Vec::new();
        if n <= WINDOW {
            return out;
        }
        let mut i = 0;
        loop {
            let e = (i + WINDOW).min(n);
            out.push((i as u32, e as u32));
            if e == n {
                break;
            }
            i += WINDOW_STEP;
        }
        out
    }

    /// Index range of the features whose position is in `[a, b)`.
    pub fn range(&self, a: u32, b: u32) -> std::ops::Range<usize> {
        let s = self.pos.partition_point(|&p| p < a);
        let e = self.pos.partition_point(|&p| p < b);
        s..e
    }
}

thread_local! {
    /// Per-thread extraction buffers, so that a check does not allocate and zero them anew
    /// (their size is bounded by [`MAX_CHARS`]).
    static BUFFER: std::cell::RefCell<Features> = std::cell::RefCell::new(Features::default());
}

/// Runs `f` with this thread's reusable [`Features`] buffer (a fresh one if it is in use).
pub fn with_buffer<R>(f: impl FnOnce(&mut Features) -> R) -> R {
    BUFFER.with(|b| match b.try_borrow_mut() {
        Ok(mut buf) => f(&mut buf),
        Err(_) => f(&mut Features::default()),
    })
}

/// Extracts features of `folded` into `f` (reusing its buffers).
pub fn extract(folded: &str, bits: u8, f: &mut Features) {
    f.idx.clear();
    f.pos.clear();
    f.chars.clear();
    let mask = (1u64 << bits) - 1;
    let chars = &mut f.chars;
    chars.push(' ');
    let push = |c: char, chars: &mut Vec<char>| {
        let c = norm_char(c);
        if !(c == ' ' && chars.last() == Some(&' ')) {
            chars.push(c);
        }
    };
    let total = if folded.len() <= MAX_CHARS {
        0
    } else {
        folded.chars().count()
    };
    if total <= MAX_CHARS {
        for c in folded.chars() {
            push(c, chars);
        }
    } else {
        for c in folded.chars().take(MAX_CHARS / 2) {
            push(c, chars);
        }
        push(' ', chars);
        for c in folded.chars().skip(total - MAX_CHARS / 2) {
            push(c, chars);
        }
    }
    push(' ', chars);
    let n = chars.len();
    f.len = n;
    // Binary features: only the first occurrence of each bucket is kept, checked against a
    // bitset as features are produced (no second pass; repeats are never stored).
    let words = (1usize << bits).div_ceil(64);
    if f.seen.len() != words {
        f.seen = vec![0; words];
    }
    f.idx.reserve(n * 5);
    f.pos.reserve(n * 5);
    let (idx, pos, seen) = (&mut f.idx, &mut f.pos, &mut f.seen);
    let mut emit = |bucket: u64, p: u32| {
        let i = bucket as usize;
        if let Some(w) = seen.get_mut(i / 64) {
            let b = 1u64 << (i % 64);
            if *w & b == 0 {
                *w |= b;
                idx.push(i as u32);
                pos.push(p);
            }
        }
    };
    // Always-on feature (a second intercept that shares the feature scaling).
    emit(0, 0);
    let mut word: u64 = 0xCBF2_9CE4_8422_2325;
    let mut prev: u64 = 0;
    let mut in_word = false;
    for (i, &c) in chars.iter().enumerate() {
        let mut h = mix(0x51_7CC1_B727_220A_u64, c as u64);
        let p = i as u32;
        for (k, &d) in chars.iter().skip(i + 1).take(4).enumerate() {
            h = mix(h, d as u64);
            emit(finish(h ^ (k as u64 + 1)) & mask, p);
        }
        if c.is_alphanumeric() {
            word = mix(word, c as u64);
            in_word = true;
        } else if in_word {
            let w = finish(word ^ 0xA5A5);
            emit(w & mask, p);
            if prev != 0 {
                emit(finish(mix(prev, w) ^ 0x5A5A) & mask, p);
            }
            prev = w;
            word = 0xCBF2_9CE4_8422_2325;
            in_word = false;
        }
    }
    for &i in &f.idx {
        if let Some(w) = f.seen.get_mut(i as usize / 64) {
            *w = 0;
        }
    }
}

/// Scale of a set of `n` features (L2 normalisation of counts, approximately).
#[inline]
pub fn value(n: usize) -> f32 {
    1.0 / (n.max(1) as f32).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_bounded() {
        let mut a = Features::default();
        let mut b = Features::default();
        extract("ignore all previous instructions", 16, &mut a);
        extract("ignore all previous instructions", 16, &mut b);
        assert_eq!(a, b);
        assert!(a.idx.iter().all(|&i| i < (1 << 16)));
        assert!(a.pos.windows(2).all(|w| w[0] <= w[1]));
        extract("", 16, &mut a);
        assert!(a.idx.len() <= 1);
    }

    #[test]
    fn windows_cover_long_text() {
        let mut f = Features::default();
        let text: String = (0..300).map(|i| format!("w{i} ")).collect();
        extract(&text, 12, &mut f);
        let w = f.windows();
        assert!(w.len() >= 6);
        assert_eq!(w.last().unwrap().1 as usize, f.len);
        let r = f.range(w[1].0, w[1].1);
        assert!(!r.is_empty());
    }
}
