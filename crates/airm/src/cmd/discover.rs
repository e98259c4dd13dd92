//! `airm discover PATH…`: walks the paths once in parallel, finds AI assets of every family
//! (model files, model cards and MLflow models, datasets, notebooks, AI packages, AI usage
//! and keys in code, AI infrastructure as code), prints them (table or JSON), and records
//! assets, their facts and `AS` findings in the store, linked to AI systems by
//! `--system` and the `[[inventory.systems]]` path rules. `airm scan` runs the same
//! discovery next to its model scan ([`run_discovery`], [`store_discovery`]).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use globset::{Glob, GlobSet, GlobSetBuilder};
use serde_json::Value;

use airm_core::{AssetKind, Timestamp};
use airm_scan::discover::{
    absolute_location, default_cache_dir, discover, discover_cached, DiscoverOptions, Discovery,
    RunCache,
};
use airm_store::DynStore;

use crate::cli::DiscoverArgs;
use crate::config::SystemPaths;
use crate::context::{record, Context};
use crate::output::{Printer, Table};

pub async fn run(args: DiscoverArgs, ctx: &Context, p: &Printer) -> anyhow::Result<u8> {
    let mut opts = ctx.config.discover.clone();
    opts.no_ignore |= args.no_ignore;
    opts.cache &= !args.no_cache;
    opts.exclude.extend(args.exclude.iter().cloned());
    if let Some(m) = args.max_file_size {
        opts.max_file_size = m;
    }
    if let Some(t) = args.threads {
        opts.threads = t;
    }
    let d = run_discovery(args.paths.clone(), opts).await?;
    if !args.no_store {
        let store = ctx.store().await?;
        let stored = store_discovery(
            &store,
            &d,
            args.system.as_deref(),
            &ctx.config.inventory.systems,
        )
        .await?;
        record(
            &store,
            "discover.run",
            None,
            serde_json::json!({"assets": d.assets.len(), "findings": d.findings.len(),
                "files": d.stats.files, "assets_stored": stored}),
        )
        .await?;
    }
    p.data(&d, || table(&d));
    p.note(&summary(&d));
    let failing = args
        .fail_on
        .0
        .is_some_and(|min| d.findings.iter().any(|f| f.finding.severity >= min));
    Ok(u8::from(failing))
}

/// Runs discovery on a blocking thread.
pub async fn run_discovery(
    paths: Vec<PathBuf>,
    opts: DiscoverOptions,
) -> anyhow::Result<Discovery> {
    for p in &paths {
        std::fs::symlink_metadata(p).with_context(|| format!("cannot read {}", p.display()))?;
    }
    tokio::task::spawn_blocking(move || {
        // The discovery cache, when on and a cache directory is known.
        let cache = opts
            .cache
            .then(default_cache_dir)
            .flatten()
            .and_then(|dir| RunCache::open(&dir, &paths, &opts));
        let Some(cache) = cache else {
            return discover(&paths, &opts);
        };
        let (d, used) = discover_cached(&paths, &opts, &cache);
        tracing::debug!(
            cache = %cache.path().display(),
            reused = used.reused,
            records = used.records,
            "discovery cache"
        );
        if let Some(e) = used.save_error {
            tracing::warn!(cache = %cache.path().display(), error = %e, "cannot write the discovery cache");
        }
        d
    })
    .await
    .context("discovery was interrupted")
}

/// One line: what was found.
pub fn summary(d: &Discovery) -> String {
    let mut counts: Vec<(AssetKind, usize)> = Vec::new();
    for a in &d.assets {
        match counts.iter_mut().find(|(k, _)| *k == a.kind) {
            Some(c) => c.1 += 1,
            None => counts.push((a.kind, 1)),
        }
    }
    let kinds: Vec<String> = counts.iter().map(|(k, n)| format!("{n} {k}")).collect();
    format!(
        "Discovered {} AI assets in {} files{}{}; {} findings",
        d.assets.len(),
        d.stats.files,
        if kinds.is_empty() { "" } else { ": " },
        kinds.join(", "),
        d.findings.len()
    )
}

pub fn table(d: &Discovery) -> String {
    let mut t = Table::new(&["KIND", "NAME", "FORMAT", "LOCATION"]);
    for a in &d.assets {
        t.row(vec![
            a.kind.to_string(),
            a.name.clone(),
            a.format.clone().unwrap_or_else(|| "-".into()),
            a.location.clone(),
        ]);
    }
    let mut out = t.render();
    if !d.findings.is_empty() {
        out.push('\n');
        for f in &d.findings {
            let at = match (&f.line, &f.finding.member) {
                (Some(l), _) => format!(":{l}"),
                (None, Some(m)) => format!(" ({m})"),
                (None, None) => String::new(),
            };
            out.push_str(&format!(
                "  {} {:<8} {}{}: {}{}\n",
                f.finding.rule_id,
                f.finding.severity.as_str(),
                f.path,
                at,
                f.finding.message,
                f.finding
                    .evidence
                    .as_deref()
                    .map(|e| format!(" [{e}]"))
                    .unwrap_or_default()
            ));
        }
    }
    out
}

