//! Normalisation: turns untrusted text into the forms scanners compare against. It removes
//! *and reports* invisible characters (zero-width, bidi controls, Unicode tag characters used
//! for "ASCII smuggling", private variation selectors), applies NFKC, folds confusable
//! letters inside mixed-script words, lowercases, and offers leetspeak and spaced-letter
//! folds as extra variants. It never allocates more than a small multiple of the input and
//! never panics; it does not decide anything (rules do).

use unicode_normalization::{is_nfkc_quick, IsNormalized, UnicodeNormalization};

/// Kind of invisible character found in the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvisibleKind {
    /// Zero-width space/joiner/non-joiner, word joiner, BOM, soft hyphen, fillers.
    ZeroWidth,
    /// Bidirectional control (LRE, RLO, isolates, marks).
    Bidi,
    /// Unicode tag characters U+E0000–U+E007F (invisible ASCII).
    Tag,
    /// Variation selectors supplement U+E0100–U+E01EF (byte smuggling).
    VariationSelector,
}

/// Counts of invisible characters and the text they smuggled.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InvisibleReport {
    /// Zero-width characters (excluding emoji joiners).
    pub zero_width: usize,
    /// Bidi controls.
    pub bidi: usize,
    /// Tag characters.
    pub tags: usize,
    /// Supplementary variation selectors.
    pub variation_selectors: usize,
    /// ASCII decoded from tag characters, when any.
    pub tag_payload: String,
    /// Byte offset of the first invisible character in the input.
    pub first_offset: Option<usize>,
    /// Byte offset of the first tag character that is not part of an emoji flag.
    pub first_tag_offset: Option<usize>,
}

impl InvisibleReport {
    /// Counts the invisible char `c` of `kind` found at byte offset `at` (tag chars also add
    /// the ASCII they carry to the payload, up to 4 KB).
    fn count(&mut self, kind: InvisibleKind, c: char, at: usize) {
        self.first_offset.get_or_insert(at);
        match kind {
            InvisibleKind::ZeroWidth => self.zero_width += 1,
            InvisibleKind::Bidi => self.bidi += 1,
            InvisibleKind::Tag => {
                self.tags += 1;
                self.first_tag_offset.get_or_insert(at);
                let a = (c as u32).wrapping_sub(0xE0000);
                if (0x20..0x7F).contains(&a) && self.tag_payload.len() < 4096 {
                    if let Some(ch) = char::from_u32(a) {
                        self.tag_payload.push(ch);
                    }
                }
            }
            InvisibleKind::VariationSelector => self.variation_selectors += 1,
        }
    }

    /// Total invisible characters found.
    pub fn total(&self) -> usize {
        self.zero_width + self.bidi + self.tags + self.variation_selectors
    }
}

/// Classifies one char as invisible, if it is.
pub fn invisible_kind(c: char) -> Option<InvisibleKind> {
    match c as u32 {
        0x200B
        | 0x200C
        | 0x200D
        | 0x2060..=0x2064
        | 0xFEFF
        | 0x180E
        | 0x00AD
        | 0x034F
        | 0x115F
        | 0x1160
        | 0x3164
        | 0xFFA0
        | 0x17B4
        | 0x17B5 => Some(InvisibleKind::ZeroWidth),
        0x200E | 0x200F | 0x202A..=0x202E | 0x2066..=0x2069 | 0x061C => Some(InvisibleKind::Bidi),
        0xE0000..=0xE007F => Some(InvisibleKind::Tag),
        0xE0100..=0xE01EF => Some(InvisibleKind::VariationSelector),
        _ => None,
    }
}

fn is_emoji_like(c: char) -> bool {
    matches!(c as u32, 0x1F000..=0x1FAFF | 0x2600..=0x27BF | 0x2300..=0x23FF | 0xFE0F)
}

/// Black flag U+1F3F4, the base of the emoji tag sequences (subdivision flags).
const TAG_BASE: char = '\u{1F3F4}';
/// Cancel tag U+E007F, which ends an emoji tag sequence.
const TAG_END: char = '\u{E007F}';
/// The subdivision codes of the emoji tag sequences Unicode recommends for general
/// interchange (RGI): the flags of England, Scotland and Wales. Other tag sequences after a
/// black flag are valid Unicode but display as a plain black flag, and would let a "flag"
/// carry hidden text, so they count as tag characters like any other.
const RGI_FLAG_TAGS: [&str; 3] = ["gbeng", "gbsct", "gbwls"];

/// The byte length of the tags of an RGI emoji flag (the black flag, the tag characters of
/// one of [`RGI_FLAG_TAGS`], the cancel tag) starting at `rest`, which follows a black
/// flag; `None` when `rest` does not start one.
fn flag_tags_len(rest: &str) -> Option<usize> {
    RGI_FLAG_TAGS.iter().find_map(|code| {
        let mut t = rest.chars();
        let spelled = code
            .bytes()
            .all(|b| t.next() == char::from_u32(0xE0000 + u32::from(b)));
        // Each tag character and the cancel tag are four bytes of UTF-8.
        (spelled && t.next() == Some(TAG_END)).then_some(4 * (code.len() + 1))
    })
}

/// Removes invisible characters, reporting them. Zero-width joiners between emoji and the
/// tags of the recommended emoji flag sequences (the flags of England, Scotland and Wales:
/// 🏴, tag letters, a cancel tag) are kept and not counted.
pub fn strip_invisible(text: &str) -> (String, InvisibleReport) {
    let mut report = InvisibleReport::default();
    // Every invisible char is outside ASCII.
    let first = if text.is_ascii() {
        None
    } else {
        next_invisible(text, 0)
    };
    if first.is_none() {
        return (text.to_string(), report);
    }
    // `text[copied..]` is not written yet; `at` is the byte offset of an invisible char.
    let mut out = String::with_capacity(text.len());
    let (mut copied, mut next) = (0usize, first);
    while let Some(at) = next {
        let Some(c) = text.get(at..).and_then(|t| t.chars().next()) else {
            break;
        };
        let end = at + c.len_utf8();
        if let Some(kind) = invisible_kind(c) {
            // The chars around it in the input (invisible or not).
            let prev = text.get(..at).and_then(|t| t.chars().next_back());
            if kind == InvisibleKind::Tag && prev == Some(TAG_BASE) {
                if let Some(n) = text.get(at..).and_then(flag_tags_len) {
                    // An emoji flag: kept, and read on after it.
                    next = next_invisible(text, at + n);
                    continue;
                }
            }
            let next = text.get(end..).and_then(|t| t.chars().next());
            let emoji_joiner = c == '\u{200D}'
                && prev.is_some_and(is_emoji_like)
                && next.is_some_and(is_emoji_like);
            if !emoji_joiner {
                out.push_str(text.get(copied..at).unwrap_or(""));
                copied = end;
                report.count(kind, c, at);
            }
        }
        next = next_invisible(text, end);
    }
    out.push_str(text.get(copied..).unwrap_or(""));
    (out, report)
}

/// A first byte of the UTF-8 of an invisible char (of every char [`invisible_kind`] knows),
/// as comparisons.
#[inline(always)]
fn is_invisible_lead(b: u8) -> bool {
    (b == 0xC2)
        | (b == 0xCD)
        | (b == 0xD8)
        | (b == 0xE1)
        | (b == 0xE2)
        | (b == 0xE3)
        | (b == 0xEF)
        | (b == 0xF3)
}

