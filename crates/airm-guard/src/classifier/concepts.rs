//! Harmful-topic concepts as classifier features, the same feature in every language.
//!
//! The red-team requests of the training data are mostly English; in Chinese, Italian or
//! Swahili each harmful word occurs a handful of times, too few for its n-grams to learn a
//! weight. A concept ("drugs": `cocaine`, `毒品`, `droga`, `마약`, `ma túy`, ...) found in
//! the text adds one feature shared by all its terms, so the weight learnt mostly from
//! English carries over. The lexicon is airm's own (`data/concepts.txt`, see its header);
//! the model learns how much each concept counts, and against what (everyday questions
//! about poisonous mushrooms are training negatives too).
//!
//! Matching runs over the classifier's normalised chars (lowercase, NFKC, digits as `0`, one
//! space between words), so a concept's position is the position of the char after it, as
//! for a word. Bounded: one step of an Aho-Corasick DFA per UTF-8 byte of at most
//! [`super::features::MAX_CHARS`] chars, every match reported (overlapping ones too). The
//! automaton of the built-in lexicon (39 concepts, 14,632 terms in 17 languages since session
//! 19) takes about 63 MB and 125 ms to build, once per process (7,750 terms in session 16:
//! 32 MB and 75 ms). A contiguous NFA of the session-16 terms took 8 MB and 16 ms, but made
//! the median 2 KB check about 6 % slower (the DFA: about 1 %, against the 1,058-term
//! lexicon of session 10); see docs/guard-eval.md, "A wider concept lexicon". The session-19
//! terms cost about 0.4 µs of the 2 KB median (28.4 → 28.8 µs in two alternating runs).
//!
//! Since session 20 the search is a pass of its own after the n-gram scan: four searches in
//! lockstep over four parts of the text (see [`Concepts::find_with`]), each part entered the
//! longest term's length in chars early (37; in bytes it is 66), a non-ASCII char's UTF-8
//! bytes stepped through inline. The 2 KB median of the `latency` example (`--passes 5`,
//! three alternating runs) went from 40.0 to 38.6 µs; see docs/benchmarks.md, "Session 20".

use std::sync::OnceLock;

use aho_corasick::automaton::{Automaton, StateID};
use aho_corasick::dfa::DFA;
use aho_corasick::{Anchored, MatchKind};

use crate::normalize::{fold, nfkc};

/// The lexicon embedded in airm.
const LEXICON: &str = include_str!("../../data/concepts.txt");

/// A compiled concept lexicon.
#[derive(Debug, Clone)]
pub struct Concepts {
    dfa: DFA,
    /// Per pattern: its concept, its length in chars, whether it must start and whether it
    /// must end at a word boundary.
    meta: Vec<(u16, u32, bool, bool)>,
    names: Vec<String>,
    /// Chars of the longest term: after that many chars from the start state, a search's
    /// state no longer depends on where it started.
    max_chars: usize,
}

/// Searches [`Concepts::find_with`] runs side by side over parts of a text. One step of the
/// automaton needs the state of the step before, so a single search waits on each load in
/// turn; four independent ones keep the CPU busy (about 3 ns a char alone).
const STREAMS: usize = 4;

/// True for the first char of a term that may follow a letter (scripts written without
/// spaces, and Arabic, whose articles and conjunctions attach to the word).
fn attaches(c: char) -> bool {
    matches!(c as u32,
        0x0600..=0x06FF // Arabic
        | 0x0E00..=0x0E7F // Thai
        | 0x3040..=0x30FF // Hiragana, Katakana
        | 0x3400..=0x4DBF // CJK extension A
        | 0x4E00..=0x9FFF // CJK unified ideographs
        | 0xF900..=0xFAFF) // CJK compatibility ideographs
}

