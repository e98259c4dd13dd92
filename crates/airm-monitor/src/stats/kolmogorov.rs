//! The exact distribution of the one-sample two-sided Kolmogorov–Smirnov statistic `D_n`
//! (`kolmogn`), following the algorithm choices of Simard & L'Ecuyer (2011) as SciPy's
//! `kstwo` makes them: Ruben–Gambino closed forms at the ends, Durbin's matrix (in the
//! Marsaglia–Tsang–Wang form), Pomeranz's recursion, the Pelz–Good asymptotic series and
//! twice the one-sided Smirnov tail (Birnbaum–Tingey sum), depending on `n` and `n·d²`.
//!
//! The two-sample asymptotic p-value of `ks_2samp(method="asymp")` is
//! `kolmogn_sf(round(n·m/(n+m)), D)`. Written from the published algorithms; no allocation
//! beyond small work matrices (at most a few hundred rows).

const E128: i32 = 128;
const EP128: f64 = 3.402_823_669_209_385e38; // 2^128
const EM128: f64 = 2.938_735_877_055_719e-39; // 2^-128
const MINLOG: f64 = -745.133_219_101_941_2;
const MIN_LOG_PELZ: f64 = -708.0;
const LOG_2PI: f64 = 1.837_877_066_409_345_5;

/// `Pr(D_n > d)` (survival function) of the two-sided one-sample KS statistic.
pub fn kolmogn_sf(n: u64, d: f64) -> f64 {
    kolmogn(n, d, false)
}

/// `Pr(D_n <= d)` of the two-sided one-sample KS statistic.
pub fn kolmogn_cdf(n: u64, d: f64) -> f64 {
    kolmogn(n, d, true)
}

fn select(cdfprob: f64, sfprob: f64, cdf: bool) -> f64 {
    let p = if cdf { cdfprob } else { sfprob };
    p.clamp(0.0, 1.0)
}

fn kolmogn(n: u64, x: f64, cdf: bool) -> f64 {
    if n == 0 || x.is_nan() {
        return f64::NAN;
    }
    if x >= 1.0 {
        return select(1.0, 0.0, cdf);
    }
    if x <= 0.0 {
        return select(0.0, 1.0, cdf);
    }
    #[allow(clippy::cast_precision_loss)]
    let nf = n as f64;
    let t = nf * x;
    if t <= 1.0 {
        if t <= 0.5 {
            return select(0.0, 1.0, cdf);
        }
        let prob = if n <= 140 {
            let mut p = 1.0;
            for i in 1..=n {
                #[allow(clippy::cast_precision_loss)]
                let fi = i as f64;
                p *= fi * (1.0 / nf) * (2.0 * t - 1.0);
            }
            p
        } else {
            (log_nfactorial_div_n_pow_n(nf) + nf * (2.0 * t - 1.0).ln()).exp()
        };
        return select(prob, 1.0 - prob, cdf);
    }
    if t >= nf - 1.0 {
        let prob = 2.0 * (1.0 - x).powf(nf);
        return select(1.0 - prob, prob, cdf);
    }
    if x >= 0.5 {
        let prob = 2.0 * smirnov_sf(n, x);
        return select(1.0 - prob, prob, cdf);
    }
    let nxsquared = t * x;
    if n <= 140 {
        if nxsquared <= 0.754_693 {
            let prob = durbin_mtw_cdf(n, x);
            return select(prob, 1.0 - prob, cdf);
        }
        if nxsquared <= 4.0 {
            let prob = pomeranz_cdf(n, x);
            return select(prob, 1.0 - prob, cdf);
        }
        let prob = 2.0 * smirnov_sf(n, x);
        return select(1.0 - prob, prob, cdf);
    }
    if !cdf {
        if nxsquared >= 370.0 {
            return 0.0;
        }
        if nxsquared >= 2.2 {
            return (2.0 * smirnov_sf(n, x)).clamp(0.0, 1.0);
        }
    }
    let cdfprob = if nxsquared >= 18.0 {
        1.0
    } else if n <= 100_000 && nf * x.powf(1.5) <= 1.4 {
        durbin_mtw_cdf(n, x)
    } else {
        pelz_good_cdf(nf, x)
    };
    select(cdfprob, 1.0 - cdfprob, cdf)
}

