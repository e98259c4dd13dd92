//! Discovery on fixture trees: the committed `tests/fixtures/discover/` trees plus files
//! built at test time (model files, key-shaped strings assembled from parts), compared
//! with snapshots of exactly what discovery reports; a plain web app that must yield no AI
//! asset; and hostile trees that must finish with per-file findings.

use std::path::{Path, PathBuf};

use airm_formats::{gguf, onnx};
use airm_scan::discover::{discover, DiscoverOptions, Discovery};

use crate::fixtures::{safetensors, sklearn_pickle, torch_state_dict_pickle, torch_zip};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/discover")
        .join(name)
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dst = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_tree(&e.path(), &dst);
        } else {
            std::fs::copy(e.path(), dst).unwrap();
        }
    }
}

fn write(root: &Path, rel: &str, data: &[u8]) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, data).unwrap();
}

/// A key-shaped string assembled at run time (never a literal in the repository).
pub fn fake_key(prefix: &[&str], len: usize) -> String {
    let body: String = "Zx7Qm2Lp9Vb4Nc6Rt8Wy3Kd5Hg1Jf0Sa"
        .chars()
        .cycle()
        .take(len)
        .collect();
    format!("{}{body}", prefix.concat())
}

/// The serialised discovery with the temporary root removed from every path.
fn view(d: &Discovery, root: &Path) -> serde_json::Value {
    let text = serde_json::to_string(d).unwrap();
    let root = format!("{}/", root.display());
    serde_json::from_str(&text.replace(&root, "")).unwrap()
}

pub struct Tree {
    _dir: tempfile::TempDir,
    pub root: PathBuf,
    keys: Vec<String>,
}

pub fn ai_tree() -> Tree {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("ai-project");
    copy_tree(&fixture("ai-project"), &root);
    // Models, by content.
    let st = safetensors(
        r#"{"__metadata__":{"format":"pt"},"classifier.weight":{"dtype":"F32","shape":[2,4],"data_offsets":[0,32]},"classifier.bias":{"dtype":"F32","shape":[2],"data_offsets":[32,40]}}"#,
        40,
    );
    write(&root, "models/sentiment/model.safetensors", &st);
    write(&root, "models/copy-of-sentiment/weights.bin", &st);
    let g = gguf::write_gguf_strings(&[
        ("general.architecture", "llama"),
        ("general.name", "Tiny LLM"),
        ("general.license", "mit"),
        ("llama.context_length", "2048"),
    ]);
    write(
        &root,
        "hub/models--acme--tiny-llm/snapshots/0123456789abcdef0123456789abcdef01234567/tiny.gguf",
        &g,
    );
    write(
        &root,
        "models/onnx/classifier.onnx",
        &onnx::build::model(&[("", "Gemm")], &[]),
    );
    write(
        &root,
        "mlruns/0/5f2a/artifacts/model/model.pkl",
        &sklearn_pickle(),
    );
    write(
        &root,
        "models/ckpt/model.pt",
        &torch_zip("model", &torch_state_dict_pickle()),
    );
    // Not models: text and a zip of documents with unknown extensions.
    write(&root, "notes.dat", b"just some notes, not a model\n");
    write(
        &root,
        "bundle.pkg",
        &crate::fixtures::zip_of(&[("a.txt", b"hello")]),
    );
    // An image folder named like a training split, and a few icons elsewhere.
    for i in 0..25 {
        write(
            &root,
            &format!("data/images/train/{i:03}.png"),
            b"\x89PNG\r\n\x1a\nfake",
        );
    }
    write(&root, "frontend/icons/logo.png", b"\x89PNG\r\n\x1a\nicon");
    // Keys, assembled from parts.
    let openai = fake_key(&["sk", "-proj-"], 56);
    let hf = fake_key(&["hf", "_"], 34);
    write(
        &root,
        ".env",
        format!("OPENAI_API_KEY={openai}\nHF_TOKEN={hf}\nOPENAI_API_KEY_EXAMPLE=sk-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n").as_bytes(),
    );
    let anthropic = fake_key(&["sk", "-ant-", "api03-"], 95);
    let nb = serde_json::json!({
        "nbformat": 4, "nbformat_minor": 5, "metadata": {},
        "cells": [{"cell_type": "code", "metadata": {}, "execution_count": 1, "outputs": [],
                   "source": ["import anthropic\n", format!("c = anthropic.Anthropic(api_key=\"{anthropic}\")\n")]}]
    });
    write(&root, "notebooks/agent.ipynb", nb.to_string().as_bytes());
    // Ignored by .gitignore: found only with --no-ignore.
    let ignored = fake_key(&["sk", "-proj-"], 60);
    write(
        &root,
        "ignored/leak.py",
        format!("import openai\nKEY = \"{ignored}\"\n").as_bytes(),
    );
    Tree {
        _dir: dir,
        root,
        keys: vec![openai, hf, anthropic, ignored],
    }
}

