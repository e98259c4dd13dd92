//! Fuzz the runtime guard: any text, as input from every source and as output, and streamed
//! in chunks, must give a verdict without panicking or exceeding its caps.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;

static GUARD: OnceLock<airm_guard::Guard> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let guard = GUARD.get_or_init(|| {
        airm_guard::Guard::new(airm_guard::policy::Policy::default()).expect("default policy")
    });
    let text = String::from_utf8_lossy(data);
    for source in airm_guard::Source::ALL {
        let _ = guard.check_input(&text, source);
    }
    let _ = guard.check_output(&text);
    let mut stream = guard.stream();
    for chunk in text.as_bytes().chunks(7) {
        let _ = stream.push(&String::from_utf8_lossy(chunk));
    }
    let _ = stream.finish();
});
