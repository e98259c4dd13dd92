//! The input document policies are evaluated against, and how it is built from airm's
//! state. The schema is documented in `docs/governance.md`; absent values are omitted
//! (never `null`), so a policy tests presence with `not s.owner`.
//!
//! Findings are not passed one by one: each asset carries its open-finding counts per
//! severity, so a policy over 10,000 assets and 100,000 findings stays a linear scan of
//! the assets. Production use is resolved here too (`assets[].production`).

use std::collections::HashMap;

use airm_core::{
    AiSystem, Approval, Asset, AssetFacts, Committee, Finding, FindingStatus, LifecycleStage,
    Person, PolicyException, RaciAssignment, Timestamp,
};
use serde::{Deserialize, Serialize};

/// Whether airm can verify model signatures (read by GV003 as `signing.available`).
pub const SIGNING_AVAILABLE: bool = false;

/// The whole input document (`input` in Rego).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PolicyInput {
    /// Evaluation time, RFC 3339.
    pub now: Timestamp,
    /// Evaluation time, milliseconds since the epoch (for arithmetic).
    pub now_ms: i64,
    /// AI systems.
    pub systems: Vec<SystemInput>,
    /// Assets with aggregated findings.
    pub assets: Vec<AssetInput>,
    /// Exceptions (all, with `active`).
    pub exceptions: Vec<ExceptionInput>,
    /// Approval requests.
    pub approvals: Vec<ApprovalInput>,
    /// Committees.
    pub committees: Vec<CommitteeInput>,
    /// People and their roles.
    pub people: Vec<PersonInput>,
    /// Open and closed alerts from connected alert sources.
    pub alerts: Vec<AlertInput>,
    /// What the signing capability can do.
    pub signing: SigningInput,
}

/// A system as policies see it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SystemInput {
    pub id: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub risk_owner: Option<String>,
    pub importance: u8,
    pub lifecycle: String,
    pub exposure: String,
    pub data_categories: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub eu_ai_act_tier: Option<String>,
    pub llm: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gateway_policy: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub impact_assessed_ms: Option<i64>,
    pub controls: Vec<String>,
    /// Ids of the assets it uses.
    pub assets: Vec<String>,
    /// RACI: emails per role (`responsible`, `accountable`, `consulted`, `informed`);
    /// roles without anyone are absent.
    pub raci: std::collections::BTreeMap<String, Vec<String>>,
}

/// Open findings per severity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeverityCounts {
    pub critical: u64,
    pub high: u64,
    pub medium: u64,
    pub low: u64,
    pub info: u64,
}

impl SeverityCounts {
    /// From counts indexed by [`Severity::rank`].
    pub fn from_ranks(c: [u64; 5]) -> Self {
        SeverityCounts {
            info: c[0],
            low: c[1],
            medium: c[2],
            high: c[3],
            critical: c[4],
        }
    }
}

/// An asset as policies see it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AssetInput {
    pub id: String,
    pub kind: String,
    pub name: String,
    pub location: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signed_by: Option<String>,
    /// Names of the systems using it.
    pub systems: Vec<String>,
    /// Whether any of them is in production.
    pub production: bool,
    /// Names of the production systems using it.
    pub production_systems: Vec<String>,
    /// Open findings per severity.
    pub open_findings: SeverityCounts,
}

/// An exception as policies see it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExceptionInput {
    pub id: String,
    pub policy: String,
    pub object: String,
    pub approver: String,
    pub expires_ms: i64,
    /// Not revoked and not expired at `now`.
    pub active: bool,
}

/// An approval request as policies see it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ApprovalInput {
    pub id: String,
    pub subject: String,
    pub action: String,
    pub committee: String,
    pub status: String,
    pub approvals: u32,
    pub rejections: u32,
    pub quorum: u32,
}

/// A committee as policies see it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CommitteeInput {
    pub name: String,
    pub members: Vec<String>,
    pub quorum: u32,
}

/// A person as policies see them.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PersonInput {
    pub email: String,
    pub role: String,
    pub active: bool,
}

/// An alert from a connected alert source (monitoring).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AlertInput {
    pub id: String,
    pub system: String,
    pub severity: String,
    /// `open` or `closed`.
    pub status: String,
    pub opened_ms: i64,
    pub sla_hours: u64,
    pub escalated: bool,
}

