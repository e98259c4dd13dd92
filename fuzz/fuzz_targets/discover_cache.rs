//! Fuzzes the discovery cache file: its record parser (every length checked against what
//! is left) and the replay of each record's JSON into a report. The cache is airm's own
//! file, but it sits on disk where it could be damaged or tampered with.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = airm_scan::discover::replay_cache_bytes(data);
});
