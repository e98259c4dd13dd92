//! In-memory columns for drift tests: each column is either numeric (the finite values, in
//! any order) or categorical (counts per category), plus a count of missing cells. Rows are
//! not kept: every statistic here is per column.
//!
//! Cell rules (documented in docs/monitoring.md): cells are trimmed; empty cells and the
//! tokens `NA`, `N/A`, `NaN`, `null`, `None` (any case) are missing; numbers that are NaN or
//! ±∞ are missing; a column is numeric when every non-missing cell is a number, otherwise
//! categorical, and numbers in a categorical column are normalised (`1.50` → `1.5`) so the
//! same value always is the same category.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

/// The kind of a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Numeric,
    Categorical,
}

/// One parsed cell.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cell<'a> {
    Missing,
    Number(f64),
    Text(&'a str),
}

const MISSING_TOKENS: [&str; 7] = ["na", "n/a", "nan", "null", "none", "nil", "#n/a"];

/// Classifies a raw cell. Bytes that are not UTF-8 are an error (the caller adds the line).
pub fn classify(raw: &[u8]) -> Result<Cell<'_>, String> {
    let s = std::str::from_utf8(raw).map_err(|_| "a cell is not valid UTF-8".to_string())?;
    Ok(classify_str(s))
}

/// Classifies a cell given as text.
pub fn classify_str(s: &str) -> Cell<'_> {
    let s = s.trim();
    if s.is_empty() {
        return Cell::Missing;
    }
    if let Some((x, n)) = fast_number(s.as_bytes()) {
        if n == s.len() {
            return Cell::Number(x);
        }
    }
    let first = s.as_bytes()[0];
    if first.is_ascii_digit() || matches!(first, b'-' | b'+' | b'.' | b'i' | b'I' | b'n' | b'N') {
        if let Ok(x) = s.parse::<f64>() {
            return if x.is_finite() {
                Cell::Number(x)
            } else {
                Cell::Missing
            };
        }
    }
    if s.len() <= 4 && MISSING_TOKENS.iter().any(|t| t.eq_ignore_ascii_case(s)) {
        return Cell::Missing;
    }
    Cell::Text(s)
}

/// Powers of ten that are exact in `f64`.
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// Integer powers of ten up to 10^8.
const POW10_U64: [u64; 9] = [
    1,
    10,
    100,
    1_000,
    10_000,
    100_000,
    1_000_000,
    10_000_000,
    100_000_000,
];

/// The run of ASCII digits starting at `s[i]`, at most 8: (its value, its length).
/// Eight bytes are examined at once (SWAR) when the slice has them.
#[inline(always)]
fn digit_run(s: &[u8], i: usize) -> (u64, usize) {
    let Some(eight) = s.get(i..i + 8).and_then(|b| <[u8; 8]>::try_from(b).ok()) else {
        // Near the end of the input: one byte at a time.
        let mut v = 0u64;
        let mut k = 0usize;
        while let Some(d) = s
            .get(i + k)
            .map(|b| b.wrapping_sub(b'0'))
            .filter(|d| *d <= 9)
        {
            v = v * 10 + u64::from(d);
            k += 1;
            if k == 8 {
                break;
            }
        }
        return (v, k);
    };
    let v = u64::from_le_bytes(eight);
    const ZEROS: u64 = 0x3030_3030_3030_3030;
    const HIGH: u64 = 0xF0F0_F0F0_F0F0_F0F0;
    // A byte is a digit when its high nibble is 3 both before and after adding 6. A carry
    // out of a byte ≥ 0xFA only disturbs the bytes after that (non-digit) byte.
    let not_digit = ((v & HIGH) ^ ZEROS) | ((v.wrapping_add(0x0606_0606_0606_0606) & HIGH) ^ ZEROS);
    let k = (not_digit.trailing_zeros() / 8) as usize;
    if k == 0 {
        return (0, 0);
    }
    // Keep the first k digits, moved to the most significant end (the first byte is the
    // leading digit), so the bytes before them read as leading zeros.
    let digits = v.wrapping_sub(ZEROS) << (8 * (8 - k));
    let x = digits.wrapping_mul(10).wrapping_add(digits >> 8);
    let x = ((x & 0x0000_00FF_0000_00FF).wrapping_mul(100 + (1_000_000 << 32))
        + ((x >> 16) & 0x0000_00FF_0000_00FF).wrapping_mul(1 + (10_000 << 32)))
        >> 32;
    (x, k)
}

