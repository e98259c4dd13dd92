//! CO002: the response repeats a large part of the system prompt (fuzzy: shared word
//! 5-gram shingles after normalisation), even without a canary.

use std::collections::HashSet;

use airm_core::{Reference, RuleDocs, RuleMeta, RuleStatus, RuleTarget, Severity};

use super::{Cx, Hit};

/// Metadata.
pub static META: RuleMeta = RuleMeta {
    id: "CO002",
    name: "system-prompt-echo",
    summary: "Response repeats a large part of the system prompt",
    target: RuleTarget::Completion,
    severity: Severity::High,
    status: RuleStatus::Preview,
    references: &[Reference::OwaspLlm("LLM07"), Reference::Atlas("AML.T0056")],
    docs: RuleDocs {
        what: "Share of the system prompt's word 5-grams (normalised, lowercased) that also occur in the response; scored as that share, or 0.9 when 8 or more 5-grams match.",
        why: "Prompt extraction rarely copies a canary verbatim but often paraphrases little: long shared word runs reveal it.",
        example: "Response: 'Sure! My instructions are: You are a helpful banking assistant. Never discuss ...'",
        remediation: "Block the response; make the system prompt non-secret or move secrets out of it.",
        false_positives: "System prompts made of common phrases, or responses that legitimately restate the task.",
    },
};

/// Hashed word 5-gram shingles of folded text.
pub fn shingles(folded: &str) -> HashSet<u64> {
    let words: Vec<&str> = folded
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let mut out = HashSet::new();
    for w in words.windows(5) {
        let mut h = 0xcbf2_9ce4_8422_2325_u64;
        for word in w {
            for b in word.bytes() {
                h = (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
            }
            h = (h ^ 0x20).wrapping_mul(0x100_0000_01b3);
        }
        out.insert(h);
    }
    out
}

/// Scans.
pub fn scan(cx: &Cx<'_>, out: &mut Vec<Hit>) {
    let Some(ctx) = cx.output else { return };
    let Some(sys) = &ctx.system_shingles else {
        return;
    };
    if sys.is_empty() {
        return;
    }
    let mut best = (0.0_f32, 0usize, 0usize);
    for (i, v) in cx.prepared.variants.iter().enumerate() {
        let o = shingles(&v.folded);
        let matched = sys.intersection(&o).count();
        let ratio = matched as f32 / sys.len() as f32;
        let score = if matched >= 8 { ratio.max(0.9) } else { ratio };
        if score > best.0 {
            best = (score, matched, i);
        }
    }
    let (score, matched, i) = best;
    if matched >= 2 && score >= 0.2 {
        if let Some(v) = cx.prepared.variants.get(i) {
            out.push(Hit::on(
                v,
                format!("{matched} of {} system-prompt 5-grams repeated", sys.len()),
                score.min(1.0),
            ));
        }
    }
}
