//! CPU cost of the file hashes: BLAKE3 alone, SHA-256 alone (both single-threaded, from
//! memory), and `HashingReader` (both, SHA-256 on its helper thread) reading FILE.
//!
//! `cargo run --release -p airm-scan --example hash_speed FILE`

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Read;
use std::time::Instant;

use sha2::Digest;

fn main() {
    let path = std::env::args().nth(1).expect("usage: hash_speed FILE");
    let size = std::fs::metadata(&path).unwrap().len();
    let gb = size as f64 / 1e9;
    // In memory, 64 MiB at a time, so the figures are the hash functions' own.
    let mut f = std::fs::File::open(&path).unwrap();
    let mut buf = vec![0u8; 64 << 20];
    let n = f.read(&mut buf).unwrap();
    let chunk = &buf[..n];
    let reps = (size as usize).div_ceil(n.max(1));
    let t = Instant::now();
    let mut b = blake3::Hasher::new();
    for _ in 0..reps {
        b.update(chunk);
    }
    let _ = b.finalize();
    let bt = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let mut s = sha2::Sha256::new();
    for _ in 0..reps {
        s.update(chunk);
    }
    let _ = s.finalize();
    let st = t.elapsed().as_secs_f64();
    println!(
        "blake3 {:.2} GB/s, sha256 {:.2} GB/s (one core each, {:.2} GB from memory)",
        gb / bt,
        gb / st,
        gb
    );
    let t = Instant::now();
    let hr = airm_scan::HashingReader::new(std::fs::File::open(&path).unwrap());
    let (_, _, read) = hr.finish().unwrap();
    let ht = t.elapsed().as_secs_f64();
    println!(
        "HashingReader over the file: {:.2} GB in {ht:.3} s = {:.2} GB/s",
        read as f64 / 1e9,
        read as f64 / 1e9 / ht
    );
}
