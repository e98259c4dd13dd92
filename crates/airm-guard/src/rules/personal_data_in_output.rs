//! CO003: personal data in a model response (same detectors as PI008).

use airm_core::{Reference, RuleDocs, RuleMeta, RuleStatus, RuleTarget, Severity};

use super::{scan_matches, Cx, Hit};

/// Metadata.
pub static META: RuleMeta = RuleMeta {
    id: "CO003",
    name: "personal-data-in-output",
    summary: "Response contains personal data",
    target: RuleTarget::Completion,
    severity: Severity::Medium,
    status: RuleStatus::Preview,
    references: &[Reference::OwaspLlm("LLM02"), Reference::Cwe("CWE-359")],
    docs: RuleDocs {
        what: "Emails, phones, payment cards, IBANs, national ids and IP addresses in the completion, validated by check digits.",
        why: "Models can regurgitate personal data from context, retrieval or training data.",
        example: "The customer's card is 4111 1111 1111 1111.",
        remediation: "Redact in the response (default); restrict what personal data reaches the context.",
        false_positives: "Placeholder or documentation values.",
    },
};

/// Scans.
pub fn scan(cx: &Cx<'_>, out: &mut Vec<Hit>) {
    scan_matches(cx, crate::detect::pii::find, "personal data", out);
}
