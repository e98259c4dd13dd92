//! Personal data: email addresses, phone numbers, payment cards (Luhn + issuer prefix), IBANs
//! (country length + ISO 7064 mod 97), national ids with their check digits (US SSN
//! structure, Spanish DNI/NIE letter, Dutch BSN 11-test, UK NINO prefix rules) and IP
//! addresses. Matches only; never logs or stores the values.

use std::sync::OnceLock;

use regex::Regex;

use super::{lazy_regex, Match};

macro_rules! re {
    ($name:ident, $pat:expr) => {
        fn $name() -> Option<&'static Regex> {
            static CELL: OnceLock<Option<Regex>> = OnceLock::new();
            lazy_regex(&CELL, $pat)
        }
    };
}

re!(
    email_re,
    r"(?i)(?-u:\b)[a-z0-9][a-z0-9._%+-]{0,63}@[a-z0-9](?:[a-z0-9-]{0,62}\.)+[a-z]{2,24}(?-u:\b)"
);
re!(
    phone_re,
    r"\+?(?:\([0-9]{1,4}\)|[0-9])[0-9 ().-]{6,18}[0-9]"
);
re!(card_re, r"(?-u:\b)[0-9](?:[ -]?[0-9]){12,18}(?-u:\b)");
re!(
    iban_re,
    r"(?-u:\b)[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?(?-u:\b)"
);
re!(ssn_re, r"(?-u:\b)([0-9]{3})-([0-9]{2})-([0-9]{4})(?-u:\b)");
re!(dni_re, r"(?-u:\b)([XYZ]?)([0-9]{7,8})-?([A-Z])(?-u:\b)");
re!(
    bsn_re,
    r"(?i)(?-u:\b)(?:bsn|burgerservicenummer)\D{0,20}([0-9]{9})(?-u:\b)"
);
re!(
    nino_re,
    r"(?-u:\b)([A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]) ?[0-9]{2} ?[0-9]{2} ?[0-9]{2} ?[A-D](?-u:\b)"
);
re!(ipv4_re, r"(?-u:\b)(?:[0-9]{1,3}\.){3}[0-9]{1,3}(?-u:\b)");
re!(
    ipv6_re,
    r"(?i)(?-u:\b)(?:[0-9a-f]{1,4}:){7}[0-9a-f]{1,4}(?-u:\b)|(?i)(?-u:\b)(?:[0-9a-f]{1,4}:){1,6}:(?:[0-9a-f]{1,4}:){0,5}[0-9a-f]{1,4}(?-u:\b)"
);

/// True when `text` has two ASCII capitals followed by two digits (`GB82`), as every match of
/// [`iban_re`] starts. That regex has no literal to look for first, so its pass over a text
/// costs about 2 ns a byte; this test looks only around the text's digits.
fn may_hold_iban(text: &[u8]) -> bool {
    let mut at = 0;
    while let Some(d) = text
        .get(at..)
        .and_then(|t| t.iter().position(u8::is_ascii_digit))
    {
        let j = at + d;
        let upper = |k: usize| text.get(k).is_some_and(u8::is_ascii_uppercase);
        if j >= 2 && upper(j - 2) && upper(j - 1) && text.get(j + 1).is_some_and(u8::is_ascii_digit)
        {
            return true;
        }
        at = j + 1;
    }
    false
}

/// True when [`ipv6_re`] may match `text` (with `colons` colons): its first branch has seven
/// colons, each between two hex digits; its second holds `::` (and two colons).
fn may_hold_ipv6(text: &[u8], colons: usize) -> bool {
    let hex = |k: usize| text.get(k).is_some_and(u8::is_ascii_hexdigit);
    (colons >= 2 && memchr::memmem::find(text, b"::").is_some())
        || (colons >= 7
            && memchr::memchr_iter(b':', text).any(|i| i > 0 && hex(i - 1) && hex(i + 1)))
}

