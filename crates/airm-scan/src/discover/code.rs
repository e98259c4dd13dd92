//! AI usage in source code: imports of AI SDKs and frameworks (Python, JavaScript and
//! TypeScript, Go, Rust), calls that download models from the Hugging Face Hub (with their
//! revision and `trust_remote_code`: `AS001`, `AS002`), and endpoints of hosted AI APIs.
//! Text patterns, not a parser: they see what is written, not what runs.

use std::sync::OnceLock;

use airm_core::{AssetKind, Provenance};
use regex::Regex;
use serde_json::Value;

use super::deps::{ai_package, purl, Ecosystem};
use super::route::Lang;
use super::{line_of, DiscoveredAsset, Sink};
use crate::rules::{HubRevisionUnpinned, HubTrustRemoteCode};

/// Hosted AI services: `(service, display name, endpoint host pattern, canonical endpoint)`.
const SERVICES: &[(&str, &str, &str, &str)] = &[
    (
        "openai",
        "OpenAI API",
        r"api\.openai\.com",
        "https://api.openai.com",
    ),
    (
        "anthropic",
        "Anthropic API",
        r"api\.anthropic\.com",
        "https://api.anthropic.com",
    ),
    (
        "azure-openai",
        "Azure OpenAI",
        r"[a-z0-9\-]+\.openai\.azure\.com",
        "https://openai.azure.com",
    ),
    (
        "google-ai",
        "Google AI (Gemini) API",
        r"generativelanguage\.googleapis\.com",
        "https://generativelanguage.googleapis.com",
    ),
    (
        "vertex-ai",
        "Vertex AI",
        r"[a-z0-9\-]*aiplatform\.googleapis\.com",
        "https://aiplatform.googleapis.com",
    ),
    (
        "cohere",
        "Cohere API",
        r"api\.cohere\.(?:ai|com)",
        "https://api.cohere.com",
    ),
    (
        "mistral",
        "Mistral API",
        r"api\.mistral\.ai",
        "https://api.mistral.ai",
    ),
    (
        "groq",
        "Groq API",
        r"api\.groq\.com",
        "https://api.groq.com",
    ),
    (
        "replicate",
        "Replicate API",
        r"api\.replicate\.com",
        "https://api.replicate.com",
    ),
    (
        "huggingface-inference",
        "Hugging Face Inference API",
        r"(?:api-inference|router)\.huggingface\.co",
        "https://router.huggingface.co",
    ),
    (
        "aws-bedrock",
        "Amazon Bedrock",
        r"bedrock-runtime\.[a-z0-9\-]+\.amazonaws\.com",
        "https://bedrock-runtime.amazonaws.com",
    ),
    (
        "together",
        "Together AI API",
        r"api\.together\.(?:xyz|ai)",
        "https://api.together.xyz",
    ),
    (
        "deepseek",
        "DeepSeek API",
        r"api\.deepseek\.com",
        "https://api.deepseek.com",
    ),
];

/// SDK imports that mean a hosted service: `(module or package, service)`.
const SDK_SERVICES: &[(&str, &str)] = &[
    ("openai", "openai"),
    ("anthropic", "anthropic"),
    ("@anthropic-ai/sdk", "anthropic"),
    ("google.generativeai", "google-ai"),
    ("google.genai", "google-ai"),
    ("@google/generative-ai", "google-ai"),
    ("@google/genai", "google-ai"),
    ("google.golang.org/genai", "google-ai"),
    ("github.com/google/generative-ai-go", "google-ai"),
    ("vertexai", "vertex-ai"),
    ("google.cloud.aiplatform", "vertex-ai"),
    ("cohere", "cohere"),
    ("cohere-ai", "cohere"),
    ("mistralai", "mistral"),
    ("@mistralai/mistralai", "mistral"),
    ("groq", "groq"),
    ("groq-sdk", "groq"),
    ("replicate", "replicate"),
    ("@azure/openai", "azure-openai"),
    ("@aws-sdk/client-bedrock-runtime", "aws-bedrock"),
    ("github.com/sashabaranov/go-openai", "openai"),
    ("github.com/openai/openai-go", "openai"),
    ("github.com/anthropics/anthropic-sdk-go", "anthropic"),
    ("async_openai", "openai"),
];

