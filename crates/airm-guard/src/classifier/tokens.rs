//! WordPiece tokens of a folded text, for the harmful-request head's token channel: the head
//! adds the mean of one learnt weight per token (see [`TokenWeights`]) to its n-gram logit.
//! The weights are learnt as a direction in a space of static token vectors distilled from a
//! sentence encoder (`model/token_vectors.bin`, read only by the trainer), so a token that
//! never occurs in the training data still gets the weight of the tokens it is close to
//! ("electrocute" near "kill"): that is what the n-gram head alone cannot do.
//!
//! Tokenisation follows BERT's uncased tokenizer (accents removed, each CJK ideograph and
//! each punctuation char a token of its own, then greedy longest-match WordPiece with `##`
//! continuations), except that a word no pieces cover, or longer than [`MAX_WORD_CHARS`],
//! is dropped instead of becoming `[UNK]`: an unknown word says nothing of its meaning, and
//! as a token it would stand for "a script the vocabulary does not know", a language rather
//! than an intent. The vectors come from an English encoder, whose vocabulary cuts the words
//! of other languages into fragments ("ciao" into "cia ##o") that mean nothing there; such
//! fragments learnt as harmful would make a language harmful. So a text has token ids only
//! when at least [`MIN_WHOLE_WORDS`] of its words are tokens of their own (English text, and
//! text close to it); otherwise the channel adds nothing. Bounded: at most [`MAX_TOKENS`]
//! tokens per text and [`MAX_WORD_CHARS`] chars per word, and every piece tried is at most
//! the longest token's length. Token strings are found by a
//! 64-bit hash of their bytes in a table of twice the vocabulary's size, which keeps 32 bits
//! of it besides the slot: a string that is not a token is taken for one with a chance of
//! about 2^-31 per look-up.

use unicode_normalization::char::{decompose_canonical, is_combining_mark};

use crate::classifier::features::{bmp_alphanumeric, is_alphanumeric_in};
use crate::normalize::{bmp_bit, empty_bmp_bits, BmpBits};

/// Tokens of a text the channel averages (the first ones).
pub const MAX_TOKENS: usize = 128;
/// Longer words are dropped (BERT makes them `[UNK]`).
pub const MAX_WORD_CHARS: usize = 100;
/// Share of a text's words that must be tokens of their own for it to have token ids at all.
pub const MIN_WHOLE_WORDS: f32 = 0.75;
/// Most tokens a vocabulary may have.
pub const MAX_VOCAB: usize = 1 << 20;

/// A WordPiece vocabulary: token strings in id order, `##` marking a continuation piece.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vocab {
    /// Open-addressing table of (check, id): the slot from the hash's low bits, the check its
    /// high 32 bits (0 marks an empty slot). 8 bytes a slot, so the table of a 30k-token
    /// vocabulary is 512 KB.
    slots: Vec<(u32, u32)>,
    /// Longest piece in bytes (without `##`).
    longest: usize,
    len: usize,
}

const SEED_START: u64 = 0xcbf2_9ce4_8422_2325;
const SEED_CONT: u64 = 0x8422_2325_cbf2_9ce4;