/// Digits (at most 19 in all, else `None`) appended to `m`: (new mantissa, digits read).
#[inline(always)]
fn digits(s: &[u8], mut i: usize, mut m: u64, mut total: usize) -> Option<(u64, usize, usize)> {
    let start = i;
    loop {
        let (v, k) = digit_run(s, i);
        total += k;
        if total > 19 {
            return None;
        }
        // In bounds: k ≤ 8; no overflow: at most 19 digits in all.
        m = m.wrapping_mul(POW10_U64[k]).wrapping_add(v);
        i += k;
        if k < 8 {
            return Some((m, i - start, total));
        }
    }
}

/// Parses the plain decimal number at the start of `s` (`[+-]digits[.digits][(e|E)[+-]digits]`)
/// when the result is exact by Clinger's fast path: at most 19 digits, a mantissa ≤ 2^53 and
/// a decimal exponent within ±22, so one correctly rounded multiplication or division by an
/// exact power of ten gives the same `f64` as `str::parse`. Returns the value and the bytes
/// used; `None` (anything else, including forms `str::parse` accepts) means "ask
/// `str::parse`". This is the reader's hot path: most cells of a numeric file take it.
#[inline]
pub fn fast_number(s: &[u8]) -> Option<(f64, usize)> {
    let (neg, mut i) = match s.first() {
        Some(b'-') => (true, 1),
        Some(b'+') => (false, 1),
        _ => (false, 0),
    };
    let (mut m, int_digits, mut total) = digits(s, i, 0, 0)?;
    if int_digits == 0 {
        return None;
    }
    i += int_digits;
    let mut frac_digits = 0;
    if s.get(i) == Some(&b'.') {
        i += 1;
        (m, frac_digits, total) = digits(s, i, m, total)?;
        if frac_digits == 0 {
            return None;
        }
        i += frac_digits;
    }
    debug_assert!(total <= 19);
    if m > 1 << 53 {
        return None;
    }
    #[allow(clippy::cast_possible_wrap)]
    let mut e = -(frac_digits as i64);
    if matches!(s.get(i), Some(b'e' | b'E')) {
        i += 1;
        let eneg = match s.get(i) {
            Some(b'-') => {
                i += 1;
                true
            }
            Some(b'+') => {
                i += 1;
                false
            }
            _ => false,
        };
        let exp_start = i;
        let mut x: i64 = 0;
        while let Some(d) = s.get(i).map(|b| b.wrapping_sub(b'0')).filter(|d| *d <= 9) {
            if i - exp_start >= 4 {
                return None;
            }
            x = x * 10 + i64::from(d);
            i += 1;
        }
        if i == exp_start {
            return None;
        }
        e += if eneg { -x } else { x };
    }
    #[allow(clippy::cast_precision_loss)]
    let v = m as f64;
    let v = match usize::try_from(e.unsigned_abs())
        .ok()
        .and_then(|k| POW10.get(k))
    {
        Some(p) if e >= 0 => v * p,
        Some(p) => v / p,
        None => return None,
    };
    Some((if neg { -v } else { v }, i))
}

