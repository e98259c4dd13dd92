//! Content words for the harmful-request head: the folded text without English function
//! words, question stems and politeness ("how", "can you", "please", "the best way to").
//! Without them the head judges *what* is asked, not *how*: the red-team requests it learns
//! from are mostly plain questions, and a model that sees the question form learns that
//! asking a question is harmful. Other languages pass through unchanged (their function
//! words are rarer in the data and harmless to keep). Pure; bounded by the input length.

use crate::classifier::features::is_alphanumeric;

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
/// is not alphanumeric), so the order of keys is the lexicographic order of the words. Used
/// by the tests' reference (the scans use [`right_key`]s and [`STOP_SET`]).
#[cfg(test)]
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
#[cfg(test)]
const STOP_KEYS: [u64; STOP.len()] = {
    let mut out = [0u64; STOP.len()];
    let mut i = 0;
    while i < STOP.len() {
        out[i] = key(STOP[i].as_bytes());
        i += 1;
    }
    out
};

/// Appends `w` to `out` unless it is empty or a stop word (the tests' reference).
#[cfg(test)]
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

/// A word of up to 8 bytes as a right-aligned big-endian `u64` (`(k << 8) | byte` per byte).
/// Words never contain NUL, so distinct words of up to 8 bytes have distinct keys.
const fn right_key(w: &[u8]) -> u64 {
    let mut k = 0u64;
    let mut i = 0;
    while i < w.len() {
        k = (k << 8) | w[i] as u64;
        i += 1;
    }
    k
}

/// Slots of [`STOP_SET`] (a power of two, at least four times the stop words).
const STOP_SLOTS: usize = 512;

/// Slot of a right-aligned key in [`STOP_SET`].
const fn stop_slot(k: u64) -> usize {
    (k.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - STOP_SLOTS.trailing_zeros())) as usize
}

/// [`STOP`] as an open-addressing set of right-aligned keys (0 = empty slot).
const STOP_SET: [u64; STOP_SLOTS] = {
    let mut t = [0u64; STOP_SLOTS];
    let mut i = 0;
    while i < STOP.len() {
        let k = right_key(STOP[i].as_bytes());
        let mut s = stop_slot(k);
        while t[s] != 0 {
            s = (s + 1) % STOP_SLOTS;
        }
        t[s] = k;
        i += 1;
    }
    t
};

/// True when the right-aligned key of a word of at most [`STOP_MAX_LEN`] bytes is a stop word.
#[inline]
fn is_stop_key(k: u64) -> bool {
    let mut s = stop_slot(k);
    loop {
        match STOP_SET.get(s) {
            Some(&x) if x == k => return true,
            Some(&0) | None => return false,
            Some(_) => s = (s + 1) % STOP_SLOTS,
        }
    }
}

/// Writes the content words of `folded` into `out` (cleared first), separated by spaces.
pub fn content_words(folded: &str, out: &mut String) {
    out.clear();
    if folded.is_ascii() {
        content_words_ascii(folded, out);
        return;
    }
    content_words_utf8(folded, out);
}

/// Bytes that belong to a word: ASCII letters, digits and the apostrophe.
const WORD_BYTE: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = (b as u8).is_ascii_alphanumeric() || b as u8 == b'\'';
        b += 1;
    }
    t
};

/// [`content_words`] of ASCII text, over bytes: for ASCII, `char::is_alphanumeric` is
/// `u8::is_ascii_alphanumeric`. The key of each word is built as its bytes go by, and a stop
/// word is one probe of a hash set instead of a binary search.
fn content_words_ascii(text: &str, out: &mut String) {
    let flush = |start: usize, end: usize, key: u64, out: &mut String| {
        if end == start || (end - start <= STOP_MAX_LEN && is_stop_key(key)) {
            return;
        }
        if let Some(w) = text.get(start..end) {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(w);
        }
    };
    let (mut start, mut key) = (0usize, 0u64);
    for (i, &b) in text.as_bytes().iter().enumerate() {
        if WORD_BYTE[usize::from(b)] {
            key = (key << 8) | u64::from(b);
            continue;
        }
        flush(start, i, key, out);
        start = i + 1;
        key = 0;
    }
    flush(start, text.len(), key, out);
}

