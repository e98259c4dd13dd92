//! Throughput of `scan_file` on generated harmless files: a 200 MB pickle of many small
//! objects, a 200 MB pickle of large tensors, a 1 GiB PyTorch zip checkpoint and a 1 GiB
//! safetensors file.
//!
//! `cargo run --release -p airm-scan --example throughput [DIR]` (files are written to DIR,
//! default the system temp dir, and removed afterwards).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::time::Instant;

use airm_scan::{scan_file, ScanConfig};

#[path = "support/model_files.rs"]
mod model_files;
use model_files::{safetensors, small_objects, tensors, torch_zip};

fn measure(label: &str, path: &Path) {
    // Warm the page cache so the number is about the scanner, not the disk.
    let _ = std::fs::read(path).map(|d| d.len());
    let size = std::fs::metadata(path).unwrap().len();
    let t = Instant::now();
    let r = scan_file(path, &ScanConfig::default()).expect("scan");
    let s = t.elapsed().as_secs_f64();
    println!(
        "{label}: {:.0} MB in {:.3} s = {:.0} MB/s, verdict {}, {} findings",
        size as f64 / 1e6,
        s,
        size as f64 / 1e6 / s,
        r.verdict,
        r.findings.len()
    );
}

fn main() {
    let dir = std::env::args()
        .nth(1)
        .map(std::path::PathBuf::from)
        .unwrap_or_else(std::env::temp_dir)
        .join("airm-throughput");
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join("small.pkl");
    std::fs::write(&p, small_objects(200_000_000)).unwrap();
    measure("pickle, small objects", &p);
    if std::env::var_os("AIRM_KEEP").is_none() {
        std::fs::remove_file(&p).unwrap();
    }
    let p = dir.join("tensors.pkl");
    std::fs::write(&p, tensors(200_000_000)).unwrap();
    measure("pickle, large tensors", &p);
    if std::env::var_os("AIRM_KEEP").is_none() {
        std::fs::remove_file(&p).unwrap();
    }
    let p = dir.join("model.pt");
    torch_zip(
        std::io::BufWriter::new(std::fs::File::create(&p).unwrap()),
        1 << 30,
    );
    measure("pytorch zip", &p);
    if std::env::var_os("AIRM_KEEP").is_none() {
        std::fs::remove_file(&p).unwrap();
    }
    let p = dir.join("model.safetensors");
    std::fs::write(&p, safetensors(1 << 30)).unwrap();
    measure("safetensors", &p);
    if std::env::var_os("AIRM_KEEP").is_none() {
        std::fs::remove_file(&p).unwrap();
    }
}
