//! The built-in policy pack: seven Rego modules embedded in the binary, each with the
//! rule metadata every airm detection carries (id `GV…`, name, default severity, docs)
//! and the input facts it reads. Sorted by id; ids are never reused.

use airm_core::{Reference, RuleDocs, RuleMeta, RuleStatus, RuleTarget, Severity};

/// A built-in policy: metadata, the Rego package it defines and its source.
#[derive(Debug, Clone, Copy)]
pub struct BuiltinPolicy {
    /// Id, name, severity and docs.
    pub meta: RuleMeta,
    /// Rego package, e.g. `airm.gv001`; violations are read from `data.<package>.violations`.
    pub package: &'static str,
    /// File name used in messages.
    pub file: &'static str,
    /// The Rego source.
    pub source: &'static str,
    /// The parts of the input document it reads.
    pub facts: &'static [&'static str],
}

const fn meta(
    id: &'static str,
    name: &'static str,
    summary: &'static str,
    severity: Severity,
    references: &'static [Reference],
    docs: RuleDocs,
) -> RuleMeta {
    RuleMeta {
        id,
        name,
        summary,
        target: RuleTarget::Governance,
        severity,
        status: RuleStatus::Preview,
        references,
        docs,
    }
}

static POLICIES: &[BuiltinPolicy] = &[
    BuiltinPolicy {
        meta: meta(
            "GV001",
            "system-without-owners",
            "An AI system lacks an accountable owner or a named risk owner, or one person holds both roles on a high-importance system.",
            Severity::Medium,
            &[Reference::Url("https://www.iso.org/standard/81230.html")],
            RuleDocs {
                what: "AI systems (not retired) without an accountable `owner`, without a `risk_owner`, or with importance 4-5 whose owner and risk owner are the same person (compared case-insensitively). Severity is high for importance 4-5, else medium.",
                why: "Governance needs clear jobs: ISO/IEC 42001 (A.3.2) and the NIST AI RMF (GOVERN 2) require named accountability. When the person who benefits from a critical system also judges its risk, nobody challenges it.",
                example: "`airm systems add support-bot --importance 5 --owner ana@example.com --risk-owner ana@example.com`",
                remediation: "Name both: `airm systems set support-bot --owner ana@example.com --risk-owner rui@example.com`.",
                false_positives: "Small organisations may have one person for both roles; record an exception for GV001 with the reason.",
            },
        ),
        package: "airm.gv001",
        file: "GV001_system_owners.rego",
        source: include_str!("../policies/GV001_system_owners.rego"),
        facts: &["systems[].owner", "systems[].risk_owner", "systems[].importance", "systems[].lifecycle"],
    },
    BuiltinPolicy {
        meta: meta(
            "GV002",
            "production-asset-with-open-findings",
            "An asset used by a production system has open critical or high findings.",
            Severity::High,
            &[Reference::Atlas("AML.T0010"), Reference::OwaspLlm("LLM03")],
            RuleDocs {
                what: "Assets linked to at least one system in the `production` lifecycle stage whose open findings include critical or high ones (severity critical if any critical finding is open). Counts come pre-aggregated in `assets[].open_findings`.",
                why: "A malicious pickle or a leaked key in a model that serves real users is an active incident, not a backlog item. Production must not carry known severe problems without someone accountable accepting the risk.",
                example: "`airm scan model.pkl --system credit-scoring` finds MF001 (critical) while `credit-scoring` is in production.",
                remediation: "Fix the findings and re-scan, mark false positives (`PATCH /api/v1/findings/{id}`), or have an admin or risk owner grant a time-limited exception: `airm exceptions add GV002 --object ast_… --expires 2027-01-31 --justification …`.",
                false_positives: "Findings already dealt with but not yet marked fixed or false-positive; update their status.",
            },
        ),
        package: "airm.gv002",
        file: "GV002_production_open_findings.rego",
        source: include_str!("../policies/GV002_production_open_findings.rego"),
        facts: &["assets[].production", "assets[].production_systems", "assets[].open_findings"],
    },
    BuiltinPolicy {
        meta: meta(
            "GV003",
            "production-model-unsigned",
            "A model used in production has no verified signature.",
            Severity::High,
            &[Reference::Atlas("AML.T0010"), Reference::OwaspLlm("LLM03")],
            RuleDocs {
                what: "Model assets used by production systems without a verified signature (`assets[].signed_by`). airm cannot verify model signatures yet (`signing.available` is false), so the policy reports each such model as missing evidence at severity info instead of high.",
                why: "Without a signature nobody can show that the model in production is the one that was reviewed and approved; swapped or poisoned weights go unnoticed (supply-chain attacks on model hubs).",
                example: "A production system uses `model.safetensors` downloaded from a hub with no signature.",
                remediation: "Sign models at release (e.g. Sigstore model signing) and record the verified signer; until airm verifies signatures, keep the provenance (`source`, `revision`) pinned.",
                false_positives: "Every production model is reported while signature verification is unavailable; this is the documented 'no evidence' state, at severity info.",
            },
        ),
        package: "airm.gv003",
        file: "GV003_production_model_unsigned.rego",
        source: include_str!("../policies/GV003_production_model_unsigned.rego"),
        facts: &["assets[].production", "assets[].kind", "assets[].signed_by", "signing.available"],
    },
    BuiltinPolicy {
        meta: meta(
            "GV004",
            "public-llm-without-gateway",
            "A public-facing LLM system is not fronted by the airm gateway with a guard policy.",
            Severity::High,
            &[Reference::OwaspLlm("LLM01"), Reference::Atlas("AML.T0051")],
            RuleDocs {
                what: "Systems with `llm: true` and `exposure: public`, beyond the design stage and not retired, that have no `gateway_policy`.",
                why: "Anyone on the internet can send prompt injections and jailbreaks to a public LLM; without a guard in front, nothing checks inputs and outputs or records abuse.",
                example: "`airm systems add support-bot --exposure public --lifecycle production --llm`",
                remediation: "Route the system's traffic through the airm gateway with a guard policy and record it: `airm systems set support-bot --gateway-policy default`.",
                false_positives: "Systems fronted by another guard product; record an exception naming it.",
            },
        ),
        package: "airm.gv004",
        file: "GV004_public_llm_gateway.rego",
        source: include_str!("../policies/GV004_public_llm_gateway.rego"),
        facts: &["systems[].llm", "systems[].exposure", "systems[].lifecycle", "systems[].gateway_policy"],
    },
    BuiltinPolicy {
        meta: meta(
            "GV005",
            "impact-assessment-missing-or-stale",
            "A system processing personal data has no impact assessment completed in the last 12 months.",
            Severity::High,
            &[Reference::Url("https://gdpr-info.eu/art-35-gdpr/")],
            RuleDocs {
                what: "Systems beyond the design stage and not retired whose data categories include `personal`, `special-category` or `children`, and whose `impact_assessed_ms` is absent or more than 365 days before `now_ms`.",
                why: "GDPR Art. 35 requires a data-protection impact assessment for high-risk processing, and the EU AI Act (Art. 27) a fundamental-rights impact assessment for some deployers; an assessment older than a year no longer describes the system.",
                example: "`airm systems add hr-screening --data personal --lifecycle production` with no `--impact-assessed` date.",
                remediation: "Complete (or review) the assessment and record the date: `airm systems set hr-screening --impact-assessed 2026-11-30`.",
                false_positives: "Assessments kept outside airm; record their completion date.",
            },
        ),
        package: "airm.gv005",
        file: "GV005_impact_assessment_current.rego",
        source: include_str!("../policies/GV005_impact_assessment_current.rego"),
        facts: &["systems[].data_categories", "systems[].impact_assessed_ms", "systems[].lifecycle", "now_ms"],
    },
    BuiltinPolicy {
        meta: meta(
            "GV006",
            "high-risk-system-without-oversight",
            "An EU AI Act high-risk system lacks recorded human-oversight or logging controls.",
            Severity::High,
            &[Reference::Url("https://artificialintelligenceact.eu/article/14/")],
            RuleDocs {
                what: "Systems classified in the EU AI Act `high` tier (not retired) whose `controls` do not include `human-oversight` (Art. 14) or `logging` (Art. 12); one violation per missing control.",
                why: "High-risk systems must allow effective human oversight and automatically record events over their lifetime; missing either is a direct compliance gap.",
                example: "`airm systems set credit-scoring --eu-tier high` with no controls recorded.",
                remediation: "Put the controls in place and record them: `airm systems set credit-scoring --control human-oversight --control logging`.",
                false_positives: "Controls that exist but are not recorded in airm.",
            },
        ),
        package: "airm.gv006",
        file: "GV006_high_risk_controls.rego",
        source: include_str!("../policies/GV006_high_risk_controls.rego"),
        facts: &["systems[].eu_ai_act_tier", "systems[].controls", "systems[].lifecycle"],
    },
    BuiltinPolicy {
        meta: meta(
            "GV007",
            "alert-past-sla-not-escalated",
            "An open alert is older than its SLA and has not been escalated.",
            Severity::Medium,
            &[Reference::Url("https://airc.nist.gov/airmf-resources/airmf/5-sec-core/")],
            RuleDocs {
                what: "Entries of `alerts` with status `open`, not `escalated`, opened at least `sla_hours` hours before `now_ms`.",
                why: "An alert nobody acts on within its SLA is a silent failure of the escalation procedure (NIST AI RMF MANAGE 4).",
                example: "A drift alert with a 24-hour SLA, opened two days ago, still open and not escalated.",
                remediation: "Acknowledge and act on the alert, or run `airm policy escalate` so the owner, risk owner and committee are notified in turn.",
                false_positives: "Alerts resolved outside airm but not closed in it. The input's `alerts` are the open monitoring alerts (`airm monitor`), with an SLA by severity: 4 hours critical, 24 high, 72 medium, 168 below; `system` holds the alert's model. `escalated` is false for them: the GV007 violation itself is what `airm policy escalate` escalates.",
            },
        ),
        package: "airm.gv007",
        file: "GV007_alert_sla_escalation.rego",
        source: include_str!("../policies/GV007_alert_sla_escalation.rego"),
        facts: &["alerts[]", "now_ms"],
    },
];

