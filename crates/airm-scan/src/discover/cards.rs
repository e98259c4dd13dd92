//! Model cards and provenance: Hugging Face cache layouts
//! (`models--org--name/snapshots/<rev>/…`), `README.md` model cards with YAML front matter
//! (licence, base model, datasets, pipeline), Hugging Face `config.json` (architecture),
//! and MLflow `MLmodel` files (flavours, run id; `mlruns/` trees). Cards and configs
//! describe the model files in their directory; a card without model files beside it is
//! a `model` asset of its own (format `model-card`).
//!
//! The front matter is read with a small line-based reader of the YAML subset cards use
//! (`key: value`, `key:` followed by `- item` lines, `[a, b]` lists); anything else is
//! ignored, never evaluated.

use std::collections::BTreeMap;
use std::path::Path;

use airm_core::{AssetKind, Provenance};
use serde_json::Value;

use super::{Attachment, DiscoveredAsset, Sink};

/// Longest front matter read, in bytes.
const MAX_FRONT_MATTER: usize = 64 * 1024;

/// Provenance from a Hugging Face cache path: `…/models--org--name/snapshots/<rev>/…`
/// (also `datasets--`).
pub fn hub_provenance(path: &Path) -> Option<Provenance> {
    // Most paths are in no hub cache: one byte search instead of a string per component.
    let bytes = path.as_os_str().as_encoded_bytes();
    if memchr::memmem::find(bytes, b"models--").is_none()
        && memchr::memmem::find(bytes, b"datasets--").is_none()
    {
        return None;
    }
    let comps: Vec<String> = path
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    let i = comps
        .iter()
        .position(|c| c.starts_with("models--") || c.starts_with("datasets--"))?;
    let repo = comps.get(i)?;
    let (prefix, rest) = repo.split_once("--")?;
    let id = rest.replace("--", "/");
    let rev = match (comps.get(i + 1), comps.get(i + 2)) {
        (Some(s), Some(r)) if s == "snapshots" => Some(r.clone()),
        _ => None,
    };
    let kind = if prefix == "datasets" {
        "datasets/"
    } else {
        ""
    };
    Some(Provenance {
        source: Some(format!("huggingface:{kind}{id}")),
        revision: rev,
        license: None,
        signed_by: None,
    })
}

/// A parsed subset of YAML front matter: scalars and lists of scalars at the top level.
fn front_matter(text: &str) -> Option<BTreeMap<String, Vec<String>>> {
    let mut lines = text.lines();
    if lines.next()?.trim_end() != "---" {
        return None;
    }
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut current: Option<String> = None;
    for line in lines {
        if line.trim_end() == "---" || line.trim_end() == "..." {
            return Some(out);
        }
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        let indented = line.starts_with(' ') || line.starts_with('\t');
        let t = line.trim();
        if indented || t.starts_with("- ") {
            if let (Some(k), Some(item)) = (&current, t.strip_prefix("- ")) {
                if !item.contains(": ") {
                    out.entry(k.clone()).or_default().push(unquote(item));
                }
            }
            continue;
        }
        let Some((k, v)) = t.split_once(':') else {
            current = None;
            continue;
        };
        let k = k.trim().to_string();
        let v = v.trim();
        current = Some(k.clone());
        let entry = out.entry(k).or_default();
        if let Some(list) = v.strip_prefix('[').and_then(|x| x.strip_suffix(']')) {
            entry.extend(list.split(',').map(unquote).filter(|s| !s.is_empty()));
        } else if !v.is_empty() {
            entry.push(unquote(v));
        }
    }
    None
}

fn unquote(s: &str) -> String {
    s.trim()
        .trim_matches(|c| c == '"' || c == '\'')
        .trim()
        .to_string()
}

const CARD_KEYS: &[&str] = &[
    "base_model",
    "pipeline_tag",
    "library_name",
    "model-index",
    "model_name",
];

/// A `README.md` or model-card file.
pub fn readme(path: &Path, shown: &str, data: &[u8], sink: &mut Sink) {
    let head = data.get(..data.len().min(MAX_FRONT_MATTER)).unwrap_or(&[]);
    let text = super::text_of(head);
    let Some(fm) = front_matter(&text) else {
        return;
    };
    let hub = hub_provenance(path);
    let is_dataset_card = hub
        .as_ref()
        .and_then(|h| h.source.as_deref())
        .is_some_and(|s| s.starts_with("huggingface:datasets/"));
    // A card says it is about a model with model-card keys, or by living in a hub cache.
    if is_dataset_card || !(CARD_KEYS.iter().any(|k| fm.contains_key(*k)) || hub.is_some()) {
        return;
    }
    let mut prov = hub.unwrap_or_default();
    prov.license = fm.get("license").and_then(|v| v.first()).cloned();
    let mut facts = BTreeMap::new();
    for (key, fact) in [
        ("base_model", "base_model"),
        ("datasets", "datasets"),
        ("pipeline_tag", "pipeline_tag"),
        ("library_name", "library_name"),
        ("language", "languages"),
        ("tags", "tags"),
    ] {
        if let Some(v) = fm.get(key).filter(|v| !v.is_empty()) {
            let list: Vec<Value> = v
                .iter()
                .take(50)
                .map(|s| Value::String(s.clone()))
                .collect();
            facts.insert(fact.to_string(), Value::Array(list));
        }
    }
    facts.insert("model_card".into(), Value::String(shown.to_string()));
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let name = prov
        .source
        .as_deref()
        .and_then(|s| s.strip_prefix("huggingface:"))
        .map(str::to_string)
        .or_else(|| fm.get("model_name").and_then(|v| v.first()).cloned())
        .unwrap_or_else(|| {
            dir.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| shown.to_string())
        });
    let mut card = DiscoveredAsset::new(AssetKind::Model, name, shown);
    card.format = Some("model-card".into());
    card.size = Some(data.len() as u64);
    {
        let (b3, sha) = super::hash_bytes(data);
        card.blake3 = Some(b3);
        card.sha256 = Some(sha);
    }
    card.provenance = prov.clone();
    card.facts = facts.clone();
    sink.assets.push(card);
    sink.attachments.push(Attachment {
        dir,
        provenance: prov,
        facts,
        card_asset: Some(sink.assets.len() - 1),
    });
}

