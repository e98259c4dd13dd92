//! Integration tests of airm-monitor: statistics checked against values computed
//! independently with NumPy/SciPy (fixtures and the scripts that produced them live in
//! `tests/fixtures/drift/`), readers on bad input, and sketches/profile merging.

mod distributions;
mod drift_fixtures;
#[cfg(feature = "parquet")]
mod parquet;
mod sketches;

use std::path::PathBuf;

pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/drift")
        .join(name)
}

/// Relative tolerance where the expected value is a normal float; absolute `tiny`
/// otherwise (SciPy underflows to subnormals/zero in the far tail).
pub fn assert_close(what: &str, got: f64, want: f64, rel: f64) {
    if want.is_nan() {
        assert!(got.is_nan(), "{what}: got {got}, want NaN");
        return;
    }
    if want.abs() < f64::MIN_POSITIVE {
        assert!(got.abs() < 1e-300, "{what}: got {got:e}, want {want:e}");
        return;
    }
    let err = ((got - want) / want).abs();
    assert!(
        err <= rel,
        "{what}: got {got:e}, want {want:e} (relative error {err:e} > {rel:e})"
    );
}