/// `ln(n! / n^n)` by Stirling's series with `n ln n` removed up front.
fn log_nfactorial_div_n_pow_n(n: f64) -> f64 {
    const STIRLING: [f64; 8] = [
        -2.955_065_359_477_124e-2,
        6.410_256_410_256_41e-3,
        -1.917_526_917_526_917_5e-3,
        8.417_508_417_508_417e-4,
        -5.952_380_952_380_952e-4,
        7.936_507_936_507_937e-4,
        -2.777_777_777_777_778e-3,
        8.333_333_333_333_333e-2,
    ];
    let rn = 1.0 / n;
    let z = rn / n;
    let mut poly = 0.0;
    for c in STIRLING {
        poly = poly * z + c;
    }
    n.ln() / 2.0 - n + LOG_2PI / 2.0 + rn * poly
}

/// Scales `v` by `2^e` in steps that never overflow an `f64` exponent.
fn ldexp(mut v: f64, mut e: i64) -> f64 {
    while e > 1000 {
        v *= 2f64.powi(1000);
        e -= 1000;
    }
    while e < -1000 {
        v *= 2f64.powi(-1000);
        e += 1000;
    }
    #[allow(clippy::cast_possible_truncation)]
    let e = e as i32;
    v * 2f64.powi(e)
}

/// Durbin's matrix algorithm (Marsaglia, Tsang & Wang 2003): `Pr(D_n <= d)`.
fn durbin_mtw_cdf(n: u64, d: f64) -> f64 {
    if d >= 1.0 {
        return 1.0;
    }
    #[allow(clippy::cast_precision_loss)]
    let nf = n as f64;
    let nd = nf * d;
    if nd <= 0.5 {
        return 0.0;
    }
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let k = nd.ceil() as usize;
    #[allow(clippy::cast_precision_loss)]
    let h = k as f64 - nd;
    let m = 2 * k - 1;
    let mut v = vec![0.0f64; m];
    let mut w = vec![0.0f64; m];
    let mut fac = 1.0f64;
    for j in 1..=m {
        #[allow(clippy::cast_possible_truncation, clippy::cast_possible_wrap)]
        let hj = h.powi(j as i32);
        w[j - 1] = fac;
        #[allow(clippy::cast_precision_loss)]
        let jf = j as f64;
        fac /= jf;
        v[j - 1] = (1.0 - hj) * fac;
    }
    #[allow(clippy::cast_possible_truncation, clippy::cast_possible_wrap)]
    let mi = m as i32;
    let tt = (2.0 * h - 1.0).max(0.0).powi(mi) - 2.0 * h.powi(mi);
    v[m - 1] = (1.0 + tt) * fac;

    let mut hm = vec![0.0f64; m * m];
    for i in 1..m {
        for r in (i - 1)..m {
            hm[r * m + i] = w[r - (i - 1)];
        }
    }
    for r in 0..m {
        hm[r * m] = v[r];
    }
    for c in 0..m {
        hm[(m - 1) * m + c] = v[m - 1 - c];
    }
    let mut pwr = vec![0.0f64; m * m];
    for i in 0..m {
        pwr[i * m + i] = 1.0;
    }
    let mut nn = n;
    let mut expnt: i64 = 0;
    let mut hexpnt: i64 = 0;
    let mut tmp = vec![0.0f64; m * m];
    while nn > 0 {
        if nn % 2 == 1 {
            matmul(&pwr, &hm, &mut tmp, m);
            std::mem::swap(&mut pwr, &mut tmp);
            expnt += hexpnt;
        }
        matmul(&hm, &hm, &mut tmp, m);
        std::mem::swap(&mut hm, &mut tmp);
        hexpnt *= 2;
        if hm[(k - 1) * m + (k - 1)].abs() > EP128 {
            for x in &mut hm {
                *x /= EP128;
            }
            hexpnt += i64::from(E128);
        }
        nn /= 2;
    }
    let mut p = pwr[(k - 1) * m + (k - 1)];
    for i in 1..=n {
        #[allow(clippy::cast_precision_loss)]
        let fi = i as f64;
        p = fi * p / nf;
        if p.abs() < EM128 {
            p *= EP128;
            expnt -= i64::from(E128);
        }
    }
    if expnt != 0 {
        p = ldexp(p, expnt);
    }
    p.clamp(0.0, 1.0)
}

