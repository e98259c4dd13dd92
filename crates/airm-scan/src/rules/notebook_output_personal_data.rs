//! AS004 `notebook-output-personal-data`: a notebook's saved outputs contain what looks like personal data.
//!
//! The rule's metadata and the constructor of its findings; the detection logic lives in
//! the discovery module of the asset family it concerns.

use airm_core::{Reference, RuleDocs, RuleMeta, RuleStatus, RuleTarget, Severity};

use crate::report::{ScanFinding, Verdict};

/// A notebook's saved outputs contain what looks like personal data.
pub struct NotebookOutputPersonalData;

impl NotebookOutputPersonalData {
    /// The rule's metadata.
    pub const META: RuleMeta = RuleMeta {
        id: "AS004",
        name: "notebook-output-personal-data",
        summary: "A notebook's saved outputs contain what looks like personal data.",
        target: RuleTarget::Asset,
        severity: Severity::Medium,
        status: RuleStatus::Preview,
        references: &[Reference::Cwe("CWE-359"), Reference::OwaspLlm("LLM02")],
        docs: RuleDocs {
            what: "Saved cell outputs of a Jupyter notebook (`.ipynb`) that contain e-mail addresses, US social security numbers or phone numbers.",
            why: "Notebook outputs are committed and shared with the code. Personal data printed while exploring a dataset then leaves its controlled storage, which breaches data-minimisation and access rules (GDPR Art. 5 and 32).",
            example: "A cell `df.head()` whose saved output shows the `email` and `phone` columns of customer records.",
            remediation: "Clear outputs before committing (`jupyter nbconvert --clear-output`, `nbstripout`), and show only aggregated or pseudonymised data in notebooks.",
            false_positives: "Synthetic or public example data (`alice@example.com`) is reported; dismiss the finding if the data is not about real people.",
        },
    };

    /// The verdict a finding of this rule implies by default.
    pub const VERDICT: Verdict = Verdict::Suspicious;

    /// A finding of this rule.
    pub fn finding(message: String, evidence: Option<String>) -> ScanFinding {
        ScanFinding::new(&Self::META, Self::VERDICT, message, evidence)
    }
}
