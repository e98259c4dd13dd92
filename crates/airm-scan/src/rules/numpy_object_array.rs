//! MF006 `numpy-object-array`: a NumPy array file stores an object array, which is a pickle.
//!
//! The rule's metadata and the constructor of its findings; the detection logic lives in
//! the scanner of the format it concerns and calls [`NumpyObjectArray::finding`].

use airm_core::{Reference, RuleDocs, RuleMeta, RuleStatus, RuleTarget, Severity};

use crate::report::{ScanFinding, Verdict};

/// A NumPy array file stores an object array, which is a pickle.
pub struct NumpyObjectArray;

impl NumpyObjectArray {
    /// The rule's metadata.
    pub const META: RuleMeta = RuleMeta {
        id: "MF006",
        name: "numpy-object-array",
        summary: "A NumPy array file stores an object array, which is a pickle.",
        target: RuleTarget::ModelFile,
        severity: Severity::Low,
        status: RuleStatus::Preview,
        references: &[Reference::Cwe("CWE-502"), Reference::Atlas("AML.T0010")],
        docs: RuleDocs {
            what: "A `.npy` file (alone or inside `.npz`) whose dtype is `object` (`|O`): its data is a pickle, loaded only with `allow_pickle=True`. The pickle is analysed and its findings are reported separately.",
            why: "Loading object arrays means unpickling, with all the risks of pickle; numeric arrays never need it.",
            example: "`np.save('x.npy', np.array([{'a': 1}], dtype=object))`.",
            remediation: "Store numeric data with a numeric dtype; load with `allow_pickle=False`.",
            false_positives: "Arrays of Python strings or ragged lists are saved as object arrays by design.",
        },
    };

    /// The verdict a finding of this rule implies by default.
    pub const VERDICT: Verdict = Verdict::Clean;

    /// A finding of this rule.
    pub fn finding(message: String, evidence: Option<String>) -> ScanFinding {
        ScanFinding::new(&Self::META, Self::VERDICT, message, evidence)
    }
}
