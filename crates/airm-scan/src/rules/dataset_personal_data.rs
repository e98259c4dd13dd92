//! AS005 `dataset-personal-data`: a dataset has columns that look like personal data.
//!
//! The rule's metadata and the constructor of its findings; the detection logic lives in
//! the discovery module of the asset family it concerns.

use airm_core::{Reference, RuleDocs, RuleMeta, RuleStatus, RuleTarget, Severity};

use crate::report::{ScanFinding, Verdict};

/// A dataset has columns that look like personal data.
pub struct DatasetPersonalData;

impl DatasetPersonalData {
    /// The rule's metadata.
    pub const META: RuleMeta = RuleMeta {
        id: "AS005",
        name: "dataset-personal-data",
        summary: "A dataset has columns that look like personal data.",
        target: RuleTarget::Asset,
        severity: Severity::Medium,
        status: RuleStatus::Preview,
        references: &[Reference::Cwe("CWE-359"), Reference::Atlas("AML.T0057")],
        docs: RuleDocs {
            what: "A tabular dataset (CSV, TSV, JSON Lines) whose column names look like personal data (email, phone, ssn, date of birth, names, addresses, …) or whose sampled values in the first rows look like e-mail addresses, phone numbers or social security numbers.",
            why: "Training or evaluation data with personal data needs a lawful basis, minimisation and access control; models trained on it can memorise and reveal it (training-data extraction).",
            example: "`customers.csv` with the header `id,email,date_of_birth,churned`.",
            remediation: "Remove or pseudonymise personal columns before the data is used for AI, record the legal basis and the retention, and restrict access to the raw file.",
            false_positives: "Columns named like personal data that hold something else (a `name` of a product) can be reported; only the first rows are sampled, so personal data further down is missed.",
        },
    };

    /// The verdict a finding of this rule implies by default.
    pub const VERDICT: Verdict = Verdict::Suspicious;

    /// A finding of this rule.
    pub fn finding(message: String, evidence: Option<String>) -> ScanFinding {
        ScanFinding::new(&Self::META, Self::VERDICT, message, evidence)
    }
}
