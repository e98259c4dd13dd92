//! PI009: credentials in a prompt (provider key formats and high-entropy assignments).

use airm_core::{Reference, RuleDocs, RuleMeta, RuleStatus, RuleTarget, Severity};

use super::{scan_matches, Cx, Hit};

/// Metadata.
pub static META: RuleMeta = RuleMeta {
    id: "PI009",
    name: "secret-in-prompt",
    summary: "Prompt contains a credential",
    target: RuleTarget::Prompt,
    severity: Severity::High,
    status: RuleStatus::Preview,
    references: &[Reference::OwaspLlm("LLM02"), Reference::Cwe("CWE-798")],
    docs: RuleDocs {
        what: "AWS, GitHub, OpenAI, Anthropic, Slack, Google, Stripe and Hugging Face key formats, JWTs, PEM private keys, and `password=`/`api_key:` values with high entropy.",
        why: "Secrets pasted into prompts leave the organisation and may be logged by the provider.",
        example: "Debug this: client = OpenAI(api_key=\"sk-proj-...\")",
        remediation: "Redact (default) and rotate the credential.",
        false_positives: "Revoked example keys in documentation; random-looking ids next to the word token.",
    },
};

/// Scans.
pub fn scan(cx: &Cx<'_>, out: &mut Vec<Hit>) {
    scan_matches(cx, crate::detect::secrets::find, "secret", out);
}
