//! `airm monitor`: drift reports and profiles (output users read as snapshots, exit codes,
//! bad input, and that these subcommands never open the store), and `ingest|baseline|alerts`
//! end to end: a CSV with a rejected row, a baseline from the good hours, and an evaluation
//! that fires for the model whose last hour dropped and not for the stable one.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::{airm, stderr, stdout};

fn cases() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../airm-monitor/tests/fixtures/drift/cases")
}

fn copy_case(dir: &Path, case: &str) {
    for side in ["ref", "cur"] {
        let name = format!("{case}_{side}.csv");
        std::fs::copy(cases().join(&name), dir.join(&name)).unwrap();
    }
}

fn drift(dir: &Path, case: &str, extra: &[&str]) -> std::process::Output {
    let r = format!("{case}_ref.csv");
    let c = format!("{case}_cur.csv");
    let mut args = vec!["monitor", "drift", "--reference", &r, "--current", &c];
    args.extend_from_slice(extra);
    airm(dir, &args)
}

#[test]
fn drift_table_and_json_snapshots() {
    let dir = tempfile::tempdir().unwrap();
    copy_case(dir.path(), "basic");
    let o = drift(dir.path(), "basic", &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    insta::assert_snapshot!("drift_table", stdout(&o));
    let o = airm(
        dir.path(),
        &[
            "--format",
            "json",
            "monitor",
            "drift",
            "--reference",
            "basic_ref.csv",
            "--current",
            "basic_cur.csv",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    insta::assert_json_snapshot!("drift_json", v);
}

#[test]
fn fail_on_drift_exits_1_and_errors_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    copy_case(d, "basic");
    assert_eq!(
        drift(d, "basic", &["--fail-on-drift"]).status.code(),
        Some(1)
    );
    // Only column c (no drift) compared: exit 0 even with --fail-on-drift.
    let o = drift(d, "basic", &["--fail-on-drift", "--columns", "c"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = drift(d, "basic", &["--columns", "nope"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no column `nope`"), "{}", stderr(&o));
    std::fs::write(d.join("ragged_ref.csv"), "a,b\n1,2\n3\n").unwrap();
    std::fs::write(d.join("ragged_cur.csv"), "a,b\n1,2\n").unwrap();
    let o = drift(d, "ragged", &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("ragged_ref.csv:3: 1 fields, but the header has 2"),
        "{}",
        stderr(&o)
    );
    std::fs::write(d.join("bin_ref.csv"), b"a\n1\n\xff\n").unwrap();
    std::fs::write(d.join("bin_cur.csv"), "a\n1\n").unwrap();
    let o = drift(d, "bin", &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("bin_ref.csv:3: a cell is not valid UTF-8"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn html_report_is_self_contained() {
    let dir = tempfile::tempdir().unwrap();
    copy_case(dir.path(), "basic");
    let o = drift(dir.path(), "basic", &["--format", "html"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let html = stdout(&o);
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("<svg") && html.contains("Dataset drift detected"));
    assert!(!html.contains("<script") && !html.contains("http://") && !html.contains("https://"));
}

#[test]
fn monitor_never_opens_the_store() {
    let dir = tempfile::tempdir().unwrap();
    copy_case(dir.path(), "tiny2");
    // A data dir that cannot be created: commands needing the store fail.
    let blocker = dir.path().join("not-a-dir");
    std::fs::write(&blocker, "x").unwrap();
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_airm"))
        .args([
            "monitor",
            "drift",
            "--reference",
            "tiny2_ref.csv",
            "--current",
            "tiny2_cur.csv",
        ])
        .env("AIRM_DATA_DIR", blocker.join("data"))
        .env_remove("AIRM_DATABASE_URL")
        .env_remove("AIRM_CONFIG")
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn profiles_of_shards_merge_into_the_whole() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let src = std::fs::read_to_string(cases().join("basic_ref.csv")).unwrap();
    let mut lines = src.lines();
    let header = lines.next().unwrap();
    let rows: Vec<&str> = lines.collect();
    let (a, b) = rows.split_at(rows.len() / 3);
    std::fs::write(d.join("all.csv"), &src).unwrap();
    std::fs::write(d.join("a.csv"), format!("{header}\n{}\n", a.join("\n"))).unwrap();
    std::fs::write(d.join("b.csv"), format!("{header}\n{}\n", b.join("\n"))).unwrap();
    for f in ["all", "a", "b"] {
        let o = airm(d, &["monitor", "profile", &format!("{f}.csv")]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        std::fs::write(d.join(format!("{f}.json")), &o.stdout).unwrap();
    }
    let o = airm(d, &["monitor", "merge", "a.json", "b.json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let merged: Value = serde_json::from_slice(&o.stdout).unwrap();
    let whole: Value = serde_json::from_slice(&std::fs::read(d.join("all.json")).unwrap()).unwrap();
    assert_eq!(merged["rows"], whole["rows"]);
    for (m, w) in merged["columns"]
        .as_array()
        .unwrap()
        .iter()
        .zip(whole["columns"].as_array().unwrap())
    {
        assert_eq!(m["name"], w["name"]);
        for k in ["count", "missing", "kind", "exact_counts"] {
            assert_eq!(m[k], w[k], "{} {k}", m["name"]);
        }
    }
    // A damaged profile is rejected with its name.
    std::fs::write(d.join("bad.json"), "{\"format\": \"airm-profile\"}").unwrap();
    let o = airm(d, &["monitor", "merge", "a.json", "bad.json"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("profile bad.json"), "{}", stderr(&o));
}

// ---- ingest, baseline, alerts ----------------------------------------------------------

const H: i64 = 3_600_000;

fn csv(end: i64, hours: i64, bad_last: bool) -> String {
    let mut s = String::from("id,time,amount,country,prediction,score,label,meta.key\n");
    for h in 0..hours {
        let start = end - (hours - h) * H;
        let correct = if bad_last && h == hours - 1 { 10 } else { 28 };
        for i in 0..30 {
            let label = i % 2;
            let pred = if i < correct { label } else { 1 - label };
            let t = airm_core::Timestamp(start + i * 1000);
            s.push_str(&format!(
                "{h}-{i},{t},{},NO,{pred},{},{label},k1\n",
                10 + i,
                if pred == 1 { 0.8 } else { 0.2 }
            ));
        }
    }
    s
}

#[test]
fn ingest_baseline_and_evaluate_alerts() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let end = airm_core::Timestamp::now().millis() / H * H;
    let mut fraud = csv(end, 8, true);
    fraud.push_str("bad,2024-01-01T00:00:00Z,1,NO,1,7.5,1,k1\n");
    std::fs::write(d.join("fraud.csv"), fraud).unwrap();
    std::fs::write(d.join("steady.csv"), csv(end, 8, false)).unwrap();

    let o = airm(d, &["monitor", "ingest", "--model", "fraud", "fraud.csv"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("fraud.csv:242:"), "{}", stderr(&o));
    assert!(stdout(&o).contains("Stored 240 events"), "{}", stdout(&o));
    let o = airm(d, &["monitor", "ingest", "--model", "steady", "steady.csv"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = airm(d, &["monitor", "ingest", "--model", "x y", "steady.csv"]);
    assert_eq!(o.status.code(), Some(2));

    let since = airm_core::Timestamp(end - 8 * H).to_string();
    let until = airm_core::Timestamp(end - H).to_string();
    let o = airm(
        d,
        &[
            "--format", "json", "monitor", "baseline", "--model", "fraud", "--since", &since,
            "--until", &until,
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let b: Value = serde_json::from_str(&stdout(&o)).unwrap();
    let acc = b["metrics"]["accuracy"].as_f64().unwrap();
    assert!((acc - 28.0 / 30.0).abs() < 1e-9, "{b}");
    assert_eq!(b["reference"]["rows"], 210, "{b}");

    std::fs::write(
        d.join("airm.toml"),
        r#"
[[monitor.alerts]]
name = "accuracy-drop"
metric = "accuracy"
condition = "drop"
threshold = 0.2
window = "1h"
min_samples = 20
severity = "high"
owner = "ml-team@example.com"

[[monitor.alerts]]
name = "amount-drift"
metric = "drift"
column = "amount"
condition = "above"
threshold = 0.5
window = "1h"
"#,
    )
    .unwrap();
    let o = airm(d, &["monitor", "alerts", "evaluate"]);
    assert_eq!(o.status.code(), Some(1), "{}{}", stdout(&o), stderr(&o));
    let out = stdout(&o);
    let fraud_line = out.lines().find(|l| l.contains("fraud")).unwrap();
    assert!(
        fraud_line.contains("firing") && fraud_line.contains("open"),
        "{out}"
    );
    let steady_line = out.lines().find(|l| l.contains("steady")).unwrap();
    assert!(steady_line.contains(" ok "), "{out}");
    // The amounts of the last hour are those of the baseline period: no drift for `fraud`;
    // `steady` has no baseline, so its drift is not judged.
    let drift_lines: Vec<&str> = out.lines().filter(|l| l.contains("amount-drift")).collect();
    assert_eq!(drift_lines.len(), 2, "{out}");
    assert!(
        drift_lines
            .iter()
            .any(|l| l.contains("fraud") && l.contains(" ok ")),
        "{out}"
    );
    assert!(
        drift_lines
            .iter()
            .any(|l| l.contains("steady") && l.contains("no data")),
        "{out}"
    );
    // Again: still firing, but the alert is refreshed, not opened twice.
    let o = airm(d, &["monitor", "alerts", "evaluate"]);
    assert!(stderr(&o).contains("0 opened"), "{}", stderr(&o));
    let o = airm(
        d,
        &[
            "--format", "json", "monitor", "alerts", "list", "--status", "open",
        ],
    );
    let alerts: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(alerts.as_array().unwrap().len(), 1, "{alerts}");
    assert_eq!(alerts[0]["model"], "fraud");
    assert_eq!(alerts[0]["seen_count"], 2);
    // A broken rule is a configuration error naming the rule.
    std::fs::write(
        d.join("airm.toml"),
        "[[monitor.alerts]]\nname = \"r1\"\nmetric = \"accuracy\"\ncondition = \"below\"\n",
    )
    .unwrap();
    let o = airm(d, &["monitor", "alerts", "evaluate"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("r1") && stderr(&o).contains("threshold"),
        "{}",
        stderr(&o)
    );
}
