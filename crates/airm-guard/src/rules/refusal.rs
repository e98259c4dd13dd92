//! CO008: the model refused ("I'm sorry, but I can't help with that"). Informational: useful
//! to measure over-refusal and to spot attack attempts that the model itself caught.

use std::sync::OnceLock;

use airm_core::{Reference, RuleDocs, RuleMeta, RuleStatus, RuleTarget, Severity};
use regex::Regex;

use super::{Cx, Hit};
use crate::detect::lazy_regex;

/// Metadata.
pub static META: RuleMeta = RuleMeta {
    id: "CO008",
    name: "refusal",
    summary: "Response is a refusal",
    target: RuleTarget::Completion,
    severity: Severity::Info,
    status: RuleStatus::Preview,
    references: &[Reference::OwaspLlm("LLM01")],
    docs: RuleDocs {
        what: "Typical refusal openings: I'm sorry but I can't, I cannot help/assist/comply, as an AI language model I, I must decline.",
        why: "Refusals mark blocked attacks (worth logging against the user) and, in volume, over-restrictive prompts.",
        example: "I'm sorry, but I can't help with that request.",
        remediation: "None needed; track the rate.",
        false_positives: "Responses that quote a refusal.",
    },
};

fn re() -> Option<&'static Regex> {
    static CELL: OnceLock<Option<Regex>> = OnceLock::new();
    lazy_regex(
        &CELL,
        r"(?:^|[.!\n]\s*)(?:i'?m\s+(?:really\s+)?sorry,?\s+(?:but\s+)?i\s+(?:can(?:no|'?)t|won'?t|am\s+(?:not\s+able|unable))|i\s+(?:cannot|can'?t|won'?t|am\s+unable\s+to|am\s+not\s+able\s+to)\s+(?:help|assist|comply|provide|fulfil|fulfill|do\s+that|create|generate|support)|as\s+an\s+ai(?:\s+language\s+model)?,?\s+i\s+(?:cannot|can'?t|don'?t|am\s+not)|i\s+must\s+(?:respectfully\s+)?decline)",
    )
}

/// Scans.
pub fn scan(cx: &Cx<'_>, out: &mut Vec<Hit>) {
    let v = cx.prepared.plain();
    if let Some(re) = re() {
        if re.is_match(&v.folded.replace('\u{2019}', "'")) {
            out.push(Hit::on(v, "the response is a refusal".to_string(), 0.9));
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn pattern_compiles() {
        assert!(super::re().is_some());
    }
}