#[test]
fn ai_project_inventory() {
    let t = ai_tree();
    let opts = DiscoverOptions {
        threads: 2,
        ..DiscoverOptions::default()
    };
    let d = discover(std::slice::from_ref(&t.root), &opts);
    let v = view(&d, &t.root);
    let text = serde_json::to_string(&v).unwrap();
    for k in &t.keys {
        assert!(!text.contains(&k[8..]), "a key leaked into the output");
    }
    assert!(
        !text.contains("ignored/leak.py"),
        "a .gitignored file was read"
    );
    insta::assert_json_snapshot!("discover_ai_project", v);
}

#[test]
fn no_ignore_reads_ignored_files() {
    let t = ai_tree();
    let opts = DiscoverOptions {
        no_ignore: true,
        ..DiscoverOptions::default()
    };
    let d = discover(std::slice::from_ref(&t.root), &opts);
    assert!(d
        .findings
        .iter()
        .any(|f| f.path.ends_with("ignored/leak.py") && f.finding.rule_id == "AS003"));
}

#[test]
fn plain_webapp_has_no_ai_assets() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("plain-webapp");
    copy_tree(&fixture("plain-webapp"), &root);
    for i in 0..30 {
        write(
            &root,
            &format!("public/img/icon{i}.png"),
            b"\x89PNG\r\n\x1a\nicon",
        );
    }
    let d = discover(std::slice::from_ref(&root), &DiscoverOptions::default());
    assert!(d.assets.is_empty(), "{:#?}", d.assets);
    assert!(d.findings.is_empty(), "{:#?}", d.findings);
    assert!(d.stats.files >= 40);
}

#[test]
fn hub_cache_model_card_provenance() {
    let dir = tempfile::tempdir().unwrap();
    let snap = "hub/models--acme--sentiment/snapshots/89abcdef0123456789abcdef0123456789abcdef";
    write(
        dir.path(),
        &format!("{snap}/README.md"),
        b"---\nlicense: mit\n---\n# card\n",
    );
    write(
        dir.path(),
        &format!("{snap}/model.safetensors"),
        &safetensors(
            r#"{"w":{"dtype":"BF16","shape":[3],"data_offsets":[0,6]}}"#,
            6,
        ),
    );
    let d = discover(&[dir.path().to_path_buf()], &DiscoverOptions::default());
    assert_eq!(d.assets.len(), 1, "{:#?}", d.assets);
    let a = &d.assets[0];
    assert_eq!(
        a.provenance.source.as_deref(),
        Some("huggingface:acme/sentiment")
    );
    assert_eq!(
        a.provenance.revision.as_deref(),
        Some("89abcdef0123456789abcdef0123456789abcdef")
    );
    assert_eq!(a.provenance.license.as_deref(), Some("mit"));
    assert_eq!(a.facts["parameters"], 3);
}

/// JavaScript lock files of each format, and Parquet and Arrow datasets built byte by
/// byte: packages with their resolved versions, rows, columns, nested fields and
/// personal-data columns by name.
#[test]
fn lock_files_and_columnar_datasets() {
    use airm_scan::discover::arrow::build as ab;
    use airm_scan::discover::parquet::build as pb;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("data-project");
    copy_tree(&fixture("js-locks"), &root);
    let leaf = |n: &str| pb::Column::Leaf(n.to_string());
    write(
        &root,
        "data/customers.parquet",
        &pb::file(
            &[
                leaf("customer_id"),
                leaf("Email"),
                pb::Column::Group("address".into(), vec![leaf("street"), leaf("city")]),
                leaf("churned"),
            ],
            125_000,
            3,
        ),
    );
    write(
        &root,
        "data/prices.parquet",
        &pb::file(&[leaf("sku"), leaf("price")], 40, 1),
    );
    let f = |n: &str| ab::Field(n.to_string(), Vec::new());
    write(
        &root,
        "data/events.feather",
        &ab::file(
            &[
                f("ts"),
                ab::Field("user".into(), vec![f("id"), f("phone_number")]),
            ],
            &[1000, 1000, 24],
        ),
    );
    write(
        &root,
        "data/stream.arrow",
        &ab::stream(&[f("label"), f("score")], &[7]),
    );
    // Named like the formats, but damaged: recorded, with an AS006 finding each.
    let mut cut = pb::file(&[leaf("a")], 1, 1);
    let n = cut.len();
    cut[n - 8..n - 4].copy_from_slice(&u32::MAX.to_le_bytes());
    write(&root, "data/damaged.parquet", &cut);
    write(&root, "data/not-arrow.arrow", b"plain text, not Arrow");
    let d = discover(std::slice::from_ref(&root), &DiscoverOptions::default());
    insta::assert_json_snapshot!("discover_locks_and_columnar", view(&d, &root));
}