/// The byte offset of the first invisible char of `text` at or after `from` (a char
/// boundary). Blocks of 32 bytes without a lead byte of one are skipped after a pass without
/// branches; only chars that start with such a byte are decoded.
fn next_invisible(text: &str, from: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut i = from;
    loop {
        let rest = bytes.get(i..).filter(|r| !r.is_empty())?;
        let block = rest.get(..32).unwrap_or(rest);
        if block
            .iter()
            .fold(0u8, |n, &b| n | u8::from(is_invisible_lead(b)))
            != 0
        {
            for (k, &b) in block.iter().enumerate() {
                if is_invisible_lead(b)
                    && text
                        .get(i + k..)
                        .and_then(|t| t.chars().next())
                        .is_some_and(|c| invisible_kind(c).is_some())
                {
                    return Some(i + k);
                }
            }
        }
        i += block.len();
    }
}

/// NFKC with an ASCII / already-normalised fast path.
pub fn nfkc(text: &str) -> String {
    if text.is_ascii() || all_nfkc_stable(text) {
        return text.to_string();
    }
    nfkc_segments(text)
}

/// NFKC of `text`, normalising only the segments that need it. A char with the NFKC quick
/// check property Yes and canonical combining class 0 (a "stable" char, see
/// [`NFKC_STABLE`]) starts a segment that normalises on its own: it is its own NFKC, nothing
/// before it can compose with it (it is not the second char of any composition, or its
/// property would be Maybe) and nothing after it can compose or reorder across it (it is a
/// starter). A segment that passes the quick check as `is_nfkc_quick` runs it (every char's
/// property Yes, nonzero combining classes not decreasing) is already normalised and copied;
/// the others go through the crate's NFKC. When no segment needs it, this is the text
/// itself, as `is_nfkc_quick` answering Yes would say; otherwise it is the crate's NFKC of
/// the whole text (checked by a property test).
fn nfkc_segments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    // `text[..copied]` is written; the current segment starts at `seg`; `dirty` when it fails
    // the quick check; `last_cc` is the combining class of its last char.
    let (mut copied, mut seg, mut last_cc, mut dirty) = (0usize, 0usize, 0u8, false);
    let flush = |out: &mut String, copied: &mut usize, seg: usize, end: usize| {
        out.push_str(text.get(*copied..seg).unwrap_or(""));
        out.extend(text.get(seg..end).unwrap_or("").nfkc());
        *copied = end;
    };
    for (i, c) in text.char_indices() {
        let cp = c as u32;
        let cc = if cp < 0x80 || bmp_bit(&NFKC_STABLE, cp, nfkc_stable) == Some(true) {
            0
        } else if nfkc_yes(c) {
            unicode_normalization::char::canonical_combining_class(c)
        } else {
            dirty = true;
            continue;
        };
        if cc == 0 {
            // A stable char: the segment before it is done.
            if dirty {
                flush(&mut out, &mut copied, seg, i);
                dirty = false;
            }
            (seg, last_cc) = (i, 0);
        } else {
            dirty |= last_cc > cc;
            last_cc = cc;
        }
    }
    if dirty {
        flush(&mut out, &mut copied, seg, text.len());
    }
    out.push_str(text.get(copied..).unwrap_or(""));
    out
}

/// A table of one bit per Basic Multilingual Plane code point, built 64 code points at a time
/// on first use (a text touches a few blocks; building all of them would cost every process
/// millions of instructions at start-up).
pub(crate) type BmpBits = [std::sync::OnceLock<u64>; 1024];

/// An empty [`BmpBits`], for a `static`.
pub(crate) const fn empty_bmp_bits() -> BmpBits {
    [const { std::sync::OnceLock::new() }; 1024]
}

/// `pred` of code point `cp`, from `table` (whose blocks are built from `pred`); `None`
/// outside the BMP.
#[inline(always)]
pub(crate) fn bmp_bit(table: &BmpBits, cp: u32, pred: fn(char) -> bool) -> Option<bool> {
    let block = table.get(cp as usize / 64)?;
    let bits = block.get_or_init(|| {
        let mut w = 0u64;
        for b in 0..64u32 {
            // Surrogates are not chars: false.
            if char::from_u32(cp / 64 * 64 + b).is_some_and(pred) {
                w |= 1 << b;
            }
        }
        w
    });
    Some(bits >> (cp % 64) & 1 == 1)
}

/// True when the NFKC quick check property of `c` is Yes.
#[inline]
fn nfkc_yes(c: char) -> bool {
    if (c as u32) < 0x1_0000 {
        bmp_bit(&NFKC_YES, c as u32, quick_yes) == Some(true)
    } else {
        is_nfkc_quick(std::iter::once(c)) == IsNormalized::Yes
    }
}

/// One bit per BMP code point, NFKC quick check Yes (whatever the combining class).
static NFKC_YES: BmpBits = empty_bmp_bits();

/// The NFKC quick check property of `c` is Yes.
fn quick_yes(c: char) -> bool {
    is_nfkc_quick(std::iter::once(c)) == IsNormalized::Yes
}

/// True when every char of `text` is in the Basic Multilingual Plane, has the NFKC quick
/// check property Yes and canonical combining class 0: then `is_nfkc_quick` answers Yes (it
/// answers No or Maybe only for a char whose property is not Yes, or whose nonzero combining
/// class is below the previous one). One bit look-up per char instead of the crate's tables.
/// ASCII (stable) is skipped eight bytes at a time.
fn all_nfkc_stable(text: &str) -> bool {
    let bytes = text.as_bytes();
    let mut i = 0usize;
    loop {
        i = skip_ascii(bytes, i);
        let stable = stable_width(bytes.get(i).copied().unwrap_or(0));
        if stable != 0 {
            i += stable;
            continue;
        }
        let Some(c) = text.get(i..).and_then(|t| t.chars().next()) else {
            return true;
        };
        if bmp_bit(&NFKC_STABLE, c as u32, nfkc_stable) != Some(true) {
            return false;
        }
        i += c.len_utf8();
    }
}

/// The length of the char a UTF-8 lead byte starts when every char it can start is stable
/// (as in [`NFKC_STABLE`]: Latin-1 letters, parts of Latin Extended and IPA, the core
/// Cyrillic alphabet, parts of Arabic and Syriac, CJK ideographs, Hangul syllables, private
/// use), else 0. Checked for every code point in the tests.
#[inline(always)]
fn stable_width(lead: u8) -> usize {
    match lead {
        0xC3 | 0xC6 | 0xC8 | 0xC9 | 0xD0 | 0xD1 | 0xD3 | 0xD4 | 0xDA | 0xDE => 2,
        0xE4..=0xE9 | 0xEB..=0xEE => 3,
        _ => 0,
    }
}

/// The first index at or after `i` that is not an ASCII byte (or the length): eight bytes at
/// a time, then byte by byte.
#[inline(always)]
fn skip_ascii(bytes: &[u8], mut i: usize) -> usize {
    while let Some(chunk) = bytes.get(i..i + 8) {
        let mut w = [0u8; 8];
        w.copy_from_slice(chunk);
        if u64::from_le_bytes(w) & 0x8080_8080_8080_8080 != 0 {
            break;
        }
        i += 8;
    }
    while bytes.get(i).is_some_and(u8::is_ascii) {
        i += 1;
    }
    i
}

/// One bit per BMP code point, NFKC quick check Yes and canonical combining class 0, built
/// from `unicode_normalization` itself (building all of it would cost every process some
/// 20 M instructions at start-up).
static NFKC_STABLE: BmpBits = empty_bmp_bits();

/// `c` has the NFKC quick check property Yes and canonical combining class 0.
fn nfkc_stable(c: char) -> bool {
    unicode_normalization::char::canonical_combining_class(c) == 0 && quick_yes(c)
}

