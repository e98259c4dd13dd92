//! `airm guard check|train`: the runtime guard from the command line. `check` judges one
//! text or a JSON Lines stream (one verdict per line, in input order, with the latency of
//! each check); `train` fits the prompt-injection classifier on labelled data and writes a
//! model file that `check --model` and the server can load.

use std::io::{BufRead, Read, Write};
use std::time::Instant;

use anyhow::Context as _;
use serde::{Deserialize, Serialize};

use airm_guard::{Guard, Model, Source, TrainParams, Verdict};

use crate::cli::{GuardCheck, GuardCmd};
use crate::context::{record, Context};
use crate::output::{Printer, Table};

/// Longest accepted JSON Lines record (1 MiB); longer lines are answered with an error.
const MAX_LINE: usize = 1 << 20;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Request {
    id: serde_json::Value,
    text: String,
    #[serde(default)]
    source: Option<Source>,
}

#[derive(Serialize)]
struct Answer<'a> {
    id: serde_json::Value,
    #[serde(flatten)]
    verdict: &'a Verdict,
    latency_us: u64,
}

pub async fn run(cmd: GuardCmd, ctx: &Context, p: &Printer) -> anyhow::Result<u8> {
    match cmd {
        GuardCmd::Check(c) => check(c, ctx, p),
        GuardCmd::Train {
            data,
            output,
            epochs,
            seed,
            exclude_source,
            threshold_folds,
        } => {
            let text = std::fs::read_to_string(&data)
                .with_context(|| format!("cannot read {}", data.display()))?;
            let mut examples = airm_guard::read_jsonl(&text)
                .with_context(|| format!("invalid training data in {}", data.display()))?;
            airm_guard::classifier::train::exclude_sources(&mut examples, &exclude_source);
            anyhow::ensure!(
                examples.iter().any(|e| e.attack) && examples.iter().any(|e| !e.attack),
                "training data needs both attacks and benign examples"
            );
            let mut params = TrainParams::default();
            if let Some(e) = epochs {
                params.epochs = e;
            }
            if let Some(s) = seed {
                params.seed = s;
            }
            if let Some(k) = threshold_folds {
                params.threshold_folds = usize::from(k);
            }
            let start = Instant::now();
            let model = airm_guard::train(&examples, &params);
            std::fs::write(&output, model.to_bytes())
                .with_context(|| format!("cannot write {}", output.display()))?;
            let store = ctx.store().await?;
            record(
                &store,
                "guard.train",
                Some(&output.display().to_string()),
                serde_json::json!({
                    "examples": examples.len(),
                    "threshold": model.threshold,
                    "harmful_threshold": model.harmful.as_ref().map(|h| h.threshold),
                }),
            )
            .await?;
            let harmful = match &model.harmful {
                Some(h) => format!("; harmful-request head threshold {:.3}", h.threshold),
                None => String::new(),
            };
            p.note(&format!(
                "Trained on {} examples in {:.1} s; decision threshold {:.3}{harmful}; wrote {}",
                examples.len(),
                start.elapsed().as_secs_f64(),
                model.threshold,
                output.display()
            ));
            Ok(0)
        }
    }
}

fn load_guard(c: &GuardCheck, ctx: &Context) -> anyhow::Result<Guard> {
    let policy = match &c.policy {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            toml::from_str(&text)
                .map_err(|e| anyhow::anyhow!("{}: {}", path.display(), e.message()))?
        }
        None => ctx.config.guard.clone(),
    };
    let guard = match &c.model {
        Some(path) => {
            let bytes =
                std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
            let model = Model::from_bytes(&bytes)
                .with_context(|| format!("{} is not a guard model", path.display()))?;
            Guard::with_model(policy, model)
        }
        None => Guard::new(policy),
    };
    guard.context("invalid guard policy")
}

fn check(c: GuardCheck, ctx: &Context, p: &Printer) -> anyhow::Result<u8> {
    let source: Source = serde_json::from_value(serde_json::Value::String(c.source.clone()))
        .map_err(|_| {
            anyhow::anyhow!(
                "invalid --source `{}` (expected user, system, document or tool)",
                c.source
            )
        })?;
    let guard = load_guard(&c, ctx)?;
    let judge = |text: &str, source: Source| {
        if c.output {
            guard.check_output(text)
        } else {
            guard.check_input(text, source)
        }
    };
    let single = match (&c.text, &c.file) {
        (Some(t), _) => Some(t.clone()),
        (None, Some(f)) => Some(
            std::fs::read_to_string(f).with_context(|| format!("cannot read {}", f.display()))?,
        ),
        (None, None) => None,
    };
    if let Some(text) = single {
        let start = Instant::now();
        let v = judge(&text, source);
        let latency_us = start.elapsed().as_micros() as u64;
        p.data(
            &Answer {
                id: serde_json::Value::Null,
                verdict: &v,
                latency_us,
            },
            || {
                let mut t = Table::new(&["RULE", "ACTION", "SCORE", "FINDING"]);
                for f in &v.findings {
                    t.row(vec![
                        f.rule_id.to_string(),
                        format!("{:?}", f.action).to_lowercase(),
                        format!("{:.2}", f.score),
                        f.message.clone(),
                    ]);
                }
                let head = format!(
                    "verdict: {} (score {:.2}, {latency_us} µs)\n",
                    format!("{:?}", v.action).to_lowercase(),
                    v.score
                );
                if v.findings.is_empty() {
                    head
                } else {
                    format!("{head}{}", t.render())
                }
            },
        );
        return Ok(u8::from(v.is_blocked()));
    }
    // JSON Lines in, JSON Lines out, in order.
    let stdin = std::io::stdin();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut blocked = false;
    let mut reader = stdin.lock();
    let mut line = Vec::new();
    let mut n = 0u64;
    loop {
        line.clear();
        let read = Read::take(&mut reader, MAX_LINE as u64 + 1).read_until(b'\n', &mut line)?;
        if read == 0 {
            break;
        }
        n += 1;
        if line.len() > MAX_LINE && !line.ends_with(b"\n") {
            writeln!(
                out,
                "{}",
                serde_json::json!({"line": n, "error": "line longer than 1 MiB"})
            )?;
            // Skip the rest of the over-long line.
            let mut rest = Vec::new();
            reader.read_until(b'\n', &mut rest)?;
            continue;
        }
        let text = String::from_utf8_lossy(&line);
        if text.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<Request>(text.trim()) {
            Ok(req) => {
                let start = Instant::now();
                let v = judge(&req.text, req.source.unwrap_or(source));
                let latency_us = start.elapsed().as_micros() as u64;
                blocked |= v.is_blocked();
                serde_json::to_writer(
                    &mut out,
                    &Answer {
                        id: req.id,
                        verdict: &v,
                        latency_us,
                    },
                )?;
                out.write_all(b"\n")?;
            }
            Err(e) => writeln!(
                out,
                "{}",
                serde_json::json!({"line": n, "error": format!("invalid request: {e}")})
            )?,
        }
    }
    out.flush()?;
    Ok(u8::from(blocked))
}
