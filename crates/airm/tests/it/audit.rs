//! `airm audit`: reading, checkpointing, verifying (store and offline export), tamper
//! detection and SIEM forwarding.

use std::io::{BufRead, BufReader, Read};
use std::net::{TcpListener, UdpSocket};

use serde_json::Value;

use crate::{airm, stderr, stdout};

fn seed(d: &std::path::Path, n: usize) {
    for i in 0..n {
        let o = airm(d, &["systems", "add", &format!("sys-{i}")]);
        assert!(o.status.success(), "{}", stderr(&o));
    }
}

#[test]
fn tail_search_checkpoint_verify_export() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    seed(d, 5);
    let o = airm(d, &["audit", "tail", "-n", "2"]);
    let text = stdout(&o);
    assert!(text.starts_with("SEQ"), "{text}");
    assert_eq!(text.lines().count(), 3);
    assert!(text.contains("system.create") && text.contains("cli:"));
    // JSON output is JSON Lines.
    let o = airm(
        d,
        &[
            "--format", "json", "audit", "search", "--action", "system.", "--limit", "3",
        ],
    );
    let lines: Vec<Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[2]["seq"], 4);

    // Before any checkpoint an export still verifies (nothing covers it yet).
    let early = d.join("early.jsonl");
    let o = airm(d, &["audit", "export", "-o", early.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let pk0 = stdout(&airm(d, &["audit", "public-key"]))
        .trim()
        .to_string();
    let o = airm(
        d,
        &[
            "audit",
            "verify",
            "--file",
            early.to_str().unwrap(),
            "--public-key",
            &pk0,
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));

    let o = airm(d, &["--format", "json", "audit", "checkpoint"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let cp: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(cp["tree_size"], 5);
    let o = airm(d, &["audit", "verify"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("OK: 5 entries, 1 signed checkpoints"),
        "{}",
        stderr(&o)
    );

    // Verification can start from a signed checkpoint.
    airm(d, &["systems", "add", "after-checkpoint"]);
    let o = airm(d, &["audit", "verify", "--from-checkpoint", "5"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).contains("OK: 1 entries"), "{}", stderr(&o));
    let o = airm(d, &["audit", "verify", "--from-checkpoint", "3"]);
    assert_eq!(o.status.code(), Some(2), "no checkpoint of size 3");

    // Export, then verify offline with only the public key.
    let pk = stdout(&airm(d, &["audit", "public-key"]))
        .trim()
        .to_string();
    assert!(pk.starts_with("ed25519:"));
    let export = d.join("log.jsonl");
    let o = airm(d, &["audit", "export", "-o", export.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let other = tempfile::tempdir().unwrap(); // a machine without the store
    let o = airm(
        other.path(),
        &[
            "audit",
            "verify",
            "--file",
            export.to_str().unwrap(),
            "--public-key",
            &pk,
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // A changed byte in an exported entry is detected and named.
    let text = std::fs::read_to_string(&export).unwrap();
    let tampered = text.replacen("\"sys-3\"", "\"sys-X\"", 1);
    assert_ne!(text, tampered);
    let bad = d.join("bad.jsonl");
    std::fs::write(&bad, tampered).unwrap();
    let o = airm(
        other.path(),
        &[
            "--format",
            "json",
            "audit",
            "verify",
            "--file",
            bad.to_str().unwrap(),
            "--public-key",
            &pk,
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["ok"], false);
    assert_eq!(v["seq"], 3, "{v}");
    // The wrong key fails too.
    let wrong = "ed25519:".to_string() + &"A".repeat(43) + "=";
    let o = airm(
        other.path(),
        &[
            "audit",
            "verify",
            "--file",
            export.to_str().unwrap(),
            "--public-key",
            &wrong,
        ],
    );
    assert_ne!(o.status.code(), Some(0));
    // Export from a later entry verifies on its own.
    let part = d.join("part.jsonl");
    airm(
        d,
        &[
            "audit",
            "export",
            "--from-seq",
            "3",
            "-o",
            part.to_str().unwrap(),
        ],
    );
    let o = airm(
        other.path(),
        &[
            "audit",
            "verify",
            "--file",
            part.to_str().unwrap(),
            "--public-key",
            &pk,
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[tokio::test]
async fn database_tampering_is_reported_with_the_entry() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_path_buf();
    seed(&d, 4);
    airm(&d, &["audit", "checkpoint"]);
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", d.join("airm.db").display()))
        .await
        .unwrap();
    // The database refuses edits outright...
    assert!(sqlx::query("DELETE FROM events WHERE seq = 2")
        .execute(&pool)
        .await
        .is_err());
    // ...so an attacker drops the triggers first.
    sqlx::query("DROP TRIGGER events_no_delete")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("DELETE FROM events WHERE seq = 2")
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let o = airm(&d, &["audit", "verify"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("TAMPERED") && stderr(&o).contains("entry 2"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn forwards_rfc5424_over_udp_and_tcp() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    seed(d, 3);
    let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
    udp.set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    let url = format!("udp://{}", udp.local_addr().unwrap());
    let o = airm(
        d,
        &["audit", "forward", "--syslog", &url, "--from-seq", "1"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let mut got = Vec::new();
    for _ in 0..2 {
        let mut buf = [0u8; 9000];
        let n = udp.recv(&mut buf).unwrap();
        got.push(String::from_utf8_lossy(&buf[..n]).into_owned());
    }
    assert!(got[0].starts_with("<109>1 "), "{}", got[0]);
    assert!(
        got[0].contains(" airm ") && got[0].contains("system.create [airm@32473 seq=\"1\""),
        "{}",
        got[0]
    );
    assert!(got[1].contains("seq=\"2\""));

    let tcp = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("tcp://{}", tcp.local_addr().unwrap());
    let handle = std::thread::spawn(move || {
        let (s, _) = tcp.accept().unwrap();
        let mut r = BufReader::new(s);
        let mut frames = Vec::new();
        loop {
            let mut len = Vec::new();
            if r.read_until(b' ', &mut len).unwrap() == 0 {
                break;
            }
            let n: usize = String::from_utf8_lossy(&len).trim().parse().unwrap();
            let mut msg = vec![0u8; n];
            r.read_exact(&mut msg).unwrap();
            frames.push(String::from_utf8(msg).unwrap());
        }
        frames
    });
    let o = airm(d, &["audit", "forward", "--syslog", &url]);
    assert!(o.status.success(), "{}", stderr(&o));
    let frames = handle.join().unwrap();
    assert_eq!(frames.len(), 3);
    let json = frames[0].split_once("] ").unwrap().1;
    let ev: Value = serde_json::from_str(json).unwrap();
    assert_eq!(ev["action"], "system.create");
    let o = airm(d, &["audit", "forward", "--syslog", "smtp://x:1"]);
    assert_eq!(o.status.code(), Some(2));
}
