//! Model files, recognised by content: the first 4 KiB are sniffed ([`crate::sniff`]); zip
//! archives are told apart by their member names (PyTorch, Keras, NumPy `.npz`, or not a
//! model). For model files the header is read for what it tells — safetensors tensor
//! count, parameter count and dtypes; GGUF `general.*` metadata, architecture and
//! quantisation; ONNX producer, IR version and opsets; NumPy dtype and shape — in the same
//! pass that hashes the file (unless hashing is off).

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, Read, Seek};
use std::path::Path;

use airm_core::AssetKind;
use airm_formats::{gguf, hdf5, npy, onnx, tensorflow};
use serde_json::Value;

use super::{cards, DiscoverOptions, DiscoveredAsset, Sink};
use crate::hash::HashingReader;
use crate::report::Format;
use crate::sniff::{sniff, SNIFF_LEN};

/// Largest safetensors header parsed for metadata.
const MAX_ST_HEADER: u64 = 16 * 1024 * 1024;
/// Most zip members whose names are looked at.
const MAX_ZIP_NAMES: usize = 10_000;

/// Names of GGUF `general.file_type` values (llama.cpp `LLAMA_FTYPE_*`).
fn gguf_file_type(v: &str) -> Option<&'static str> {
    Some(match v.parse::<u32>().ok()? {
        0 => "F32",
        1 => "F16",
        2 => "Q4_0",
        3 => "Q4_1",
        7 => "Q8_0",
        8 => "Q5_0",
        9 => "Q5_1",
        10 => "Q2_K",
        11 => "Q3_K_S",
        12 => "Q3_K_M",
        13 => "Q3_K_L",
        14 => "Q4_K_S",
        15 => "Q4_K_M",
        16 => "Q5_K_S",
        17 => "Q5_K_M",
        18 => "Q6_K",
        19 => "IQ2_XXS",
        20 => "IQ2_XS",
        24 => "IQ1_S",
        25 => "IQ4_NL",
        26 => "IQ3_S",
        28 => "IQ4_XS",
        30 => "IQ1_M",
        32 => "BF16",
        _ => return None,
    })
}

/// The model format of a zip archive from its member names, if it is a model.
fn zip_format(file: &mut File) -> Option<Format> {
    file.rewind().ok()?;
    let z = zip::ZipArchive::new(&mut *file).ok()?;
    let mut npy = 0usize;
    let mut total = 0usize;
    let mut keras_cfg = false;
    let mut keras_weights = false;
    for name in z.file_names().take(MAX_ZIP_NAMES) {
        total += 1;
        if name.ends_with("data.pkl") || name.ends_with("/version") && name.contains("archive") {
            return Some(Format::PytorchZip);
        }
        if name.ends_with(".npy") {
            npy += 1;
        }
        if name == "config.json" || name == "metadata.json" {
            keras_cfg = true;
        }
        if name == "model.weights.h5" {
            keras_weights = true;
        }
    }
    if keras_cfg && keras_weights {
        Some(Format::Keras)
    } else if total > 0 && npy == total {
        Some(Format::NumpyZip)
    } else {
        None
    }
}

/// Sniffs a file from its first bytes (`head`, already read) and, if it is a model,
/// records it.
pub fn visit(
    path: &Path,
    mut file: File,
    head: &[u8],
    size: u64,
    opts: &DiscoverOptions,
    sink: &mut Sink,
) -> io::Result<()> {
    let head = head.get(..SNIFF_LEN.min(head.len())).unwrap_or(head);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let lower = name.to_ascii_lowercase();
    let mut format = sniff(head, size);
    match format {
        Format::Unknown | Format::Tar | Format::Compressed => return Ok(()),
        Format::Zip => match zip_format(&mut file) {
            Some(f) => format = f,
            None => return Ok(()),
        },
        Format::Onnx if lower == "saved_model.pb" || lower.ends_with(".pb") => {
            format = Format::Tensorflow;
        }
        _ => {}
    }
    file.rewind()?;
    let mut facts = BTreeMap::new();
    let (hashes, read) = if opts.hash_models {
        let mut hr = HashingReader::new(file);
        header_facts(format, &mut hr, size, &mut facts);
        let (b3, sha, n) = hr.finish()?;
        (Some((b3, sha)), n)
    } else {
        let mut r = file.take(size);
        header_facts(format, &mut r, size, &mut facts);
        (None, 0)
    };
    sink.stats.bytes_read += read;
    let shown_format = match format {
        Format::Pickle if lower.ends_with(".joblib") => "joblib".to_string(),
        f => f.as_str().to_string(),
    };
    let display = if lower == "saved_model.pb" {
        path.parent()
            .and_then(|p| p.file_name())
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or(name)
    } else {
        name
    };
    let mut a = DiscoveredAsset::new(AssetKind::Model, display, path.to_string_lossy());
    a.format = Some(shown_format);
    a.size = Some(size);
    if let Some((b3, sha)) = hashes {
        a.blake3 = Some(b3);
        a.sha256 = Some(sha);
    }
    a.provenance = cards::hub_provenance(path).unwrap_or_default();
    if let Some(Value::String(l)) = facts.remove("license") {
        a.provenance.license = Some(l);
    }
    a.facts = facts;
    sink.assets.push(a);
    Ok(())
}

