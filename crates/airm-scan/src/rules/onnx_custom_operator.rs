//! MF012 `onnx-custom-operator`: an ONNX model uses operators from a non-standard domain.
//!
//! The rule's metadata and the constructor of its findings; the detection logic lives in
//! the scanner of the format it concerns and calls [`KerasLambdaLayer::finding`].

use airm_core::{Reference, RuleDocs, RuleMeta, RuleStatus, RuleTarget, Severity};

use crate::report::{ScanFinding, Verdict};

/// An ONNX model uses operators from a non-standard domain.
pub struct OnnxCustomOperator;

impl OnnxCustomOperator {
    /// The rule's metadata.
    pub const META: RuleMeta = RuleMeta {
        id: "MF012",
        name: "onnx-custom-operator",
        summary: "An ONNX model uses operators from a non-standard domain.",
        target: RuleTarget::ModelFile,
        severity: Severity::Medium,
        status: RuleStatus::Preview,
        references: &[Reference::Cwe("CWE-829"), Reference::Atlas("AML.T0010")],
        docs: RuleDocs {
            what: "An ONNX graph (including subgraphs and functions) with nodes whose operator domain is not one implemented by ONNX or ONNX Runtime (`ai.onnx`, `ai.onnx.ml`, `com.microsoft`...).",
            why: "Custom operators run native code from a library the user must register (`register_custom_ops_library`); a model that needs one asks its user to load foreign native code.",
            example: "A node `Backdoor` in domain `com.example.ops`.",
            remediation: "Find out which library implements the domain and whether it is trusted; prefer models that only use standard operators.",
            false_positives: "Models exported with vendor extensions (TensorRT plugins, onnxruntime-extensions) use custom domains legitimately.",
        },
    };

    /// The verdict a finding of this rule implies by default.
    pub const VERDICT: Verdict = Verdict::Suspicious;

    /// A finding of this rule.
    pub fn finding(message: String, evidence: Option<String>) -> ScanFinding {
        ScanFinding::new(&Self::META, Self::VERDICT, message, evidence)
    }
}
