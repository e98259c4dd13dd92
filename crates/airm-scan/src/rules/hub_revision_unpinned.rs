//! AS001 `hub-revision-unpinned`: code downloads a model from a hub without pinning a commit.
//!
//! The rule's metadata and the constructor of its findings; the detection logic lives in
//! the discovery module of the asset family it concerns.

use airm_core::{Reference, RuleDocs, RuleMeta, RuleStatus, RuleTarget, Severity};

use crate::report::{ScanFinding, Verdict};

/// Code downloads a model from a hub without pinning a commit.
pub struct HubRevisionUnpinned;

impl HubRevisionUnpinned {
    /// The rule's metadata.
    pub const META: RuleMeta = RuleMeta {
        id: "AS001",
        name: "hub-revision-unpinned",
        summary: "Code downloads a model from a hub without pinning a commit.",
        target: RuleTarget::Asset,
        severity: Severity::Medium,
        status: RuleStatus::Preview,
        references: &[Reference::Cwe("CWE-494"), Reference::Atlas("AML.T0010"), Reference::OwaspLlm("LLM03")],
        docs: RuleDocs {
            what: "A call that downloads a model or files from the Hugging Face Hub (`from_pretrained(\"org/name\")`, `pipeline(model=…)`, `hf_hub_download`, `snapshot_download`) without a `revision` argument, or with a revision that is a branch or tag name rather than a 40-character commit hash.",
            why: "A branch (`main`) or tag on the hub can be moved by whoever controls the repository: the next run downloads different weights, code or tokenizer files than were reviewed. A compromised or typo-squatted repository then reaches production without any change in your code.",
            example: "`AutoModel.from_pretrained(\"acme/sentiment\")` or `from_pretrained(\"acme/sentiment\", revision=\"main\")`.",
            remediation: "Pin the revision to a reviewed commit: `from_pretrained(\"acme/sentiment\", revision=\"<40-hex commit>\")`, or mirror the model into storage you control and load it from there.",
            false_positives: "Local directories that look like `org/name` are reported when the text cannot tell them from hub ids. Revisions passed in variables are treated as unpinned because their value is unknown statically.",
        },
    };

    /// The verdict a finding of this rule implies by default.
    pub const VERDICT: Verdict = Verdict::Suspicious;

    /// A finding of this rule.
    pub fn finding(message: String, evidence: Option<String>) -> ScanFinding {
        ScanFinding::new(&Self::META, Self::VERDICT, message, evidence)
    }
}
