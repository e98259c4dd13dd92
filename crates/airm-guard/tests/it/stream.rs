//! Streaming: values split across chunks are redacted; nothing unscanned is released; a block
//! stops the stream.

use airm_guard::{Guard, Policy};

use crate::{fake_aws_key, guard, CANARY};

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
            pushed - released <= 256 + c.len() + 64,
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