/// The common short form of [`fast_number`], meant to be inlined into the CSV reader's loop:
/// an optional `-`, 1–7 integer digits, optionally `.` and 1–8 fraction digits, and no
/// exponent. The mantissa is then below 10^15 < 2^53, so it converts exactly and one
/// correctly rounded division by an exact power of ten gives the same `f64` as
/// `str::parse` (Clinger's fast path). `None` means "not this form" (ask [`fast_number`]).
#[inline(always)]
pub fn short_number(s: &[u8]) -> Option<(f64, usize)> {
    let neg = s.first() == Some(&b'-');
    let i = usize::from(neg);
    // One integer digit (|x| < 10, the commonest case) is read without the eight-byte
    // run; the branch follows each column's usual form, so it is well predicted.
    let (int, ki) = match s.get(i..i + 2) {
        Some(&[d, e]) if d.wrapping_sub(b'0') <= 9 && e.wrapping_sub(b'0') > 9 => {
            (u64::from(d - b'0'), 1)
        }
        _ => digit_run(s, i),
    };
    if ki == 0 || ki == 8 {
        return None;
    }
    let mut j = i + ki;
    let mut m = int;
    let mut div = 1.0;
    if s.get(j) == Some(&b'.') {
        let (frac, kf) = digit_run(s, j + 1);
        j += 1 + kf;
        if kf == 0 || s.get(j).is_some_and(u8::is_ascii_digit) {
            return None;
        }
        // In bounds: kf ≤ 8.
        m = m * POW10_U64[kf] + frac;
        div = POW10[kf];
    }
    if matches!(s.get(j), Some(b'e' | b'E')) {
        return None;
    }
    // Through the signed conversion (one instruction; the mantissa is below 2^53, so
    // exact either way), and the sign set without a branch (the sign of real data is
    // often unpredictable): the same value as `-(m / div)`.
    #[allow(clippy::cast_precision_loss, clippy::cast_possible_wrap)]
    let v = m as i64 as f64 / div;
    Some((f64::from_bits(v.to_bits() | (u64::from(neg) << 63)), j))
}

/// The category name of a number in a categorical column (`1.0` → `1`, `0.50` → `0.5`).
pub fn number_category(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{x:.0}")
    } else {
        format!("{x:?}")
    }
}

/// A column's values.
#[derive(Debug, Clone, PartialEq)]
pub enum Values {
    Numeric(Vec<f64>),
    Categorical(HashMap<String, u64>),
    /// More distinct categories than the configured cap: counts were dropped.
    TooManyCategories,
}

/// A column being read or fully read.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub name: String,
    pub values: Values,
    pub missing: u64,
    /// Cells seen, missing included (JSON Lines rows may omit a key).
    pub seen: u64,
    /// Forced kind (`--numeric`/`--categorical`).
    pub forced: Option<Kind>,
}

impl Column {
    pub fn new(name: impl Into<String>, forced: Option<Kind>) -> Self {
        let values = match forced {
            Some(Kind::Categorical) => Values::Categorical(HashMap::new()),
            _ => Values::Numeric(Vec::new()),
        };
        Column {
            name: name.into(),
            values,
            missing: 0,
            seen: 0,
            forced,
        }
    }

    pub fn kind(&self) -> Kind {
        match self.values {
            Values::Numeric(_) => Kind::Numeric,
            _ => Kind::Categorical,
        }
    }

    /// Non-missing values.
    pub fn count(&self) -> u64 {
        match &self.values {
            Values::Numeric(v) => v.len() as u64,
            Values::Categorical(m) => m.values().sum(),
            Values::TooManyCategories => self.seen.saturating_sub(self.missing),
        }
    }

    /// Adds a cell; `Err` when a forced-numeric column meets text.
    #[inline]
    pub fn push(&mut self, cell: Cell<'_>, max_categories: usize) -> Result<(), String> {
        self.seen += 1;
        match (cell, &mut self.values) {
            (Cell::Missing, _) => self.missing += 1,
            (Cell::Number(x), Values::Numeric(v)) => v.push(x),
            (Cell::Number(x), Values::Categorical(m)) => {
                let k = number_category(x);
                add_category(m, k, 1);
                self.check_cap(max_categories);
            }
            (Cell::Text(s), Values::Categorical(m)) => {
                if let Some(c) = m.get_mut(s) {
                    *c += 1;
                } else {
                    m.insert(s.to_string(), 1);
                    self.check_cap(max_categories);
                }
            }
            (Cell::Text(s), Values::Numeric(_)) => {
                if self.forced == Some(Kind::Numeric) {
                    return Err(format!(
                        "column `{}` is numeric but has the value {:?}",
                        self.name,
                        truncate(s, 40)
                    ));
                }
                self.to_categorical(max_categories);
                if let Values::Categorical(m) = &mut self.values {
                    add_category(m, s.to_string(), 1);
                }
                self.check_cap(max_categories);
            }
            (_, Values::TooManyCategories) => {}
        }
        Ok(())
    }

