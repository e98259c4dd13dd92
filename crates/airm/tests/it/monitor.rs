//! `airm monitor ingest|baseline|alerts` end to end: a CSV with a rejected row, a
//! baseline from the good hours, and an evaluation that fires for the model whose last
//! hour dropped and not for the stable one.

use serde_json::Value;

use crate::{airm, stderr, stdout};

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
