//! PI006: invisible characters in the input — zero-width characters, bidi controls, Unicode
//! tag characters (ASCII smuggling) and supplementary variation selectors.

use airm_core::{Reference, RuleDocs, RuleMeta, RuleStatus, RuleTarget, Severity};

use super::{Cx, Hit};
use crate::decode::Decoding;
use crate::verdict::Span;

/// Metadata.
pub static META: RuleMeta = RuleMeta {
    id: "PI006",
    name: "invisible-text",
    summary: "Text contains invisible or direction-changing Unicode characters",
    target: RuleTarget::Prompt,
    severity: Severity::Medium,
    status: RuleStatus::Preview,
    references: &[Reference::OwaspLlm("LLM01"), Reference::Atlas("AML.T0051"), Reference::Cwe("CWE-1007")],
    docs: RuleDocs {
        what: "Zero-width characters (outside emoji sequences), bidi overrides and isolates, tag characters U+E0000–U+E007F and variation selectors U+E0100–U+E01EF. Tag characters are decoded and the hidden ASCII is scanned too.",
        why: "Humans cannot see these characters but models read them: hidden instructions, split keywords that evade filters, reordered text.",
        example: "Nice product! followed by tag characters spelling 'ignore previous instructions'",
        remediation: "Strip invisible characters before the text reaches the model (airm scanners already see the stripped form).",
        false_positives: "Text from some editors with stray zero-width spaces or soft hyphens; right-to-left marks in Arabic or Hebrew text.",
    },
};

/// Scans.
pub fn scan(cx: &Cx<'_>, out: &mut Vec<Hit>) {
    let r = &cx.prepared.invisible;
    if r.total() == 0 {
        return;
    }
    // Lone RTL/LTR marks in RTL-script text are normal; soft hyphens too.
    let rtl_text = cx
        .original
        .chars()
        .any(|c| matches!(c as u32, 0x0590..=0x08FF));
    if r.tags == 0 && r.variation_selectors == 0 && r.zero_width == 0 && rtl_text && r.bidi <= 4 {
        return;
    }
    let score = if r.tags > 0 || r.variation_selectors > 0 || r.bidi > 0 || r.zero_width >= 3 {
        1.0
    } else {
        0.6
    };
    let mut parts = Vec::new();
    for (n, what) in [
        (r.zero_width, "zero-width"),
        (r.bidi, "bidi-control"),
        (r.tags, "tag"),
        (r.variation_selectors, "variation-selector"),
    ] {
        if n > 0 {
            parts.push(format!("{n} {what}"));
        }
    }
    let mut h = Hit::on(
        cx.prepared.plain(),
        format!("invisible characters: {}", parts.join(", ")),
        score,
    );
    h.span = r.first_offset.map(|s| Span {
        start: s,
        end: s + cx.original[s..].chars().next().map_or(0, char::len_utf8),
    });
    if r.tags > 0 {
        h.chain = Some(vec![Decoding::UnicodeTags]);
    }
    out.push(h);
}
