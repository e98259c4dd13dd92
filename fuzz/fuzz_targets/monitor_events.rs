//! Fuzz the monitoring event readers: any bytes as an API batch (JSON array or JSON
//! Lines), as late labels, and as CSV and JSON Lines files must be accepted or rejected
//! with an error, never panic or exceed the limits.
#![no_main]

use libfuzzer_sys::fuzz_target;

use airm_monitor::event;

fuzz_target!(|data: &[u8]| {
    let limits = event::Limits::default();
    let now = airm_core::Timestamp(1_700_000_000_000);
    if let Ok(evs) = event::parse_batch(data, "m", now, &limits) {
        assert!(evs.len() <= limits.max_events);
        for e in &evs {
            assert!(e.features.len() <= limits.max_features);
            assert!(e.score.is_none_or(|s| (0.0..=1.0).contains(&s)));
        }
    }
    let _ = event::parse_labels(data, &limits);
    let _ = event::read_csv(data, "m", now, &limits);
    let _ = event::read_jsonl(data, "m", now, &limits);
});
