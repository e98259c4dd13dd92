//! Harmless model files for the scanner's benchmarks (`examples/throughput.rs`,
//! `benches/scan.rs`): a pickle of many small objects, a pickle of large tensors, a
//! PyTorch zip checkpoint and a safetensors file, built in memory from their formats.

#![allow(dead_code, clippy::expect_used)]

use std::io::{Seek, Write};

use airm_formats::pickle::PickleWriter as W;

pub fn small_objects(target: usize) -> Vec<u8> {
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

pub fn tensors(target: usize) -> Vec<u8> {
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

pub fn torch_zip<F: Write + Seek>(out: F, target: u64) {
    let mut z = zip::ZipWriter::new(out);
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
    z.start_file("archive/data.pkl", o)
        .expect("writing the checkpoint");
    z.write_all(&pk.op(b'u').stop())
        .expect("writing the checkpoint");
    for i in 0..count {
        z.start_file(format!("archive/data/{i}"), o)
            .expect("writing the checkpoint");
        z.write_all(&storage).expect("writing the checkpoint");
    }
    z.start_file("archive/version", o)
        .expect("writing the checkpoint");
    z.write_all(b"3\n").expect("writing the checkpoint");
    z.finish().expect("writing the checkpoint");
}

/// A safetensors file of 16 float32 tensors, about `target` bytes: the 8-byte header
/// length, the JSON header, then the data.
pub fn safetensors(target: usize) -> Vec<u8> {
    let n = 16;
    let numel = (target / n / 4).max(1);
    let mut header = String::from(r#"{"__metadata__":{"format":"pt"}"#);
    for i in 0..n {
        header.push_str(&format!(
            r#","layer{i}.weight":{{"dtype":"F32","shape":[{numel}],"data_offsets":[{},{}]}}"#,
            i * numel * 4,
            (i + 1) * numel * 4
        ));
    }
    header.push('}');
    while header.len() % 8 != 0 {
        header.push(' ');
    }
    let mut out = Vec::with_capacity(8 + header.len() + n * numel * 4);
    out.extend_from_slice(&(header.len() as u64).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    out.resize(out.len() + n * numel * 4, 0x3f);
    out
}