    /// Adds `n` more cells of the text `s` (already counted in `seen`: see the CSV reader's
    /// repeat counts).
    pub fn add_text(&mut self, s: &str, n: u64, max_categories: usize) {
        if let Values::Numeric(_) = self.values {
            self.to_categorical(max_categories);
        }
        if let Values::Categorical(m) = &mut self.values {
            if let Some(c) = m.get_mut(s) {
                *c += n;
            } else {
                m.insert(s.to_string(), n);
                self.check_cap(max_categories);
            }
        }
    }

    fn check_cap(&mut self, max_categories: usize) {
        if let Values::Categorical(m) = &self.values {
            if m.len() > max_categories {
                self.values = Values::TooManyCategories;
            }
        }
    }

    /// Turns a numeric column into a categorical one (numbers become their category names).
    pub fn to_categorical(&mut self, max_categories: usize) {
        if let Values::Numeric(v) = &self.values {
            let mut m: HashMap<String, u64> = HashMap::new();
            for &x in v {
                add_category(&mut m, number_category(x), 1);
                if m.len() > max_categories {
                    self.values = Values::TooManyCategories;
                    return;
                }
            }
            self.values = Values::Categorical(m);
        }
    }

    /// Appends another part of the same column (read from a later part of the file).
    pub fn merge(&mut self, other: Column, max_categories: usize) {
        self.missing += other.missing;
        self.seen += other.seen;
        let mut other_values = other.values;
        if let (Values::Numeric(_), Values::Categorical(_) | Values::TooManyCategories) =
            (&self.values, &other_values)
        {
            self.to_categorical(max_categories);
        }
        if let (Values::Categorical(_) | Values::TooManyCategories, Values::Numeric(_)) =
            (&self.values, &other_values)
        {
            let mut tmp = Column {
                values: other_values,
                ..Column::new(String::new(), None)
            };
            tmp.to_categorical(max_categories);
            other_values = tmp.values;
        }
        match (&mut self.values, other_values) {
            (Values::Numeric(a), Values::Numeric(b)) => a.extend(b),
            (Values::Categorical(a), Values::Categorical(b)) => {
                for (k, c) in b {
                    add_category(a, k, c);
                }
            }
            (_, _) => self.values = Values::TooManyCategories,
        }
        self.check_cap(max_categories);
    }
}

fn add_category(m: &mut HashMap<String, u64>, k: String, c: u64) {
    *m.entry(k).or_insert(0) += c;
}

fn truncate(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

/// The columns of one file.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub columns: Vec<Column>,
    /// Data rows read (header excluded).
    pub rows: u64,
}

impl Table {
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_classified() {
        assert_eq!(classify_str(" 1.5 "), Cell::Number(1.5));
        assert_eq!(classify_str("NaN"), Cell::Missing);
        assert_eq!(classify_str("-inf"), Cell::Missing);
        assert_eq!(classify_str("N/A"), Cell::Missing);
        assert_eq!(classify_str(""), Cell::Missing);
        assert_eq!(classify_str("nano"), Cell::Text("nano"));
        assert_eq!(classify_str("Infinity"), Cell::Missing);
        assert!(classify(b"\xff").is_err());
    }

