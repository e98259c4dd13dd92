//! MF002 `pickle-unknown-global`: a pickle imports or calls a callable that is not on the allowlist.
//!
//! The rule's metadata and the constructor of its findings; the detection logic lives in
//! the scanner of the format it concerns and calls [`PickleUnknownGlobal::finding`].

use airm_core::{Reference, RuleDocs, RuleMeta, RuleStatus, RuleTarget, Severity};

use crate::report::{ScanFinding, Verdict};

/// A pickle imports or calls a callable that is not on the allowlist.
pub struct PickleUnknownGlobal;

impl PickleUnknownGlobal {
    /// The rule's metadata.
    pub const META: RuleMeta = RuleMeta {
        id: "MF002",
        name: "pickle-unknown-global",
        summary: "A pickle imports or calls a callable that is not on the allowlist.",
        target: RuleTarget::ModelFile,
        severity: Severity::Medium,
        status: RuleStatus::Preview,
        references: &[Reference::Cwe("CWE-502"), Reference::Atlas("AML.T0010"), Reference::Atlas("AML.T0011")],
        docs: RuleDocs {
            what: "A pickle that references a callable which is neither on the dangerous list nor on the allowlist of callables used by real PyTorch, NumPy, scikit-learn, XGBoost/LightGBM, pandas and standard-library pickles; also calls whose callee cannot be resolved (the result of another call, an unregistered extension code).",
            why: "Every callable in a pickle runs on load. An unknown one may be a custom class of the model's author, or a gadget that reaches dangerous behaviour through a library function the dangerous list does not name.",
            example: "A checkpoint that pickles `mypackage.layers.CustomBlock` or calls `sklearn.datasets.fetch_openml`.",
            remediation: "Review the named callable. If it is trusted, add it to `scan.allow` (exact name or `module.*`); otherwise treat the file as untrusted.",
            false_positives: "Full-model pickles (`torch.save(model)`) of custom architectures reference the author's own classes and are reported until allowed.",
        },
    };

    /// The verdict a finding of this rule implies by default.
    pub const VERDICT: Verdict = Verdict::Suspicious;

    /// A finding of this rule.
    pub fn finding(message: String, evidence: Option<String>) -> ScanFinding {
        ScanFinding::new(&Self::META, Self::VERDICT, message, evidence)
    }
}
