//! Shared by the examples that read the prompt set (`train`, `letter_pairs`).

use airm_guard::classifier::train::{exclude_sources, read_jsonl, Example};

/// The command line: positional arguments, and the values of every `--exclude-source`.
pub fn args() -> Result<(Vec<String>, Vec<String>), String> {
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
    Ok((pos, exclude))
}

/// The examples of a JSON Lines file, without those of the `exclude` sources; also the
/// number read before they were left out.
pub fn examples(
    path: &str,
    exclude: &[String],
) -> Result<(Vec<Example>, usize), Box<dyn std::error::Error>> {
    let mut examples = read_jsonl(&std::fs::read_to_string(path)?)?;
    let read = examples.len();
    exclude_sources(&mut examples, exclude);
    Ok((examples, read))
}
