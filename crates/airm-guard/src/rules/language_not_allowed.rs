//! PI013: text written in a script outside the policy's allow-list (`languages.allowed_scripts`).
//! Detection is by writing system (Latin, Cyrillic, Han, ...), not by language: cheap,
//! robust on short text, but it cannot tell English from French. Off unless configured.

use airm_core::{Reference, RuleDocs, RuleMeta, RuleStatus, RuleTarget, Severity};
use serde::{Deserialize, Serialize};

use super::{Cx, Hit};

/// Writing systems the allow-list can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Script {
    /// Latin letters (English, French, Swahili, Vietnamese, ...).
    Latin,
    /// Cyrillic.
    Cyrillic,
    /// Greek.
    Greek,
    /// Arabic.
    Arabic,
    /// Hebrew.
    Hebrew,
    /// Devanagari (Hindi, Marathi, Nepali).
    Devanagari,
    /// Bengali.
    Bengali,
    /// Other Indic scripts (Tamil, Telugu, Kannada, Malayalam, Gujarati, Gurmukhi, Oriya).
    OtherIndic,
    /// Thai.
    Thai,
    /// Han ideographs (Chinese, Japanese kanji).
    Han,
    /// Hiragana and katakana.
    Kana,
    /// Hangul.
    Hangul,
    /// Any other letters.
    Other,
}

/// The script of a letter (`None` for non-letters).
pub fn script_of(c: char) -> Option<Script> {
    if !c.is_alphabetic() {
        return None;
    }
    Some(match c as u32 {
        0x0041..=0x024F | 0x1E00..=0x1EFF => Script::Latin,
        0x0370..=0x03FF | 0x1F00..=0x1FFF => Script::Greek,
        0x0400..=0x052F => Script::Cyrillic,
        0x0590..=0x05FF => Script::Hebrew,
        0x0600..=0x06FF | 0x0750..=0x077F | 0xFB50..=0xFDFF | 0xFE70..=0xFEFF => Script::Arabic,
        0x0900..=0x097F => Script::Devanagari,
        0x0980..=0x09FF => Script::Bengali,
        0x0A00..=0x0DFF => Script::OtherIndic,
        0x0E00..=0x0E7F => Script::Thai,
        0x3040..=0x30FF | 0x31F0..=0x31FF => Script::Kana,
        0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FFFF => Script::Han,
        0x1100..=0x11FF | 0x3130..=0x318F | 0xAC00..=0xD7AF => Script::Hangul,
        _ => Script::Other,
    })
}

/// Metadata.
pub static META: RuleMeta = RuleMeta {
    id: "PI013",
    name: "language-not-allowed",
    summary: "Text is written in a script outside the allow-list",
    target: RuleTarget::Prompt,
    severity: Severity::Low,
    status: RuleStatus::Preview,
    references: &[Reference::OwaspLlm("LLM01")],
    docs: RuleDocs {
        what: "Letters of scripts not in `languages.allowed_scripts` make up at least `languages.min_share` (default 0.2) of the letters of the text.",
        why: "Safety training and filters are weakest in low-resource languages; attackers translate attacks to slip past them. Apps serving one market can refuse other scripts.",
        example: "With `allowed_scripts = [\"latin\"]`: a prompt written in Thai or Cyrillic.",
        remediation: "Block or route to a model and filters that support the language.",
        false_positives: "Names, quotes or loanwords in another script; set `min_share` higher for mixed text.",
    },
};

/// Scans.
pub fn scan(cx: &Cx<'_>, out: &mut Vec<Hit>) {
    let l = &cx.compiled.languages;
    if l.allowed_scripts.is_empty() {
        return;
    }
    let mut total = 0usize;
    let mut counts: Vec<(Script, usize)> = Vec::new();
    for c in cx.prepared.plain().clean.chars() {
        let Some(s) = script_of(c) else { continue };
        total += 1;
        if !l.allowed_scripts.contains(&s) {
            match counts.iter_mut().find(|(x, _)| *x == s) {
                Some(e) => e.1 += 1,
                None => counts.push((s, 1)),
            }
        }
    }
    if total == 0 {
        return;
    }
    let other: usize = counts.iter().map(|(_, n)| n).sum();
    let share = other as f32 / total as f32;
    if share >= l.min_share {
        counts.sort_by_key(|(_, n)| std::cmp::Reverse(*n));
        let names: Vec<String> = counts
            .iter()
            .map(|(s, _)| format!("{s:?}").to_lowercase())
            .collect();
        out.push(Hit::on(
            cx.prepared.plain(),
            format!(
                "{:.0} % of letters in scripts not allowed ({})",
                share * 100.0,
                names.join(", ")
            ),
            1.0,
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts() {
        assert_eq!(script_of('a'), Some(Script::Latin));
        assert_eq!(script_of('é'), Some(Script::Latin));
        assert_eq!(script_of('ж'), Some(Script::Cyrillic));
        assert_eq!(script_of('中'), Some(Script::Han));
        assert_eq!(script_of('ก'), Some(Script::Thai));
        assert_eq!(script_of('한'), Some(Script::Hangul));
        assert_eq!(script_of('1'), None);
    }
}
