//! The risk-ranked inventory: each stored asset with the facts discovery recorded, its open
//! findings, the AI systems that use it, and its risk score
//! ([`airm_core::inventory`]). Shared by the CLI (`airm inventory`) and the API/dashboard
//! so both rank and explain assets the same way. Reads only.

use std::collections::HashMap;

use airm_core::{
    risk_score, AiSystem, Asset, AssetKind, Finding, FindingStatus, RiskInputs, RiskScore,
};
use serde::Serialize;
use serde_json::Value;

use crate::model::{AssetFilter, FindingFilter, Page};
use crate::{Result, Store};

/// Most assets ranked in one inventory listing.
pub const MAX_INVENTORY: usize = 20_000;

/// One ranked asset.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InventoryItem {
    /// The asset.
    pub asset: Asset,
    /// What discovery recorded about it (`{}` when nothing).
    pub facts: Value,
    /// Its score, importance, priority and the factors behind them.
    pub risk: RiskScore,
    /// Its open findings, most severe first.
    pub findings: Vec<Finding>,
}

fn is_commit(rev: &str) -> bool {
    rev.len() == 40 && rev.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The score inputs of an asset (pure; the formula is in `airm_core::inventory`).
pub fn inputs(
    asset: &Asset,
    facts: &Value,
    findings: &[Finding],
    systems: &[AiSystem],
) -> RiskInputs {
    let open: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.status == FindingStatus::Open)
        .collect();
    let has = |k: &str| match facts.get(k) {
        Some(Value::Array(a)) => !a.is_empty(),
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) => n.as_u64().unwrap_or(0) > 0,
        Some(Value::Null) | None => false,
        Some(_) => true,
    };
    let holds_personal_data = has("personal_data")
        || has("outputs_with_personal_data")
        || open
            .iter()
            .any(|f| f.rule_id == "AS004" || f.rule_id == "AS005");
    let format = asset.format.as_deref().unwrap_or("");
    let model_file = asset.kind == AssetKind::Model
        && !asset.hashes.is_empty()
        && !matches!(format, "model-card" | "mlflow-model" | "huggingface-hub");
    let source = asset.provenance.source.as_deref().unwrap_or("");
    let pinned = match asset.kind {
        AssetKind::Model if has("unpinned") => Some(false),
        AssetKind::Model if source.starts_with("huggingface:") => {
            Some(asset.provenance.revision.as_deref().is_some_and(is_commit))
        }
        AssetKind::Library => Some(facts.get("version").is_some() || asset.location.contains('@')),
        _ => None,
    };
    let license_known = matches!(asset.kind, AssetKind::Model | AssetKind::Dataset)
        .then(|| asset.provenance.license.is_some());
    RiskInputs {
        kind: Some(asset.kind),
        open_findings: open.iter().map(|f| f.severity).collect(),
        exposures: systems.iter().map(|s| s.exposure).collect(),
        data: systems
            .iter()
            .flat_map(|s| s.data_categories.iter().copied())
            .collect(),
        holds_personal_data,
        signed: model_file.then(|| asset.provenance.signed_by.is_some()),
        pinned,
        license_known,
        importances: systems.iter().map(|s| s.importance).collect(),
    }
}

/// Loads what an asset's score needs and computes it. `systems` caches systems by name.
pub async fn assess(
    store: &dyn Store,
    asset: Asset,
    systems: &mut HashMap<String, Option<AiSystem>>,
) -> Result<InventoryItem> {
    let facts = store
        .asset_facts(&asset.id)
        .await?
        .unwrap_or_else(|| Value::Object(Default::default()));
    let findings = store
        .list_findings(
            &FindingFilter {
                asset_id: Some(asset.id.clone()),
                status: Some(FindingStatus::Open),
                ..Default::default()
            },
            Page::new(Page::MAX_LIMIT, 0),
        )
        .await?
        .items;
    let mut linked = Vec::new();
    for name in &asset.systems {
        if !systems.contains_key(name) {
            let s = store.get_system(name).await?;
            systems.insert(name.clone(), s);
        }
        if let Some(Some(s)) = systems.get(name) {
            linked.push(s.clone());
        }
    }
    let risk = risk_score(&inputs(&asset, &facts, &findings, &linked));
    Ok(InventoryItem {
        asset,
        facts,
        risk,
        findings,
    })
}

