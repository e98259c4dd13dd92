//! The Kolmogorov distribution (`kstwo`) and the chi-squared survival function against
//! SciPy (`fixtures/drift/distributions.json`, made by `gen_distributions.py`).

use airm_monitor::stats::{chi2_sf, kolmogn_cdf, kolmogn_sf};
use serde_json::Value;

use crate::{assert_close, fixture};

fn load() -> Value {
    let text = std::fs::read_to_string(fixture("distributions.json")).expect("fixture");
    serde_json::from_str(&text).expect("json")
}

fn num(v: &Value, k: &str) -> f64 {
    v.get(k).and_then(Value::as_f64).unwrap_or(f64::NAN)
}

#[test]
fn kstwo_sf_and_cdf_match_scipy() {
    let all = load();
    let cases = all["kstwo"].as_array().expect("kstwo");
    assert!(cases.len() > 500);
    for c in cases {
        let n = c["n"].as_u64().expect("n");
        let d = num(c, "d");
        assert_close(
            &format!("kstwo.sf({d}, {n})"),
            kolmogn_sf(n, d),
            num(c, "sf"),
            1e-6,
        );
        let want_cdf = num(c, "cdf");
        let got_cdf = kolmogn_cdf(n, d);
        assert!(
            (got_cdf - want_cdf).abs() <= 1e-6 * want_cdf.max(1e-300)
                || (got_cdf - want_cdf).abs() < 1e-15,
            "kstwo.cdf({d}, {n}): got {got_cdf:e}, want {want_cdf:e}"
        );
    }
}

#[test]
fn chi2_sf_matches_scipy_to_1e12() {
    let all = load();
    for c in all["chi2"].as_array().expect("chi2") {
        let dof = num(c, "dof");
        let x = num(c, "x");
        assert_close(
            &format!("chi2.sf({x}, {dof})"),
            chi2_sf(x, dof),
            num(c, "sf"),
            1e-12,
        );
    }
}
