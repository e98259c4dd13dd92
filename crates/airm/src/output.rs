//! The one printer for all output: tables for people, JSON for programs, messages on
//! stderr. `--quiet` silences messages but never requested data.

use std::io::Write;

use serde::Serialize;

use crate::cli::Format;

pub struct Printer {
    pub format: Format,
    quiet: bool,
    verbose: u8,
}

/// A table: headers and rows of cells.
pub struct Table {
    headers: Vec<&'static str>,
    rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new(headers: &[&'static str]) -> Self {
        Table {
            headers: headers.to_vec(),
            rows: Vec::new(),
        }
    }

    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    pub fn render(&self) -> String {
        let mut widths: Vec<usize> = self.headers.iter().map(|h| h.chars().count()).collect();
        for r in &self.rows {
            for (i, c) in r.iter().enumerate() {
                if let Some(w) = widths.get_mut(i) {
                    *w = (*w).max(c.chars().count());
                }
            }
        }
        let line = |cells: &mut dyn Iterator<Item = &str>| -> String {
            let mut s = String::new();
            for (i, c) in cells.enumerate() {
                let w = widths.get(i).copied().unwrap_or(0);
                if i > 0 {
                    s.push_str("  ");
                }
                s.push_str(c);
                for _ in c.chars().count()..w {
                    s.push(' ');
                }
            }
            s.trim_end().to_string() + "\n"
        };
        let mut out = line(&mut self.headers.iter().copied());
        for r in &self.rows {
            out.push_str(&line(&mut r.iter().map(String::as_str)));
        }
        out
    }
}

impl Printer {
    pub fn new(format: Format, quiet: bool, verbose: u8) -> Self {
        Printer {
            format,
            quiet,
            verbose,
        }
    }

    pub fn json(&self) -> bool {
        self.format == Format::Json
    }

    /// Prints requested data: `value` as JSON, or `table` for people.
    pub fn data<T: Serialize>(&self, value: &T, table: impl FnOnce() -> String) {
        let text = if self.json() {
            serde_json::to_string_pretty(value)
                .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
                + "\n"
        } else {
            table()
        };
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(text.as_bytes());
        let _ = out.flush();
    }

    /// A line of requested data in table mode (e.g. a token shown once).
    pub fn line(&self, text: &str) {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{text}");
        let _ = out.flush();
    }

    /// A status message on stderr (silenced by --quiet).
    pub fn note(&self, text: &str) {
        if !self.quiet {
            eprintln!("{text}");
        }
    }

    /// Detail shown with -v.
    pub fn detail(&self, text: &str) {
        if self.verbose > 0 && !self.quiet {
            eprintln!("{text}");
        }
    }

    /// An error, with its chain of causes.
    pub fn error(&self, e: &anyhow::Error) {
        if self.json() {
            let chain: Vec<String> = e.chain().map(ToString::to_string).collect();
            eprintln!(
                "{}",
                serde_json::json!({"error": e.to_string(), "causes": chain.get(1..).unwrap_or(&[])})
            );
        } else {
            eprintln!("error: {e}");
            for cause in e.chain().skip(1) {
                eprintln!("  caused by: {cause}");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_aligns_columns_by_characters() {
        let mut t = Table::new(&["NAME", "X"]);
        t.row(vec!["ünïcode".into(), "1".into()]);
        t.row(vec!["a".into(), "22".into()]);
        assert_eq!(t.render(), "NAME     X\nünïcode  1\na        22\n");
    }
}
