//! `airm policy|committees|approvals|exceptions`: exit codes by severity, a broken user
//! policy reported with file:line:col while the rest evaluates, Rego unit tests, SARIF,
//! role and membership checks, and every decision in the activity log.

use crate::{airm, stderr, stdout};

const USER_POLICY: &str = r#"package acme.naming

import rego.v1

violations contains v if {
	some s in input.systems
	not startswith(s.name, "acme-")
	v := {"id": "GV900", "severity": "low", "object": s.name, "message": sprintf("system `%s` is not named acme-*", [s.name])}
}
"#;

const USER_TEST: &str = r#"package acme.naming

import rego.v1

test_flags if {
	count(violations) == 1 with input as {"systems": [{"name": "bot"}]}
}
"#;

#[test]
fn policy_eval_exit_codes_user_policies_and_sarif() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let o = airm(
        d,
        &[
            "systems",
            "add",
            "support-bot",
            "--exposure",
            "public",
            "--lifecycle",
            "production",
            "--llm",
            "--owner",
            "ana@x.com",
            "--risk-owner",
            "rui@x.com",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));

    let o = airm(d, &["policy", "eval", "--format", "json"]);
    assert_eq!(o.status.code(), Some(1), "GV004 is high: {}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert!(v["violations"]
        .as_array()
        .unwrap()
        .iter()
        .any(|x| x["policy"] == "GV004"));
    let o = airm(d, &["policy", "eval", "--fail-on", "critical"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains("public-facing LLM system `support-bot`"));

    let o = airm(
        d,
        &[
            "systems",
            "set",
            "support-bot",
            "--gateway-policy",
            "default",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let o = airm(d, &["policy", "eval", "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));

    // A user directory with a good policy, its test, and a broken file.
    let pol = d.join("policies");
    std::fs::create_dir(&pol).unwrap();
    std::fs::write(pol.join("naming.rego"), USER_POLICY).unwrap();
    std::fs::write(pol.join("naming_test.rego"), USER_TEST).unwrap();
    std::fs::write(
        pol.join("broken.rego"),
        "package acme.broken\n\nviolations contains v if {\n  v := \n",
    )
    .unwrap();
    let o = airm(
        d,
        &[
            "policy",
            "eval",
            "--policy-dir",
            "policies",
            "--format",
            "json",
        ],
    );
    assert_eq!(o.status.code(), Some(2), "errors exit 2: {}", stderr(&o));
    assert!(
        stderr(&o).contains("policies/broken.rego:4:5: expecting `}`"),
        "{}",
        stderr(&o)
    );
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert!(
        v["violations"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["policy"] == "GV900"),
        "the rest evaluates"
    );

    let o = airm(d, &["policy", "test", "policies"]);
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    assert!(
        stdout(&o).lines().any(|l| l.starts_with("PASS")
            && l.contains("acme.naming")
            && l.ends_with("test_flags")),
        "{}",
        stdout(&o)
    );
    std::fs::remove_file(pol.join("broken.rego")).unwrap();
    let o = airm(d, &["policy", "test", "policies"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));

    // SARIF with the built-in policies as rules.
    let o = airm(
        d,
        &[
            "policy",
            "eval",
            "--policy-dir",
            "policies",
            "--format",
            "sarif",
            "--fail-on",
            "none",
        ],
    );
    assert_eq!(o.status.code(), Some(0));
    let sarif: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    assert_eq!(
        sarif["runs"][0]["tool"]["driver"]["rules"]
            .as_array()
            .unwrap()
            .len(),
        7
    );
    assert_eq!(sarif["runs"][0]["results"][0]["ruleId"], "GV900");

    // An input document instead of the store.
    let fixture = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../airm-govern/tests/fixtures/GV006/bad_no_oversight.json"
    );
    let o = airm(
        d,
        &["policy", "eval", "--input", fixture, "--format", "json"],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("human-oversight"));

    let o = airm(
        d,
        &[
            "systems",
            "raci",
            "support-bot",
            "--assign",
            "accountable:Ana@x.com",
            "--assign",
            "informed:ceo@x.com",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let o = airm(
        d,
        &[
            "systems",
            "raci",
            "support-bot",
            "--unassign",
            "informed:ceo@x.com",
            "--format",
            "json",
        ],
    );
    let raci: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(
        raci,
        serde_json::json!([{"system": "support-bot", "role": "accountable", "person": "ana@x.com"}])
    );
    let o = airm(
        d,
        &["systems", "raci", "support-bot", "--assign", "boss:x@x.com"],
    );
    assert_eq!(o.status.code(), Some(2));

    let o = airm(d, &["policy", "explain", "GV002"]);
    assert!(stdout(&o).contains("## Facts it needs"));
    let o = airm(d, &["rules", "list", "--target", "governance"]);
    assert!(stdout(&o).contains("GV007"));
}

#[test]
fn approvals_and_exceptions_enforce_roles_and_are_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for (email, role) in [("ro@x.com", "risk-owner"), ("v@x.com", "viewer")] {
        assert!(airm(d, &["users", "add", email, "--role", role])
            .status
            .success());
    }
    assert!(airm(
        d,
        &[
            "committees",
            "add",
            "AI board",
            "--member",
            "a@x.com,b@x.com",
            "--quorum",
            "2"
        ]
    )
    .status
    .success());
    let o = airm(
        d,
        &[
            "approvals",
            "request",
            "support-bot",
            "--committee",
            "ai board",
            "--format",
            "json",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let a: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let id = a["id"].as_str().unwrap();
    let o = airm(d, &["approvals", "vote", id, "approve", "--as", "v@x.com"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("not a member"), "{}", stderr(&o));
    assert!(
        airm(d, &["approvals", "vote", id, "approve", "--as", "a@x.com"])
            .status
            .success()
    );
    let o = airm(
        d,
        &[
            "approvals",
            "vote",
            id,
            "reject",
            "--as",
            "b@x.com",
            "--format",
            "json",
        ],
    );
    let a: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    // Two members, quorum 2: one rejection makes approval unreachable.
    assert_eq!(a["status"], "rejected");
    let o = airm(
        d,
        &[
            "approvals",
            "list",
            "--status",
            "rejected",
            "--format",
            "json",
        ],
    );
    let list: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1);

    let o = airm(
        d,
        &[
            "exceptions",
            "add",
            "GV004",
            "--object",
            "x",
            "--justification",
            "rollout next sprint",
            "--expires",
            "2099-01-01",
            "--approver",
            "ro@x.com",
        ],
    );
    assert_eq!(o.status.code(), Some(2), "more than two years ahead");
    let o = airm(
        d,
        &[
            "exceptions",
            "add",
            "GV004",
            "--object",
            "x",
            "--justification",
            "rollout next sprint",
            "--expires",
            &airm_core::Timestamp::now().plus_days(20).date(),
            "--approver",
            "v@x.com",
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("may not grant exceptions"),
        "{}",
        stderr(&o)
    );
    let o = airm(
        d,
        &[
            "exceptions",
            "add",
            "GV004",
            "--object",
            "x",
            "--justification",
            "rollout next sprint",
            "--expires",
            &airm_core::Timestamp::now().plus_days(20).date(),
            "--approver",
            "ro@x.com",
            "--format",
            "json",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let e: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let o = airm(d, &["exceptions", "list", "--expiring-within-days", "30"]);
    assert!(stdout(&o).contains("active"));
    assert!(airm(
        d,
        &[
            "exceptions",
            "expire",
            e["id"].as_str().unwrap(),
            "--as",
            "ro@x.com"
        ]
    )
    .status
    .success());

    let o = airm(d, &["audit", "search", "--format", "json"]);
    let log = stdout(&o);
    for (action, outcome) in [
        ("approval.request", "success"),
        ("approval.vote", "denied"),
        ("approval.vote", "success"),
        ("approval.decide", "success"),
        ("exception.grant", "denied"),
        ("exception.grant", "success"),
        ("exception.expire", "success"),
        ("committee.create", "success"),
    ] {
        assert!(
            log.lines()
                .any(|l| l.contains(&format!("\"action\":\"{action}\""))
                    && l.contains(&format!("\"outcome\":\"{outcome}\""))),
            "{action} {outcome} missing:\n{log}"
        );
    }
}
