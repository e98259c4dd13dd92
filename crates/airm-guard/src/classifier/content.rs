//! Content words for the harmful-request head: the folded text without English function
//! words, question stems and politeness ("how", "can you", "please", "the best way to").
//! Without them the head judges *what* is asked, not *how*: the red-team requests it learns
//! from are mostly plain questions, and a model that sees the question form learns that
//! asking a question is harmful. Other languages pass through unchanged (their function
//! words are rarer in the data and harmless to keep). Pure; bounded by the input length.

/// English function words and request stems dropped before scoring (sorted for binary
/// search; lowercase, as the folded text is).
const STOP: &[&str] = &[
    "a", "about", "all", "also", "an", "and", "any", "are", "at", "be", "been", "best", "but",
    "by", "can", "could", "describe", "did", "do", "does", "don't", "explain", "for", "from",
    "get", "give", "good", "had", "has", "have", "he", "help", "here", "how", "how's", "i", "i'm",
    "if", "in", "into", "is", "it", "it's", "its", "just", "know", "let", "like", "list", "make",
    "many", "may", "me", "might", "more", "most", "much", "must", "my", "need", "no", "not", "of",
    "on", "one", "or", "our", "out", "please", "really", "shall", "she", "should", "so", "some",
    "tell", "than", "that", "the", "them", "then", "there", "these", "they", "this", "those",
    "tips", "to", "up", "us", "very", "want", "was", "way", "ways", "we", "were", "what", "what's",
    "when", "where", "which", "who", "whom", "whose", "why", "will", "with", "would", "write",
    "yes", "you", "your",
];

/// Length in bytes of the longest word in [`STOP`] ("describe"): longer words are kept
/// without a look-up.
const STOP_MAX_LEN: usize = 8;

/// A word of up to 8 bytes as a big-endian `u64`, zero-padded. Words never contain NUL (it
/// is not alphanumeric), so the order of keys is the lexicographic order of the words.
const fn key(w: &[u8]) -> u64 {
    let mut k = 0u64;
    let mut i = 0;
    while i < 8 {
        k <<= 8;
        if i < w.len() {
            k |= w[i] as u64;
        }
        i += 1;
    }
    k
}

/// [`STOP`] as keys, in the same (sorted) order: one integer comparison per probe.
const STOP_KEYS: [u64; STOP.len()] = {
    let mut out = [0u64; STOP.len()];
    let mut i = 0;
    while i < STOP.len() {
        out[i] = key(STOP[i].as_bytes());
        i += 1;
    }
    out
};

fn keep(w: &str, out: &mut String) {
    if w.is_empty()
        || (w.len() <= STOP_MAX_LEN && STOP_KEYS.binary_search(&key(w.as_bytes())).is_ok())
    {
        return;
    }
    if !out.is_empty() {
        out.push(' ');
    }
    out.push_str(w);
}

/// Writes the content words of `folded` into `out` (cleared first), separated by spaces.
pub fn content_words(folded: &str, out: &mut String) {
    out.clear();
    if folded.is_ascii() {
        // Same split as below, on bytes: for ASCII, `char::is_alphanumeric` is
        // `u8::is_ascii_alphanumeric`. Empty pieces are dropped by `keep` anyway.
        let mut start = 0;
        for (i, &b) in folded.as_bytes().iter().enumerate() {
            if !(b.is_ascii_alphanumeric() || b == b'\'') {
                if i > start {
                    keep(folded.get(start..i).unwrap_or(""), out);
                }
                start = i + 1;
            }
        }
        keep(folded.get(start..).unwrap_or(""), out);
        return;
    }
    for w in folded.split(|c: char| !(c.is_alphanumeric() || c == '\'')) {
        keep(w, out);
    }
}

/// Content words a text needs before the harmful-request head may judge it alone: one word
/// ("go", "continue", "hello") carries too little evidence, and red-team dialogues open with
/// exactly such turns.
pub const MIN_CONTENT_WORDS: f32 = 2.0;

/// How much of the harmful-request score a text of these content words keeps, in `[0, 1]`:
/// `(words / MIN_CONTENT_WORDS)²`, capped at 1. Words are counted as [`content_words`] splits
/// them, except in scripts written without spaces: there two Han or kana characters count as
/// one word, and six Thai, Lao, Khmer or Myanmar characters. One content word keeps a
/// quarter of its score, so no threshold above 0.25 can block it. Pure; one pass.
pub fn content_evidence(content: &str) -> f32 {
    let (mut words, mut dense, mut in_word) = (0.0_f32, 0.0_f32, false);
    for c in content.chars() {
        if c == ' ' {
            in_word = false;
            continue;
        }
        match c as u32 {
            0x3040..=0x30ff | 0x3400..=0x4dbf | 0x4e00..=0x9fff | 0xf900..=0xfaff => {
                dense += 0.5;
                in_word = false;
            }
            0x0e00..=0x0eff | 0x1000..=0x109f | 0x1780..=0x17ff => {
                dense += 1.0 / 6.0;
                in_word = false;
            }
            _ if !in_word => {
                words += 1.0;
                in_word = true;
            }
            _ => {}
        }
        if words + dense >= MIN_CONTENT_WORDS {
            return 1.0;
        }
    }
    let e = ((words + dense) / MIN_CONTENT_WORDS).min(1.0);
    e * e
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stop_list_is_sorted_and_drops_question_form() {
        assert!(STOP.windows(2).all(|w| w[0] < w[1]));
        assert!(STOP_KEYS.windows(2).all(|w| w[0] < w[1]));
        assert!(STOP.iter().all(|w| !w.contains('\0')));
        assert_eq!(STOP.iter().map(|w| w.len()).max(), Some(STOP_MAX_LEN));
        let mut s = String::new();
        content_words("how can i bake the best sourdough bread?", &mut s);
        assert_eq!(s, "bake sourdough bread");
        content_words("如何制作炸弹", &mut s);
        assert_eq!(s, "如何制作炸弹");
        content_words("", &mut s);
        assert_eq!(s, "");
        content_words("so, 'tis the ''best'' way--to bake!", &mut s);
        assert_eq!(s, "'tis ''best'' bake");
    }

    #[test]
    fn one_content_word_is_not_enough() {
        let ev = |t: &str| {
            let mut s = String::new();
            content_words(t, &mut s);
            content_evidence(&s)
        };
        for t in [
            "go",
            "ok",
            "yes",
            "continue",
            "Hello, how are you?",
            "hi!",
            "你好",
            "",
        ] {
            assert!(ev(t) <= 0.25, "{t:?}: {}", ev(t));
        }
        assert_eq!(ev("how do i bake bread"), 1.0);
        assert_eq!(ev("如何制作炸弹"), 1.0);
        assert_eq!(ev("วิธีทำต้มยำกุ้งทำอย่างไร"), 1.0);
        assert!(ev("สวัสดี") < 0.5);
    }
}
