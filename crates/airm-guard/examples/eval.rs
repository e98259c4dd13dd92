//! Evaluates the default input pipeline on a labelled JSON Lines set (airm prompt format):
//! `cargo run --release -p airm-guard --example eval -- /work/shared/data/prompts/dev.jsonl`
//!
//! Prints detection metrics (an attack counts as detected when the default policy blocks
//! it), false-alarm rates on benign and hard-benign text, per language, per obfuscation
//! family (each attack re-encoded by that family), and single-thread latency.

use std::collections::BTreeMap;
use std::time::Instant;

use airm_guard::{Guard, Policy, Source, Verdict};
use base64::Engine;

#[derive(Default)]
struct Count {
    n: usize,
    hit: usize,
}

impl Count {
    fn add(&mut self, hit: bool) {
        self.n += 1;
        self.hit += usize::from(hit);
    }
    fn rate(&self) -> f64 {
        if self.n == 0 {
            0.0
        } else {
            self.hit as f64 / self.n as f64
        }
    }
}

fn detected(v: &Verdict) -> bool {
    v.is_blocked()
}

type Obfuscate = fn(&str) -> String;

fn obfuscations() -> Vec<(&'static str, Obfuscate)> {
    vec![
        ("none (same attacks, plain)", |t| t.to_string()),
        ("base64", |t| {
            base64::engine::general_purpose::STANDARD.encode(t)
        }),
        ("base32", |t| base32(t.as_bytes())),
        ("hex", |t| t.bytes().map(|b| format!("{b:02x}")).collect()),
        ("url", |t| t.bytes().map(|b| format!("%{b:02X}")).collect()),
        ("html-entities", |t| {
            t.chars().map(|c| format!("&#{};", c as u32)).collect()
        }),
        ("unicode-escape", |t| {
            t.chars()
                .map(|c| {
                    if (c as u32) < 0x10000 {
                        format!("\\u{:04x}", c as u32)
                    } else {
                        c.to_string()
                    }
                })
                .collect()
        }),
        ("rot13", |t| airm_guard::decode::rot13(t)),
        ("reversed", |t| t.chars().rev().collect()),
        ("leetspeak", |t| {
            t.chars()
                .map(|c| match c {
                    'o' => '0',
                    'e' => '3',
                    'a' => '4',
                    's' => '5',
                    't' => '7',
                    'i' => '1',
                    _ => c,
                })
                .collect()
        }),
        ("spaced-letters", |t| {
            t.split(' ')
                .map(|w| w.chars().map(String::from).collect::<Vec<_>>().join(" "))
                .collect::<Vec<_>>()
                .join("  ")
        }),
        ("zero-width", |t| {
            t.chars().flat_map(|c| [c, '\u{200B}']).collect()
        }),
        ("homoglyph", |t| {
            t.chars()
                .map(|c| match c {
                    'a' => 'а',
                    'e' => 'е',
                    'o' => 'о',
                    'p' => 'р',
                    'c' => 'с',
                    'i' => 'і',
                    _ => c,
                })
                .collect()
        }),
        ("unicode-tags", |t| {
            let hidden: String = t
                .chars()
                .filter(char::is_ascii)
                .map(|c| char::from_u32(0xE0000 + c as u32).unwrap_or(c))
                .collect();
            format!("Nice weather today.{hidden}")
        }),
        ("base64+rot13", |t| {
            base64::engine::general_purpose::STANDARD.encode(airm_guard::decode::rot13(t))
        }),
    ]
}