/// The start of a call that downloads from the Hugging Face Hub, up to its opening
/// parenthesis.
const HUB_CALL_START: &str =
    r"\b(from_pretrained|hf_hub_download|snapshot_download|pipeline|SentenceTransformer)\s*\(";
/// Most characters in a run of arguments outside, and inside, nested parentheses, and
/// most nested pairs of parentheses, in a Hub call.
const ARGS_RUN: usize = 600;
const NESTED_RUN: usize = 200;
const NESTED: usize = 8;

/// The byte offset of the parenthesis that closes a call's arguments starting at `from`
/// (just past the opening one), if the arguments are at most [`NESTED`] pairs of
/// parentheses one deep, with at most [`NESTED_RUN`] characters inside a pair and at most
/// [`ARGS_RUN`] characters in each run outside them. It is what the regular expression
/// `[^()]{0,600}(?:\([^()]{0,200}\)[^()]{0,600}){0,8}\)` matches, written out because
/// that expression takes tens of milliseconds to compile (see the test that compares them).
fn call_args_end(text: &str, from: usize) -> Option<usize> {
    let rest = text.get(from..)?;
    let mut nested = 0usize;
    let mut inside = false;
    let mut run = 0usize;
    for (i, ch) in rest.char_indices() {
        match ch {
            '(' if inside || nested == NESTED => return None,
            '(' => {
                inside = true;
                nested += 1;
                run = 0;
            }
            ')' if inside => {
                inside = false;
                run = 0;
            }
            ')' => return Some(from + i),
            _ => {
                run += 1;
                if run > if inside { NESTED_RUN } else { ARGS_RUN } {
                    return None;
                }
            }
        }
    }
    None
}

/// Hub calls in `text`: the offset and text of each call's function name, and its arguments,
/// leftmost first, each search going on after the previous call's closing parenthesis
/// (as `captures_iter` of the whole expression did).
fn hub_call_matches<'t>(
    start: &'t Regex,
    text: &'t str,
) -> impl Iterator<Item = (usize, &'t str, &'t str)> + 't {
    let mut at = 0usize;
    std::iter::from_fn(move || {
        while at <= text.len() {
            let c = start.captures_at(text, at)?;
            let (whole, func) = (c.get(0)?, c.get(1)?);
            match call_args_end(text, whole.end()) {
                Some(close) => {
                    at = close + 1;
                    return Some((func.start(), func.as_str(), text.get(whole.end()..close)?));
                }
                // No call here: try the next start after this one.
                None => at = whole.start() + text.get(whole.start()..)?.chars().next()?.len_utf8(),
            }
        }
        None
    })
}

struct Patterns {
    py_import: Regex,
    js_import: Regex,
    go_import: Regex,
    rs_use: Regex,
    /// The start of a Hub download call, up to its opening parenthesis; the arguments
    /// are delimited by [`call_args_end`].
    hub_call: Regex,
    revision: Regex,
    trust: Regex,
    azure_openai_class: Regex,
    bedrock_client: Regex,
    services: Vec<(usize, Regex)>,
}

