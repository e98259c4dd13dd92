//! PI011: the prompt exceeds the policy's character or estimated-token limit.

use airm_core::{Reference, RuleDocs, RuleMeta, RuleStatus, RuleTarget, Severity};

use super::{Cx, Hit};

/// Metadata.
pub static META: RuleMeta = RuleMeta {
    id: "PI011",
    name: "prompt-too-long",
    summary: "Prompt exceeds the configured length or token limit",
    target: RuleTarget::Prompt,
    severity: Severity::Low,
    status: RuleStatus::Preview,
    references: &[Reference::OwaspLlm("LLM10")],
    docs: RuleDocs {
        what: "Characters above `limits.max_chars` or estimated tokens (about 4 characters or one CJK character per token) above `limits.max_tokens`.",
        why: "Very long prompts cost money, hide injections deep inside, and can exhaust context (unbounded consumption).",
        example: "A 200,000-character paste into a chat box limited to 8,000 tokens.",
        remediation: "Block or truncate before calling the model.",
        false_positives: "Legitimate long documents when the limit is set too low.",
    },
};

/// Rough token estimate: one per CJK/Thai char, otherwise one per four bytes of other text.
pub fn estimate_tokens(text: &str) -> usize {
    let mut wide = 0usize;
    let mut other = 0usize;
    for c in text.chars() {
        if matches!(c as u32, 0x0E00..=0x0E7F | 0x3040..=0x30FF | 0x3400..=0x9FFF | 0xAC00..=0xD7AF)
        {
            wide += 1;
        } else {
            other += c.len_utf8();
        }
    }
    wide + other.div_ceil(4)
}

/// Scans.
pub fn scan(cx: &Cx<'_>, out: &mut Vec<Hit>) {
    let l = &cx.compiled.limits;
    let chars = cx.original.chars().count();
    if l.max_chars > 0 && chars > l.max_chars {
        out.push(Hit::on(
            cx.prepared.plain(),
            format!("{chars} characters, limit {}", l.max_chars),
            1.0,
        ));
        return;
    }
    if l.max_tokens > 0 {
        let t = estimate_tokens(cx.original);
        if t > l.max_tokens {
            out.push(Hit::on(
                cx.prepared.plain(),
                format!("about {t} tokens, limit {}", l.max_tokens),
                1.0,
            ));
        }
    }
}
