//! Fuzzes the hand-written columnar metadata readers of discovery: Parquet footers
//! (Thrift compact protocol) and Arrow IPC files and streams (flatbuffers). The first byte
//! picks the reader; the rest is the file.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some((first, rest)) = data.split_first() {
        let n = rest.len() as u64;
        let mut c = std::io::Cursor::new(rest);
        match first % 3 {
            0 => {
                let _ = airm_scan::discover::parquet::read(&mut c, n);
            }
            1 => {
                let _ = airm_scan::discover::arrow::read(&mut c, n);
            }
            _ => {
                let _ = airm_scan::discover::parquet::parse_footer(rest);
            }
        }
    }
});
