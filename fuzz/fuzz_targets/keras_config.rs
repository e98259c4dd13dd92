//! The Keras model-config walker on arbitrary bytes (JSON or not).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = airm_formats::keras::analyse_config(data);
});
