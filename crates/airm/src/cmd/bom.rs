//! `airm bom PATH… | --system NAME`: the AI-BOM as CycloneDX 1.6 (or 1.7) JSON — of what
//! discovery finds under the paths (nothing is stored), or of the assets stored for a
//! registered AI system, with the facts discovery recorded about them.

use anyhow::Context as _;

use airm_core::Timestamp;
use airm_scan::bom::{cyclonedx, input_of, valid_serial, BomOptions, SpecVersion};

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
            let assets = airm_store::inventory::system_assets(store.as_ref(), &sys.id)
                .await?
                .iter()
                .map(|(a, f)| input_of(a, f))
                .collect();
            (assets, sys.name, "system")
        }
        None => {
            let mut opts = ctx.config.discover.clone();
            opts.no_ignore |= args.no_ignore;
            opts.cache &= !args.no_cache;
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
