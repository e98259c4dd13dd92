//! Statistics for drift detection: special functions, the Kolmogorov distribution, and the
//! two-sample tests and distances computed on sorted numeric samples or category counts.
//!
//! Everything here is pure and deterministic; inputs are finite `f64` (missing values are
//! removed by the caller) and counts. The conventions are documented in
//! `docs/monitoring.md` ("Drift tests") and checked against SciPy-computed fixtures.

pub mod kolmogorov;
pub mod sort;
pub mod special;
pub mod two_sample;

pub use kolmogorov::{kolmogn_cdf, kolmogn_sf, ks_2samp_asymp_pvalue, smirnov_sf};
pub use special::{chi2_sf, gamma_q, ln_gamma};
pub use two_sample::*;