#[inline(always)]
fn step(h: u64, b: u8) -> u64 {
    (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
}

#[inline(always)]
fn finish(h: u64) -> u64 {
    let h = (h ^ (h >> 32)).wrapping_mul(0xd6e8_feb8_6659_fd93);
    (h ^ (h >> 32)).max(1)
}

impl Vocab {
    /// Parses the tokens of `text`, one per line in id order.
    pub fn new(text: &str) -> Result<Vocab, String> {
        let tokens: Vec<&str> = text.split('\n').collect();
        if tokens.len() > MAX_VOCAB {
            return Err(format!(
                "vocabulary of {} tokens (at most {MAX_VOCAB})",
                tokens.len()
            ));
        }
        let cap = (tokens.len() * 2).next_power_of_two().max(64);
        let mut v = Vocab {
            slots: vec![(0, 0); cap],
            longest: 0,
            len: tokens.len(),
        };
        for (id, t) in tokens.iter().enumerate() {
            let (cont, piece) = match t.strip_prefix("##") {
                Some(p) if !p.is_empty() => (true, p),
                _ => (false, *t),
            };
            v.longest = v.longest.max(piece.len());
            let h = hash(cont, piece.as_bytes());
            let mask = cap - 1;
            let mut s = (h as usize) & mask;
            let k = check(h);
            loop {
                match v.slots.get_mut(s) {
                    Some(slot) if slot.0 == 0 => {
                        *slot = (k, id as u32);
                        break;
                    }
                    // A duplicate string (or hash) keeps its first id.
                    Some(slot) if slot.0 == k => break,
                    _ => s = (s + 1) & mask,
                }
            }
        }
        Ok(v)
    }

    /// Number of tokens.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True for an empty vocabulary (never: splitting gives at least one line).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    #[inline]
    fn find(&self, h: u64) -> Option<u32> {
        let mask = self.slots.len() - 1;
        let mut s = (h as usize) & mask;
        let want = check(h);
        loop {
            let &(k, id) = self.slots.get(s)?;
            if k == want {
                return Some(id);
            }
            if k == 0 {
                return None;
            }
            s = (s + 1) & mask;
        }
    }

    /// The token ids of `text` (at most [`MAX_TOKENS`]) into `out`, `word` a reusable buffer.
    pub fn tokenize(&self, text: &str, out: &mut Vec<u32>, word: &mut String) {
        out.clear();
        word.clear();
        let (words, whole) = if text.is_ascii() {
            self.tokenize_ascii(text.as_bytes(), out, word)
        } else {
            self.tokenize_chars(text, out, word)
        };
        out.truncate(MAX_TOKENS);
        if (whole as f32) < MIN_WHOLE_WORDS * words as f32 || words == 0 {
            out.clear();
        }
    }

    /// [`Vocab::tokenize`] char by char (any text), without the coverage test: returns the
    /// number of words and of words that are one token of their own.
    fn tokenize_chars(&self, text: &str, out: &mut Vec<u32>, word: &mut String) -> (u32, u32) {
        let (mut words, mut whole) = (0u32, 0u32);
        let alnum = bmp_alphanumeric();
        for c in text.chars() {
            if out.len() >= MAX_TOKENS {
                break;
            }
            if is_alphanumeric_in(alnum, c as u32) && !is_cjk(c) {
                if c.is_ascii() {
                    word.push(c.to_ascii_lowercase());
                } else if is_plain(c) {
                    word.push(c);
                } else {
                    push_plain(c, word);
                }
                continue;
            }
            if is_combining_mark(c) {
                continue;
            }
            if !word.is_empty() {
                words += 1;
                whole += u32::from(self.word(word.as_bytes(), out));
                if hopeless(words, whole, out.len()) {
                    word.clear();
                    break;
                }
            }
            word.clear();
            if c.is_whitespace() || c.is_control() {
                continue;
            }
            // Punctuation, symbols and CJK ideographs: a token of their own.
            let mut b = [0u8; 4];
            let s = c.encode_utf8(&mut b);
            self.word(s.as_bytes(), out);
        }
        if !word.is_empty() {
            words += 1;
            whole += u32::from(self.word(word.as_bytes(), out));
        }
        (words, whole)
    }

    /// [`Vocab::tokenize`] of ASCII text: words are runs of alphanumeric bytes, looked up in
    /// place (copied only to lowercase them).
    fn tokenize_ascii(&self, text: &[u8], out: &mut Vec<u32>, word: &mut String) -> (u32, u32) {
        let (mut words, mut whole) = (0u32, 0u32);
        let mut start = 0usize;
        let mut i = 0usize;
        while i <= text.len() && out.len() < MAX_TOKENS {
            let b = text.get(i).copied().unwrap_or(b' ');
            if b.is_ascii_alphanumeric() {
                i += 1;
                continue;
            }
            if let Some(w) = text.get(start..i).filter(|w| !w.is_empty()) {
                words += 1;
                let one = if w.iter().any(u8::is_ascii_uppercase) {
                    word.clear();
                    word.extend(w.iter().map(|b| char::from(b.to_ascii_lowercase())));
                    self.word(word.as_bytes(), out)
                } else {
                    self.word(w, out)
                };
                whole += u32::from(one);
                if hopeless(words, whole, out.len()) {
                    break;
                }
            }
            // Punctuation and symbols are tokens; spaces and control bytes are not.
            if b.is_ascii_graphic() {
                self.word(&[b], out);
            }
            i += 1;
            start = i;
        }
        (words, whole)
    }

    /// The pieces of one word (the UTF-8 bytes of a lowercase word without accents), greedy
    /// longest match first; true when the word is one token of its own.
    fn word(&self, bytes: &[u8], out: &mut Vec<u32>) -> bool {
        if bytes.is_empty() {
            return false;
        }
        // Most words are one token: the longest match is the word itself.
        if bytes.len() <= self.longest {
            if let Some(id) = self.find(hash(false, bytes)) {
                out.push(id);
                return true;
            }
        }
        // A char boundary: the end, or a byte that does not continue a char.
        let boundary = |i: usize| bytes.get(i).is_none_or(|&b| b & 0xC0 != 0x80);
        if bytes.len() > MAX_WORD_CHARS
            && bytes.iter().filter(|&&b| b & 0xC0 != 0x80).count() > MAX_WORD_CHARS
        {
            return false;
        }
        let start_len = out.len();
        let mut at = 0usize;
        // Hashes of the prefixes of `bytes[at..]` that end on a char boundary (the longest
        // token is at most `longest` bytes, so no more are needed).
        let mut ends = [(0usize, 0u64); 64];
        while at < bytes.len() {
            let mut count = 0usize;
            let mut h = if at == 0 { SEED_START } else { SEED_CONT };
            let last = (at + self.longest.min(ends.len())).min(bytes.len());
            for (i, &b) in bytes.iter().enumerate().take(last).skip(at) {
                h = step(h, b);
                if boundary(i + 1) {
                    if let Some(slot) = ends.get_mut(count) {
                        *slot = (i + 1, finish(h));
                        count += 1;
                    }
                }
            }
            let found = ends
                .get(..count)
                .unwrap_or(&[])
                .iter()
                .rev()
                .find_map(|&(e, h)| Some((e, self.find(h)?)));
            match found {
                Some((e, id)) => {
                    out.push(id);
                    at = e;
                }
                None => {
                    out.truncate(start_len);
                    return false;
                }
            }
        }
        false
    }
}

/// True when a text with `words` words so far, `whole` of them tokens of their own, and
/// `tokens` tokens can no longer reach [`MIN_WHOLE_WORDS`]: even if every token still allowed
/// came from a further whole word, the share would stay below it (the share only grows by
/// whole words, each one token). Stopping then gives the result of reading on: no ids.
#[inline]
fn hopeless(words: u32, whole: u32, tokens: usize) -> bool {
    let more = MAX_TOKENS.saturating_sub(tokens) as f32;
    (whole as f32 + more) < MIN_WHOLE_WORDS * (words as f32 + more)
}

/// One bit per BMP code point: [`push_plain`] of the char pushes the char itself (its
/// lowercase and canonical decomposition are the char, and it is not a combining mark).
static PLAIN: BmpBits = empty_bmp_bits();

/// [`push_plain`] of `c` is `c` itself (looked up for the BMP, computed above it).
#[inline]
fn is_plain(c: char) -> bool {
    bmp_bit(&PLAIN, c as u32, plain_by_tables).unwrap_or_else(|| plain_by_tables(c))
}

/// What [`is_plain`] caches, from Unicode's tables.
fn plain_by_tables(c: char) -> bool {
    let mut s = String::new();
    push_plain(c, &mut s);
    s.chars().eq([c])
}

/// The part of a hash a slot keeps: its high 32 bits, never 0 (the empty mark).
#[inline(always)]
fn check(h: u64) -> u32 {
    ((h >> 32) as u32).max(1)
}

fn hash(cont: bool, bytes: &[u8]) -> u64 {
    let seed = if cont { SEED_CONT } else { SEED_START };
    finish(bytes.iter().fold(seed, |h, &b| step(h, b)))
}

/// Appends `c` lowercased and without accents (canonical decomposition, marks dropped).
fn push_plain(c: char, word: &mut String) {
    for l in c.to_lowercase() {
        decompose_canonical(l, |d| {
            if !is_combining_mark(d) {
                word.push(d);
            }
        });
    }
}

/// CJK ideographs, which BERT's tokenizer makes tokens of their own.
fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x4E00..=0x9FFF
        | 0x3400..=0x4DBF
        | 0x20000..=0x2A6DF
        | 0x2A700..=0x2B73F
        | 0x2B740..=0x2B81F
        | 0x2B820..=0x2CEAF
        | 0xF900..=0xFAFF
        | 0x2F800..=0x2FA1F)
}

