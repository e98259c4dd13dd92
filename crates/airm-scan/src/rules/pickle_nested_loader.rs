//! MF003 `pickle-nested-loader`: a pickle passes embedded bytes to a deserialiser, or carries an embedded pickle.
//!
//! The rule's metadata and the constructor of its findings; the detection logic lives in
//! the scanner of the format it concerns and calls [`PickleNestedLoader::finding`].

use airm_core::{Reference, RuleDocs, RuleMeta, RuleStatus, RuleTarget, Severity};

use crate::report::{ScanFinding, Verdict};

/// A pickle passes embedded bytes to a deserialiser, or carries an embedded pickle.
pub struct PickleNestedLoader;

impl PickleNestedLoader {
    /// The rule's metadata.
    pub const META: RuleMeta = RuleMeta {
        id: "MF003",
        name: "pickle-nested-loader",
        summary: "A pickle passes embedded bytes to a deserialiser, or carries an embedded pickle.",
        target: RuleTarget::ModelFile,
        severity: Severity::Critical,
        status: RuleStatus::Preview,
        references: &[Reference::Cwe("CWE-502"), Reference::Atlas("AML.T0010"), Reference::Atlas("AML.T0011")],
        docs: RuleDocs {
            what: "A pickle that passes a bytes value to a loader of serialised data (`pickle.loads`, `torch.load`, `numpy.load`, `marshal.loads`, `dill.loads`...), or that holds bytes which are themselves a pickle importing callables. The nested payload is analysed recursively and its own findings are reported with the member `nested@<offset>`.",
            why: "Nesting hides the real payload from scanners that only read the outer stream: the outer pickle looks like one harmless call while the inner one runs anything.",
            example: "`pickle.loads(b'\\x80\\x04...cos\\nsystem...')` reduced inside a checkpoint.",
            remediation: "Do not load the file; analyse the nested payload's findings.",
            false_positives: "Frameworks that store pickled sub-objects as bytes (some pipeline caches) embed pickles legitimately; an embedded pickle that only uses allowed callables is not reported.",
        },
    };

    /// The verdict a finding of this rule implies by default.
    pub const VERDICT: Verdict = Verdict::Malicious;

    /// A finding of this rule.
    pub fn finding(message: String, evidence: Option<String>) -> ScanFinding {
        ScanFinding::new(&Self::META, Self::VERDICT, message, evidence)
    }
}
