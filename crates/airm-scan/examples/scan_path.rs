//! Scans the files given on the command line and prints one JSON report per line.
//!
//! `cargo run --release -p airm-scan --example scan_path -- FILE...`

#![allow(clippy::unwrap_used)]

use std::io::Write;

fn main() {
    let cfg = airm_scan::ScanConfig::default();
    let mut out = std::io::stdout().lock();
    for p in std::env::args().skip(1) {
        match airm_scan::scan_file(std::path::Path::new(&p), &cfg) {
            Ok(r) => writeln!(out, "{}", serde_json::to_string(&r).unwrap()).unwrap(),
            Err(e) => writeln!(out, "{{\"path\":{:?},\"error\":{:?}}}", p, e.to_string()).unwrap(),
        }
    }
}