mod hostile {
    use super::*;
    use std::os::unix::ffi::OsStrExt;

    #[test]
    fn symlink_loops_are_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(root, "a/b/model.pkl", &sklearn_pickle());
        std::os::unix::fs::symlink(root.join("a"), root.join("a/b/loop")).unwrap();
        std::os::unix::fs::symlink(root.join("a/b/self"), root.join("a/b/self")).unwrap();
        std::os::unix::fs::symlink("/etc", root.join("outside")).unwrap();
        let d = discover(&[root.to_path_buf()], &DiscoverOptions::default());
        assert_eq!(d.assets.len(), 1);
        assert_eq!(d.stats.files, 1, "symbolic links are never followed");
    }

    #[test]
    fn many_files_in_one_directory() {
        let dir = tempfile::tempdir().unwrap();
        let big = dir.path().join("flat");
        std::fs::create_dir(&big).unwrap();
        for i in 0..100_000 {
            std::fs::write(big.join(format!("f{i}.txt")), b"").unwrap();
        }
        write(
            dir.path(),
            "flat/model.gguf",
            &gguf::write_gguf_strings(&[]),
        );
        let d = discover(&[dir.path().to_path_buf()], &DiscoverOptions::default());
        assert_eq!(d.stats.files, 100_001);
        assert_eq!(d.assets.len(), 1);
    }

    #[test]
    fn unreadable_non_utf8_and_sparse_files() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        // A name that is not UTF-8, holding a model.
        let name = std::ffi::OsStr::from_bytes(b"mod\xffel.pkl");
        std::fs::write(root.join(name), sklearn_pickle()).unwrap();
        // Unreadable.
        let locked = root.join("locked.bin");
        std::fs::write(&locked, gguf::write_gguf_strings(&[])).unwrap();
        std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
        let readable_anyway = std::fs::File::open(&locked).is_ok(); // root ignores modes
                                                                    // A 10 GB sparse file.
        let sparse = std::fs::File::create(root.join("huge.bin")).unwrap();
        sparse.set_len(10 * 1024 * 1024 * 1024).unwrap();
        drop(sparse);
        let opts = DiscoverOptions {
            max_file_size: 1024 * 1024 * 1024,
            ..DiscoverOptions::default()
        };
        let d = discover(&[root.to_path_buf()], &opts);
        let model = d
            .assets
            .iter()
            .find(|a| a.location.contains("mod\u{fffd}el.pkl"))
            .expect("the non-UTF-8 name is reported lossily");
        assert_eq!(model.format.as_deref(), Some("pickle"));
        let skipped: Vec<_> = d
            .findings
            .iter()
            .filter(|f| f.finding.rule_id == "AS006")
            .map(|f| f.path.rsplit('/').next().unwrap_or("").to_string())
            .collect();
        if readable_anyway {
            assert_eq!(skipped, vec!["huge.bin"]);
        } else {
            assert_eq!(skipped, vec!["huge.bin", "locked.bin"]);
        }
        // Within the limit, the sparse file is sniffed (4 KiB), not read: it is no model.
        let d = discover(&[root.join("huge.bin")], &DiscoverOptions::default());
        assert!(d.assets.is_empty() && d.findings.is_empty());
        assert!(d.stats.bytes_read <= 4096);
    }
}

mod never_panics {
    use proptest::prelude::*;

