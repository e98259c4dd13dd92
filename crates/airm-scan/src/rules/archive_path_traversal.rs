//! MF008 `archive-path-traversal`: an archive member name escapes the extraction directory.
//!
//! The rule's metadata and the constructor of its findings; the detection logic lives in
//! the scanner of the format it concerns and calls [`ArchivePathTraversal::finding`].

use airm_core::{Reference, RuleDocs, RuleMeta, RuleStatus, RuleTarget, Severity};

use crate::report::{ScanFinding, Verdict};

/// An archive member name escapes the extraction directory.
pub struct ArchivePathTraversal;

impl ArchivePathTraversal {
    /// The rule's metadata.
    pub const META: RuleMeta = RuleMeta {
        id: "MF008",
        name: "archive-path-traversal",
        summary: "An archive member name escapes the extraction directory.",
        target: RuleTarget::ModelFile,
        severity: Severity::High,
        status: RuleStatus::Preview,
        references: &[Reference::Cwe("CWE-22"), Reference::Atlas("AML.T0010")],
        docs: RuleDocs {
            what: "A zip or tar member (of a model archive, `.npz`, `.keras` or PyTorch checkpoint) whose name is absolute, contains `..` segments or a drive letter, or is a link pointing outside the archive.",
            why: "Extracting such an archive writes files anywhere the user can write (\"zip slip\"): overwritten shell profiles, cron entries or Python modules run code later.",
            example: "A member named `../../.bashrc` inside `model.zip`.",
            remediation: "Do not extract the archive; re-create it from trusted sources.",
            false_positives: "Hand-made archives with absolute paths that are never extracted.",
        },
    };

    /// The verdict a finding of this rule implies by default.
    pub const VERDICT: Verdict = Verdict::Suspicious;

    /// A finding of this rule.
    pub fn finding(message: String, evidence: Option<String>) -> ScanFinding {
        ScanFinding::new(&Self::META, Self::VERDICT, message, evidence)
    }
}
