//! The rules: one file per bad pattern, each with its [`RuleMeta`] (`PI…` for prompts, `CO…`
//! for completions) and a `scan` function that appends [`Hit`]s. Rules report facts; the
//! policy decides the action. This module holds the shared scanning context and the sorted
//! registry.

use airm_core::RuleMeta;

use crate::classifier::features::with_buffer;
use crate::classifier::{Model, PackedWeights};
use crate::decode::{Decoding, Prepared, Variant};
use crate::output::OutputContext;
use crate::policy::Compiled;
use crate::verdict::Span;

pub mod adversarial_suffix;
pub mod banned_content;
pub mod canary_leak;
pub mod encoded_payload;
pub mod forbidden_code;
pub mod goal_hijack;
pub mod harmful_request;
pub mod instruction_override;
pub mod invisible_text;
pub mod jailbreak_persona;
pub mod language_not_allowed;
pub mod markdown_image_exfiltration;
pub mod personal_data;
pub mod personal_data_in_output;
pub mod prompt_injection;
pub mod prompt_leak_request;
pub mod prompt_too_long;
pub mod refusal;
pub mod role_spoofing;
pub mod secret_in_output;
pub mod secret_in_prompt;
pub mod system_prompt_echo;
pub mod tag_smuggling;
pub mod untrusted_link;

/// What a rule sees.
pub struct Cx<'a> {
    /// The text exactly as received.
    pub original: &'a str,
    /// Normalised and decoded forms.
    pub prepared: &'a Prepared,
    /// Policy data (lists, limits, canaries).
    pub compiled: &'a Compiled,
    /// The injection classifier.
    pub model: &'a Model,
    /// The classifier's weights laid out for scoring (same scores as `model`).
    pub weights: &'a PackedWeights,
    /// Canaries and system prompt, for output checks.
    pub output: Option<&'a OutputContext>,
    /// Both classifier heads' scores per variant, computed once for PI001 and PI014 (see
    /// [`Cx::head_scores`]); empty until then.
    pub heads: std::cell::OnceCell<Vec<HeadScores>>,
}

/// The classifier heads' scores of one variant, before the rules' evidence factors.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HeadScores {
    /// The injection head (PI001).
    pub injection: f32,
    /// The harmful-request head (PI014) when it scores the whole folded text (then from the
    /// same features as the injection head); `None` without it, or when it scores content
    /// words (PI014 extracts those itself).
    pub harmful: Option<f32>,
    /// The features held a harmful-topic concept term (for PI014's concept gate).
    pub concept: bool,
}

impl Cx<'_> {
    /// The variant with the highest `score` (given the variant and its heads' scores; `None`
    /// skips it), with that score; the first of equals.
    pub fn best_variant(
        &self,
        mut score: impl FnMut(&Variant, &HeadScores) -> Option<f32>,
    ) -> Option<(f32, usize)> {
        let mut best: Option<(f32, usize)> = None;
        for (i, (v, h)) in self
            .prepared
            .variants
            .iter()
            .zip(self.head_scores())
            .enumerate()
        {
            let Some(s) = score(v, h) else { continue };
            if best.is_none_or(|(b, _)| s > b) {
                best = Some((s, i));
            }
        }
        best
    }

    /// Per variant, the heads' scores from one feature extraction of its folded text
    /// (computed on first use, then shared by PI001 and PI014).
    pub fn head_scores(&self) -> &[HeadScores] {
        self.heads.get_or_init(|| {
            let full = self.model.harmful.as_ref().filter(|h| h.full_text);
            let (mut ids, mut word) = (Vec::new(), String::new());
            with_buffer(|buf| {
                self.prepared
                    .variants
                    .iter()
                    .map(|v| {
                        self.model.extract(&v.folded, buf);
                        match full {
                            Some(h) => {
                                let tokens = h.token_logit(&v.folded, &mut ids, &mut word);
                                let (injection, harmful) = self.weights.score_both(buf, tokens);
                                HeadScores {
                                    injection,
                                    harmful,
                                    concept: buf.has_concepts(),
                                }
                            }
                            None => HeadScores {
                                injection: self.weights.score_features(buf),
                                harmful: None,
                                concept: buf.has_concepts(),
                            },
                        }
                    })
                    .collect()
            })
        })
    }
}

