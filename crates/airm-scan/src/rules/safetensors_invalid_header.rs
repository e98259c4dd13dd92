//! MF007 `safetensors-invalid-header`: a safetensors file has a malformed or inconsistent header.
//!
//! The rule's metadata and the constructor of its findings; the detection logic lives in
//! the scanner of the format it concerns and calls [`SafetensorsInvalidHeader::finding`].

use airm_core::{Reference, RuleDocs, RuleMeta, RuleStatus, RuleTarget, Severity};

use crate::report::{ScanFinding, Verdict};

/// A safetensors file has a malformed or inconsistent header.
pub struct SafetensorsInvalidHeader;

impl SafetensorsInvalidHeader {
    /// The rule's metadata.
    pub const META: RuleMeta = RuleMeta {
        id: "MF007",
        name: "safetensors-invalid-header",
        summary: "A safetensors file has a malformed or inconsistent header.",
        target: RuleTarget::ModelFile,
        severity: Severity::High,
        status: RuleStatus::Preview,
        references: &[Reference::Cwe("CWE-20"), Reference::Atlas("AML.T0010")],
        docs: RuleDocs {
            what: "A safetensors file whose header is not valid JSON, exceeds the size limit, declares tensors whose offsets fall outside the data or overlap, or whose shapes do not match their byte lengths.",
            why: "Loaders trust the header; inconsistent offsets have caused out-of-bounds reads and hidden data regions in parsers, and a malformed header means the file was not written by a conforming tool.",
            example: "A header declaring `data_offsets: [0, 4096]` in a file with 100 data bytes.",
            remediation: "Re-export the model with the official safetensors library.",
            false_positives: "Files truncated during download.",
        },
    };

    /// The verdict a finding of this rule implies by default.
    pub const VERDICT: Verdict = Verdict::Suspicious;

    /// A finding of this rule.
    pub fn finding(message: String, evidence: Option<String>) -> ScanFinding {
        ScanFinding::new(&Self::META, Self::VERDICT, message, evidence)
    }
}
