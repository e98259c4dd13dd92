//! Secrets: provider credential formats (AWS, GitHub, OpenAI, Anthropic, Slack, Google,
//! Stripe, Hugging Face, JWTs, PEM private keys) and generic `key = value` assignments whose
//! value has high Shannon entropy. Matches only; the value is never copied into messages.

use std::sync::OnceLock;

use regex::Regex;

use super::{lazy_regex, Match};

const PROVIDERS: &[(&str, &str)] = &[
    (
        "AWS_ACCESS_KEY",
        r"(?-u:\b)(?:AKIA|ASIA)[0-9A-Z]{16}(?-u:\b)",
    ),
    (
        "GITHUB_TOKEN",
        r"(?-u:\b)(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})(?-u:\b)",
    ),
    ("ANTHROPIC_KEY", r"(?-u:\b)sk-ant-[A-Za-z0-9_-]{20,}"),
    (
        "OPENAI_KEY",
        r"(?-u:\b)sk-(?:proj-|svcacct-)?[A-Za-z0-9_-]{20,}",
    ),
    ("SLACK_TOKEN", r"(?-u:\b)xox[abposr]-[A-Za-z0-9-]{10,}"),
    ("GOOGLE_API_KEY", r"(?-u:\b)AIza[0-9A-Za-z_-]{35}"),
    (
        "STRIPE_KEY",
        r"(?-u:\b)[rs]k_(?:live|test)_[0-9A-Za-z]{16,}",
    ),
    ("HUGGINGFACE_TOKEN", r"(?-u:\b)hf_[A-Za-z]{34}(?-u:\b)"),
    (
        "JWT",
        r"(?-u:\b)eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}",
    ),
    (
        "PRIVATE_KEY",
        r"-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?-----",
    ),
];

/// Literals one of which every match of a [`PROVIDERS`] pattern contains (case-sensitive, as
/// the patterns are): their fixed prefixes, shortened where a class follows.
const PROVIDER_LITERALS: &[&str] = &[
    "AKIA",
    "ASIA",
    "ghp_",
    "gho_",
    "ghu_",
    "ghs_",
    "ghr_",
    "github_pat_",
    "sk-",
    "xox",
    "AIza",
    "rk_",
    "sk_",
    "hf_",
    "eyJ",
    "-----BEGIN ",
];

fn provider_literals() -> Option<&'static aho_corasick::AhoCorasick> {
    static CELL: OnceLock<Option<aho_corasick::AhoCorasick>> = OnceLock::new();
    CELL.get_or_init(|| {
        // Leftmost-first: the kind the vectorised (Teddy) searcher supports.
        aho_corasick::AhoCorasick::builder()
            .match_kind(aho_corasick::MatchKind::LeftmostFirst)
            .build(PROVIDER_LITERALS)
            .ok()
    })
    .as_ref()
}

/// False when no [`PROVIDERS`] pattern can match `text` (none of [`PROVIDER_LITERALS`] is in
/// it): one search instead of one per pattern.
fn may_have_provider_key(text: &str) -> bool {
    provider_literals().is_none_or(|ac| ac.is_match(text))
}

fn provider_res() -> &'static [(&'static str, Regex)] {
    static CELL: OnceLock<Vec<(&'static str, Regex)>> = OnceLock::new();
    CELL.get_or_init(|| {
        PROVIDERS
            .iter()
            .filter_map(|(k, p)| Regex::new(p).ok().map(|r| (*k, r)))
            .collect()
    })
}

fn assignment_re() -> Option<&'static Regex> {
    static CELL: OnceLock<Option<Regex>> = OnceLock::new();
    lazy_regex(
        &CELL,
        r#"(?i)(?-u:\b)(?:api[_-]?key|secret(?:[_-]?key)?|access[_-]?token|auth[_-]?token|token|password|passwd|pwd|client[_-]?secret)(?-u:\b)["']?\s*[:=]\s*["']?([A-Za-z0-9_\-/+=.!@#$%^&*]{12,128})"#,
    )
}

/// Words one of which every match of [`assignment_re`] contains (`api_key` has `key`,
/// `access_token` has `token`, `passwd` has `passw`).
const ASSIGNMENT_WORDS: &[&str] = &["key", "secret", "token", "passw", "pwd"];

