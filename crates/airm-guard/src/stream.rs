//! Streaming output checks: [`OutputStream`] receives response chunks, holds back the last
//! `stream.hold_back` bytes (and any partial word or sensitive match crossing the cut), runs
//! the output scanners on what it holds, and releases only scanned, redacted text. A value
//! split across chunks is therefore redacted as a whole; after a `block` finding nothing more
//! is released.
//!
//! Cost per chunk is bounded: a scan runs only once `hold_back` bytes of new text have
//! accumulated beyond the hold-back (so between `hold_back` and twice that is held), and it
//! sees the held text plus a bounded overlap of
//! released text (the last `hold_back` bytes before the last released word, and that word
//! in full up to [`MAX_CONTEXT`] bytes), not the whole response. A pattern whose start was
//! released is therefore still matched when it ends later: `key = value` or a markdown
//! image whose spaced part is up to `hold_back` bytes long, followed by an unbroken token
//! (URL, JWT) of up to [`MAX_CONTEXT`] bytes.

use std::collections::HashSet;

use crate::guard::{redact, Guard};
use crate::output::OutputContext;
use crate::rules::OUTPUT;
use crate::vault::Vault;
use crate::verdict::{Action, GuardFinding, Span, Verdict};

/// Upper bound on the released text kept as context for the next scan (a long unbroken
/// token such as a JWT or URL released in part stays visible up to this length).
pub const MAX_CONTEXT: usize = 8 * 1024;

/// An incremental output check. Create with [`Guard::stream`].
#[derive(Debug)]
pub struct OutputStream<'g> {
    guard: &'g Guard,
    ctx: OutputContext,
    pending: String,
    history: String,
    released: usize,
    findings: Vec<GuardFinding>,
    seen: HashSet<(String, String, Option<usize>)>,
    blocked: bool,
    vault: Option<Vault>,
}

/// What [`OutputStream::finish`] returns.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamEnd {
    /// The last text to release (redacted; empty when blocked).
    pub text: String,
    /// The verdict over the whole stream.
    pub verdict: Verdict,
}

impl<'g> OutputStream<'g> {
    pub(crate) fn new(guard: &'g Guard, ctx: OutputContext) -> OutputStream<'g> {
        OutputStream {
            guard,
            ctx,
            pending: String::new(),
            history: String::new(),
            released: 0,
            findings: Vec::new(),
            seen: HashSet::new(),
            blocked: false,
            vault: None,
        }
    }

    /// Restores anonymisation placeholders (see [`Guard::check_input_anonymized`]) in the
    /// released text. Scanners still see the placeholders, never the restored values, and a
    /// placeholder is never split because the stream only cuts between words.
    pub fn restoring(mut self, vault: Vault) -> OutputStream<'g> {
        self.vault = Some(vault);
        self
    }

    /// True once a `block` finding stopped the stream.
    pub fn is_blocked(&self) -> bool {
        self.blocked
    }

    /// Adds a chunk; returns the text that is now safe to release (possibly empty).
    pub fn push(&mut self, chunk: &str) -> String {
        if self.blocked {
            return String::new();
        }
        self.pending.push_str(chunk);
        let hold = self.guard.policy.stream.hold_back.max(16);
        // Scan in batches of `hold` new bytes: each byte is scanned a bounded number of
        // times (about three: as new text, as held text, as overlap), whatever the chunk size.
        if self.pending.len() <= 2 * hold {
            return String::new();
        }
        self.step(false)
    }

    /// Ends the stream: scans and releases what was held back, and returns the verdict.
    pub fn finish(mut self) -> StreamEnd {
        let text = if self.blocked {
            String::new()
        } else {
            self.step(true)
        };
        StreamEnd {
            text,
            verdict: Verdict::from_findings(std::mem::take(&mut self.findings), None),
        }
    }

    fn step(&mut self, last: bool) -> String {
        let g = self.guard;
        // Scan the held text with some released context in front (for echo / canaries).
        let ctx_len = self.history.len();
        let mut window = String::with_capacity(ctx_len + self.pending.len());
        window.push_str(&self.history);
        window.push_str(&self.pending);
        let v = g.run(&window, OUTPUT, &g.compiled.output, Some(&self.ctx), None);
        let hold = g.policy.stream.hold_back.max(16);
        let mut cut = if last {
            self.pending.len()
        } else {
            floor_boundary(&self.pending, self.pending.len().saturating_sub(hold))
        };
        if !last {
            // Do not split a word: move the cut back to the start of the word crossing it.
            if let Some(ws) = self.pending[..cut].rfind(char::is_whitespace) {
                let word_start = ws + self.pending[ws..].chars().next().map_or(1, char::len_utf8);
                if cut - word_start < hold {
                    cut = word_start;
                }
            } else if cut < hold {
                cut = 0;
            }
        }
        // Findings with spans in the pending part; move the cut before any span crossing it.
        for f in &v.findings {
            if let Some(sp) = f.span {
                if sp.end > ctx_len && sp.start < ctx_len + cut && sp.end > ctx_len + cut {
                    cut = sp.start.saturating_sub(ctx_len).min(cut);
                }
            }
        }
        let cut = floor_boundary(&self.pending, cut);
        let mut redactions: Vec<(Span, String)> = Vec::new();
        for f in v.findings {
            let rel = f.span.map(|sp| {
                (
                    sp.start as isize - ctx_len as isize,
                    sp.end as isize - ctx_len as isize,
                )
            });
            match rel {
                // Entirely in already-released context: reported earlier.
                Some((_, e)) if e <= 0 => continue,
                // Not released yet: it will be found again next step.
                Some((s, _)) if s >= cut as isize => continue,
                _ => {}
            }
            if f.action == Action::Redact {
                if let Some((s, e)) = rel {
                    let label = f.kind.clone().unwrap_or_else(|| "REDACTED".to_string());
                    redactions.push((
                        Span {
                            start: s.max(0) as usize,
                            end: e as usize,
                        },
                        label,
                    ));
                }
            }
            if f.action == Action::Block {
                self.blocked = true;
            }
            let abs = rel.map(|(s, _)| self.released + s.max(0) as usize);
            let key = (f.rule_id.clone(), f.message.clone(), abs);
            if self.seen.insert(key) {
                let mut f = f;
                f.span = rel.map(|(s, e)| Span {
                    start: self.released + s.max(0) as usize,
                    end: self.released + e as usize,
                });
                self.findings.push(f);
            }
        }
        if self.blocked {
            self.pending.clear();
            return String::new();
        }
        let head: String = self.pending[..cut].to_string();
        let mut out = if redactions.is_empty() {
            head.clone()
        } else {
            redact(&head, &mut redactions, None)
        };
        if let Some(v) = &self.vault {
            out = v.restore(&out);
        }
        self.pending.drain(..cut);
        self.released += cut;
        self.history.push_str(&head);
        let from = context_start(&self.history, hold);
        if from > 0 {
            self.history.drain(..from);
        }
        out
    }
}

/// Where the context kept from the released text `h` starts: `hold` bytes before the start of
/// its last word (the unbroken run of non-whitespace at its end), but no more than
/// [`MAX_CONTEXT`] bytes before its end.
fn context_start(h: &str, hold: usize) -> usize {
    let word = h.rfind(char::is_whitespace).map_or(0, |ws| {
        ws + h
            .get(ws..)
            .and_then(|r| r.chars().next())
            .map_or(1, char::len_utf8)
    });
    let from = word
        .saturating_sub(hold)
        .max(h.len().saturating_sub(MAX_CONTEXT));
    floor_boundary(h, from)
}

fn floor_boundary(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}