/// One raw detection before the policy is applied.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    /// Fact stated without the sensitive value.
    pub message: String,
    /// Confidence 0..=1.
    pub score: f32,
    /// Byte range in the original text, when known.
    pub span: Option<Span>,
    /// Decoding chain that revealed it (`None` = plain text).
    pub chain: Option<Vec<Decoding>>,
    /// Placeholder label used when the span is redacted (`EMAIL`, `SECRET`).
    pub label: Option<&'static str>,
}

impl Hit {
    /// A hit on a variant: the chain is recorded when the variant was decoded.
    pub fn on(variant: &Variant, message: String, score: f32) -> Hit {
        Hit {
            message,
            score,
            span: None,
            chain: (!variant.chain.is_empty()).then(|| variant.chain.clone()),
            label: None,
        }
    }
}

/// A rule: metadata plus its scan function.
pub struct RuleEntry {
    /// Metadata.
    pub meta: &'static RuleMeta,
    /// Scanner.
    pub scan: fn(&Cx<'_>, &mut Vec<Hit>),
}

/// Input (`PI`) rules, sorted by id.
pub const INPUT: &[RuleEntry] = &[
    RuleEntry {
        meta: &prompt_injection::META,
        scan: prompt_injection::scan,
    },
    RuleEntry {
        meta: &instruction_override::META,
        scan: instruction_override::scan,
    },
    RuleEntry {
        meta: &role_spoofing::META,
        scan: role_spoofing::scan,
    },
    RuleEntry {
        meta: &prompt_leak_request::META,
        scan: prompt_leak_request::scan,
    },
    RuleEntry {
        meta: &adversarial_suffix::META,
        scan: adversarial_suffix::scan,
    },
    RuleEntry {
        meta: &invisible_text::META,
        scan: invisible_text::scan,
    },
    RuleEntry {
        meta: &encoded_payload::META,
        scan: encoded_payload::scan,
    },
    RuleEntry {
        meta: &personal_data::META,
        scan: personal_data::scan,
    },
    RuleEntry {
        meta: &secret_in_prompt::META,
        scan: secret_in_prompt::scan,
    },
    RuleEntry {
        meta: &banned_content::META,
        scan: banned_content::scan,
    },
    RuleEntry {
        meta: &prompt_too_long::META,
        scan: prompt_too_long::scan,
    },
    RuleEntry {
        meta: &jailbreak_persona::META,
        scan: jailbreak_persona::scan,
    },
    RuleEntry {
        meta: &language_not_allowed::META,
        scan: language_not_allowed::scan,
    },
    RuleEntry {
        meta: &harmful_request::META,
        scan: harmful_request::scan,
    },
    RuleEntry {
        meta: &tag_smuggling::META,
        scan: tag_smuggling::scan,
    },
    RuleEntry {
        meta: &goal_hijack::META,
        scan: goal_hijack::scan,
    },
];

/// Output (`CO`) rules, sorted by id.
pub const OUTPUT: &[RuleEntry] = &[
    RuleEntry {
        meta: &canary_leak::META,
        scan: canary_leak::scan,
    },
    RuleEntry {
        meta: &system_prompt_echo::META,
        scan: system_prompt_echo::scan,
    },
    RuleEntry {
        meta: &personal_data_in_output::META,
        scan: personal_data_in_output::scan,
    },
    RuleEntry {
        meta: &secret_in_output::META,
        scan: secret_in_output::scan,
    },
    RuleEntry {
        meta: &markdown_image_exfiltration::META,
        scan: markdown_image_exfiltration::scan,
    },
    RuleEntry {
        meta: &untrusted_link::META,
        scan: untrusted_link::scan,
    },
    RuleEntry {
        meta: &forbidden_code::META,
        scan: forbidden_code::scan,
    },
    RuleEntry {
        meta: &refusal::META,
        scan: refusal::scan,
    },
];

/// Test helper for the gate property tests: each word followed by its separator.
#[cfg(test)]
pub(crate) fn join_words(words: &[String], seps: &[String]) -> String {
    words
        .iter()
        .zip(seps)
        .map(|(w, s)| format!("{w}{s}"))
        .collect()
}

/// An automaton that finds any of `needed`, built once in `cell`: leftmost-first, the kind the
/// vectorised (Teddy) searcher supports. For the gates of [`scan_folded_if`].
pub(crate) fn literals(
    cell: &'static std::sync::OnceLock<Option<aho_corasick::AhoCorasick>>,
    needed: &[&str],
) -> Option<&'static aho_corasick::AhoCorasick> {
    cell.get_or_init(|| {
        aho_corasick::AhoCorasick::builder()
            .match_kind(aho_corasick::MatchKind::LeftmostFirst)
            .build(needed)
            .ok()
    })
    .as_ref()
}

