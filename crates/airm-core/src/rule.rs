//! Rule metadata: the stable id, name, default severity, status, references and docs that
//! every detection carries, so `airm rules list|explain`, SARIF output and generated docs
//! all come from one place.
//!
//! Rules are defined as `static` [`RuleMeta`] values next to their logic; each crate that
//! owns rules exports a sorted slice of them and the binary concatenates the slices into
//! the registry. Ids are never reused.

use serde::Serialize;

use crate::parse::string_enum;
use crate::Severity;

string_enum! {
    /// Maturity of a rule.
    pub enum RuleStatus: "rule status" {
        /// New; may change or be noisy.
        Preview = "preview",
        /// Stable behaviour and id.
        Stable = "stable",
        /// Kept for compatibility; will not fire in future versions.
        Deprecated = "deprecated",
    }
}

string_enum! {
    /// What a rule looks at; fixes the id prefix.
    pub enum RuleTarget: "rule target" {
        /// Model files (`MF`).
        ModelFile = "model-file",
        /// Source code (`CD`).
        Code = "code",
        /// Discovered assets (`AS`).
        Asset = "asset",
        /// Datasets (`DS`).
        Dataset = "dataset",
        /// Prompts and other inputs to a model (`PI`).
        Prompt = "prompt",
        /// Completions and other model outputs (`CO`).
        Completion = "completion",
        /// Governance policies (`GV`).
        Governance = "governance",
    }
}

impl RuleTarget {
    /// The id prefix rules of this target use.
    pub fn prefix(self) -> &'static str {
        match self {
            RuleTarget::ModelFile => "MF",
            RuleTarget::Code => "CD",
            RuleTarget::Asset => "AS",
            RuleTarget::Dataset => "DS",
            RuleTarget::Prompt => "PI",
            RuleTarget::Completion => "CO",
            RuleTarget::Governance => "GV",
        }
    }
}

/// An external reference: a weakness, technique or list entry the rule maps to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "scheme", content = "id", rename_all = "kebab-case")]
pub enum Reference {
    /// MITRE CWE, e.g. `CWE-502`.
    Cwe(&'static str),
    /// MITRE ATLAS technique, e.g. `AML.T0010`.
    Atlas(&'static str),
    /// OWASP Top 10 for LLM Applications (2025), e.g. `LLM01`.
    OwaspLlm(&'static str),
    /// Any URL.
    Url(&'static str),
}

impl Reference {
    /// A human-readable label such as `CWE-502` or `MITRE ATLAS AML.T0010`.
    pub fn label(&self) -> String {
        match self {
            Reference::Cwe(id) => id.to_string(),
            Reference::Atlas(id) => format!("MITRE ATLAS {id}"),
            Reference::OwaspLlm(id) => format!("OWASP {id}"),
            Reference::Url(u) => u.to_string(),
        }
    }

    /// A URL for the reference.
    pub fn url(&self) -> String {
        match self {
            Reference::Cwe(id) => format!(
                "https://cwe.mitre.org/data/definitions/{}.html",
                id.trim_start_matches("CWE-")
            ),
            Reference::Atlas(id) => format!("https://atlas.mitre.org/techniques/{id}"),
            Reference::OwaspLlm(_) => "https://genai.owasp.org/llm-top-10/".to_string(),
            Reference::Url(u) => u.to_string(),
        }
    }
}

/// The documentation every rule carries, under fixed headings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RuleDocs {
    /// What it detects.
    pub what: &'static str,
    /// Why it matters.
    pub why: &'static str,
    /// An example that triggers it.
    pub example: &'static str,
    /// How to fix it.
    pub remediation: &'static str,
    /// Known false positives.
    pub false_positives: &'static str,
}

/// Metadata of one rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RuleMeta {
    /// Stable id, prefix by target plus three digits, e.g. `MF001`.
    pub id: &'static str,
    /// Kebab-case name, readable after "allow": `pickle-unsafe-global`.
    pub name: &'static str,
    /// One-line summary.
    pub summary: &'static str,
    /// What it looks at.
    pub target: RuleTarget,
    /// Default severity.
    pub severity: Severity,
    /// Maturity.
    pub status: RuleStatus,
    /// External references.
    pub references: &'static [Reference],
    /// Documentation.
    pub docs: RuleDocs,
}

impl RuleMeta {
    /// Checks the id shape (`<prefix of target><3 digits>`) and the kebab name.
    pub fn validate(&self) -> Result<(), String> {
        let prefix = self.target.prefix();
        let digits = self.id.strip_prefix(prefix).unwrap_or("");
        if digits.len() != 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!(
                "rule id `{}` must be `{prefix}` followed by three digits",
                self.id
            ));
        }
        let kebab = !self.name.is_empty()
            && self
                .name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !self.name.starts_with('-')
            && !self.name.ends_with('-');
        if !kebab {
            return Err(format!("rule name `{}` must be kebab-case", self.name));
        }
        let d = &self.docs;
        for (heading, text) in [
            ("what", d.what),
            ("why", d.why),
            ("example", d.example),
            ("remediation", d.remediation),
            ("false positives", d.false_positives),
        ] {
            if text.trim().is_empty() {
                return Err(format!("rule {} has no `{heading}` docs", self.id));
            }
        }
        Ok(())
    }

