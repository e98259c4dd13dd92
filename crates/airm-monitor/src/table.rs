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
