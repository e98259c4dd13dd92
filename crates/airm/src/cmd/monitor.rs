//! `airm monitor`: drift reports between two data files and mergeable profiles of data
//! files (`drift|profile|merge`, files only, never open the store), and the monitoring of
//! deployed models (`ingest|baseline|alerts`): store prediction events from files, set a
//! model's baseline, list alerts and evaluate the alert rules of airm.toml (delivering new
//! and resolved alerts to the configured sinks).
//!
//! Exit codes: 0 clean; 1 dataset drift with `--fail-on-drift`, rejected rows on ingest, or
//! an alert rule firing on `alerts evaluate`; 2 error.

use anyhow::Context as _;

use airm_core::Timestamp;
use airm_monitor::drift::{self, DriftOptions, DriftReport, Thresholds};
use airm_monitor::event::{self, Limits};
use airm_monitor::profile::{Profile, ProfileOptions};
use airm_monitor::reader::{read_pair, read_table, FileFormat, ReadOptions};
use airm_server::monitor as mon;
use airm_store::monitor::{AlertFilter, Baseline};
use airm_store::Page;

use crate::cli::{
    DriftArgs, EventFormat, Format, InputArgs, InputFormat, MergeArgs, MonitorAlertsCmd,
    MonitorCmd, ProfileArgs,
};
use crate::context::{record, Context};
use crate::output::{Printer, Table};

/// Largest file `airm monitor ingest` reads.
const MAX_FILE: u64 = 1 << 30;
/// Events per file.
const MAX_FILE_EVENTS: usize = 5_000_000;

/// The subcommands that read files only (`drift`, `profile`, `merge`): no store is opened.
pub fn run_files(cmd: &MonitorCmd, p: &Printer) -> anyhow::Result<u8> {
    match cmd {
        MonitorCmd::Drift(a) => run_drift(a, p),
        MonitorCmd::Profile(a) => run_profile(a, p),
        MonitorCmd::Merge(a) => run_merge(a, p),
        MonitorCmd::Ingest { .. } | MonitorCmd::Baseline { .. } | MonitorCmd::Alerts(_) => {
            anyhow::bail!("this monitor subcommand needs the store")
        }
    }
}

/// The subcommands that work on the store; the file-only ones are passed to [`run_files`].
pub async fn run(cmd: MonitorCmd, ctx: &Context, p: &Printer) -> anyhow::Result<u8> {
    match cmd {
        MonitorCmd::Drift(_) | MonitorCmd::Profile(_) | MonitorCmd::Merge(_) => run_files(&cmd, p),
        MonitorCmd::Ingest {
            model,
            file,
            input_format,
        } => ingest(ctx, p, &model, &file, input_format).await,
        MonitorCmd::Baseline {
            model,
            since,
            until,
            positive,
        } => baseline(ctx, p, &model, since, until, &positive).await,
        MonitorCmd::Alerts(MonitorAlertsCmd::List {
            status,
            model,
            limit,
        }) => {
            let store = ctx.store().await?;
            let list = store
                .list_alerts(&AlertFilter { model, status }, Page::new(limit, 0))
                .await?;
            p.data(&list.items, || {
                let mut t =
                    Table::new(&["STATUS", "SEVERITY", "MODEL", "RULE", "MESSAGE", "SINCE"]);
                for a in &list.items {
                    t.row(vec![
                        a.status.as_str().to_string(),
                        a.severity.to_string(),
                        a.model.clone(),
                        a.rule.clone(),
                        a.message.clone(),
                        a.first_seen.to_string(),
                    ]);
                }
                t.render()
            });
            Ok(0)
        }
        MonitorCmd::Alerts(MonitorAlertsCmd::Evaluate) => {
            let settings = ctx
                .config
                .monitor
                .settings()
                .context("invalid [monitor] configuration")?;
            if settings.rules.is_empty() {
                p.note("No alert rules: add [[monitor.alerts]] to airm.toml.");
            }
            let store = ctx.store().await?;
            let report = mon::evaluate(&store, &settings, Timestamp::now())
                .await
                .context("alert evaluation failed")?;
            record(
                &store,
                "monitor.evaluate",
                None,
                serde_json::json!({"rules": settings.rules.len(), "opened": report.opened.len(), "resolved": report.resolved.len()}),
            )
            .await?;
            let firing = report
                .results
                .iter()
                .filter(|r| matches!(r.check, airm_monitor::alert::Check::Firing { .. }))
                .count();
            p.data(&report, || {
                let mut t = Table::new(&["RULE", "MODEL", "STATE", "ACTION", "DETAIL"]);
                for r in &report.results {
                    let (state, detail) = match &r.check {
                        airm_monitor::alert::Check::Firing { message, .. } => {
                            ("firing", message.clone())
                        }
                        airm_monitor::alert::Check::Ok { value, .. } => {
                            ("ok", format!("{value:.4}"))
                        }
                        airm_monitor::alert::Check::Insufficient { reason } => {
                            ("no data", reason.clone())
                        }
                    };
                    let action = serde_json::to_value(r.transition)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_string))
                        .unwrap_or_default();
                    t.row(vec![
                        r.rule.clone(),
                        r.model.clone(),
                        state.into(),
                        action,
                        detail,
                    ]);
                }
                t.render()
            });
            for d in report.deliveries.iter().filter(|d| !d.ok) {
                p.note(&format!(
                    "Delivery to sink `{}` failed after {} attempts: {}",
                    d.sink,
                    d.attempts,
                    d.error.as_deref().unwrap_or("unknown error")
                ));
            }
            p.note(&format!(
                "{} opened, {} resolved, {firing} firing.",
                report.opened.len(),
                report.resolved.len()
            ));
            Ok(u8::from(firing > 0))
        }
    }
}

