//! Throughput of `scan_file` on generated harmless files: a 200 MB pickle of many small
//! objects, a 200 MB pickle of large tensors, and a 1 GiB PyTorch zip checkpoint.
//!
//! `cargo run --release -p airm-scan --example throughput [DIR]` (files are written to DIR,
//! default the system temp dir, and removed afterwards).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::path::Path;
use std::time::Instant;

use airm_formats::pickle::PickleWriter as W;
use airm_scan::{scan_file, ScanConfig};

fn small_objects(target: usize) -> Vec<u8> {
    // A dict of str -> (float, int, str) tuples, every value memoised: ~30 bytes per entry.
    let mut w = W::proto(4).empty_dict().memoize().mark();
    let mut i = 0u32;
    while w.bytes().len() < target {
        w = w
            .str(&format!("k{i}"))
            .memoize()
            .op(b'G')
            .raw(&f64::from(i).to_be_bytes())
            .int(i as i32)
            .str("v")
            .tuple_n(3)
            .memoize();
        i += 1;
        if i % 1000 == 0 {
            w = w.op(b'u').mark();
        }
    }
    w.op(b'u').stop()
}

fn tensors(target: usize) -> Vec<u8> {
    let chunk = vec![0x3fu8; 8 << 20];
    let mut w = W::proto(4).mark();
    let mut n = 0;
    while n < target {
        w = w
            .global("numpy.core.multiarray", "_reconstruct")
            .global("numpy", "ndarray")
            .int(0)
            .tuple_n(1)
            .bytes_val(b"b")
            .tuple_n(3)
            .reduce()
            .mark()
            .int(1)
            .op(0x89)
            .bytes_val(&chunk)
            .tuple()
            .build();
        n += chunk.len();
    }
    w.op(b'l').stop()
}

fn torch_zip(path: &Path, target: u64) {
    let f = std::fs::File::create(path).unwrap();
    let mut z = zip::ZipWriter::new(std::io::BufWriter::new(f));
    let o = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Stored)
        .large_file(true);
    let mut pk = W::proto(2).empty_dict().mark();
    let storage = vec![0x11u8; 64 << 20];
    let count = target / storage.len() as u64;
    for i in 0..count {
        pk = pk
            .str(&format!("layer{i}.weight"))
            .global("torch._utils", "_rebuild_tensor_v2")
            .mark()
            .mark()
            .str("storage")
            .global("torch", "FloatStorage")
            .str(&i.to_string())
            .str("cpu")
            .int(1 << 24)
            .tuple()
            .binpersid()
            .int(0)
            .int(4096)
            .int(4096)
            .tuple_n(2)
            .int(4096)
            .int(1)
            .tuple_n(2)
            .op(0x89)
            .global("collections", "OrderedDict")
            .empty_tuple()
            .reduce()
            .tuple()
            .reduce();
    }
    z.start_file("archive/data.pkl", o).unwrap();
    z.write_all(&pk.op(b'u').stop()).unwrap();
    for i in 0..count {
        z.start_file(format!("archive/data/{i}"), o).unwrap();
        z.write_all(&storage).unwrap();
    }
    z.start_file("archive/version", o).unwrap();
    z.write_all(b"3\n").unwrap();
    z.finish().unwrap();
}

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
    torch_zip(&p, 1 << 30);
    measure("pytorch zip", &p);
    if std::env::var_os("AIRM_KEEP").is_none() {
        std::fs::remove_file(&p).unwrap();
    }
}
