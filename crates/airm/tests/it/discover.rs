//! `airm discover`, `airm inventory` and `airm systems link`: what is stored, how it is
//! ranked and explained, and that keys never appear unmasked in output, logs or the store.

use serde_json::Value;

use crate::{airm, stderr, stdout};

/// A key-shaped string assembled at run time (never a literal in the repository).
fn fake_key() -> String {
    let body: String = "Qm2Lp9Vb4Nc6Rt8Wy3Kd5Hg1Jf0SaZx7"
        .chars()
        .cycle()
        .take(48)
        .collect();
    ["sk", "-proj-", &body].concat()
}

fn tree(d: &std::path::Path) -> String {
    let p = d.join("proj");
    std::fs::create_dir_all(p.join("src")).unwrap();
    std::fs::create_dir_all(p.join("data")).unwrap();
    let key = fake_key();
    std::fs::write(
        p.join("src/app.py"),
        format!(
            "from transformers import AutoModel\nimport openai\nm = AutoModel.from_pretrained(\"acme/clf\", trust_remote_code=True)\nclient = openai.OpenAI(api_key=\"{key}\")\n"
        ),
    )
    .unwrap();
    std::fs::write(p.join("requirements.txt"), "torch==2.3.1\nflask==3.0\n").unwrap();
    std::fs::write(
        p.join("data/users.csv"),
        "id,email\n1,a@x.example\n2,b@x.example\n",
    )
    .unwrap();
    key
}

