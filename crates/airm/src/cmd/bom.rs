//! `airm bom PATH… | --system NAME`: the AI-BOM as CycloneDX 1.6 (or 1.7) JSON — of what
//! discovery finds under the paths (nothing is stored), or of the assets stored for a
//! registered AI system, with the facts discovery recorded about them.

use anyhow::Context as _;

use airm_core::{Asset, Timestamp};
use airm_scan::bom::{cyclonedx, valid_serial, BomOptions, SpecVersion};
use airm_scan::discover::DiscoveredAsset;
use airm_store::{AssetFilter, DynStore, Page};

use crate::cli::BomArgs;
use crate::context::Context;
use crate::output::Printer;

pub async fn run(args: BomArgs, ctx: &Context, p: &Printer) -> anyhow::Result<u8> {
    if let Some(s) = &args.serial {
        anyhow::ensure!(
            valid_serial(s),
            "--serial must look like urn:uuid:xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"
        );
    }
    let (assets, root_name, root_kind) = match &args.system {
        Some(name) => {
            let store = ctx.store().await?;
            let sys = store
                .get_system(name)
                .await?
                .with_context(|| format!("no AI system named `{name}`"))?;
            (system_assets(&store, &sys.name).await?, sys.name, "system")
        }
        None => {
            let mut opts = ctx.config.discover.clone();
            opts.no_ignore |= args.no_ignore;
            let d = super::discover::run_discovery(args.paths.clone(), opts).await?;
            let root = args
                .paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(",");
            (d.assets, root, "path")
        }
    };
    let opts = BomOptions {
        root_name,
        root_kind,
        timestamp: args.timestamp.unwrap_or_else(Timestamp::now).to_string(),
        serial: args.serial.clone(),
        spec: if args.spec == "1.7" {
            SpecVersion::V1_7
        } else {
            SpecVersion::V1_6
        },
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
    };
    let bom = cyclonedx(&assets, &opts);
    let text = serde_json::to_string_pretty(&bom)?;
    match &args.output {
        Some(path) => {
            std::fs::write(path, format!("{text}\n"))
                .with_context(|| format!("cannot write {}", path.display()))?;
            p.note(&format!(
                "Wrote CycloneDX {} AI-BOM with {} components to {}",
                opts.spec.as_str(),
                bom["components"].as_array().map_or(0, Vec::len),
                path.display()
            ));
        }
        None => p.line(&text),
    }
    Ok(0)
}

/// The stored assets of a system, as BOM input (with their recorded facts).
async fn system_assets(store: &DynStore, system: &str) -> anyhow::Result<Vec<DiscoveredAsset>> {
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
            let facts = store.asset_facts(&a.id).await?;
            out.push(from_stored(a, facts));
        }
        offset += n as u64;
        if n == 0 || offset >= page.total {
            break;
        }
    }
    out.sort_by(|a, b| (a.kind, &a.location).cmp(&(b.kind, &b.location)));
    Ok(out)
}

fn from_stored(a: Asset, facts: Option<serde_json::Value>) -> DiscoveredAsset {
    let hash = |alg: &str| {
        a.hashes
            .iter()
            .find(|h| h.alg == alg)
            .map(|h| h.hex.clone())
    };
    let mut d = DiscoveredAsset::new(a.kind, a.name.clone(), a.location.clone());
    d.format = a.format.clone();
    d.size = a.size;
    d.sha256 = hash("sha256");
    d.blake3 = hash("blake3");
    d.provenance = a.provenance.clone();
    if let Some(serde_json::Value::Object(m)) = facts {
        d.facts = m.into_iter().collect();
    }
    d
}
