//! Hard-coded API keys of AI services (`AS003`). Each provider's key format is a regular
//! expression; matches that look like placeholders are dropped. The key is masked
//! ([`mask`]) at the moment it is matched: only the provider's public prefix and the last
//! four characters ever leave this module, in findings, assets, logs or the store.

use std::sync::OnceLock;

use airm_core::AssetKind;
use regex::Regex;

use super::{line_of, DiscoveredAsset, Sink};
use crate::rules::AiApiKeyHardcoded;

/// One key format.
struct KeyKind {
    /// Service, e.g. `openai`.
    service: &'static str,
    /// Human label.
    label: &'static str,
    /// Public prefix shown in the masked form.
    prefix: &'static str,
    /// Pattern; capture group 1 is the key.
    pattern: &'static str,
    /// The file must also mention one of these (case-insensitive) to count.
    context: &'static [&'static str],
    /// The key must mix upper case, lower case and digits.
    mixed: bool,
}

const KINDS: &[KeyKind] = &[
    KeyKind {
        service: "anthropic",
        label: "Anthropic API key",
        prefix: "sk-ant-",
        pattern: r"\b(sk-ant-(?:api|admin|oat)\d{2}-[A-Za-z0-9_\-]{60,120})",
        context: &[],
        mixed: false,
    },
    KeyKind {
        service: "openai",
        label: "OpenAI API key",
        prefix: "sk-",
        pattern: r"\b(sk-(?:proj|svcacct|admin|None)-[A-Za-z0-9_\-]{40,200})",
        context: &[],
        mixed: true,
    },
    KeyKind {
        service: "openai",
        label: "OpenAI API key",
        prefix: "sk-",
        pattern: r"\b(sk-[A-Za-z0-9]{32,64})\b",
        context: &[],
        mixed: true,
    },
    KeyKind {
        service: "huggingface",
        label: "Hugging Face token",
        prefix: "hf_",
        pattern: r"\b(hf_[A-Za-z0-9]{34,40})\b",
        context: &[],
        mixed: false,
    },
    KeyKind {
        service: "google-ai",
        label: "Google AI (Gemini) API key",
        prefix: "AIza",
        pattern: r"\b(AIza[0-9A-Za-z_\-]{35})",
        context: &[
            "gemini",
            "generativeai",
            "genai",
            "generativelanguage",
            "vertex",
        ],
        mixed: false,
    },
    KeyKind {
        service: "replicate",
        label: "Replicate API token",
        prefix: "r8_",
        pattern: r"\b(r8_[A-Za-z0-9]{37})\b",
        context: &[],
        mixed: false,
    },
    KeyKind {
        service: "groq",
        label: "Groq API key",
        prefix: "gsk_",
        pattern: r"\b(gsk_[A-Za-z0-9]{52})\b",
        context: &[],
        mixed: false,
    },
    KeyKind {
        service: "cohere",
        label: "Cohere API key",
        prefix: "",
        pattern: r#"(?i)(?:cohere[_a-z]*key|co_api_key|cohere\.Client(?:V2)?\(\s*(?:api_key\s*=\s*)?)\s*[:=]?\s*["']?([A-Za-z0-9]{40})\b"#,
        context: &[],
        mixed: true,
    },
    KeyKind {
        service: "azure-openai",
        label: "Azure OpenAI key",
        prefix: "",
        pattern: r#"(?i)azure_openai_(?:api_)?key\s*[:=]\s*["']?([A-Za-z0-9]{32,88})\b"#,
        context: &[],
        mixed: false,
    },
    KeyKind {
        service: "mistral",
        label: "Mistral API key",
        prefix: "",
        pattern: r#"(?i)mistral_api_key\s*[:=]\s*["']?([A-Za-z0-9]{32})\b"#,
        context: &[],
        mixed: true,
    },
];

fn compiled() -> &'static [(usize, Regex)] {
    static RE: OnceLock<Vec<(usize, Regex)>> = OnceLock::new();
    RE.get_or_init(|| {
        KINDS
            .iter()
            .enumerate()
            .filter_map(|(i, k)| Regex::new(k.pattern).ok().map(|r| (i, r)))
            .collect()
    })
}

/// The masked form of a key: the public prefix, an ellipsis and the last four
/// characters (`sk-…abcd`); just `…abcd` when there is no public prefix. Keys shorter
/// than 16 characters show only the prefix.
pub fn mask(key: &str, prefix: &str) -> String {
    let shown_prefix = if key.starts_with(prefix) { prefix } else { "" };
    let chars: Vec<char> = key.chars().collect();
    if chars.len() < 16 {
        return format!("{shown_prefix}…");
    }
    let tail: String = chars.iter().skip(chars.len() - 4).collect();
    format!("{shown_prefix}…{tail}")
}