/// [`content_words`] of non-ASCII text, over bytes like [`content_words_ascii`]: an ASCII
/// byte is a word byte as in [`WORD_BYTE`], a non-ASCII char when it is alphanumeric
/// (`is_alphanumeric` is `char::is_alphanumeric` through a table, checked for every code
/// point in `features`). Stop words are ASCII: a word with a non-ASCII char is kept without
/// a look-up.
fn content_words_utf8(text: &str, out: &mut String) {
    // The content words are at most the text.
    out.reserve(text.len());
    let bytes = text.as_bytes();
    // Kept words not written yet: `text[run.0..run.1]`, words that follow each other with
    // one space between them in the text, as they are written (one copy per run).
    let mut run = (0usize, 0usize);
    // The current word starts at `start`; `key` is its right-aligned key while `ascii`.
    let (mut start, mut key, mut ascii, mut i) = (0usize, 0u64, true, 0usize);
    while let Some(&b) = bytes.get(i) {
        if b < 0x80 {
            if WORD_BYTE[usize::from(b)] {
                key = (key << 8) | u64::from(b);
            } else {
                end_word(text, (start, i), ascii.then_some(key), &mut run, out);
                (start, key, ascii) = (i + 1, 0, true);
            }
            i += 1;
            continue;
        }
        // `b` starts a char of two to four bytes (the text is UTF-8): decoded from its bytes.
        let byte = |k: usize| u32::from(bytes.get(i + k).copied().unwrap_or(0) & 0x3F);
        let (c, n) = if b < 0xE0 {
            ((u32::from(b & 0x1F) << 6) | byte(1), 2)
        } else if b < 0xF0 {
            ((u32::from(b & 0x0F) << 12) | (byte(1) << 6) | byte(2), 3)
        } else {
            let c = (u32::from(b & 0x07) << 18) | (byte(1) << 12) | (byte(2) << 6) | byte(3);
            (c, 4)
        };
        if is_alphanumeric(c) {
            ascii = false;
        } else {
            end_word(text, (start, i), ascii.then_some(key), &mut run, out);
            (start, key, ascii) = (i + n, 0, true);
        }
        i += n;
    }
    end_word(
        text,
        (start, text.len()),
        ascii.then_some(key),
        &mut run,
        out,
    );
    write_run(text, run, out);
}

/// The word `text[word.0..word.1]` of [`content_words_utf8`], its key when it is ASCII: added
/// to the pending `run` when it is kept and follows the run after one space, else the run is
/// written and the word starts the next one.
#[inline(always)]
fn end_word(
    text: &str,
    word: (usize, usize),
    key: Option<u64>,
    run: &mut (usize, usize),
    out: &mut String,
) {
    let (start, end) = word;
    if end == start || key.is_some_and(|k| end - start <= STOP_MAX_LEN && is_stop_key(k)) {
        return;
    }
    if run.1 > run.0 && run.1 + 1 == start && text.as_bytes().get(run.1) == Some(&b' ') {
        run.1 = end;
    } else {
        write_run(text, *run, out);
        *run = (start, end);
    }
}

/// Appends the words `text[run.0..run.1]` to `out`, after a space unless `out` is empty.
fn write_run(text: &str, run: (usize, usize), out: &mut String) {
    if let Some(w) = text.get(run.0..run.1).filter(|w| !w.is_empty()) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(w);
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
    content_evidence_with(content, 0.0)
}