/// Compiled `[[inventory.systems]]` rules.
struct PathRules(Vec<(String, GlobSet)>);

impl PathRules {
    fn new(rules: &[SystemPaths]) -> anyhow::Result<Self> {
        let mut out = Vec::new();
        for r in rules {
            let mut b = GlobSetBuilder::new();
            for g in &r.paths {
                b.add(Glob::new(g).with_context(|| {
                    format!("invalid glob `{g}` in [[inventory.systems]] `{}`", r.name)
                })?);
            }
            out.push((r.name.clone(), b.build()?));
        }
        Ok(PathRules(out))
    }

    /// Systems whose globs match `path` (as walked) or its absolute form.
    fn systems_for(&self, path: &str) -> Vec<String> {
        let abs = absolute_location(path);
        self.0
            .iter()
            .filter(|(_, set)| set.is_match(Path::new(path)) || set.is_match(Path::new(&abs)))
            .map(|(n, _)| n.clone())
            .collect()
    }
}

/// Where an asset is used or declared, for path rules: its file, or the files that use it.
fn places(a: &airm_scan::discover::DiscoveredAsset) -> Vec<String> {
    let mut out: Vec<String> = a.file_path().map(str::to_string).into_iter().collect();
    for key in ["used_in", "declared_in"] {
        if let Some(Value::Array(items)) = a.facts.get(key) {
            for v in items.iter().filter_map(|v| v.as_str()) {
                let file = v.split('#').next().unwrap_or(v);
                let file = match file.rsplit_once(':') {
                    Some((f, l)) if l.parse::<u32>().is_ok() => f,
                    _ => file,
                };
                out.push(file.to_string());
            }
        }
    }
    out
}

/// Stores assets (linked to systems), their facts and the findings; returns the number of
/// assets stored.
pub async fn store_discovery(
    store: &DynStore,
    d: &Discovery,
    system: Option<&str>,
    rules: &[SystemPaths],
) -> anyhow::Result<usize> {
    if let Some(s) = system {
        store.get_system(s).await?.with_context(|| {
            format!("no AI system named `{s}` (register it with `airm systems add`)")
        })?;
    }
    let rules = PathRules::new(rules)?;
    for (name, _) in &rules.0 {
        store.get_system(name).await?.with_context(|| {
            format!("[[inventory.systems]] names `{name}`, which is not registered (`airm systems add {name}`)")
        })?;
    }
    let now = Timestamp::now();
    // Location (as walked) → stored id, and file → id, to attach findings.
    let mut by_location: HashMap<String, String> = HashMap::new();
    let mut by_file: HashMap<String, String> = HashMap::new();
    for a in &d.assets {
        let mut systems: Vec<String> = system.map(str::to_string).into_iter().collect();
        for place in places(a) {
            for s in rules.systems_for(&place) {
                if !systems.contains(&s) {
                    systems.push(s);
                }
            }
        }
        let stored = store.upsert_asset(a.to_asset(now, systems)).await?;
        store
            .set_asset_facts(&stored.id, &serde_json::to_value(&a.facts)?)
            .await?;
        by_location.insert(a.location.clone(), stored.id.clone());
        if let Some(p) = a.file_path() {
            by_file.entry(p.to_string()).or_insert(stored.id.clone());
        }
    }
    for f in &d.findings {
        // The key or resource at that line, the hub model a download names, else the file.
        let at_line = f.line.map(|l| format!("{}:{l}", f.path));
        let in_cell = f.finding.member.as_ref().map(|m| format!("{}#{m}", f.path));
        let hub = matches!(f.finding.rule_id, "AS001" | "AS002")
            .then(|| {
                f.finding
                    .evidence
                    .as_ref()
                    .map(|e| format!("huggingface:{e}"))
            })
            .flatten();
        let asset_id = [at_line, in_cell, hub]
            .into_iter()
            .flatten()
            .find_map(|k| by_location.get(&k))
            .or_else(|| by_file.get(&f.path))
            .cloned();
        let mut finding = f.clone().into_finding(now);
        finding.asset_id = asset_id;
        store.upsert_finding(finding).await?;
    }
    Ok(d.assets.len())
}
