//! `airm audit …`: the tamper-evident activity log from the command line — read it,
//! checkpoint it, verify it (in the store or an export, offline), export it and forward it
//! to a SIEM.

use std::io::{BufReader, Write};
use std::time::Duration;

use anyhow::Context as _;

use airm_core::AuditEvent;
use airm_ledger::PublicKey;
use airm_store::audit::{checkpoint_now, export, verify_store_from, AuditFailure};
use airm_store::{DynStore, EventFilter, Page};

use crate::cli::{AuditCmd, Format};
use crate::context::Context;
use crate::output::{Printer, Table};
use crate::syslog;

pub async fn run(cmd: AuditCmd, ctx: &Context, p: &Printer) -> anyhow::Result<u8> {
    if let AuditCmd::Verify {
        file: Some(file),
        public_key,
        ..
    } = &cmd
    {
        return verify_file(file, public_key.as_deref().unwrap_or_default(), p);
    }
    let store = ctx.store().await?;
    match cmd {
        AuditCmd::Tail { lines, follow } => tail(&store, lines, follow, p).await?,
        AuditCmd::Search(s) => {
            let filter = EventFilter {
                actor: s.actor,
                action: s.action,
                target: s.target,
                since: s.since,
                until: s.until,
            };
            let mut list = store.list_events(&filter, Page::new(s.limit, 0)).await?;
            list.items.reverse();
            print_events(&list.items, p);
            if list.total > list.items.len() as u64 {
                p.note(&format!(
                    "Showing the latest {} of {} matching events (use --limit).",
                    list.items.len(),
                    list.total
                ));
            }
        }
        AuditCmd::Checkpoint => {
            let key = ctx.signing_key()?;
            match checkpoint_now(&store, &key).await? {
                Some(cp) => {
                    p.note(&format!(
                        "Signed checkpoint of {} entries with key {}",
                        cp.tree_size, cp.key_id
                    ));
                    p.data(&cp, || {
                        format!("{} {}\n", cp.tree_size, cp.root_hash.to_hex())
                    });
                }
                None => p.note("The activity log is empty; nothing to checkpoint."),
            }
        }
        AuditCmd::Verify {
            from_checkpoint, ..
        } => {
            let key = ctx.signing_key()?;
            let pk = key.public_key();
            return match verify_store_from(&store, Some(&pk), from_checkpoint).await {
                Ok(s) => {
                    p.note(&format!(
                        "OK: {} entries, {} signed checkpoints verified; root {}{}",
                        s.entries,
                        s.checkpoints_verified,
                        s.root.to_hex(),
                        if s.uncovered_tail > 0 {
                            format!(" ({} entries after the last checkpoint; run `airm audit checkpoint`)", s.uncovered_tail)
                        } else {
                            String::new()
                        }
                    ));
                    p.data(&serde_json::json!({"ok": true, "summary": s}), String::new);
                    Ok(0)
                }
                Err(AuditFailure::Store(e)) => Err(e).context("cannot read the activity log"),
                Err(e) => {
                    p.note(&format!("TAMPERED: {e}"));
                    p.data(
                        &serde_json::json!({"ok": false, "error": e.to_string()}),
                        String::new,
                    );
                    Ok(1)
                }
            };
        }
        AuditCmd::Export {
            since,
            from_seq,
            output,
        } => {
            let key = ctx.signing_key()?;
            let from = match (from_seq, since) {
                (Some(s), _) => s,
                (None, Some(t)) => first_seq_at_or_after(&store, t).await?,
                (None, None) => 0,
            };
            let n = match &output {
                Some(path) => {
                    let f = std::fs::File::create(path)
                        .with_context(|| format!("cannot create {}", path.display()))?;
                    let mut w = std::io::BufWriter::new(f);
                    let n = export(&store, &key, from, &mut w).await?;
                    w.flush()?;
                    n
                }
                None => {
                    let stdout = std::io::stdout();
                    let mut w = std::io::BufWriter::new(stdout.lock());
                    let n = export(&store, &key, from, &mut w).await?;
                    w.flush()?;
                    n
                }
            };
            p.note(&format!(
                "Exported {n} entries from seq {from}. Verify offline with: airm audit verify --file FILE --public-key {}",
                key.public_key()
            ));
        }
        AuditCmd::PublicKey => {
            let pk = ctx.signing_key()?.public_key();
            p.data(
                &serde_json::json!({"public_key": pk.to_string(), "key_id": pk.key_id()}),
                || format!("{pk}\n"),
            );
        }
        AuditCmd::Forward {
            syslog: url,
            from_seq,
            follow,
        } => {
            let mut sink = syslog::Sink::connect(&url)?;
            let host = hostname();
            let mut next = from_seq;
            let mut sent = 0u64;
            loop {
                let batch = store.ledger_entries(next, 1000).await?;
                for e in &batch {
                    sink.send(&syslog::format_event(&e.event, &host))?;
                    sent += 1;
                    next = u64::try_from(e.event.seq).unwrap_or(next).saturating_add(1);
                }
                if batch.len() < 1000 {
                    if !follow {
                        break;
                    }
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
            p.note(&format!(
                "Forwarded {sent} events to {url}; next seq {next}."
            ));
        }
    }
    Ok(0)
}

async fn tail(store: &DynStore, lines: u32, follow: bool, p: &Printer) -> anyhow::Result<()> {
    let head = store.ledger_state().await?.size;
    let start = head.saturating_sub(u64::from(lines));
    let first = store.ledger_entries(start, lines.max(1)).await?;
    let events: Vec<AuditEvent> = first.into_iter().map(|e| e.event).collect();
    let mut next = start + events.len() as u64;
    print_events(&events, p);
    if !follow {
        return Ok(());
    }
    loop {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let more: Vec<AuditEvent> = store
            .ledger_entries(next, 1000)
            .await?
            .into_iter()
            .map(|e| e.event)
            .collect();
        if !more.is_empty() {
            next += more.len() as u64;
            print_rows(&more, p, false);
        }
    }
}

fn print_events(events: &[AuditEvent], p: &Printer) {
    print_rows(events, p, true);
}

/// JSON output is JSON Lines (one event per line) so it streams into SIEMs and `jq`.
fn print_rows(events: &[AuditEvent], p: &Printer, header: bool) {
    if p.format == Format::Json {
        for e in events {
            p.line(&serde_json::to_string(e).unwrap_or_default());
        }
        return;
    }
    let mut t = Table::new(&["SEQ", "TIME", "ACTOR", "ACTION", "TARGET", "OUTCOME"]);
    for e in events {
        t.row(vec![
            e.seq.to_string(),
            e.time.to_string(),
            format!("{}:{}", e.actor.kind, e.actor.id),
            e.action.clone(),
            e.target.clone().unwrap_or_else(|| "-".into()),
            e.outcome.to_string(),
        ]);
    }
    let text = t.render();
    let body = if header {
        text.as_str()
    } else {
        text.split_once('\n').map_or("", |x| x.1)
    };
    p.data(&(), || body.to_string());
}

async fn first_seq_at_or_after(store: &DynStore, t: airm_core::Timestamp) -> anyhow::Result<u64> {
    let mut next = 0u64;
    loop {
        let rows = store.ledger_entries(next, 10_000).await?;
        if let Some(e) = rows.iter().find(|e| e.event.time >= t) {
            return Ok(u64::try_from(e.event.seq).unwrap_or(0));
        }
        match rows.last() {
            Some(last) => next = u64::try_from(last.event.seq).unwrap_or(0) + 1,
            None => return Ok(next),
        }
    }
}

fn verify_file(file: &std::path::Path, key: &str, p: &Printer) -> anyhow::Result<u8> {
    let key_text = if key.starts_with("ed25519:") {
        key.to_string()
    } else {
        std::fs::read_to_string(key).with_context(|| {
            format!("--public-key is neither `ed25519:…` nor a readable file: {key}")
        })?
    };
    let pk: PublicKey = key_text
        .trim()
        .parse()
        .map_err(|e| anyhow::anyhow!("invalid public key: {e}"))?;
    let f = std::fs::File::open(file).with_context(|| format!("cannot open {}", file.display()))?;
    match airm_ledger::verify_export(BufReader::new(f), &pk) {
        Ok(s) => {
            p.note(&format!(
                "OK: {} verified offline with key {}",
                file.display(),
                pk.key_id()
            ));
            p.data(&serde_json::json!({"ok": true, "summary": s}), || {
                format!("{s:?}\n")
            });
            Ok(0)
        }
        Err(e) => {
            p.note(&format!("TAMPERED: {}: {e}", file.display()));
            p.data(&serde_json::json!({"ok": false, "error": e.to_string(), "line": e.line(), "seq": e.seq()}), String::new);
            Ok(1)
        }
    }
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "-".to_string())
}
