//! AI dependencies in manifests and lock files: `requirements*.txt`, `pyproject.toml`
//! (PEP 621, Poetry, dependency groups), `poetry.lock`, `uv.lock`, `Pipfile`,
//! `Pipfile.lock`, `package.json`, `package-lock.json`, `yarn.lock` (v1 and Berry),
//! `pnpm-lock.yaml` (lockfile versions 5 to 9), `Cargo.toml`, `Cargo.lock` and `go.mod`. Only packages on the AI catalogue below become `library` assets, each with a
//! package URL (purl) and the exact version when the file pins one.

use airm_core::AssetKind;
use serde_json::Value;

use super::route::Manifest;
use super::{DiscoveredAsset, Sink};

/// Package ecosystems (purl types).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ecosystem {
    Pypi,
    Npm,
    Cargo,
    Golang,
}

impl Ecosystem {
    pub fn as_str(self) -> &'static str {
        match self {
            Ecosystem::Pypi => "pypi",
            Ecosystem::Npm => "npm",
            Ecosystem::Cargo => "cargo",
            Ecosystem::Golang => "golang",
        }
    }
}

/// AI and ML packages on PyPI (normalised names).
const PYPI: &[&str] = &[
    "accelerate",
    "anthropic",
    "autogen-agentchat",
    "bitsandbytes",
    "catboost",
    "chromadb",
    "cohere",
    "crewai",
    "datasets",
    "deepspeed",
    "diffusers",
    "dspy",
    "dspy-ai",
    "evaluate",
    "faiss-cpu",
    "faiss-gpu",
    "fastai",
    "flax",
    "gensim",
    "google-cloud-aiplatform",
    "google-genai",
    "google-generativeai",
    "groq",
    "guidance",
    "haystack-ai",
    "farm-haystack",
    "huggingface-hub",
    "instructor",
    "jax",
    "jaxlib",
    "keras",
    "keras-hub",
    "keras-nlp",
    "langchain",
    "langchain-anthropic",
    "langchain-community",
    "langchain-core",
    "langchain-openai",
    "langgraph",
    "lightgbm",
    "lightning",
    "litellm",
    "llama-cpp-python",
    "llama-index",
    "llama-index-core",
    "mistralai",
    "mlflow",
    "ollama",
    "onnx",
    "onnxruntime",
    "onnxruntime-gpu",
    "openai",
    "openai-whisper",
    "optimum",
    "outlines",
    "peft",
    "pinecone",
    "pinecone-client",
    "pyautogen",
    "pytorch-lightning",
    "qdrant-client",
    "replicate",
    "safetensors",
    "scikit-learn",
    "semantic-kernel",
    "sentence-transformers",
    "spacy",
    "tensorflow",
    "tensorflow-cpu",
    "tensorflow-gpu",
    "tensorrt",
    "text-generation",
    "tf-keras",
    "tiktoken",
    "timm",
    "tokenizers",
    "torch",
    "torchaudio",
    "torchvision",
    "transformers",
    "trl",
    "ultralytics",
    "vertexai",
    "vllm",
    "wandb",
    "weaviate-client",
    "xgboost",
];

/// Python import names that differ from their distribution names.
const PY_IMPORTS: &[(&str, &str)] = &[
    ("sklearn", "scikit-learn"),
    ("huggingface_hub", "huggingface-hub"),
    ("sentence_transformers", "sentence-transformers"),
    ("llama_index", "llama-index"),
    ("llama_cpp", "llama-cpp-python"),
    ("langchain_core", "langchain-core"),
    ("langchain_community", "langchain-community"),
    ("langchain_openai", "langchain-openai"),
    ("langchain_anthropic", "langchain-anthropic"),
    ("pytorch_lightning", "pytorch-lightning"),
    ("google.generativeai", "google-generativeai"),
    ("google.genai", "google-genai"),
    ("google.cloud.aiplatform", "google-cloud-aiplatform"),
    ("google", ""),
    ("whisper", "openai-whisper"),
    ("faiss", "faiss-cpu"),
    ("haystack", "haystack-ai"),
    ("autogen", "pyautogen"),
];

