//! MF014 `tensorflow-graph-unsafe-op`: a TensorFlow graph contains operations that access files or run Python.
//!
//! The rule's metadata and the constructor of its findings; the detection logic lives in
//! the scanner of the format it concerns and calls [`KerasLambdaLayer::finding`].

use airm_core::{Reference, RuleDocs, RuleMeta, RuleStatus, RuleTarget, Severity};

use crate::report::{ScanFinding, Verdict};

/// A TensorFlow graph contains operations that access files or run Python.
pub struct TensorflowGraphUnsafeOp;

impl TensorflowGraphUnsafeOp {
    /// The rule's metadata.
    pub const META: RuleMeta = RuleMeta {
        id: "MF014",
        name: "tensorflow-graph-unsafe-op",
        summary: "A TensorFlow graph contains operations that access files or run Python.",
        target: RuleTarget::ModelFile,
        severity: Severity::High,
        status: RuleStatus::Preview,
        references: &[Reference::Cwe("CWE-73"), Reference::Atlas("AML.T0010"), Reference::Atlas("AML.T0011")],
        docs: RuleDocs {
            what: "A TensorFlow graph (SavedModel `saved_model.pb` or a frozen GraphDef) that contains `ReadFile`, `WriteFile`, `MatchingFiles`, `PyFunc`, `EagerPyFunc` or `PyFuncStateless` operations.",
            why: "These operations read or write arbitrary files, list directories, or call back into Python when the graph runs, so a model can exfiltrate or plant files during inference.",
            example: "A serving signature whose graph writes its input to `/tmp/x` with `tf.io.write_file`.",
            remediation: "Inspect the graph (`saved_model_cli show --all`); re-export the model without file or Python operations.",
            false_positives: "Input pipelines exported with the model (reading image files by path) use `ReadFile` legitimately. What is parsed: a `SavedModel` (schema version, then meta graphs) or a frozen `GraphDef` is recognised from its first bytes and walked as protobuf, streaming: the `op` of every `NodeDef` in the graph and in every function of its function library (where TF2 models do their work, called through `StatefulPartitionedCall`); tensor constants are skipped, not stored. A node's name, a string constant or an attribute never matches, only the operation. Damage (truncation, invalid protobuf, nesting past 32 levels) is reported as MF005 together with the operations reached before it. A protobuf file that looks like ONNX but holds no ONNX graph is still searched, as bytes, for the operation names above.",
        },
    };

    /// The verdict a finding of this rule implies by default.
    pub const VERDICT: Verdict = Verdict::Suspicious;

    /// A finding of this rule.
    pub fn finding(message: String, evidence: Option<String>) -> ScanFinding {
        ScanFinding::new(&Self::META, Self::VERDICT, message, evidence)
    }
}
