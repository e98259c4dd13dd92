//! `airm monitor ingest|baseline|alerts`: store prediction events from files, set a
//! model's performance baseline, list alerts and evaluate the alert rules of airm.toml
//! (delivering new and resolved alerts to the configured sinks).

use anyhow::Context as _;

use airm_core::Timestamp;
use airm_monitor::event::{self, Limits};
use airm_server::monitor as mon;
use airm_store::monitor::{AlertFilter, Baseline};
use airm_store::Page;

use crate::cli::{InputFormat, MonitorAlertsCmd, MonitorCmd};
use crate::context::{record, Context};
use crate::output::{Printer, Table};

/// Largest file `airm monitor ingest` reads.
const MAX_FILE: u64 = 1 << 30;
/// Events per file.
const MAX_FILE_EVENTS: usize = 5_000_000;

pub async fn run(cmd: MonitorCmd, ctx: &Context, p: &Printer) -> anyhow::Result<u8> {
    match cmd {
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
    format: Option<InputFormat>,
) -> anyhow::Result<u8> {
    mon::check_model_name(model).map_err(anyhow::Error::msg)?;
    let meta =
        std::fs::metadata(file).with_context(|| format!("cannot read {}", file.display()))?;
    if meta.len() > MAX_FILE {
        anyhow::bail!("{} is larger than 1 GiB; split it", file.display());
    }
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let format = format.unwrap_or_else(|| {
        if file
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("csv"))
        {
            InputFormat::Csv
        } else {
            InputFormat::Jsonl
        }
    });
    let limits = Limits {
        max_events: MAX_FILE_EVENTS,
        ..Limits::default()
    };
    let now = Timestamp::now();
    let parsed = match format {
        InputFormat::Csv => event::read_csv(&bytes, model, now, &limits),
        InputFormat::Jsonl => event::read_jsonl(&bytes, model, now, &limits),
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
    // TODO(merge monitor-stats): also store the reference feature profile from `airm_monitor::profile` here.
    let b = Baseline {
        model: model.to_string(),
        metrics: serde_json::to_value(&metrics)?,
        window_start: since,
        window_end: until,
        created_at: Timestamp::now(),
    };
    store.set_baseline(&b).await?;
    record(
        &store,
        "monitor.baseline",
        Some(model),
        serde_json::json!({"since": since, "until": until, "labelled": metrics.labelled}),
    )
    .await?;
    p.data(&b, || {
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
        t.render()
    });
    Ok(0)
}
