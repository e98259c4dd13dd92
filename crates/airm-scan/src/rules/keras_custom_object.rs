//! MF015 `keras-custom-object`: a Keras model config refers to a class or function outside Keras.
//!
//! The rule's metadata and the constructor of its findings; the detection logic lives in
//! the scanner of the format it concerns and calls [`KerasCustomObject::finding`].

use airm_core::{Reference, RuleDocs, RuleMeta, RuleStatus, RuleTarget, Severity};

use crate::report::{ScanFinding, Verdict};

/// A Keras model config refers to a class or function outside Keras.
pub struct KerasCustomObject;

impl KerasCustomObject {
    /// The rule's metadata.
    pub const META: RuleMeta = RuleMeta {
        id: "MF015",
        name: "keras-custom-object",
        summary: "A Keras model config refers to a class or function outside Keras, which loading the model imports or looks up.",
        target: RuleTarget::ModelFile,
        severity: Severity::Medium,
        status: RuleStatus::Preview,
        references: &[Reference::Cwe("CWE-470"), Reference::Atlas("AML.T0010"), Reference::Atlas("AML.T0011")],
        docs: RuleDocs {
            what: "A serialised object in a Keras model config (`config.json` of a `.keras` archive, or the `model_config` / `training_config` attribute of a legacy HDF5 file) whose `module` is not Keras or one of the Keras team's packages (`keras`, `keras_hub`, `keras_nlp`, `keras_cv`, `tf_keras`, `tensorflow.keras`), or whose `registered_name` names a package outside them (`MyPkg>MyLayer`). When the module resolves to a callable on the dangerous list (the same lists as the pickle rules, e.g. `builtins.exec`, `os.system`, `subprocess.Popen`), the finding is `malicious` with critical severity; otherwise it is `suspicious`.",
            why: "Keras 3 imports the named module and looks the class or function up in it when it deserialises the model (CVE-2025-1550 used this to run arbitrary functions even with `safe_mode=True` in Keras before 3.9), so the config decides which installed code runs on load. A legitimate custom layer is still code that is not in the file: the model only loads where that code is installed, and whoever controls that package controls the model.",
            example: "`{\"module\": \"builtins\", \"class_name\": \"function\", \"config\": \"exec\", \"registered_name\": \"function\"}` as a layer's activation; `{\"module\": \"my_pkg.layers\", \"class_name\": \"Attention\", \"registered_name\": \"MyPkg>Attention\"}`.",
            remediation: "Check that every referenced module is a package you trust and pin it; load with `safe_mode=True` and an explicit `custom_objects` mapping on Keras 3.9 or later; allow known modules with `allow` patterns in `airm.toml` (`[scan] allow = [\"my_pkg.layers.*\"]`) once reviewed.",
            false_positives: "Models with their own registered layers, losses or metrics report each reference as `suspicious` by design. What is parsed: the JSON config (up to 8 MiB; larger or unparsable configs are MF005 and fall back to a byte search for Lambda layers), every object with a `class_name` at any depth; legacy configs without `module` fields are not judged by class name alone.",
        },
    };

    /// The verdict a finding of this rule implies by default.
    pub const VERDICT: Verdict = Verdict::Suspicious;

    /// A finding of this rule.
    pub fn finding(message: String, evidence: Option<String>) -> ScanFinding {
        ScanFinding::new(&Self::META, Self::VERDICT, message, evidence)
    }
}