fn digits(s: &str) -> Vec<u8> {
    s.bytes()
        .filter(u8::is_ascii_digit)
        .map(|b| b - b'0')
        .collect()
}

/// Luhn checksum over the digits of `s`.
pub fn luhn_valid(s: &str) -> bool {
    let d = digits(s);
    if d.len() < 2 {
        return false;
    }
    let sum: u32 = d
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &x)| {
            let x = u32::from(x);
            if i % 2 == 1 {
                let y = x * 2;
                if y > 9 {
                    y - 9
                } else {
                    y
                }
            } else {
                x
            }
        })
        .sum();
    sum % 10 == 0
}

/// A payment card number: 13–19 digits, a known issuer prefix and a valid Luhn digit.
pub fn card_valid(s: &str) -> bool {
    let d = digits(s);
    if !(13..=19).contains(&d.len()) || !luhn_valid(s) {
        return false;
    }
    let p2 = u32::from(d[0]) * 10 + u32::from(d[1]);
    let p4 = p2 * 100 + u32::from(d[2]) * 10 + u32::from(d[3]);
    d[0] == 4
        || (51..=55).contains(&p2)
        || (2221..=2720).contains(&p4)
        || p2 == 34
        || p2 == 37
        || p4 == 6011
        || p2 == 65
        || p2 == 35
        || p2 == 36
        || p2 == 62
}

fn iban_length(country: &str) -> Option<usize> {
    Some(match country {
        "AD" => 24,
        "AE" => 23,
        "AT" => 20,
        "BE" => 16,
        "BG" => 22,
        "BH" => 22,
        "BR" => 29,
        "CH" => 21,
        "CY" => 28,
        "CZ" => 24,
        "DE" => 22,
        "DK" => 18,
        "EE" => 20,
        "ES" => 24,
        "FI" => 18,
        "FR" => 27,
        "GB" => 22,
        "GI" => 23,
        "GR" => 27,
        "HR" => 21,
        "HU" => 28,
        "IE" => 22,
        "IL" => 23,
        "IS" => 26,
        "IT" => 27,
        "KW" => 30,
        "KZ" => 20,
        "LI" => 21,
        "LT" => 20,
        "LU" => 20,
        "LV" => 21,
        "MC" => 27,
        "MT" => 31,
        "NL" => 18,
        "NO" => 15,
        "PL" => 28,
        "PT" => 25,
        "QA" => 29,
        "RO" => 24,
        "SA" => 24,
        "SE" => 24,
        "SI" => 19,
        "SK" => 24,
        "SM" => 27,
        "TR" => 26,
        "UA" => 29,
        _ => return None,
    })
}

/// IBAN: known country, its length, and ISO 7064 mod 97 == 1.
pub fn iban_valid(s: &str) -> bool {
    let c: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    let Some(country) = c.get(..2) else {
        return false;
    };
    if iban_length(country) != Some(c.len()) {
        return false;
    }
    let (head, tail) = c.split_at(4);
    let mut rem: u32 = 0;
    for ch in tail.chars().chain(head.chars()) {
        let v = match ch {
            '0'..='9' => ch as u32 - '0' as u32,
            'A'..='Z' => ch as u32 - 'A' as u32 + 10,
            _ => return false,
        };
        rem = if v >= 10 {
            (rem * 100 + v) % 97
        } else {
            (rem * 10 + v) % 97
        };
    }
    rem == 1
}

/// US SSN structure: area not 000, 666 or 9xx; group not 00; serial not 0000.
pub fn ssn_valid(area: &str, group: &str, serial: &str) -> bool {
    area != "000" && area != "666" && !area.starts_with('9') && group != "00" && serial != "0000"
}

