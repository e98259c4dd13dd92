//! MF009 `archive-decompression-bomb`: an archive declares an extreme decompressed size or compression ratio.
//!
//! The rule's metadata and the constructor of its findings; the detection logic lives in
//! the scanner of the format it concerns and calls [`ArchiveDecompressionBomb::finding`].

use airm_core::{Reference, RuleDocs, RuleMeta, RuleStatus, RuleTarget, Severity};

use crate::report::{ScanFinding, Verdict};

/// An archive declares an extreme decompressed size or compression ratio.
pub struct ArchiveDecompressionBomb;

impl ArchiveDecompressionBomb {
    /// The rule's metadata.
    pub const META: RuleMeta = RuleMeta {
        id: "MF009",
        name: "archive-decompression-bomb",
        summary: "An archive declares an extreme decompressed size or compression ratio.",
        target: RuleTarget::ModelFile,
        severity: Severity::High,
        status: RuleStatus::Preview,
        references: &[Reference::Cwe("CWE-409"), Reference::Atlas("AML.T0029")],
        docs: RuleDocs {
            what: "A zip archive whose members declare a decompressed size beyond the configured limit, a compression ratio above the configured ratio, or more members than the configured maximum.",
            why: "Extracting or loading it exhausts memory or disk (denial of service), and scanners that give up on it may pass hidden content.",
            example: "A 1 MB zip declaring a 100 GB member.",
            remediation: "Do not extract it; obtain the model from a trusted source.",
            false_positives: "Highly repetitive data (all-zero tensors) compresses extremely well; raise `scan.max_ratio` for such files.",
        },
    };

    /// The verdict a finding of this rule implies by default.
    pub const VERDICT: Verdict = Verdict::Suspicious;

    /// A finding of this rule.
    pub fn finding(message: String, evidence: Option<String>) -> ScanFinding {
        ScanFinding::new(&Self::META, Self::VERDICT, message, evidence)
    }
}
