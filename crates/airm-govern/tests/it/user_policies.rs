//! User policy directories: good files evaluate, a file with a syntax error is reported
//! with file, line and column while everything else still evaluates; Rego unit tests run.

use airm_govern::testing::run_tests;
use airm_govern::PolicySet;

use crate::{fixtures_dir, read_json};

const GOOD: &str = r#"package acme.naming

import rego.v1

violations contains v if {
	some s in input.systems
	not startswith(s.name, "acme-")
	v := {"id": "GV900", "severity": "low", "object": s.name, "message": sprintf("system `%s` does not follow the acme- naming rule", [s.name])}
}
"#;

const GOOD_TEST: &str = r#"package acme.naming

import rego.v1

test_flags_bad_name if {
	count(violations) == 1 with input as {"systems": [{"name": "bot"}]}
}

test_accepts_good_name if {
	count(violations) == 0 with input as {"systems": [{"name": "acme-bot"}]}
}

test_deliberately_wrong if {
	count(violations) == 5 with input as {"systems": []}
}
"#;

const BROKEN: &str = "package acme.broken\n\nimport rego.v1\n\nviolations contains v if {\n\tv := {\"id\": \"GV901\",\n}\n";

fn dir_with(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    dir
}

#[test]
fn syntax_error_is_reported_with_location_and_the_rest_evaluates() {
    let dir = dir_with(&[
        ("naming.rego", GOOD),
        ("naming_test.rego", GOOD_TEST),
        ("broken.rego", BROKEN),
    ]);
    let mut set = PolicySet::new(&[])
        .unwrap()
        .with_user_dir(dir.path())
        .unwrap();
    let eval = set.evaluate(read_json(
        &fixtures_dir().join("GV004/bad_public_unfronted.json"),
    ));
    assert_eq!(eval.errors.len(), 1, "{:?}", eval.errors);
    let err = eval.errors[0].to_string();
    let broken = dir.path().join("broken.rego").display().to_string();
    assert_eq!(
        err,
        format!("{broken}:8:1: expecting `}}` while parsing query")
    );
    assert!(eval.violations.iter().any(|v| v.policy == "GV900"
        && v.source.ends_with("naming.rego")
        && v.severity == airm_core::Severity::Low));
    assert!(
        eval.violations.iter().any(|v| v.policy == "GV004"),
        "built-ins still run"
    );
}

#[test]
fn malformed_user_violations_are_errors_not_crashes() {
    let src = "package acme.bad\n\nimport rego.v1\n\nviolations contains {\"message\": \"no id\"} if true\n";
    let mut set = PolicySet::new(&[])
        .unwrap()
        .with_user_source("bad.rego", src);
    let eval = set.evaluate(serde_json::json!({"systems": []}));
    assert!(
        eval.errors.iter().any(|e| e.message.contains("`id`")),
        "{:?}",
        eval.errors
    );
    let runtime = "package acme.rt\n\nimport rego.v1\n\nviolations contains v if {\n\tx := 1 / 0\n\tv := {\"id\": \"GV902\", \"severity\": \"low\", \"object\": \"x\", \"message\": sprintf(\"%d\", [x])}\n}\n";
    let mut set = PolicySet::new(&[])
        .unwrap()
        .with_user_source("rt.rego", runtime);
    let eval = set.evaluate(serde_json::json!({"systems": []}));
    assert!(eval.violations.iter().all(|v| v.policy != "GV902"));
}

#[test]
fn missing_directory_is_an_error() {
    let err = PolicySet::new(&[])
        .unwrap()
        .with_user_dir(std::path::Path::new("/nonexistent/airm-policies"))
        .unwrap_err();
    assert!(err.to_string().contains("/nonexistent/airm-policies"));
}

#[test]
fn rego_unit_tests_pass_and_fail() {
    let dir = dir_with(&[
        ("naming.rego", GOOD),
        ("naming_test.rego", GOOD_TEST),
        ("broken.rego", BROKEN),
    ]);
    let report = run_tests(dir.path()).unwrap();
    let by_name = |n: &str| report.results.iter().find(|r| r.name == n).unwrap();
    assert!(by_name("test_flags_bad_name").passed);
    assert!(by_name("test_accepts_good_name").passed);
    assert!(!by_name("test_deliberately_wrong").passed);
    assert_eq!(report.results.len(), 3);
    assert_eq!(report.errors.len(), 1);
    assert_eq!(report.results[0].package, "acme.naming");
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(48))]

    /// Any text as a user policy, mutated from a valid one or random, gives violations or
    /// per-file errors, never a panic.
    #[test]
    fn any_policy_text_is_handled(
        cut in 0usize..400,
        noise in "\\PC{0,40}",
        doc in proptest::prelude::any::<Vec<u8>>(),
    ) {
        let mut text = GOOD.chars().take(cut).collect::<String>();
        text.push_str(&noise);
        let mut set = PolicySet::new(&[]).unwrap().with_user_source("p.rego", &text);
        let input = serde_json::from_slice(&doc).unwrap_or(serde_json::json!({"systems": [{"name": "x"}]}));
        let eval = set.evaluate(input);
        for e in &eval.errors {
            proptest::prop_assert!(!e.to_string().is_empty());
        }
    }
}
