//! Runs the symbolic pickle machine over a file and prints the time and a summary; for
//! profiling (`valgrind --tool=callgrind target/release/examples/pickle_file FILE`).
//!
//! `cargo run --release -p airm-formats --example pickle_file FILE`

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Instant;

use airm_formats::pickle::{analyse, PickleOptions};

fn main() {
    let path = std::env::args().nth(1).expect("usage: pickle_file FILE");
    let file = std::fs::File::open(&path).expect("open");
    let size = file.metadata().expect("metadata").len();
    let mut r = std::io::BufReader::with_capacity(1 << 20, file);
    let t = Instant::now();
    let rep = analyse(&mut r, 0, &PickleOptions::default());
    let s = t.elapsed().as_secs_f64();
    let ops: u64 = rep.streams.iter().map(|x| x.opcodes).sum();
    println!(
        "{:.0} MB in {s:.3} s = {:.0} MB/s; {ops} opcodes, {} refs, {} calls, complete {}",
        size as f64 / 1e6,
        size as f64 / 1e6 / s,
        rep.refs.len(),
        rep.calls.len(),
        rep.is_complete()
    );
    for i in &rep.incomplete {
        println!("  {}", i.describe());
    }
}