/// The token channel of a head: one weight per token of `vocab`; the channel's logit for a
/// text is the mean weight of its tokens (0 for a text without tokens).
#[derive(Debug, Clone, PartialEq)]
pub struct TokenWeights {
    /// The vocabulary, one token per line (as stored in the model file).
    pub vocab_text: String,
    /// The parsed vocabulary.
    pub vocab: Vocab,
    /// One weight per token id.
    pub weights: Vec<f32>,
}

impl TokenWeights {
    /// Checks that there is one weight per token.
    pub fn new(vocab_text: String, weights: Vec<f32>) -> Result<TokenWeights, String> {
        let vocab = Vocab::new(&vocab_text)?;
        if weights.len() != vocab.len() {
            return Err(format!(
                "{} token weights for {} tokens",
                weights.len(),
                vocab.len()
            ));
        }
        if !weights.iter().all(|w| w.is_finite()) {
            return Err("non-finite token weight".into());
        }
        Ok(TokenWeights {
            vocab_text,
            vocab,
            weights,
        })
    }

    /// The mean weight of the token ids `ids`.
    pub fn mean(&self, ids: &[u32]) -> f32 {
        if ids.is_empty() {
            return 0.0;
        }
        let sum: f32 = ids
            .iter()
            .map(|&i| self.weights.get(i as usize).copied().unwrap_or(0.0))
            .sum();
        sum / ids.len() as f32
    }

