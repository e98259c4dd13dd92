//! Writes adversarial pickles that stress the machine's caps into DIR, for measuring time
//! and peak memory with `scan_path` (e.g. under `/usr/bin/time -v`).
//!
//! `cargo run --release -p airm-scan --example adversarial -- DIR`

#![allow(clippy::unwrap_used)]

use airm_formats::pickle::PickleWriter as W;

fn main() {
    let dir = std::path::PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| ".".into()));
    std::fs::create_dir_all(&dir).unwrap();
    // 1. Memo and stack full of distinct 3-tuples of long strings.
    let mut w = W::proto(4).mark();
    for i in 0..3_000_000u32 {
        w = w
            .str(&format!("a string of some length {i}"))
            .int(1)
            .none()
            .tuple_n(3)
            .memoize();
        if i % 4 == 0 {
            w = w.pop();
        }
    }
    std::fs::write(dir.join("memo_tuples.pkl"), w.op(b'l').stop()).unwrap();
    // 2. Wide tuples and dicts memoised.
    let mut w = W::proto(4);
    w = w.str("x").memoize();
    for _ in 0..400_000u32 {
        w = w.mark();
        for _ in 0..60 {
            w = w.get(0);
        }
        w = w.tuple().memoize().pop().empty_dict().mark();
        for k in 0..8u8 {
            w = w.str(&format!("key{k}")).int(i32::from(k));
        }
        w = w.op(b'u').memoize().pop();
    }
    std::fs::write(dir.join("wide.pkl"), w.none().stop()).unwrap();
    // 3. Deeply nested lists, tuples and calls.
    let mut w = W::proto(4).none();
    for _ in 0..2_000_000 {
        w = w.tuple_n(1);
    }
    for _ in 0..2_000_000 {
        w = w.mark();
    }
    std::fs::write(dir.join("deep.pkl"), w.stop()).unwrap();
    // 4. 10 million memo entries.
    let mut b = vec![0x80, 4, b'N'];
    b.extend(std::iter::repeat_n(0x94, 10_000_000));
    b.push(b'.');
    std::fs::write(dir.join("memo10m.pkl"), b).unwrap();
}
