//! Criterion benchmarks of the model-file scanner (`scan_bytes`: format sniffing, the
//! format's parser, the rules, and BLAKE3 + SHA-256 of every byte) on harmless files built
//! in memory: a 16 MB pickle of many small objects, a 64 MB PyTorch zip checkpoint and a
//! 64 MB safetensors file. Throughput is in bytes, so criterion prints MB/s. The full-size
//! files and the peers are in `examples/throughput.rs` and `bench/model_scan.sh`.
//! Run: `cargo bench -p airm-scan --bench scan`.

use std::hint::black_box;
use std::io::Cursor;

use airm_scan::{scan_bytes, ScanConfig};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

#[path = "../examples/support/model_files.rs"]
mod model_files;

fn scan(c: &mut Criterion) {
    let cfg = ScanConfig::default();
    let mut zip = Cursor::new(Vec::new());
    model_files::torch_zip(&mut zip, 64 << 20);
    let files = [
        (
            "pickle_small_objects_16MB",
            model_files::small_objects(16_000_000),
        ),
        ("pytorch_zip_64MB", zip.into_inner()),
        ("safetensors_64MB", model_files::safetensors(64 << 20)),
    ];
    let mut g = c.benchmark_group("scan_bytes");
    g.sample_size(10);
    for (name, data) in &files {
        // Every file must come out clean, or the benchmark measures the wrong path.
        let verdict = scan_bytes(name, data, &cfg).verdict.to_string();
        assert_eq!(verdict, "clean", "{name}");
        g.throughput(Throughput::Bytes(data.len() as u64));
        g.bench_function(*name, |b| {
            b.iter(|| black_box(scan_bytes(name, black_box(data), &cfg)))
        });
    }
    g.finish();
}

criterion_group!(benches, scan);
criterion_main!(benches);