/// The built-in policies, sorted by id.
pub fn builtin_policies() -> &'static [BuiltinPolicy] {
    POLICIES
}

/// The built-in policies' metadata, for the rule registry (`airm rules list`).
pub fn rules() -> Vec<&'static RuleMeta> {
    POLICIES.iter().map(|p| &p.meta).collect()
}

/// Finds a built-in policy by id (case-insensitive) or name.
pub fn find(id_or_name: &str) -> Option<&'static BuiltinPolicy> {
    POLICIES
        .iter()
        .find(|p| p.meta.id.eq_ignore_ascii_case(id_or_name) || p.meta.name == id_or_name)
}

impl BuiltinPolicy {
    /// The policy's documentation as Markdown: the rule docs plus the facts it reads.
    pub fn to_markdown(&self) -> String {
        let facts: Vec<String> = self.facts.iter().map(|f| format!("- `{f}`")).collect();
        format!(
            "{}\n## Facts it needs\n\n{}\n",
            self.meta.to_markdown(),
            facts.join("\n")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_is_valid_and_sorted() {
        airm_core::validate_registry(&rules()).unwrap();
        for p in builtin_policies() {
            assert!(
                p.source.contains(&format!("package {}", p.package)),
                "{}",
                p.meta.id
            );
            assert!(p.file.starts_with(p.meta.id));
            assert!(!p.facts.is_empty());
        }
        assert_eq!(find("gv004").map(|p| p.meta.id), Some("GV004"));
        assert!(p_md().contains("## Facts it needs"));
    }

    fn p_md() -> String {
        builtin_policies()[0].to_markdown()
    }
}