    /// The rule's documentation as Markdown, under the STYLE.md headings.
    pub fn to_markdown(&self) -> String {
        let refs: Vec<String> = self
            .references
            .iter()
            .map(|r| format!("- [{}]({})", r.label(), r.url()))
            .collect();
        format!(
            "# {id} {name}\n\n{summary}\n\n- Target: {target}\n- Default severity: {sev}\n- Status: {status}\n\n\
             ## What it detects\n\n{what}\n\n## Why it matters\n\n{why}\n\n## Example\n\n{example}\n\n\
             ## Remediation\n\n{remediation}\n\n## False positives\n\n{fp}\n\n## References\n\n{refs}\n",
            id = self.id,
            name = self.name,
            summary = self.summary,
            target = self.target,
            sev = self.severity,
            status = self.status,
            what = self.docs.what,
            why = self.docs.why,
            example = self.docs.example,
            remediation = self.docs.remediation,
            fp = self.docs.false_positives,
            refs = if refs.is_empty() {
                "None.".to_string()
            } else {
                refs.join("\n")
            },
        )
    }
}

/// Checks a registry: every rule valid, ids strictly increasing (sorted, no duplicates),
/// names unique.
pub fn validate_registry(rules: &[&RuleMeta]) -> Result<(), String> {
    for r in rules {
        r.validate()?;
    }
    for w in rules.windows(2) {
        if w[0].id >= w[1].id {
            return Err(format!(
                "registry not sorted or duplicate id: {} before {}",
                w[0].id, w[1].id
            ));
        }
    }
    let mut names: Vec<&str> = rules.iter().map(|r| r.name).collect();
    names.sort_unstable();
    for w in names.windows(2) {
        if w[0] == w[1] {
            return Err(format!("duplicate rule name `{}`", w[0]));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOCS: RuleDocs = RuleDocs {
        what: "w",
        why: "y",
        example: "e",
        remediation: "r",
        false_positives: "f",
    };

    const A: RuleMeta = RuleMeta {
        id: "MF001",
        name: "pickle-unsafe-global",
        summary: "s",
        target: RuleTarget::ModelFile,
        severity: Severity::Critical,
        status: RuleStatus::Stable,
        references: &[Reference::Cwe("CWE-502"), Reference::Atlas("AML.T0010")],
        docs: DOCS,
    };

    #[test]
    fn validates_id_prefix_and_name() {
        assert!(A.validate().is_ok());
        let bad = RuleMeta { id: "PI001", ..A };
        assert!(bad.validate().is_err());
        let bad = RuleMeta {
            name: "Pickle_Global",
            ..A
        };
        assert!(bad.validate().is_err());
        let bad = RuleMeta {
            docs: RuleDocs { why: " ", ..DOCS },
            ..A
        };
        assert!(bad.validate().unwrap_err().contains("why"));
    }

    #[test]
    fn registry_must_be_sorted_and_unique() {
        let b = RuleMeta {
            id: "MF002",
            name: "other",
            ..A
        };
        assert!(validate_registry(&[&A, &b]).is_ok());
        assert!(validate_registry(&[&b, &A]).is_err());
        let c = RuleMeta { id: "MF003", ..A };
        assert!(validate_registry(&[&A, &c]).is_err());
    }

    #[test]
    fn markdown_has_all_headings() {
        let md = A.to_markdown();
        for h in [
            "## What it detects",
            "## Why it matters",
            "## Example",
            "## Remediation",
            "## False positives",
            "CWE-502",
        ] {
            assert!(md.contains(h), "{h}");
        }
    }
}