fn patterns() -> Option<&'static Patterns> {
    static P: OnceLock<Option<Patterns>> = OnceLock::new();
    P.get_or_init(|| {
        Some(Patterns {
            py_import: Regex::new(r"(?m)^[ \t]*(?:from[ \t]+([A-Za-z_][\w.]*)[ \t]+import|import[ \t]+([A-Za-z_][\w.]*))").ok()?,
            js_import: Regex::new(r#"(?:\bfrom\s+|\brequire\(\s*|\bimport\(\s*|^\s*import\s+)["']((?:@[\w.\-]+/)?[\w.\-]+)(?:/[\w.\-/]*)?["']"#).ok()?,
            go_import: Regex::new(r#"(?m)^\s*(?:import\s+)?(?:[\w.]+\s+)?"((?:github\.com|google\.golang\.org|gorgonia\.org)/[\w.\-/]+)""#).ok()?,
            rs_use: Regex::new(r"(?m)^\s*(?:pub\s+)?(?:use|extern\s+crate)\s+([a-z_][a-z0-9_]*)").ok()?,
            hub_call: Regex::new(HUB_CALL_START).ok()?,
            revision: Regex::new(r#"\brevision\s*=\s*(?:["']([^"']{0,100})["']|([A-Za-z_][\w.]*))"#).ok()?,
            trust: Regex::new(r"\btrust_remote_code\s*=\s*True\b").ok()?,
            azure_openai_class: Regex::new(r"\bAzureOpenAI\b|\bAzureChatOpenAI\b").ok()?,
            bedrock_client: Regex::new(r#"client\(\s*["']bedrock(?:-runtime|-agent-runtime)?["']|BedrockRuntimeClient|ChatBedrock"#).ok()?,
            services: SERVICES
                .iter()
                .enumerate()
                .filter_map(|(i, s)| Regex::new(&format!(r"(?i)\b{}\b", s.2)).ok().map(|r| (i, r)))
                .collect(),
        })
    })
    .as_ref()
}

fn hub_id() -> Option<&'static Regex> {
    static R: OnceLock<Option<Regex>> = OnceLock::new();
    R.get_or_init(|| {
        Regex::new(r#"^\s*(?:(?:pretrained_model_name_or_path|model_name_or_path|repo_id|model|model_id)\s*=\s*)?["']([A-Za-z0-9][\w.\-]*/[\w.\-]+)["']"#).ok()
    })
    .as_ref()
}

fn model_kw() -> Option<&'static Regex> {
    static R: OnceLock<Option<Regex>> = OnceLock::new();
    R.get_or_init(|| {
        Regex::new(r#"\b(?:model|repo_id|model_name_or_path)\s*=\s*["']([A-Za-z0-9][\w.\-]*/[\w.\-]+)["']"#).ok()
    })
    .as_ref()
}

fn is_commit(rev: &str) -> bool {
    rev.len() == 40 && rev.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Finds AI usage in `text` (a file, or a notebook cell named `member`).
pub fn scan(path: &str, text: &str, lang: Lang, member: Option<&str>, sink: &mut Sink) {
    let Some(p) = patterns() else { return };
    let place = |offset: usize| -> (String, Option<u32>) {
        match member {
            Some(c) => (format!("{path}#{c}"), None),
            None => {
                let l = line_of(text.as_bytes(), offset);
                (format!("{path}:{l}"), Some(l))
            }
        }
    };
    // Imports.
    let mut imports: Vec<(String, usize, Ecosystem)> = Vec::new();
    match lang {
        Lang::Python => {
            for c in p.py_import.captures_iter(text) {
                if let Some(m) = c.get(1).or_else(|| c.get(2)) {
                    imports.push((m.as_str().to_string(), m.start(), Ecosystem::Pypi));
                }
            }
        }
        Lang::JavaScript => {
            for c in p.js_import.captures_iter(text) {
                if let Some(m) = c.get(1) {
                    imports.push((m.as_str().to_string(), m.start(), Ecosystem::Npm));
                }
            }
        }
        Lang::Go => {
            for c in p.go_import.captures_iter(text) {
                if let Some(m) = c.get(1) {
                    imports.push((m.as_str().to_string(), m.start(), Ecosystem::Golang));
                }
            }
        }
        Lang::Rust => {
            for c in p.rs_use.captures_iter(text) {
                if let Some(m) = c.get(1) {
                    imports.push((m.as_str().to_string(), m.start(), Ecosystem::Cargo));
                }
            }
        }
        Lang::Other => {}
    }
    let mut services: Vec<(&'static str, usize, &'static str)> = Vec::new();
    for (module, offset, eco) in &imports {
        let (here, _) = place(*offset);
        // Hosted services by SDK.
        if let Some((_, svc)) = SDK_SERVICES.iter().find(|(m, _)| {
            module == m
                || module
                    .strip_prefix(m)
                    .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('/'))
        }) {
            services.push((svc, *offset, "sdk import"));
        }
        // Frameworks and SDKs as libraries.
        let found = match eco {
            // The longest dotted prefix the catalogue knows (`google.generativeai`).
            Ecosystem::Pypi => {
                let parts: Vec<&str> = module.split('.').collect();
                (1..=parts.len().min(3)).rev().find_map(|n| {
                    let prefix = parts.get(..n).unwrap_or(&[]).join(".");
                    ai_package(*eco, &prefix)
                })
            }
            _ => ai_package(*eco, module),
        };
        if let Some(pkg) = found {
            let pkg = if pkg.ends_with('/') {
                module.as_str()
            } else {
                pkg
            };
            let lib = DiscoveredAsset::new(AssetKind::Library, pkg, purl(*eco, pkg, None))
                .fact("ecosystem", eco.as_str())
                .fact("used_in", vec![Value::String(here)]);
            sink.assets.push(DiscoveredAsset {
                format: Some(eco.as_str().to_string()),
                ..lib
            });
        }
    }
    if p.azure_openai_class.is_match(text) {
        if let Some(m) = p.azure_openai_class.find(text) {
            services.push(("azure-openai", m.start(), "client class"));
        }
    }
    if let Some(m) = p.bedrock_client.find(text) {
        services.push(("aws-bedrock", m.start(), "client"));
    }
    // Endpoints.
    for (i, re) in &p.services {
        if let (Some(s), Some(m)) = (SERVICES.get(*i), re.find(text)) {
            services.push((s.0, m.start(), "endpoint"));
        }
    }
    services.sort();
    services.dedup_by_key(|s| s.0);
    for (svc, offset, how) in services {
        let Some((_, name, _, endpoint)) = SERVICES.iter().find(|s| s.0 == svc) else {
            continue;
        };
        let (here, _) = place(offset);
        let mut a = DiscoveredAsset::new(AssetKind::AiService, *name, *endpoint)
            .fact("service", svc)
            .fact("used_in", vec![Value::String(here)])
            .fact("seen_as", vec![Value::String(how.to_string())]);
        a.provenance.source = Some(format!("service:{svc}"));
        sink.assets.push(a);
    }
    if lang == Lang::Python || lang == Lang::Other {
        hub_calls(path, text, member, p, sink);
    }
}

fn hub_calls(path: &str, text: &str, member: Option<&str>, p: &Patterns, sink: &mut Sink) {
    let (Some(id_re), Some(kw_re)) = (hub_id(), model_kw()) else {
        return;
    };
    for (func_start, func, args_s) in hub_call_matches(&p.hub_call, text) {
        let id = id_re
            .captures(args_s)
            .or_else(|| kw_re.captures(args_s))
            .and_then(|c| c.get(1))
            .map(|m| m.as_str().to_string());
        let Some(id) = id else { continue };
        if id.starts_with('.') || id.contains("..") {
            continue;
        }
        let (line, loc) = match member {
            Some(cell) => (None, format!("{path}#{cell}")),
            None => {
                let l = line_of(text.as_bytes(), func_start);
                (Some(l), format!("{path}:{l}"))
            }
        };
        let rev = p.revision.captures(args_s).and_then(|c| {
            c.get(1)
                .map(|m| (m.as_str().to_string(), true))
                .or_else(|| c.get(2).map(|m| (m.as_str().to_string(), false)))
        });
        let pinned = matches!(&rev, Some((r, true)) if is_commit(r));
        let trust = p.trust.is_match(args_s);
        let mut a = DiscoveredAsset::new(AssetKind::Model, id.clone(), format!("huggingface:{id}"))
            .fact("used_in", vec![Value::String(loc.clone())])
            .fact("loaded_by", vec![Value::String(func.to_string())]);
        a.format = Some("huggingface-hub".into());
        a.provenance = Provenance {
            source: Some(format!("huggingface:{id}")),
            revision: rev.as_ref().filter(|(_, lit)| *lit).map(|(r, _)| r.clone()),
            license: None,
            signed_by: None,
        };
        if !pinned {
            a.facts.insert("unpinned".into(), Value::Bool(true));
        }
        if trust {
            a.facts
                .insert("trust_remote_code".into(), Value::Bool(true));
        }
        sink.assets.push(a);
        let mut member_s = member.map(str::to_string);
        if !pinned {
            let msg = match &rev {
                None => format!("`{}` downloads `{id}` without a pinned revision", func),
                Some((r, true)) => format!(
                    "`{}` downloads `{id}` at revision `{r}`, a branch or tag rather than a commit",
                    func
                ),
                Some((r, false)) => format!(
                    "`{}` downloads `{id}` at a revision taken from `{r}`, unknown statically",
                    func
                ),
            };
            let mut f = HubRevisionUnpinned::finding(msg, Some(id.clone()));
            f.member = member_s.take();
            sink.finding(path, line, f);
        }
        if trust {
            let mut f = HubTrustRemoteCode::finding(
                format!("`{}` loads `{id}` with trust_remote_code=True", func),
                Some(id.clone()),
            );
            f.member = member.map(str::to_string);
            sink.finding(path, line, f);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The expression [`call_args_end`] writes out, as it was.
    const BOUNDED_CALL: &str = r#"(?s)\b(from_pretrained|hf_hub_download|snapshot_download|pipeline|SentenceTransformer)\s*\(([^()]{0,600}(?:\([^()]{0,200}\)[^()]{0,600}){0,8})\)"#;

    fn bounded_call() -> &'static Regex {
        static R: OnceLock<Regex> = OnceLock::new();
        R.get_or_init(|| Regex::new(BOUNDED_CALL).unwrap())
    }

    /// A run of `n` characters, one or two bytes each.
    fn run(n: usize, wide: bool) -> String {
        if wide {
            "é".repeat(n)
        } else {
            "a".repeat(n)
        }
    }

    /// A call with runs of arguments near the bounds: `nested` pairs, `outer` and `inner`
    /// pick run lengths (`outer[0] == 0`: none past its bound), `wide` picks two-byte
    /// characters, `closed` the closing parenthesis.
    fn call_text(
        name: &str,
        nested: usize,
        outer: &[usize],
        inner: &[usize],
        wide: bool,
        closed: bool,
    ) -> String {
        const OUTER: [usize; 5] = [0, 1, 599, 600, 601];
        const INNER: [usize; 4] = [0, 199, 200, 201];
        let within = outer.first() == Some(&0);
        let pick = |list: &[usize], of: &[usize], i: usize| {
            let n = of.len() - usize::from(within);
            of.get(list.get(i).copied().unwrap_or(0) % n)
                .copied()
                .unwrap_or(0)
        };
        let mut t = format!("{name} (");
        t += &run(pick(outer, &OUTER, 1), wide);
        for i in 0..nested {
            t += &format!("({})", run(pick(inner, &INNER, i), wide));
            t += &run(pick(outer, &OUTER, i + 2), wide);
        }
        if closed {
            t.push(')');
        }
        t
    }

    proptest! {
        /// Hub calls are found where, and with the arguments, the bounded expression finds
        /// them: around each bound (runs of 200 and 600 characters, 8 nested pairs), with
        /// multi-byte characters, calls inside calls and unclosed calls.
        #[test]
        fn hub_calls_match_the_bounded_expression(parts in proptest::collection::vec(
            prop_oneof![
                prop::sample::select(vec![
                    "from_pretrained", "pipeline", "xpipeline", "SentenceTransformer",
                    "hf_hub_download", "(", ")", "(x)", " ", "\n", "é", "'acme/m'", ", ",
                ]).prop_map(str::to_string),
                (
                    prop::sample::select(vec!["from_pretrained", "pipeline", "snapshot_download"]),
                    0usize..=10,
                    proptest::collection::vec(0usize..5, 12),
                    proptest::collection::vec(0usize..4, 10),
                    any::<bool>(),
                    prop::bool::weighted(0.8),
                ).prop_map(|(n, k, o, i, w, c)| call_text(n, k, &o, &i, w, c)),
            ],
            0..8,
        )) {
            let text = parts.concat();
            let want: Vec<(usize, &str, &str)> = bounded_call()
                .captures_iter(&text)
                .map(|c| {
                    let (f, a) = (c.get(1).unwrap(), c.get(2).unwrap());
                    (f.start(), f.as_str(), a.as_str())
                })
                .collect();
            let start = Regex::new(HUB_CALL_START).unwrap();
            let got: Vec<(usize, &str, &str)> = hub_call_matches(&start, &text).collect();
            prop_assert_eq!(got, want);
        }
    }

    #[test]
    fn hub_call_bounds() {
        let start = Regex::new(HUB_CALL_START).unwrap();
        let count = |t: &str| hub_call_matches(&start, t).count();
        let nested = |n: usize| format!("pipeline({})", "(x)".repeat(n));
        assert_eq!(count(&nested(8)), 1);
        assert_eq!(count(&nested(9)), 0);
        assert_eq!(count(&format!("pipeline({})", run(600, true))), 1);
        assert_eq!(count(&format!("pipeline({})", run(601, false))), 0);
        assert_eq!(count(&format!("pipeline(({}))", run(200, true))), 1);
        assert_eq!(count(&format!("pipeline(({}))", run(201, false))), 0);
        // A call that does not close leaves the next one to be found.
        assert_eq!(count("pipeline(a, from_pretrained('x/y')"), 1);
    }

    #[test]
    fn patterns_compile() {
        let p = patterns().unwrap();
        assert_eq!(p.services.len(), SERVICES.len());
        assert!(hub_id().is_some() && model_kw().is_some());
    }

    #[test]
    fn hub_calls_pinned_unpinned_and_remote_code() {
        let text = "from transformers import AutoModel, pipeline\n\
            m = AutoModel.from_pretrained(\"acme/base\")\n\
            n = AutoModel.from_pretrained(\n    \"acme/pinned\",\n    revision=\"0123456789abcdef0123456789abcdef01234567\",\n)\n\
            o = AutoModel.from_pretrained(\"acme/custom\", revision=\"main\", trust_remote_code=True)\n\
            p = pipeline(\"text-classification\", model=\"acme/clf\", revision=REV)\n\
            q = AutoModel.from_pretrained(\"./local/dir\")\n";
        let mut sink = Sink::default();
        scan("m.py", text, Lang::Python, None, &mut sink);
        let ids: Vec<_> = sink
            .findings
            .iter()
            .map(|f| (f.finding.rule_id, f.line.unwrap_or(0)))
            .collect();
        assert_eq!(
            ids,
            vec![("AS001", 2), ("AS001", 7), ("AS002", 7), ("AS001", 8)]
        );
        let models: Vec<_> = sink
            .assets
            .iter()
            .filter(|a| a.kind == AssetKind::Model)
            .map(|a| a.name.as_str())
            .collect();
        assert_eq!(
            models,
            vec!["acme/base", "acme/pinned", "acme/custom", "acme/clf"]
        );
        assert!(sink
            .assets
            .iter()
            .any(|a| a.kind == AssetKind::Library && a.name == "transformers"));
    }

    #[test]
    fn services_by_sdk_and_endpoint() {
        let js = "import OpenAI from 'openai';\nimport express from 'express';\nfetch('https://api.anthropic.com/v1/messages')\n";
        let mut sink = Sink::default();
        scan("a.ts", js, Lang::JavaScript, None, &mut sink);
        let mut svcs: Vec<_> = sink
            .assets
            .iter()
            .filter(|a| a.kind == AssetKind::AiService)
            .map(|a| a.facts["service"].as_str().unwrap_or("").to_string())
            .collect();
        svcs.sort();
        assert_eq!(svcs, vec!["anthropic", "openai"]);
        assert!(!sink.assets.iter().any(|a| a.name == "express"));
    }
}
