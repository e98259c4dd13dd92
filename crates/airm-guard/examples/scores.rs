//! Development aid: PI001 and PI014 scores of every item of a JSON Lines set under the full
//! input pipeline (both rules flag-only at threshold 0.3), as TSV:
//! `label  tags  source  lang  pi001  pi014  blocked_by_other_rules`.
use airm_guard::{Action, Guard, Policy, Source};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args().nth(1).ok_or("usage: scores SET.jsonl")?;
    let policy: Policy = serde_json::from_str(
        r#"{"rules":{"PI001":{"action":"flag","threshold":0.3},"PI014":{"action":"flag","threshold":0.3}}}"#,
    )?;
    let guard = match std::env::var("MODEL") {
        Ok(m) => Guard::with_model(policy, airm_guard::Model::from_bytes(&std::fs::read(m)?)?)?,
        Err(_) => Guard::new(policy)?,
    };
    for line in std::fs::read_to_string(path)?.lines() {
        let v: serde_json::Value = serde_json::from_str(line)?;
        let text = v["text"].as_str().unwrap_or("");
        let verdict = guard.check_input(text, Source::User);
        let score = |id: &str| {
            verdict
                .findings
                .iter()
                .filter(|f| f.rule_id == id)
                .map(|f| f.score)
                .fold(0.0_f32, f32::max)
        };
        let other = verdict
            .findings
            .iter()
            .any(|f| f.action == Action::Block && f.rule_id != "PI001" && f.rule_id != "PI014");
        let tags: Vec<&str> = v["tags"]
            .as_array()
            .map(|a| a.iter().filter_map(|t| t.as_str()).collect())
            .unwrap_or_default();
        println!(
            "{}\t{}\t{}\t{}\t{:.4}\t{:.4}\t{}",
            v["label"].as_str().unwrap_or(""),
            tags.join(","),
            v["source"].as_str().unwrap_or(""),
            v["lang"].as_str().unwrap_or(""),
            score("PI001"),
            score("PI014"),
            u8::from(other)
        );
    }
    Ok(())
}
