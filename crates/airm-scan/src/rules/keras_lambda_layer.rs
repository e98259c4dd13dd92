//! MF011 `keras-lambda-layer`: a Keras model contains a Lambda layer, which holds serialised Python code.
//!
//! The rule's metadata and the constructor of its findings; the detection logic lives in
//! the scanner of the format it concerns and calls [`KerasLambdaLayer::finding`].

use airm_core::{Reference, RuleDocs, RuleMeta, RuleStatus, RuleTarget, Severity};

use crate::report::{ScanFinding, Verdict};

/// A Keras model contains a Lambda layer, which holds serialised Python code.
pub struct KerasLambdaLayer;

impl KerasLambdaLayer {
    /// The rule's metadata.
    pub const META: RuleMeta = RuleMeta {
        id: "MF011",
        name: "keras-lambda-layer",
        summary: "A Keras model contains a Lambda layer, which holds serialised Python code.",
        target: RuleTarget::ModelFile,
        severity: Severity::High,
        status: RuleStatus::Preview,
        references: &[Reference::Cwe("CWE-94"), Reference::Atlas("AML.T0010"), Reference::Atlas("AML.T0011")],
        docs: RuleDocs {
            what: "A Keras v3 `.keras` archive or a legacy Keras HDF5 file whose model config contains a `Lambda` layer. Lambda layers store the function as marshalled Python bytecode, executed when the model is loaded with `safe_mode=False` (and always in old Keras versions).",
            why: "Arbitrary Python code runs on model load, outside any pickle scanner's view.",
            example: "`keras.layers.Lambda(lambda x: __import__('os').system('id') or x)` saved in `model.h5`.",
            remediation: "Replace Lambda layers with registered custom layers; load with `safe_mode=True`.",
            false_positives: "Legitimate models that use simple Lambda layers for reshaping or arithmetic. What is parsed: in `.keras` archives, `config.json` (read up to 64 MiB) is searched for a `Lambda` `class_name`; in HDF5 files no HDF5 structure is parsed: the whole file is searched, in bounded chunks, for the JSON `\"class_name\": \"Lambda\"` (also `keras.layers.Lambda` and `__lambda__`). HDF5 never compresses attributes, so the `model_config` attribute is found wherever it is stored (compact, dense or global heap), but the same text anywhere else in the file (e.g. inside a string dataset) also matches; custom-object and module references in HDF5 configs are not checked.",
        },
    };

    /// The verdict a finding of this rule implies by default.
    pub const VERDICT: Verdict = Verdict::Suspicious;

    /// A finding of this rule.
    pub fn finding(message: String, evidence: Option<String>) -> ScanFinding {
        ScanFinding::new(&Self::META, Self::VERDICT, message, evidence)
    }
}
