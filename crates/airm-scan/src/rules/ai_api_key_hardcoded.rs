//! AS003 `ai-api-key-hardcoded`: a file contains a hard-coded API key of an AI service.
//!
//! The rule's metadata and the constructor of its findings; the detection logic lives in
//! the discovery module of the asset family it concerns.

use airm_core::{Reference, RuleDocs, RuleMeta, RuleStatus, RuleTarget, Severity};

use crate::report::{ScanFinding, Verdict};

/// A file contains a hard-coded API key of an AI service.
pub struct AiApiKeyHardcoded;

impl AiApiKeyHardcoded {
    /// The rule's metadata.
    pub const META: RuleMeta = RuleMeta {
        id: "AS003",
        name: "ai-api-key-hardcoded",
        summary: "A file contains a hard-coded API key of an AI service.",
        target: RuleTarget::Asset,
        severity: Severity::High,
        status: RuleStatus::Preview,
        references: &[Reference::Cwe("CWE-798"), Reference::Atlas("AML.T0055"), Reference::OwaspLlm("LLM02")],
        docs: RuleDocs {
            what: "Text that matches the key format of an AI service — OpenAI (`sk-…`, `sk-proj-…`), Anthropic (`sk-ant-…`), Hugging Face (`hf_…`), Google AI (`AIza…` in a file that uses Gemini), Replicate (`r8_…`), Groq (`gsk_…`), and keys assigned to Cohere, Azure OpenAI and Mistral key variables — in source code, configuration, `.env` files and notebook cells or outputs. The key is reported masked (prefix and last four characters); airm never prints or stores it.",
            why: "Keys in files end up in repositories, images, backups and logs. Anyone who reads them can spend the account's budget, read its stored files and conversations, and use the organisation's identity towards the provider.",
            example: "`client = OpenAI(api_key=\"sk-proj-…\")` or `HF_TOKEN=hf_…` in a committed `.env`.",
            remediation: "Revoke the key at the provider now (it must be treated as leaked), remove it from the file and the history, and load keys from a secret manager or the environment at run time.",
            false_positives: "Test fixtures and documentation with realistic-looking keys are reported; placeholder values (`sk-xxxx`, `your-key`, repeated characters) are not.",
        },
    };

    /// The verdict a finding of this rule implies by default.
    pub const VERDICT: Verdict = Verdict::Suspicious;

    /// A finding of this rule.
    pub fn finding(message: String, evidence: Option<String>) -> ScanFinding {
        ScanFinding::new(&Self::META, Self::VERDICT, message, evidence)
    }
}
