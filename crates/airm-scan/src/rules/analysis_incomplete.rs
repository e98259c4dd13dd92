//! MF005 `analysis-incomplete`: a model file could not be analysed completely (truncated, corrupt, or a cap was reached).
//!
//! The rule's metadata and the constructor of its findings; the detection logic lives in
//! the scanner of the format it concerns and calls [`AnalysisIncomplete::finding`].

use airm_core::{Reference, RuleDocs, RuleMeta, RuleStatus, RuleTarget, Severity};

use crate::report::{ScanFinding, Verdict};

/// A model file could not be analysed completely (truncated, corrupt, or a cap was reached).
pub struct AnalysisIncomplete;

impl AnalysisIncomplete {
    /// The rule's metadata.
    pub const META: RuleMeta = RuleMeta {
        id: "MF005",
        name: "analysis-incomplete",
        summary: "A model file could not be analysed completely (truncated, corrupt, or a cap was reached).",
        target: RuleTarget::ModelFile,
        severity: Severity::Medium,
        status: RuleStatus::Preview,
        references: &[Reference::Cwe("CWE-502"), Reference::Atlas("AML.T0010")],
        docs: RuleDocs {
            what: "A model file whose analysis stopped early: a pickle stream that is truncated or corrupt, an archive that cannot be read, a value that could not be resolved, or a safety cap (memo entries, stack size, payload bytes, nesting, archive members) that was reached. Everything found before that point is still reported.",
            why: "A file that cannot be analysed is not known to be safe: Python executes every call reached before a corruption, and caps can be abused to hide payloads past them.",
            example: "A pickle cut off in the middle, or one with ten million memo entries.",
            remediation: "Re-download the file and check its hash; raise the caps in the configuration if the file is legitimately large.",
            false_positives: "Files damaged in transfer, and very large but harmless pickles that exceed a cap.",
        },
    };

    /// The verdict a finding of this rule implies by default.
    pub const VERDICT: Verdict = Verdict::Unknown;

    /// A finding of this rule.
    pub fn finding(message: String, evidence: Option<String>) -> ScanFinding {
        ScanFinding::new(&Self::META, Self::VERDICT, message, evidence)
    }
}