fn placeholder(key: &str) -> bool {
    let l = key.to_ascii_lowercase();
    [
        "xxxx",
        "your",
        "example",
        "dummy",
        "placeholder",
        "redacted",
        "changeme",
        "0000",
        "1234",
    ]
    .iter()
    .any(|w| l.contains(w))
        || {
            let body: Vec<char> = key.chars().skip(4).collect();
            let distinct: std::collections::HashSet<&char> = body.iter().collect();
            distinct.len() < 8
        }
}

fn is_mixed(key: &str) -> bool {
    key.chars().any(|c| c.is_ascii_uppercase())
        && key.chars().any(|c| c.is_ascii_lowercase())
        && key.chars().any(|c| c.is_ascii_digit())
}

/// Finds keys in `text` (a file, or a notebook cell named `member`); records one
/// `api-key-usage` asset and one `AS003` finding per key.
pub fn scan(path: &str, text: &str, member: Option<&str>, sink: &mut Sink) {
    let lower = text.to_ascii_lowercase();
    let mut seen: Vec<(usize, usize)> = Vec::new();
    for (i, re) in compiled() {
        let Some(kind) = KINDS.get(*i) else { continue };
        if !kind.context.is_empty() && !kind.context.iter().any(|c| lower.contains(c)) {
            continue;
        }
        for cap in re.captures_iter(text) {
            let Some(m) = cap.get(1) else { continue };
            let key = m.as_str();
            if placeholder(key) || (kind.mixed && !is_mixed(key)) {
                continue;
            }
            if seen.iter().any(|(s, e)| m.start() < *e && *s < m.end()) {
                continue;
            }
            seen.push((m.start(), m.end()));
            let masked = mask(key, kind.prefix);
            let line = line_of(text.as_bytes(), m.start());
            let (loc, line_opt) = match member {
                Some(c) => (format!("{path}#{c}"), None),
                None => (format!("{path}:{line}"), Some(line)),
            };
            let asset = DiscoveredAsset::new(AssetKind::ApiKeyUsage, kind.label, loc)
                .fact("service", kind.service)
                .fact("key", masked.clone());
            sink.assets.push(asset);
            let mut f = AiApiKeyHardcoded::finding(
                format!("{} hard-coded in the file", kind.label),
                Some(masked),
            );
            f.member = member.map(str::to_string);
            sink.finding(path, line_opt, f);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Builds a key-shaped string at run time so no key literal is in the source.
    fn fake(prefix: &str, body_len: usize) -> String {
        let alphabet = "aB3dE5gH7jK9mN2pQ4sT6vW8yZ";
        let body: String = alphabet.chars().cycle().take(body_len).collect();
        format!("{prefix}{body}")
    }

    #[test]
    fn patterns_compile() {
        assert_eq!(compiled().len(), KINDS.len());
    }

    #[test]
    fn finds_and_masks_keys() {
        let key = fake(&["sk", "-proj-"].concat(), 48);
        let text = format!("import openai\nclient = openai.OpenAI(api_key=\"{key}\")\n");
        let mut sink = Sink::default();
        scan("app.py", &text, None, &mut sink);
        assert_eq!(sink.findings.len(), 1);
        let f = &sink.findings[0];
        assert_eq!(f.line, Some(2));
        let ev = f.finding.evidence.clone().unwrap();
        assert_eq!(ev, format!("sk-…{}", &key[key.len() - 4..]));
        let all = format!("{:?}", (&sink.assets, &sink.findings));
        assert!(!all.contains(&key[6..]), "the key leaked: {all}");
    }

    #[test]
    fn skips_placeholders_and_context_free_google_keys() {
        let mut sink = Sink::default();
        let text = format!(
            "OPENAI_API_KEY=sk-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\nMAPS={}\n",
            fake("AIza", 35)
        );
        scan(".env", &text, None, &mut sink);
        assert!(sink.findings.is_empty(), "{:?}", sink.findings);
    }

    #[test]
    fn masks() {
        assert_eq!(mask("hf_abcdefghijklmnopqrstuvwxyz", "hf_"), "hf_…wxyz");
        assert_eq!(mask("short", "sk-"), "…");
        assert_eq!(mask("0123456789abcdef0123", ""), "…0123");
    }
}