/// [`content_evidence`] with `extra` words counted before those of `content`: with a
/// model's concept gate ([`crate::classifier::model::Head::concept_gate`]), a text in which a
/// harmful-topic concept term was found counts one more word, so that "how do I make a
/// bomb?" (one content word, "bomb") is judged on its score while "continue" or "hello"
/// stays gated.
pub fn content_evidence_with(content: &str, extra: f32) -> f32 {
    let (mut words, mut dense, mut in_word) = (extra, 0.0_f32, false);
    if words >= MIN_CONTENT_WORDS {
        return 1.0;
    }
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

/// Bytes of a text whose content words are tried first by [`gate`].
const GATE_PREFIX: usize = 256;

/// `content_evidence` of the content words of `folded` (`words` a reusable buffer), with one
/// more word when `concept` (a concept term was found and the model's gate counts it; see
/// [`content_evidence_with`]). The evidence only grows along a text (cut at a space, the
/// content words of the start are the start of the content words), so when those of the
/// first [`GATE_PREFIX`] bytes already give full evidence, so does the whole text, and the
/// rest is not read.
pub fn gate(folded: &str, words: &mut String, concept: bool) -> f32 {
    let extra = if concept { 1.0 } else { 0.0 };
    if folded.len() > GATE_PREFIX {
        let cut = folded
            .as_bytes()
            .get(..GATE_PREFIX)
            .and_then(|b| b.iter().rposition(|&b| b == b' '));
        if let Some(head) = cut.and_then(|c| folded.get(..c)) {
            content_words(head, words);
            if content_evidence_with(words, extra) >= 1.0 {
                return 1.0;
            }
        }
    }
    content_words(folded, words);
    content_evidence_with(words, extra)
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

    /// `content_words` as first written: split at every byte that is not alphanumeric or an
    /// apostrophe, binary search of the left-aligned keys.
    fn reference(folded: &str) -> String {
        let mut out = String::new();
        for w in folded.split(|c: char| !(c.is_alphanumeric() || c == '\'')) {
            keep(w, &mut out);
        }
        out
    }

    #[test]
    fn every_stop_word_is_in_the_set() {
        for w in STOP {
            assert!(is_stop_key(right_key(w.as_bytes())), "{w}");
        }
        assert!(!is_stop_key(right_key(b"bread")));
        assert!(!is_stop_key(right_key(b"howw")));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2048))]
        #[test]
        fn same_words_as_the_reference(
            parts in proptest::collection::vec(
                "(how|the|what's|describe|describes|a|i'm|tips|0|x'|'')|[a-z'0-9 ,.?!\n]{0,12}|\\PC{0,6}|[a-zé'中ক্\u{0301}\u{00A0}\u{2019}\u{3000}\u{1F600} ,]{0,10}",
                0..16,
            ),
        ) {
            let text = parts.join(" ");
            let mut out = String::from("stale");
            content_words(&text, &mut out);
            proptest::prop_assert_eq!(out, reference(&text));
        }
    }

    #[test]
    fn same_words_as_the_reference_around_every_char() {
        let mut text = String::new();
        for (k, c) in (0..0x11_0000u32).filter_map(char::from_u32).enumerate() {
            text.push(c);
            text.push(if k % 3 == 0 { ' ' } else { 'a' });
        }
        let mut out = String::new();
        content_words(&text, &mut out);
        assert_eq!(out, reference(&text));
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

    fn whole(text: &str, concept: bool) -> f32 {
        let mut w = String::new();
        content_words(text, &mut w);
        content_evidence_with(&w, if concept { 1.0 } else { 0.0 })
    }

    #[test]
    fn gate_reads_a_prefix_only_when_it_decides() {
        let mut w = String::new();
        for t in [
            "",
            "go",
            &format!("{} kill", "the ".repeat(100)),
            &format!("{}炸弹", "the ".repeat(100)),
            &"how to make a bomb at home ".repeat(20),
            &format!("{}x", "a".repeat(300)),
        ] {
            for concept in [false, true] {
                assert_eq!(gate(t, &mut w, concept), whole(t, concept), "{t}");
            }
        }
    }

    #[test]
    fn a_concept_term_counts_as_one_more_content_word() {
        let mut w = String::new();
        // One content word: a quarter of the score, or all of it with a concept term.
        assert_eq!(gate("how do i make a bomb?", &mut w, false), 0.25);
        assert_eq!(gate("how do i make a bomb?", &mut w, true), 1.0);
        // No content word at all: a concept term alone still gives a quarter.
        assert_eq!(gate("how do i?", &mut w, true), 0.25);
        assert_eq!(gate("how do i?", &mut w, false), 0.0);
        assert_eq!(content_evidence("bomb"), content_evidence_with("bomb", 0.0));
    }

    proptest::proptest! {
        #[test]
        fn gate_equals_the_evidence_of_the_whole_text(
            text in "(the|a|of|kill|bomb|炸弹|ไทย|[a-z]{1,6}|[ ,.?\n]){0,200}"
        ) {
            let mut w = String::new();
            proptest::prop_assert_eq!(gate(&text, &mut w, false), whole(&text, false));
            proptest::prop_assert_eq!(gate(&text, &mut w, true), whole(&text, true));
        }
    }
}
