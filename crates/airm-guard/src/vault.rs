//! Reversible anonymisation: personal data in a prompt is replaced by typed placeholders
//! (`<EMAIL_1>`) kept in a [`Vault`], and [`Vault::restore`] puts the originals back into the
//! model's response. The vault lives per conversation and is owned by the caller.

use serde::{Deserialize, Serialize};

/// Placeholder → original value map for one conversation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vault {
    entries: Vec<(String, String)>,
}

impl Vault {
    /// An empty vault.
    pub fn new() -> Vault {
        Vault::default()
    }

    /// The placeholder for `value` of `kind`, reusing an existing one for the same value.
    pub fn placeholder(&mut self, kind: &str, value: &str) -> String {
        if let Some((p, _)) = self.entries.iter().find(|(_, v)| v == value) {
            return p.clone();
        }
        let n = self
            .entries
            .iter()
            .filter(|(p, _)| p.starts_with(&format!("<{kind}_")))
            .count()
            + 1;
        let p = format!("<{kind}_{n}>");
        self.entries.push((p.clone(), value.to_string()));
        p
    }

    /// Replaces every placeholder in `text` by its original value.
    pub fn restore(&self, text: &str) -> String {
        if self.entries.is_empty() || !text.contains('<') {
            return text.to_string();
        }
        let mut out = text.to_string();
        // Longest placeholders first so `<EMAIL_12>` is not hit by `<EMAIL_1>`.
        let mut e: Vec<&(String, String)> = self.entries.iter().collect();
        e.sort_by_key(|(p, _)| std::cmp::Reverse(p.len()));
        for (p, v) in e {
            out = out.replace(p.as_str(), v);
        }
        out
    }

    /// Number of stored values.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when nothing is stored.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrip() {
        let mut v = Vault::new();
        let a = v.placeholder("EMAIL", "a@x.io");
        let b = v.placeholder("EMAIL", "b@x.io");
        assert_eq!(v.placeholder("EMAIL", "a@x.io"), a);
        assert_eq!((a.as_str(), b.as_str()), ("<EMAIL_1>", "<EMAIL_2>"));
        assert_eq!(
            v.restore("write to <EMAIL_2> and <EMAIL_1>"),
            "write to b@x.io and a@x.io"
        );
    }
}
