//! Reproduces the embedded model (the CC BY-NC parts of the prompt set are left out, as
//! its README asks of a shipped detector):
//! `cargo run --release -p airm-guard --example train -- /work/shared/data/prompts/train.jsonl crates/airm-guard/model/injection.bin --exclude-source hikariming/alpaca_chinese_dataset --exclude-source tatsu-lab/alpaca_eval`

mod support;

use airm_guard::{train_with_report, TrainParams};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (pos, exclude) = support::args()?;
    let (Some(data), Some(out)) = (pos.first(), pos.get(1)) else {
        return Err(
            "usage: train TRAIN.jsonl OUT.bin [--exclude-source PREFIX]... [PARAMS_JSON]".into(),
        );
    };
    let (examples, before) = support::examples(data, &exclude)?;
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
