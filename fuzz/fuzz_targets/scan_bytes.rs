//! The whole per-file scan (sniffing, archives, npy, safetensors, GGUF) on arbitrary bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = airm_scan::scan_bytes("fuzz", data, &airm_scan::ScanConfig::default());
});
