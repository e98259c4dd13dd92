//! PI010: user-configured banned substrings, regular expressions and topics (keyword lists),
//! matched on the normalised and decoded forms.

use airm_core::{Reference, RuleDocs, RuleMeta, RuleStatus, RuleTarget, Severity};

use super::{Cx, Hit};

/// Metadata.
pub static META: RuleMeta = RuleMeta {
    id: "PI010",
    name: "banned-content",
    summary: "Text matches a banned substring, pattern or topic from the policy",
    target: RuleTarget::Prompt,
    severity: Severity::Medium,
    status: RuleStatus::Preview,
    references: &[Reference::OwaspLlm("LLM01")],
    docs: RuleDocs {
        what: "Entries of `banned.substrings` (case-insensitive, after normalisation), `banned.regex`, and `banned.topics` (a topic matches when enough of its keywords occur).",
        why: "Applications have their own no-go areas: competitor names, internal project names, off-topic use.",
        example: "With `banned.substrings = [\"project falcon\"]`: 'What is the budget of Project Falcon?'",
        remediation: "Block or flag per policy.",
        false_positives: "Depends on the lists; prefer whole phrases over single words.",
    },
};

/// Scans.
pub fn scan(cx: &Cx<'_>, out: &mut Vec<Hit>) {
    let c = cx.compiled;
    for v in &cx.prepared.variants {
        if let Some(ac) = &c.banned_substrings {
            if let Some(m) = ac.find(&v.folded) {
                let what = c
                    .banned_list
                    .get(m.pattern().as_usize())
                    .map_or("?", String::as_str);
                out.push(Hit::on(v, format!("banned substring `{what}`"), 1.0));
            }
        }
        for re in &c.banned_regex {
            if re.is_match(&v.clean) || re.is_match(&v.folded) {
                out.push(Hit::on(v, format!("banned pattern `{}`", re.as_str()), 1.0));
            }
        }
        for (topic, words, min) in &c.topics {
            let n = words
                .iter()
                .filter(|w| v.folded.contains(w.as_str()))
                .count();
            if n >= *min {
                out.push(Hit::on(
                    v,
                    format!("banned topic `{topic}` ({n} keywords)"),
                    1.0,
                ));
            }
        }
        if !out.is_empty() {
            return;
        }
    }
}
