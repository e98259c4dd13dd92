//! Property tests: no panic on arbitrary input; streaming of clean text is lossless.

use proptest::prelude::*;

use airm_guard::{Guard, Policy, Source};

fn g() -> &'static Guard {
    static G: std::sync::OnceLock<Guard> = std::sync::OnceLock::new();
    G.get_or_init(|| Guard::new(crate::test_policy()).expect("valid policy"))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn never_panics_on_any_string(s in any::<String>()) {
        let v = g().check_input(&s, Source::Document);
        prop_assert!(v.score.is_finite());
        let _ = g().check_output(&s);
    }

    #[test]
    fn never_panics_on_encodings_and_unicode(s in "[A-Za-z0-9+/=%&#;\\\\ux{}\u{200B}\u{202E}\u{E0041}é中 .-]{0,400}") {
        let _ = g().check_input(&s, Source::User);
    }

    #[test]
    fn streaming_never_panics(s in any::<String>(), cuts in proptest::collection::vec(0usize..64, 0..20)) {
        let mut st = g().stream();
        let mut rest = s.as_str();
        for c in cuts {
            let mut i = c.min(rest.len());
            while !rest.is_char_boundary(i) { i -= 1; }
            let (a, b) = rest.split_at(i);
            let _ = st.push(a);
            rest = b;
        }
        let _ = st.push(rest);
        let _ = st.finish();
    }

    #[test]
    fn streaming_clean_text_is_lossless(s in "[a-z ]{0,600}", cuts in proptest::collection::vec(1usize..50, 0..30)) {
        let guard = Guard::new(Policy::default()).unwrap();
        let mut st = guard.stream();
        let mut out = String::new();
        let mut rest = s.as_str();
        for c in cuts {
            let i = c.min(rest.len());
            let (a, b) = rest.split_at(i);
            out.push_str(&st.push(a));
            rest = b;
        }
        out.push_str(&st.push(rest));
        let end = st.finish();
        out.push_str(&end.text);
        prop_assert_eq!(out, s);
    }
}