    const NAMES: &[&str] = &[
        "app.py",
        "index.ts",
        "main.go",
        "lib.rs",
        "n.ipynb",
        "requirements.txt",
        "pyproject.toml",
        "poetry.lock",
        "Pipfile.lock",
        "package.json",
        "package-lock.json",
        "yarn.lock",
        "pnpm-lock.yaml",
        "Cargo.toml",
        "go.mod",
        "README.md",
        "MLmodel",
        "config.json",
        "main.tf",
        "s.yaml",
        "m.bicep",
        ".env",
    ];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]
        #[test]
        fn text_detectors_take_any_bytes(i in 0usize..22, data in proptest::collection::vec(any::<u8>(), 0..512),
                                          words in proptest::collection::vec(prop::sample::select(vec![
                                              "from_pretrained(", "\"a/b\"", "revision=", "trust_remote_code=True", ")",
                                              "import openai\n", "---\n", "license: x\n", "resource \"aws_sagemaker_model\" \"m\" {", "\n",
                                              "{\"cells\": [", "]}", "flavors:\n  x:\n", "sk-", "hf_", "image: vllm/vllm-openai\n",
                                              "[dependencies]\n", "torch = \"1\"\n", "require (\n", "packages:\n", "  /openai@4.0.0:\n", "\"openai@^4\":\n", "  version \"4.1.0\"\n", "lockfileVersion: 5.4\n", "\u{fffd}", "\"", "'"]), 0..40)) {
            let name = NAMES[i % NAMES.len()];
            let _ = airm_scan::discover::inspect_text(name, &data);
            let text = words.concat();
            let _ = airm_scan::discover::inspect_text(name, text.as_bytes());
        }

        /// Mutated and cut Parquet and Arrow files, and random bytes behind their magic,
        /// never panic and never take long.
        #[test]
        fn columnar_readers_take_any_bytes(which in 0usize..4,
                                           edits in proptest::collection::vec((any::<u16>(), any::<u8>()), 0..8),
                                           cut in any::<u16>(),
                                           junk in proptest::collection::vec(any::<u8>(), 0..256)) {
            use airm_scan::discover::{arrow, parquet};
            let leaf = |n: &str| parquet::build::Column::Leaf(n.to_string());
            let field = |n: &str, kids| arrow::build::Field(n.to_string(), kids);
            let mut d = match which {
                0 => parquet::build::file(&[leaf("a"), parquet::build::Column::Group("g".into(), vec![leaf("b")])], 9, 2),
                1 => arrow::build::file(&[field("a", vec![field("b", Vec::new())])], &[1, 2]),
                2 => arrow::build::stream(&[field("a", Vec::new())], &[3]),
                _ => {
                    let mut j = b"PAR1".to_vec();
                    j.extend_from_slice(&junk);
                    j.extend_from_slice(&(junk.len() as u32).to_le_bytes());
                    j.extend_from_slice(b"PAR1");
                    j
                }
            };
            for (pos, val) in edits {
                let n = d.len();
                if let Some(b) = d.get_mut(pos as usize % n.max(1)) {
                    *b = val;
                }
            }
            let c = cut as usize % (d.len() + 1);
            for data in [&d[..], &d[..c]] {
                let t = std::time::Instant::now();
                let n = data.len() as u64;
                let _ = parquet::read(&mut std::io::Cursor::new(data), n);
                let _ = arrow::read(&mut std::io::Cursor::new(data), n);
                let _ = parquet::parse_footer(data);
                prop_assert!(t.elapsed() < std::time::Duration::from_secs(2));
            }
        }
    }
}

/// Every `AS` rule: one input that triggers it and a close one that does not.
#[test]
fn every_as_rule_has_a_bad_and_an_ok_case() {
    use airm_scan::discover::inspect_text;
    let rules =
        |d: &Discovery| -> Vec<&str> { d.findings.iter().map(|f| f.finding.rule_id).collect() };
    let commit = "0123456789abcdef0123456789abcdef01234567";
    // AS001, AS002.
    let bad = inspect_text(
        "m.py",
        b"m = AutoModel.from_pretrained(\"a/b\", trust_remote_code=True)\n",
    );
    assert_eq!(rules(&bad), vec!["AS001", "AS002"]);
    let ok = inspect_text(
        "m.py",
        format!("m = AutoModel.from_pretrained(\"a/b\", revision=\"{commit}\", trust_remote_code=False)\n").as_bytes(),
    );
    assert!(rules(&ok).is_empty(), "{:?}", ok.findings);
    // AS003.
    let key = fake_key(&["gsk", "_"], 52);
    assert_eq!(
        rules(&inspect_text(
            ".env",
            format!("GROQ_API_KEY={key}\n").as_bytes()
        )),
        vec!["AS003"]
    );
    assert!(rules(&inspect_text(".env", b"GROQ_API_KEY=gsk_your_key_here\n")).is_empty());
    // AS004.
    let nb = |out: &str| {
        serde_json::json!({"cells": [{"cell_type": "code", "source": "import torch\nprint(x)",
            "outputs": [{"output_type": "stream", "text": out}]}]})
        .to_string()
    };
    assert_eq!(
        rules(&inspect_text(
            "n.ipynb",
            nb("contact: jane.doe@corp.example\n").as_bytes()
        )),
        vec!["AS004"]
    );
    assert!(rules(&inspect_text("n.ipynb", nb("accuracy 0.93\n").as_bytes())).is_empty());
    // AS005 and AS006 need files.
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "bad/people.csv", b"id,phone_number\n1,x\n");
    write(dir.path(), "ok/prices.csv", b"id,price\n1,2\n");
    let d = discover(&[dir.path().join("bad")], &DiscoverOptions::default());
    assert_eq!(rules(&d), vec!["AS005"]);
    let d = discover(&[dir.path().join("ok")], &DiscoverOptions::default());
    assert!(rules(&d).is_empty());
    let small = DiscoverOptions {
        max_file_size: 10,
        ..DiscoverOptions::default()
    };
    assert_eq!(
        rules(&discover(&[dir.path().join("ok")], &small)),
        vec!["AS006"]
    );
    let roomy = DiscoverOptions {
        max_file_size: 1000,
        ..DiscoverOptions::default()
    };
    assert!(rules(&discover(&[dir.path().join("ok")], &roomy)).is_empty());
}

