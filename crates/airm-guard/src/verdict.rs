//! What a check returns: the [`Verdict`] with its [`GuardFinding`]s, the [`Action`] the
//! policy chose, and where the text came from ([`Source`]). Plain serde data; no logic beyond
//! ordering actions.

use std::fmt;

use airm_core::Severity;
use serde::{Deserialize, Serialize};

use crate::decode::Decoding;

/// What the caller should do with the text. Ordered by strength:
/// `Allow < Flag < Redact < Block`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// Let it through, record nothing.
    #[default]
    Allow,
    /// Let it through, record the finding.
    Flag,
    /// Replace the offending spans (see [`Verdict::redacted`]).
    Redact,
    /// Refuse the text.
    Block,
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Action::Allow => "allow",
            Action::Flag => "flag",
            Action::Redact => "redact",
            Action::Block => "block",
        })
    }
}

/// Where a piece of input text comes from; policies differ per source (a retrieved document
/// should never carry instructions, a system prompt may).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "kebab-case")]
pub enum Source {
    /// Typed by the end user.
    #[default]
    User,
    /// Written by the application developer.
    System,
    /// Retrieved content (RAG, web page, email, file).
    Document,
    /// Output of a tool or function call.
    Tool,
}

impl Source {
    /// All sources.
    pub const ALL: [Source; 4] = [Source::User, Source::System, Source::Document, Source::Tool];
}

/// A byte range in the text the finding refers to (the original text, unless `decoded_by`
/// is set, in which case it is the range of the encoded segment in the original).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Span {
    /// Start byte offset.
    pub start: usize,
    /// End byte offset (exclusive).
    pub end: usize,
}

/// One fact found by a scanner.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GuardFinding {
    /// Rule id, e.g. `PI001`.
    pub rule_id: String,
    /// Severity (rule default).
    pub severity: Severity,
    /// What was found, without the sensitive value itself.
    pub message: String,
    /// Score in `0..=1` (1 for deterministic matches).
    pub score: f32,
    /// What the policy does about it.
    pub action: Action,
    /// Kind of value for redacting rules (`EMAIL`, `AWS_ACCESS_KEY`, `IMAGE`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub kind: Option<String>,
    /// Where in the text, when it is known.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub span: Option<Span>,
    /// The decoding chain that revealed it (empty chain = seen in the plain text).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub decoded_by: Option<Vec<Decoding>>,
}

/// The result of checking one text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Verdict {
    /// True when any finding has an action other than `allow`.
    pub flagged: bool,
    /// The strongest action over all findings.
    pub action: Action,
    /// The highest finding score (0 when none).
    pub score: f32,
    /// All findings, in text order per rule.
    pub findings: Vec<GuardFinding>,
    /// The text with `redact` findings replaced, when there were any.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub redacted: Option<String>,
}

impl Verdict {
    /// Builds a verdict from findings (action and score are derived).
    pub fn from_findings(findings: Vec<GuardFinding>, redacted: Option<String>) -> Verdict {
        let action = findings
            .iter()
            .map(|f| f.action)
            .max()
            .unwrap_or(Action::Allow);
        let score = findings.iter().map(|f| f.score).fold(0.0_f32, f32::max);
        Verdict {
            flagged: action > Action::Allow,
            action,
            score,
            findings,
            redacted,
        }
    }

    /// True when the text must not be used.
    pub fn is_blocked(&self) -> bool {
        self.action == Action::Block
    }

    /// Findings of one rule.
    pub fn by_rule<'a>(&'a self, id: &'a str) -> impl Iterator<Item = &'a GuardFinding> + 'a {
        self.findings.iter().filter(move |f| f.rule_id == id)
    }
}