/// [`ASSIGNMENT_WORDS`] in any ASCII case, also spelt with the Kelvin sign for a `k` and the
/// long s for an `s`: the only chars outside ASCII that the pattern's Unicode case folding
/// makes equal to ASCII letters (in ASCII text those spellings never occur).
fn assignment_words() -> Option<&'static aho_corasick::AhoCorasick> {
    static CELL: OnceLock<Option<aho_corasick::AhoCorasick>> = OnceLock::new();
    CELL.get_or_init(|| {
        aho_corasick::AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .match_kind(aho_corasick::MatchKind::LeftmostFirst)
            .build(folded_spellings(ASSIGNMENT_WORDS))
            .ok()
    })
    .as_ref()
}

/// Every spelling of `words` with any of their `k`s as the Kelvin sign (U+212A) and any `s`
/// as the long s (U+017F).
fn folded_spellings(words: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    for w in words {
        let mut forms = vec![String::new()];
        for c in w.chars() {
            let alt = match c {
                'k' => Some('\u{212A}'),
                's' => Some('\u{17F}'),
                _ => None,
            };
            let mut next = Vec::with_capacity(forms.len() * 2);
            for f in &forms {
                next.push(format!("{f}{c}"));
                if let Some(a) = alt {
                    next.push(format!("{f}{a}"));
                }
            }
            forms = next;
        }
        out.extend(forms);
    }
    out
}

/// False when [`assignment_re`] cannot match `text`: it needs `:` or `=` and one of
/// [`ASSIGNMENT_WORDS`] in any case (also spelt with the Kelvin sign or the long s, see
/// [`assignment_words`]).
fn may_assign(text: &str) -> bool {
    if memchr::memchr2(b':', b'=', text.as_bytes()).is_none() {
        return false;
    }
    assignment_words().is_none_or(|ac| ac.is_match(text))
}

/// Shannon entropy in bits per character.
pub fn entropy(s: &str) -> f64 {
    let mut counts = [0u32; 256];
    let mut n = 0u32;
    for b in s.bytes() {
        counts[b as usize] += 1;
        n += 1;
    }
    if n == 0 {
        return 0.0;
    }
    let n = f64::from(n);
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / n;
            -p * p.log2()
        })
        .sum()
}

/// Quick filter: can `text` contain a secret at all?
fn maybe(text: &str) -> bool {
    text.len() >= 16
}