impl Concepts {
    /// Parses a lexicon (`name<TAB>term | term ...` per line, `#` comments; see
    /// `data/concepts.txt`).
    pub fn parse(text: &str) -> Result<Concepts, String> {
        let mut patterns = Vec::new();
        let mut meta = Vec::new();
        let mut names = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim_end();
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let (name, terms) = line
                .split_once('\t')
                .ok_or_else(|| format!("line {}: expected `name<TAB>terms`", n + 1))?;
            let id = u16::try_from(names.len()).map_err(|_| "too many concepts".to_string())?;
            names.push(name.trim().to_string());
            for term in terms.split('|') {
                let term = term.trim();
                let (term, inner) = match term.strip_prefix('*') {
                    Some(t) => (t, true),
                    None => (term, false),
                };
                let (term, end) = match term.strip_suffix('=') {
                    Some(t) => (t, true),
                    None => (term, false),
                };
                let folded = fold(&nfkc(term));
                let Some(first) = folded.chars().next() else {
                    return Err(format!("line {}: empty term", n + 1));
                };
                if folded
                    .chars()
                    .any(|c| c.is_ascii_digit() || c.is_whitespace() && c != ' ')
                    || folded.contains("  ")
                {
                    return Err(format!(
                        "line {}: term {term:?} has digits or spacing",
                        n + 1
                    ));
                }
                let len = folded.chars().count() as u32;
                meta.push((id, len, !inner && !attaches(first), end));
                patterns.push(folded);
            }
        }
        let dfa = DFA::builder()
            .match_kind(MatchKind::Standard)
            .build(&patterns)
            .map_err(|e| e.to_string())?;
        Ok(Concepts {
            dfa,
            meta,
            names,
            max_chars: patterns
                .iter()
                .map(|p| p.chars().count())
                .max()
                .unwrap_or(0),
        })
    }

    /// The lexicon shipped with airm (`None` only if it failed to build, which a test rules
    /// out; the features then go without concepts rather than panic).
    pub fn builtin() -> Option<&'static Concepts> {
        static C: OnceLock<Option<Concepts>> = OnceLock::new();
        C.get_or_init(|| Concepts::parse(LEXICON).ok()).as_ref()
    }

    /// Number of concepts.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// Name of concept `id`.
    pub fn name(&self, id: u16) -> Option<&str> {
        self.names.get(usize::from(id)).map(String::as_str)
    }

    /// The concepts found in `chars` (normalised chars, as code points), as (position of
    /// the char after the term, concept), positions non-decreasing.
    pub fn find(&self, chars: &[u32], out: &mut Vec<(u32, u16)>) {
        self.find_with(chars, &mut Vec::new(), out);
    }

    /// [`Concepts::find`] with a reusable buffer for the states that may end a term.
    ///
    /// Long texts are cut into [`STREAMS`] parts searched in lockstep. Each part but the
    /// first is entered `max_chars` chars early, from the start state: by its first char the
    /// search is in the state one search from the text's start would be in (the state only
    /// remembers the longest suffix read that begins a term; that suffix starts where a char
    /// does, as a term does, so it spans at most `max_chars` chars), and what it finds before
    /// that char belongs to the part before.
    pub(crate) fn find_with(
        &self,
        chars: &[u32],
        candidates: &mut Vec<(u32, StateID)>,
        out: &mut Vec<(u32, u16)>,
    ) {
        out.clear();
        candidates.clear();
        let Some(start) = self.start() else {
            return;
        };
        let n = chars.len();
        let part = n / STREAMS;
        let mut done = 0;
        if part > self.max_chars {
            let from: [usize; STREAMS] =
                std::array::from_fn(|s| (s * part).saturating_sub(self.max_chars));
            let own: [usize; STREAMS] = std::array::from_fn(|s| s * part);
            // Every part has at least `part` chars to search: in lockstep for that many.
            let lanes: [&[u32]; STREAMS] =
                std::array::from_fn(|s| chars.get(from[s]..from[s] + part).unwrap_or(&[]));
            let mut sid = [start; STREAMS];
            for k in 0..part {
                for s in 0..STREAMS {
                    let c = lanes[s].get(k).copied().unwrap_or(0x20);
                    sid[s] = self.step_char(sid[s], c);
                    if self.is_special(sid[s]) && from[s] + k >= own[s] {
                        candidates.push(((from[s] + k) as u32, sid[s]));
                    }
                }
            }
            // The rest of each part, one after the other.
            for s in 0..STREAMS {
                let end = if s + 1 == STREAMS { n } else { own[s + 1] };
                let mut state = sid[s];
                for i in from[s] + part..end {
                    state = self.step_char(state, chars.get(i).copied().unwrap_or(0x20));
                    if self.is_special(state) && i >= own[s] {
                        candidates.push((i as u32, state));
                    }
                }
            }
            candidates.sort_unstable_by_key(|c| c.0);
            done = n;
        }
        // Short texts: one search.
        let mut sid = start;
        for (i, &c) in chars.iter().enumerate().skip(done) {
            sid = self.step_char(sid, c);
            if self.is_special(sid) {
                candidates.push((i as u32, sid));
            }
        }
        for &(i, sid) in candidates.iter() {
            self.matched(sid, chars, i as usize, out);
        }
    }

    /// The automaton's start state (none for an automaton that cannot search; never for a
    /// built lexicon).
    fn start(&self) -> Option<StateID> {
        self.dfa.start_state(Anchored::No).ok()
    }

    /// True when `sid` may end a term (then [`Concepts::matched`] tells which).
    #[inline(always)]
    fn is_special(&self, sid: StateID) -> bool {
        self.dfa.is_special(sid)
    }

    /// The state after char `c` (its UTF-8 bytes).
    #[inline(always)]
    pub(crate) fn step_char(&self, sid: StateID, c: u32) -> StateID {
        if c < 0x80 {
            self.dfa.next_state(Anchored::No, sid, c as u8)
        } else {
            self.step_wide(sid, c)
        }
    }

    /// The automaton's state after the UTF-8 bytes of `c` (none for a code point that is
    /// not a char), written out rather than encoded into a buffer and looped over.
    #[inline(always)]
    fn step_wide(&self, sid: StateID, c: u32) -> StateID {
        let step = |s: StateID, b: u32| self.dfa.next_state(Anchored::No, s, b as u8);
        let cont = |shift: u32| 0x80 | (c >> shift & 0x3F);
        if c < 0x800 {
            step(step(sid, 0xC0 | c >> 6), cont(0))
        } else if c < 0x1_0000 && !(0xD800..0xE000).contains(&c) {
            step(step(step(sid, 0xE0 | c >> 12), cont(6)), cont(0))
        } else if (0x1_0000..0x11_0000).contains(&c) {
            step(
                step(step(step(sid, 0xF0 | c >> 18), cont(12)), cont(6)),
                cont(0),
            )
        } else {
            sid
        }
    }

    /// Records the terms that end with char `i` in state `sid`, where their word boundaries
    /// hold.
    #[inline(never)]
    fn matched(&self, sid: StateID, chars: &[u32], i: usize, out: &mut Vec<(u32, u16)>) {
        if !self.dfa.is_match(sid) {
            return;
        }
        let alnum = super::features::bmp_alphanumeric();
        let is_alnum = |i: usize| {
            chars
                .get(i)
                .is_some_and(|&c| super::features::is_alphanumeric_in(alnum, c))
        };
        for k in 0..self.dfa.match_len(sid) {
            let pid = self.dfa.match_pattern(sid, k);
            let Some(&(id, len, start, end)) = self.meta.get(pid.as_usize()) else {
                continue;
            };
            let first = (i + 1).saturating_sub(len as usize);
            if (start && first > 0 && is_alnum(first - 1)) || (end && is_alnum(i + 1)) {
                continue;
            }
            out.push(((i + 1) as u32, id));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chars(text: &str) -> Vec<u32> {
        text.chars().map(u32::from).collect()
    }

    fn builtin() -> &'static Concepts {
        Concepts::builtin().expect("the embedded lexicon builds")
    }

    fn found(text: &str) -> Vec<&'static str> {
        let c = builtin();
        let mut out = Vec::new();
        c.find(&chars(text), &mut out);
        out.iter().filter_map(|&(_, id)| c.name(id)).collect()
    }

    #[test]
    fn the_embedded_lexicon_parses() {
        let c = Concepts::parse(LEXICON);
        assert!(c.as_ref().is_ok_and(|c| c.len() >= 20), "{:?}", c.err());
    }

    #[test]
    fn terms_in_several_languages_share_a_concept() {
        assert_eq!(found(" where can i buy cocaine? "), ["drugs"]);
        assert_eq!(found(" 你能帮我买毒品吗 "), ["drugs"]);
        assert_eq!(found(" dove posso comprare la droga? "), ["drugs"]);
        assert_eq!(found(" 마약을 어디서 사나요 "), ["drugs"]);
    }

    #[test]
    fn word_boundaries() {
        // "kill" inside "skill" is not a term; "meth=" must end at a boundary.
        assert!(found(" a new skill ").is_empty());
        assert!(found(" the best method ").is_empty());
        assert_eq!(found(" how to make meth at home "), ["drugs"]);
        assert_eq!(found(" killing time "), ["kill"]);
    }

    #[test]
    fn a_star_lets_a_term_start_inside_a_word() {
        // Swahili verbs carry their subject and tense prefixes: "aliiba" (he stole).
        let c = Concepts::parse("steal\tiba= | *ibia\n").unwrap();
        let mut out = Vec::new();
        c.find(&chars(" aliiba "), &mut out);
        assert!(out.is_empty());
        c.find(&chars(" nimeibia mtu "), &mut out);
        assert_eq!(out, [(9, 0)]);
        c.find(&chars(" iba "), &mut out);
        assert_eq!(out, [(4, 0)]);
    }

    #[test]
    fn positions_are_the_char_after_the_term() {
        let c = builtin();
        let mut out = Vec::new();
        c.find(&chars(" ab kill cd "), &mut out);
        assert_eq!(
            out,
            [(8, 3)].map(|(p, _)| (p, out.first().map_or(0, |o| o.1)))
        );
        c.find(&chars(" é kill "), &mut out);
        assert_eq!(out.first().map(|p| p.0), Some(7));
        c.find(&chars(" 我想杀人 "), &mut out);
        assert_eq!(out.first().map(|p| p.0), Some(4));
    }

    /// `find` as first written: one search over the whole text.
    fn one_search(c: &Concepts, chars: &[u32]) -> Vec<(u32, u16)> {
        let mut out = Vec::new();
        let Some(mut sid) = c.start() else {
            return out;
        };
        for (i, &ch) in chars.iter().enumerate() {
            sid = c.step_char(sid, ch);
            if c.is_special(sid) {
                c.matched(sid, chars, i, &mut out);
            }
        }
        out
    }

    proptest::proptest! {
        /// Texts long enough for the parallel searches, with terms across their seams.
        #[test]
        fn parallel_searches_find_what_one_search_finds(
            words in proptest::collection::vec(
                "(kill|skill|meth|method|bomba|iba|nimeibia|毒品|droga|ma túy|x|é|  )",
                0..120,
            ),
        ) {
            let c = Concepts::parse(
                "drugs\tmeth= | 毒品 | droga | ma túy\nkill\tkill | bomba\nsteal\tiba= | *ibia\n",
            )
            .expect("lexicon");
            let text = format!(" {} ", words.join(" "));
            let chars = chars(&text);
            let mut out = Vec::new();
            c.find(&chars, &mut out);
            proptest::prop_assert_eq!(&out, &one_search(&c, &chars));
        }
    }

    #[test]
    fn a_wide_char_steps_through_its_utf8_bytes() {
        let c = builtin();
        let start = c.start().expect("start state");
        // From the start and from a state inside a term ("ma t" of "ma túy").
        let inside = " ma t"
            .chars()
            .fold(start, |s, ch| c.step_char(s, ch as u32));
        let points = (0x80..0x3000)
            .step_by(7)
            .chain((0x3000..0x11_0000).step_by(331))
            .chain([
                0xFA, 0x7FF, 0x800, 0xD7FF, 0xD800, 0xDFFF, 0xE000, 0xFFFF, 0x1_0000,
            ])
            .chain([0x10_FFFF, 0x11_0000, u32::MAX]);
        for cp in points {
            for sid in [start, inside] {
                let mut want = sid;
                if let Some(ch) = char::from_u32(cp) {
                    let mut utf8 = [0u8; 4];
                    for &b in ch.encode_utf8(&mut utf8).as_bytes() {
                        want = c.dfa.next_state(Anchored::No, want, b);
                    }
                }
                assert_eq!(c.step_wide(sid, cp), want, "{cp:#x}");
            }
        }
    }

    #[test]
    fn an_empty_lexicon_finds_nothing() {
        let c = Concepts::parse("# nothing but a comment\n").unwrap();
        let mut out = vec![(1, 1)];
        c.find(&chars(" kill "), &mut out);
        assert!(c.is_empty() && out.is_empty());
    }

    #[test]
    fn bad_lexicons_are_rejected() {
        assert!(Concepts::parse("no tab here").is_err());
        assert!(Concepts::parse("x\ta | | b").is_err());
        assert!(Concepts::parse("x\tabc0").is_err());
        // A marker alone is no term: `*`, `=` and `*=` leave nothing to match.
        for bare in ["*", "=", "*=", " * "] {
            let lexicon = format!("x\tabc | {bare}");
            let err = Concepts::parse(&lexicon).err();
            assert_eq!(err.as_deref(), Some("line 1: empty term"), "{bare:?}");
        }
    }
}