fn matmul(a: &[f64], b: &[f64], out: &mut [f64], m: usize) {
    for x in out.iter_mut() {
        *x = 0.0;
    }
    for i in 0..m {
        for l in 0..m {
            let ail = a[i * m + l];
            if ail == 0.0 {
                continue;
            }
            let brow = &b[l * m..(l + 1) * m];
            let orow = &mut out[i * m..(i + 1) * m];
            for (o, bv) in orow.iter_mut().zip(brow) {
                *o += ail * bv;
            }
        }
    }
}

fn pomeranz_j1j2(i: i64, n: i64, ll: i64, ceilf: i64, roundf: i64) -> (i64, i64) {
    let (j1, j2) = if i == 0 {
        (-ll - ceilf - 1, ll + ceilf - 1)
    } else {
        let ip1div2 = (i + 1) / 2;
        let ip1mod2 = (i + 1) % 2;
        if ip1mod2 == 0 {
            if ip1div2 == n + 1 {
                (n - ll - ceilf - 1, n + ll + ceilf - 1)
            } else {
                (ip1div2 - 1 - ll - roundf - 1, ip1div2 + ll - 1 + ceilf - 1)
            }
        } else {
            (ip1div2 - 1 - ll - 1, ip1div2 + ll + roundf - 1)
        }
    };
    ((j1 + 2).max(0), j2.min(n))
}

/// Pomeranz's recursion (1974): `Pr(D_n <= d)`.
fn pomeranz_cdf(n: u64, x: f64) -> f64 {
    #[allow(clippy::cast_possible_wrap)]
    let ni = n as i64;
    #[allow(clippy::cast_precision_loss)]
    let nf = n as f64;
    let t = nf * x;
    #[allow(clippy::cast_possible_truncation)]
    let ll = t.floor() as i64;
    #[allow(clippy::cast_precision_loss)]
    let f = t - ll as f64;
    let g = f.min(1.0 - f);
    let ceilf = i64::from(f > 0.0);
    let roundf = i64::from(f > 0.5);
    #[allow(clippy::cast_sign_loss, clippy::cast_possible_truncation)]
    let npwrs = (2 * (ll + 1)) as usize;
    let mut gpower = vec![1.0f64; npwrs];
    let mut twogpower = vec![1.0f64; npwrs];
    let mut onem2gpower = vec![1.0f64; npwrs];
    let (gn, tgn, omtgn) = (g / nf, 2.0 * g / nf, (1.0 - 2.0 * g) / nf);
    for m in 1..npwrs {
        #[allow(clippy::cast_precision_loss)]
        let mf = m as f64;
        gpower[m] = gpower[m - 1] * gn / mf;
        twogpower[m] = twogpower[m - 1] * tgn / mf;
        onem2gpower[m] = onem2gpower[m - 1] * omtgn / mf;
    }
    let mut v0 = vec![0.0f64; npwrs];
    let mut v1 = vec![0.0f64; npwrs];
    v1[0] = 1.0;
    let (mut v0s, mut v1s) = (0i64, 0i64);
    let mut expnt: i64 = 0;
    let (mut j1, mut _j2) = pomeranz_j1j2(0, ni, ll, ceilf, roundf);
    let mut conv: Vec<f64> = Vec::with_capacity(2 * npwrs);
    for i in 1..(2 * ni + 2) {
        let k1 = j1;
        std::mem::swap(&mut v0, &mut v1);
        std::mem::swap(&mut v0s, &mut v1s);
        v1.iter_mut().for_each(|x| *x = 0.0);
        let (nj1, j2) = pomeranz_j1j2(i, ni, ll, ceilf, roundf);
        j1 = nj1;
        _j2 = j2;
        let pwrs = if i == 1 || i == 2 * ni + 1 {
            &gpower
        } else if i % 2 == 1 {
            &twogpower
        } else {
            &onem2gpower
        };
        let ln2 = j2 - k1 + 1;
        if ln2 > 0 {
            // Full convolution of V0[k1 - V0s .. +ln2] with pwrs[..ln2].
            let start = k1 - v0s;
            #[allow(clippy::cast_sign_loss, clippy::cast_possible_truncation)]
            let len = ln2 as usize;
            let a: Vec<f64> = (0..len)
                .map(|q| {
                    #[allow(clippy::cast_possible_wrap)]
                    let idx = start + q as i64;
                    usize::try_from(idx)
                        .ok()
                        .and_then(|u| v0.get(u))
                        .copied()
                        .unwrap_or(0.0)
                })
                .collect();
            let b = pwrs.get(..len.min(pwrs.len())).unwrap_or(&[]);
            conv.clear();
            conv.resize(a.len() + b.len().max(1) - 1, 0.0);
            for (p, av) in a.iter().enumerate() {
                if *av == 0.0 {
                    continue;
                }
                for (q, bv) in b.iter().enumerate() {
                    conv[p + q] += av * bv;
                }
            }
            let conv_start = j1 - k1;
            let conv_len = j2 - j1 + 1;
            for q in 0..conv_len.max(0) {
                let src = usize::try_from(conv_start + q)
                    .ok()
                    .and_then(|u| conv.get(u));
                if let (Some(dst), Some(s)) =
                    (usize::try_from(q).ok().and_then(|u| v1.get_mut(u)), src)
                {
                    *dst = *s;
                }
            }
            let mx = v1.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            if mx > 0.0 && mx < EM128 {
                v1.iter_mut().for_each(|x| *x *= EP128);
                expnt -= i64::from(E128);
            }
            v1s = v0s + j1 - k1;
        }
    }
    let mut ans = usize::try_from(ni - v1s)
        .ok()
        .and_then(|u| v1.get(u))
        .copied()
        .unwrap_or(0.0);
    for m in 1..=n {
        if ans.abs() > EP128 {
            ans *= EM128;
            expnt += i64::from(E128);
        }
        #[allow(clippy::cast_precision_loss)]
        let mf = m as f64;
        ans *= mf;
    }
    if expnt != 0 {
        ans = ldexp(ans, expnt);
    }
    ans.clamp(0.0, 1.0)
}