/// AI packages on npm (scoped names with `@`; a trailing `/` matches the whole scope).
const NPM: &[&str] = &[
    "openai",
    "@anthropic-ai/sdk",
    "@google/generative-ai",
    "@google/genai",
    "cohere-ai",
    "@mistralai/mistralai",
    "groq-sdk",
    "replicate",
    "langchain",
    "@langchain/",
    "llamaindex",
    "ai",
    "@ai-sdk/",
    "@huggingface/inference",
    "@huggingface/transformers",
    "@xenova/transformers",
    "@tensorflow/",
    "onnxruntime-node",
    "onnxruntime-web",
    "ollama",
    "@pinecone-database/pinecone",
    "chromadb",
    "@qdrant/js-client-rest",
    "tiktoken",
    "js-tiktoken",
    "@azure/openai",
    "@aws-sdk/client-bedrock-runtime",
    "@aws-sdk/client-sagemaker-runtime",
    "brain.js",
    "ml5",
];

/// AI crates.
const CARGO: &[&str] = &[
    "async-openai",
    "candle-core",
    "candle-nn",
    "candle-transformers",
    "tch",
    "ort",
    "burn",
    "tokenizers",
    "llama-cpp-2",
    "linfa",
    "smartcore",
    "rig-core",
    "ollama-rs",
    "hf-hub",
    "safetensors",
    "tract-onnx",
    "mistralrs",
];

/// AI Go modules (prefixes).
const GO: &[&str] = &[
    "github.com/sashabaranov/go-openai",
    "github.com/openai/openai-go",
    "github.com/anthropics/anthropic-sdk-go",
    "github.com/tmc/langchaingo",
    "github.com/ollama/ollama",
    "google.golang.org/genai",
    "github.com/google/generative-ai-go",
    "github.com/cohere-ai/cohere-go",
    "github.com/aws/aws-sdk-go-v2/service/bedrockruntime",
    "gorgonia.org/gorgonia",
    "github.com/pinecone-io/go-pinecone",
];

fn normalise_py(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut last_sep = false;
    for c in name.chars() {
        if c == '-' || c == '_' || c == '.' {
            if !last_sep {
                out.push('-');
            }
            last_sep = true;
        } else {
            out.push(c.to_ascii_lowercase());
            last_sep = false;
        }
    }
    out
}

/// The catalogue name of `name` in `eco` (for Python, also import names), if it is an AI
/// package. For npm scopes listed whole (`@langchain/`), the scope entry is returned and
/// the package keeps its own name.
pub fn ai_package(eco: Ecosystem, name: &str) -> Option<&'static str> {
    match eco {
        Ecosystem::Pypi => {
            if let Some((_, dist)) = PY_IMPORTS.iter().find(|(i, _)| *i == name) {
                return (!dist.is_empty()).then_some(*dist);
            }
            let n = normalise_py(name);
            PYPI.iter().find(|p| **p == n).copied()
        }
        Ecosystem::Npm | Ecosystem::Cargo => {
            let list = if eco == Ecosystem::Npm { NPM } else { CARGO };
            list.iter()
                .find(|p| **p == name || (p.ends_with('/') && name.starts_with(**p)))
                .copied()
        }
        Ecosystem::Golang => GO
            .iter()
            .find(|p| name == **p || name.strip_prefix(**p).is_some_and(|r| r.starts_with('/')))
            .copied(),
    }
}

/// A package URL: `pkg:pypi/torch@2.1.0`, `pkg:npm/%40scope/name@1.0.0`.
pub fn purl(eco: Ecosystem, name: &str, version: Option<&str>) -> String {
    let n = match eco {
        Ecosystem::Pypi => normalise_py(name),
        Ecosystem::Npm => name.replace('@', "%40"),
        _ => name.to_string(),
    };
    match version {
        Some(v) if !v.is_empty() => format!("pkg:{}/{n}@{}", eco.as_str(), v.replace('@', "%40")),
        _ => format!("pkg:{}/{n}", eco.as_str()),
    }
}

