//! The Monitoring pages: every monitored model with its open alerts, and per model the
//! performance over time (inline SVG chart and table), open alerts and the latest
//! behaviour verdicts, and the data drift of the latest window's input features against
//! the baseline's reference sample (a table of the deciding test per column and
//! reference-vs-current histograms as inline SVG). Read-only, like every dashboard page.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::{Deserialize, Serialize};

use airm_core::Timestamp;
use airm_monitor::anomaly::Detector;
use airm_store::monitor::{AlertFilter, AlertStatus, RequestFilter};
use airm_store::Page;

use super::svg::{line_chart, Series};
use super::{error_page, render, unavailable, urlencode, Session};
use crate::monitor as mon;
use crate::state::AppState;

const WINDOWS: [&str; 5] = ["15m", "1h", "6h", "1d", "7d"];
/// Windows shown on a model page.
const SHOWN: i64 = 48;

#[derive(Serialize)]
struct ModelRow {
    model: String,
    url: String,
    events: u64,
    labelled: u64,
    last: Option<Timestamp>,
    open_alerts: u64,
}

pub(super) async fn monitoring(State(state): State<AppState>, session: Session) -> Response {
    let models = state.store.monitor_models().await;
    let alerts = state
        .store
        .list_alerts(
            &AlertFilter {
                status: Some(AlertStatus::Open),
                ..Default::default()
            },
            Page::new(100, 0),
        )
        .await;
    let (Ok(models), Ok(alerts)) = (models, alerts) else {
        return unavailable(&state, &session);
    };
    let rows: Vec<ModelRow> = models
        .into_iter()
        .map(|m| ModelRow {
            url: urlencode(&m.model),
            model: m.model,
            events: m.events,
            labelled: m.labelled,
            last: m.last,
            open_alerts: m.open_alerts,
        })
        .collect();
    render(
        &state,
        "monitoring.html",
        minijinja::context! {
            user => &session.user, csrf => &session.csrf, section => "monitoring",
            models => rows, alerts => alerts,
        },
    )
}

#[derive(Deserialize)]
pub(super) struct ModelQuery {
    window: Option<String>,
}

#[derive(Serialize)]
struct PerfRow {
    start: String,
    events: u64,
    labelled: u64,
    accuracy: String,
    f1: String,
    roc_auc: String,
    log_loss: String,
    rmse: String,
}

fn fmt(v: Option<f64>) -> String {
    v.map_or_else(|| "—".to_string(), |v| format!("{v:.4}"))
}

#[derive(Serialize)]
struct VerdictRow {
    metric: &'static str,
    value: String,
    median: String,
    z: String,
    anomalous: bool,
}

#[derive(Serialize)]
struct DriftRow {
    column: String,
    test: &'static str,
    statistic: String,
    p_value: String,
    drifted: bool,
    n_ref: u64,
    n_cur: u64,
    histogram: String,
}

/// The deciding test's statistic and p-value (tests without one show `—`).
fn drift_row(c: &airm_monitor::drift::ColumnDrift) -> DriftRow {
    use airm_monitor::drift::Method;
    let (statistic, p) = match c.method {
        Method::Ks => (c.ks_statistic, c.ks_pvalue),
        Method::Chi2 => (c.chi2_statistic, c.chi2_pvalue),
        Method::Psi => (c.psi, None),
        Method::Js => (c.js_distance, None),
        Method::Wasserstein | Method::Auto => (c.wasserstein_norm, None),
    };
    let g = |v: Option<f64>| match v {
        Some(x) if x != 0.0 && x.abs() < 1e-4 => format!("{x:.3e}"),
        v => fmt(v),
    };
    DriftRow {
        column: c.column.clone(),
        test: c.method.as_str(),
        statistic: g(statistic),
        p_value: g(p),
        drifted: c.drifted,
        n_ref: c.n_ref,
        n_cur: c.n_cur,
        histogram: airm_monitor::drift::html::histogram_svg(c),
    }
}

fn short_time(ms: i64) -> String {
    let s = Timestamp(ms).to_string();
    s.get(..16).unwrap_or(&s).replace('T', " ")
}