/// Pelz & Good (1976) asymptotic series for `Pr(D_n <= x)`.
fn pelz_good_cdf(n: f64, x: f64) -> f64 {
    use std::f64::consts::PI;
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let pi2 = PI * PI;
    let pi4 = pi2 * pi2;
    let pi6 = pi4 * pi2;
    let sqrt2pi = (2.0 * PI).sqrt();
    let z = n.sqrt() * x;
    let (z2, z3, z4, z6) = (z * z, z * z * z, z.powi(4), z.powi(6));
    let qlog = -pi2 / 8.0 / z2;
    if qlog < MIN_LOG_PELZ {
        return 0.0;
    }
    let q = qlog.exp();
    let k1a = -z2;
    let k1b = pi2 / 4.0;
    let k2a = 6.0 * z6 + 2.0 * z4;
    let k2b = (2.0 * z4 - 5.0 * z2) * pi2 / 4.0;
    let k2c = pi4 * (1.0 - 2.0 * z2) / 16.0;
    let k3d = pi6 * (5.0 - 30.0 * z2) / 64.0;
    let k3c = pi4 * (-60.0 * z2 + 212.0 * z4) / 16.0;
    let k3b = pi2 * (135.0 * z4 - 96.0 * z6) / 4.0;
    let k3a = -30.0 * z6 - 90.0 * z.powi(8);
    let mut k = [0.0f64; 4];
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let maxk = (16.0 * z / PI).ceil() as i64;
    for kk in (1..=maxk).rev() {
        #[allow(clippy::cast_precision_loss)]
        let m = (2 * kk - 1) as f64;
        let (m2, m4, m6) = (m * m, m.powi(4), m.powi(6));
        #[allow(clippy::cast_precision_loss)]
        let qpower = q.powf(8.0 * kk as f64);
        let coeffs = [
            1.0,
            k1a + k1b * m2,
            k2a + k2b * m2 + k2c * m4,
            k3a + k3b * m2 + k3c * m4 + k3d * m6,
        ];
        for (kv, c) in k.iter_mut().zip(coeffs) {
            *kv = *kv * qpower + c;
        }
    }
    let div = [z, 6.0 * z4, 72.0 * z.powi(7), 6480.0 * z.powi(10)];
    for (kv, dv) in k.iter_mut().zip(div) {
        *kv = *kv * q * sqrt2pi / dv;
    }
    let q2 = (-pi2 / 2.0 / z2).exp();
    let mut k2extra = 0.0;
    let mut k3extra = 0.0;
    let sqrt3z = 3f64.sqrt() * z;
    for kk in (1..=maxk).rev() {
        #[allow(clippy::cast_precision_loss)]
        let kf = kk as f64;
        let ks2 = kf * kf;
        let qp = q2.powf(ks2);
        k2extra += ks2 * qp;
        let kspi = PI * kf;
        k3extra += (sqrt3z + kspi) * (sqrt3z - kspi) * ks2 * qp;
    }
    k[2] += k2extra * pi2 * sqrt2pi / (-36.0 * z3);
    k[3] += k3extra * pi2 * sqrt2pi / (216.0 * z6);
    let mut sum = 0.0;
    for (i, kv) in k.iter().enumerate() {
        #[allow(clippy::cast_precision_loss)]
        let p = n.powf(i as f64 / 2.0);
        sum += kv / p;
    }
    sum
}

