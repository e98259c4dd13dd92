//! Drift statistics of the reference CSVs in `fixtures/drift/cases/` against the values
//! NumPy/SciPy computed for them (`gen_drift.py` → `drift_expected.json`). Tolerances:
//! KS statistic 1e-12 absolute; PSI, JS, Wasserstein and chi-squared statistics 1e-9
//! relative; p-values 1e-6 relative where SciPy's value is a normal float.

use airm_monitor::drift::{compare, ColumnDrift, DriftOptions};
use airm_monitor::reader::{read_table, ReadOptions};
use airm_monitor::table::Kind;
use serde_json::Value;

use crate::{assert_close, fixture};

fn expected() -> Value {
    let text = std::fs::read_to_string(fixture("drift_expected.json")).expect("fixture");
    serde_json::from_str(&text).expect("json")
}

fn run(case: &str, js_base: Option<f64>) -> Vec<ColumnDrift> {
    let opts = ReadOptions::default();
    let r = read_table(&fixture(&format!("cases/{case}_ref.csv")), &opts).expect("ref");
    let c = read_table(&fixture(&format!("cases/{case}_cur.csv")), &opts).expect("cur");
    let d = DriftOptions {
        js_base,
        ..DriftOptions::default()
    };
    compare(r, c, &d).expect("report").columns
}

fn opt(v: &Value, k: &str) -> Option<f64> {
    v.get(k).and_then(Value::as_f64)
}

fn check(what: &str, got: Option<f64>, want: Option<f64>, rel: f64) {
    match (got, want) {
        (None, None) => {}
        (Some(g), Some(w)) if w.abs() < f64::MIN_POSITIVE => {
            assert!(g.abs() <= 1e-12, "{what}: got {g:e}, want 0");
        }
        (Some(g), Some(w)) => assert_close(what, g, w, rel),
        (g, w) => panic!("{what}: got {g:?}, want {w:?}"),
    }
}

#[test]
fn every_statistic_matches_scipy() {
    let all = expected();
    let cases = all["cases"].as_object().expect("cases");
    let mut checked = 0;
    for (case, cols) in cases {
        let got_e = run(case, None);
        let got_2 = run(case, Some(2.0));
        let cols = cols.as_object().expect("columns");
        assert_eq!(got_e.len(), cols.len(), "{case}: column count");
        for (name, want) in cols {
            let g = got_e
                .iter()
                .find(|c| &c.column == name)
                .unwrap_or_else(|| panic!("{case}: no column {name}"));
            let g2 = got_2.iter().find(|c| &c.column == name).expect("column");
            let w = |k: &str| opt(want, k);
            let at = |k: &str| format!("{case}.{name}.{k}");
            let kind = if want["kind"] == "numeric" {
                Kind::Numeric
            } else {
                Kind::Categorical
            };
            assert_eq!(g.kind, kind, "{}", at("kind"));
            for (k, v) in [
                ("n_ref", g.n_ref),
                ("n_cur", g.n_cur),
                ("missing_ref", g.missing_ref),
                ("missing_cur", g.missing_cur),
            ] {
                assert_eq!(Some(v), want[k].as_u64(), "{}", at(k));
            }
            match (g.ks_statistic, w("ks_statistic")) {
                (Some(a), Some(b)) => assert!((a - b).abs() <= 1e-12, "{}: {a} vs {b}", at("ks")),
                (a, b) => assert_eq!(a, b, "{}", at("ks")),
            }
            check(&at("ks_pvalue"), g.ks_pvalue, w("ks_pvalue"), 1e-6);
            check(&at("psi"), g.psi, w("psi"), 1e-9);
            check(
                &at("chi2_statistic"),
                g.chi2_statistic,
                w("chi2_statistic"),
                1e-9,
            );
            check(&at("chi2_pvalue"), g.chi2_pvalue, w("chi2_pvalue"), 1e-6);
            check(&at("js"), g.js_distance, w("js_distance"), 1e-9);
            check(&at("js2"), g2.js_distance, w("js_distance_base2"), 1e-9);
            check(&at("wasserstein"), g.wasserstein, w("wasserstein"), 1e-9);
            check(
                &at("wasserstein_norm"),
                g.wasserstein_norm,
                w("wasserstein_norm"),
                1e-9,
            );
            let want_new: Option<Vec<String>> = want["new_categories"].as_array().map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect()
            });
            assert_eq!(g.new_categories, want_new, "{}", at("new_categories"));
            checked += 1;
        }
    }
    assert!(checked >= 20, "only {checked} columns checked");
}

#[test]
fn far_tail_p_values_are_normal_numbers() {
    // The fixtures really exercise the 1e-300 region (not just zeros).
    let cols = run("large", None);
    let far = cols
        .iter()
        .find(|c| c.column == "farther")
        .expect("farther");
    let p = far.ks_pvalue.expect("p");
    assert!(p > 0.0 && p < 1e-250, "{p:e}");
    let cols = run("yates", None);
    let deep = cols.iter().find(|c| c.column == "deep").expect("deep");
    let p = deep.chi2_pvalue.expect("p");
    assert!(p > 0.0 && p < 1e-290, "{p:e}");
}
