//! Which way a text reads, in any script: statistics of adjacent letters learnt from natural
//! text.
//!
//! The table holds, for every ordered pair of adjacent letters `(a, b)` (hashed into
//! `2^BITS` buckets), `log2(count + 4)` of how often the pair occurs in the training texts,
//! in eighths (one byte; the 4 is a prior, so that rare pairs are weak evidence). A text is compared with two transforms of itself over its first
//! [`MAX_PAIRS`] letter pairs:
//!
//! - **reversed**: the pairs read backwards, `(b, a)`. Natural text in any language has a
//!   direction (Bengali vowel signs follow their consonant, Chinese 我们 is common and 们我
//!   is not, Arabic and Russian words have common endings), so reversed text scores
//!   clearly lower than its reversal;
//! - **rot13**: ASCII letters rotated by 13. Rotated Latin-script text (English, German,
//!   Vietnamese with its accented vowels left as they are, ...) is full of rare pairs.
//!
//! A transform is taken when it is more natural than the text by a margin per pair
//! ([`ROT13_GAIN`], [`REVERSED_GAIN`]). This complements the English letter-bigram test of
//! [`crate::decode`], which only sees ASCII letters. The table is airm's own artefact,
//! reproduced byte for byte by the `letter_pairs` example from the prompt set's
//! `train.jsonl` (see `docs/guard-eval.md`); a pair seen fewer than twice either way is not
//! counted, so a script the table does not know is never judged.

use crate::classifier::features::{bmp_alphanumeric, is_alphanumeric_in};

/// Buckets of the table: `2^BITS`.
pub const BITS: u32 = 18;
/// Letter pairs looked at (from the start of the text): an end-to-end transform shows at
/// once, and the cost per check stays bounded.
pub const MAX_PAIRS: usize = 128;
/// Fewest letter pairs judged.
pub const MIN_PAIRS: usize = 6;
/// Margin (log2 units per pair) by which the rot13 reading must be more natural.
pub const ROT13_GAIN: f32 = 1.0;
/// Margin (log2 units per pair) by which the reversed reading must be more natural.
pub const REVERSED_GAIN: f32 = 0.5;
/// A pair counts only when one of its readings was seen at least twice (`log2(2 + PRIOR)`
/// in eighths, rounded): pairs of a script the table knows little of (each seen once, or never)
/// say nothing of its direction.
const KNOWN: u32 = 21;
/// Pseudo-count added to every pair before the logarithm, so that a pair seen once or
/// twice in one direction only is weak evidence of the direction.
const PRIOR: f64 = 4.0;
/// Table entries are `log2(count + PRIOR)` times this, rounded, at most 255.
const SCALE: f32 = 8.0;

static TABLE: &[u8; 1 << BITS] = include_bytes!("../model/letter_pairs.bin");

/// The embedded table.
pub fn table() -> &'static [u8] {
    TABLE
}

/// Hash factor of a pair's first letter.
const K1: u64 = 0x9E37_79B9_7F4A_7C15;
/// Hash factor of a pair's second letter.
const K2: u64 = 0xC2B2_AE3D_27D4_EB4F;

/// Bucket of the ordered pair `(a, b)`: the top bits of `a·K1 xor b·K2`, so that the
/// products of a letter are computed once for the pairs it starts and ends.
#[inline]
pub fn bucket(a: u32, b: u32) -> usize {
    bucket_of(u64::from(a).wrapping_mul(K1), u64::from(b).wrapping_mul(K2))
}

#[inline(always)]
fn bucket_of(a1: u64, b2: u64) -> usize {
    ((a1 ^ b2) >> (64 - BITS)) as usize
}

/// A letter for these statistics: alphanumeric and not an ASCII digit.
#[inline(always)]
fn is_letter(alnum: &[u64; 1024], c: u32) -> bool {
    if c < 0x80 {
        (c | 0x20).wrapping_sub(0x61) < 26
    } else {
        is_alphanumeric_in(alnum, c)
    }
}

/// ASCII letters rotated by 13 (the text is folded to lower case first, but upper case is
/// rotated too).
#[inline]
fn rot(c: u32) -> u32 {
    match c {
        0x61..=0x6D | 0x41..=0x4D => c + 13,
        0x6E..=0x7A | 0x4E..=0x5A => c - 13,
        _ => c,
    }
}

/// Calls `f(a, b)` for the adjacent letter pairs of `text` (pairs never span a non-letter),
/// at most `max` of them; returns how many.
fn pairs(text: &str, max: usize, mut f: impl FnMut(u32, u32)) -> usize {
    let alnum = bmp_alphanumeric();
    let mut n = 0;
    let mut prev: Option<u32> = None;
    for c in text.chars() {
        let c = c as u32;
        if !is_letter(alnum, c) {
            prev = None;
            continue;
        }
        if let Some(p) = prev {
            if n == max {
                break;
            }
            f(p, c);
            n += 1;
        }
        prev = Some(c);
    }
    n
}

