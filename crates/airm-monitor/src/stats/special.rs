//! Special functions the drift tests need: the log-gamma function and the regularised
//! upper incomplete gamma function (the chi-squared survival function), both to about
//! 1e-14 relative accuracy for the arguments the tests produce.
//!
//! Pure `f64` arithmetic; no tables beyond the Stirling coefficients, no allocation.

/// `ln Γ(x)` for `x > 0` (NaN otherwise).
pub fn ln_gamma(x: f64) -> f64 {
    if x.is_nan() || x <= 0.0 {
        return f64::NAN;
    }
    if x.is_infinite() {
        return f64::INFINITY;
    }
    // Shift into the range where Stirling's series converges to double precision.
    let mut shift = 0.0;
    let mut z = x;
    let mut prod = 1.0;
    while z < 10.0 {
        prod *= z;
        z += 1.0;
        if prod > 1e280 {
            shift += prod.ln();
            prod = 1.0;
        }
    }
    shift += prod.ln();
    // B_{2j} / (2j (2j-1)) for j = 1..8.
    const C: [f64; 8] = [
        1.0 / 12.0,
        -1.0 / 360.0,
        1.0 / 1260.0,
        -1.0 / 1680.0,
        1.0 / 1188.0,
        -691.0 / 360_360.0,
        1.0 / 156.0,
        -3617.0 / 122_400.0,
    ];
    let r = 1.0 / z;
    let r2 = r * r;
    let mut series = 0.0;
    for c in C.iter().rev() {
        series = series * r2 + c;
    }
    series *= r;
    const HALF_LN_2PI: f64 = 0.918_938_533_204_672_8;
    (z - 0.5) * z.ln() - z + HALF_LN_2PI + series - shift
}

/// The regularised upper incomplete gamma function `Q(a, x) = Γ(a, x) / Γ(a)`.
pub fn gamma_q(a: f64, x: f64) -> f64 {
    if a.is_nan() || x.is_nan() || a <= 0.0 || x < 0.0 {
        return f64::NAN;
    }
    if x == 0.0 {
        return 1.0;
    }
    if x.is_infinite() {
        return 0.0;
    }
    let log_prefactor = a * x.ln() - x - ln_gamma(a);
    if x < a + 1.0 {
        // Series for P(a, x); Q = 1 - P.
        let mut term = 1.0 / a;
        let mut sum = term;
        let mut ap = a;
        for _ in 0..10_000 {
            ap += 1.0;
            term *= x / ap;
            sum += term;
            if term.abs() < sum.abs() * 1e-17 {
                break;
            }
        }
        let p = (log_prefactor).exp() * sum;
        (1.0 - p).clamp(0.0, 1.0)
    } else {
        // Continued fraction for Q (modified Lentz).
        const TINY: f64 = 1e-300;
        let mut b = x + 1.0 - a;
        let mut c = 1.0 / TINY;
        let mut d = 1.0 / b;
        let mut h = d;
        for i in 1..10_000 {
            let fi = f64::from(i);
            let an = -fi * (fi - a);
            b += 2.0;
            d = an * d + b;
            if d.abs() < TINY {
                d = TINY;
            }
            c = b + an / c;
            if c.abs() < TINY {
                c = TINY;
            }
            d = 1.0 / d;
            let delta = d * c;
            h *= delta;
            if (delta - 1.0).abs() < 1e-16 {
                break;
            }
        }
        (log_prefactor.exp() * h).clamp(0.0, 1.0)
    }
}

/// Survival function of the chi-squared distribution with `dof` degrees of freedom.
pub fn chi2_sf(stat: f64, dof: f64) -> f64 {
    if stat.is_nan() || dof.is_nan() || dof <= 0.0 {
        return f64::NAN;
    }
    if stat <= 0.0 {
        return 1.0;
    }
    gamma_q(dof / 2.0, stat / 2.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rel(a: f64, b: f64) -> f64 {
        if b == 0.0 {
            a.abs()
        } else {
            ((a - b) / b).abs()
        }
    }

    #[test]
    fn ln_gamma_matches_factorials() {
        let mut f = 1.0f64;
        for n in 1..60u32 {
            // ln Γ(n+1) = ln n!
            f *= f64::from(n);
            assert!(rel(ln_gamma(f64::from(n) + 1.0), f.ln()) < 1e-14, "n={n}");
        }
        assert!(rel(ln_gamma(0.5), std::f64::consts::PI.sqrt().ln()) < 1e-14);
    }

    #[test]
    fn chi2_sf_known_values() {
        // dof 2: sf = exp(-x/2).
        for x in [0.1, 1.0, 5.0, 50.0, 500.0, 1400.0] {
            assert!(rel(chi2_sf(x, 2.0), (-x / 2.0).exp()) < 1e-13, "x={x}");
        }
        assert_eq!(chi2_sf(0.0, 3.0), 1.0);
    }
}
