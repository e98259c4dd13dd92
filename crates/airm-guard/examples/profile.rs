//! Development aid: time normalisation/decoding and each input rule on 2 KB prompts.
//!
//! `profile FILE.jsonl [N]`: the first N texts (default 500) grown to 2 KB. Prints the mean
//! time of each normalisation step, then of each rule with its median and 75th percentile
//! over the texts (each text timed alone; PI001 and PI014 each extract the features
//! themselves here, so each of them shows the cost of the shared extraction), then the
//! slowest full checks. With `SLOWEST=PI016` (any rule id), also that rule's five slowest
//! texts.
use std::time::Instant;

use airm_guard::classifier::PackedWeights;
use airm_guard::decode::prepare;
use airm_guard::policy::Compiled;
use airm_guard::rules::{Cx, INPUT};
use airm_guard::{Model, Policy};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .ok_or("usage: profile DEV.jsonl [N]")?;
    let n: usize = std::env::args().nth(2).map_or(Ok(500), |a| a.parse())?;
    let model = Model::default_model()?;
    let policy = Policy::default();
    let compiled = Compiled::new(
        &policy,
        model.threshold,
        model.harmful.as_ref().map_or(1.0, |h| h.threshold),
    )?;
    let weights = PackedWeights::new(model);
    let mut texts = Vec::new();
    for line in std::fs::read_to_string(path)?.lines().take(n) {
        let v: serde_json::Value = serde_json::from_str(line)?;
        let t = v["text"].as_str().unwrap_or("").to_string();
        let mut s = String::new();
        while s.len() < 2048 && !t.is_empty() {
            s.push_str(&t);
            s.push('\n');
        }
        let mut cut = 2048.min(s.len());
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
        texts.push(s);
    }
    use airm_guard::normalize::*;
    for (name, f) in [
        (
            "strip",
            (|t: &str| strip_invisible(t).0.len()) as fn(&str) -> usize,
        ),
        ("nfkc", |t| nfkc(t).len()),
        ("fold", |t| fold(t).len()),
        ("unleet", |t| unleet(t).map_or(0, |s| s.len())),
        ("join_spaced", |t| join_spaced(t).map_or(0, |s| s.len())),
    ] {
        let t0 = Instant::now();
        let mut n = 0;
        for t in &texts {
            n += f(t);
        }
        println!(
            "{name}: {:.1} µs/text ({n})",
            t0.elapsed().as_secs_f64() * 1e6 / texts.len() as f64
        );
    }
    let mut prep_times = Vec::with_capacity(texts.len());
    let preps: Vec<_> = texts
        .iter()
        .map(|t| {
            let t0 = Instant::now();
            let p = prepare(t, &policy.decode);
            prep_times.push(t0.elapsed().as_secs_f64() * 1e6);
            p
        })
        .collect();
    let prep_mean = prep_times.iter().sum::<f64>() / prep_times.len().max(1) as f64;
    prep_times.sort_by(f64::total_cmp);
    let prep_at = |q: usize| {
        prep_times
            .get(prep_times.len() * q / 100)
            .copied()
            .unwrap_or(0.0)
    };
    println!(
        "prepare: {prep_mean:.1} µs/text; median {:.2} µs, p75 {:.2} µs",
        prep_at(50),
        prep_at(75)
    );
    let nv: usize = preps.iter().map(|p| p.variants.len()).sum();
    println!("variants per text: {:.2}", nv as f64 / texts.len() as f64);
    let mut kinds = std::collections::BTreeMap::new();
    for p in &preps {
        for v in p.decoded() {
            *kinds.entry(format!("{:?}", v.chain)).or_insert(0) += 1;
        }
    }
    println!("{kinds:?}");
    for r in INPUT {
        let mut times = Vec::with_capacity(texts.len());
        let mut hits = 0;
        for (t, p) in texts.iter().zip(&preps) {
            let cx = Cx {
                original: t,
                prepared: p,
                compiled: &compiled,
                model,
                weights: &weights,
                output: None,
                heads: Default::default(),
            };
            let mut out = Vec::new();
            let t0 = Instant::now();
            (r.scan)(&cx, &mut out);
            times.push(t0.elapsed().as_secs_f64() * 1e6);
            hits += out.len();
        }
        if std::env::var("SLOWEST").is_ok_and(|id| id == r.meta.id) {
            let mut order: Vec<usize> = (0..times.len()).collect();
            order.sort_by(|&a, &b| times[b].total_cmp(&times[a]));
            for &i in order.iter().take(5) {
                let head: String = texts[i].chars().take(80).collect();
                println!("   {:.1} µs: {head:?}", times[i]);
            }
        }
        let mean = times.iter().sum::<f64>() / times.len().max(1) as f64;
        times.sort_by(f64::total_cmp);
        let at = |q: usize| times.get(times.len() * q / 100).copied().unwrap_or(0.0);
        println!(
            "{} {:24} {mean:.1} µs/text ({hits} hits); median {:.2} µs, p75 {:.2} µs",
            r.meta.id,
            r.meta.name,
            at(50),
            at(75)
        );
    }
    let guard = airm_guard::Guard::new(Policy::default())?;
    let mut slow: Vec<(u128, usize)> = Vec::new();
    for (i, t) in texts.iter().enumerate() {
        let t0 = Instant::now();
        std::hint::black_box(guard.check_input(t, airm_guard::Source::User));
        slow.push((t0.elapsed().as_nanos(), i));
    }
    slow.sort_unstable();
    println!("median {} µs", slow[slow.len() / 2].0 / 1000);
    for &(ns, i) in slow.iter().rev().take(4) {
        let p = &preps[i];
        println!(
            "{} µs, {} variants {:?}: {:?}",
            ns / 1000,
            p.variants.len(),
            p.variants
                .iter()
                .map(|v| v.chain.clone())
                .collect::<Vec<_>>(),
            texts[i].chars().take(80).collect::<String>()
        );
        for r in INPUT {
            let t0 = Instant::now();
            let cx = Cx {
                original: &texts[i],
                prepared: p,
                compiled: &compiled,
                model,
                weights: &weights,
                output: None,
                heads: Default::default(),
            };
            let mut out = Vec::new();
            (r.scan)(&cx, &mut out);
            let us = t0.elapsed().as_micros();
            if us > 20 {
                println!("   {} {us} µs", r.meta.id);
            }
        }
        let t0 = Instant::now();
        let _ = prepare(&texts[i], &policy.decode);
        println!("   prepare {} µs", t0.elapsed().as_micros());
    }
    Ok(())
}