/// Summed table values of a text's first [`MAX_PAIRS`] letter pairs read as they are,
/// rotated by 13 and reversed, and the number of pairs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Naturalness {
    /// The pairs as they are.
    pub plain: u32,
    /// Both letters rotated by 13.
    pub rot13: u32,
    /// Each pair read backwards.
    pub reversed: u32,
    /// Pairs counted (those with a known reading).
    pub pairs: usize,
    /// Pairs looked at (at most [`MAX_PAIRS`], from the start).
    pub seen: usize,
}

/// The hash products of a letter: as it is and rotated by 13, by `K1` and by `K2`.
#[inline(always)]
fn products(c: u32) -> [u64; 4] {
    let (c, r) = (u64::from(c), u64::from(rot(c)));
    [
        c.wrapping_mul(K1),
        c.wrapping_mul(K2),
        r.wrapping_mul(K1),
        r.wrapping_mul(K2),
    ]
}

/// [`Naturalness`] of `text` under `table` (`2^BITS` entries).
pub fn naturalness_with(table: &[u8], text: &str) -> Naturalness {
    let at = |i: usize| u32::from(table.get(i).copied().unwrap_or(0));
    let alnum = bmp_alphanumeric();
    let mut n = Naturalness::default();
    let mut prev: Option<[u64; 4]> = None;
    for c in text.chars() {
        let c = c as u32;
        if !is_letter(alnum, c) {
            prev = None;
            continue;
        }
        let cur = products(c);
        if let Some([a1, a2, ra1, _]) = prev {
            let [b1, b2, _, rb2] = cur;
            let (p, v) = (at(bucket_of(a1, b2)), at(bucket_of(b1, a2)));
            // Letters outside ASCII are not rotated: the pair's rot13 reading is the pair.
            let r = if (ra1, rb2) == (a1, b2) {
                p
            } else {
                at(bucket_of(ra1, rb2))
            };
            if p.max(v).max(r) >= KNOWN {
                n.plain += p;
                n.reversed += v;
                n.rot13 += r;
                n.pairs += 1;
            }
            n.seen += 1;
            if n.seen == MAX_PAIRS {
                break;
            }
        }
        prev = Some(cur);
    }
    n
}

/// What the statistics say of a whole text, if anything: `Rot13` or `Reversed`.
pub fn judge(n: &Naturalness) -> Option<crate::decode::Decoding> {
    if n.pairs < MIN_PAIRS {
        return None;
    }
    let per_pair = |x: u32| x as f32 / (SCALE * n.pairs as f32);
    let plain = per_pair(n.plain);
    if per_pair(n.rot13) - plain >= ROT13_GAIN {
        Some(crate::decode::Decoding::Rot13)
    } else if per_pair(n.reversed) - plain >= REVERSED_GAIN {
        Some(crate::decode::Decoding::Reversed)
    } else {
        None
    }
}

/// [`judge`] of `text` (folded) under the embedded table.
pub fn whole_text_kind(text: &str) -> Option<crate::decode::Decoding> {
    judge(&naturalness_with(table(), text))
}