/// Spanish DNI (8 digits + letter) or NIE (X/Y/Z + 7 digits + letter): letter = table[n % 23].
pub fn dni_valid(prefix: &str, number: &str, letter: char) -> bool {
    const T: &[u8; 23] = b"TRWAGMYFPDXBNJZSQVHLCKE";
    let lead = match prefix {
        "" if number.len() == 8 => "",
        "X" if number.len() == 7 => "0",
        "Y" if number.len() == 7 => "1",
        "Z" if number.len() == 7 => "2",
        _ => return false,
    };
    let Ok(n) = format!("{lead}{number}").parse::<u64>() else {
        return false;
    };
    T.get((n % 23) as usize).map(|&b| b as char) == Some(letter)
}

/// Dutch BSN "11-proef": weights 9..2 and -1, sum divisible by 11.
pub fn bsn_valid(s: &str) -> bool {
    let d = digits(s);
    if d.len() != 9 {
        return false;
    }
    let sum: i32 = d
        .iter()
        .enumerate()
        .map(|(i, &x)| {
            let w = if i == 8 { -1 } else { 9 - i as i32 };
            w * i32::from(x)
        })
        .sum();
    sum != 0 && sum % 11 == 0
}

/// UK National Insurance number prefix rules (first two letters; banned pairs).
pub fn nino_valid(prefix: &str) -> bool {
    !matches!(prefix, "BG" | "GB" | "KN" | "NK" | "NT" | "TN" | "ZZ")
}

fn ipv4_valid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('.').collect();
    parts.len() == 4
        && parts.iter().all(|p| {
            p.parse::<u16>().is_ok_and(|v| v <= 255) && !(p.len() > 1 && p.starts_with('0'))
        })
        && s != "0.0.0.0"
}

/// Byte classes for [`Runs`].
const DIGIT: u8 = 1;
const SPACE: u8 = 2;
const DOT: u8 = 4;
const DASH: u8 = 8;
const PAREN: u8 = 16;
const PLUS: u8 = 32;
const RUN_CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = match b as u8 {
            b'0'..=b'9' => DIGIT,
            b' ' => SPACE,
            b'.' => DOT,
            b'-' => DASH,
            b'(' | b')' => PAREN,
            b'+' => PLUS,
            _ => 0,
        };
        b += 1;
    }
    t
};

/// The most digits in one run of bytes that a pattern's match must lie in: a match holds only
/// bytes of its pattern's set, so it lies inside one maximal run of them, and the pattern (or
/// its validator) needs at least so many digits. A pattern whose run is too short is skipped.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Runs {
    /// Digits in a run of `[0-9 ().+-]` (phone: 9 to 15 digits, checked after the match).
    phone: usize,
    /// Digits in a run of `[0-9 -]` (card: 13 to 19).
    card: usize,
    /// Digits in a run of `[0-9-]` (SSN: 3 + 2 + 4).
    ssn: usize,
    /// Digits in a run of `[0-9 ]` (NINO: 2 + 2 + 2).
    nino: usize,
    /// Consecutive digits (DNI/NIE: 7 or 8).
    digits: usize,
    /// A run of `[0-9.]` with at least four digits and three dots (IPv4).
    ipv4: bool,
}

impl Runs {
    /// The runs of `text`. Every set is within `[0-9 ().+-]`, and a run matters only if it
    /// holds a digit: so only the maximal runs of that set around a digit are scanned (found
    /// by looking for the next digit), and their figures combined.
    fn of(text: &[u8]) -> Runs {
        let in_set = |j: usize| text.get(j).is_some_and(|&b| RUN_CLASS[usize::from(b)] != 0);
        let mut r = Runs::default();
        let mut i = 0;
        while let Some(d) = text
            .get(i..)
            .and_then(|t| t.iter().position(u8::is_ascii_digit))
        {
            let (mut a, mut b) = (i + d, i + d);
            while a > 0 && in_set(a - 1) {
                a -= 1;
            }
            while in_set(b) {
                b += 1;
            }
            let s = Runs::scan(text.get(a..b).unwrap_or(&[]));
            r = Runs {
                phone: r.phone.max(s.phone),
                card: r.card.max(s.card),
                ssn: r.ssn.max(s.ssn),
                nino: r.nino.max(s.nino),
                digits: r.digits.max(s.digits),
                ipv4: r.ipv4 || s.ipv4,
            };
            i = b;
        }
        r
    }

