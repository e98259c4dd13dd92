//! Text files: one multi-pattern prefilter over every word any text detector needs decides
//! whether a code or configuration file is worth the detectors' regular expressions at
//! all, then the file goes to the detectors of its kind. Most code in a large tree has no
//! AI word in it and costs only the read and one linear pass: the bytes are lowered into a
//! reused buffer and searched with a packed SIMD multi-substring searcher (Teddy, from
//! `aho-corasick`), which is several times faster than a case-insensitive automaton.

use std::path::Path;
use std::sync::OnceLock;

use aho_corasick::{packed, AhoCorasick, AhoCorasickBuilder, MatchKind};

use super::route::TextKind;
use super::{cards, code, deps, iac, notebooks, secrets, Sink};

/// Words whose absence proves a code or configuration file has nothing for the detectors.
/// Lower case, matched case-insensitively. No word contains another (`hf_` covers
/// `hf_hub_download`, `openai` covers `azure_openai`, `llama` covers `ollama`, …) and there
/// are at most 64, which the packed searcher needs (both checked by a test).
const NEEDLES: &[&str] = &[
    // Secrets.
    "sk-",
    "hf_",
    "aiza",
    "r8_",
    "gsk_",
    "cohere",
    "co_api",
    "mistral",
    // SDKs, hubs, endpoints.
    "openai",
    "anthropic",
    "from_pretrained",
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

/// The searcher over lowered bytes: packed (SIMD) where the CPU has it, an automaton
/// otherwise.
enum Prefilter {
    Packed(packed::Searcher),
    Automaton(AhoCorasick),
}

fn prefilter() -> Option<&'static Prefilter> {
    static P: OnceLock<Option<Prefilter>> = OnceLock::new();
    P.get_or_init(|| {
        let packed = packed::Config::new()
            .match_kind(packed::MatchKind::LeftmostFirst)
            .builder()
            .extend(NEEDLES)
            .build();
        match packed {
            Some(s) => Some(Prefilter::Packed(s)),
            None => AhoCorasickBuilder::new()
                .match_kind(MatchKind::LeftmostFirst)
                .build(NEEDLES)
                .ok()
                .map(Prefilter::Automaton),
        }
    })
    .as_ref()
}

/// Whether `data` contains any word a text detector looks for, ignoring ASCII case
/// (always true if the prefilter could not be built, so nothing is missed). `lower` is a
/// scratch buffer, reused across calls.
pub fn interesting(data: &[u8], lower: &mut Vec<u8>) -> bool {
    let Some(p) = prefilter() else { return true };
    lower.clear();
    lower.extend(data.iter().map(u8::to_ascii_lowercase));
    match p {
        Prefilter::Packed(s) => s.find(lower.as_slice()).is_some(),
        Prefilter::Automaton(ac) => ac.is_match(lower.as_slice()),
    }
}

/// Whether a text file of `kind` holding `data` is worth its detectors: code and
/// configuration only when the prefilter finds an AI word; the other kinds always.
pub fn worth_reading(kind: TextKind, data: &[u8], lower: &mut Vec<u8>) -> bool {
    match kind {
        TextKind::Code(_) | TextKind::Config => interesting(data, lower),
        _ => true,
    }
}

/// Runs the detectors of `kind` on a text file (that [`worth_reading`] accepted).
pub fn visit(path: &Path, shown: &str, name: &str, data: &[u8], kind: TextKind, sink: &mut Sink) {
    match kind {
        TextKind::Code(lang) => {
            let text = super::text_of(data);
            secrets::scan(shown, &text, None, sink);
            code::scan(shown, &text, lang, None, sink);
        }
        TextKind::Config => {
            let text = super::text_of(data);
            secrets::scan(shown, &text, None, sink);
            iac::scan(shown, name, &text, sink);
        }
        TextKind::Notebook => notebooks::visit(shown, data, sink),
        TextKind::Manifest(m) => {
            let text = super::text_of(data);
            deps::scan(shown, m, &text, sink);
        }
        TextKind::Card => cards::readme(path, shown, data, sink),
        TextKind::MlModel => cards::mlmodel(path, shown, data, sink),
        TextKind::ModelConfig => cards::model_config(path, data, sink),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn needles_are_minimal_lower_case_and_packable() {
        assert!(
            NEEDLES.len() <= 64,
            "the packed searcher takes at most 64 words"
        );
        for a in NEEDLES {
            assert_eq!(*a, a.to_ascii_lowercase());
            for b in NEEDLES {
                assert!(a == b || !a.contains(b), "{a} contains {b}: drop {a}");
            }
        }
        let mut lower = Vec::new();
        assert!(interesting(
            b"from transformers import AutoModel",
            &mut lower
        ));
        assert!(interesting(b"x = HF_HUB_DOWNLOAD(...)", &mut lower));
        assert!(interesting(b"const c = new OpenAI()", &mut lower));
        assert!(interesting(b"image: Ollama/ollama", &mut lower));
        assert!(!interesting(b"import os\nimport json\n", &mut lower));
        assert!(!interesting(b"", &mut lower));
    }

    /// Words dropped from the list because a shorter word in it covers them.
    const COVERED: &[&str] = &[
        "azure_openai",
        "hf_hub_download",
        "ollama",
        "sentence_transformers",
        "vertex_ai",
    ];

    fn words() -> Vec<&'static str> {
        NEEDLES.iter().chain(COVERED).copied().collect()
    }

    proptest! {
        /// The packed searcher over lowered bytes says the same as a plain case-insensitive
        /// substring test with every word, the covered ones included.
        #[test]
        fn prefilter_is_a_case_insensitive_substring_test(
            parts in proptest::collection::vec(
                prop_oneof![
                    prop::sample::select(words()).prop_map(str::to_string),
                    prop::sample::select(words())
                        .prop_map(|w| w.get(..w.len() - 1).unwrap_or(w).to_string()),
                    prop::sample::select(words()).prop_map(|w| w.to_ascii_uppercase()),
                    "[a-zA-Z_ (.\\-]{0,6}",
                ],
                0..12,
            )
        ) {
            let text = parts.concat();
            let lower_text = text.to_ascii_lowercase();
            let expected = words().iter().any(|w| lower_text.contains(w));
            let mut lower = Vec::new();
            prop_assert_eq!(interesting(text.as_bytes(), &mut lower), expected);
        }
    }
}
