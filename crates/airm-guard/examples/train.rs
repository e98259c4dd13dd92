//! Reproduces the embedded model (the CC BY-NC parts of the prompt set are left out, as
//! its README asks of a shipped detector):
//! `cargo run --release -p airm-guard --example train -- /work/shared/data/prompts/train.jsonl crates/airm-guard/model/injection.bin --exclude-source hikariming/alpaca_chinese_dataset --exclude-source tatsu-lab/alpaca_eval`

use airm_guard::classifier::train::read_jsonl;
use airm_guard::{train_with_report, TrainParams};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let mut pos = Vec::new();
    let mut exclude = Vec::new();
    while let Some(a) = args.next() {
        if a == "--exclude-source" {
            exclude.push(args.next().ok_or("--exclude-source needs a value")?);
        } else {
            pos.push(a);
        }
    }
    let (Some(data), Some(out)) = (pos.first(), pos.get(1)) else {
        return Err(
            "usage: train TRAIN.jsonl OUT.bin [--exclude-source PREFIX]... [PARAMS_JSON]".into(),
        );
    };
    let mut examples = read_jsonl(&std::fs::read_to_string(data)?)?;
    let before = examples.len();
    examples.retain(|e| {
        let src = e.source.as_deref().unwrap_or("");
        !exclude.iter().any(|p| src.starts_with(p.as_str()))
    });
    let params: TrainParams = match pos.get(2) {
        Some(j) => serde_json::from_str(j)?,
        None => TrainParams::default(),
    };
    let t = std::time::Instant::now();
    let (model, report) = train_with_report(&examples, &params);
    let bytes = model.to_bytes();
    std::fs::write(out, &bytes)?;
    eprintln!(
        "trained on {} of {before} examples in {:.1?}; thresholds {:.3} (injection), {} (harmful); {} bytes",
        examples.len(),
        t.elapsed(),
        model.threshold,
        model
            .harmful
            .as_ref()
            .map_or("-".to_string(), |h| format!("{:.3}", h.threshold)),
        bytes.len()
    );
    eprintln!("hold-out: {}", serde_json::to_string(&report)?);
    Ok(())
}