struct Dep {
    name: String,
    /// Exact version, if pinned.
    version: Option<String>,
    /// The constraint as written, if not exact.
    constraint: Option<String>,
}

/// Finds AI dependencies in a manifest.
pub fn scan(path: &str, kind: Manifest, text: &str, sink: &mut Sink) {
    let (eco, deps) = match kind {
        Manifest::Requirements => (Ecosystem::Pypi, requirements(text)),
        Manifest::Pyproject => (Ecosystem::Pypi, pyproject(text)),
        Manifest::PoetryLock | Manifest::UvLock | Manifest::CargoLock => (
            if kind == Manifest::CargoLock {
                Ecosystem::Cargo
            } else {
                Ecosystem::Pypi
            },
            toml_lock(text),
        ),
        Manifest::Pipfile => (
            Ecosystem::Pypi,
            toml_tables(text, &["packages", "dev-packages"]),
        ),
        Manifest::PipfileLock => (Ecosystem::Pypi, pipfile_lock(text)),
        Manifest::PackageJson => (Ecosystem::Npm, package_json(text)),
        Manifest::PackageLock => (Ecosystem::Npm, package_lock(text)),
        Manifest::YarnLock => (Ecosystem::Npm, yarn_lock(text)),
        Manifest::PnpmLock => (Ecosystem::Npm, pnpm_lock(text)),
        Manifest::CargoToml => (
            Ecosystem::Cargo,
            toml_tables(
                text,
                &[
                    "dependencies",
                    "dev-dependencies",
                    "build-dependencies",
                    "workspace.dependencies",
                ],
            ),
        ),
        Manifest::GoMod => (Ecosystem::Golang, go_mod(text)),
    };
    for d in deps {
        let Some(pkg) = ai_package(eco, &d.name) else {
            continue;
        };
        // Scope entries (`@langchain/`) name the package itself.
        let name = if pkg.ends_with('/') {
            d.name.as_str()
        } else {
            pkg
        };
        let mut a = DiscoveredAsset::new(
            AssetKind::Library,
            name,
            purl(eco, name, d.version.as_deref()),
        )
        .fact("ecosystem", eco.as_str())
        .fact("declared_in", vec![Value::String(path.to_string())]);
        a.format = Some(eco.as_str().to_string());
        if let Some(v) = &d.version {
            a.facts.insert("version".into(), Value::String(v.clone()));
        }
        if let Some(c) = &d.constraint {
            a.facts
                .insert("constraint".into(), Value::String(c.clone()));
        }
        sink.assets.push(a);
    }
}

/// Splits a PEP 508 requirement into name and version (exact when `==`).
fn pep508(line: &str) -> Option<Dep> {
    let line = line.split(';').next()?.trim();
    let end = line
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.'))
        .unwrap_or(line.len());
    let name = line.get(..end)?.to_string();
    if name.is_empty() {
        return None;
    }
    let mut rest = line.get(end..).unwrap_or("").trim();
    if rest.starts_with('[') {
        rest = rest.split_once(']').map(|(_, r)| r).unwrap_or("").trim();
    }
    let rest = rest.trim_start_matches('(').trim_end_matches(')').trim();
    let (version, constraint) = match rest.strip_prefix("==") {
        Some(v) if !v.contains(',') && !v.contains('*') => (Some(v.trim().to_string()), None),
        _ if rest.is_empty() => (None, None),
        _ => (None, Some(rest.to_string())),
    };
    Some(Dep {
        name,
        version,
        constraint,
    })
}

fn requirements(text: &str) -> Vec<Dep> {
    text.lines()
        .map(|l| l.split(" #").next().unwrap_or("").trim())
        .filter(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with('-'))
        .filter(|l| !l.contains("://"))
        .filter_map(pep508)
        .collect()
}

fn toml_value(text: &str) -> Option<toml::Table> {
    text.parse::<toml::Table>().ok()
}

fn get_path<'a>(t: &'a toml::Table, path: &str) -> Option<&'a toml::Value> {
    let mut parts = path.split('.');
    let mut cur = t.get(parts.next()?)?;
    for p in parts {
        cur = cur.as_table()?.get(p)?;
    }
    Some(cur)
}

