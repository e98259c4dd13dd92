//! Fuzz the activity-log export verifier: arbitrary bytes as an export file must yield a
//! verification error or a summary, never a panic, hang or unbounded allocation.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let key = airm_ledger::SigningKey::from_seed([7; 32]).public_key();
    let _ = airm_ledger::verify_export(data, &key);
    let _ = airm_ledger::canonical::decode_event(data);
});
