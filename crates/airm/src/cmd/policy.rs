//! `airm policy eval|list|explain|test|escalate`: governance policies as code. `eval`
//! prints violations as a table, JSON or SARIF and exits 1 at or above `--fail-on`, 2 when
//! a policy file has an error (after evaluating everything else).

use anyhow::Context as _;
use serde_json::json;

use airm_govern::{Evaluation, Violation};

use crate::cli::{Format, PolicyCmd, PolicyEval};
use crate::context::{cli_actor, record, Context};
use crate::output::{Printer, Table};

pub fn list(p: &Printer) -> anyhow::Result<u8> {
    let policies = airm_govern::builtin_policies();
    let metas: Vec<_> = policies.iter().map(|x| &x.meta).collect();
    p.data(&metas, || {
        let mut t = Table::new(&["ID", "NAME", "SEVERITY", "SUMMARY"]);
        for m in &metas {
            t.row(vec![
                m.id.into(),
                m.name.into(),
                m.severity.to_string(),
                m.summary.into(),
            ]);
        }
        t.render()
    });
    Ok(0)
}

pub fn explain(id: &str, p: &Printer) -> anyhow::Result<u8> {
    let policy = airm_govern::registry::find(id)
        .ok_or_else(|| anyhow::anyhow!("no built-in policy `{id}` (see `airm policy list`)"))?;
    p.data(&policy.meta, || policy.to_markdown());
    Ok(0)
}

pub async fn run(cmd: PolicyCmd, ctx: &Context, p: &Printer) -> anyhow::Result<u8> {
    match cmd {
        PolicyCmd::List => list(p),
        PolicyCmd::Explain { id } => explain(&id, p),
        PolicyCmd::Eval(a) => eval(a, ctx, p).await,
        PolicyCmd::Test { dir } => {
            let dir = dir
                .or_else(|| ctx.config.policy.dir.clone())
                .context("give a policy directory (or set `[policy] dir` in airm.toml)")?;
            let report = airm_govern::testing::run_tests(&dir)?;
            for e in &report.errors {
                p.note(&format!("error: {e}"));
            }
            p.data(&report, || {
                let mut t = Table::new(&["RESULT", "PACKAGE", "TEST", "ERROR"]);
                for r in &report.results {
                    t.row(vec![
                        if r.passed { "PASS" } else { "FAIL" }.into(),
                        r.package.clone(),
                        r.name.clone(),
                        r.error.clone().unwrap_or_default(),
                    ]);
                }
                t.render()
            });
            let failed = report.results.iter().filter(|r| !r.passed).count();
            p.note(&format!(
                "{} passed, {failed} failed, {} file errors",
                report.results.len() - failed,
                report.errors.len()
            ));
            Ok(if !report.errors.is_empty() {
                2
            } else {
                u8::from(failed > 0)
            })
        }
        PolicyCmd::Escalate(d) => {
            let store = ctx.store().await?;
            let mut options = ctx.config.policy.options(d.policy_dir);
            // Escalation steps go to the monitoring alert sinks too.
            options.sinks = ctx
                .config
                .monitor
                .settings()
                .context("invalid [monitor] configuration")?
                .sinks;
            let sent = airm_server::governance::escalate(&store, &options, &cli_actor()).await?;
            p.data(&sent, || {
                let mut t = Table::new(&["STEP", "RECIPIENT", "MESSAGE"]);
                for n in &sent {
                    t.row(vec![n.step.clone(), n.recipient.clone(), n.message.clone()]);
                }
                t.render()
            });
            p.note(&format!("{} escalation steps taken", sent.len()));
            Ok(0)
        }
    }
}