/// Maps a Cyrillic or Greek letter that looks like a Latin one to that Latin letter.
pub fn confusable(c: char) -> Option<char> {
    Some(match c {
        'а' | 'А' | 'α' | 'Α' => 'a',
        'в' | 'В' | 'β' | 'Β' | 'Ь' => 'b',
        'с' | 'С' | 'ϲ' => 'c',
        'ԁ' => 'd',
        'е' | 'Е' | 'ε' | 'Ε' | 'ё' => 'e',
        'ɡ' => 'g',
        'һ' | 'Н' | 'Η' => 'h',
        'і' | 'І' | 'ι' | 'Ι' | 'ӏ' | 'ı' => 'i',
        'ј' | 'Ј' => 'j',
        'к' | 'К' | 'κ' | 'Κ' => 'k',
        'м' | 'М' | 'Μ' => 'm',
        'п' | 'η' | 'Ν' => 'n',
        'о' | 'О' | 'ο' | 'Ο' | 'σ' => 'o',
        'р' | 'Р' | 'ρ' | 'Ρ' => 'p',
        'ԛ' => 'q',
        'г' => 'r',
        'ѕ' | 'Ѕ' => 's',
        'т' | 'Т' | 'τ' | 'Τ' => 't',
        'υ' | 'ս' => 'u',
        'ν' | 'ѵ' => 'v',
        'ԝ' | 'ѡ' => 'w',
        'х' | 'Х' | 'χ' | 'Χ' => 'x',
        'у' | 'У' | 'Υ' | 'γ' => 'y',
        'Ζ' => 'z',
        _ => return None,
    })
}

/// Lowercases and folds confusables inside words that mix Latin with Cyrillic/Greek
/// lookalikes (a whole Russian or Greek word is left alone).
pub fn fold(text: &str) -> String {
    if text.is_ascii() {
        return text.to_ascii_lowercase();
    }
    // `str::to_lowercase` of a text without the mixed-script chars below (which include `Σ`,
    // the one char it lowercases by context), or the per-word fold when there are some.
    lowercase_unmixed(text).unwrap_or_else(|| fold_mixed(text))
}

/// The chars that send [`fold`] to its per-word path (Greek and Cyrillic with their
/// supplements, IPA extensions, dotless `ı`).
#[inline(always)]
fn is_mixed_trigger(c: u32) -> bool {
    matches!(c, 0x0370..=0x052F | 0x0250..=0x02AF | 0x0131)
}

/// One bit per BMP code point: `char::to_lowercase` is not the char itself.
static LOWER_CHANGES: BmpBits = empty_bmp_bits();

/// `char::to_lowercase` of `c` is not `c` itself (from Unicode's tables).
fn lowercase_differs(c: char) -> bool {
    c.to_lowercase().ne([c])
}

/// True when `char::to_lowercase` of `c` is not `c` itself.
#[inline]
fn lower_changes(c: char) -> bool {
    bmp_bit(&LOWER_CHANGES, c as u32, lowercase_differs).unwrap_or_else(|| lowercase_differs(c))
}

/// The length of the char a UTF-8 lead byte starts when every char it can start is left
/// alone by the lowercase and is no [`is_mixed_trigger`] (U+0580 to U+0FFF: Armenian small
/// letters, Hebrew, Arabic, Syriac, Thaana, N'Ko, Samaritan, the Indic scripts, Thai, Lao,
/// Tibetan; U+3000 to U+9FFF: CJK and kana), else 0. Checked for every code point in the
/// tests.
#[inline(always)]
fn caseless_width(lead: u8) -> usize {
    match lead {
        0xD6..=0xDF => 2,
        0xE0 | 0xE3..=0xE9 => 3,
        _ => 0,
    }
}

/// `text.to_lowercase()` for non-ASCII `text` without any [`is_mixed_trigger`] char (`None`
/// when it has one). Without `Σ`, `str::to_lowercase` is `char::to_lowercase` of every
/// char: the text is copied with its ASCII lowercased at once, and only the non-ASCII chars
/// that change are rewritten (in place while the lowercase has the same length).
fn lowercase_unmixed(text: &str) -> Option<String> {
    lowercase_in_place::<false>(text)
}

/// The copy-and-rewrite lowercasing of [`lowercase_unmixed`] (`ALNUM_ONLY` false) and of
/// [`lowercase_alphanumeric_in_place`] (`ALNUM_ONLY` true): a copy with its ASCII lowercased
/// at once, then the non-ASCII chars that change rewritten in place. Unmixed: `None` at an
/// [`is_mixed_trigger`] char, and a lowercase of another length lowercases the rest char by
/// char. Alphanumeric only: other chars are kept, and a lowercase of another length gives
/// `None`.
fn lowercase_in_place<const ALNUM_ONLY: bool>(text: &str) -> Option<String> {
    let mut out = text.to_owned();
    out.make_ascii_lowercase();
    let bytes = text.as_bytes();
    let mut i = 0usize;
    loop {
        i = skip_ascii(bytes, i);
        let caseless = caseless_width(bytes.get(i).copied().unwrap_or(0));
        if caseless != 0 {
            i += caseless;
            continue;
        }
        let Some(c) = text.get(i..).and_then(|t| t.chars().next()) else {
            return Some(out);
        };
        if !ALNUM_ONLY && is_mixed_trigger(c as u32) {
            return None;
        }
        let n = c.len_utf8();
        if lower_changes(c)
            && (!ALNUM_ONLY || crate::classifier::features::is_alphanumeric(c as u32))
        {
            let mut lower = c.to_lowercase();
            match (lower.next(), lower.next()) {
                (Some(l), None) if l.len_utf8() == n => {
                    out.replace_range(i..i + n, l.encode_utf8(&mut [0u8; 4]));
                }
                _ if ALNUM_ONLY => return None,
                _ => {
                    // A lowercase of another length: the rest char by char.
                    out.truncate(i);
                    for c in text.get(i..).unwrap_or("").chars() {
                        if is_mixed_trigger(c as u32) {
                            return None;
                        }
                        out.extend(c.to_lowercase());
                    }
                    return Some(out);
                }
            }
        }
        i += n;
    }
}

/// [`fold`] of a text with an [`is_mixed_trigger`] char: alphanumeric chars lowercased (per
/// char), others kept, and the confusables of each word that also has an ASCII letter
/// folded to Latin.
fn fold_mixed(text: &str) -> String {
    // A word with an ASCII letter and a confusable (never ASCII) has an ASCII alphanumeric
    // char next to a non-ASCII one; without such a pair no word is folded, and the text is
    // lowercased in place (unless a lowercase changes the length, which could also make an
    // ASCII letter of a non-ASCII char).
    if !ascii_next_to_non_ascii(text.as_bytes()) {
        if let Some(out) = lowercase_alphanumeric_in_place(text) {
            return out;
        }
    }
    fold_mixed_words(text)
}

/// True when an ASCII letter or digit is next to a byte of a non-ASCII char (blocks of 64
/// pairs without branches).
fn ascii_next_to_non_ascii(b: &[u8]) -> bool {
    let alnum = |x: u8| (x.wrapping_sub(b'0') < 10) | ((x | 0x20).wrapping_sub(b'a') < 26);
    let pair = |x: u8, y: u8| (alnum(x) & (y >= 0x80)) | ((x >= 0x80) & alnum(y));
    b.chunks(64)
        .zip(b.get(1..).unwrap_or(&[]).chunks(64))
        .any(|(a, c)| {
            a.iter()
                .zip(c)
                .fold(0u8, |n, (&x, &y)| n | u8::from(pair(x, y)))
                != 0
        })
}

