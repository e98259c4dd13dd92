//! `airm scan PATH…`: finds every file under the paths, detects its format from content,
//! scans it in parallel for malicious or unsafe model content, prints a verdict per file
//! (table, JSON or SARIF) and records model assets and findings in the store. Unless
//! `--no-discover`, it also runs AI asset discovery on the same paths (`airm discover`)
//! and records those assets and `AS` findings too.
//! A file that cannot be read is reported and the scan goes on.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use rayon::prelude::*;
use serde::Serialize;

use airm_core::{Asset, AssetKind, ContentHash, Provenance, Timestamp};
use airm_scan::{FileReport, Format as FileFormat, ScanConfig, Verdict};

use crate::cli::{Format, ScanArgs};
use crate::context::{record, Context};
use crate::output::{Printer, Table};

/// A file that could not be scanned.
#[derive(Debug, Serialize)]
struct ScanErrorView {
    path: String,
    error: String,
}

#[derive(Debug, Default, Serialize)]
struct Summary {
    files: u64,
    malicious: u64,
    suspicious: u64,
    unknown: u64,
    clean: u64,
    errors: u64,
    bytes: u64,
}

pub async fn run(args: ScanArgs, ctx: &Context, p: &Printer) -> anyhow::Result<u8> {
    if p.format == Format::Html {
        anyhow::bail!("--format html is not available for airm scan (table, json or sarif)");
    }
    let (files, mut errors) = collect_files(&args.paths, &args.exclude)?;
    let cfg = ctx.config.scan.clone();
    let show_progress = std::io::stderr().is_terminal() && !p.json() && p.format != Format::Sarif;
    let results = tokio::task::spawn_blocking(move || scan_all(&files, &cfg, show_progress))
        .await
        .context("the scan was interrupted")?;
    let mut reports = Vec::new();
    for r in results {
        match r {
            Ok(rep) => reports.push(rep),
            Err((path, e)) => errors.push(ScanErrorView { path, error: e }),
        }
    }
    reports.sort_by(|a, b| a.path.cmp(&b.path));
    let mut summary = Summary::default();
    for r in &reports {
        summary.files += 1;
        summary.bytes += r.size;
        match r.verdict {
            Verdict::Malicious => summary.malicious += 1,
            Verdict::Suspicious => summary.suspicious += 1,
            Verdict::Unknown => summary.unknown += 1,
            Verdict::Clean => summary.clean += 1,
        }
    }
    summary.errors = errors.len() as u64;
    for e in &errors {
        p.note(&format!("error: {}: {}", e.path, e.error));
    }

    let discovery = if args.no_discover {
        None
    } else {
        let mut opts = ctx.config.discover.clone();
        opts.no_ignore |= args.no_ignore;
        opts.cache &= !args.no_cache;
        opts.exclude.extend(args.exclude.iter().cloned());
        // The scan reads every model file whole; take the digests from it.
        opts.hash_models = false;
        let mut d = super::discover::run_discovery(args.paths.clone(), opts).await?;
        for a in d.assets.iter_mut().filter(|a| a.sha256.is_none()) {
            let Some(path) = a.file_path() else { continue };
            if let Some(r) = reports.iter().find(|r| r.path == path) {
                a.sha256 = Some(r.sha256.clone());
                a.blake3 = Some(r.blake3.clone());
            }
        }
        d.dedup();
        Some(d)
    };

    if !args.no_store {
        if let Some(d) = &discovery {
            let store = ctx.store().await?;
            super::discover::store_discovery(
                &store,
                d,
                args.system.as_deref(),
                &ctx.config.inventory.systems,
            )
            .await?;
        }
        store_results(ctx, &reports, args.system.as_deref(), &summary).await?;
    }

    match p.format {
        Format::Sarif => {
            let rules = airm_scan::rules();
            let mut log = airm_scan::sarif::sarif(&reports, &rules, env!("CARGO_PKG_VERSION"));
            if let Some(d) = &discovery {
                airm_scan::sarif::add_discovery(&mut log, &d.findings, &rules);
            }
            p.line(&serde_json::to_string_pretty(&log)?);
        }
        Format::Json => {
            let mut v = serde_json::json!({"files": reports, "errors": errors, "summary": summary});
            if let Some(d) = &discovery {
                v["discovery"] = serde_json::to_value(d)?;
            }
            p.data(&v, String::new)
        }
        Format::Table | Format::Html => p.data(&(), || {
            let mut out = table(&reports, args.all);
            if let Some(d) = discovery
                .as_ref()
                .filter(|d| !d.assets.is_empty() || !d.findings.is_empty())
            {
                out.push_str("\nDiscovered AI assets\n");
                out.push_str(&super::discover::table(d));
            }
            out
        }),
    }
    if let Some(d) = &discovery {
        p.note(&super::discover::summary(d));
    }
    p.note(&format!(
        "Scanned {} files ({}): {} malicious, {} suspicious, {} unknown, {} clean, {} errors",
        summary.files,
        human_bytes(summary.bytes),
        summary.malicious,
        summary.suspicious,
        summary.unknown,
        summary.clean,
        summary.errors
    ));

    let failing = args.fail_on.0.is_some_and(|min| {
        reports
            .iter()
            .flat_map(|r| &r.findings)
            .any(|f| f.severity >= min)
            || discovery
                .iter()
                .flat_map(|d| &d.findings)
                .any(|f| f.finding.severity >= min)
    });
    Ok(if failing {
        1
    } else if !errors.is_empty() {
        2
    } else {
        0
    })
}

