//! The inventory risk score of an asset: a documented, explainable formula over what is
//! known about the asset — its open findings, the exposure and data of the AI systems that
//! use it, the personal data it holds, and its provenance — and the priority that orders
//! the inventory: score × business importance of its most important system.
//!
//! ```text
//! score      = min(100, findings + exposure + data + provenance)
//! findings   = min(50, Σ open findings: critical 25, high 12, medium 5, low 1, info 0)
//! exposure   = most exposed linked system: public 20, partner 10, internal 3; unlinked 5
//! data       = most sensitive category of linked systems: special-category, children,
//!              credentials 15; personal, financial 10; confidential 6; internal 2;
//!              public 0 — at least 10 when the asset itself holds personal data
//! provenance = min(15, unsigned model file 5 + unpinned (hub revision or package
//!              version) 5 + unknown licence of a model or dataset 5)
//! priority   = score × importance (importance of the most important linked system,
//!              1–5; unlinked assets count as 3 until linked)
//! ```
//!
//! Every term is returned as a [`RiskFactor`] with its points and a sentence, so
//! `airm inventory show` can explain a score. Pure: no I/O.

use serde::Serialize;

use crate::{AssetKind, DataCategory, Exposure, Severity};

/// Importance assumed for an asset no system claims yet.
pub const UNLINKED_IMPORTANCE: u8 = 3;

/// What the score is computed from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RiskInputs {
    /// Kind of asset (provenance terms depend on it).
    pub kind: Option<AssetKind>,
    /// Severities of the asset's open findings.
    pub open_findings: Vec<Severity>,
    /// Exposure of each linked system (empty: not linked).
    pub exposures: Vec<Exposure>,
    /// Data categories of the linked systems.
    pub data: Vec<DataCategory>,
    /// Whether the asset itself holds personal data (dataset columns, notebook outputs).
    pub holds_personal_data: bool,
    /// For model files: whether a signature verified.
    pub signed: Option<bool>,
    /// For hub references and packages: whether a revision or exact version is pinned.
    pub pinned: Option<bool>,
    /// For models and datasets: whether the licence is known.
    pub license_known: Option<bool>,
    /// Importance of each linked system (1–5).
    pub importances: Vec<u8>,
}

/// One term of the score.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RiskFactor {
    /// Term: `findings`, `exposure`, `data`, `provenance`.
    pub factor: &'static str,
    /// Points it adds.
    pub points: u32,
    /// Why, one sentence.
    pub detail: String,
}

/// A score and its explanation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RiskScore {
    /// 0–100.
    pub score: u32,
    /// Business importance used (1–5).
    pub importance: u8,
    /// score × importance (0–500): the inventory's sort key.
    pub priority: u32,
    /// The terms, in formula order (zero terms included, so nothing is hidden).
    pub factors: Vec<RiskFactor>,
}

fn severity_points(s: Severity) -> u32 {
    match s {
        Severity::Critical => 25,
        Severity::High => 12,
        Severity::Medium => 5,
        Severity::Low => 1,
        Severity::Info => 0,
    }
}

fn data_points(c: DataCategory) -> u32 {
    match c {
        DataCategory::SpecialCategory | DataCategory::Children | DataCategory::Credentials => 15,
        DataCategory::Personal | DataCategory::Financial => 10,
        DataCategory::Confidential => 6,
        DataCategory::Internal => 2,
        DataCategory::Public => 0,
    }
}