#[test]
fn discover_store_rank_link_and_never_leak() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let key = tree(d);
    let o = airm(
        d,
        &[
            "systems",
            "add",
            "bot",
            "--exposure",
            "public",
            "--importance",
            "5",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    std::fs::write(
        d.join("airm.toml"),
        "[[inventory.systems]]\nname = \"bot\"\npaths = [\"**/src/**\"]\n",
    )
    .unwrap();

    let o = airm(d, &["-vv", "--format", "json", "discover", "proj"]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "high findings fail by default: {}",
        stderr(&o)
    );
    let tail = &key[key.len() - 20..];
    assert!(
        !stdout(&o).contains(tail) && !stderr(&o).contains(tail),
        "key leaked"
    );
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let kinds: Vec<&str> = v["assets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        vec![
            "model",
            "dataset",
            "ai-service",
            "api-key-usage",
            "library",
            "library",
            "library"
        ]
    );
    let o = airm(d, &["discover", "proj", "--fail-on", "none"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains("AS003 high"), "{}", stdout(&o));
    assert!(!stdout(&o).contains(tail));

    // The ranking: the hub model used by the public system comes first.
    let o = airm(d, &["--format", "json", "inventory", "list"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let items: Value = serde_json::from_slice(&o.stdout).unwrap();
    let items = items.as_array().unwrap();
    assert_eq!(items.len(), 7);
    assert_eq!(items[0]["asset"]["name"], "acme/clf");
    assert_eq!(items[0]["asset"]["systems"][0], "bot");
    let prio: Vec<u64> = items
        .iter()
        .map(|i| i["risk"]["priority"].as_u64().unwrap())
        .collect();
    assert!(prio.windows(2).all(|w| w[0] >= w[1]), "{prio:?}");
    // The dataset is not under src/: unlinked until linked by hand.
    let ds = items
        .iter()
        .find(|i| i["asset"]["kind"] == "dataset")
        .unwrap();
    assert_eq!(ds["asset"]["systems"].as_array().unwrap().len(), 0);
    let id = ds["asset"]["id"].as_str().unwrap().to_string();
    let before = ds["risk"]["priority"].as_u64().unwrap();
    let o = airm(d, &["systems", "link", "bot", &id]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = airm(d, &["--format", "json", "inventory", "show", &id]);
    let item: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(item["asset"]["systems"][0], "bot");
    assert!(item["risk"]["priority"].as_u64().unwrap() > before);
    let factors: Vec<&str> = item["risk"]["factors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["factor"].as_str().unwrap())
        .collect();
    assert_eq!(factors, vec!["findings", "exposure", "data", "provenance"]);
    assert_eq!(item["facts"]["columns"][1], "email");
    let o = airm(d, &["inventory", "show", &id]);
    assert!(stdout(&o).contains("FACTOR"), "{}", stdout(&o));
    let o = airm(d, &["inventory", "show", "ast_nope"]);
    assert_eq!(o.status.code(), Some(2));

    // Nothing in the store holds the key.
    for entry in std::fs::read_dir(d).unwrap() {
        let p = entry.unwrap().path();
        if p.extension().is_some_and(|e| e == "db" || e == "db-wal") {
            let bytes = std::fs::read(&p).unwrap();
            assert!(
                !bytes.windows(tail.len()).any(|w| w == tail.as_bytes()),
                "key stored in {}",
                p.display()
            );
        }
    }
    let o = airm(
        d,
        &[
            "--format",
            "json",
            "audit",
            "search",
            "--action",
            "discover.",
        ],
    );
    assert!(stdout(&o).contains("discover.run"), "{}", stdout(&o));
}

#[test]
fn scan_runs_discovery_unless_told_not_to() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    tree(d);
    let o = airm(
        d,
        &[
            "--format",
            "json",
            "scan",
            "proj",
            "--no-store",
            "--fail-on",
            "none",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["discovery"]["assets"].as_array().unwrap().len(), 7);
    let o = airm(
        d,
        &[
            "--format",
            "json",
            "scan",
            "proj",
            "--no-store",
            "--no-discover",
            "--fail-on",
            "none",
        ],
    );
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(v.get("discovery").is_none());
    let o = airm(
        d,
        &[
            "--format",
            "sarif",
            "scan",
            "proj",
            "--no-store",
            "--fail-on",
            "none",
        ],
    );
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let ids: Vec<&str> = v["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["ruleId"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"AS002") && ids.contains(&"AS003"), "{ids:?}");
}

#[test]
fn bom_of_paths_and_of_a_system() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let key = tree(d);
    let fixed = [
        "--serial",
        "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79",
        "--timestamp",
        "2026-01-02T03:04:05Z",
    ];
    let run = |extra: &[&str]| {
        let mut args = vec!["bom", "proj"];
        args.extend_from_slice(extra);
        airm(d, &args)
    };
    let a = run(&fixed);
    assert!(a.status.success(), "{}", stderr(&a));
    assert_eq!(a.stdout, run(&fixed).stdout, "deterministic output");
    assert!(!stdout(&a).contains(&key[key.len() - 20..]));
    let v: Value = serde_json::from_slice(&a.stdout).unwrap();
    assert_eq!(v["specVersion"], "1.6");
    assert_eq!(
        v["serialNumber"],
        "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79"
    );
    assert_eq!(v["metadata"]["timestamp"], "2026-01-02T03:04:05.000Z");
    let types: Vec<&str> = v["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["type"].as_str().unwrap())
        .collect();
    assert!(types.contains(&"machine-learning-model") && types.contains(&"data"));
    assert_eq!(v["services"][0]["name"], "OpenAI API");
    let o = run(&["--spec", "1.7"]);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["specVersion"], "1.7");
    let o = run(&["--serial", "nope"]);
    assert_eq!(o.status.code(), Some(2));

    // From the store: only the system's assets, with their facts.
    airm(d, &["systems", "add", "bot"]);
    let o = airm(
        d,
        &["discover", "proj", "--system", "bot", "--fail-on", "none"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let out = d.join("bom.json");
    let o = airm(d, &["bom", "--system", "bot", "-o", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(v["metadata"]["component"]["bom-ref"], "system:bot");
    let ds = v["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["type"] == "data")
        .unwrap();
    assert_eq!(ds["data"][0]["sensitiveData"][0], "email");
    assert_eq!(
        airm(d, &["bom", "--system", "nobody"]).status.code(),
        Some(2)
    );
}

/// The discovery cache from the CLI: a re-run over a settled tree prints the same report
/// from the cache (debug log says how many files were reused), `--no-cache` reads every
/// file, and the cache file is private and holds no key.
#[cfg(target_os = "linux")]
#[test]
fn discover_cache_from_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let key = tree(d);
    std::thread::sleep(std::time::Duration::from_millis(3100));
    let run = |extra: &[&str]| {
        let mut args = vec!["-vv", "--format", "json", "discover", "proj", "--no-store"];
        args.extend_from_slice(extra);
        args.extend_from_slice(&["--fail-on", "none"]);
        let o = airm(d, &args);
        assert!(o.status.success(), "{}", stderr(&o));
        o
    };
    // The debug log, without its colour codes.
    let log = |o: &std::process::Output| {
        let text = stderr(o);
        let mut plain = String::new();
        let mut rest = text.as_str();
        while let Some(i) = rest.find('\u{1b}') {
            plain.push_str(&rest[..i]);
            rest = &rest[i..];
            rest = rest.find('m').map_or("", |j| &rest[j + 1..]);
        }
        plain + rest
    };
    let first = run(&[]);
    assert!(
        log(&first).contains("reused=0 records=3"),
        "{}",
        log(&first)
    );
    let second = run(&[]);
    assert_eq!(stdout(&second), stdout(&first));
    assert!(
        log(&second).contains("reused=3 records=3"),
        "{}",
        log(&second)
    );
    let uncached = run(&["--no-cache"]);
    assert_eq!(stdout(&uncached), stdout(&first));
    assert!(!stderr(&uncached).contains("discovery cache"));

    let files: Vec<_> = std::fs::read_dir(d.join("cache/discover"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(&files[0]).unwrap();
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    let bytes = std::fs::read(&files[0]).unwrap();
    let tail = &key.as_bytes()[key.len() - 20..];
    assert!(!bytes.windows(20).any(|w| w == tail), "key in the cache");
}