fn version_spec(v: &str) -> (Option<String>, Option<String>) {
    let v = v.trim();
    if let Some(x) = v.strip_prefix("==").or_else(|| v.strip_prefix('=')) {
        return (Some(x.trim().to_string()), None);
    }
    if v == "*" || v.is_empty() {
        return (None, None);
    }
    if v.chars().next().is_some_and(|c| c.is_ascii_digit()) && !v.contains([',', '*', ' ']) {
        // Cargo and Poetry treat a bare version as a caret requirement.
        return (None, Some(format!("^{v}")));
    }
    (None, Some(v.to_string()))
}

/// Tables of `name = "spec"` or `name = { version = "spec" }`.
fn toml_tables(text: &str, tables: &[&str]) -> Vec<Dep> {
    let Some(t) = toml_value(text) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for table in tables {
        let Some(tab) = get_path(&t, table).and_then(|v| v.as_table()) else {
            continue;
        };
        for (name, spec) in tab {
            let s = match spec {
                toml::Value::String(s) => s.clone(),
                toml::Value::Table(x) => x
                    .get("version")
                    .and_then(|v| v.as_str())
                    .unwrap_or("")
                    .to_string(),
                _ => String::new(),
            };
            let (version, constraint) = version_spec(&s);
            out.push(Dep {
                name: name.clone(),
                version,
                constraint,
            });
        }
    }
    out
}

fn pyproject(text: &str) -> Vec<Dep> {
    let Some(t) = toml_value(text) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut strings = |v: Option<&toml::Value>| {
        for s in v.and_then(|v| v.as_array()).into_iter().flatten() {
            if let Some(d) = s.as_str().and_then(pep508) {
                out.push(d);
            }
        }
    };
    strings(get_path(&t, "project.dependencies"));
    for key in ["project.optional-dependencies", "dependency-groups"] {
        if let Some(groups) = get_path(&t, key).and_then(|v| v.as_table()) {
            for g in groups.values() {
                strings(Some(g));
            }
        }
    }
    out.extend(
        toml_tables(
            text,
            &["tool.poetry.dependencies", "tool.poetry.dev-dependencies"],
        )
        .into_iter()
        .filter(|d| d.name != "python"),
    );
    if let Some(groups) = get_path(&t, "tool.poetry.group").and_then(|v| v.as_table()) {
        for g in groups.keys() {
            out.extend(toml_tables(
                text,
                &[&format!("tool.poetry.group.{g}.dependencies")],
            ));
        }
    }
    out
}

/// `[[package]]` with `name` and `version` (poetry.lock, uv.lock, Cargo.lock).
fn toml_lock(text: &str) -> Vec<Dep> {
    let Some(t) = toml_value(text) else {
        return Vec::new();
    };
    t.get("package")
        .and_then(|p| p.as_array())
        .into_iter()
        .flatten()
        .filter_map(|p| {
            let p = p.as_table()?;
            Some(Dep {
                name: p.get("name")?.as_str()?.to_string(),
                version: p
                    .get("version")
                    .and_then(|v| v.as_str())
                    .map(str::to_string),
                constraint: None,
            })
        })
        .collect()
}

fn pipfile_lock(text: &str) -> Vec<Dep> {
    let Ok(v) = serde_json::from_str::<Value>(text) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for section in ["default", "develop"] {
        if let Some(m) = v.get(section).and_then(|s| s.as_object()) {
            for (name, spec) in m {
                let ver = spec.get("version").and_then(|v| v.as_str()).unwrap_or("");
                let (version, constraint) = version_spec(ver);
                out.push(Dep {
                    name: name.clone(),
                    version,
                    constraint,
                });
            }
        }
    }
    out
}

