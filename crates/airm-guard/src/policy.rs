//! The user's policy ([`Policy`], serde/TOML) and its compiled form ([`Compiled`]): per rule
//! (by id or name) an action, a threshold and an on/off switch, overridable per source of the
//! text; banned lists; limits; output allow-lists; anonymisation; decoding caps. Unknown keys
//! and unknown rule names are rejected when the guard is built.

use std::collections::BTreeMap;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use airm_core::RuleMeta;
use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::decode::DecodeLimits;
use crate::normalize::fold;
use crate::rules::forbidden_code::CodeKind;
use crate::rules::language_not_allowed::Script;
use crate::rules::{INPUT, OUTPUT};
use crate::verdict::{Action, Source};
use crate::GuardError;

/// Settings of one rule; unset fields keep the default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSettings {
    /// What to do when the rule fires.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<Action>,
    /// Minimum score (0..=1) for a finding to count.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub threshold: Option<f32>,
    /// Turns the rule off entirely.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
}

/// Overrides for text from one source.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SourcePolicy {
    /// Rule settings by id or name.
    pub rules: BTreeMap<String, RuleSettings>,
}

/// A topic: matches when at least `min_matches` of its keywords occur.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Topic {
    /// Name shown in findings.
    pub name: String,
    /// Keywords or phrases (case-insensitive).
    pub keywords: Vec<String>,
    /// How many keywords must occur (default 2).
    #[serde(default = "two")]
    pub min_matches: usize,
}

fn two() -> usize {
    2
}

/// User lists for PI010.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BannedConfig {
    /// Case-insensitive substrings (matched after normalisation).
    pub substrings: Vec<String>,
    /// Regular expressions (Rust `regex` syntax).
    pub regex: Vec<String>,
    /// Keyword topics.
    pub topics: Vec<Topic>,
}

/// Size limits for PI011 (0 = no limit).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Maximum characters.
    pub max_chars: usize,
    /// Maximum estimated tokens.
    pub max_tokens: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_chars: 100_000,
            max_tokens: 0,
        }
    }
}

/// Language allow-list for PI013 (by script).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LanguageConfig {
    /// Scripts allowed; empty = any.
    pub allowed_scripts: Vec<Script>,
    /// Share of letters in other scripts from which the rule fires.
    pub min_share: f32,
}

impl Default for LanguageConfig {
    fn default() -> Self {
        LanguageConfig {
            allowed_scripts: Vec::new(),
            min_share: 0.2,
        }
    }
}

/// Output-side settings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OutputConfig {
    /// The application's system prompt, for echo detection (CO002).
    pub system_prompt: Option<String>,
    /// Canary tokens planted in the system prompt (CO001).
    pub canaries: Vec<String>,
    /// Hosts links and images may point to (subdomains included); empty = any host.
    pub url_allow_list: Vec<String>,
    /// Content kinds the response must not contain (CO007).
    pub forbid_code: Vec<CodeKind>,
}

/// Streaming settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StreamConfig {
    /// Bytes held back at the end of the stream until more text arrives; a sensitive value
    /// shorter than this is never released unredacted. The stream scans in batches, so it
    /// holds between this and twice this many bytes (plus the last chunk).
    pub hold_back: usize,
}

impl Default for StreamConfig {
    fn default() -> Self {
        StreamConfig { hold_back: 256 }
    }
}

/// The guard policy. Deserialise from TOML/JSON; every field has a default.
///
/// ```toml
/// anonymize = true
/// [rules.PI001]
/// threshold = 0.9
/// [rules.personal-data]
/// action = "redact"
/// [sources.document.rules.PI001]
/// action = "block"
/// [banned]
/// substrings = ["project falcon"]
/// [output]
/// url_allow_list = ["example.com"]
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Policy {
    /// Rule settings by id (`PI001`) or name (`prompt-injection`).
    pub rules: BTreeMap<String, RuleSettings>,
    /// Per-source overrides, applied after `rules`.
    pub sources: BTreeMap<Source, SourcePolicy>,
    /// Banned substrings, patterns and topics.
    pub banned: BannedConfig,
    /// Length limits.
    pub limits: Limits,
    /// Language (script) allow-list.
    pub languages: LanguageConfig,
    /// Output settings.
    pub output: OutputConfig,
    /// Replace personal data in prompts by reversible placeholders instead of flagging it.
    pub anonymize: bool,
    /// Decoding caps.
    pub decode: DecodeLimits,
    /// Streaming settings.
    pub stream: StreamConfig,
}

