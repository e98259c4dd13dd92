//! Quick classifier-only evaluation (development aid).
use airm_guard::decode::{prepare, DecodeLimits};
use airm_guard::Model;
use std::collections::BTreeMap;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .ok_or("usage: clf_eval DEV.jsonl [threshold]")?;
    let thr: Option<f32> = std::env::args().nth(2).and_then(|s| s.parse().ok());
    let owned;
    let m = match std::env::var("MODEL") {
        Ok(p) => {
            owned = Model::from_bytes(&std::fs::read(p)?)?;
            &owned
        }
        Err(_) => Model::default_model()?,
    };
    let win: usize = std::env::var("WIN")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let thr = thr.unwrap_or(m.threshold);
    let mut per: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for line in std::fs::read_to_string(path)?.lines() {
        let v: serde_json::Value = serde_json::from_str(line)?;
        let text = v["text"].as_str().unwrap_or("");
        let label = v["label"].as_str().unwrap_or("");
        let tags: Vec<String> = v["tags"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|t| t.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default();
        let p = prepare(text, &DecodeLimits::default());
        let f = &p.plain().folded;
        let s = m.score(f);
        let _ = win;
        let hit = s >= thr;
        if std::env::var("DUMP").is_ok() && (hit != (label != "benign")) {
            eprintln!(
                "{label}\t{:.3}\t{}\t{}",
                s,
                v["source"].as_str().unwrap_or(""),
                text.chars()
                    .take(160)
                    .collect::<String>()
                    .replace('\n', " ")
            );
        }
        let mut keys = vec![
            label.to_string(),
            format!("{label}/{}", v["lang"].as_str().unwrap_or("")),
        ];
        if label == "benign" && tags.iter().any(|t| t == "hard-benign") {
            keys.push("benign/hard".into());
        }
        for k in keys {
            let e = per.entry(k).or_default();
            e.0 += 1;
            if hit {
                e.1 += 1;
            }
        }
    }
    println!("threshold {thr}");
    for (k, (n, h)) in per {
        println!("{k:20} {n:6} {h:6} {:.3}", h as f64 / n as f64);
    }
    Ok(())
}
