//! Integration tests of airm-govern: built-in policy fixtures, user policy directories,
//! Rego unit tests and exceptions.

#![allow(clippy::unwrap_used)]

mod fixtures;
mod user_policies;

use std::path::PathBuf;

pub fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

pub fn read_json(path: &std::path::Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// The built-in policy list in docs/governance.md is generated from the registry;
/// `AIRM_UPDATE_DOCS=1` rewrites it.
#[test]
fn docs_list_every_builtin_policy() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/governance.md");
    let doc = std::fs::read_to_string(&path).unwrap();
    let mut section = String::from("<!-- policies:start -->\n");
    for p in airm_govern::builtin_policies() {
        let m = &p.meta;
        section.push_str(&format!(
            "\n### {} {}\n\n{}\n\n- Default severity: {}\n- Facts it needs: {}\n\n**What it detects.** {}\n\n**Why it matters.** {}\n\n**Example.** {}\n\n**Remediation.** {}\n\n**False positives.** {}\n",
            m.id,
            m.name,
            m.summary,
            m.severity,
            p.facts.iter().map(|f| format!("`{f}`")).collect::<Vec<_>>().join(", "),
            m.docs.what,
            m.docs.why,
            m.docs.example,
            m.docs.remediation,
            m.docs.false_positives,
        ));
    }
    section.push_str("\n<!-- policies:end -->");
    let start = doc.find("<!-- policies:start -->").unwrap();
    let end = doc.find("<!-- policies:end -->").unwrap() + "<!-- policies:end -->".len();
    let updated = format!("{}{}{}", &doc[..start], section, &doc[end..]);
    if std::env::var_os("AIRM_UPDATE_DOCS").is_some() {
        std::fs::write(&path, updated).unwrap();
    } else {
        assert!(
            doc == updated,
            "docs/governance.md is stale: run AIRM_UPDATE_DOCS=1 cargo test -p airm-govern --test it docs"
        );
    }
}
