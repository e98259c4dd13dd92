//! Per-prompt latency and verdicts of the full default input pipeline, as JSON Lines, for
//! `bench/guard.sh` (side by side with peer guards) and for checking that a change keeps every
//! verdict identical (diff the `verdict` fields of two runs).
//!
//! `cargo run --release -p airm-guard --example latency -- FILE [--size BYTES] [--no-time]
//! [--stream CHUNK]`
//!
//! FILE is JSON Lines in the airm prompt format (`text`, `label`, optional `id`, `tags`) or the
//! bench corpus format (`label<TAB>text`, `#` comments, `\n` escapes). `--size` repeats each
//! text (newline-separated) and cuts it to at most BYTES. Every text is checked once as a
//! warm-up, then once timed (single thread, `Source::User`). `--no-time` omits the timing field
//! so that two runs can be compared byte for byte. `--stream CHUNK` checks each text as a
//! streamed response instead (`Guard::stream`, chunks of about CHUNK bytes) and prints what
//! each push released and the final verdict. `--passes N` times every text in each of N
//! passes over the file (each check still follows the previous text's, as in one pass) and
//! prints each text's fastest: for comparing two builds, since one pass's median moves by
//! ±2 µs between runs on a shared machine.

use std::io::Write;
use std::time::Instant;

use airm_guard::{Guard, Policy, Source};
use serde_json::{json, Value};

struct Item {
    id: String,
    label: String,
    tags: Vec<Value>,
    text: String,
}

fn load(path: &str) -> Result<Vec<Item>, Box<dyn std::error::Error>> {
    let raw = std::fs::read_to_string(path)?;
    let mut items = Vec::new();
    for (i, line) in raw.lines().enumerate() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        if line.starts_with('{') {
            let v: Value = serde_json::from_str(line)?;
            items.push(Item {
                id: v["id"]
                    .as_str()
                    .map_or_else(|| i.to_string(), str::to_string),
                label: v["label"].as_str().unwrap_or("").to_string(),
                tags: v["tags"].as_array().cloned().unwrap_or_default(),
                text: v["text"].as_str().unwrap_or("").to_string(),
            });
        } else if let Some((label, text)) = line.split_once('\t') {
            items.push(Item {
                id: i.to_string(),
                label: label.to_string(),
                tags: Vec::new(),
                text: text.replace("\\n", "\n"),
            });
        }
    }
    Ok(items)
}

fn grow(t: &str, n: usize) -> String {
    let mut s = String::with_capacity(n + t.len() + 1);
    while s.len() < n && !t.is_empty() {
        s.push_str(t);
        s.push('\n');
    }
    let mut cut = n.min(s.len());
    while !s.is_char_boundary(cut) {
        cut -= 1;
    }
    s.truncate(cut);
    s
}

/// Splits `text` into pieces of about `n` bytes on char boundaries.
fn chunks(text: &str, n: usize) -> impl Iterator<Item = &str> {
    let mut rest = text;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let mut cut = n.min(rest.len());
        while !rest.is_char_boundary(cut) {
            cut += 1;
        }
        let (a, b) = rest.split_at(cut);
        rest = b;
        Some(a)
    })
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let path = args
        .first()
        .ok_or("usage: latency FILE [--size BYTES] [--no-time] [--passes N] [--stream CHUNK]")?;
    let size = match args.iter().position(|a| a == "--size") {
        Some(i) => Some(
            args.get(i + 1)
                .ok_or("--size needs a value")?
                .parse::<usize>()?,
        ),
        None => None,
    };
    let timed = !args.iter().any(|a| a == "--no-time");
    let passes = match args.iter().position(|a| a == "--passes") {
        Some(i) => args
            .get(i + 1)
            .ok_or("--passes needs a value")?
            .parse::<usize>()?
            .max(1),
        None => 1,
    };
    let stream = match args.iter().position(|a| a == "--stream") {
        Some(i) => Some(
            args.get(i + 1)
                .ok_or("--stream needs a value")?
                .parse::<usize>()?
                .max(1),
        ),
        None => None,
    };
    let guard = Guard::new(Policy::default())?;
    let mut items = load(path)?;
    if let Some(n) = size {
        for it in &mut items {
            it.text = grow(&it.text, n);
        }
    }
    let stdout = std::io::stdout();
    if let Some(n) = stream {
        let mut out = std::io::BufWriter::new(stdout.lock());
        for it in &items {
            let t0 = Instant::now();
            let mut s = guard.stream();
            let released: Vec<String> = chunks(&it.text, n).map(|c| s.push(c)).collect();
            let end = s.finish();
            let us = t0.elapsed().as_secs_f64() * 1e6;
            let mut row = json!({
                "id": it.id,
                "bytes": it.text.len(),
                "released": released,
                "last": end.text,
                "verdict": end.verdict,
            });
            if timed {
                row["us"] = json!(us);
            }
            writeln!(out, "{row}")?;
        }
        return Ok(());
    }
    for it in &items {
        std::hint::black_box(guard.check_input(&it.text, Source::User));
    }
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut best = vec![f64::INFINITY; items.len()];
    let mut scratch = Vec::new();
    for pass in 1..=passes {
        for (it, best) in items.iter().zip(&mut best) {
            let t0 = Instant::now();
            let v = guard.check_input(&it.text, Source::User);
            *best = best.min(t0.elapsed().as_secs_f64() * 1e6);
            let mut row = json!({
                "id": it.id,
                "label": it.label,
                "tags": it.tags,
                "bytes": it.text.len(),
                "blocked": v.is_blocked(),
                "verdict": v,
            });
            if timed {
                row["us"] = json!(*best);
            }
            // Every pass does the same work between checks; the last one prints it.
            if pass == passes {
                writeln!(out, "{row}")?;
            } else {
                scratch.clear();
                writeln!(scratch, "{row}")?;
            }
        }
    }
    Ok(())
}
