//! Reproduces the embedded model:
//! `cargo run --release -p airm-guard --example train -- /work/shared/data/prompts/train.jsonl crates/airm-guard/model/injection.bin`

use airm_guard::classifier::train::read_jsonl;
use airm_guard::{train, TrainParams};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let (Some(data), Some(out)) = (args.get(1), args.get(2)) else {
        return Err("usage: train TRAIN.jsonl OUT.bin".into());
    };
    let examples = read_jsonl(&std::fs::read_to_string(data)?)?;
    let params: TrainParams = match args.get(3) {
        Some(j) => serde_json::from_str(j)?,
        None => TrainParams::default(),
    };
    let t = std::time::Instant::now();
    let model = train(&examples, &params);
    let bytes = model.to_bytes();
    std::fs::write(out, &bytes)?;
    eprintln!(
        "trained on {} examples in {:.1?}; threshold {:.3}; {} bytes",
        examples.len(),
        t.elapsed(),
        model.threshold,
        bytes.len()
    );
    Ok(())
}
