//! `airm inventory list|show`: the stored assets ranked by risk × business importance,
//! and one asset with the factors of its score, its facts and its open findings. The
//! ranking and the formula are shared with the API (`airm_store::inventory`,
//! `airm_core::inventory`).

use anyhow::Context as _;

use airm_store::inventory::{assess, inventory, InventoryItem};
use airm_store::AssetFilter;

use crate::cli::InventoryCmd;
use crate::context::Context;
use crate::output::{Printer, Table};

pub async fn run(cmd: InventoryCmd, ctx: &Context, p: &Printer) -> anyhow::Result<u8> {
    let store = ctx.store().await?;
    match cmd {
        InventoryCmd::List {
            kind,
            system,
            query,
            limit,
        } => {
            let filter = AssetFilter {
                kind,
                system,
                query,
            };
            let mut items = inventory(store.as_ref(), &filter).await?;
            let total = items.len();
            items.truncate(limit);
            p.data(&items, || list_table(&items));
            p.note(&format!(
                "{} of {total} assets, by risk × importance",
                items.len()
            ));
        }
        InventoryCmd::Show { id } => {
            let asset = store
                .get_asset(&id)
                .await?
                .with_context(|| format!("no asset with id `{id}`"))?;
            let item = assess(store.as_ref(), asset, &mut Default::default()).await?;
            p.data(&item, || show(&item));
        }
    }
    Ok(0)
}

fn list_table(items: &[InventoryItem]) -> String {
    let mut t = Table::new(&[
        "PRIORITY", "RISK", "IMP", "KIND", "NAME", "SYSTEMS", "FINDINGS", "ID",
    ]);
    for i in items {
        t.row(vec![
            i.risk.priority.to_string(),
            i.risk.score.to_string(),
            i.risk.importance.to_string(),
            i.asset.kind.to_string(),
            i.asset.name.clone(),
            if i.asset.systems.is_empty() {
                "-".into()
            } else {
                i.asset.systems.join(",")
            },
            i.findings.len().to_string(),
            i.asset.id.clone(),
        ]);
    }
    t.render()
}

fn show(i: &InventoryItem) -> String {
    let a = &i.asset;
    let mut out = format!(
        "{} ({})\n  kind:       {}\n  location:   {}\n  format:     {}\n  size:       {}\n",
        a.name,
        a.id,
        a.kind,
        a.location,
        a.format.as_deref().unwrap_or("-"),
        a.size.map_or_else(|| "-".into(), |s| format!("{s} bytes")),
    );
    for h in &a.hashes {
        out.push_str(&format!("  {:<11} {}\n", format!("{}:", h.alg), h.hex));
    }
    let pv = &a.provenance;
    out.push_str(&format!(
        "  source:     {}\n  revision:   {}\n  licence:    {}\n  systems:    {}\n",
        pv.source.as_deref().unwrap_or("-"),
        pv.revision.as_deref().unwrap_or("-"),
        pv.license.as_deref().unwrap_or("unknown"),
        if a.systems.is_empty() {
            "- (not linked)".to_string()
        } else {
            a.systems.join(", ")
        },
    ));
    out.push_str(&format!(
        "\nrisk {} × importance {} = priority {}\n",
        i.risk.score, i.risk.importance, i.risk.priority
    ));
    let mut t = Table::new(&["FACTOR", "POINTS", "WHY"]);
    for f in &i.risk.factors {
        t.row(vec![
            f.factor.into(),
            f.points.to_string(),
            f.detail.clone(),
        ]);
    }
    out.push_str(&t.render());
    if let Some(obj) = i.facts.as_object().filter(|o| !o.is_empty()) {
        out.push_str("\nfacts\n");
        for (k, v) in obj {
            let v = match v {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            out.push_str(&format!("  {k}: {v}\n"));
        }
    }
    if !i.findings.is_empty() {
        out.push_str("\nopen findings\n");
        for f in &i.findings {
            out.push_str(&format!(
                "  {} {:<8} {}{}\n",
                f.rule_id,
                f.severity.as_str(),
                f.message,
                f.evidence
                    .as_deref()
                    .map(|e| format!(" [{e}]"))
                    .unwrap_or_default()
            ));
        }
    }
    out
}
