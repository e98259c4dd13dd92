//! Text files: one multi-pattern prefilter (Aho–Corasick over every word any text detector
//! needs) decides whether a file is worth the detectors' regular expressions at all, then
//! the file goes to the detectors of its kind. Most code in a large tree has no AI word in
//! it and costs only the read and one linear pass.

use std::path::Path;
use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

use super::route::TextKind;
use super::{cards, code, deps, iac, notebooks, secrets, Sink};

/// Words whose absence proves a code or configuration file has nothing for the detectors.
/// Matched case-insensitively.
const NEEDLES: &[&str] = &[
    // Secrets.
    "sk-",
    "hf_",
    "aiza",
    "r8_",
    "gsk_",
    "cohere",
    "co_api",
    "azure_openai",
    "mistral",
    // SDKs, hubs, endpoints.
    "openai",
    "anthropic",
    "from_pretrained",
    "hf_hub_download",
    "snapshot_download",
    "pipeline(",
    "transformers",
    "huggingface",
    "torch",
    "tensorflow",
    "keras",
    "jax",
    "langchain",
    "llama",
    "vllm",
    "sklearn",
    "onnx",
    "generativeai",
    "genai",
    "vertex",
    "bedrock",
    "replicate",
    "groq",
    "ollama",
    "sentence_transformers",
    "diffusers",
    "candle",
    "tiktoken",
    "litellm",
    "dspy",
    "crewai",
    "autogen",
    "haystack",
    "chromadb",
    "pinecone",
    "xgboost",
    "lightgbm",
    "mlflow",
    "@ai-sdk",
    "from 'ai'",
    "from \"ai\"",
    // Infrastructure.
    "sagemaker",
    "cognitive",
    "machinelearning",
    "machine_learning",
    "vertex_ai",
    "aiplatform",
    "node_pool",
    "nodepool",
    "node_group",
    "gpu",
    "text-generation-inference",
    "tritonserver",
    "kserve",
    "inferenceservice",
    "rayservice",
];

fn prefilter() -> Option<&'static AhoCorasick> {
    static AC: OnceLock<Option<AhoCorasick>> = OnceLock::new();
    AC.get_or_init(|| {
        AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::LeftmostFirst)
            .build(NEEDLES)
            .ok()
    })
    .as_ref()
}

/// Whether `data` contains any word a text detector looks for (always true if the
/// prefilter could not be built, so nothing is missed).
pub fn interesting(data: &[u8]) -> bool {
    prefilter().is_none_or(|ac| ac.is_match(data))
}

/// Runs the detectors of `kind` on a text file.
pub fn visit(path: &Path, shown: &str, name: &str, data: &[u8], kind: TextKind, sink: &mut Sink) {
    match kind {
        TextKind::Code(lang) => {
            if !interesting(data) {
                return;
            }
            let text = String::from_utf8_lossy(data);
            secrets::scan(shown, &text, None, sink);
            code::scan(shown, &text, lang, None, sink);
        }
        TextKind::Config => {
            if !interesting(data) {
                return;
            }
            let text = String::from_utf8_lossy(data);
            secrets::scan(shown, &text, None, sink);
            iac::scan(shown, name, &text, sink);
        }
        TextKind::Notebook => notebooks::visit(shown, data, sink),
        TextKind::Manifest(m) => {
            let text = String::from_utf8_lossy(data);
            deps::scan(shown, m, &text, sink);
        }
        TextKind::Card => cards::readme(path, shown, data, sink),
        TextKind::MlModel => cards::mlmodel(path, shown, data, sink),
        TextKind::ModelConfig => cards::model_config(path, data, sink),
    }
}
