//! MF013 `onnx-external-data-path`: an ONNX tensor's external data path escapes the model's directory.
//!
//! The rule's metadata and the constructor of its findings; the detection logic lives in
//! the scanner of the format it concerns and calls [`KerasLambdaLayer::finding`].

use airm_core::{Reference, RuleDocs, RuleMeta, RuleStatus, RuleTarget, Severity};

use crate::report::{ScanFinding, Verdict};

/// An ONNX tensor's external data path escapes the model's directory.
pub struct OnnxExternalDataPath;

impl OnnxExternalDataPath {
    /// The rule's metadata.
    pub const META: RuleMeta = RuleMeta {
        id: "MF013",
        name: "onnx-external-data-path",
        summary: "An ONNX tensor's external data path escapes the model's directory.",
        target: RuleTarget::ModelFile,
        severity: Severity::High,
        status: RuleStatus::Preview,
        references: &[Reference::Cwe("CWE-22"), Reference::Atlas("AML.T0010")],
        docs: RuleDocs {
            what: "An ONNX initializer stored as external data whose `location` is absolute or contains `..` segments.",
            why: "Loaders read external data relative to the model file; an escaping path makes loading read arbitrary files (e.g. `/etc/passwd` into a tensor that the model can echo back), as in CVE-2022-25882.",
            example: "`external_data { key: \"location\" value: \"../../../etc/shadow\" }`.",
            remediation: "Keep external data files next to the model with plain relative names; re-export the model.",
            false_positives: "Hand-assembled models that reference data on absolute paths of the author's machine.",
        },
    };

    /// The verdict a finding of this rule implies by default.
    pub const VERDICT: Verdict = Verdict::Suspicious;

    /// A finding of this rule.
    pub fn finding(message: String, evidence: Option<String>) -> ScanFinding {
        ScanFinding::new(&Self::META, Self::VERDICT, message, evidence)
    }
}
