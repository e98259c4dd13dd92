//! MF010 `gguf-chat-template-code`: a GGUF chat template contains constructs that escape the Jinja sandbox.
//!
//! The rule's metadata and the constructor of its findings; the detection logic lives in
//! the scanner of the format it concerns and calls [`GgufChatTemplateCode::finding`].

use airm_core::{Reference, RuleDocs, RuleMeta, RuleStatus, RuleTarget, Severity};

use crate::report::{ScanFinding, Verdict};

/// A GGUF chat template contains constructs that escape the Jinja sandbox.
pub struct GgufChatTemplateCode;

impl GgufChatTemplateCode {
    /// The rule's metadata.
    pub const META: RuleMeta = RuleMeta {
        id: "MF010",
        name: "gguf-chat-template-code",
        summary: "A GGUF chat template contains constructs that escape the Jinja sandbox.",
        target: RuleTarget::ModelFile,
        severity: Severity::High,
        status: RuleStatus::Preview,
        references: &[Reference::Cwe("CWE-1336"), Reference::Atlas("AML.T0010"), Reference::OwaspLlm("LLM03")],
        docs: RuleDocs {
            what: "A GGUF file whose `tokenizer.chat_template` metadata uses constructs that reach Python internals (`__class__`, `__globals__`, `__subclasses__`, `__builtins__`, `__import__`, `os.`, `popen`, `eval(`) instead of formatting messages.",
            why: "Chat templates are rendered with Jinja by many runtimes; a template that reaches Python internals is a server-side template injection that runs code when the model is loaded or used.",
            example: "`{{ ''.__class__.__mro__[1].__subclasses__() }}` in `tokenizer.chat_template`.",
            remediation: "Replace the template with the one from the model's official release.",
            false_positives: "Templates that mention these words in string literals (e.g. documentation text).",
        },
    };

    /// The verdict a finding of this rule implies by default.
    pub const VERDICT: Verdict = Verdict::Suspicious;

    /// A finding of this rule.
    pub fn finding(message: String, evidence: Option<String>) -> ScanFinding {
        ScanFinding::new(&Self::META, Self::VERDICT, message, evidence)
    }
}