/// What the signing capability can do.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SigningInput {
    /// Whether signatures are verified (false until airm verifies model signatures).
    pub available: bool,
}

/// Everything the input is built from.
#[derive(Debug, Clone, Copy)]
pub struct Facts<'a> {
    pub now: Timestamp,
    pub systems: &'a [AiSystem],
    pub assets: &'a [AssetFacts],
    pub exceptions: &'a [PolicyException],
    pub approvals: &'a [Approval],
    pub committees: &'a [Committee],
    pub people: &'a [Person],
    pub raci: &'a [RaciAssignment],
}

/// Builds the input document. Linear in the number of systems and assets.
pub fn build_input(f: &Facts<'_>) -> PolicyInput {
    let mut lifecycle: HashMap<String, LifecycleStage> = HashMap::with_capacity(f.systems.len());
    for s in f.systems {
        lifecycle.insert(s.name.to_lowercase(), s.lifecycle);
    }
    let mut system_assets: HashMap<String, Vec<String>> = HashMap::new();
    let assets = f
        .assets
        .iter()
        .map(|a| {
            let production_systems: Vec<String> = a
                .systems
                .iter()
                .filter(|n| lifecycle.get(&n.to_lowercase()) == Some(&LifecycleStage::Production))
                .cloned()
                .collect();
            for n in &a.systems {
                system_assets
                    .entry(n.to_lowercase())
                    .or_default()
                    .push(a.id.clone());
            }
            AssetInput {
                id: a.id.clone(),
                kind: a.kind.to_string(),
                name: a.name.clone(),
                location: a.location.clone(),
                format: a.format.clone(),
                signed_by: a.signed_by.clone(),
                systems: a.systems.clone(),
                production: !production_systems.is_empty(),
                production_systems,
                open_findings: SeverityCounts::from_ranks(a.open_findings),
            }
        })
        .collect();
    let mut raci: HashMap<String, std::collections::BTreeMap<String, Vec<String>>> = HashMap::new();
    for r in f.raci {
        raci.entry(r.system.to_lowercase())
            .or_default()
            .entry(r.role.to_string())
            .or_default()
            .push(r.person.clone());
    }
    let systems = f
        .systems
        .iter()
        .map(|s| SystemInput {
            raci: raci.remove(&s.name.to_lowercase()).unwrap_or_default(),
            id: s.id.clone(),
            name: s.name.clone(),
            owner: s.owner.clone(),
            risk_owner: s.risk_owner.clone(),
            importance: s.importance,
            lifecycle: s.lifecycle.to_string(),
            exposure: s.exposure.to_string(),
            data_categories: s.data_categories.iter().map(ToString::to_string).collect(),
            eu_ai_act_tier: s.eu_ai_act_tier.map(|t| t.to_string()),
            llm: s.llm,
            gateway_policy: s.gateway_policy.clone(),
            impact_assessed_ms: s.impact_assessed_at.map(Timestamp::millis),
            controls: s.controls.clone(),
            assets: system_assets
                .remove(&s.name.to_lowercase())
                .unwrap_or_default(),
        })
        .collect();
    PolicyInput {
        now: f.now,
        now_ms: f.now.millis(),
        systems,
        assets,
        exceptions: f
            .exceptions
            .iter()
            .map(|e| ExceptionInput {
                id: e.id.clone(),
                policy: e.policy.clone(),
                object: e.object.clone(),
                approver: e.approver.clone(),
                expires_ms: e.expires_at.millis(),
                active: e.is_active(f.now),
            })
            .collect(),
        approvals: f
            .approvals
            .iter()
            .map(|a| {
                let (yes, no) = crate::approvals::tally(a);
                ApprovalInput {
                    id: a.id.clone(),
                    subject: a.subject.clone(),
                    action: a.action.clone(),
                    committee: a.committee.clone(),
                    status: a.status.to_string(),
                    approvals: yes,
                    rejections: no,
                    quorum: a.quorum,
                }
            })
            .collect(),
        committees: f
            .committees
            .iter()
            .map(|c| CommitteeInput {
                name: c.name.clone(),
                members: c.members.clone(),
                quorum: c.quorum,
            })
            .collect(),
        people: f
            .people
            .iter()
            .map(|p| PersonInput {
                email: p.email.clone(),
                role: p.role.to_string(),
                active: p.active,
            })
            .collect(),
        alerts: Vec::new(),
        signing: SigningInput {
            available: SIGNING_AVAILABLE,
        },
    }
}

