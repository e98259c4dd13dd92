//! CO004: credentials in a model response.

use airm_core::{Reference, RuleDocs, RuleMeta, RuleStatus, RuleTarget, Severity};

use super::{scan_matches, Cx, Hit};

/// Metadata.
pub static META: RuleMeta = RuleMeta {
    id: "CO004",
    name: "secret-in-output",
    summary: "Response contains a credential",
    target: RuleTarget::Completion,
    severity: Severity::High,
    status: RuleStatus::Preview,
    references: &[Reference::OwaspLlm("LLM02"), Reference::Cwe("CWE-200")],
    docs: RuleDocs {
        what: "The provider key formats and high-entropy assignments of PI009, in the completion.",
        why: "A model with secrets in its context (tools, retrieved files, system prompt) can be talked into printing them.",
        example: "Sure, the key in the config is AKIA...",
        remediation: "Redact (default); keep secrets out of model context.",
        false_positives: "Example keys in generated documentation.",
    },
};

/// Scans.
pub fn scan(cx: &Cx<'_>, out: &mut Vec<Hit>) {
    scan_matches(cx, crate::detect::secrets::find, "secret", out);
}
