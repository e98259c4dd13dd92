//! Charts as server-rendered SVG, inlined in dashboard pages: no JavaScript, no CDN, no
//! inline styles (the CSP forbids them) — colours are presentation attributes and CSS
//! classes from `app.css`. Every text that reaches the SVG is XML-escaped.

use std::fmt::Write;

/// One named series of `(x, y)` points; `None` y values leave gaps.
pub struct Series<'a> {
    /// Legend text.
    pub name: &'a str,
    /// CSS class of the line (`s0`, `s1`, …).
    pub class: &'a str,
    /// Points, x ascending.
    pub points: Vec<(i64, Option<f64>)>,
}

/// Escapes text for XML content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

const W: f64 = 720.0;
const H: f64 = 220.0;
const PAD_L: f64 = 44.0;
const PAD_R: f64 = 12.0;
const PAD_T: f64 = 12.0;
const PAD_B: f64 = 40.0;

/// A line chart of `series` over a shared time axis; y from `y_min` to `y_max` (the data
/// range when `None`). `x_label` formats an x value for the axis.
pub fn line_chart(
    title: &str,
    series: &[Series<'_>],
    y_range: Option<(f64, f64)>,
    x_label: impl Fn(i64) -> String,
) -> String {
    let xs: Vec<i64> = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.0))
        .collect();
    let ys: Vec<f64> = series
        .iter()
        .flat_map(|s| s.points.iter().filter_map(|p| p.1))
        .filter(|y| y.is_finite())
        .collect();
    let mut out = String::new();
    let _ = write!(
        out,
        "<svg class=\"chart\" viewBox=\"0 0 {W} {H}\" role=\"img\" aria-label=\"{}\" xmlns=\"http://www.w3.org/2000/svg\"><title>{}</title>",
        escape(title),
        escape(title)
    );
    let (Some(&x0), Some(&x1)) = (xs.iter().min(), xs.iter().max()) else {
        out.push_str(
            "<text x=\"50%\" y=\"50%\" text-anchor=\"middle\" class=\"muted\">No data</text></svg>",
        );
        return out;
    };
    let (mut y0, mut y1) = y_range.unwrap_or_else(|| {
        let lo = ys.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = ys.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        if lo.is_finite() {
            (lo, hi)
        } else {
            (0.0, 1.0)
        }
    });
    if y1 - y0 < 1e-9 {
        y0 -= 0.5;
        y1 += 0.5;
    }
    let px = |x: i64| {
        if x1 == x0 {
            PAD_L + (W - PAD_L - PAD_R) / 2.0
        } else {
            PAD_L + (x - x0) as f64 / (x1 - x0) as f64 * (W - PAD_L - PAD_R)
        }
    };
    let py = |y: f64| PAD_T + (1.0 - (y - y0) / (y1 - y0)) * (H - PAD_T - PAD_B);
    // Grid and y labels.
    for i in 0..=4 {
        let v = y0 + (y1 - y0) * f64::from(i) / 4.0;
        let y = py(v);
        let _ = write!(
            out,
            "<line class=\"grid\" x1=\"{PAD_L}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\"/><text class=\"axis\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            W - PAD_R,
            PAD_L - 4.0,
            y + 3.0,
            escape(&format!("{v:.2}"))
        );
    }
    // X labels: first and last.
    for (x, anchor) in [(x0, "start"), (x1, "end")] {
        let _ = write!(
            out,
            "<text class=\"axis\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"{anchor}\">{}</text>",
            px(x),
            H - PAD_B + 14.0,
            escape(&x_label(x))
        );
    }
    for s in series {
        let mut d = String::new();
        let mut pen_up = true;
        for (x, y) in &s.points {
            match y {
                Some(y) if y.is_finite() => {
                    let _ = write!(
                        d,
                        "{}{:.1},{:.1} ",
                        if pen_up { "M" } else { "L" },
                        px(*x),
                        py(y.clamp(y0, y1))
                    );
                    pen_up = false;
                }
                _ => pen_up = true,
            }
        }
        if !d.is_empty() {
            let _ = write!(
                out,
                "<path class=\"line {}\" d=\"{}\" fill=\"none\"/>",
                escape(s.class),
                d.trim_end()
            );
        }
        for (x, y) in &s.points {
            if let Some(y) = y.filter(|y| y.is_finite()) {
                let _ = write!(
                    out,
                    "<circle class=\"dot {}\" cx=\"{:.1}\" cy=\"{:.1}\" r=\"2.5\"><title>{}: {y:.4} at {}</title></circle>",
                    escape(s.class),
                    px(*x),
                    py(y.clamp(y0, y1)),
                    escape(s.name),
                    escape(&x_label(*x))
                );
            }
        }
    }
    // Legend.
    for (i, s) in series.iter().enumerate() {
        let x = PAD_L + i as f64 * 110.0;
        let _ = write!(
            out,
            "<rect class=\"key {}\" x=\"{x:.1}\" y=\"{:.1}\" width=\"10\" height=\"10\"/><text class=\"axis\" x=\"{:.1}\" y=\"{:.1}\">{}</text>",
            escape(s.class),
            H - 16.0,
            x + 14.0,
            H - 7.0,
            escape(s.name)
        );
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charts_escape_text_and_draw_gaps() {
        let svg = line_chart(
            "<script>",
            &[Series {
                name: "a&b",
                class: "s0",
                points: vec![(0, Some(0.5)), (1, None), (2, Some(0.9)), (3, Some(0.8))],
            }],
            Some((0.0, 1.0)),
            |x| format!("t{x}"),
        );
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(!svg.contains("<script>") && svg.contains("&lt;script&gt;"));
        assert!(svg.contains("a&amp;b"));
        // The gap starts a new sub-path.
        assert_eq!(svg.matches('M').count(), 2, "{svg}");
        let empty = line_chart("x", &[], None, |x| x.to_string());
        assert!(empty.contains("No data"));
    }
}