/// Walks the paths (no symlinks followed, hidden files included, nothing ignored but
/// `--exclude`), returning regular files and the paths that could not be read.
fn collect_files(
    paths: &[PathBuf],
    exclude: &[String],
) -> anyhow::Result<(Vec<PathBuf>, Vec<ScanErrorView>)> {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for root in paths {
        let meta = std::fs::symlink_metadata(root)
            .with_context(|| format!("cannot read {}", root.display()))?;
        if meta.is_file() {
            files.push(root.clone());
            continue;
        }
        let mut overrides = ignore::overrides::OverrideBuilder::new(root);
        for g in exclude {
            overrides
                .add(&format!("!{g}"))
                .with_context(|| format!("invalid --exclude glob `{g}`"))?;
        }
        let walker = ignore::WalkBuilder::new(root)
            .standard_filters(false)
            .follow_links(false)
            .overrides(overrides.build().context("invalid --exclude globs")?)
            .build();
        for entry in walker {
            match entry {
                Ok(e) if e.file_type().is_some_and(|t| t.is_file()) => files.push(e.into_path()),
                Ok(_) => {}
                Err(e) => errors.push(ScanErrorView {
                    path: root.display().to_string(),
                    error: e.to_string(),
                }),
            }
        }
    }
    Ok((files, errors))
}

type ScanResult = Result<FileReport, (String, String)>;

fn scan_all(files: &[PathBuf], cfg: &ScanConfig, progress: bool) -> Vec<ScanResult> {
    let bar = progress.then(|| {
        let b = indicatif::ProgressBar::new(files.len() as u64);
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{spinner} scanning {pos}/{len} files {wide_bar} {eta}",
        ) {
            b.set_style(style);
        }
        b
    });
    let out: Vec<ScanResult> = files
        .par_iter()
        .map(|path| {
            let r = airm_scan::scan_file(path, cfg)
                .map_err(|e| (path.display().to_string(), e.to_string()));
            if let Some(b) = &bar {
                b.inc(1);
            }
            r
        })
        .collect();
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    out
}

fn table(reports: &[FileReport], all: bool) -> String {
    let mut t = Table::new(&["VERDICT", "FORMAT", "SIZE", "PATH"]);
    let mut details = String::new();
    for r in reports {
        let not_a_model = r.format == FileFormat::Unknown && r.findings.is_empty();
        if (r.verdict == Verdict::Clean || not_a_model) && !all {
            continue;
        }
        t.row(vec![
            r.verdict.to_string(),
            r.format.as_str().to_string(),
            human_bytes(r.size),
            r.path.clone(),
        ]);
        for f in &r.findings {
            let at = match (&f.member, f.offset) {
                (Some(m), Some(o)) => format!("{m}@{o}"),
                (Some(m), None) => m.clone(),
                (None, Some(o)) => format!("@{o}"),
                (None, None) => String::new(),
            };
            details.push_str(&format!(
                "  {} {:<8} {} {}{}\n",
                f.rule_id,
                f.severity.as_str(),
                r.path,
                if at.is_empty() {
                    String::new()
                } else {
                    format!("{at}: ")
                },
                f.message
            ));
        }
    }
    let mut out = t.render();
    if !details.is_empty() {
        out.push('\n');
        out.push_str(&details);
    }
    out
}

async fn store_results(
    ctx: &Context,
    reports: &[FileReport],
    system: Option<&str>,
    summary: &Summary,
) -> anyhow::Result<()> {
    let store = ctx.store().await?;
    if let Some(s) = system {
        store.get_system(s).await?.with_context(|| {
            format!("no AI system named `{s}` (register it with `airm systems add`)")
        })?;
    }
    let now = Timestamp::now();
    let mut stored_findings = 0u64;
    for r in reports {
        if r.format == FileFormat::Unknown && r.findings.is_empty() {
            continue;
        }
        let abs = std::fs::canonicalize(&r.path).unwrap_or_else(|_| PathBuf::from(&r.path));
        let asset = store
            .upsert_asset(Asset {
                id: String::new(),
                kind: AssetKind::Model,
                name: Path::new(&r.path)
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_else(|| r.path.clone()),
                location: abs.display().to_string(),
                hashes: vec![
                    ContentHash {
                        alg: "sha256".into(),
                        hex: r.sha256.clone(),
                    },
                    ContentHash {
                        alg: "blake3".into(),
                        hex: r.blake3.clone(),
                    },
                ],
                format: Some(r.format.as_str().to_string()),
                size: Some(r.size),
                provenance: Provenance::default(),
                systems: system.map(|s| vec![s.to_string()]).unwrap_or_default(),
                first_seen: now,
                last_seen: now,
            })
            .await?;
        for f in &r.findings {
            let mut finding =
                f.clone()
                    .into_finding(&abs.display().to_string(), String::new(), now);
            finding.asset_id = Some(asset.id.clone());
            store.upsert_finding(finding).await?;
            stored_findings += 1;
        }
    }
    record(
        &store,
        "scan.run",
        None,
        serde_json::json!({"summary": summary, "findings_stored": stored_findings}),
    )
    .await?;
    Ok(())
}

fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}