    /// One pass over the bytes; bytes outside every set (letters, most of a text) only reset
    /// the counters.
    fn scan(text: &[u8]) -> Runs {
        let mut r = Runs::default();
        // Current runs: phone, card, ssn, nino, digits, ipv4 digits, ipv4 dots.
        let mut cur = [0usize; 7];
        let mut dirty = false;
        for &b in text {
            let k = RUN_CLASS[usize::from(b)];
            if k == 0 {
                if dirty {
                    cur = [0; 7];
                    dirty = false;
                }
                continue;
            }
            dirty = true;
            let d = usize::from(k & DIGIT);
            let step = |n: usize, set: u8| if k & set == 0 { 0 } else { n + d };
            cur[0] = step(cur[0], DIGIT | SPACE | DOT | DASH | PAREN | PLUS);
            cur[1] = step(cur[1], DIGIT | SPACE | DASH);
            cur[2] = step(cur[2], DIGIT | DASH);
            cur[3] = step(cur[3], DIGIT | SPACE);
            cur[4] = step(cur[4], DIGIT);
            cur[5] = step(cur[5], DIGIT | DOT);
            cur[6] = if k & (DIGIT | DOT) == 0 {
                0
            } else {
                cur[6] + usize::from(k & DOT != 0)
            };
            r.phone = r.phone.max(cur[0]);
            r.card = r.card.max(cur[1]);
            r.ssn = r.ssn.max(cur[2]);
            r.nino = r.nino.max(cur[3]);
            r.digits = r.digits.max(cur[4]);
            r.ipv4 |= cur[5] >= 4 && cur[6] >= 3;
        }
        r
    }
}

fn overlaps(out: &[Match], s: usize, e: usize) -> bool {
    out.iter().any(|m| s < m.end && m.start < e)
}