/// Runs `re` over the folded form of every variant and reports the first match per variant.
pub fn scan_folded(
    cx: &Cx<'_>,
    re: Option<&regex::Regex>,
    what: &str,
    score: f32,
    out: &mut Vec<Hit>,
) {
    scan_folded_if(cx, |_| true, re, what, score, out);
}

/// [`scan_folded`] on the variants for which `may_match` (a necessary condition of a match
/// of `re`, cheaper than `re`) is true.
pub fn scan_folded_if(
    cx: &Cx<'_>,
    may_match: impl Fn(&str) -> bool,
    re: Option<&regex::Regex>,
    what: &str,
    score: f32,
    out: &mut Vec<Hit>,
) {
    let Some(re) = re else { return };
    scan_variants(cx, |t| may_match(t) && re.is_match(t), what, score, out);
}

/// One hit for the first variant whose folded text `matches`: the plain form, or else each
/// decoded form that does (decoded forms are only consulted when the plain form is clean).
pub fn scan_variants(
    cx: &Cx<'_>,
    matches: impl Fn(&str) -> bool,
    what: &str,
    score: f32,
    out: &mut Vec<Hit>,
) {
    for v in &cx.prepared.variants {
        if matches(&v.folded) {
            out.push(Hit::on(v, what.to_string(), score));
            if v.chain.is_empty() {
                return;
            }
        }
    }
}

/// Pattern-matching of sensitive values (PII, secrets) on the original text (with spans)
/// and on decoded variants (no span).
pub fn scan_matches(
    cx: &Cx<'_>,
    find: fn(&str) -> Vec<crate::detect::Match>,
    noun: &str,
    out: &mut Vec<Hit>,
) {
    for m in find(cx.original) {
        out.push(Hit {
            message: format!("{noun} ({}) in the text", m.kind.to_ascii_lowercase()),
            score: 1.0,
            span: Some(Span {
                start: m.start,
                end: m.end,
            }),
            chain: None,
            label: Some(m.kind),
        });
    }
    for v in cx.prepared.variants.iter() {
        if v.chain.is_empty() && v.clean == cx.original {
            continue;
        }
        if v.chain.iter().any(|d| !d.is_encoding()) {
            continue;
        }
        for m in find(&v.clean) {
            let how = if v.chain.is_empty() {
                "after removing invisible characters".to_string()
            } else {
                format!(
                    "after decoding {}",
                    v.chain
                        .iter()
                        .map(|d| d.name())
                        .collect::<Vec<_>>()
                        .join(" > ")
                )
            };
            out.push(Hit {
                message: format!("{noun} ({}) {how}", m.kind.to_ascii_lowercase()),
                score: 1.0,
                span: None,
                chain: Some(v.chain.clone()),
                label: Some(m.kind),
            });
        }
    }
}