async fn ingest(
    ctx: &Context,
    p: &Printer,
    model: &str,
    file: &std::path::Path,
    format: Option<EventFormat>,
) -> anyhow::Result<u8> {
    mon::check_model_name(model).map_err(anyhow::Error::msg)?;
    let meta =
        std::fs::metadata(file).with_context(|| format!("cannot read {}", file.display()))?;
    if meta.len() > MAX_FILE {
        anyhow::bail!("{} is larger than 1 GiB; split it", file.display());
    }
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let format = format.unwrap_or_else(|| {
        if bytes.starts_with(b"PAR1") {
            EventFormat::Parquet
        } else if file
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("csv"))
        {
            EventFormat::Csv
        } else {
            EventFormat::Jsonl
        }
    });
    let limits = Limits {
        max_events: MAX_FILE_EVENTS,
        ..Limits::default()
    };
    let now = Timestamp::now();
    let parsed = match format {
        EventFormat::Csv => event::read_csv(&bytes, model, now, &limits),
        EventFormat::Jsonl => event::read_jsonl(&bytes, model, now, &limits),
        #[cfg(feature = "parquet")]
        EventFormat::Parquet => event::read_parquet(bytes, model, now, &limits),
        #[cfg(not(feature = "parquet"))]
        EventFormat::Parquet => Err(airm_monitor::reader::parquet_disabled(file)),
    }
    .with_context(|| format!("cannot read events from {}", file.display()))?;
    for r in parsed.rejected.iter().take(20) {
        p.note(&format!("{}:{}: {}", file.display(), r.line, r.error));
    }
    if parsed.rejected.len() > 20 {
        p.note(&format!(
            "… and {} more rejected rows",
            parsed.rejected.len() - 20
        ));
    }
    let store = ctx.store().await?;
    let missing: usize = parsed.events.iter().map(|e| e.missing_features()).sum();
    let mut stored = 0;
    let rows: Vec<_> = parsed.events.into_iter().map(mon::to_row).collect();
    for chunk in rows.chunks(10_000) {
        stored += store.insert_monitor_events(model, chunk.to_vec()).await?;
    }
    record(
        &store,
        "monitor.ingest",
        Some(model),
        serde_json::json!({"events": stored, "rejected": parsed.rejected.len(), "file": file.display().to_string()}),
    )
    .await?;
    let summary = serde_json::json!({
        "model": model, "stored": stored, "rejected": parsed.rejected.len(), "missing_features": missing,
    });
    p.data(&summary, || {
        format!(
            "Stored {stored} events for `{model}` ({} rows rejected, {missing} missing feature values).\n",
            parsed.rejected.len()
        )
    });
    Ok(u8::from(!parsed.rejected.is_empty()))
}