/// Reads what the header of a `format` file tells into `facts` (best effort: a damaged
/// header leaves facts out; the model-file rules report damage).
fn header_facts(format: Format, r: &mut dyn Read, size: u64, facts: &mut BTreeMap<String, Value>) {
    match format {
        Format::Safetensors => safetensors_facts(r, size, facts),
        Format::Gguf => {
            if let Ok(info) = gguf::read_gguf(r) {
                facts.insert("gguf_version".into(), Value::from(info.version));
                facts.insert("tensors".into(), Value::from(info.tensor_count));
                let mut meta = serde_json::Map::new();
                for (k, v) in &info.metadata {
                    match k.as_str() {
                        "general.architecture" => {
                            facts.insert("architecture".into(), Value::String(v.clone()));
                        }
                        "general.license" => {
                            facts.insert("license".into(), Value::String(v.clone()));
                        }
                        "general.file_type" => {
                            if let Some(q) = gguf_file_type(v) {
                                facts.insert("quantisation".into(), Value::String(q.into()));
                            }
                        }
                        "general.size_label" => {
                            facts.insert("size_label".into(), Value::String(v.clone()));
                        }
                        _ => {}
                    }
                    meta.insert(k.clone(), Value::String(v.clone()));
                }
                if !meta.is_empty() {
                    facts.insert("gguf_metadata".into(), Value::Object(meta));
                }
            }
        }
        Format::Hdf5 => {
            let Ok(head) = crate::scan::read_up_to(r, 1 << 20) else {
                return;
            };
            if let Ok(root) = hdf5::read_root_attributes(&head) {
                for (attr, fact) in [("keras_version", "keras_version"), ("backend", "backend")] {
                    if let Some(t) = root.get(attr).and_then(|a| a.text.as_deref()) {
                        let t = String::from_utf8_lossy(t);
                        facts.insert(fact.into(), Value::String(crate::report::clip(&t, 40)));
                    }
                }
                facts.insert(
                    "keras_model_config".into(),
                    Value::Bool(root.get("model_config").is_some()),
                );
            }
        }
        Format::Tensorflow => {
            let Ok(first) = crate::scan::read_up_to(r, SNIFF_LEN) else {
                return;
            };
            if let Some(kind) = tensorflow::graph_kind(&first) {
                let (info, _) = tensorflow::read_graph(&mut (&first[..]).chain(r), kind);
                if let Some(v) = info.tensorflow_version.filter(|v| !v.is_empty()) {
                    facts.insert(
                        "tensorflow_version".into(),
                        Value::String(crate::report::clip(&v, 40)),
                    );
                }
                if !info.tags.is_empty() {
                    facts.insert("tags".into(), Value::from(info.tags));
                }
                facts.insert("nodes".into(), Value::from(info.nodes));
                facts.insert("functions".into(), Value::from(info.functions));
            }
        }
        Format::Onnx => {
            if let Ok(info) = onnx::read_onnx(r) {
                if let Some(v) = info.ir_version {
                    facts.insert("onnx_ir_version".into(), Value::from(v));
                }
                if let Some(p) = info.producer_name {
                    let p = match info.producer_version {
                        Some(v) if !v.is_empty() => format!("{p} {v}"),
                        _ => p,
                    };
                    facts.insert(
                        "producer".into(),
                        Value::String(crate::report::clip(&p, 120)),
                    );
                }
                let opsets: serde_json::Map<String, Value> = info
                    .opsets
                    .iter()
                    .map(|(d, v)| {
                        let d = if d.is_empty() { "ai.onnx" } else { d.as_str() };
                        (d.to_string(), Value::from(*v))
                    })
                    .collect();
                if !opsets.is_empty() {
                    facts.insert("opsets".into(), Value::Object(opsets));
                }
                facts.insert("nodes".into(), Value::from(info.nodes));
            }
        }
        Format::Numpy => {
            if let Ok(h) = npy::read_npy_header(r) {
                facts.insert(
                    "numpy_header".into(),
                    Value::String(crate::report::clip(h.dict.trim(), 120)),
                );
            }
        }
        _ => {}
    }
}

fn safetensors_facts(r: &mut dyn Read, size: u64, facts: &mut BTreeMap<String, Value>) {
    let mut n = [0u8; 8];
    if r.read_exact(&mut n).is_err() {
        return;
    }
    let n = u64::from_le_bytes(n);
    if n > MAX_ST_HEADER || n.saturating_add(8) > size {
        return;
    }
    let mut h = Vec::new();
    if r.take(n).read_to_end(&mut h).is_err() {
        return;
    }
    let Ok(Value::Object(m)) = serde_json::from_slice::<Value>(&h) else {
        return;
    };
    let mut tensors = 0u64;
    let mut params: u64 = 0;
    let mut dtypes: Vec<String> = Vec::new();
    for (k, v) in &m {
        if k == "__metadata__" {
            if let Value::Object(meta) = v {
                let kept: serde_json::Map<String, Value> = meta
                    .iter()
                    .take(16)
                    .map(|(k, v)| {
                        let s = v
                            .as_str()
                            .map(str::to_string)
                            .unwrap_or_else(|| v.to_string());
                        (
                            crate::report::clip(k, 60),
                            Value::String(crate::report::clip(&s, 120)),
                        )
                    })
                    .collect();
                facts.insert("safetensors_metadata".into(), Value::Object(kept));
            }
            continue;
        }
        tensors += 1;
        if let Some(d) = v.get("dtype").and_then(|d| d.as_str()) {
            if !dtypes.iter().any(|x| x == d) && dtypes.len() < 16 {
                dtypes.push(d.to_string());
            }
        }
        let count = v
            .get("shape")
            .and_then(|s| s.as_array())
            .map(|s| {
                s.iter()
                    .try_fold(1u64, |acc, d| acc.checked_mul(d.as_u64().unwrap_or(0)))
                    .unwrap_or(0)
            })
            .unwrap_or(0);
        params = params.saturating_add(count);
    }
    dtypes.sort();
    facts.insert("tensors".into(), Value::from(tensors));
    facts.insert("parameters".into(), Value::from(params));
    facts.insert(
        "dtypes".into(),
        Value::Array(dtypes.into_iter().map(Value::String).collect()),
    );
}