/// Aggregates open findings per asset and severity (what the store does in SQL), for
/// callers that hold assets and findings in memory.
pub fn aggregate_findings(assets: &[Asset], findings: &[Finding]) -> Vec<AssetFacts> {
    let mut counts: HashMap<&str, [u64; 5]> = HashMap::with_capacity(assets.len());
    for f in findings {
        if f.status != FindingStatus::Open {
            continue;
        }
        if let Some(id) = &f.asset_id {
            let slot = counts.entry(id.as_str()).or_default();
            if let Some(c) = slot.get_mut(usize::from(f.severity.rank())) {
                *c += 1;
            }
        }
    }
    assets
        .iter()
        .map(|a| AssetFacts {
            id: a.id.clone(),
            kind: a.kind,
            name: a.name.clone(),
            location: a.location.clone(),
            format: a.format.clone(),
            signed_by: a.provenance.signed_by.clone(),
            systems: a.systems.clone(),
            open_findings: counts.get(a.id.as_str()).copied().unwrap_or_default(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use airm_core::{AssetKind, ContentHash, Exposure, Location, Provenance, Severity};

    pub(crate) fn system(name: &str, stage: LifecycleStage) -> AiSystem {
        AiSystem {
            id: format!("sys_{name}"),
            name: name.into(),
            purpose: String::new(),
            owner: None,
            risk_owner: None,
            importance: 3,
            lifecycle: stage,
            exposure: Exposure::Internal,
            data_categories: vec![],
            eu_ai_act_tier: None,
            llm: false,
            gateway_policy: None,
            impact_assessed_at: None,
            controls: vec![],
            created_at: Timestamp(0),
            updated_at: Timestamp(0),
            version: 1,
        }
    }

    #[test]
    fn aggregates_open_findings_and_resolves_production() {
        let asset = Asset {
            id: "ast_1".into(),
            kind: AssetKind::Model,
            name: "m.pkl".into(),
            location: "/m.pkl".into(),
            hashes: vec![ContentHash {
                alg: "sha256".into(),
                hex: "00".into(),
            }],
            format: None,
            size: None,
            provenance: Provenance::default(),
            systems: vec!["Prod".into(), "dev".into()],
            first_seen: Timestamp(0),
            last_seen: Timestamp(0),
        };
        let finding = |sev: Severity, status: FindingStatus| Finding {
            id: "f".into(),
            rule_id: "MF001".into(),
            severity: sev,
            asset_id: Some("ast_1".into()),
            location: Location::default(),
            message: String::new(),
            evidence: None,
            status,
            first_seen: Timestamp(0),
            last_seen: Timestamp(0),
            fingerprint: String::new(),
        };
        let facts = aggregate_findings(
            &[asset],
            &[
                finding(Severity::Critical, FindingStatus::Open),
                finding(Severity::High, FindingStatus::Fixed),
                finding(Severity::Low, FindingStatus::Open),
            ],
        );
        assert_eq!(facts[0].open_findings, [0, 1, 0, 0, 1]);
        let systems = [
            system("prod", LifecycleStage::Production),
            system("dev", LifecycleStage::Development),
        ];
        let input = build_input(&Facts {
            now: Timestamp(5),
            systems: &systems,
            assets: &facts,
            exceptions: &[],
            approvals: &[],
            committees: &[],
            people: &[],
            raci: &[RaciAssignment {
                system: "PROD".into(),
                role: airm_core::RaciRole::Accountable,
                person: "a@x".into(),
            }],
        });
        assert_eq!(
            input.systems[0].raci["accountable"],
            vec!["a@x".to_string()]
        );
        assert!(input.assets[0].production);
        assert_eq!(input.assets[0].production_systems, vec!["Prod".to_string()]);
        assert_eq!(input.assets[0].open_findings.critical, 1);
        assert_eq!(input.systems[0].assets, vec!["ast_1".to_string()]);
        let json = serde_json::to_value(&input).unwrap();
        assert!(
            json["systems"][0].get("owner").is_none(),
            "absent, not null"
        );
    }
}