async fn baseline(
    ctx: &Context,
    p: &Printer,
    model: &str,
    since: Option<Timestamp>,
    until: Option<Timestamp>,
    positive: &str,
) -> anyhow::Result<u8> {
    mon::check_model_name(model).map_err(anyhow::Error::msg)?;
    let until = until.unwrap_or_else(Timestamp::now);
    let since = since.unwrap_or(until.plus_days(-7));
    if since >= until {
        anyhow::bail!("--since must be before --until");
    }
    let store = ctx.store().await?;
    let rows = store
        .list_monitor_outcomes(model, since, until, mon::MAX_ROWS)
        .await?;
    if rows.len() as u64 >= u64::from(mon::MAX_ROWS) {
        p.note(&format!(
            "More than {} events in the period: the baseline uses the first {}; choose a shorter period.",
            mon::MAX_ROWS,
            mon::MAX_ROWS
        ));
    }
    let outcomes: Vec<_> = rows.iter().map(mon::outcome).collect();
    let metrics = airm_monitor::perf::metrics(&outcomes, positive);
    if metrics.labelled == 0 {
        anyhow::bail!(
            "model `{model}` has no labelled events between {since} and {until}; a baseline needs labels"
        );
    }
    // The reference feature sample for drift: evenly spaced over the period's events.
    let (sample, truncated) = mon::reference_sample(&store, model, since, until)
        .await
        .context("cannot read the reference features")?;
    if truncated {
        p.note(&format!(
            "The reference feature sample is drawn from the first {} events of the period.",
            mon::REFERENCE_SOURCE_ROWS
        ));
    }
    let b = Baseline {
        model: model.to_string(),
        metrics: serde_json::to_value(&metrics)?,
        reference: Some(serde_json::to_value(&sample)?),
        window_start: since,
        window_end: until,
        created_at: Timestamp::now(),
    };
    store.set_baseline(&b).await?;
    record(
        &store,
        "monitor.baseline",
        Some(model),
        serde_json::json!({"since": since, "until": until, "labelled": metrics.labelled, "reference_rows": sample.rows.len()}),
    )
    .await?;
    // The sample itself is stored, not printed: the output summarises it.
    let mut shown = serde_json::to_value(&b)?;
    if let Some(o) = shown.as_object_mut() {
        o.insert(
            "reference".into(),
            serde_json::json!({"events": sample.events, "rows": sample.rows.len()}),
        );
    }
    p.data(&shown, || {
        let mut t = Table::new(&["METRIC", "BASELINE"]);
        let f = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.4}"));
        for (k, v) in [
            ("events", Some(metrics.events as f64)),
            ("labelled", Some(metrics.labelled as f64)),
            ("accuracy", metrics.accuracy),
            ("precision", metrics.precision),
            ("recall", metrics.recall),
            ("f1", metrics.f1),
            ("roc_auc", metrics.roc_auc),
            ("log_loss", metrics.log_loss),
            ("rmse", metrics.rmse),
            ("mae", metrics.mae),
        ] {
            t.row(vec![k.to_string(), f(v)]);
        }
        t.row(vec![
            "reference rows (drift)".to_string(),
            sample.rows.len().to_string(),
        ]);
        t.render()
    });
    Ok(0)
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
            InputFormat::Parquet => FileFormat::Parquet,
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
    let (reference, current) = read_pair(&a.reference, &a.current, &ro);
    let reference = reference.context("cannot read the reference data")?;
    let current = current.context("cannot read the current data")?;
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