fn base32(b: &[u8]) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::new();
    let (mut acc, mut bits) = (0u64, 0);
    for &x in b {
        acc = (acc << 8) | u64::from(x);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(A[((acc >> bits) & 31) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(A[((acc << (5 - bits)) & 31) as usize] as char);
    }
    out
}

fn pct(v: &mut [u128], p: f64) -> f64 {
    v.sort_unstable();
    let i = ((v.len() as f64 - 1.0) * p).round() as usize;
    v.get(i).copied().unwrap_or(0) as f64 / 1000.0
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args().nth(1).ok_or("usage: eval DEV.jsonl")?;
    // Optional policy as JSON (e.g. to compare thresholds): AIRM_EVAL_POLICY='{"rules":{...}}'.
    let policy: Policy = match std::env::var("AIRM_EVAL_POLICY") {
        Ok(j) => serde_json::from_str(&j)?,
        Err(_) => Policy::default(),
    };
    // The same policy without PI015, which blocks any hidden tag text: the unicode-tags
    // family is also measured on what the decoded text alone gets blocked for.
    let mut without_pi015 = policy.clone();
    without_pi015
        .rules
        .entry("PI015".into())
        .or_default()
        .enabled = Some(false);
    let guard_without_pi015 = Guard::new(without_pi015)?;
    let guard = Guard::new(policy)?;
    let rows: Vec<serde_json::Value> = std::fs::read_to_string(&path)?
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(serde_json::from_str)
        .collect::<Result<_, _>>()?;
    let mut tp = 0usize;
    let mut fp = 0usize;
    let mut fneg = 0usize;
    let mut by: BTreeMap<String, Count> = BTreeMap::new();
    let mut rules_fp: BTreeMap<String, usize> = BTreeMap::new();
    let mut times: Vec<u128> = Vec::new();
    let mut times_2k: Vec<u128> = Vec::new();
    let mut attacks: Vec<String> = Vec::new();
    let mut flag_fp = Count::default();
    for r in &rows {
        let text = r["text"].as_str().unwrap_or("");
        let label = r["label"].as_str().unwrap_or("");
        let lang = r["lang"].as_str().unwrap_or("?");
        let tags: Vec<&str> = r["tags"]
            .as_array()
            .map(|a| a.iter().filter_map(|t| t.as_str()).collect())
            .unwrap_or_default();
        let t0 = Instant::now();
        let v = guard.check_input(text, Source::User);
        let dt = t0.elapsed().as_nanos();
        times.push(dt);
        let d = detected(&v);
        let attack = label != "benign";
        if attack {
            attacks.push(text.to_string());
            if d {
                tp += 1
            } else {
                fneg += 1
            }
            by.entry(format!("recall {label}")).or_default().add(d);
            by.entry(format!("recall {label} [{lang}]"))
                .or_default()
                .add(d);
        } else {
            if d {
                fp += 1;
                for f in v
                    .findings
                    .iter()
                    .filter(|f| f.action == airm_guard::Action::Block)
                {
                    *rules_fp.entry(f.rule_id.clone()).or_default() += 1;
                    if std::env::var_os("AIRM_EVAL_DUMP").is_some() {
                        eprintln!(
                            "FP {} {:.2} {:?} | {}",
                            f.rule_id,
                            f.score,
                            f.decoded_by,
                            text.chars()
                                .take(200)
                                .collect::<String>()
                                .replace('\n', " ")
                        );
                    }
                }
            }
            flag_fp.add(v.flagged);
            by.entry("false-alarm benign (all)".into())
                .or_default()
                .add(d);
            if tags.contains(&"hard-benign") {
                by.entry("false-alarm benign hard-benign".into())
                    .or_default()
                    .add(d);
            }
            by.entry(format!("false-alarm benign [{lang}]"))
                .or_default()
                .add(d);
        }
    }
    // Latency on 2 KB prompts: each dev text repeated/truncated to 2048 bytes.
    for r in rows.iter().take(1000) {
        let text = r["text"].as_str().unwrap_or("");
        if text.is_empty() {
            continue;
        }
        let mut s = String::new();
        while s.len() < 2048 {
            s.push_str(text);
            s.push('\n');
        }
        let mut cut = 2048;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
        let t0 = Instant::now();
        let v = guard.check_input(&s, Source::User);
        times_2k.push(t0.elapsed().as_nanos());
        std::hint::black_box(v);
    }
    let precision = tp as f64 / (tp + fp).max(1) as f64;
    let recall = tp as f64 / (tp + fneg).max(1) as f64;
    let f1 = 2.0 * precision * recall / (precision + recall).max(1e-9);
    println!("# airm-guard eval on {path}\n");
    println!(
        "items {}  attacks {}  benign {}",
        rows.len(),
        tp + fneg,
        rows.len() - tp - fneg
    );
    println!("detection = default policy blocks (action=block)\n");
    println!("| metric | value |\n|---|---|");
    println!("| precision | {:.3} |", precision);
    println!("| recall (attacks) | {:.3} |", recall);
    println!("| F1 | {:.3} |", f1);
    println!(
        "| any-flag rate on benign (incl. flag-only rules) | {:.3} |",
        flag_fp.rate()
    );
    println!();
    println!("| group | n | rate |\n|---|---|---|");
    for (k, c) in &by {
        println!("| {k} | {} | {:.3} |", c.n, c.rate());
    }
    println!("\nblocking rules on benign false alarms: {rules_fp:?}\n");
    println!("| obfuscation of attacks | n | recall |\n|---|---|---|");
    for (name, f) in obfuscations() {
        let mut c = Count::default();
        for a in attacks.iter().filter(|a| a.len() <= 1500) {
            let o = f(a);
            c.add(detected(&guard.check_input(&o, Source::User)));
        }
        println!("| {name} | {} | {:.3} |", c.n, c.rate());
        if name == "unicode-tags" {
            // The decoded hidden text alone, and the reference on the attacks the tag
            // encoding can carry whole (ASCII only).
            let mut alone = Count::default();
            let (mut plain_ascii, mut tags_ascii) = (Count::default(), Count::default());
            for a in attacks.iter().filter(|a| a.len() <= 1500) {
                let hidden = detected(&guard_without_pi015.check_input(&f(a), Source::User));
                alone.add(hidden);
                if a.is_ascii() {
                    plain_ascii.add(detected(&guard_without_pi015.check_input(a, Source::User)));
                    tags_ascii.add(hidden);
                }
            }
            println!("| {name}, PI015 off | {} | {:.3} |", alone.n, alone.rate());
            println!(
                "| none, ASCII attacks only, PI015 off | {} | {:.3} |",
                plain_ascii.n,
                plain_ascii.rate()
            );
            println!(
                "| {name}, ASCII attacks only, PI015 off | {} | {:.3} |",
                tags_ascii.n,
                tags_ascii.rate()
            );
        }
    }
    println!();
    println!("| latency (single thread, release) | median µs | p99 µs |\n|---|---|---|");
    let (m, p) = (pct(&mut times, 0.5), pct(&mut times, 0.99));
    println!("| dev texts as-is (median {} bytes) | {m:.1} | {p:.1} |", {
        let mut l: Vec<usize> = rows
            .iter()
            .map(|r| r["text"].as_str().unwrap_or("").len())
            .collect();
        l.sort_unstable();
        l.get(l.len() / 2).copied().unwrap_or(0)
    });
    let (m, p) = (pct(&mut times_2k, 0.5), pct(&mut times_2k, 0.99));
    println!("| 2 KB prompts | {m:.1} | {p:.1} |");
    Ok(())
}