/// Builds a table from natural texts (each folded as the guard folds input: invisible
/// characters removed, NFKC, lower case). Every letter pair of every text is counted.
pub fn build<'a>(texts: impl IntoIterator<Item = &'a str>) -> Vec<u8> {
    let mut counts = vec![0u64; 1 << BITS];
    for t in texts {
        pairs(t, usize::MAX, |a, b| {
            if let Some(c) = counts.get_mut(bucket(a, b)) {
                *c += 1;
            }
        });
    }
    counts
        .iter()
        .map(|&c| {
            ((c as f64 + PRIOR).log2() * f64::from(SCALE))
                .round()
                .min(255.0) as u8
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::{rot13, Decoding};
    use crate::normalize::{fold, nfkc};

    fn kind(text: &str) -> Option<Decoding> {
        whole_text_kind(&fold(&nfkc(text)))
    }

    fn reversed(text: &str) -> String {
        text.chars().rev().collect()
    }

    /// Sentences written for this test (not from the prompt set), in the scripts the table
    /// was built from.
    const PLAIN: &[&str] = &[
        "How do I bake bread at home without a bread machine?",
        "Wie kann ich meinem Nachbarn helfen, der seinen Schlüssel verloren hat?",
        "Làm thế nào để nấu một nồi phở ngon cho cả gia đình?",
        "Come posso imparare a suonare la chitarra da solo?",
        "Je, ninawezaje kupika wali na maharagwe kwa ajili ya familia?",
        "Как приготовить вкусный борщ для всей семьи?",
        "كيف يمكنني تعلم اللغة الإنجليزية بسرعة في المنزل؟",
        "আমি কীভাবে বাড়িতে ভাত রান্না করতে পারি?",
        "我们怎么才能在家里做好吃的饺子呢？",
        "집에서 맛있는 김치찌개를 어떻게 만들 수 있나요?",
        "ฉันจะทำอาหารไทยที่บ้านได้อย่างไรบ้างครับ",
        "自宅でおいしいカレーを作るにはどうすればいいですか？",
    ];

    /// Every sentence, reversed, through the whole decoding step: a variant decoded as
    /// `Reversed` gives the sentence back (its chars; NFKC reorders stacked combining marks
    /// of the reversed input, e.g. Thai tone marks, so the order may differ there).
    #[test]
    fn prepare_decodes_reversed_text_in_every_script() {
        let limits = crate::decode::DecodeLimits::default();
        for t in PLAIN {
            let p = crate::decode::prepare(&reversed(t), &limits);
            let sorted = |s: &str| {
                let mut c: Vec<char> = s.trim().chars().collect();
                c.sort_unstable();
                c
            };
            let want = fold(&nfkc(t));
            assert!(
                p.variants.iter().any(|v| v.chain == [Decoding::Reversed]
                    && (v.folded.trim() == want.trim() || sorted(&v.folded) == sorted(&want))),
                "{t}: {:?}",
                p.variants.iter().map(|v| &v.chain).collect::<Vec<_>>()
            );
        }
    }

    #[test]
    fn plain_text_is_not_judged() {
        for t in PLAIN {
            assert_eq!(kind(t), None, "{t}");
        }
    }

    /// Languages of consonant-vowel syllables (Swahili here) have pairs about as common
    /// both ways, so their reversal is not told by this test alone (the whole pipeline is
    /// checked in `prepare_decodes_reversed_text_in_every_script`).
    const SYMMETRIC: &[&str] = &["Je, ninawezaje kupika wali na maharagwe kwa ajili ya familia?"];

    #[test]
    fn reversed_text_is_recognised_in_every_script() {
        for t in PLAIN.iter().filter(|t| !SYMMETRIC.contains(t)) {
            assert_eq!(kind(&reversed(t)), Some(Decoding::Reversed), "{t}");
        }
    }

    #[test]
    fn rot13_is_recognised_in_latin_scripts() {
        for t in PLAIN.iter().take(5) {
            assert_eq!(kind(&rot13(t)), Some(Decoding::Rot13), "{t}");
        }
    }

    #[test]
    fn short_or_unknown_text_is_not_judged() {
        assert_eq!(kind("ok"), None);
        assert_eq!(kind(&reversed("hi there")), None);
        // Hebrew and Greek are not in the table: no pair was seen twice, so none counts.
        assert_eq!(kind(&reversed("שלום לכולם, מה שלומכם היום בבוקר?")), None);
        assert_eq!(
            kind(&reversed("Καλημέρα σε όλους, τι κάνετε σήμερα;")),
            None
        );
        // Digits and symbols only.
        assert_eq!(kind("1234 5678 9012 3456 !!! ###"), None);
    }

    #[test]
    fn pairs_are_bounded_and_stop_at_non_letters() {
        let mut seen = Vec::new();
        let n = pairs("ab c1de", 10, |a, b| seen.push((a, b)));
        assert_eq!(n, 2);
        assert_eq!(seen, vec![(97, 98), (100, 101)]);
        let long = "abcdefgh".repeat(1000);
        assert_eq!(naturalness_with(table(), &long).seen, MAX_PAIRS);
    }

    #[test]
    fn build_counts_pairs_in_log_eighths() {
        let t = build(["ab ab ab", "ba"]);
        assert_eq!(t.len(), 1 << BITS);
        // log2(count + PRIOR) in eighths: 3 times "ab" -> log2(7) * 8 = 22.5; once "ba" ->
        // log2(5) * 8 = 18.6; never -> log2(4) * 8 = 16.
        assert_eq!(t[bucket(97, 98)], 22);
        assert_eq!(t[bucket(98, 97)], 19);
        assert_eq!(t.iter().filter(|&&x| x != 16).count(), 2);
    }

    #[test]
    fn the_embedded_table_has_its_size() {
        assert_eq!(table().len(), 1 << BITS);
        assert!(table().iter().any(|&x| x > 0));
    }
}