pub(super) async fn monitor_model(
    State(state): State<AppState>,
    session: Session,
    Path(model): Path<String>,
    axum::extract::Query(q): axum::extract::Query<ModelQuery>,
) -> Response {
    if let Err(m) = mon::check_model_name(&model) {
        return error_page(&state, &session, StatusCode::BAD_REQUEST, "Bad model", &m);
    }
    let window = q.window.unwrap_or_else(|| "1h".to_string());
    let Some(window_ms) = WINDOWS
        .contains(&window.as_str())
        .then(|| airm_monitor::alert::parse_duration(&window).ok())
        .flatten()
    else {
        return error_page(
            &state,
            &session,
            StatusCode::BAD_REQUEST,
            "Bad window",
            "Choose one of the listed windows.",
        );
    };
    let to = airm_monitor::perf::window_start(Timestamp::now().millis(), window_ms) + window_ms;
    let from = to - SHOWN * window_ms;
    let perf = mon::performance(&state.store, &model, from, to, window_ms, "1").await;
    let filter = RequestFilter {
        model: Some(model.clone()),
        ..Default::default()
    };
    let behaviour = mon::behaviour(&state.store, &filter, from, to, window_ms).await;
    let alerts = state
        .store
        .list_alerts(
            &AlertFilter {
                model: Some(model.clone()),
                status: Some(AlertStatus::Open),
            },
            Page::new(100, 0),
        )
        .await;
    let baseline = state.store.get_baseline(&model).await;
    // Drift of the last complete window's features against the baseline's reference
    // sample (the window drift alert rules judge).
    let drift = mon::drift(&state.store, &model, to - 2 * window_ms, to - window_ms).await;
    let (Ok((perf, _)), Ok((behaviour, _)), Ok(alerts), Ok(baseline)) =
        (perf, behaviour, alerts, baseline)
    else {
        return unavailable(&state, &session);
    };
    let (drift, drift_error) = match drift {
        Ok(Some((report, _))) => (Some(report), None),
        Ok(None) => (None, None),
        Err(mon::EvalError::Monitor(e)) => (None, Some(e.to_string())),
        Err(mon::EvalError::Store(_)) => return unavailable(&state, &session),
    };
    let drift_rows: Vec<DriftRow> = drift
        .as_ref()
        .map(|r| r.columns.iter().map(drift_row).collect())
        .unwrap_or_default();
    let drift_summary = drift.as_ref().map(|r| {
        format!(
            "{} of {} columns drifted ({:.0}%); dataset drift: {}",
            r.columns.iter().filter(|c| c.drifted).count(),
            r.columns.len(),
            r.drift_share * 100.0,
            if r.dataset_drift { "yes" } else { "no" }
        )
    });
    let series = |name: &'static str,
                  class: &'static str,
                  f: fn(&airm_monitor::perf::Metrics) -> Option<f64>| Series {
        name,
        class,
        points: perf.iter().map(|w| (w.start_ms, f(&w.metrics))).collect(),
    };
    let chart = line_chart(
        &format!("Performance of {model} per {window}"),
        &[
            series("accuracy", "s0", |m| m.accuracy),
            series("F1", "s1", |m| m.f1),
            series("ROC AUC", "s2", |m| m.roc_auc),
        ],
        Some((0.0, 1.0)),
        short_time,
    );
    let rows: Vec<PerfRow> = perf
        .iter()
        .rev()
        .filter(|w| w.metrics.events > 0)
        .map(|w| PerfRow {
            start: short_time(w.start_ms),
            events: w.metrics.events,
            labelled: w.metrics.labelled,
            accuracy: fmt(w.metrics.accuracy),
            f1: fmt(w.metrics.f1),
            roc_auc: fmt(w.metrics.roc_auc),
            log_loss: fmt(w.metrics.log_loss),
            rmse: fmt(w.metrics.rmse),
        })
        .collect();
    let verdicts: Vec<VerdictRow> = Detector::default()
        .verdicts(&behaviour)
        .into_iter()
        .map(|v| VerdictRow {
            metric: v.metric.as_str(),
            value: format!("{:.3}", v.value),
            median: format!("{:.3}", v.median),
            z: format!("{:.1}", v.z),
            anomalous: v.anomalous,
        })
        .collect();
    let baseline = baseline.map(|b| {
        b.metrics
            .as_object()
            .map(|o| {
                o.iter()
                    .filter_map(|(k, v)| v.as_f64().map(|v| format!("{k} {v:.4}")))
                    .filter(|s| !s.starts_with("events") && !s.starts_with("labelled"))
                    .collect::<Vec<_>>()
                    .join(" · ")
            })
            .unwrap_or_default()
    });
    render(
        &state,
        "monitor_model.html",
        minijinja::context! {
            user => &session.user, csrf => &session.csrf, section => "monitoring",
            model => &model, model_url => urlencode(&model),
            window => &window, windows_choices => WINDOWS, n_windows => SHOWN,
            chart => chart, perf => rows, alerts => alerts.items, verdicts => verdicts,
            baseline => baseline, drift => drift_rows, drift_summary => drift_summary,
            drift_error => drift_error,
        },
    )
}