fn package_json(text: &str) -> Vec<Dep> {
    let Ok(v) = serde_json::from_str::<Value>(text) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for section in [
        "dependencies",
        "devDependencies",
        "peerDependencies",
        "optionalDependencies",
    ] {
        if let Some(m) = v.get(section).and_then(|s| s.as_object()) {
            for (name, spec) in m {
                let s = spec.as_str().unwrap_or("");
                let exact = !s.is_empty()
                    && s.chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
                out.push(Dep {
                    name: name.clone(),
                    version: exact.then(|| s.to_string()),
                    constraint: (!exact && !s.is_empty()).then(|| s.to_string()),
                });
            }
        }
    }
    out
}

fn package_lock(text: &str) -> Vec<Dep> {
    let Ok(v) = serde_json::from_str::<Value>(text) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if let Some(m) = v.get("packages").and_then(|s| s.as_object()) {
        for (key, spec) in m {
            // Only direct installs (`node_modules/x`), not nested copies.
            let Some(name) = key.strip_prefix("node_modules/") else {
                continue;
            };
            if name.contains("/node_modules/") {
                continue;
            }
            out.push(Dep {
                name: name.to_string(),
                version: spec
                    .get("version")
                    .and_then(|v| v.as_str())
                    .map(str::to_string),
                constraint: None,
            });
        }
    } else if let Some(m) = v.get("dependencies").and_then(|s| s.as_object()) {
        for (name, spec) in m {
            out.push(Dep {
                name: name.clone(),
                version: spec
                    .get("version")
                    .and_then(|v| v.as_str())
                    .map(str::to_string),
                constraint: None,
            });
        }
    }
    out
}

/// A resolved npm version as lock files write it (`4.52.0`, `1.0.0-rc.1+build`); tarball
/// URLs, git references and workspace links are not versions.
fn npm_version(v: &str) -> Option<String> {
    let v = v.trim().trim_matches('"').trim_matches('\'');
    let ok = v.len() <= 64
        && v.starts_with(|c: char| c.is_ascii_digit())
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+' | '_'));
    ok.then(|| v.to_string())
}

/// The package name of an npm descriptor: `openai@^4.0.0`, `@scope/x@npm:^1.2`,
/// `x@patch:x@1.0.0#…` (the name ends at the first `@` after a scope's leading one).
fn npm_descriptor_name(d: &str) -> Option<&str> {
    let d = d.trim().trim_matches('"').trim_matches('\'');
    let at = d.get(1..)?.find('@')? + 1;
    let (name, range) = (d.get(..at)?, d.get(at + 1..)?);
    // The project's own entries in Berry lock files.
    let local = ["workspace:", "link:", "portal:", "file:"]
        .iter()
        .any(|p| range.starts_with(p));
    (!name.is_empty() && !local).then_some(name)
}

/// `yarn.lock`, classic (v1: `name@range, name@range:` then `  version "1.2.3"`) and Berry
/// (YAML: `"name@npm:range, …":` then `  version: 1.2.3`). Read line by line: each entry's
/// header names the package, its two-space-indented `version` field the resolved version;
/// nested blocks (`dependencies:`) are not entries.
fn yarn_lock(text: &str) -> Vec<Dep> {
    let mut out = Vec::new();
    let mut names: Vec<&str> = Vec::new();
    for line in text.lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        if !line.starts_with(' ') {
            names.clear();
            let Some(head) = line.trim_end().strip_suffix(':') else {
                continue;
            };
            for d in head.split(',') {
                if let Some(n) = npm_descriptor_name(d) {
                    if !names.contains(&n) {
                        names.push(n);
                    }
                }
            }
            continue;
        }
        let Some(field) = line.strip_prefix("  ").filter(|f| !f.starts_with(' ')) else {
            continue;
        };
        let Some(v) = field
            .strip_prefix("version")
            .filter(|r| r.starts_with([' ', ':']))
        else {
            continue;
        };
        let version = npm_version(v.trim_start_matches([' ', ':']));
        for n in names.drain(..) {
            out.push(Dep {
                name: n.to_string(),
                version: version.clone(),
                constraint: None,
            });
        }
    }
    out
}

