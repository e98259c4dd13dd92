//! A drift report as one self-contained HTML page: no JavaScript, no external assets,
//! histograms drawn as inline SVG. Every text from the data is HTML-escaped.

use std::fmt::Write;

use super::{ColumnDrift, DriftReport};

/// Escapes text for HTML element content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn fmt(v: Option<f64>) -> String {
    match v {
        None => "—".into(),
        Some(x) if x != 0.0 && (x.abs() < 1e-4 || x.abs() >= 1e6) => format!("{x:.3e}"),
        Some(x) => format!("{x:.4}"),
    }
}

/// Reference-vs-current histogram of a column as inline SVG (bars of classes `ref` and
/// `cur`; empty when the column has no histogram). Every text is XML-escaped.
pub fn histogram_svg(c: &ColumnDrift) -> String {
    let h = &c.histogram;
    let n = h.labels.len();
    if n == 0 {
        return String::new();
    }
    let max = h
        .reference
        .iter()
        .chain(&h.current)
        .copied()
        .fold(0.0f64, f64::max)
        .max(1e-12);
    let (bw, gap, height) = (14.0, 8.0, 80.0);
    #[allow(clippy::cast_precision_loss)]
    let width = n as f64 * (2.0 * bw + gap) + gap;
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg width="{width:.0}" height="{:.0}" role="img" aria-label="histogram of {}">"#,
        height + 4.0,
        escape(&c.column)
    );
    for (i, label) in h.labels.iter().enumerate() {
        #[allow(clippy::cast_precision_loss)]
        let x = gap + i as f64 * (2.0 * bw + gap);
        for (j, (v, class)) in [(h.reference.get(i), "ref"), (h.current.get(i), "cur")]
            .into_iter()
            .enumerate()
        {
            let v = v.copied().unwrap_or(0.0);
            let bh = (v / max * height).max(0.5);
            #[allow(clippy::cast_precision_loss)]
            let bx = x + j as f64 * bw;
            let _ = write!(
                s,
                r#"<rect class="{class}" x="{bx:.1}" y="{:.1}" width="{bw:.1}" height="{bh:.1}"><title>{}: {} {:.2}%</title></rect>"#,
                height + 2.0 - bh,
                escape(label),
                if j == 0 { "reference" } else { "current" },
                v * 100.0
            );
        }
    }
    s.push_str("</svg>");
    s
}

/// Renders the report. `title` names the compared files.
pub fn render(report: &DriftReport, title: &str) -> String {
    let mut s = String::new();
    let verdict = if report.dataset_drift {
        "Dataset drift detected"
    } else {
        "No dataset drift"
    };
    let _ = write!(
        s,
        r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Drift report — {t}</title>
<style>
body{{font-family:system-ui,sans-serif;margin:2rem;color:#222}}
table{{border-collapse:collapse}}td,th{{padding:.3rem .6rem;border-bottom:1px solid #ddd;text-align:right;vertical-align:middle}}
td:first-child,th:first-child{{text-align:left}}.drift{{color:#b00020;font-weight:600}}.ok{{color:#1b5e20}}
rect.ref{{fill:#90a4ae}}rect.cur{{fill:#ef6c00}}.legend span{{display:inline-block;width:.8em;height:.8em;margin:0 .3em 0 1em}}
</style></head><body>
<h1>Drift report</h1><p>{t}</p>
<p class="{cls}">{verdict}: {d} of {n} columns drifted ({share:.0}%).</p>
<p class="legend"><span style="background:#90a4ae"></span>reference<span style="background:#ef6c00"></span>current</p>
<table><thead><tr><th>column</th><th>kind</th><th>method</th><th>drifted</th><th>PSI</th><th>KS D</th><th>KS p</th><th>χ² p</th><th>JS</th><th>W/σ</th><th>n ref</th><th>n cur</th><th>missing ref</th><th>missing cur</th><th>distribution</th></tr></thead><tbody>
"#,
        t = escape(title),
        cls = if report.dataset_drift { "drift" } else { "ok" },
        d = report.columns.iter().filter(|c| c.drifted).count(),
        n = report.columns.len(),
        share = report.drift_share * 100.0,
    );
    for c in &report.columns {
        let new = match &c.new_categories {
            Some(v) if !v.is_empty() => {
                let shown: Vec<String> = v.iter().take(10).map(|x| escape(x)).collect();
                format!(
                    "<br><small>new: {}{}</small>",
                    shown.join(", "),
                    if v.len() > 10 { ", …" } else { "" }
                )
            }
            _ => String::new(),
        };
        let _ = writeln!(
            s,
            r#"<tr><td>{}{new}</td><td>{}</td><td>{}</td><td class="{}">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>"#,
            escape(&c.column),
            match c.kind {
                crate::table::Kind::Numeric => "numeric",
                crate::table::Kind::Categorical => "categorical",
            },
            c.method.as_str(),
            if c.drifted { "drift" } else { "ok" },
            if c.drifted { "yes" } else { "no" },
            fmt(c.psi),
            fmt(c.ks_statistic),
            fmt(c.ks_pvalue),
            fmt(c.chi2_pvalue),
            fmt(c.js_distance),
            fmt(c.wasserstein_norm),
            c.n_ref,
            c.n_cur,
            c.missing_ref,
            c.missing_cur,
            histogram_svg(c),
        );
    }
    s.push_str("</tbody></table>\n");
    if !report.skipped.is_empty() {
        s.push_str("<h2>Columns not compared</h2><ul>\n");
        for k in &report.skipped {
            let _ = writeln!(s, "<li>{}: {}</li>", escape(&k.column), escape(&k.reason));
        }
        s.push_str("</ul>\n");
    }
    s.push_str("</body></html>\n");
    s
}

#[cfg(test)]
mod tests {
    #[test]
    fn escapes_markup() {
        assert_eq!(
            super::escape("<a href='x'>&"),
            "&lt;a href=&#39;x&#39;&gt;&amp;"
        );
    }
}
