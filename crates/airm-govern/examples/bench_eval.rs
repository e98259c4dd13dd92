//! Benchmark: evaluates every built-in policy over a synthetic inventory (default 1,000
//! systems, 10,000 assets, 100,000 findings) and prints the time of each phase.
//! Run with `bench/govern.sh` (release build). Arguments: ASSETS FINDINGS RUNS.

use std::time::Instant;

use airm_core::{
    AiSystem, Asset, AssetKind, DataCategory, EuAiActTier, Exposure, Finding, FindingStatus,
    LifecycleStage, Location, Provenance, Severity, Timestamp,
};
use airm_govern::input::aggregate_findings;
use airm_govern::{build_input, Facts, PolicySet};

fn arg(i: usize, default: usize) -> usize {
    std::env::args()
        .nth(i)
        .and_then(|a| a.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let n_assets = arg(1, 10_000);
    let n_findings = arg(2, 100_000);
    let runs = arg(3, 5).max(1);
    let n_systems = (n_assets / 10).max(1);
    let now = Timestamp::now();
    let stages = LifecycleStage::ALL;
    let systems: Vec<AiSystem> = (0..n_systems)
        .map(|i| AiSystem {
            id: format!("sys_{i}"),
            name: format!("system-{i}"),
            purpose: String::new(),
            owner: (i % 7 != 0).then(|| format!("owner{i}@example.com")),
            risk_owner: (i % 5 != 0).then(|| format!("risk{}@example.com", i % 13)),
            importance: (i % 5) as u8 + 1,
            lifecycle: stages[i % stages.len()],
            exposure: if i % 3 == 0 {
                Exposure::Public
            } else {
                Exposure::Internal
            },
            data_categories: if i % 4 == 0 {
                vec![DataCategory::Personal]
            } else {
                vec![]
            },
            eu_ai_act_tier: (i % 6 == 0).then_some(EuAiActTier::High),
            llm: i % 2 == 0,
            gateway_policy: (i % 4 == 0).then(|| "default".into()),
            impact_assessed_at: (i % 8 == 0).then(|| now.plus_days(-400)),
            controls: if i % 12 == 0 {
                vec!["logging".into()]
            } else {
                vec![]
            },
            created_at: now,
            updated_at: now,
            version: 1,
        })
        .collect();
    let assets: Vec<Asset> = (0..n_assets)
        .map(|i| Asset {
            id: format!("ast_{i}"),
            kind: if i % 2 == 0 {
                AssetKind::Model
            } else {
                AssetKind::Dataset
            },
            name: format!("asset-{i}"),
            location: format!("/data/asset-{i}"),
            hashes: vec![],
            format: None,
            size: None,
            provenance: Provenance::default(),
            systems: vec![format!("system-{}", i % n_systems)],
            first_seen: now,
            last_seen: now,
        })
        .collect();
    let findings: Vec<Finding> = (0..n_findings)
        .map(|i| Finding {
            id: format!("fnd_{i}"),
            rule_id: "MF001".into(),
            severity: Severity::ALL[i % 5],
            asset_id: Some(format!("ast_{}", (i * 7919) % n_assets.max(1))),
            location: Location::default(),
            message: String::new(),
            evidence: None,
            status: if i % 3 == 0 {
                FindingStatus::Fixed
            } else {
                FindingStatus::Open
            },
            first_seen: now,
            last_seen: now,
            fingerprint: String::new(),
        })
        .collect();

    let mut times = Vec::new();
    let mut count = 0;
    for _ in 0..runs {
        let t0 = Instant::now();
        let facts = aggregate_findings(&assets, &findings);
        let t1 = Instant::now();
        let input = build_input(&Facts {
            now,
            systems: &systems,
            assets: &facts,
            exceptions: &[],
            approvals: &[],
            committees: &[],
            people: &[],
            raci: &[],
        });
        let json = serde_json::to_value(&input).unwrap_or_default();
        let t2 = Instant::now();
        let mut set = PolicySet::new(&[]).unwrap_or_else(|e| panic!("{e}"));
        let eval = set.evaluate(json);
        let t3 = Instant::now();
        assert!(eval.errors.is_empty(), "{:?}", eval.errors);
        count = eval.violations.len();
        times.push((t1 - t0, t2 - t1, t3 - t2, t3 - t0));
    }
    times.sort_by_key(|t| t.3);
    let (agg, build, eval, total) = times[times.len() / 2];
    println!(
        "systems={n_systems} assets={n_assets} findings={n_findings} violations={count} runs={runs} \
         median: aggregate={:.1}ms input={:.1}ms evaluate={:.1}ms total={:.1}ms",
        agg.as_secs_f64() * 1e3,
        build.as_secs_f64() * 1e3,
        eval.as_secs_f64() * 1e3,
        total.as_secs_f64() * 1e3,
    );
}