/// Computes the score of an asset.
pub fn risk_score(i: &RiskInputs) -> RiskScore {
    let mut factors = Vec::with_capacity(4);

    let raw: u32 = i.open_findings.iter().map(|s| severity_points(*s)).sum();
    let findings = raw.min(50);
    let count = |s: Severity| i.open_findings.iter().filter(|x| **x == s).count();
    factors.push(RiskFactor {
        factor: "findings",
        points: findings,
        detail: if i.open_findings.is_empty() {
            "no open findings".into()
        } else {
            format!(
                "{} open finding(s): {} critical, {} high, {} medium, {} low{}",
                i.open_findings.len(),
                count(Severity::Critical),
                count(Severity::High),
                count(Severity::Medium),
                count(Severity::Low),
                if raw > 50 { " (capped at 50)" } else { "" }
            )
        },
    });

    let (exposure, detail) = match i.exposures.iter().max() {
        None => (
            5,
            "not linked to an AI system; exposure unknown".to_string(),
        ),
        Some(Exposure::Public) => (20, "used by a public system".into()),
        Some(Exposure::Partner) => (10, "used by a partner-facing system".into()),
        Some(Exposure::Internal) => (3, "used by internal systems only".into()),
    };
    factors.push(RiskFactor {
        factor: "exposure",
        points: exposure,
        detail,
    });

    let top = i.data.iter().copied().max_by_key(|c| data_points(*c));
    let mut data = top.map_or(0, data_points);
    let mut detail = match top {
        Some(c) => format!("linked systems process {c} data"),
        None => "no data categories recorded for linked systems".into(),
    };
    if i.holds_personal_data && data < 10 {
        data = 10;
        detail = "the asset itself holds what looks like personal data".into();
    } else if i.holds_personal_data {
        detail.push_str("; the asset itself holds what looks like personal data");
    }
    factors.push(RiskFactor {
        factor: "data",
        points: data,
        detail,
    });

    let mut prov = 0;
    let mut why = Vec::new();
    if i.signed == Some(false) {
        prov += 5;
        why.push("unsigned model file");
    }
    if i.pinned == Some(false) {
        prov += 5;
        why.push(if i.kind == Some(AssetKind::Library) {
            "version not pinned"
        } else {
            "hub revision not pinned to a commit"
        });
    }
    if i.license_known == Some(false) {
        prov += 5;
        why.push("licence unknown");
    }
    factors.push(RiskFactor {
        factor: "provenance",
        points: prov.min(15),
        detail: if why.is_empty() {
            "no provenance gaps known".into()
        } else {
            why.join(", ")
        },
    });

    let score = factors.iter().map(|f| f.points).sum::<u32>().min(100);
    let importance = i
        .importances
        .iter()
        .copied()
        .max()
        .unwrap_or(UNLINKED_IMPORTANCE)
        .clamp(1, 5);
    RiskScore {
        score,
        importance,
        priority: score * u32::from(importance),
        factors,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_unlinked_asset() {
        let s = risk_score(&RiskInputs::default());
        assert_eq!(s.score, 5);
        assert_eq!(s.importance, 3);
        assert_eq!(s.priority, 15);
        assert_eq!(s.factors.len(), 4);
    }

    #[test]
    fn every_term_counts_and_caps_hold() {
        let i = RiskInputs {
            kind: Some(AssetKind::Model),
            open_findings: vec![Severity::Critical, Severity::High, Severity::Low],
            exposures: vec![Exposure::Internal, Exposure::Public],
            data: vec![DataCategory::Internal, DataCategory::Personal],
            holds_personal_data: false,
            signed: Some(false),
            pinned: Some(false),
            license_known: Some(false),
            importances: vec![2, 5],
        };
        let s = risk_score(&i);
        let pts: Vec<u32> = s.factors.iter().map(|f| f.points).collect();
        assert_eq!(pts, vec![38, 20, 10, 15]);
        assert_eq!(s.score, 83);
        assert_eq!(s.priority, 415);
        let many = RiskInputs {
            open_findings: vec![Severity::Critical; 10],
            exposures: vec![Exposure::Public],
            data: vec![DataCategory::SpecialCategory],
            signed: Some(false),
            pinned: Some(false),
            license_known: Some(false),
            ..RiskInputs::default()
        };
        let s = risk_score(&many);
        assert_eq!(s.factors[0].points, 50);
        assert_eq!(s.score, 100);
        assert!(s.factors[0].detail.contains("capped"));
    }

    #[test]
    fn personal_data_in_the_asset_raises_data() {
        let i = RiskInputs {
            holds_personal_data: true,
            data: vec![DataCategory::Internal],
            ..RiskInputs::default()
        };
        assert_eq!(risk_score(&i).factors[2].points, 10);
        let j = RiskInputs {
            holds_personal_data: true,
            data: vec![DataCategory::Children],
            ..RiskInputs::default()
        };
        assert_eq!(risk_score(&j).factors[2].points, 15);
    }
}
