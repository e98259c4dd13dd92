//! AS006 `file-not-inspected`: discovery could not inspect a file or directory.
//!
//! The rule's metadata and the constructor of its findings; the detection logic lives in
//! the discovery module of the asset family it concerns.

use airm_core::{RuleDocs, RuleMeta, RuleStatus, RuleTarget, Severity};

use crate::report::{ScanFinding, Verdict};

/// Discovery could not inspect a file or directory.
pub struct FileNotInspected;

impl FileNotInspected {
    /// The rule's metadata.
    pub const META: RuleMeta = RuleMeta {
        id: "AS006",
        name: "file-not-inspected",
        summary: "Discovery could not inspect a file or directory.",
        target: RuleTarget::Asset,
        severity: Severity::Low,
        status: RuleStatus::Preview,
        references: &[],
        docs: RuleDocs {
            what: "A file or directory that discovery found but could not inspect: permission denied, a read error, a file larger than `discover.max_file_size`, a text file larger than `discover.max_text_size`, or a walk error (for example a symbolic-link loop or a vanished directory).",
            why: "An AI asset in a place airm cannot read is missing from the inventory and its BOM; the gap must be visible rather than silent.",
            example: "`models/` readable only by another user, or a 20 GB file above the configured limit.",
            remediation: "Run discovery with permission to read the tree, raise the size limits in `[discover]`, or exclude the path explicitly if it is not relevant.",
            false_positives: "Files that are deliberately unreadable (other users' home directories) are reported; exclude them with `--exclude`.",
        },
    };

    /// The verdict a finding of this rule implies by default.
    pub const VERDICT: Verdict = Verdict::Unknown;

    /// A finding of this rule.
    pub fn finding(message: String, evidence: Option<String>) -> ScanFinding {
        ScanFinding::new(&Self::META, Self::VERDICT, message, evidence)
    }
}
