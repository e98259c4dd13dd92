//! The Parquet readers (feature `parquet`): drift/profile tables and event ingestion, on
//! arbitrary bytes and on the bytes framed by the `PAR1` magics (so the footer and page
//! decoders are reached), with small limits so caps are hit too.
#![no_main]

use std::path::Path;

use airm_core::Timestamp;
use airm_monitor::event::{read_parquet, Limits};
use airm_monitor::reader::{read_from, FileFormat, ReadOptions};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let opts = ReadOptions {
        max_columns: 64,
        max_categories: 256,
        max_values: 100_000,
        ..ReadOptions::default()
    };
    let mut framed = b"PAR1".to_vec();
    framed.extend_from_slice(data);
    framed.extend_from_slice(b"PAR1");
    for bytes in [data, &framed[..]] {
        if let Ok(t) = read_from(Path::new("fuzz"), bytes, FileFormat::Parquet, &opts) {
            let _ = airm_monitor::profile::Profile::from_table(t, &Default::default());
        }
        let limits = Limits {
            max_events: 1000,
            ..Limits::default()
        };
        let _ = read_parquet(bytes.to_vec(), "m", Timestamp(0), &limits);
    }
});