/// The alphanumeric chars of `text` lowercased (`char::to_lowercase`), the others kept, when
/// every lowercase has the length of its char (`None` otherwise): a copy with its ASCII
/// lowercased at once, then the non-ASCII chars that change rewritten in place.
fn lowercase_alphanumeric_in_place(text: &str) -> Option<String> {
    lowercase_in_place::<true>(text)
}

/// [`fold_mixed`] word by word.
fn fold_mixed_words(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    // The current word is `out[start..]`; `latin` when it has an ASCII letter.
    let (mut start, mut latin) = (0usize, false);
    let flush = |out: &mut String, start: usize, latin: bool| {
        // Confusables are never ASCII: a word without an ASCII letter has nothing to fold.
        let Some(word) = out.get(start..).filter(|_| latin) else {
            return;
        };
        if word.chars().any(|c| confusable(c).is_some()) {
            let folded: String = word.chars().map(|c| confusable(c).unwrap_or(c)).collect();
            out.truncate(start);
            out.push_str(&folded);
        }
    };
    for c in text.chars() {
        if crate::classifier::features::is_alphanumeric(c as u32) {
            if c.is_ascii() {
                latin |= c.is_ascii_alphabetic();
                out.push(c.to_ascii_lowercase());
            } else if !lower_changes(c) {
                out.push(c);
            } else {
                for l in c.to_lowercase() {
                    latin |= l.is_ascii_alphabetic();
                    out.push(l);
                }
            }
        } else {
            flush(&mut out, start, latin);
            out.push(c);
            (start, latin) = (out.len(), false);
        }
    }
    flush(&mut out, start, latin);
    out
}

fn leet(c: char) -> Option<char> {
    Some(match c {
        '0' => 'o',
        '1' | '!' | '|' => 'i',
        '3' => 'e',
        '4' | '@' => 'a',
        '5' | '$' => 's',
        '7' | '+' => 't',
        '8' => 'b',
        '9' => 'g',
        _ => return None,
    })
}

fn leet_word(word: &str) -> bool {
    let core = word.trim_matches(|c: char| {
        matches!(
            c,
            '!' | '.' | ',' | '?' | ':' | ';' | '"' | '\'' | '(' | ')' | '|' | '+' | '*'
        )
    });
    let b = core.as_bytes();
    if b.len() < 3 || b.len() > 20 {
        return false;
    }
    let mut letters = 0;
    let mut leets = 0;
    for &c in b {
        if c.is_ascii_alphabetic() {
            letters += 1;
        } else if LEET_CLASS[usize::from(c)] & LEET_BYTE != 0 {
            leets += 1;
        } else if c.is_ascii_digit() || matches!(c, b'.' | b'-' | b'_' | b'/' | b'=' | b'#') {
            // `2`, `6` are not leet; dots, dashes and slashes mean versions, ids or paths.
            return false;
        }
    }
    letters >= 1 && leets >= 1 && !b.iter().all(u8::is_ascii_hexdigit)
}

/// Byte classes for [`count_leet_words`].
const ASCII_SPACE: u8 = 1;
const ASCII_LETTER: u8 = 2;
const LEET_BYTE: u8 = 4;
const LEET_CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = if c.is_ascii_whitespace() {
            ASCII_SPACE
        } else if c.is_ascii_alphabetic() {
            ASCII_LETTER
        } else if matches!(
            c,
            b'0' | b'1'
                | b'3'
                | b'4'
                | b'5'
                | b'7'
                | b'8'
                | b'9'
                | b'@'
                | b'$'
                | b'|'
                | b'!'
                | b'+'
        ) {
            LEET_BYTE
        } else {
            0
        };
        b += 1;
    }
    t
};

/// The words of `text` as `split_ascii_whitespace` yields them, and how many of them are
/// [`leet_word`]s. One pass over the bytes; [`leet_word`] runs only on words that have both
/// an ASCII letter and a leet byte (it needs both in the word's core).
fn count_leet_words(text: &str) -> (usize, usize) {
    let (mut words, mut candidates) = (0usize, 0usize);
    let (mut start, mut flags, mut in_word) = (0usize, 0u8, false);
    let mut end_word = |start: usize, end: usize, flags: u8| {
        words += 1;
        if flags & (ASCII_LETTER | LEET_BYTE) == ASCII_LETTER | LEET_BYTE {
            candidates += usize::from(text.get(start..end).is_some_and(leet_word));
        }
    };
    for (i, &b) in text.as_bytes().iter().enumerate() {
        let k = LEET_CLASS[usize::from(b)];
        if k & ASCII_SPACE != 0 {
            if in_word {
                end_word(start, i, flags);
                in_word = false;
            }
        } else {
            if !in_word {
                (start, flags, in_word) = (i, 0, true);
            }
            flags |= k;
        }
    }
    if in_word {
        end_word(start, text.len(), flags);
    }
    (words, candidates)
}

/// In text that is already leet-heavy, short tokens made only of letters and leet symbols
/// (`d0`, `70`, `1n`, `15`, and up to six chars: `b1773`, which [`leet_word`] leaves alone
/// because it could be hexadecimal) are folded too.
fn short_leet(word: &str) -> bool {
    let core = word.trim_end_matches(['!', '.', ',', '?', ':', ';', '"', '\'', ')']);
    let b = core.as_bytes();
    (1..=6).contains(&b.len())
        && b.iter()
            .any(|c| matches!(c, b'0' | b'1' | b'3' | b'4' | b'5' | b'7' | b'8' | b'9'))
        && b.iter().all(|c| {
            c.is_ascii_alphabetic()
                || matches!(c, b'0' | b'1' | b'3' | b'4' | b'5' | b'7' | b'8' | b'9')
        })
}

/// Folds leetspeak inside words that mix letters and leet digits/symbols (`1gn0r3` →
/// `ignore`). Needs at least two such words, and 10 % of all words. Returns `None` when nothing changed. Expects
/// folded (lowercase) text.
pub fn unleet(text: &str) -> Option<String> {
    // Each candidate word holds a leet byte, so there are at most as many candidates as leet
    // bytes: too few of them cannot make two candidates, or 10 % of the words.
    let leet_bytes = count_bytes(text.as_bytes(), is_leet_byte);
    if leet_bytes < 2 || leet_bytes * 10 < count_words_ascii_ws(text.as_bytes()) {
        return None;
    }
    let (words, candidates) = count_leet_words(text);
    // At least two leet words making up at least 10 % of the words.
    if candidates < 2 || candidates * 10 < words {
        return None;
    }
    let mut out = String::with_capacity(text.len());
    for (i, word) in text.split(' ').enumerate() {
        if i > 0 {
            out.push(' ');
        }
        if leet_word(word) || short_leet(word) {
            push_unleet(word, &mut out);
        } else if word.contains('-') && !looks_like_id(word) {
            // Hyphenated (`53lf-r1gh730u5`): each part on its own (a dash alone marks a
            // version or an id for `leet_word`).
            for (k, part) in word.split('-').enumerate() {
                if k > 0 {
                    out.push('-');
                }
                if leet_word(part) || short_leet(part) {
                    push_unleet(part, &mut out);
                } else {
                    out.push_str(part);
                }
            }
        } else {
            out.push_str(word);
        }
    }
    Some(out)
}

/// True when `word` (trailing punctuation aside) has a dot, slash, underscore, `=` or `#`:
/// a version, path or id (`1.2.3-rc1`), not hyphenated words.
fn looks_like_id(word: &str) -> bool {
    word.trim_end_matches(['!', '.', ',', '?', ':', ';', '"', '\'', ')'])
        .bytes()
        .any(|b| matches!(b, b'.' | b'/' | b'_' | b'=' | b'#'))
}