/// A Hugging Face `config.json`: architecture and model type for the weights beside it.
pub fn model_config(path: &Path, data: &[u8], sink: &mut Sink) {
    let Ok(v) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    let arch = v
        .get("architectures")
        .and_then(|a| a.as_array())
        .and_then(|a| a.first())
        .and_then(|a| a.as_str());
    let model_type = v.get("model_type").and_then(|a| a.as_str());
    if arch.is_none() && model_type.is_none() {
        return;
    }
    let mut facts = BTreeMap::new();
    if let Some(a) = arch {
        facts.insert("architecture".into(), Value::String(clip(a)));
    }
    if let Some(t) = model_type {
        facts.insert("model_type".into(), Value::String(clip(t)));
    }
    for key in ["torch_dtype", "quantization_config"] {
        if let Some(x) = v.get(key) {
            let s = match x {
                Value::String(s) => clip(s),
                Value::Object(o) => o
                    .get("quant_method")
                    .and_then(|m| m.as_str())
                    .map(clip)
                    .unwrap_or_else(|| "yes".into()),
                _ => continue,
            };
            let k = if key == "torch_dtype" {
                "dtype"
            } else {
                "quantisation"
            };
            facts.insert(k.into(), Value::String(s));
        }
    }
    sink.attachments.push(Attachment {
        dir: path.parent().map(Path::to_path_buf).unwrap_or_default(),
        provenance: hub_provenance(path).unwrap_or_default(),
        facts,
        card_asset: None,
    });
}

fn clip(s: &str) -> String {
    crate::report::clip(s, 120)
}

/// An MLflow `MLmodel` file: one `model` asset for the logged model directory.
pub fn mlmodel(path: &Path, shown: &str, data: &[u8], sink: &mut Sink) {
    let text = super::text_of(data.get(..data.len().min(MAX_FRONT_MATTER)).unwrap_or(&[]));
    let mut flavors = Vec::new();
    let mut in_flavors = false;
    let mut scalars: BTreeMap<&str, String> = BTreeMap::new();
    for line in text.lines() {
        if !line.starts_with(' ') && !line.starts_with('\t') {
            in_flavors = line.trim_end() == "flavors:";
            if let Some((k, v)) = line.split_once(':') {
                let k = k.trim();
                if let Some(key) = [
                    "run_id",
                    "model_uuid",
                    "artifact_path",
                    "utc_time_created",
                    "mlflow_version",
                ]
                .iter()
                .find(|x| **x == k)
                {
                    scalars.insert(key, unquote(v));
                }
            }
            continue;
        }
        if in_flavors {
            // Flavour names are the keys indented by exactly two spaces.
            if let Some(rest) = line.strip_prefix("  ") {
                if !rest.starts_with(' ') {
                    if let Some((k, _)) = rest.split_once(':') {
                        flavors.push(Value::String(clip(k.trim())));
                    }
                }
            }
        }
    }
    if flavors.is_empty() {
        return;
    }
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "mlflow-model".into());
    let mut a = DiscoveredAsset::new(AssetKind::Model, name, shown).fact("mlflow_flavors", flavors);
    a.format = Some("mlflow-model".into());
    a.size = Some(data.len() as u64);
    {
        let (b3, sha) = super::hash_bytes(data);
        a.blake3 = Some(b3);
        a.sha256 = Some(sha);
    }
    for (k, v) in &scalars {
        a.facts.insert((*k).to_string(), Value::String(clip(v)));
    }
    if shown.contains("mlruns/") || shown.contains("mlruns\\") {
        a.facts.insert("mlruns".into(), Value::Bool(true));
    }
    a.provenance.source = scalars.get("run_id").map(|r| format!("mlflow:run/{r}"));
    sink.assets.push(a);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hub_paths() {
        let p = hub_provenance(Path::new(
            "/home/u/.cache/huggingface/hub/models--acme--tiny-llm/snapshots/abc123/model.safetensors",
        ))
        .unwrap();
        assert_eq!(p.source.as_deref(), Some("huggingface:acme/tiny-llm"));
        assert_eq!(p.revision.as_deref(), Some("abc123"));
        assert!(hub_provenance(Path::new("src/models/x.bin")).is_none());
    }

    #[test]
    fn front_matter_subset() {
        let fm = front_matter(
            "---\nlicense: apache-2.0\nbase_model: acme/base\ndatasets:\n  - imdb\n  - \"squad\"\ntags: [a, b]\nmodel-index:\n  - name: x\n    results: []\n---\n# Model\n",
        )
        .unwrap();
        assert_eq!(fm["license"], vec!["apache-2.0"]);
        assert_eq!(fm["datasets"], vec!["imdb", "squad"]);
        assert_eq!(fm["tags"], vec!["a", "b"]);
        assert!(fm["model-index"].is_empty());
        assert!(front_matter("# Title\n").is_none());
        assert!(front_matter("---\nnever closed: 1\n").is_none());
    }
}
