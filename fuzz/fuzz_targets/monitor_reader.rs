//! The drift/profile readers (CSV fast path and quoted path, TSV, JSON Lines) and the
//! profile decoder on arbitrary bytes, with small limits so caps are hit too.
#![no_main]

use std::path::Path;

use airm_monitor::reader::{read_from, FileFormat, ReadOptions};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let opts = ReadOptions {
        max_line_bytes: 4096,
        max_columns: 64,
        max_categories: 256,
        max_values: 100_000,
        ..ReadOptions::default()
    };
    for format in [
        FileFormat::Csv { delimiter: b',' },
        FileFormat::Csv { delimiter: b'\t' },
        FileFormat::JsonLines,
    ] {
        if let Ok(t) = read_from(Path::new("fuzz"), data, format, &opts) {
            let _ = airm_monitor::profile::Profile::from_table(t, &Default::default());
        }
    }
    if let Ok(p) = airm_monitor::profile::Profile::from_json("fuzz", data) {
        let mut q = p.clone();
        let _ = q.merge(&p);
    }
});