    #[test]
    fn fast_numbers_equal_std_parse() {
        for s in [
            "0",
            "-0",
            "1",
            "+1",
            "1.5",
            "-2.25",
            "0.00123015",
            "-0.0437824",
            "1e5",
            "1E+05",
            "-1.23457e-05",
            "9007199254740992",
            "9007199254740993",
            "123456789.123",
            "1e22",
            "1e-22",
            "4.5e15",
            "0.1",
            "3.14159265358979",
        ] {
            let (x, n) = fast_number(s.as_bytes()).unwrap_or((f64::NAN, 0));
            let want: f64 = s.parse().unwrap_or(f64::NAN);
            if n == s.len() {
                assert_eq!(x.to_bits(), want.to_bits(), "{s}");
            }
        }
        // Forms left to `str::parse`.
        for s in [
            "",
            "-",
            ".5",
            "1.",
            "1e",
            "1e+",
            "1e23",
            "1e99999",
            "12345678901234567890",
            "x1",
        ] {
            assert!(
                fast_number(s.as_bytes()).is_none_or(|(_, n)| n < s.len()),
                "{s}"
            );
        }
        // The short form: the same values, fewer forms.
        for s in [
            "0",
            "-0",
            "7",
            "-2.25",
            "0.00123015",
            "46.5625",
            "1234567.12345678",
        ] {
            let want: f64 = s.parse().unwrap_or(f64::NAN);
            let got = short_number(s.as_bytes());
            assert_eq!(
                got.map(|(x, n)| (x.to_bits(), n)),
                Some((want.to_bits(), s.len())),
                "{s}"
            );
        }
        for s in ["+1", "1e5", "12345678", "0.123456789", ".5", "1.", "-", "x"] {
            assert!(short_number(s.as_bytes()).is_none(), "{s}");
        }
        assert_eq!(short_number(b"-2.5,x"), Some((-2.5, 4)));
        // The prefix only.
        assert_eq!(fast_number(b"2.5,x"), Some((2.5, 3)));
        assert_eq!(fast_number(b"7abc"), Some((7.0, 1)));
    }

    proptest::proptest! {
        #[test]
        fn digit_runs_match_a_byte_loop(bytes in proptest::collection::vec(proptest::sample::select(&b"0123456789/:.e-\xff\xfa"[..]), 0..20), start in 0usize..12) {
            let mut want = (0u64, 0usize);
            while let Some(&b) = bytes.get(start + want.1).filter(|b| b.is_ascii_digit()) {
                if want.1 == 8 {
                    break;
                }
                want = (want.0 * 10 + u64::from(b - b'0'), want.1 + 1);
            }
            proptest::prop_assert_eq!(digit_run(&bytes, start), want);
        }

        #[test]
        fn fast_number_is_exact(m in 0u64..(1 << 54), scale in 0u32..25, e in proptest::option::of(-30i32..30), neg: bool) {
            let digits = m.to_string();
            let k = (scale as usize).min(digits.len().saturating_sub(1));
            let mut s = String::new();
            if neg {
                s.push('-');
            }
            s.push_str(&digits[..digits.len() - k]);
            if k > 0 {
                s.push('.');
                s.push_str(&digits[digits.len() - k..]);
            }
            if let Some(e) = e {
                s.push_str(&format!("e{e}"));
            }
            let want: f64 = s.parse().map_err(|_| proptest::test_runner::TestCaseError::fail(s.clone()))?;
            if let Some((x, n)) = fast_number(s.as_bytes()) {
                proptest::prop_assert_eq!(n, s.len());
                proptest::prop_assert_eq!(x.to_bits(), want.to_bits(), "{}", s);
            }
            if let Some((x, n)) = short_number(s.as_bytes()) {
                proptest::prop_assert_eq!(n, s.len());
                proptest::prop_assert_eq!(x.to_bits(), want.to_bits(), "{}", s);
            }
        }
    }

    #[test]
    fn text_turns_a_column_categorical_and_numbers_normalise() {
        let mut c = Column::new("x", None);
        for cell in [
            Cell::Number(1.0),
            Cell::Number(0.5),
            Cell::Text("a"),
            Cell::Number(1.0),
        ] {
            c.push(cell, 100).expect("push");
        }
        let Values::Categorical(m) = &c.values else {
            panic!("categorical expected")
        };
        assert_eq!(m.get("1"), Some(&2));
        assert_eq!(m.get("0.5"), Some(&1));
        assert_eq!(m.get("a"), Some(&1));
    }

    #[test]
    fn forced_numeric_rejects_text_and_caps_drop_counts() {
        let mut c = Column::new("x", Some(Kind::Numeric));
        assert!(c.push(Cell::Text("a"), 10).is_err());
        let mut c = Column::new("y", Some(Kind::Categorical));
        for i in 0..5 {
            c.push(Cell::Number(f64::from(i)), 3).expect("push");
        }
        assert_eq!(c.values, Values::TooManyCategories);
        assert_eq!(c.count(), 5);
    }
}
