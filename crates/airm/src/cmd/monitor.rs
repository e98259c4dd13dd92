//! `airm monitor drift|profile|merge`: drift reports between two data files and mergeable
//! profiles of data files. These subcommands read files only and never open the store.
//! Exit codes: 0 (no dataset drift, or no `--fail-on-drift`), 1 dataset drift with
//! `--fail-on-drift`, 2 error.

use anyhow::Context as _;

use airm_monitor::drift::{self, DriftOptions, DriftReport, Thresholds};
use airm_monitor::profile::{Profile, ProfileOptions};
use airm_monitor::reader::{read_table, FileFormat, ReadOptions};

use crate::cli::{DriftArgs, Format, InputArgs, InputFormat, MergeArgs, MonitorCmd, ProfileArgs};
use crate::output::{Printer, Table};

pub fn run(cmd: &MonitorCmd, p: &Printer) -> anyhow::Result<u8> {
    match cmd {
        MonitorCmd::Drift(a) => run_drift(a, p),
        MonitorCmd::Profile(a) => run_profile(a, p),
        MonitorCmd::Merge(a) => run_merge(a, p),
    }
}

fn read_options(input: &InputArgs, columns: &[String]) -> ReadOptions {
    ReadOptions {
        columns: (!columns.is_empty()).then(|| columns.to_vec()),
        numeric: input.numeric.clone(),
        categorical: input.categorical.clone(),
        format: input.input_format.map(|f| match f {
            InputFormat::Csv => FileFormat::Csv { delimiter: b',' },
            InputFormat::Tsv => FileFormat::Csv { delimiter: b'\t' },
            InputFormat::Jsonl => FileFormat::JsonLines,
        }),
        max_line_bytes: input.max_line_bytes,
        max_categories: input.max_categories,
        max_values: input.max_values,
        ..ReadOptions::default()
    }
}

fn run_drift(a: &DriftArgs, p: &Printer) -> anyhow::Result<u8> {
    if p.format == Format::Sarif {
        anyhow::bail!("--format sarif is not available for drift reports (table, json or html)");
    }
    let opts = DriftOptions {
        method: a.method,
        thresholds: Thresholds {
            psi: a.psi_threshold,
            ks_pvalue: a.ks_pvalue,
            chi2_pvalue: a.chi2_pvalue,
            js: a.js_threshold,
            wasserstein_norm: a.wasserstein_threshold,
        },
        drift_share: a.drift_share,
        critical: a.critical.clone(),
        js_base: (a.js_base == "2").then_some(2.0),
        auto_test_max_n: a.auto_test_max_n,
    };
    opts.validate()?;
    let ro = read_options(&a.input, &a.columns);
    // The two files are read one after the other: each read is parallel inside.
    let reference = read_table(&a.reference, &ro).context("cannot read the reference data")?;
    let current = read_table(&a.current, &ro).context("cannot read the current data")?;
    let report = drift::compare(reference, current, &opts)?;
    for s in &report.skipped {
        p.note(&format!(
            "note: column `{}` not compared: {}",
            s.column, s.reason
        ));
    }
    match p.format {
        Format::Html => {
            let title = format!(
                "{} (reference) vs {} (current)",
                a.reference.display(),
                a.current.display()
            );
            p.line(drift::html::render(&report, &title).trim_end());
        }
        _ => p.data(&report, || render_table(&report)),
    }
    Ok(u8::from(report.dataset_drift && a.fail_on_drift))
}

fn num(v: Option<f64>) -> String {
    match v {
        None => "-".into(),
        Some(x) if x != 0.0 && (x.abs() < 1e-4 || x.abs() >= 1e6) => format!("{x:.2e}"),
        Some(x) => format!("{x:.4}"),
    }
}

/// The human table of a drift report.
pub fn render_table(r: &DriftReport) -> String {
    let mut t = Table::new(&[
        "COLUMN", "KIND", "METHOD", "DRIFT", "PSI", "KS D", "KS P", "CHI2 P", "JS", "W/SD",
        "N REF", "N CUR", "MISSING",
    ]);
    for c in &r.columns {
        t.row(vec![
            c.column.clone(),
            match c.kind {
                airm_monitor::table::Kind::Numeric => "numeric".into(),
                airm_monitor::table::Kind::Categorical => "categorical".into(),
            },
            c.method.as_str().into(),
            if c.drifted { "yes".into() } else { "no".into() },
            num(c.psi),
            num(c.ks_statistic),
            num(c.ks_pvalue),
            num(c.chi2_pvalue),
            num(c.js_distance),
            num(c.wasserstein_norm),
            c.n_ref.to_string(),
            c.n_cur.to_string(),
            format!("{}/{}", c.missing_ref, c.missing_cur),
        ]);
    }
    let mut out = t.render();
    for c in &r.columns {
        if let Some(new) = c.new_categories.as_ref().filter(|n| !n.is_empty()) {
            let shown: Vec<&str> = new.iter().take(10).map(String::as_str).collect();
            out.push_str(&format!(
                "new categories in {}: {}{}\n",
                c.column,
                shown.join(", "),
                if new.len() > 10 { ", …" } else { "" }
            ));
        }
    }
    let drifted = r.columns.iter().filter(|c| c.drifted).count();
    out.push_str(&format!(
        "\ndataset drift: {} ({drifted} of {} columns drifted, {:.0}%)\n",
        if r.dataset_drift { "yes" } else { "no" },
        r.columns.len(),
        r.drift_share * 100.0
    ));
    out
}

fn run_profile(a: &ProfileArgs, p: &Printer) -> anyhow::Result<u8> {
    let ro = read_options(&a.input, &a.columns);
    let table = read_table(&a.file, &ro).context("cannot read the data")?;
    let opts = ProfileOptions {
        sample_size: u32::try_from(a.sample_size).unwrap_or(u32::MAX),
        seed: a.seed,
        ..ProfileOptions::default()
    };
    let profile = Profile::from_table(table, &opts);
    for s in &profile.skipped {
        p.note(&format!(
            "note: column `{s}` not profiled: too many distinct categories"
        ));
    }
    p.note(&format!(
        "profiled {} rows, {} columns",
        profile.rows,
        profile.columns.len()
    ));
    print_profile(&profile, p)
}

fn print_profile(profile: &Profile, p: &Printer) -> anyhow::Result<u8> {
    let text = serde_json::to_string(profile).context("cannot encode the profile")?;
    p.line(&text);
    Ok(0)
}

fn run_merge(a: &MergeArgs, p: &Printer) -> anyhow::Result<u8> {
    let mut merged: Option<Profile> = None;
    for path in &a.profiles {
        let bytes = read_capped(path)?;
        let prof = Profile::from_json(&path.display().to_string(), &bytes)?;
        match merged.as_mut() {
            None => merged = Some(prof),
            Some(m) => m
                .merge(&prof)
                .map_err(|e| anyhow::anyhow!("cannot merge {}: {e}", path.display()))?,
        }
    }
    let merged = merged.context("no profiles given")?;
    p.note(&format!(
        "merged {} profiles: {} rows, {} columns",
        a.profiles.len(),
        merged.rows,
        merged.columns.len()
    ));
    print_profile(&merged, p)
}

fn read_capped(path: &std::path::Path) -> anyhow::Result<Vec<u8>> {
    use std::io::Read;
    let f = std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut buf = Vec::new();
    let limit = airm_monitor::profile::MAX_PROFILE_BYTES as u64 + 1;
    f.take(limit)
        .read_to_end(&mut buf)
        .with_context(|| format!("cannot read {}", path.display()))?;
    Ok(buf)
}
