//! Subcommands, output formats and exit codes.

use serde_json::Value;

use crate::{airm, stderr, stdout};

#[test]
fn systems_add_list_show_set() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let o = airm(
        d,
        &[
            "systems",
            "add",
            "support-bot",
            "--purpose",
            "Answers customers",
            "--owner",
            "ana@example.com",
            "--importance",
            "4",
            "--exposure",
            "public",
            "--data",
            "personal,internal",
            "--lifecycle",
            "production",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("Registered AI system `support-bot`"));
    assert!(stdout(&o).contains("4/5"));

    // Duplicate name: exit 2 with a clear message.
    let o = airm(d, &["systems", "add", "Support-Bot"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("already exists"), "{}", stderr(&o));
    // Bad enum value: exit 2 with the accepted values.
    let o = airm(d, &["systems", "add", "x", "--exposure", "galactic"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("internal, partner, public"),
        "{}",
        stderr(&o)
    );

    airm(
        d,
        &[
            "systems",
            "add",
            "hr-screening",
            "--importance",
            "5",
            "--data",
            "special-category",
        ],
    );
    let o = airm(d, &["--format", "json", "systems", "list"]);
    assert!(o.status.success());
    let list: Value = serde_json::from_slice(&o.stdout).unwrap();
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["hr-screening", "support-bot"]);
    let o = airm(d, &["systems", "list", "--exposure", "public"]);
    let text = stdout(&o);
    assert!(text.starts_with("NAME"), "{text}");
    assert!(text.contains("support-bot") && !text.contains("hr-screening"));

    let o = airm(
        d,
        &[
            "--format",
            "json",
            "systems",
            "set",
            "support-bot",
            "--no-owner",
            "--add-data",
            "children",
            "--eu-tier",
            "limited",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let s: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(s["owner"], Value::Null);
    assert_eq!(s["version"], 2);
    assert_eq!(s["eu_ai_act_tier"], "limited");
    assert_eq!(
        s["data_categories"],
        serde_json::json!(["internal", "personal", "children"])
    );
    // Stale optimistic version is refused.
    let o = airm(
        d,
        &[
            "systems",
            "set",
            "support-bot",
            "--importance",
            "1",
            "--if-version",
            "1",
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("changed concurrently"),
        "{}",
        stderr(&o)
    );
    let o = airm(d, &["systems", "set", "support-bot"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("nothing to change"));

    let o = airm(d, &["systems", "show", "SUPPORT-BOT"]);
    assert!(stdout(&o).contains("limited"));
    let o = airm(d, &["systems", "show", "nope"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no AI system named `nope`"));
}

#[test]
fn users_and_tokens_offline() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let o = airm(
        d,
        &[
            "users",
            "add",
            "Bob@Example.com",
            "--role",
            "auditor",
            "--name",
            "Bob",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let o = airm(d, &["users", "add", "x@y", "--role", "boss"]);
    assert_eq!(o.status.code(), Some(2));
    let o = airm(
        d,
        &[
            "--format",
            "json",
            "tokens",
            "create",
            "--user",
            "bob@example.com",
            "--expires-in-days",
            "30",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let t: Value = serde_json::from_slice(&o.stdout).unwrap();
    let token = t["token"].as_str().unwrap();
    assert!(token.starts_with("airm_"));
    let id = t["id"].as_str().unwrap().to_string();
    // The secret is never listed or stored in clear.
    let o = airm(d, &["tokens", "list"]);
    assert!(stdout(&o).contains(&id) && stdout(&o).contains("active"));
    assert!(!stdout(&o).contains(token));
    let db = std::fs::read(d.join("airm.db")).unwrap();
    let wal = std::fs::read(d.join("airm.db-wal")).unwrap_or_default();
    for bytes in [&db, &wal] {
        assert!(
            !bytes.windows(token.len()).any(|w| w == token.as_bytes()),
            "token stored in clear"
        );
    }
    let o = airm(d, &["tokens", "revoke", &id]);
    assert!(o.status.success());
    assert!(stdout(&airm(d, &["tokens", "list"])).contains("revoked"));
    let o = airm(d, &["users", "set-role", "bob@example.com", "viewer"]);
    assert!(o.status.success());
    assert!(stdout(&airm(d, &["users", "list"])).contains("viewer"));
    let o = airm(d, &["tokens", "create", "--user", "nobody@example.com"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn config_file_errors_name_the_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("airm.toml"),
        "[server]\nlisten = \"127.0.0.1:0\"\nport = 80\n",
    )
    .unwrap();
    let o = airm(dir.path(), &["systems", "list"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("airm.toml:3:1: unknown field `port`"),
        "{}",
        stderr(&o)
    );
    let o = airm(
        dir.path(),
        &[
            "--database-url",
            "mysql://nope",
            "--config",
            "/dev/null",
            "systems",
            "list",
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("postgres://"), "{}", stderr(&o));
}