/// Appends `word` with its leet chars folded (trailing punctuation kept as it is).
fn push_unleet(word: &str, out: &mut String) {
    let trimmed_end = word.trim_end_matches(['!', '.', ',', '?', ':', ';']).len();
    for (j, c) in word.char_indices() {
        out.push(if j < trimmed_end {
            leet(c).unwrap_or(c)
        } else {
            c
        });
    }
}

fn has_spaced_run(text: &str) -> bool {
    if text.is_ascii() {
        // A run needs four single-letter tokens within 16 bytes: look for them first (a pass
        // without branches).
        close_single_letters_ascii(text.as_bytes()) && has_spaced_run_ascii(text.as_bytes())
    } else {
        close_single_chars_utf8(text.as_bytes()) && has_spaced_run_utf8(text)
    }
}

/// A necessary condition of [`has_spaced_run_utf8`]: two single-char tokens with a separator
/// on each side at most eight bytes apart. The second and third letters of a run are such
/// tokens (separators lie between the tokens of a run), and they start at most eight bytes
/// apart (a char of up to four bytes, then up to four separators), so they fall in one or
/// two consecutive blocks of 16 positions. A position counts when a separator precedes it
/// and one follows the char that starts there (an ASCII letter, or any char of two to four
/// bytes, by its first byte); counted per block without branches, the positions after the
/// last block one by one.
fn close_single_chars_utf8(text: &[u8]) -> bool {
    let at = |i: usize| text.get(i).copied().unwrap_or(0);
    let single = |p: u8, c: u8, d1: u8, d2: u8, d3: u8, d4: u8| {
        is_spacing_byte(p)
            & (((c | 0x20).wrapping_sub(b'a') < 26) & is_spacing_byte(d1)
                | (c & 0xE0 == 0xC0) & is_spacing_byte(d2)
                | (c & 0xF0 == 0xE0) & is_spacing_byte(d3)
                | (c & 0xF8 == 0xF0) & is_spacing_byte(d4))
    };
    // Blocks of positions `j + 1 ..= j + 16`, which look at bytes `j .. j + 21`.
    let (mut prev, mut j) = (0u8, 0usize);
    while let Some(w) = text.get(j..j + 21) {
        let mut k = 0u8;
        for t in 0..16 {
            if let Some(&[p, c, d1, d2, d3, d4]) = w.get(t..t + 6) {
                k += u8::from(single(p, c, d1, d2, d3, d4));
            }
        }
        if prev + k >= 2 {
            return true;
        }
        prev = k;
        j += 16;
    }
    // The positions left, one by one.
    let rest = (j + 1..text.len())
        .filter(|&m| single(at(m - 1), at(m), at(m + 1), at(m + 2), at(m + 3), at(m + 4)))
        .count();
    usize::from(prev) + rest >= 2
}

/// [`has_spaced_run`] as first written, over chars (the tests' reference).
#[cfg(test)]
fn has_spaced_run_chars(text: &str) -> bool {
    let is_sep = |c: char| matches!(c, ' ' | '.' | '-' | '_' | '*' | '/' | '|');
    let mut run = 0;
    let mut empties = 0;
    for tok in text.split(is_sep) {
        if tok.is_empty() {
            empties += 1;
            if empties > 3 {
                run = 0;
            }
            continue;
        }
        empties = 0;
        let mut cs = tok.chars();
        let single = matches!((cs.next(), cs.next()), (Some(c), None) if c.is_alphabetic());
        if single {
            run += 1;
            if run >= 4 {
                return true;
            }
        } else {
            run = 0;
        }
    }
    false
}

/// How many bytes `pred` accepts, counted in blocks of 128 bytes with byte-sized counters (a
/// loop the compiler turns into vector compares when `pred` is a few comparisons).
pub(crate) fn count_bytes(text: &[u8], pred: impl Fn(u8) -> bool + Copy) -> usize {
    text.chunks(128)
        .map(|c| {
            usize::from(
                c.iter()
                    .fold(0u8, |n, &b| n.wrapping_add(u8::from(pred(b)))),
            )
        })
        .sum::<usize>()
}

/// The words of `text` as `split_ascii_whitespace` yields them: bytes that are not ASCII
/// whitespace and follow one that is (or start the text), counted without branches.
fn count_words_ascii_ws(text: &[u8]) -> usize {
    let ws = |b: u8| (b == b' ') | (b == b'\t') | (b == b'\n') | (b == 0x0C) | (b == b'\r');
    let first = text.first().is_some_and(|&b| !ws(b));
    let pairs = text.get(1..).unwrap_or(&[]);
    usize::from(first)
        + text
            .chunks(128)
            .zip(pairs.chunks(128))
            .map(|(a, b)| {
                usize::from(
                    a.iter()
                        .zip(b)
                        .fold(0u8, |n, (&a, &b)| n.wrapping_add(u8::from(ws(a) & !ws(b)))),
                )
            })
            .sum::<usize>()
}

/// The bytes [`leet_word`] counts as leet (`LEET_BYTE` in [`LEET_CLASS`]), as comparisons.
#[inline(always)]
fn is_leet_byte(b: u8) -> bool {
    (b.wrapping_sub(b'0') < 10) & (b != b'2') & (b != b'6')
        | (b == b'@')
        | (b == b'$')
        | (b == b'|')
        | (b == b'!')
        | (b == b'+')
}

/// A separator of [`has_spaced_run`], as comparisons.
#[inline(always)]
fn is_spacing_byte(b: u8) -> bool {
    (b == b' ') | (b == b'.') | (b == b'-') | (b == b'_') | (b == b'*') | (b == b'/') | (b == b'|')
}

/// A necessary condition of [`has_spaced_run_ascii`]: four single-letter tokens (an ASCII
/// letter with a separator or the text's edge on each side) within two consecutive blocks of
/// 16 positions. In a run, consecutive letters are at most five bytes apart (more than four
/// separators make more than three empty tokens, which end the run), so four of them span at
/// most 16 positions. The inner positions are counted per block without branches; the two
/// edge positions are added to every block.
fn close_single_letters_ascii(text: &[u8]) -> bool {
    let alpha = |b: u8| (b | 0x20).wrapping_sub(b'a') < 26;
    let n = text.len();
    let (first, second) = match text {
        [] => return false,
        [_] => return false,
        [first, second, ..] => (*first, *second),
    };
    let last = text.get(n - 1).copied().unwrap_or(0);
    let before_last = text.get(n - 2).copied().unwrap_or(0);
    let edges = u8::from(alpha(first) && is_spacing_byte(second))
        + u8::from(alpha(last) && is_spacing_byte(before_last));
    let left = text.get(..n - 2).unwrap_or(&[]);
    let mid = text.get(1..n - 1).unwrap_or(&[]);
    let right = text.get(2..).unwrap_or(&[]);
    let mut prev = 0u8;
    for ((l, m), r) in left.chunks(16).zip(mid.chunks(16)).zip(right.chunks(16)) {
        let k = l.iter().zip(m).zip(r).fold(0u8, |k, ((&l, &m), &r)| {
            k + u8::from(is_spacing_byte(l) & alpha(m) & is_spacing_byte(r))
        });
        if prev + k + edges >= 4 {
            return true;
        }
        prev = k;
    }
    // Texts too short for a block of inner positions.
    prev + edges >= 4
}