    /// The channel's logit for `text` (a folded text), `ids` and `word` reusable buffers.
    pub fn logit(&self, text: &str, ids: &mut Vec<u32>, word: &mut String) -> f32 {
        self.vocab.tokenize(text, ids, word);
        self.mean(ids)
    }
}

/// Static token vectors (`model/token_vectors.bin`, written by `tools/token_vectors.py`): one
/// `i8` vector per token of a vocabulary, with one scale per dimension. Only the trainer
/// reads them.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenVectors {
    /// The vocabulary, one token per line in id order.
    pub vocab_text: String,
    /// Dimensions per vector.
    pub dims: usize,
    scale: Vec<f32>,
    q: Vec<i8>,
}

impl TokenVectors {
    /// Parses the file format (see `tools/token_vectors.py`).
    pub fn from_bytes(b: &[u8]) -> Result<TokenVectors, String> {
        if b.get(..8) != Some(b"AIRMTOKV".as_slice()) {
            return Err("not an airm token-vector file".into());
        }
        let u = |at: usize| -> Result<usize, String> {
            b.get(at..at + 4)
                .map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]) as usize)
                .ok_or_else(|| "truncated header".to_string())
        };
        if u(8)? != 1 {
            return Err("unknown token-vector version".into());
        }
        let (n, dims, vlen) = (u(12)?, u(16)?, u(20)?);
        if n > MAX_VOCAB || dims == 0 || dims > 4096 {
            return Err("token-vector sizes out of range".into());
        }
        let vocab = b.get(24..24 + vlen).ok_or("truncated vocabulary")?;
        let vocab_text = std::str::from_utf8(vocab)
            .map_err(|_| "vocabulary is not UTF-8")?
            .to_string();
        if vocab_text.split('\n').count() != n {
            return Err("vocabulary and vector counts differ".into());
        }
        let at = 24 + vlen;
        let scale: Vec<f32> = b
            .get(at..at + 4 * dims)
            .ok_or("truncated scales")?
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        if !scale.iter().all(|s| s.is_finite()) {
            return Err("non-finite scale".into());
        }
        let q: Vec<i8> = b
            .get(at + 4 * dims..)
            .unwrap_or(&[])
            .iter()
            .map(|&x| x as i8)
            .collect();
        if q.len() != n * dims {
            return Err("vector table has the wrong length".into());
        }
        Ok(TokenVectors {
            vocab_text,
            dims,
            scale,
            q,
        })
    }

    /// Adds the vector of token `id` to `acc` (`dims` long).
    pub fn add_to(&self, id: u32, acc: &mut [f32]) {
        let row = self
            .q
            .get(id as usize * self.dims..(id as usize + 1) * self.dims)
            .unwrap_or(&[]);
        for ((a, &x), s) in acc.iter_mut().zip(row).zip(&self.scale) {
            *a += f32::from(x) * s;
        }
    }

    /// The dot product of token `id`'s vector with `v` (`dims` long).
    pub fn dot(&self, id: u32, v: &[f32]) -> f32 {
        let row = self
            .q
            .get(id as usize * self.dims..(id as usize + 1) * self.dims)
            .unwrap_or(&[]);
        row.iter()
            .zip(&self.scale)
            .zip(v)
            .map(|((&x, s), w)| f32::from(x) * s * w)
            .sum()
    }

    /// Number of tokens.
    pub fn len(&self) -> usize {
        self.q.len() / self.dims
    }

    /// True when there are no tokens.
    pub fn is_empty(&self) -> bool {
        self.q.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vocab() -> Vocab {
        Vocab::new(
            "[PAD]\n[UNK]\nhow\nto\nelectro\n##cute\nsome\n##one\nsomeone\n?\n炸\n弹\ncafe\nun\n##aff\n##able",
        )
        .unwrap()
    }

    fn toks(v: &Vocab, t: &str) -> Vec<u32> {
        let mut out = Vec::new();
        v.tokenize(t, &mut out, &mut String::new());
        out
    }

    #[test]
    fn greedy_longest_match_with_continuations() {
        let v = vocab();
        // Three of four words are tokens of their own: enough.
        assert_eq!(toks(&v, "How to electrocute someone?"), [2, 3, 4, 5, 8, 9]);
        assert_eq!(toks(&v, "how to some unaffable"), [2, 3, 6, 13, 14, 15]);
        // No piece covers "xyz": the whole word is dropped (BERT: [UNK]).
        assert_eq!(toks(&v, "how how how howxyz to"), [2, 2, 2, 3]);
        // Too few words of their own: no ids at all.
        assert_eq!(toks(&v, "unaffable electrocute"), Vec::<u32>::new());
        assert_eq!(toks(&v, "howxyz to"), Vec::<u32>::new());
        assert_eq!(toks(&v, ""), Vec::<u32>::new());
    }

    #[test]
    fn accents_cjk_and_punctuation() {
        let v = vocab();
        assert_eq!(toks(&v, "CAFÉ"), [12]);
        assert_eq!(toks(&v, "café"), [12]);
        // Each ideograph is a token, not a word; unknown ones are dropped. Text without
        // words has no ids.
        assert_eq!(toks(&v, "cafe 如何炸弹"), [12, 10, 11]);
        assert_eq!(toks(&v, "如何炸弹"), Vec::<u32>::new());
        assert_eq!(toks(&v, "to?to"), [3, 9, 3]);
    }

    #[test]
    fn bounded_by_word_length_and_token_count() {
        let v = vocab();
        assert_eq!(toks(&v, &"how".repeat(40)), Vec::<u32>::new());
        assert_eq!(toks(&v, &"to ".repeat(1000)).len(), MAX_TOKENS);
        // A long run of pieces each found is bounded too.
        assert_eq!(toks(&v, &"how ".repeat(2000)).len(), MAX_TOKENS);
    }

    proptest::proptest! {
        /// The ASCII path tokenizes as the char-by-char one.
        #[test]
        fn ascii_path_matches_the_general_one(text in "[ -~\t\n\x00-\x1f]{0,300}") {
            let v = vocab();
            let (mut a, mut b) = (Vec::new(), Vec::new());
            let ca = v.tokenize_ascii(text.as_bytes(), &mut a, &mut String::new());
            let cb = v.tokenize_chars(&text, &mut b, &mut String::new());
            a.truncate(MAX_TOKENS);
            b.truncate(MAX_TOKENS);
            proptest::prop_assert_eq!(a, b);
            proptest::prop_assert_eq!(ca, cb);
        }
    }

    #[test]
    fn the_plain_table_agrees_with_the_unicode_tables() {
        for cp in 0..0x11000u32 {
            if let Some(c) = char::from_u32(cp) {
                assert_eq!(is_plain(c), plain_by_tables(c), "U+{cp:04X}");
            }
        }
    }

    #[test]
    fn stopping_early_gives_what_reading_on_gives() {
        let v = vocab();
        // Hopeless after enough unknown words: the same (empty) result as the whole text.
        let text = format!("{} how to some", "xyzzy ".repeat(500));
        assert_eq!(toks(&v, &text), Vec::<u32>::new());
        let text = format!("{}{}", "how to some ".repeat(30), "xyzzy ".repeat(10));
        assert!(!toks(&v, &text).is_empty());
    }

    #[test]
    fn vocabularies_are_checked() {
        assert!(TokenWeights::new("[UNK]\na".into(), vec![0.0]).is_err());
        assert!(TokenWeights::new("[UNK]\na".into(), vec![0.0, f32::NAN]).is_err());
        let t = TokenWeights::new("[UNK]\na\nb".into(), vec![0.0, 1.0, 3.0]).unwrap();
        assert!(TokenVectors::from_bytes(b"AIRMTOKV").is_err());
        let (mut ids, mut w) = (Vec::new(), String::new());
        assert_eq!(t.logit("a b", &mut ids, &mut w), 2.0);
        assert_eq!(t.logit("", &mut ids, &mut w), 0.0);
    }
}
