//! Integration tests of airm-govern: built-in policy fixtures, user policy directories,
//! Rego unit tests and exceptions.

#![allow(clippy::unwrap_used)]

mod fixtures;
mod user_policies;

use std::path::PathBuf;

pub fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

pub fn read_json(path: &std::path::Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).unwrap();
    serde_json::from_str(&text).unwrap()
}
