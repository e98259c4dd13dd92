//! The symbolic pickle machine on arbitrary bytes: must never panic, hang or exceed its caps.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let opts = airm_formats::pickle::PickleOptions::default();
    let _ = airm_formats::pickle::analyse_bytes(data, 0, &opts);
});