/// The discovery cache: a second run over a settled tree reopens no file and reports
/// exactly what an uncached run does; a changed file is read again; the cache holds keys
/// only masked; a damaged cache is ignored.
#[cfg(target_os = "linux")]
#[test]
fn cache_reuses_unchanged_files_only() {
    use airm_scan::discover::{discover_cached, RunCache};
    let t = ai_tree();
    let paths = std::slice::from_ref(&t.root);
    let opts = DiscoverOptions {
        threads: 2,
        ..DiscoverOptions::default()
    };
    // Results are kept only for files whose times are a few seconds old.
    std::thread::sleep(std::time::Duration::from_millis(
        1000 * (airm_scan::discover::CACHE_SETTLED_SECS as u64 + 1) + 100,
    ));
    let plain = discover(paths, &opts);
    let cache_dir = tempfile::tempdir().unwrap();

    let c = RunCache::open(cache_dir.path(), paths, &opts).unwrap();
    assert_eq!(c.previous_records(), 0);
    let (first, used) = discover_cached(paths, &opts, &c);
    assert_eq!(first, plain);
    assert_eq!(used.reused, 0);
    assert_eq!(used.records, plain.stats.files_read);
    assert_eq!(used.save_error, None);
    let bytes = std::fs::read(c.path()).unwrap();
    for k in &t.keys {
        assert!(
            !bytes.windows(k.len() - 8).any(|w| w == &k.as_bytes()[8..]),
            "a key leaked into the cache"
        );
    }
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(c.path()).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);

    let c = RunCache::open(cache_dir.path(), paths, &opts).unwrap();
    assert_eq!(c.previous_records() as u64, used.records);
    let (second, used2) = discover_cached(paths, &opts, &c);
    assert_eq!(second, plain);
    assert_eq!(used2.reused, used.records);

    // A new key in a file read before: that file (only) is read again and the key found.
    let extra = fake_key(&["sk", "-proj-"], 52);
    let env = t.root.join(".env");
    let mut text = std::fs::read_to_string(&env).unwrap();
    text.push_str(&format!("SECOND_OPENAI_KEY={extra}\n"));
    std::fs::write(&env, text).unwrap();
    let plain = discover(paths, &opts);
    let c = RunCache::open(cache_dir.path(), paths, &opts).unwrap();
    let (third, used3) = discover_cached(paths, &opts, &c);
    assert_eq!(third, plain);
    assert_eq!(used3.reused, used.records - 1);
    assert!(third
        .findings
        .iter()
        .any(|f| f.path.ends_with(".env") && f.line == Some(4)));
    // The changed file is too recent to be kept: the cache now lacks it.
    assert_eq!(used3.records, used.records - 1);

    // Another option set has its own cache.
    let other = DiscoverOptions {
        no_ignore: true,
        ..opts.clone()
    };
    assert_eq!(
        RunCache::open(cache_dir.path(), paths, &other)
            .unwrap()
            .previous_records(),
        0
    );

    // A damaged cache (cut short, or writable by others) is ignored and replaced.
    let c = RunCache::open(cache_dir.path(), paths, &opts).unwrap();
    let file = c.path().to_path_buf();
    let bytes = std::fs::read(&file).unwrap();
    std::fs::write(&file, &bytes[..bytes.len() / 2]).unwrap();
    let c = RunCache::open(cache_dir.path(), paths, &opts).unwrap();
    assert_eq!(c.previous_records(), 0);
    let (fourth, used4) = discover_cached(paths, &opts, &c);
    assert_eq!(fourth, plain);
    assert_eq!(used4.reused, 0);
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o622)).unwrap();
    let c = RunCache::open(cache_dir.path(), paths, &opts).unwrap();
    assert_eq!(c.previous_records(), 0);
}
