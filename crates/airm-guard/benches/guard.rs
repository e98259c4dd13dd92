//! Criterion benchmarks of the runtime guard's hot paths: the full default input pipeline
//! (`Guard::check_input`, `Source::User`) on short prompts and on 2 KB prompts, and output
//! streaming per ~20-byte chunk (`Guard::stream`). Texts come from the committed corpus
//! `benches/corpus.txt` (no external data). Each iteration checks every corpus prompt once and
//! the throughput is set to the number of prompts (or chunks), so criterion's "time" divided by
//! that count is the mean per prompt (per chunk). Per-prompt medians and p99 come from
//! `bench/guard.sh`. Run: `cargo bench -p airm-guard --bench guard`.

use std::hint::black_box;

use airm_guard::{Guard, Policy, Source};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

const CORPUS: &str = include_str!("corpus.txt");

/// The corpus prompts, `\n` escapes turned into newlines.
fn prompts() -> Vec<String> {
    CORPUS
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once('\t'))
        .map(|(_, t)| t.replace("\\n", "\n"))
        .collect()
}

/// A prompt repeated (newline-separated) and cut to at most `n` bytes on a char boundary.
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

/// Splits `text` into chunks of about `n` bytes on char boundaries.
fn chunks(text: &str, n: usize) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let mut cut = n.min(rest.len());
        while !rest.is_char_boundary(cut) {
            cut += 1;
        }
        let (a, b) = rest.split_at(cut);
        out.push(a);
        rest = b;
    }
    out
}

fn input(c: &mut Criterion) {
    let guard = match Guard::new(Policy::default()) {
        Ok(g) => g,
        Err(e) => panic!("guard: {e}"),
    };
    let short = prompts();
    let long: Vec<String> = short.iter().map(|t| grow(t, 2048)).collect();
    let mut g = c.benchmark_group("check_input");
    for (name, texts) in [("short", &short), ("2KB", &long)] {
        g.throughput(Throughput::Elements(texts.len() as u64));
        g.bench_function(name, |b| {
            b.iter(|| {
                for t in texts {
                    black_box(guard.check_input(black_box(t), Source::User));
                }
            })
        });
    }
    g.finish();
}

fn stream(c: &mut Criterion) {
    let guard = match Guard::new(Policy::default()) {
        Ok(g) => g,
        Err(e) => panic!("guard: {e}"),
    };
    // A benign ~2 KB response: the benign corpus prompts one after the other.
    let response: String = CORPUS
        .lines()
        .filter_map(|l| l.strip_prefix("benign\t"))
        .collect::<Vec<_>>()
        .join(" ");
    let response = grow(&response, 2048);
    let parts = chunks(&response, 20);
    let mut g = c.benchmark_group("stream");
    g.throughput(Throughput::Elements(parts.len() as u64));
    g.bench_function("chunk_20B", |b| {
        b.iter(|| {
            let mut s = guard.stream();
            for p in &parts {
                black_box(s.push(black_box(p)));
            }
            black_box(s.finish())
        })
    });
    g.finish();
}

criterion_group!(benches, input, stream);
criterion_main!(benches);