/// All personal-data matches in `text`, non-overlapping, in text order.
pub fn find(text: &str) -> Vec<Match> {
    let mut out: Vec<Match> = Vec::new();
    let ndigits = crate::normalize::count_bytes(text.as_bytes(), |b| b.wrapping_sub(b'0') < 10);
    let has_digit = ndigits >= 6;
    let runs = if has_digit {
        Runs::of(text.as_bytes())
    } else {
        Runs::default()
    };
    let has_upper = text.bytes().any(|b| b.is_ascii_uppercase());
    if text.contains('@') {
        if let Some(re) = email_re() {
            for m in re.find_iter(text) {
                out.push(Match {
                    kind: "EMAIL",
                    start: m.start(),
                    end: m.end(),
                });
            }
        }
    }
    if has_digit {
        if let Some(re) =
            iban_re().filter(|_| has_upper && ndigits >= 10 && may_hold_iban(text.as_bytes()))
        {
            for m in re.find_iter(text) {
                if iban_valid(m.as_str()) && !overlaps(&out, m.start(), m.end()) {
                    out.push(Match {
                        kind: "IBAN",
                        start: m.start(),
                        end: m.end(),
                    });
                }
            }
        }
        if let Some(re) = card_re().filter(|_| ndigits >= 13 && runs.card >= 13) {
            for m in re.find_iter(text) {
                if card_valid(m.as_str()) && !overlaps(&out, m.start(), m.end()) {
                    out.push(Match {
                        kind: "CARD",
                        start: m.start(),
                        end: m.end(),
                    });
                }
            }
        }
        if let Some(re) = ssn_re().filter(|_| runs.ssn >= 9 && text.contains('-')) {
            for c in re.captures_iter(text) {
                if let (Some(m), Some(a), Some(g), Some(s)) =
                    (c.get(0), c.get(1), c.get(2), c.get(3))
                {
                    if ssn_valid(a.as_str(), g.as_str(), s.as_str())
                        && !overlaps(&out, m.start(), m.end())
                    {
                        out.push(Match {
                            kind: "NATIONAL_ID",
                            start: m.start(),
                            end: m.end(),
                        });
                    }
                }
            }
        }
        if let Some(re) = dni_re().filter(|_| has_upper && runs.digits >= 7) {
            for c in re.captures_iter(text) {
                if let (Some(m), Some(p), Some(n), Some(l)) =
                    (c.get(0), c.get(1), c.get(2), c.get(3))
                {
                    let letter = l.as_str().chars().next().unwrap_or(' ');
                    if dni_valid(p.as_str(), n.as_str(), letter)
                        && !overlaps(&out, m.start(), m.end())
                    {
                        out.push(Match {
                            kind: "NATIONAL_ID",
                            start: m.start(),
                            end: m.end(),
                        });
                    }
                }
            }
        }
        if let Some(re) = bsn_re() {
            for c in re.captures_iter(text) {
                if let Some(n) = c.get(1) {
                    if bsn_valid(n.as_str()) && !overlaps(&out, n.start(), n.end()) {
                        out.push(Match {
                            kind: "NATIONAL_ID",
                            start: n.start(),
                            end: n.end(),
                        });
                    }
                }
            }
        }
        if let Some(re) = nino_re().filter(|_| has_upper && runs.nino >= 6) {
            for c in re.captures_iter(text) {
                if let (Some(m), Some(p)) = (c.get(0), c.get(1)) {
                    if nino_valid(p.as_str()) && !overlaps(&out, m.start(), m.end()) {
                        out.push(Match {
                            kind: "NATIONAL_ID",
                            start: m.start(),
                            end: m.end(),
                        });
                    }
                }
            }
        }
        if let Some(re) = ipv4_re().filter(|_| runs.ipv4 && text.contains('.')) {
            for m in re.find_iter(text) {
                let before = text[..m.start()].chars().next_back();
                let after = text[m.end()..].chars().next();
                let embedded = before.is_some_and(|c| c == '.' || c == 'v')
                    || after.is_some_and(|c| {
                        c == '.'
                            && text[m.end()..].len() > 1
                            && text[m.end() + 1..].starts_with(|c: char| c.is_ascii_digit())
                    });
                if ipv4_valid(m.as_str()) && !embedded && !overlaps(&out, m.start(), m.end()) {
                    out.push(Match {
                        kind: "IP_ADDRESS",
                        start: m.start(),
                        end: m.end(),
                    });
                }
            }
        }
        if let Some(re) = phone_re().filter(|_| runs.phone >= 9) {
            for m in re.find_iter(text) {
                let s = m.as_str();
                let d = digits(s).len();
                let before_ok = text[..m.start()]
                    .chars()
                    .next_back()
                    .is_none_or(|c| !c.is_alphanumeric() && c != '.' && c != '-');
                let after_ok = text[m.end()..]
                    .chars()
                    .next()
                    .is_none_or(|c| !c.is_alphanumeric());
                let odd = s.contains("..")
                    || s.contains("--")
                    || s.matches('(').count() != s.matches(')').count()
                    || s.contains("  ");
                let plus = s.starts_with('+');
                let grouped = s.contains([' ', '-', '.', '(']);
                let date_like = s.len() == 10
                    && (s.matches('-').count() == 2 || s.matches('.').count() == 2)
                    && !plus;
                if (9..=15).contains(&d)
                    && (plus || grouped)
                    && !date_like
                    && before_ok
                    && after_ok
                    && !odd
                    && !overlaps(&out, m.start(), m.end())
                {
                    out.push(Match {
                        kind: "PHONE",
                        start: m.start(),
                        end: m.end(),
                    });
                }
            }
        }
    }
    let colons = crate::normalize::count_bytes(text.as_bytes(), |b| b == b':');
    if may_hold_ipv6(text.as_bytes(), colons) {
        if let Some(re) = ipv6_re() {
            for m in re.find_iter(text) {
                if !overlaps(&out, m.start(), m.end())
                    && m.as_str().chars().filter(|c| c.is_ascii_hexdigit()).count() >= 4
                {
                    out.push(Match {
                        kind: "IP_ADDRESS",
                        start: m.start(),
                        end: m.end(),
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

    fn kinds(t: &str) -> Vec<&'static str> {
        find(t).into_iter().map(|m| m.kind).collect()
    }

    #[test]
    fn all_static_patterns_compile() {
        for r in [
            email_re(),
            phone_re(),
            card_re(),
            iban_re(),
            ssn_re(),
            dni_re(),
            bsn_re(),
            nino_re(),
            ipv4_re(),
            ipv6_re(),
        ] {
            assert!(r.is_some());
        }
    }

    #[test]
    fn cards_need_luhn_and_prefix() {
        assert!(card_valid("4111 1111 1111 1111"));
        assert!(card_valid("5500-0000-0000-0004"));
        assert!(card_valid("378282246310005"));
        assert!(!card_valid("4111 1111 1111 1112"));
        assert!(!card_valid("1234 5678 9012 3452"), "unknown issuer");
        assert_eq!(kinds("pay with 4111 1111 1111 1111 today"), vec!["CARD"]);
        assert!(kinds("order 4111 1111 1111 1112 today")
            .iter()
            .all(|k| *k != "CARD"));
    }

    #[test]
    fn iban_mod97() {
        assert!(iban_valid("DE89 3704 0044 0532 0130 00"));
        assert!(iban_valid("GB82WEST12345698765432"));
        assert!(!iban_valid("DE89 3704 0044 0532 0130 01"));
        assert!(!iban_valid("DE89 3704 0044 0532 0130"), "wrong length");
        assert_eq!(kinds("IBAN: GB82 WEST 1234 5698 7654 32."), vec!["IBAN"]);
    }

    #[test]
    fn national_ids() {
        assert!(ssn_valid("123", "45", "6789"));
        assert!(!ssn_valid("666", "45", "6789"));
        assert!(!ssn_valid("912", "45", "6789"));
        assert!(!ssn_valid("123", "00", "6789"));
        assert_eq!(kinds("ssn 123-45-6789"), vec!["NATIONAL_ID"]);
        assert!(dni_valid("", "12345678", 'Z'));
        assert!(!dni_valid("", "12345678", 'A'));
        assert!(dni_valid("X", "1234567", 'L'));
        assert!(bsn_valid("111222333"));
        assert!(!bsn_valid("111222334"));
        assert_eq!(kinds("mijn BSN is 111222333"), vec!["NATIONAL_ID"]);
        assert!(nino_valid("AB"));
        assert!(!nino_valid("GB"));
        assert_eq!(kinds("NI number AB 12 34 56 C"), vec!["NATIONAL_ID"]);
    }

    /// `find` without the run gates, as first written.
    fn reference_kinds(text: &str) -> Vec<(&'static str, usize, usize)> {
        let mut out = Vec::new();
        let mut push = |kind, m: regex::Match<'_>| out.push((kind, m.start(), m.end()));
        for (re, kind) in [
            (card_re(), "CARD"),
            (ssn_re(), "SSN"),
            (dni_re(), "DNI"),
            (nino_re(), "NINO"),
            (ipv4_re(), "IPV4"),
            (phone_re(), "PHONE"),
        ] {
            for m in re.unwrap().find_iter(text) {
                push(kind, m);
            }
        }
        out
    }

    proptest::proptest! {
        #[test]
        fn run_gates_only_skip_patterns_that_cannot_match(
            text in "([0-9]{1,4}|[ .()+-]|[A-Z]{1,2}|[a-z]{1,3}|\\PC)*",
        ) {
            let r = Runs::of(text.as_bytes());
            for (kind, s, e) in reference_kinds(&text) {
                let m = &text[s..e];
                let d = digits(m).len();
                match kind {
                    "CARD" => proptest::prop_assert!(r.card >= 13),
                    "SSN" => proptest::prop_assert!(r.ssn >= 9),
                    "DNI" => proptest::prop_assert!(r.digits >= 7),
                    "NINO" => proptest::prop_assert!(r.nino >= 6),
                    "IPV4" => proptest::prop_assert!(r.ipv4),
                    _ => proptest::prop_assert!(d < 9 || r.phone >= 9),
                }
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn iban_and_ipv6_gates_only_skip_texts_without_a_match(
            text in "([A-Z]{2}[0-9]{2}( ?[A-Z0-9]{4}){1,7}|([0-9a-fA-F]{1,4}:){1,8}:?[0-9a-f]{0,4}|[0-9]{1,4}|[A-Z]{1,4}|[a-f]{1,4}|:{1,2}|[ .-]|[g-z]{1,3}|\\PC)*",
        ) {
            let b = text.as_bytes();
            if iban_re().unwrap().is_match(&text) {
                proptest::prop_assert!(may_hold_iban(b));
            }
            let colons = b.iter().filter(|&&c| c == b':').count();
            if ipv6_re().unwrap().is_match(&text) {
                proptest::prop_assert!(may_hold_ipv6(b, colons));
            }
        }
    }

    #[test]
    fn iban_and_ipv6_gates() {
        assert!(may_hold_iban(b"GB82 WEST 1234 5698 7654 32"));
        assert!(may_hold_iban(b"x DE89"));
        assert!(!may_hold_iban(b"GB8 2 and A12 and 1234 and gb82"));
        assert!(!may_hold_iban(b"89"));
        let v6 = |t: &str| may_hold_ipv6(t.as_bytes(), t.matches(':').count());
        assert!(v6("2001:0db8:85a3:0000:0000:8a2e:0370:7334"));
        assert!(v6("fe80::1"));
        assert!(!v6(
            "User: hi. Assistant: hello. Note: a. Tip: b. Q: c. A: d. End: e."
        ));
        assert_eq!(
            kinds("iban GB82 WEST 1234 5698 7654 32 and 2001:db8::1"),
            vec!["IBAN", "IP_ADDRESS"]
        );
    }

    proptest::proptest! {
        #[test]
        fn runs_around_digits_equal_a_full_scan(
            text in "([0-9]{1,4}|[ .()+-]{1,3}|[A-Za-z]{1,5}|\\PC)*",
        ) {
            proptest::prop_assert_eq!(Runs::of(text.as_bytes()), Runs::scan(text.as_bytes()));
        }
    }

    #[test]
    fn run_gates_see_the_examples() {
        let r = Runs::of(b"call +44 (20) 7946-0958, card 4111 1111 1111 1111, 192.168.0.1");
        assert!(r.phone >= 9 && r.card >= 16 && r.ipv4);
        let r = Runs::of(b"on 2024-01-15 we met 3 people at 10.30");
        assert!(r.phone < 9 && r.card < 13 && r.ssn < 9 && !r.ipv4);
        assert_eq!(Runs::of(b"12345678Z").digits, 8);
    }

    #[test]
    fn contact_and_network() {
        assert_eq!(kinds("mail jane.doe@example.com now"), vec!["EMAIL"]);
        assert_eq!(kinds("call +1 415 555 0132"), vec!["PHONE"]);
        assert_eq!(kinds("call (415) 555-0132"), vec!["PHONE"]);
        assert_eq!(kinds("host 192.168.1.20 down"), vec!["IP_ADDRESS"]);
        assert!(kinds("version 1.2.3.4.5 and 300.1.1.1").is_empty());
        assert!(kinds("on 2024-01-15 we met 3 people").is_empty());
        assert_eq!(
            kinds("v6 2001:0db8:85a3:0000:0000:8a2e:0370:7334"),
            vec!["IP_ADDRESS"]
        );
    }
}