/// [`has_spaced_run`] on ASCII text, over bytes: the same tokens (the pieces between
/// separators, empty ones included) and the same counting.
fn has_spaced_run_ascii(text: &[u8]) -> bool {
    let (mut run, mut empties) = (0u32, 0u32);
    let (mut len, mut first) = (0usize, 0u8);
    let mut token = |len: usize, first: u8| {
        if len == 0 {
            empties += 1;
            if empties > 3 {
                run = 0;
            }
            return false;
        }
        empties = 0;
        if len == 1 && first.is_ascii_alphabetic() {
            run += 1;
            run >= 4
        } else {
            run = 0;
            false
        }
    };
    for &b in text {
        if matches!(b, b' ' | b'.' | b'-' | b'_' | b'*' | b'/' | b'|') {
            if token(len, first) {
                return true;
            }
            len = 0;
        } else {
            if len == 0 {
                first = b;
            }
            len += 1;
        }
    }
    token(len, first)
}

/// [`has_spaced_run`] on non-ASCII text, over bytes as [`has_spaced_run_ascii`]: the
/// separators are ASCII, so the tokens are the same; a token is a single letter when it is
/// one ASCII letter, or one non-ASCII char (two to four bytes starting with a lead byte and
/// no other char) that is alphabetic.
fn has_spaced_run_utf8(text: &str) -> bool {
    let bytes = text.as_bytes();
    let (mut run, mut empties) = (0u32, 0u32);
    let mut token = |s: usize, e: usize| {
        if e == s {
            empties += 1;
            if empties > 3 {
                run = 0;
            }
            return false;
        }
        empties = 0;
        let first = bytes.get(s).copied().unwrap_or(0);
        let single = match e - s {
            1 => first.is_ascii_alphabetic(),
            2..=4 if first >= 0xC0 => text.get(s..e).is_some_and(|t| {
                let mut cs = t.chars();
                matches!((cs.next(), cs.next()), (Some(c), None) if c.is_alphabetic())
            }),
            _ => false,
        };
        if single {
            run += 1;
            run >= 4
        } else {
            run = 0;
            false
        }
    };
    let mut start = 0usize;
    for (i, &b) in bytes.iter().enumerate() {
        if is_spacing_byte(b) {
            if token(start, i) {
                return true;
            }
            start = i + 1;
        }
    }
    token(start, bytes.len())
}

