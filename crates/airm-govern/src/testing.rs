//! `airm policy test`: runs Rego unit tests. Every rule whose name starts with `test_`
//! (at the start of a line) in a user policy directory is evaluated with the other files
//! of its package; it passes when it evaluates to `true`. Inputs are given in the test
//! with `with input as {...}`, as in OPA.

use std::path::Path;

use serde::Serialize;

use crate::engine::{engine_for, group_by_package, read_dir};
use crate::{GovernError, PolicyError};

/// One test's outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TestResult {
    /// Rego package.
    pub package: String,
    /// Test rule name.
    pub name: String,
    /// Whether it evaluated to `true`.
    pub passed: bool,
    /// Why it failed, if it failed with an error (undefined or false give none).
    pub error: Option<String>,
}

/// Test results and files that did not load.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TestReport {
    /// Results, by package and name.
    pub results: Vec<TestResult>,
    /// Files with errors.
    pub errors: Vec<PolicyError>,
}

fn test_names(text: &str) -> Vec<String> {
    let mut names: Vec<String> = text
        .lines()
        .filter(|l| l.starts_with("test_"))
        .map(|l| {
            l.chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect()
        })
        .collect();
    names.sort();
    names.dedup();
    names
}

/// Runs the tests of every `.rego` file in `dir`.
pub fn run_tests(dir: &Path) -> Result<TestReport, GovernError> {
    let (files, mut errors) = read_dir(dir)?;
    let mut results = Vec::new();
    for (package, files) in group_by_package(files, &mut errors) {
        let names: Vec<String> = {
            let mut all: Vec<String> = files.iter().flat_map(|f| test_names(&f.text)).collect();
            all.sort();
            all.dedup();
            all
        };
        if names.is_empty() {
            continue;
        }
        let mut engine = match engine_for(&files) {
            Ok(e) => e,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        let file_list = files
            .iter()
            .map(|f| f.path.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        for name in names {
            let outcome = engine.eval_rule(format!("{package}.{name}"));
            let (passed, error) = match outcome {
                Ok(v) => (v == regorus::Value::Bool(true), None),
                Err(e) => (
                    false,
                    Some(PolicyError::from_engine(&file_list, &e).to_string()),
                ),
            };
            results.push(TestResult {
                package: package.trim_start_matches("data.").to_string(),
                name,
                passed,
                error,
            });
        }
    }
    Ok(TestReport { results, errors })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_test_rules_at_line_start() {
        let names = test_names(
            "package x\ntest_a if true\n  test_b if true\ntest_c := true\ntest_a if false\n",
        );
        assert_eq!(names, vec!["test_a".to_string(), "test_c".to_string()]);
    }
}
