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
            false_positives: "Legitimate models that use simple Lambda layers for reshaping or arithmetic. What is parsed: the model config as JSON (escapes and spacing decoded), every object at any depth whose `class_name` is `Lambda` (also `keras.layers.Lambda`) or `__lambda__` (a lambda function, e.g. an activation): in `.keras` archives `config.json` (up to 8 MiB parsed); in HDF5 files the `model_config` and `training_config` attributes of the root group, read with a minimal HDF5 reader from the first 16 MiB (superblock versions 0-3, user blocks, object header versions 1-2 with continuations, fixed- and variable-length strings). When that structure cannot be read (damage, dense attribute storage, an unparsable config), the file is also MF005 and the whole of it is searched as bytes for `\"class_name\": \"Lambda\"` and its variants, so a match there may come from text outside the config.",
        },
    };

    /// The verdict a finding of this rule implies by default.
    pub const VERDICT: Verdict = Verdict::Suspicious;

    /// A finding of this rule.
    pub fn finding(message: String, evidence: Option<String>) -> ScanFinding {
        ScanFinding::new(&Self::META, Self::VERDICT, message, evidence)
    }
}
