//! AS002 `hub-trust-remote-code`: code loads a hub model with `trust_remote_code=True`.
//!
//! The rule's metadata and the constructor of its findings; the detection logic lives in
//! the discovery module of the asset family it concerns.

use airm_core::{Reference, RuleDocs, RuleMeta, RuleStatus, RuleTarget, Severity};

use crate::report::{ScanFinding, Verdict};

/// Code loads a hub model with `trust_remote_code=True`.
pub struct HubTrustRemoteCode;

impl HubTrustRemoteCode {
    /// The rule's metadata.
    pub const META: RuleMeta = RuleMeta {
        id: "AS002",
        name: "hub-trust-remote-code",
        summary: "Code loads a hub model with `trust_remote_code=True`.",
        target: RuleTarget::Asset,
        severity: Severity::High,
        status: RuleStatus::Preview,
        references: &[Reference::Cwe("CWE-94"), Reference::Atlas("AML.T0010"), Reference::OwaspLlm("LLM03")],
        docs: RuleDocs {
            what: "A `from_pretrained`, `pipeline` or similar call with `trust_remote_code=True`.",
            why: "With `trust_remote_code=True`, the Transformers library downloads Python files from the model repository and imports them: whoever controls the repository (or its unpinned revision) runs arbitrary code with the privileges of the loading process.",
            example: "`AutoModel.from_pretrained(\"acme/custom-arch\", trust_remote_code=True)`.",
            remediation: "Avoid remote code: use an architecture built into the library. If it is unavoidable, review the repository's code, pin the revision to that reviewed commit, and run the loader in a sandbox.",
            false_positives: "Repositories you own and pin to a reviewed commit are still reported; accept the finding with a note of the review.",
        },
    };

    /// The verdict a finding of this rule implies by default.
    pub const VERDICT: Verdict = Verdict::Suspicious;

    /// A finding of this rule.
    pub fn finding(message: String, evidence: Option<String>) -> ScanFinding {
        ScanFinding::new(&Self::META, Self::VERDICT, message, evidence)
    }
}
