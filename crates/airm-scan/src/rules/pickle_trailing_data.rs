//! MF004 `pickle-trailing-data`: a pickle file holds several pickle streams or data after the final STOP.
//!
//! The rule's metadata and the constructor of its findings; the detection logic lives in
//! the scanner of the format it concerns and calls [`PickleTrailingData::finding`].

use airm_core::{Reference, RuleDocs, RuleMeta, RuleStatus, RuleTarget, Severity};

use crate::report::{ScanFinding, Verdict};

/// A pickle file holds several pickle streams or data after the final STOP.
pub struct PickleTrailingData;

impl PickleTrailingData {
    /// The rule's metadata.
    pub const META: RuleMeta = RuleMeta {
        id: "MF004",
        name: "pickle-trailing-data",
        summary: "A pickle file holds several pickle streams or data after the final STOP.",
        target: RuleTarget::ModelFile,
        severity: Severity::Medium,
        status: RuleStatus::Preview,
        references: &[Reference::Cwe("CWE-502"), Reference::Atlas("AML.T0011")],
        docs: RuleDocs {
            what: "A file whose first pickle stream ends (`STOP`) before the end of the file: either further pickle streams follow, or bytes that are not a pickle. Every stream is analysed; the legacy PyTorch layout, which has several streams by design, is exempt.",
            why: "Tools that stop at the first `STOP` miss payloads in later streams, while code that calls `pickle.load` repeatedly (or a polyglot file read by another loader) executes them.",
            example: "`pickle.dump(harmless, f); pickle.dump(payload, f)` in one `model.pkl`.",
            remediation: "Find out why the file has extra content; re-export the model from a trusted source.",
            false_positives: "Some tools append several pickles to one file on purpose (e.g. incremental logs).",
        },
    };

    /// The verdict a finding of this rule implies by default.
    pub const VERDICT: Verdict = Verdict::Suspicious;

    /// A finding of this rule.
    pub fn finding(message: String, evidence: Option<String>) -> ScanFinding {
        ScanFinding::new(&Self::META, Self::VERDICT, message, evidence)
    }
}
