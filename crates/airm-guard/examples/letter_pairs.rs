//! Builds the letter-pair table of `airm_guard::letter_pairs` (which way a text reads, and
//! whether it is rot13, in any script) and reports how it judges a hold-out. Reproduces the
//! embedded table byte for byte (the CC BY-NC parts of the prompt set are left out, as for
//! the classifier):
//!
//! `cargo run --release -p airm-guard --example letter_pairs -- /work/shared/data/prompts/train.jsonl crates/airm-guard/model/letter_pairs.bin --exclude-source hikariming/alpaca_chinese_dataset --exclude-source tatsu-lab/alpaca_eval`
//!
//! Every text (attack or benign: only the direction of natural writing matters) is folded as
//! the guard folds input. The hold-out report uses a table built without the 15 % of texts
//! whose FNV-1a hash falls in it: how many of them (as they are) would be judged reversed or
//! rot13 (false alarms), and how many of their reversed and rot13 forms are recognised. The
//! table written is built from every text.

mod support;

use std::collections::BTreeMap;

use airm_guard::decode::{rot13, Decoding};
use airm_guard::letter_pairs::{build, judge, naturalness_with};
use airm_guard::normalize::{fold, nfkc, strip_invisible};

fn folded(text: &str) -> String {
    fold(&nfkc(&strip_invisible(text).0))
}

fn fnv1a(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (pos, exclude) = support::args()?;
    let (Some(data), Some(out)) = (pos.first(), pos.get(1)) else {
        return Err("usage: letter_pairs TRAIN.jsonl OUT.bin [--exclude-source PREFIX]...".into());
    };
    let (examples, _) = support::examples(data, &exclude)?;
    if examples.is_empty() {
        return Err(format!("{data}: no texts to build the table from").into());
    }
    let texts: Vec<String> = examples.iter().map(|e| folded(&e.text)).collect();
    let held = |t: &String| fnv1a(t) % 100 < 15;
    let fit = build(texts.iter().filter(|t| !held(t)).map(String::as_str));
    // Hold-out: per source (before the colon), texts as they are judged (false alarms) and
    // their reversed and rot13 forms recognised.
    let mut rows: BTreeMap<String, [usize; 4]> = BTreeMap::new();
    for (e, t) in examples.iter().zip(&texts) {
        if !held(t) {
            continue;
        }
        let src = e.source.as_deref().unwrap_or("-");
        let src = src.split(':').next().unwrap_or(src).to_string();
        let r = rows.entry(src).or_default();
        r[0] += 1;
        let n = naturalness_with(&fit, t);
        if let Some(k) = judge(&n) {
            r[1] += 1;
            eprintln!(
                "judged {k:?} as it is ({n:?}): {}",
                t.chars().take(60).collect::<String>()
            );
        }
        let rev: String = t.chars().rev().collect();
        r[2] += usize::from(judge(&naturalness_with(&fit, &rev)) == Some(Decoding::Reversed));
        r[3] += usize::from(judge(&naturalness_with(&fit, &rot13(t))) == Some(Decoding::Rot13));
    }
    let mut total = [0usize; 4];
    println!(
        "| source | hold-out texts | judged as they are | reversed recognised | rot13 recognised |"
    );
    println!("|---|---|---|---|---|");
    for (src, r) in &rows {
        println!("| {src} | {} | {} | {} | {} |", r[0], r[1], r[2], r[3]);
        for (t, x) in total.iter_mut().zip(r) {
            *t += x;
        }
    }
    println!(
        "| all | {} | {} | {} | {} |",
        total[0], total[1], total[2], total[3]
    );
    let table = build(texts.iter().map(String::as_str));
    std::fs::write(out, &table)?;
    eprintln!(
        "built from {} texts; {} bytes written to {out}",
        texts.len(),
        table.len()
    );
    Ok(())
}
