//! SARIF 2.1.0 output for scan results, as GitHub code scanning and other SARIF viewers
//! read it: one run, the tool's rules with their help text, one result per finding with
//! its file, byte offset and a stable fingerprint.

use airm_core::{RuleMeta, Severity};
use serde_json::{json, Value};

use crate::FileReport;

/// The SARIF schema this writer targets.
pub const SARIF_SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// The SARIF `level` of a severity.
pub fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// GitHub's `security-severity` scale (0.0–10.0).
pub fn security_severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "0.0",
    }
}

/// A URI for a file path: a relative reference for relative paths, a `file://` URI for
/// absolute ones (SARIF forbids relative references that begin with `/`); `/` separators,
/// unsafe bytes percent-encoded.
pub fn path_uri(path: &str) -> String {
    let p = path.replace('\\', "/");
    let mut out = String::with_capacity(p.len() + 8);
    let drive = p.as_bytes().get(1) == Some(&b':')
        && p.as_bytes().first().is_some_and(u8::is_ascii_alphabetic);
    if p.starts_with('/') {
        out.push_str("file://");
    } else if drive {
        out.push_str("file:///");
    }
    for b in p.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=:@".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A SARIF `reportingDescriptor` for a rule, with its help text.
pub fn rule_json(r: &RuleMeta) -> Value {
    let tags: Vec<String> = std::iter::once("security".to_string())
        .chain(r.references.iter().map(|x| x.label()))
        .collect();
    json!({
        "id": r.id,
        "name": r.name,
        "shortDescription": {"text": r.summary},
        "fullDescription": {"text": r.docs.what},
        "help": {"text": format!("{}\n\nRemediation: {}", r.docs.why, r.docs.remediation), "markdown": r.to_markdown()},
        "helpUri": r.references.first().map(|x| x.url()).unwrap_or_else(|| "https://github.com/airm-dev/airm".into()),
        "defaultConfiguration": {"level": level(r.severity)},
        "properties": {"tags": tags, "security-severity": security_severity(r.severity), "precision": "high"}
    })
}

/// Builds the SARIF log for `reports`, describing every rule in `rules`.
pub fn sarif(reports: &[FileReport], rules: &[&RuleMeta], tool_version: &str) -> Value {
    let index = |id: &str| rules.iter().position(|r| r.id == id);
    let mut results = Vec::new();
    for rep in reports {
        for f in &rep.findings {
            let mut region = serde_json::Map::new();
            if let Some(off) = f.offset {
                region.insert("byteOffset".into(), json!(off));
                region.insert("byteLength".into(), json!(1));
            }
            let mut physical = json!({"artifactLocation": {"uri": path_uri(&rep.path)}});
            if !region.is_empty() {
                physical["region"] = Value::Object(region);
            }
            let text = match &f.member {
                Some(m) => format!("{} (in `{m}`)", f.message),
                None => f.message.clone(),
            };
            let mut result = json!({
                "ruleId": f.rule_id,
                "level": level(f.severity),
                "message": {"text": text},
                "locations": [{"physicalLocation": physical}],
                "partialFingerprints": {"airm/v1": f.fingerprint(&rep.path)},
                "properties": {"verdict": f.verdict, "severity": f.severity, "evidence": f.evidence, "sha256": rep.sha256}
            });
            if let Some(i) = index(f.rule_id) {
                result["ruleIndex"] = json!(i);
            }
            results.push(result);
        }
    }
    json!({
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "airm",
                "version": tool_version,
                "informationUri": "https://github.com/airm-dev/airm",
                "rules": rules.iter().map(|r| rule_json(r)).collect::<Vec<_>>(),
            }},
            "results": results,
        }]
    })
}

/// Appends discovery findings (`AS` rules) to a log built by [`sarif`], with their file
/// and line; `rules` must be the list the log was built with.
pub fn add_discovery(
    log: &mut Value,
    findings: &[crate::discover::DiscoveredFinding],
    rules: &[&RuleMeta],
) {
    let index = |id: &str| rules.iter().position(|r| r.id == id);
    let Some(results) = log
        .pointer_mut("/runs/0/results")
        .and_then(Value::as_array_mut)
    else {
        return;
    };
    for d in findings {
        let f = &d.finding;
        let mut physical = json!({"artifactLocation": {"uri": path_uri(&d.path)}});
        if let Some(l) = d.line {
            physical["region"] = json!({"startLine": l});
        }
        let text = match &f.member {
            Some(m) => format!("{} (in `{m}`)", f.message),
            None => f.message.clone(),
        };
        let member = f
            .member
            .clone()
            .or_else(|| d.line.map(|l| format!("line {l}")));
        let mut keyed = f.clone();
        keyed.member = member;
        let mut result = json!({
            "ruleId": f.rule_id,
            "level": level(f.severity),
            "message": {"text": text},
            "locations": [{"physicalLocation": physical}],
            "partialFingerprints": {"airm/v1": keyed.fingerprint(&d.path)},
            "properties": {"verdict": f.verdict, "severity": f.severity, "evidence": f.evidence}
        });
        if let Some(i) = index(f.rule_id) {
            result["ruleIndex"] = json!(i);
        }
        results.push(result);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_escaped() {
        assert_eq!(path_uri("models/a b#1.pkl"), "models/a%20b%231.pkl");
        assert_eq!(path_uri("dir\\x.pt"), "dir/x.pt");
        assert_eq!(path_uri("/tmp/m 1.pkl"), "file:///tmp/m%201.pkl");
        assert_eq!(path_uri("C:\\models\\x.pt"), "file:///C:/models/x.pt");
    }
}
