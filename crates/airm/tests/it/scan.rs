//! `airm scan`: verdicts, exit codes, output formats and what is stored.

use serde_json::Value;

use crate::{airm, stderr, stdout};

/// A protocol-0 pickle that calls `os.system("true")` on load, built from harmless parts.
fn evil_pickle() -> Vec<u8> {
    [b"c" as &[u8], b"os\n", b"system\n", b"(S'true'\n", b"tR."].concat()
}

/// A protocol-2 pickle of a plain dict: `{"a": 1}`.
fn benign_pickle() -> Vec<u8> {
    vec![
        0x80, 0x02, b'}', b'q', 0x00, b'X', 0x01, 0, 0, 0, b'a', b'K', 0x01, b's', b'.',
    ]
}

fn tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let m = dir.path().join("models");
    std::fs::create_dir_all(m.join("vendor")).unwrap();
    std::fs::write(m.join("evil.bin"), evil_pickle()).unwrap();
    std::fs::write(m.join("ok.pkl"), benign_pickle()).unwrap();
    std::fs::write(m.join("vendor").join("also-evil.pt"), evil_pickle()).unwrap();
    std::fs::write(m.join("notes.txt"), b"just text").unwrap();
    dir
}

#[test]
fn verdicts_exit_codes_and_json() {
    let dir = tree();
    let d = dir.path();
    let o = airm(d, &["--format", "json", "scan", "models"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let files = v["files"].as_array().unwrap();
    let verdict = |name: &str| {
        files
            .iter()
            .find(|f| f["path"].as_str().unwrap().ends_with(name))
            .map(|f| f["verdict"].as_str().unwrap().to_string())
    };
    assert_eq!(
        verdict("evil.bin").as_deref(),
        Some("malicious"),
        "detected by content, not extension"
    );
    assert_eq!(verdict("also-evil.pt").as_deref(), Some("malicious"));
    assert_eq!(verdict("ok.pkl").as_deref(), Some("clean"));
    let evil = files
        .iter()
        .find(|f| f["path"].as_str().unwrap().ends_with("evil.bin"))
        .unwrap();
    assert_eq!(evil["findings"][0]["rule_id"], "MF001");
    assert_eq!(evil["sha256"].as_str().unwrap().len(), 64);
    assert_eq!(evil["blake3"].as_str().unwrap().len(), 64);
    assert_eq!(v["summary"]["malicious"], 2);

    // Exclusions and --fail-on none.
    let o = airm(
        d,
        &[
            "scan",
            "models",
            "--exclude",
            "**/vendor/**",
            "--exclude",
            "**/evil.bin",
            "--no-store",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = airm(d, &["scan", "models", "--fail-on", "none", "--no-store"]);
    assert_eq!(o.status.code(), Some(0));
    let text = stdout(&o);
    assert!(
        text.contains("malicious") && text.contains("MF001 critical"),
        "{text}"
    );
    assert!(
        !text.contains("notes.txt"),
        "non-model files are not listed without --all"
    );
    let o = airm(d, &["scan", "does-not-exist"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn sarif_output_is_sarif_2_1_0() {
    let dir = tree();
    let o = airm(
        dir.path(),
        &["--format", "sarif", "scan", "models", "--no-store"],
    );
    assert_eq!(o.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["version"], "2.1.0");
    let run = &v["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert!(rules.iter().all(|r| {
        let id = r["id"].as_str().unwrap();
        id.starts_with("MF") || id.starts_with("AS")
    }));
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    for r in results {
        let idx = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[idx]["id"], r["ruleId"]);
        assert_eq!(r["level"], "error");
        assert!(
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
                .starts_with("models/")
        );
    }
}

#[test]
fn results_are_stored_and_linked_to_a_system() {
    let dir = tree();
    let d = dir.path();
    airm(d, &["systems", "add", "recsys"]);
    let o = airm(d, &["scan", "models", "--system", "recsys"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    // Rescanning does not duplicate assets or findings.
    airm(d, &["scan", "models", "--system", "recsys"]);
    let o = airm(
        d,
        &[
            "--format", "json", "audit", "search", "--action", "scan.run",
        ],
    );
    assert_eq!(stdout(&o).lines().count(), 2);
    let o = airm(d, &["scan", "models", "--system", "nope"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no AI system named `nope`"));
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let store = airm_store::SqliteStore::open_dir(d).await.unwrap();
        use airm_store::Store;
        let assets = store
            .list_assets(
                &airm_store::AssetFilter {
                    system: Some("recsys".into()),
                    ..Default::default()
                },
                airm_store::Page::default(),
            )
            .await
            .unwrap();
        // evil.bin and also-evil.pt have the same content: one asset; ok.pkl another.
        assert_eq!(
            assets.total,
            2,
            "{:?}",
            assets.items.iter().map(|a| &a.location).collect::<Vec<_>>()
        );
        let findings = store
            .list_findings(
                &airm_store::FindingFilter {
                    system: Some("recsys".into()),
                    ..Default::default()
                },
                airm_store::Page::default(),
            )
            .await
            .unwrap();
        assert_eq!(findings.total, 2);
        assert!(findings.items.iter().all(|f| f.rule_id == "MF001"));
    });
}

/// What users read: the JSON report and the SARIF log, as snapshots.
#[test]
fn json_and_sarif_output_snapshots() {
    let dir = tree();
    let o = airm(
        dir.path(),
        &[
            "--format",
            "json",
            "scan",
            "models",
            "--no-store",
            "--fail-on",
            "none",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let mut v: Value = serde_json::from_slice(&o.stdout).unwrap();
    // Walk order is not part of the contract; sort like the table does.
    if let Some(files) = v["files"].as_array_mut() {
        files.sort_by(|a, b| a["path"].as_str().cmp(&b["path"].as_str()));
    }
    insta::assert_json_snapshot!("scan_json", v);
    let o = airm(
        dir.path(),
        &[
            "--format",
            "sarif",
            "scan",
            "models",
            "--no-store",
            "--fail-on",
            "none",
        ],
    );
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    insta::assert_json_snapshot!("scan_sarif", v, {
        ".runs[].tool.driver.version" => "[version]",
        ".runs[].tool.driver.rules[].help" => "[rule docs]",
        ".runs[].tool.driver.rules[].fullDescription" => "[rule docs]",
    });
}
