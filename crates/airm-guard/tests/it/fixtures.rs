//! Every rule has `tests/fixtures/<ID>/bad_*` (must fire) and `ok_*` (must not fire).

use std::path::Path;

use airm_guard::Source;

use crate::{fake_aws_key, fake_openai_key, guard, CANARY};

fn expand(s: &str) -> String {
    s.replace("{{AWS_KEY}}", &fake_aws_key())
        .replace("{{OPENAI_KEY}}", &fake_openai_key())
        .replace("{{CANARY}}", CANARY)
}

#[test]
fn every_rule_has_fixtures_that_behave() {
    let g = guard();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut failures = Vec::new();
    for meta in airm_guard::rules() {
        let dir = root.join(meta.id);
        let mut seen = (0, 0);
        let entries =
            std::fs::read_dir(&dir).unwrap_or_else(|_| panic!("no fixtures for {}", meta.id));
        for e in entries {
            let path = e.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            let text = expand(&std::fs::read_to_string(&path).unwrap());
            let v = if meta.id.starts_with("PI") {
                g.check_input(&text, Source::User)
            } else {
                g.check_output(&text)
            };
            let fired = v.findings.iter().any(|f| f.rule_id == meta.id);
            if name.starts_with("bad_") {
                seen.0 += 1;
                if !fired {
                    failures.push(format!("{}/{name} did not fire: {:?}", meta.id, v.findings));
                }
            } else if name.starts_with("ok_") {
                seen.1 += 1;
                if fired {
                    failures.push(format!("{}/{name} fired: {:?}", meta.id, v.findings));
                }
            }
        }
        assert!(
            seen.0 >= 1 && seen.1 >= 1,
            "{} needs bad_ and ok_ fixtures",
            meta.id
        );
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
