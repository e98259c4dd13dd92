//! Development aid: the criterion bench's workloads as a plain program, for instruction
//! counts under callgrind (repeatable on a loaded machine, unlike wall time):
//!
//! ```sh
//! cargo build --release -p airm-guard --example icount
//! valgrind --tool=callgrind target/release/examples/icount stream 1   # and 2
//! ```
//!
//! The steady-state cost of one check (chunk) is the difference between the totals of
//! `REPS` = 2 and 1, divided by the number of checks (chunks) per repetition, which the
//! program prints. Workloads: `short`, `2kb` (`Guard::check_input` on the corpus prompts
//! as they are / grown to 2 KB) and `stream` (a ~2 KB benign response in 20-byte chunks).
//! An optional third argument checks only the corpus prompt of that index (0-based), to see
//! which prompts cost most: `icount 2kb 1 7`.

use std::hint::black_box;

use airm_guard::{Guard, Policy, Source};

const CORPUS: &str = include_str!("../benches/corpus.txt");

fn prompts() -> Vec<String> {
    CORPUS
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once('\t'))
        .map(|(_, t)| t.replace("\\n", "\n"))
        .collect()
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

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let what = args.next().ok_or("usage: icount short|2kb|stream REPS")?;
    let reps: usize = args.next().as_deref().unwrap_or("1").parse()?;
    let only: Option<usize> = args.next().map(|a| a.parse()).transpose()?;
    let guard = Guard::new(Policy::default())?;
    match what.as_str() {
        "short" | "2kb" => {
            let mut texts = prompts();
            if what == "2kb" {
                texts = texts.iter().map(|t| grow(t, 2048)).collect();
            }
            if let Some(i) = only {
                texts = texts.get(i).cloned().into_iter().collect();
            }
            for _ in 0..reps {
                for t in &texts {
                    black_box(guard.check_input(black_box(t), Source::User));
                }
            }
            println!("{} checks per repetition", texts.len());
        }
        "stream" => {
            let response: String = CORPUS
                .lines()
                .filter_map(|l| l.strip_prefix("benign\t"))
                .collect::<Vec<_>>()
                .join(" ");
            let response = grow(&response, 2048);
            let bytes: Vec<char> = response.chars().collect();
            let parts: Vec<String> = bytes.chunks(20).map(|c| c.iter().collect()).collect();
            for _ in 0..reps {
                let mut s = guard.stream();
                for p in &parts {
                    black_box(s.push(black_box(p)));
                }
                black_box(s.finish());
            }
            println!("{} chunks per repetition", parts.len());
        }
        other => return Err(format!("unknown workload `{other}`").into()),
    }
    Ok(())
}