/// Joins runs of four or more single letters separated by one separator (`i g n o r e`,
/// `i.g.n.o.r.e`). Two or more spaces inside a run become a word break. Returns `None` when
/// nothing changed.
pub fn join_spaced(text: &str) -> Option<String> {
    if !has_spaced_run(text) {
        return None;
    }
    let chars: Vec<char> = text.chars().collect();
    let n = chars.len();
    let is_sep = |c: char| matches!(c, ' ' | '.' | '-' | '_' | '*' | '/' | '|');
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let mut changed = false;
    while i < n {
        let starts_word = i == 0 || !chars[i - 1].is_alphanumeric();
        if starts_word && chars[i].is_alphabetic() && i + 1 < n && is_sep(chars[i + 1]) {
            // Try to read a run: letter (sep+ letter)*, with single-letter tokens only.
            let mut letters = vec![chars[i]];
            let mut j = i + 1;
            let mut breaks = Vec::new();
            loop {
                let mut k = j;
                let mut seps = 0;
                while k < n && is_sep(chars[k]) && seps < 4 {
                    k += 1;
                    seps += 1;
                }
                if seps == 0 || k >= n || !chars[k].is_alphabetic() {
                    break;
                }
                let single = k + 1 >= n || !chars[k + 1].is_alphanumeric();
                if !single {
                    break;
                }
                if seps >= 2 {
                    breaks.push(letters.len());
                }
                letters.push(chars[k]);
                j = k + 1;
            }
            if letters.len() >= 4 {
                for (idx, l) in letters.iter().enumerate() {
                    if breaks.contains(&idx) {
                        out.push(' ');
                    }
                    out.push(*l);
                }
                changed = true;
                i = j;
                continue;
            }
        }
        out.push(chars[i]);
        i += 1;
    }
    changed.then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_and_reports_invisible() {
        let t = "ig\u{200B}nore\u{202E} all";
        let (s, r) = strip_invisible(t);
        assert_eq!(s, "ignore all");
        assert_eq!(r.zero_width, 1);
        assert_eq!(r.bidi, 1);
        assert_eq!(r.first_offset, Some(2));
    }

    #[test]
    fn emoji_flags_are_not_smuggling() {
        // England and Scotland flags (RGI emoji tag sequences), then tags without a flag.
        let england = "\u{1F3F4}\u{E0067}\u{E0062}\u{E0065}\u{E006E}\u{E0067}\u{E007F}";
        let scotland = "\u{1F3F4}\u{E0067}\u{E0062}\u{E0073}\u{E0063}\u{E0074}\u{E007F}";
        let text = format!("go {england} and {scotland}!");
        let (s, r) = strip_invisible(&text);
        assert_eq!(s, text);
        assert_eq!(r.total(), 0);
        assert_eq!(r.first_tag_offset, None);
        // A flag base without its cancel tag, a cancel tag alone, tags after a letter, and a
        // "flag" that spells anything but an RGI code (it could carry hidden text): all
        // counted.
        let tags = |s: &str| -> String {
            s.chars()
                .map(|c| char::from_u32(0xE0000 + c as u32).unwrap_or(c))
                .collect()
        };
        for t in [
            "\u{1F3F4}\u{E0067}\u{E0062}x".to_string(),
            "a\u{E0067}\u{E0062}\u{E007F}".to_string(),
            "\u{1F3F4}\u{E007F}".to_string(),
            format!("\u{1F3F4}{}\u{E007F}", tags("gbengx")),
            format!("\u{1F3F4}{}\u{E007F}", tags("ignore")),
            format!("\u{1F3F4}{}\u{E007F}", tags("usca")),
            format!("\u{1F3F4}{}", tags("gbeng")),
        ] {
            let (_, r) = strip_invisible(&t);
            assert!(r.tags > 0, "{t:?}");
            assert!(r.first_tag_offset.is_some(), "{t:?}");
            assert_eq!(strip_invisible(&t), strip_invisible_reference(&t));
        }
        let wales = format!("\u{1F3F4}{}\u{E007F}", tags("gbwls"));
        let (s, r) = strip_invisible(&format!("{wales}{wales}x"));
        assert_eq!(
            (s.as_str(), r.total()),
            (format!("{wales}{wales}x").as_str(), 0)
        );
    }

    #[test]
    fn decodes_tag_smuggling() {
        let hidden: String = "hi you"
            .chars()
            .map(|c| char::from_u32(0xE0000 + c as u32).unwrap())
            .collect();
        let (s, r) = strip_invisible(&format!("hello{hidden}"));
        assert_eq!(s, "hello");
        assert_eq!(r.tags, 6);
        assert_eq!(r.tag_payload, "hi you");
    }

    #[test]
    fn keeps_emoji_joiner() {
        let (s, r) = strip_invisible("👨\u{200D}👩");
        assert_eq!(r.total(), 0);
        assert_eq!(s, "👨\u{200D}👩");
    }

    #[test]
    fn folds_homoglyphs_only_in_mixed_words() {
        assert_eq!(fold("іgnоrе previous"), "ignore previous");
        assert_eq!(fold("Привет мир"), "привет мир");
        assert_eq!(nfkc("ｉｇｎｏｒｅ"), "ignore");
    }

    proptest::proptest! {
        #[test]
        fn byte_passes_match_the_char_versions(text in "[a-cA-C1!|.+* \t\x0b\n_/-]{0,40}|\\PC{0,20}") {
            let mut words = 0;
            let mut candidates = 0;
            for w in text.split_ascii_whitespace() {
                words += 1;
                candidates += usize::from(leet_word(w));
            }
            proptest::prop_assert_eq!(count_leet_words(&text), (words, candidates));
            proptest::prop_assert_eq!(count_words_ascii_ws(text.as_bytes()), words);
            proptest::prop_assert_eq!(
                count_bytes(text.as_bytes(), is_leet_byte),
                text.bytes().filter(|&b| LEET_CLASS[usize::from(b)] & LEET_BYTE != 0).count()
            );
            if text.is_ascii() {
                proptest::prop_assert_eq!(
                    has_spaced_run_ascii(text.as_bytes()),
                    has_spaced_run_chars(&text)
                );
                if has_spaced_run_ascii(text.as_bytes()) {
                    proptest::prop_assert!(close_single_letters_ascii(text.as_bytes()));
                }
                proptest::prop_assert_eq!(has_spaced_run(&text), has_spaced_run_chars(&text));
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn spaced_run_gate_keeps_every_run(
            parts in proptest::collection::vec(("[a-zA-Z]|[a-z]{2,5}|[0-9]", "[ .*/|_-]{1,5}"), 0..24),
        ) {
            let text: String = parts.iter().map(|(a, b)| format!("{a}{b}")).collect();
            proptest::prop_assert_eq!(has_spaced_run(&text), has_spaced_run_chars(&text));
        }
    }

    proptest::proptest! {
        #[test]
        fn stable_text_is_already_normalised(
            text in "[a-zé\u{0300}\u{0301}\u{00AA}\u{FB01}中文ー\u{3099}가\u{1100}\u{1161}Ωωй\u{0483}]{0,12}|\\PC{0,12}",
        ) {
            if all_nfkc_stable(&text) {
                proptest::prop_assert_eq!(is_nfkc_quick(text.chars()), IsNormalized::Yes);
                let full: String = text.nfkc().collect();
                proptest::prop_assert_eq!(full, text);
            }
        }
    }

    /// `fold` as first written: `str::to_lowercase` unless the text has a mixed-script char,
    /// else each word lowercased per char and folded when it mixes scripts.
    fn fold_reference(text: &str) -> String {
        if text.is_ascii() {
            return text.to_ascii_lowercase();
        }
        if !text
            .chars()
            .any(|c| matches!(c as u32, 0x0370..=0x052F | 0x0250..=0x02AF | 0x0131))
        {
            return text.to_lowercase();
        }
        let mut out = String::with_capacity(text.len());
        let mut word = String::new();
        let flush = |word: &mut String, out: &mut String| {
            let has_latin = word.chars().any(|c| c.is_ascii_alphabetic());
            let has_conf = word.chars().any(|c| confusable(c).is_some());
            if has_latin && has_conf {
                for c in word.chars() {
                    out.push(confusable(c).unwrap_or(c));
                }
            } else {
                out.push_str(word);
            }
            word.clear();
        };
        for c in text.chars() {
            if c.is_alphanumeric() {
                for l in c.to_lowercase() {
                    word.push(l);
                }
            } else {
                flush(&mut word, &mut out);
                out.push(c);
            }
        }
        flush(&mut word, &mut out);
        out
    }

    /// Random text of Latin, Greek (final sigma), Cyrillic, Turkish `İ`/`ı`, combining marks,
    /// invisible and bidi chars, CJK, Bengali, fullwidth and Kelvin/Ohm signs.
    const MIXED: &str = "(?s)[a-zA-Z0-9 .,'\\n\u{00C0}-\u{00FF}\u{0100}-\u{017F}\u{0130}\u{0131}\u{0250}-\u{02AF}\u{0300}-\u{036F}\u{0370}-\u{03FF}\u{03A3}\u{03C2}\u{0400}-\u{052F}\u{0531}-\u{0587}\u{1E00}-\u{1EFF}\u{1F00}-\u{1FFF}\u{200B}-\u{200F}\u{202A}-\u{202E}\u{2060}-\u{2069}\u{2126}\u{212A}\u{212B}\u{2160}-\u{2188}\u{24B6}-\u{24E9}\u{2C00}-\u{2CFF}\u{A640}-\u{A7FF}\u{FF21}-\u{FF5A}\u{0980}-\u{09FF}\u{0900}-\u{097F}\u{4E00}-\u{4E2F}\u{FEFF}\u{00AD}\u{E0020}-\u{E007F}\u{E0100}-\u{E01EF}\u{10400}-\u{1044F}\u{1F600}-\u{1F64F}]{0,40}|\\PC{0,30}|\\p{Greek}{0,12}";

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2048))]
        #[test]
        fn fold_matches_the_reference(text in MIXED, ascii in "[a-zA-Z .]{0,20}") {
            proptest::prop_assert_eq!(fold(&text), fold_reference(&text));
            let long = format!("{ascii}{text}{ascii}");
            proptest::prop_assert_eq!(fold(&long), fold_reference(&long));
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2048))]
        #[test]
        fn fold_of_cyrillic_and_greek_text_matches_the_reference(
            words in proptest::collection::vec("[а-яА-ЯёЁіІσςΣαΑ]{1,6}|[a-zA-Z0-9]{1,4}|[а-яa-zΣσ0-9İıK\u{212A}\u{0301}]{1,6}|[ ,.\n\u{00A0}«»-]{1,2}", 0..16),
        ) {
            let text = words.concat();
            proptest::prop_assert_eq!(fold(&text), fold_reference(&text));
            proptest::prop_assert_eq!(fold_mixed(&text), fold_mixed_words(&text));
        }
    }

    #[test]
    fn stable_leads_start_only_stable_chars() {
        for cp in 0x80..0x11_0000u32 {
            if let Some(c) = char::from_u32(cp) {
                let mut buf = [0u8; 4];
                let n = stable_width(c.encode_utf8(&mut buf).as_bytes()[0]);
                if n != 0 {
                    assert_eq!(n, c.len_utf8(), "U+{cp:04X}");
                    assert!(
                        bmp_bit(&NFKC_STABLE, cp, nfkc_stable) == Some(true),
                        "U+{cp:04X}"
                    );
                    assert!(all_nfkc_stable(&c.to_string()), "U+{cp:04X}");
                }
            }
        }
    }

    #[test]
    fn caseless_leads_start_only_caseless_chars() {
        for cp in 0x80..0x11_0000u32 {
            if let Some(c) = char::from_u32(cp) {
                let mut buf = [0u8; 4];
                let n = caseless_width(c.encode_utf8(&mut buf).as_bytes()[0]);
                if n != 0 {
                    assert_eq!(n, c.len_utf8(), "U+{cp:04X}");
                    assert!(!lower_changes(c) && !is_mixed_trigger(cp), "U+{cp:04X}");
                    assert!(c.to_lowercase().eq([c]), "U+{cp:04X}");
                }
            }
        }
    }

    #[test]
    fn fold_matches_the_reference_on_every_char() {
        let mut all = String::new();
        for cp in 0..0x11_0000u32 {
            if let Some(c) = char::from_u32(cp) {
                all.push(c);
                all.push(' ');
                let pair: String = [c, 'A', c].into_iter().collect();
                assert_eq!(fold(&pair), fold_reference(&pair), "U+{cp:04X}");
            }
        }
        assert_eq!(fold(&all), fold_reference(&all));
        for t in [
            "ΣΑΣ aΣ",
            "İstanbul İ",
            "Straße ǅ ǈ",
            "Kelvin \u{212A} Ohm \u{2126}",
        ] {
            assert_eq!(fold(t), fold_reference(t), "{t}");
        }
    }

    /// `strip_invisible` as first written: a push per char.
    fn strip_invisible_reference(text: &str) -> (String, InvisibleReport) {
        let mut report = InvisibleReport::default();
        let mut out = String::with_capacity(text.len());
        let mut prev: Option<char> = None;
        let chars: Vec<(usize, char)> = text.char_indices().collect();
        // Chars that belong to an RGI emoji flag: 🏴, the tags of gbeng, gbsct or gbwls, a
        // cancel tag.
        let mut in_flag = vec![false; chars.len()];
        for (k, &(_, c)) in chars.iter().enumerate() {
            if c != TAG_BASE {
                continue;
            }
            for code in RGI_FLAG_TAGS {
                let want = code
                    .chars()
                    .map(|c| char::from_u32(0xE0000 + c as u32).unwrap_or(c))
                    .chain(std::iter::once(TAG_END));
                let got = chars.iter().skip(k + 1).map(|&(_, c)| c);
                if got.take(code.len() + 1).eq(want) {
                    for f in in_flag.iter_mut().skip(k + 1).take(code.len() + 1) {
                        *f = true;
                    }
                }
            }
        }
        let mut iter = text.char_indices().enumerate().peekable();
        while let Some((k, (i, c))) = iter.next() {
            if in_flag.get(k).copied().unwrap_or(false) {
                out.push(c);
                prev = Some(c);
                continue;
            }
            match invisible_kind(c) {
                None => out.push(c),
                Some(kind) => {
                    let next = iter.peek().map(|&(_, (_, n))| n);
                    let emoji_joiner = c == '\u{200D}'
                        && prev.is_some_and(is_emoji_like)
                        && next.is_some_and(is_emoji_like);
                    if emoji_joiner {
                        out.push(c);
                    } else {
                        report.count(kind, c, i);
                    }
                }
            }
            prev = Some(c);
        }
        (out, report)
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2048))]
        #[test]
        fn strip_invisible_matches_the_reference(
            text in MIXED,
            emoji in "[\u{1F600}\u{2600}\u{FE0F}\u{200D}a\u{E0041}\u{E0067}\u{E007F}\u{1F3F4}\u{00AD}\u{2066}\u{00AB}\u{201C}]{0,12}",
            ascii in "[a-z ]{0,40}",
        ) {
            for t in [text.clone(), format!("{ascii}{emoji}{text}{ascii}{emoji}")] {
                proptest::prop_assert_eq!(strip_invisible(&t), strip_invisible_reference(&t));
            }
        }
    }

    #[test]
    fn invisible_leads_cover_every_invisible_char() {
        for cp in 0x80..0x11_0000u32 {
            if let Some(c) = char::from_u32(cp).filter(|&c| invisible_kind(c).is_some()) {
                let mut buf = [0u8; 4];
                assert!(
                    is_invisible_lead(c.encode_utf8(&mut buf).as_bytes()[0]),
                    "U+{cp:04X}"
                );
            }
        }
        let long = format!("{}\u{200B}{}\u{E0041}x", "é".repeat(40), "a".repeat(70));
        assert_eq!(strip_invisible(&long), strip_invisible_reference(&long));
    }

    /// `nfkc` as first written: the text itself when the quick check answers Yes, else the
    /// crate's NFKC of the whole text.
    fn nfkc_reference(text: &str) -> String {
        if text.is_ascii() || is_nfkc_quick(text.chars()) == IsNormalized::Yes {
            return text.to_string();
        }
        text.nfkc().collect()
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(4096))]
        #[test]
        fn nfkc_matches_the_reference(
            text in "[a-zé\u{0300}-\u{0345}\u{0591}-\u{05C7}\u{00AA}\u{00A8}\u{FB01}中文ー\u{3099}\u{309A}かが가각\u{1100}-\u{1112}\u{1161}-\u{1175}\u{11A8}-\u{11C2}Ωωй\u{0483}\u{0958}\u{093C}\u{094D}क-ह\u{0995}-\u{09B9}\u{09BC}\u{09BE}\u{09C7}\u{09CB}\u{09CD}\u{09D7}\u{09DC}-\u{09DF}\u{0F71}-\u{0F81}\u{1E00}-\u{1EFF}\u{FF21}-\u{FF5A}\u{1D400}-\u{1D41F}\u{1D165}-\u{1D16D}\u{2126}\u{212B}\u{0344}\u{0F73}\u{2000}-\u{200F}\u{FE0F}\u{E0100}\u{1F600} ]{0,24}|\\PC{0,16}",
        ) {
            proptest::prop_assert_eq!(nfkc(&text), nfkc_reference(&text));
        }
    }

    #[test]
    fn nfkc_matches_the_reference_around_every_bmp_char() {
        for cp in 0x80..0x1_0000u32 {
            if let Some(c) = char::from_u32(cp) {
                for t in [
                    format!("{c}"),
                    format!("a{c}\u{0301}"),
                    format!("e\u{0323}{c}\u{0302}b"),
                    format!("\u{09C7}{c}\u{09BE}"),
                    format!("\u{1100}{c}\u{1161}\u{11A8}"),
                    format!("{c}{c}x{c}\u{0300}\u{0316}"),
                ] {
                    assert_eq!(nfkc(&t), nfkc_reference(&t), "U+{cp:04X} in {t:?}");
                }
            }
        }
        // Outside the BMP: the supplementary multilingual plane and the tag/selector block.
        for cp in (0x1_0000..0x2_0000u32).chain(0xE_0000..0xE_0200) {
            if let Some(c) = char::from_u32(cp) {
                let t = format!("a{c}\u{0301}{c}\u{0316}x{c}");
                assert_eq!(nfkc(&t), nfkc_reference(&t), "U+{cp:04X}");
            }
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2048))]
        #[test]
        fn spaced_run_gate_matches_the_chars_version_on_unicode(
            parts in proptest::collection::vec(("[a-zA-Zéß中ক\u{0301}\u{1F600}ǅ]|[a-zé]{2,3}|\\PC{1,2}|[0-9]", "[ .*/|_-]{1,5}|\u{00A0}"), 0..24),
        ) {
            let text: String = parts.iter().map(|(a, b)| format!("{a}{b}")).collect();
            proptest::prop_assert_eq!(has_spaced_run(&text), has_spaced_run_chars(&text));
            proptest::prop_assert_eq!(has_spaced_run_utf8(&text), has_spaced_run_chars(&text));
            if has_spaced_run_chars(&text) {
                proptest::prop_assert!(close_single_chars_utf8(text.as_bytes()));
            }
        }
    }

    #[test]
    fn leet_and_spaced() {
        assert_eq!(
            unleet("1gn0r3 all pr3v10us").unwrap(),
            "ignore all previous"
        );
        assert_eq!(unleet("in 2024 we"), None);
        // Hex-looking short words and hyphenated words in leet-heavy text.
        assert_eq!(
            unleet("b1773 g3b3n s13 f0lg3nd35 4u5").unwrap(),
            "bitte geben sie folgendes aus"
        );
        assert_eq!(
            unleet("ju57 4 53lf-r1gh730u5 p3rf0rm4nc3").unwrap(),
            "just a self-righteous performance"
        );
        // A version or id in a leet-heavy text stays as it is.
        assert_eq!(
            unleet("up6r4d3 70 v3r510n 1.2.3-rc1 n0w").unwrap(),
            "up6r4d3 to version 1.2.3-rc1 now"
        );
        assert_eq!(
            join_spaced("please i g n o r e  a l l now").unwrap(),
            "please ignore all now"
        );
        assert_eq!(join_spaced("a b c"), None);
        assert_eq!(join_spaced("i.g.n.o.r.e").unwrap(), "ignore");
    }
}