async fn eval(a: PolicyEval, ctx: &Context, p: &Printer) -> anyhow::Result<u8> {
    let options = ctx.config.policy.options(a.dir.policy_dir.clone());
    let evaluation = match &a.input {
        Some(path) => {
            const MAX_INPUT_BYTES: u64 = 512 * 1024 * 1024;
            let size = std::fs::metadata(path)
                .with_context(|| format!("cannot read {}", path.display()))?
                .len();
            if size > MAX_INPUT_BYTES {
                anyhow::bail!(
                    "{} is {size} bytes; input documents are limited to {MAX_INPUT_BYTES}",
                    path.display()
                );
            }
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            let doc: serde_json::Value = serde_json::from_str(&text)
                .with_context(|| format!("{} is not JSON", path.display()))?;
            let mut set = airm_server::governance::policy_set(&options)?;
            tokio::task::spawn_blocking(move || set.evaluate(doc))
                .await
                .context("the evaluation was interrupted")?
        }
        None => {
            let store = ctx.store().await?;
            let ev = airm_server::governance::evaluate(&store, &options, !a.no_store).await?;
            if !a.no_store {
                let active = ev.evaluation.active().count();
                record(
                    &store,
                    "policy.evaluate",
                    None,
                    json!({"policies": ev.evaluation.policies.len(), "violations": active,
                        "suppressed": ev.evaluation.violations.len() - active,
                        "errors": ev.evaluation.errors.len()}),
                )
                .await?;
            }
            ev.evaluation
        }
    };
    for e in &evaluation.errors {
        p.note(&format!("error: {e}"));
    }
    let shown: Vec<&Violation> = evaluation
        .violations
        .iter()
        .filter(|v| a.all || v.is_active())
        .collect();
    match p.format {
        Format::Sarif => p.line(&serde_json::to_string_pretty(&sarif(&evaluation))?),
        Format::Json => p.data(
            &json!({"policies": evaluation.policies, "violations": shown,
                "errors": evaluation.errors.iter().map(ToString::to_string).collect::<Vec<_>>()}),
            String::new,
        ),
        Format::Table => p.data(&shown, || table(&shown)),
        Format::Html => {
            anyhow::bail!(
                "--format html is not available for airm policy eval (table, json or sarif)"
            )
        }
    }
    let suppressed = evaluation.violations.len() - evaluation.active().count();
    p.note(&format!(
        "{} policies, {} violations ({} suppressed by exceptions), {} policy errors",
        evaluation.policies.len(),
        evaluation.active().count(),
        suppressed,
        evaluation.errors.len()
    ));
    if !evaluation.errors.is_empty() {
        return Ok(2);
    }
    Ok(match (a.fail_on.0, evaluation.max_severity()) {
        (Some(min), Some(max)) if max >= min => 1,
        _ => 0,
    })
}

fn table(v: &[&Violation]) -> String {
    let mut t = Table::new(&["POLICY", "SEVERITY", "OBJECT", "MESSAGE", "EXCEPTION"]);
    for x in v {
        t.row(vec![
            x.policy.clone(),
            x.severity.to_string(),
            x.object.clone(),
            x.message.clone(),
            x.suppressed_by.clone().unwrap_or_else(|| "-".into()),
        ]);
    }
    t.render()
}

/// SARIF 2.1.0 for violations: the built-in policies as rules (airm-scan's descriptor
/// writer), one result per active violation with a logical location for its object.
fn sarif(e: &Evaluation) -> serde_json::Value {
    let rules = airm_govern::rules();
    let results: Vec<serde_json::Value> = e
        .active()
        .map(|v| {
            let mut r = json!({
                "ruleId": v.policy,
                "level": airm_scan::sarif::level(v.severity),
                "message": {"text": v.message},
                "locations": [{"logicalLocations": [{
                    "name": v.object,
                    "kind": v.object_type.clone().unwrap_or_else(|| "object".into()),
                }]}],
                "partialFingerprints": {"airm/v1": v.fingerprint},
                "properties": {"severity": v.severity, "security-severity": airm_scan::sarif::security_severity(v.severity), "source": v.source},
            });
            if let Some(i) = rules.iter().position(|m| m.id == v.policy) {
                r["ruleIndex"] = json!(i);
            }
            r
        })
        .collect();
    json!({
        "$schema": airm_scan::sarif::SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "airm",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://github.com/airm-dev/airm",
                "rules": rules.iter().map(|r| airm_scan::sarif::rule_json(r)).collect::<Vec<_>>(),
            }},
            "results": results,
        }]
    })
}
