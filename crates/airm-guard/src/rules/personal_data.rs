//! PI008: personal data in a prompt (emails, phones, payment cards, IBANs, national ids, IP
//! addresses), validated by check digits where the format has them.

use airm_core::{Reference, RuleDocs, RuleMeta, RuleStatus, RuleTarget, Severity};

use super::{scan_matches, Cx, Hit};

/// Metadata.
pub static META: RuleMeta = RuleMeta {
    id: "PI008",
    name: "personal-data",
    summary: "Prompt contains personal data",
    target: RuleTarget::Prompt,
    severity: Severity::Medium,
    status: RuleStatus::Preview,
    references: &[Reference::OwaspLlm("LLM02"), Reference::Cwe("CWE-359")],
    docs: RuleDocs {
        what: "Email addresses, phone numbers, payment cards (Luhn), IBANs (mod 97), US SSN, Spanish DNI/NIE, Dutch BSN, UK NINO, IPv4/IPv6 addresses — in the text and in decoded forms.",
        why: "Personal data sent to a third-party model may breach GDPR or contracts and can end up in logs or training data.",
        example: "Please email jane.doe@example.com the refund for card 4111 1111 1111 1111.",
        remediation: "Redact or anonymise (reversible placeholders) before sending; restore in the response.",
        false_positives: "Example or test data (test card numbers, documentation IPs); numbers that happen to pass a checksum.",
    },
};

/// Scans.
pub fn scan(cx: &Cx<'_>, out: &mut Vec<Hit>) {
    scan_matches(cx, crate::detect::pii::find, "personal data", out);
}