/// The inventory matching `filter`, highest priority first (then score, then name, then
/// id), at most [`MAX_INVENTORY`] assets.
pub async fn inventory(store: &dyn Store, filter: &AssetFilter) -> Result<Vec<InventoryItem>> {
    let mut assets = Vec::new();
    let mut offset = 0u64;
    loop {
        let page = store
            .list_assets(filter, Page::new(Page::MAX_LIMIT, offset))
            .await?;
        let n = page.items.len();
        assets.extend(page.items);
        offset += n as u64;
        if n == 0 || offset >= page.total || assets.len() >= MAX_INVENTORY {
            break;
        }
    }
    assets.truncate(MAX_INVENTORY);
    let mut cache = HashMap::new();
    let mut items = Vec::with_capacity(assets.len());
    for a in assets {
        items.push(assess(store, a, &mut cache).await?);
    }
    items.sort_by(|a, b| {
        b.risk
            .priority
            .cmp(&a.risk.priority)
            .then(b.risk.score.cmp(&a.risk.score))
            .then(a.asset.name.cmp(&b.asset.name))
            .then(a.asset.id.cmp(&b.asset.id))
    });
    Ok(items)
}

/// Every stored asset of a system (name or id) with its recorded facts, by kind and
/// location (the input of a system's AI-BOM).
pub async fn system_assets(store: &dyn Store, system: &str) -> Result<Vec<(Asset, Value)>> {
    let filter = AssetFilter {
        system: Some(system.to_string()),
        ..Default::default()
    };
    let mut out = Vec::new();
    let mut offset = 0u64;
    loop {
        let page = store
            .list_assets(&filter, Page::new(Page::MAX_LIMIT, offset))
            .await?;
        let n = page.items.len();
        for a in page.items {
            let facts = store
                .asset_facts(&a.id)
                .await?
                .unwrap_or_else(|| Value::Object(Default::default()));
            out.push((a, facts));
        }
        offset += n as u64;
        if n == 0 || offset >= page.total || out.len() >= MAX_INVENTORY {
            break;
        }
    }
    out.sort_by(|(a, _), (b, _)| (a.kind, &a.location).cmp(&(b.kind, &b.location)));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use airm_core::{ContentHash, Provenance, Severity, Timestamp};

    fn model(license: Option<&str>, source: Option<&str>, rev: Option<&str>) -> Asset {
        Asset {
            id: "ast_1".into(),
            kind: AssetKind::Model,
            name: "m".into(),
            location: "/m".into(),
            hashes: vec![ContentHash {
                alg: "sha256".into(),
                hex: "00".into(),
            }],
            format: Some("safetensors".into()),
            size: Some(1),
            provenance: Provenance {
                source: source.map(str::to_string),
                revision: rev.map(str::to_string),
                license: license.map(str::to_string),
                signed_by: None,
            },
            systems: vec![],
            first_seen: Timestamp(0),
            last_seen: Timestamp(0),
        }
    }

    #[test]
    fn provenance_inputs() {
        let i = inputs(&model(None, None, None), &Value::Null, &[], &[]);
        assert_eq!(i.signed, Some(false));
        assert_eq!(i.pinned, None);
        assert_eq!(i.license_known, Some(false));
        let commit = "0123456789abcdef0123456789abcdef01234567";
        let i = inputs(
            &model(Some("mit"), Some("huggingface:a/b"), Some(commit)),
            &Value::Null,
            &[],
            &[],
        );
        assert_eq!((i.pinned, i.license_known), (Some(true), Some(true)));
        let i = inputs(
            &model(None, Some("huggingface:a/b"), Some("main")),
            &serde_json::json!({"unpinned": true}),
            &[],
            &[],
        );
        assert_eq!(i.pinned, Some(false));
        let mut lib = model(None, None, None);
        lib.kind = AssetKind::Library;
        lib.location = "pkg:pypi/torch".into();
        let i = inputs(&lib, &serde_json::json!({}), &[], &[]);
        assert_eq!(
            (i.pinned, i.signed, i.license_known),
            (Some(false), None, None)
        );
    }

    #[test]
    fn personal_data_and_open_findings_only() {
        let mut ds = model(None, None, None);
        ds.kind = AssetKind::Dataset;
        let f = |sev, status| Finding {
            id: "f".into(),
            rule_id: "MF001".into(),
            severity: sev,
            asset_id: None,
            location: Default::default(),
            message: String::new(),
            evidence: None,
            status,
            first_seen: Timestamp(0),
            last_seen: Timestamp(0),
            fingerprint: String::new(),
        };
        let i = inputs(
            &ds,
            &serde_json::json!({"personal_data": [{"column": "email"}]}),
            &[
                f(Severity::High, FindingStatus::Open),
                f(Severity::Critical, FindingStatus::Accepted),
            ],
            &[],
        );
        assert!(i.holds_personal_data);
        assert_eq!(i.open_findings, vec![Severity::High]);
    }
}