/// Effective settings of one rule for one source.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Resolved {
    /// Action.
    pub action: Action,
    /// Threshold.
    pub threshold: f32,
    /// Whether the rule runs.
    pub enabled: bool,
}

/// Default action of a rule for a source.
pub fn default_action(id: &str, source: Option<Source>, anonymize: bool) -> Action {
    let instruction_rule = matches!(
        id,
        "PI001" | "PI002" | "PI003" | "PI004" | "PI005" | "PI012" | "PI014" | "PI016"
    );
    if source == Some(Source::System) && instruction_rule {
        return Action::Allow;
    }
    // Users legitimately open role-play prompts with "forget your previous instructions";
    // in documents and tool output the same phrase is an indirect injection.
    if id == "PI002" && source == Some(Source::User) {
        return Action::Flag;
    }
    match id {
        // PI014 blocks: a text of one content word ("go", "continue") keeps a quarter of its
        // score, below the trainer's lowest PI014 threshold (0.5), so short turns of a
        // conversation cannot be blocked by it, unless that word is a harmful-topic concept
        // term ("bomb", "heroin"; see `classifier::content::content_evidence_with`).
        "PI001" | "PI002" | "PI003" | "PI010" | "PI011" | "PI012" | "PI013" | "PI014" | "PI015"
        | "PI016" => Action::Block,
        "PI008" if anonymize => Action::Redact,
        "PI004" | "PI005" | "PI006" | "PI007" | "PI008" => Action::Flag,
        "PI009" => Action::Redact,
        "CO001" | "CO002" | "CO007" => Action::Block,
        "CO003" | "CO004" | "CO005" => Action::Redact,
        "CO006" | "CO008" => Action::Flag,
        _ => Action::Flag,
    }
}

/// The policy compiled for fast checks.
#[derive(Debug)]
pub struct Compiled {
    /// Banned substrings automaton (folded patterns).
    pub banned_substrings: Option<AhoCorasick>,
    /// The folded banned substrings, by pattern index.
    pub banned_list: Vec<String>,
    /// Banned regexes.
    pub banned_regex: Vec<Regex>,
    /// Topics: name, folded keywords, minimum matches.
    pub topics: Vec<(String, Vec<String>, usize)>,
    /// Limits.
    pub limits: Limits,
    /// Language allow-list.
    pub languages: LanguageConfig,
    /// URL allow-list.
    pub url_allow_list: Vec<String>,
    /// Forbidden content kinds.
    pub forbid_code: Vec<CodeKind>,
    /// Settings of INPUT rules per source (`[source][rule]`).
    pub input: Vec<Vec<Resolved>>,
    /// Settings of OUTPUT rules.
    pub output: Vec<Resolved>,
}

fn lookup<'a>(
    map: &'a BTreeMap<String, RuleSettings>,
    meta: &RuleMeta,
) -> impl Iterator<Item = &'a RuleSettings> + 'a {
    let (id, name) = (meta.id, meta.name);
    map.iter()
        .filter(move |(k, _)| k.eq_ignore_ascii_case(id) || k.as_str() == name)
        .map(|(_, v)| v)
}

fn apply(r: &mut Resolved, s: &RuleSettings) {
    if let Some(a) = s.action {
        r.action = a;
    }
    if let Some(t) = s.threshold {
        r.threshold = t;
    }
    if let Some(e) = s.enabled {
        r.enabled = e;
    }
}