/// All secret matches in `text`, non-overlapping, in text order.
pub fn find(text: &str) -> Vec<Match> {
    let mut out: Vec<Match> = Vec::new();
    if !maybe(text) {
        return out;
    }
    let providers = if may_have_provider_key(text) {
        provider_res()
    } else {
        &[]
    };
    for (kind, re) in providers {
        for m in re.find_iter(text) {
            if !out.iter().any(|o| m.start() < o.end && o.start < m.end()) {
                out.push(Match {
                    kind,
                    start: m.start(),
                    end: m.end(),
                });
            }
        }
    }
    if let Some(re) = assignment_re().filter(|_| may_assign(text)) {
        for c in re.captures_iter(text) {
            if let Some(v) = c.get(1) {
                let val = v.as_str();
                let classes = [
                    val.bytes().any(|b| b.is_ascii_lowercase()),
                    val.bytes().any(|b| b.is_ascii_uppercase()),
                    val.bytes().any(|b| b.is_ascii_digit()),
                ]
                .iter()
                .filter(|&&x| x)
                .count();
                if entropy(val) >= 3.3
                    && classes >= 2
                    && !out.iter().any(|o| v.start() < o.end && o.start < v.end())
                {
                    out.push(Match {
                        kind: "GENERIC_SECRET",
                        start: v.start(),
                        end: v.end(),
                    });
                }
            }
        }
    }
    out.sort_by_key(|m| m.start);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    // Built at test time from harmless parts; none of these is a real credential.
    fn fake(prefix: &str, body: &str, n: usize) -> String {
        format!(
            "{prefix}{}",
            body.repeat(n / body.len() + 1).get(..n).unwrap()
        )
    }

    #[test]
    fn all_static_patterns_compile() {
        assert_eq!(provider_res().len(), PROVIDERS.len());
        assert!(assignment_re().is_some());
    }

    #[test]
    fn provider_formats() {
        let cases = [
            (fake("AKIA", "ABCDEFGHIJ234567", 16), "AWS_ACCESS_KEY"),
            (fake("ghp_", "aB3dE6gH9", 36), "GITHUB_TOKEN"),
            (fake("sk-ant-", "aB3-dE6_", 40), "ANTHROPIC_KEY"),
            (fake("sk-proj-", "Ab3De6Gh9", 40), "OPENAI_KEY"),
            (fake("AIza", "Sy3De6Gh9_", 35), "GOOGLE_API_KEY"),
            (fake("sk_live_", "Ab3De6", 24), "STRIPE_KEY"),
            (fake("hf_", "AbcDefGhij", 34), "HUGGINGFACE_TOKEN"),
        ];
        for (s, kind) in cases {
            let t = format!("use {s} here");
            let m = find(&t);
            assert_eq!(m.len(), 1, "{kind}: {m:?}");
            assert_eq!(m[0].kind, kind);
            assert_eq!(&t[m[0].start..m[0].end], s);
        }
        let pem = format!("-----BEGIN {}PRIVATE KEY-----\nMIIE", "RSA ");
        assert_eq!(find(&pem)[0].kind, "PRIVATE_KEY");
    }

    proptest::proptest! {
        #[test]
        fn the_assignment_gate_never_hides_a_match(
            text in "((api|Secret|TOKEN|pass|pwd|PASSWD|key|\u{212A}ey|\u{17F}ecret|to\u{212A}en|TO\u{212A}EN|pa\u{17F}\u{17F}wd|Pa\u{17F}sword|\u{17F}ECRET)[ _-]?|[a-zA-Z0-9 :='\"]{0,6}|\\PC{0,4})*",
        ) {
            let re = assignment_re().unwrap();
            if re.is_match(&text) {
                proptest::prop_assert!(may_assign(&text));
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn the_provider_gate_never_hides_a_match(
            text in "((AKIA|ASIA|gh[pousr]_|github_pat_|sk-ant-|sk-proj-|xox[abposr]-|AIza|[rs]k_(live|test)_|hf_|eyJ|-----BEGIN (RSA )?PRIVATE KEY-----|\\.)[A-Za-z0-9_-]{0,40}|[ a-zA-Z0-9]{0,8})*",
        ) {
            if provider_res().iter().any(|(_, re)| re.is_match(&text)) {
                proptest::prop_assert!(may_have_provider_key(&text));
            }
        }
    }

    #[test]
    fn the_assignment_gate_lets_unicode_case_folds_through() {
        let kelvin = "api_\u{212A}ey = \"Zx9Qw2Er7Ty4Ui1Op3\"";
        assert!(assignment_re().unwrap().is_match(kelvin));
        assert!(may_assign(kelvin));
        assert!(!may_assign("the token is important for the whole project"));
        assert!(!may_assign("ratio: 3 to 4"));
        // Outside ASCII the gate looks for the words too, in every spelling the pattern's
        // case folding accepts.
        assert!(!may_assign("Соотношение: 3 к 4, пароль не нужен"));
        let long_s = "Привет! pa\u{17F}\u{17F}word = \"Zx9Qw2Er7Ty4Ui1Op3\"";
        assert!(assignment_re().unwrap().is_match(long_s));
        assert!(may_assign(long_s));
        assert_eq!(find(long_s)[0].kind, "GENERIC_SECRET");
        assert_eq!(folded_spellings(&["ks"]).len(), 4);
    }

    #[test]
    fn generic_needs_entropy() {
        assert_eq!(
            find("api_key = \"Zx9Qw2Er7Ty4Ui1Op3\"")[0].kind,
            "GENERIC_SECRET"
        );
        assert!(find("password: aaaaaaaaaaaaaaaa").is_empty());
        assert!(find("the token is important for the whole project").is_empty());
        assert!(entropy("abcd") > 1.9 && entropy("aaaa") == 0.0);
    }
}