/// Survival function of the one-sided Smirnov statistic `Pr(D_n^+ >= x)`, by the
/// Birnbaum–Tingey sum with terms in log space (and its closed forms at the ends).
pub fn smirnov_sf(n: u64, x: f64) -> f64 {
    if n == 0 || x.is_nan() || !(0.0..=1.0).contains(&x) {
        return f64::NAN;
    }
    if n == 1 {
        return 1.0 - x;
    }
    if x == 0.0 {
        return 1.0;
    }
    if x == 1.0 {
        return 0.0;
    }
    #[allow(clippy::cast_precision_loss)]
    let nf = n as f64;
    // floor(n x) and the remainder, exactly.
    let p = nf * x;
    let e = nf.mul_add(x, -p);
    let mut fl = p.floor();
    let mut alpha = (p - fl) + e;
    if alpha < 0.0 {
        fl -= 1.0;
        alpha += 1.0;
    }
    if alpha >= 1.0 {
        fl += 1.0;
        alpha -= 1.0;
    }
    if fl == 0.0 || (fl == 1.0 && alpha == 0.0) {
        let cdf = x * (1.0 + x).powf(nf - 1.0);
        return (1.0 - cdf).clamp(0.0, 1.0);
    }
    if -2.0 * nf * x * x < MINLOG {
        return 0.0;
    }
    if fl >= nf - 1.0 {
        return (1.0 - x).powf(nf).clamp(0.0, 1.0);
    }
    if n > 1_000_000 {
        let logp = -(6.0 * nf * x + 1.0).powi(2) / 18.0 / nf;
        return logp.exp();
    }
    // Terms v = 0 ..= n - fl - 1 of  C(n,v) (x+v/n)^(v-1) (1-x-v/n)^(n-v).
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let last = (nf - fl - 1.0) as u64;
    let n_terms = last + 1;
    let mut log_c = 0.0f64; // ln C(n, v)
    let mut m = f64::NEG_INFINITY; // running log-sum-exp: sum = e^m * s
    let mut s = 0.0f64;
    let eps_ln = f64::EPSILON.ln();
    for v in 0..=last {
        #[allow(clippy::cast_precision_loss)]
        let vf = v as f64;
        let up = (fl + vf + alpha) / nf; // x + v/n
        let down = ((nf - vf - fl) - alpha) / nf; // 1 - x - v/n
        let l = log_c + (vf - 1.0) * up.ln() + (nf - vf) * down.ln();
        if l.is_finite() {
            if l > m {
                s = s * (m - l).exp() + 1.0;
                m = l;
            } else {
                s += (l - m).exp();
            }
            #[allow(clippy::cast_precision_loss)]
            let remaining = (n_terms - v) as f64;
            if v != last && l + (4.0 * remaining).ln() < eps_ln + m + s.ln() {
                break;
            }
        } else if v > n / 2 {
            break;
        }
        log_c += ((nf - vf) / (vf + 1.0)).ln();
    }
    if s == 0.0 {
        return 0.0;
    }
    (x.ln() + m + s.ln()).exp().clamp(0.0, 1.0)
}

/// Two-sided p-value of the two-sample KS test as SciPy's `ks_2samp(method="asymp")`:
/// the exact one-sample distribution at the effective size `round(n·m/(n+m))` (ties to
/// even, as NumPy rounds).
pub fn ks_2samp_asymp_pvalue(d: f64, n1: u64, n2: u64) -> f64 {
    #[allow(clippy::cast_precision_loss)]
    let (a, b) = (n1.max(n2) as f64, n1.min(n2) as f64);
    let en = a * b / (a + b);
    let ne = en.round_ties_even();
    if ne.is_nan() || ne < 1.0 {
        return f64::NAN;
    }
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    kolmogn_sf(ne as u64, d).clamp(0.0, 1.0)
}