fn check_keys(map: &BTreeMap<String, RuleSettings>, field: &str) -> Result<(), GuardError> {
    for (k, s) in map {
        let known = INPUT
            .iter()
            .chain(OUTPUT.iter())
            .any(|r| k.eq_ignore_ascii_case(r.meta.id) || k == r.meta.name);
        if !known {
            return Err(GuardError::InvalidPolicy {
                field: format!("{field}.{k}"),
                message: "unknown rule id or name (see `airm rules list`)".into(),
            });
        }
        if let Some(t) = s.threshold {
            if !(0.0..=1.0).contains(&t) {
                return Err(GuardError::InvalidPolicy {
                    field: format!("{field}.{k}.threshold"),
                    message: format!("{t} is outside 0..=1"),
                });
            }
        }
    }
    Ok(())
}

impl Compiled {
    /// Validates and compiles `p`; `model_threshold` is PI001's default threshold and
    /// `harmful_threshold` PI014's (the thresholds the classifier's heads were trained with).
    pub fn new(
        p: &Policy,
        model_threshold: f32,
        harmful_threshold: f32,
    ) -> Result<Compiled, GuardError> {
        check_keys(&p.rules, "rules")?;
        for (src, sp) in &p.sources {
            check_keys(&sp.rules, &format!("sources.{}", source_name(*src)))?;
        }
        let banned_list: Vec<String> = p
            .banned
            .substrings
            .iter()
            .map(|s| fold(s.trim()))
            .filter(|s| !s.is_empty())
            .collect();
        let banned_substrings = if banned_list.is_empty() {
            None
        } else {
            Some(
                AhoCorasickBuilder::new()
                    .match_kind(MatchKind::LeftmostFirst)
                    .build(&banned_list)
                    .map_err(|e| GuardError::InvalidPolicy {
                        field: "banned.substrings".into(),
                        message: e.to_string(),
                    })?,
            )
        };
        let banned_regex = p
            .banned
            .regex
            .iter()
            .map(|r| {
                Regex::new(r).map_err(|e| GuardError::InvalidRegex {
                    field: "banned.regex",
                    pattern: r.clone(),
                    source: Box::new(e),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let topics = p
            .banned
            .topics
            .iter()
            .map(|t| {
                let kw: Vec<String> = t
                    .keywords
                    .iter()
                    .map(|k| fold(k.trim()))
                    .filter(|k| !k.is_empty())
                    .collect();
                let min = t.min_matches.clamp(1, kw.len().max(1));
                (t.name.clone(), kw, min)
            })
            .filter(|(_, kw, _)| !kw.is_empty())
            .collect();
        let resolve = |meta: &RuleMeta, source: Option<Source>| {
            let mut r = Resolved {
                action: default_action(meta.id, source, p.anonymize),
                threshold: match meta.id {
                    "PI001" => model_threshold,
                    "PI014" => harmful_threshold,
                    _ => 0.5,
                },
                enabled: true,
            };
            for s in lookup(&p.rules, meta) {
                apply(&mut r, s);
            }
            if let Some(sp) = source.and_then(|s| p.sources.get(&s)) {
                for s in lookup(&sp.rules, meta) {
                    apply(&mut r, s);
                }
            }
            r
        };
        let input = Source::ALL
            .iter()
            .map(|s| INPUT.iter().map(|r| resolve(r.meta, Some(*s))).collect())
            .collect();
        let output = OUTPUT.iter().map(|r| resolve(r.meta, None)).collect();
        Ok(Compiled {
            banned_substrings,
            banned_list,
            banned_regex,
            topics,
            limits: p.limits,
            languages: p.languages.clone(),
            url_allow_list: p.output.url_allow_list.clone(),
            forbid_code: p.output.forbid_code.clone(),
            input,
            output,
        })
    }
}

/// Index of a source in [`Source::ALL`].
pub fn source_index(s: Source) -> usize {
    Source::ALL.iter().position(|x| *x == s).unwrap_or(0)
}

fn source_name(s: Source) -> &'static str {
    match s {
        Source::User => "user",
        Source::System => "system",
        Source::Document => "document",
        Source::Tool => "tool",
    }
}