/// `pnpm-lock.yaml`: the keys of the `packages:` map. Lockfile version 5 writes
/// `/name/1.2.3_peer@x`, version 6 `/name@1.2.3(peer@x)`, version 9 `name@1.2.3` (quoted
/// when scoped). Read line by line, like `yarn.lock`.
fn pnpm_lock(text: &str) -> Vec<Dep> {
    let mut out = Vec::new();
    let mut major = 9u32;
    let mut in_packages = false;
    for line in text.lines() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        if !line.starts_with(' ') {
            let l = line.trim_end();
            in_packages = l == "packages:";
            if let Some(v) = l.strip_prefix("lockfileVersion:") {
                let digits: String = v
                    .trim()
                    .trim_matches(['\'', '"'])
                    .chars()
                    .take_while(char::is_ascii_digit)
                    .take(4)
                    .collect();
                major = digits.parse().unwrap_or(major);
            }
            continue;
        }
        if !in_packages {
            continue;
        }
        let Some(key) = line
            .strip_prefix("  ")
            .filter(|k| !k.starts_with(' '))
            .and_then(|k| k.trim_end().strip_suffix(':'))
        else {
            continue;
        };
        let key = key.trim_matches(['\'', '"']);
        let key = key.strip_prefix('/').unwrap_or(key);
        let key = key.split('(').next().unwrap_or(key);
        let split = if major >= 6 {
            key.get(1..)
                .and_then(|r| r.find('@'))
                .and_then(|i| Some((key.get(..=i)?, key.get(i + 2..)?)))
        } else {
            key.rsplit_once('/')
                .map(|(n, v)| (n, v.split('_').next().unwrap_or(v)))
        };
        let Some((name, version)) = split else {
            continue;
        };
        if name.is_empty() {
            continue;
        }
        out.push(Dep {
            name: name.to_string(),
            version: npm_version(version),
            constraint: None,
        });
    }
    out
}

fn go_mod(text: &str) -> Vec<Dep> {
    let mut out = Vec::new();
    let mut in_block = false;
    for line in text.lines() {
        let l = line.split("//").next().unwrap_or("").trim();
        let spec = if in_block {
            if l == ")" {
                in_block = false;
                continue;
            }
            l
        } else if let Some(r) = l.strip_prefix("require") {
            let r = r.trim();
            if r == "(" {
                in_block = true;
                continue;
            }
            r
        } else {
            continue;
        };
        let mut it = spec.split_whitespace();
        if let (Some(name), Some(ver)) = (it.next(), it.next()) {
            out.push(Dep {
                name: name.to_string(),
                version: Some(ver.to_string()),
                constraint: None,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(path: &str, kind: Manifest, text: &str) -> Vec<String> {
        let mut sink = Sink::default();
        scan(path, kind, text, &mut sink);
        sink.assets.into_iter().map(|a| a.location).collect()
    }

    #[test]
    fn requirements_and_pyproject() {
        assert_eq!(
            found(
                "requirements.txt",
                Manifest::Requirements,
                "# ml\ntorch==2.3.1\ntransformers[torch]>=4.40 ; python_version>'3.8'\nflask==3.0\n-r other.txt\nSentence_Transformers\n"
            ),
            vec![
                "pkg:pypi/torch@2.3.1",
                "pkg:pypi/transformers",
                "pkg:pypi/sentence-transformers"
            ]
        );
        let py = "[project]\ndependencies = [\"openai==1.30.0\", \"requests\"]\n[project.optional-dependencies]\nllm = [\"langchain>=0.2\"]\n[tool.poetry.dependencies]\npython = \"^3.11\"\nanthropic = \"0.25.0\"\n";
        assert_eq!(
            found("pyproject.toml", Manifest::Pyproject, py),
            vec![
                "pkg:pypi/openai@1.30.0",
                "pkg:pypi/langchain",
                "pkg:pypi/anthropic"
            ]
        );
    }

    #[test]
    fn yarn_and_pnpm_locks() {
        let v1 = "# yarn lockfile v1\n\n\n\"@anthropic-ai/sdk@^0.20.0\":\n  version \"0.20.1\"\n  resolved \"https://registry.yarnpkg.com/x\"\n  dependencies:\n    openai \"^4.0.0\"\n    version \"9.9.9\"\n\nexpress@^4.19.0:\n  version \"4.19.2\"\n\nopenai@^4.0.0, openai@^4.52.0:\n  version \"4.52.0\"\n";
        assert_eq!(
            found("yarn.lock", Manifest::YarnLock, v1),
            vec![
                "pkg:npm/%40anthropic-ai/sdk@0.20.1",
                "pkg:npm/openai@4.52.0"
            ]
        );
        let berry = "__metadata:\n  version: 8\n  cacheKey: 10c0\n\n\"@langchain/core@npm:>=0.2.11 <0.3.0, @langchain/core@npm:^0.2.0\":\n  version: 0.2.18\n  resolution: \"@langchain/core@npm:0.2.18\"\n  languageName: node\n\n\"openai@workspace:.\":\n  version: 0.0.0-use.local\n\n\"ollama@https://example.com/ollama.tgz\":\n  version: 0.5.0\n";
        assert_eq!(
            found("yarn.lock", Manifest::YarnLock, berry),
            vec!["pkg:npm/%40langchain/core@0.2.18", "pkg:npm/ollama@0.5.0"]
        );
        let v5 = "lockfileVersion: 5.4\n\nspecifiers:\n  openai: ^4.52.0\n\npackages:\n\n  /openai/4.52.0:\n    resolution: {integrity: sha512-x}\n\n  /@langchain/openai/0.2.0_openai@4.52.0:\n    dev: false\n  /express/4.19.2:\n    dev: false\n";
        assert_eq!(
            found("pnpm-lock.yaml", Manifest::PnpmLock, v5),
            vec!["pkg:npm/openai@4.52.0", "pkg:npm/%40langchain/openai@0.2.0"]
        );
        let v6 = "lockfileVersion: '6.0'\n\ndependencies:\n  openai:\n    specifier: ^4.52.0\n    version: 4.52.0\n\npackages:\n\n  /@langchain/core@0.2.18(openai@4.52.0):\n    resolution: {integrity: sha512-x}\n\n  /openai@4.52.0:\n    dev: false\n";
        assert_eq!(
            found("pnpm-lock.yaml", Manifest::PnpmLock, v6),
            vec!["pkg:npm/%40langchain/core@0.2.18", "pkg:npm/openai@4.52.0"]
        );
        let v9 = "lockfileVersion: '9.0'\n\nimporters:\n\n  .:\n    dependencies:\n      ai:\n        specifier: ^3.0.0\n        version: 3.2.1\n\npackages:\n\n  '@ai-sdk/openai@0.0.40':\n    resolution: {integrity: sha512-x}\n\n  ai@3.2.1:\n    resolution: {integrity: sha512-y}\n\n  left-pad@1.3.0:\n    resolution: {integrity: sha512-z}\n\nsnapshots:\n\n  ai@3.2.1(react@18.0.0): {}\n";
        assert_eq!(
            found("pnpm-lock.yaml", Manifest::PnpmLock, v9),
            vec!["pkg:npm/%40ai-sdk/openai@0.0.40", "pkg:npm/ai@3.2.1"]
        );
    }

    #[test]
    fn npm_cargo_go() {
        let pj = r#"{"dependencies":{"express":"^4.19.0","openai":"4.52.0","@langchain/openai":"^0.2.0"}}"#;
        assert_eq!(
            found("package.json", Manifest::PackageJson, pj),
            vec!["pkg:npm/%40langchain/openai", "pkg:npm/openai@4.52.0"]
        );
        let ct = "[dependencies]\nserde = \"1\"\ncandle-core = { version = \"0.6\" }\n";
        assert_eq!(
            found("Cargo.toml", Manifest::CargoToml, ct),
            vec!["pkg:cargo/candle-core"]
        );
        let gm = "module x\n\nrequire (\n\tgithub.com/sashabaranov/go-openai v1.20.0\n\tgithub.com/gin-gonic/gin v1.9.0\n)\n";
        assert_eq!(
            found("go.mod", Manifest::GoMod, gm),
            vec!["pkg:golang/github.com/sashabaranov/go-openai@v1.20.0"]
        );
    }
}
