//! The AI-BOM: CycloneDX 1.6 JSON (or 1.7) from discovered or stored assets. Models are
//! `machine-learning-model` components with a `modelCard` (architecture, task, datasets
//! referenced as `data` components, considerations), datasets are `data` components
//! (with the personal data found in them), AI packages `library` components with purls,
//! notebooks `file` components, AI infrastructure `platform` components, hosted AI APIs
//! `services`; every file component carries its SHA-256 (and BLAKE3). The dependency graph
//! links the root (a system or the scanned path) to its components and each model to the
//! datasets its card names. Keys (`api-key-usage` assets) are not part of a BOM.
//!
//! Output is deterministic: components, services, properties and dependencies are sorted,
//! and the serial number is derived from the content and the timestamp unless given.

use std::collections::BTreeSet;

use airm_core::AssetKind;
use serde_json::{json, Map, Value};

use crate::discover::DiscoveredAsset;

/// CycloneDX versions airm writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpecVersion {
    /// 1.6 (the default).
    V1_6,
    /// 1.7.
    V1_7,
}

impl SpecVersion {
    /// `1.6` or `1.7`.
    pub fn as_str(self) -> &'static str {
        match self {
            SpecVersion::V1_6 => "1.6",
            SpecVersion::V1_7 => "1.7",
        }
    }
}

/// What the BOM is about and how to stamp it.
#[derive(Debug, Clone)]
pub struct BomOptions {
    /// Name of the root component (a system's name, or the scanned path).
    pub root_name: String,
    /// Kind of root: `system` or `path`.
    pub root_kind: &'static str,
    /// RFC 3339 timestamp for `metadata.timestamp`.
    pub timestamp: String,
    /// `urn:uuid:…`; derived from the content and timestamp when `None`.
    pub serial: Option<String>,
    /// Spec version.
    pub spec: SpecVersion,
    /// airm's version, for `metadata.tools`.
    pub tool_version: String,
}

/// SPDX ids for the licence spellings model cards use (lower case); others become names.
const SPDX: &[(&str, &str)] = &[
    ("apache-2.0", "Apache-2.0"),
    ("mit", "MIT"),
    ("bsd-2-clause", "BSD-2-Clause"),
    ("bsd-3-clause", "BSD-3-Clause"),
    ("cc0-1.0", "CC0-1.0"),
    ("cc-by-4.0", "CC-BY-4.0"),
    ("cc-by-sa-4.0", "CC-BY-SA-4.0"),
    ("cc-by-nc-4.0", "CC-BY-NC-4.0"),
    ("cc-by-nc-sa-4.0", "CC-BY-NC-SA-4.0"),
    ("gpl-2.0", "GPL-2.0-only"),
    ("gpl-3.0", "GPL-3.0-only"),
    ("lgpl-3.0", "LGPL-3.0-only"),
    ("agpl-3.0", "AGPL-3.0-only"),
    ("mpl-2.0", "MPL-2.0"),
    ("unlicense", "Unlicense"),
    ("openrail", "OpenRAIL"),
    ("afl-3.0", "AFL-3.0"),
    ("bsl-1.0", "BSL-1.0"),
    ("wtfpl", "WTFPL"),
];

fn license(l: &str) -> Value {
    match SPDX.iter().find(|(k, _)| k.eq_ignore_ascii_case(l.trim())) {
        Some((_, id)) => json!([{"license": {"id": id}}]),
        None => json!([{"license": {"name": l}}]),
    }
}

fn bom_ref(a: &DiscoveredAsset) -> String {
    format!("{}:{}", a.kind, a.location)
}

fn hashes(a: &DiscoveredAsset) -> Option<Value> {
    let mut h = Vec::new();
    if let Some(s) = &a.sha256 {
        h.push(json!({"alg": "SHA-256", "content": s}));
    }
    if let Some(b) = &a.blake3 {
        h.push(json!({"alg": "BLAKE3", "content": b}));
    }
    (!h.is_empty()).then_some(Value::Array(h))
}

/// Facts as sorted `airm:` properties (values as text).
fn properties(a: &DiscoveredAsset, skip: &[&str]) -> Vec<Value> {
    let mut props: Vec<Value> = a
        .facts
        .iter()
        .filter(|(k, _)| !skip.contains(&k.as_str()))
        .map(|(k, v)| {
            let text = match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            json!({"name": format!("airm:{k}"), "value": text})
        })
        .collect();
    if let Some(src) = &a.provenance.source {
        props.push(json!({"name": "airm:source", "value": src}));
    }
    if let Some(rev) = &a.provenance.revision {
        props.push(json!({"name": "airm:revision", "value": rev}));
    }
    props.push(json!({"name": "airm:location", "value": a.location}));
    props.sort_by(|x, y| x["name"].as_str().cmp(&y["name"].as_str()));
    props
}

fn str_list(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|x| x.as_str().map(str::to_string))
            .collect(),
        Some(Value::String(s)) => vec![s.clone()],
        _ => Vec::new(),
    }
}

fn first_str(a: &DiscoveredAsset, key: &str) -> Option<String> {
    str_list(a.facts.get(key)).into_iter().next()
}

/// A `data` component for a dataset a model card names (hub id or free text).
fn referenced_dataset(name: &str) -> (String, Value) {
    let r = format!("dataset:huggingface:datasets/{name}");
    let c = json!({
        "type": "data",
        "bom-ref": r,
        "name": name,
        "data": [{"type": "dataset", "name": name}],
        "externalReferences": [{"type": "distribution", "url": format!("https://huggingface.co/datasets/{name}")}],
    });
    (r, c)
}

fn model_component(
    a: &DiscoveredAsset,
    extra: &mut Vec<Value>,
    deps: &mut Vec<(String, Vec<String>)>,
) -> Value {
    let r = bom_ref(a);
    let mut c = Map::new();
    c.insert("type".into(), json!("machine-learning-model"));
    c.insert("bom-ref".into(), json!(r));
    c.insert("name".into(), json!(a.name));
    if let Some(rev) = &a.provenance.revision {
        c.insert("version".into(), json!(rev));
    }
    if let Some(h) = hashes(a) {
        c.insert("hashes".into(), h);
    }
    if let Some(l) = &a.provenance.license {
        c.insert("licenses".into(), license(l));
    }
    if let Some(id) = a
        .provenance
        .source
        .as_deref()
        .and_then(|s| s.strip_prefix("huggingface:"))
    {
        c.insert(
            "externalReferences".into(),
            json!([{"type": "distribution", "url": format!("https://huggingface.co/{id}")}]),
        );
    }
    let mut params = Map::new();
    if let Some(t) = first_str(a, "pipeline_tag") {
        params.insert("task".into(), json!(t));
    }
    if let Some(f) = first_str(a, "model_type").or_else(|| first_str(a, "architecture_family")) {
        params.insert("architectureFamily".into(), json!(f));
    }
    if let Some(arch) = first_str(a, "architecture") {
        params.insert("modelArchitecture".into(), json!(arch));
    }
    let datasets = str_list(a.facts.get("datasets"));
    if !datasets.is_empty() {
        let mut refs = Vec::new();
        for d in &datasets {
            let (dr, comp) = referenced_dataset(d);
            refs.push(json!({"ref": dr}));
            extra.push(comp);
            deps.push((r.clone(), vec![dr]));
        }
        params.insert("datasets".into(), Value::Array(refs));
    }
    let mut card = Map::new();
    if !params.is_empty() {
        card.insert("modelParameters".into(), Value::Object(params));
    }
    let mut limits = Vec::new();
    if let Some(q) = first_str(a, "quantisation") {
        limits.push(format!(
            "Quantised weights ({q}); accuracy may differ from the full-precision model."
        ));
    }
    if a.facts.get("trust_remote_code") == Some(&Value::Bool(true)) {
        limits.push("Loaded with trust_remote_code=True: loading runs Python code from the model repository.".into());
    }
    if a.facts.get("unpinned") == Some(&Value::Bool(true)) {
        limits.push(
            "Downloaded without a pinned commit: the weights can change between runs.".into(),
        );
    }
    if a.provenance.license.is_none() {
        limits.push("Licence unknown.".into());
    }
    if !limits.is_empty() {
        card.insert(
            "considerations".into(),
            json!({"technicalLimitations": limits}),
        );
    }
    if !card.is_empty() {
        c.insert("modelCard".into(), Value::Object(card));
    }
    c.insert(
        "properties".into(),
        Value::Array(properties(a, &["datasets"])),
    );
    Value::Object(c)
}

fn dataset_component(a: &DiscoveredAsset) -> Value {
    let mut data = Map::new();
    data.insert("type".into(), json!("dataset"));
    data.insert("name".into(), json!(a.name));
    if let Some(Value::Array(pii)) = a.facts.get("personal_data") {
        let cols: BTreeSet<String> = pii
            .iter()
            .filter_map(|p| p.get("column").and_then(|c| c.as_str()).map(str::to_string))
            .collect();
        if !cols.is_empty() {
            data.insert("classification".into(), json!("personal data"));
            data.insert(
                "sensitiveData".into(),
                json!(cols.into_iter().collect::<Vec<_>>()),
            );
        }
    }
    let mut c = json!({
        "type": "data",
        "bom-ref": bom_ref(a),
        "name": a.name,
        "data": [Value::Object(data)],
        "properties": properties(a, &[]),
    });
    if let Some(h) = hashes(a) {
        c["hashes"] = h;
    }
    if let Some(l) = &a.provenance.license {
        c["licenses"] = license(l);
    }
    c
}

fn library_component(a: &DiscoveredAsset) -> Value {
    let mut c = json!({
        "type": "library",
        "bom-ref": bom_ref(a),
        "name": a.name,
        "purl": a.location,
        "properties": properties(a, &["version", "ecosystem"]),
    });
    if let Some(v) = a.facts.get("version").and_then(|v| v.as_str()) {
        c["version"] = json!(v);
    }
    c
}

fn file_component(a: &DiscoveredAsset, ty: &str) -> Value {
    let mut c = json!({
        "type": ty,
        "bom-ref": bom_ref(a),
        "name": a.name,
        "properties": properties(a, &[]),
    });
    if let Some(h) = hashes(a) {
        c["hashes"] = h;
    }
    c
}

fn service(a: &DiscoveredAsset) -> Value {
    json!({
        "bom-ref": bom_ref(a),
        "name": a.name,
        "endpoints": [a.location],
        "properties": properties(a, &[]),
    })
}

/// The BOM input for a stored asset and the facts recorded about it.
pub fn input_of(a: &airm_core::Asset, facts: &Value) -> DiscoveredAsset {
    let hash = |alg: &str| {
        a.hashes
            .iter()
            .find(|h| h.alg == alg)
            .map(|h| h.hex.clone())
    };
    let mut d = DiscoveredAsset::new(a.kind, a.name.clone(), a.location.clone());
    d.format.clone_from(&a.format);
    d.size = a.size;
    d.sha256 = hash("sha256");
    d.blake3 = hash("blake3");
    d.provenance = a.provenance.clone();
    if let Value::Object(m) = facts {
        d.facts = m.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    }
    d
}

/// Builds the BOM of `assets`.
pub fn cyclonedx(assets: &[DiscoveredAsset], o: &BomOptions) -> Value {
    let mut components: Vec<Value> = Vec::new();
    let mut services: Vec<Value> = Vec::new();
    let mut extra: Vec<Value> = Vec::new();
    let mut deps: Vec<(String, Vec<String>)> = Vec::new();
    let mut top: Vec<String> = Vec::new();
    for a in assets {
        let c = match a.kind {
            AssetKind::Model => model_component(a, &mut extra, &mut deps),
            AssetKind::Dataset => dataset_component(a),
            AssetKind::Library => library_component(a),
            AssetKind::Notebook | AssetKind::CodeRepository => file_component(a, "file"),
            AssetKind::Infrastructure | AssetKind::Endpoint => file_component(a, "platform"),
            AssetKind::AiService => {
                services.push(service(a));
                top.push(bom_ref(a));
                continue;
            }
            AssetKind::ApiKeyUsage => continue,
        };
        top.push(bom_ref(a));
        components.push(c);
    }
    // Datasets named by several cards appear once.
    for e in extra {
        let r = e["bom-ref"].clone();
        if !components.iter().any(|c| c["bom-ref"] == r) {
            components.push(e);
        }
    }
    components.sort_by(|a, b| a["bom-ref"].as_str().cmp(&b["bom-ref"].as_str()));
    services.sort_by(|a, b| a["bom-ref"].as_str().cmp(&b["bom-ref"].as_str()));
    let root_ref = format!("{}:{}", o.root_kind, o.root_name);
    top.sort();
    top.dedup();
    let mut graph: Vec<(String, BTreeSet<String>)> =
        vec![(root_ref.clone(), top.into_iter().collect())];
    for (from, to) in deps {
        match graph.iter_mut().find(|(f, _)| *f == from) {
            Some((_, set)) => set.extend(to),
            None => graph.push((from, to.into_iter().collect())),
        }
    }
    // Every component appears in the graph (leaves with no dependencies).
    for c in components.iter().chain(&services) {
        if let Some(r) = c["bom-ref"].as_str() {
            if !graph.iter().any(|(f, _)| f == r) {
                graph.push((r.to_string(), BTreeSet::new()));
            }
        }
    }
    graph.sort_by(|a, b| a.0.cmp(&b.0));
    let dependencies: Vec<Value> = graph
        .into_iter()
        .map(|(r, on)| json!({"ref": r, "dependsOn": on.into_iter().collect::<Vec<_>>()}))
        .collect();
    let mut bom = json!({
        "bomFormat": "CycloneDX",
        "specVersion": o.spec.as_str(),
        "version": 1,
        "metadata": {
            "timestamp": o.timestamp,
            "tools": {"components": [{"type": "application", "name": "airm", "version": o.tool_version}]},
            "component": {"type": "application", "bom-ref": root_ref, "name": o.root_name},
        },
        "components": components,
        "services": services,
        "dependencies": dependencies,
    });
    let serial = o.serial.clone().unwrap_or_else(|| {
        let digest = blake3::hash(bom.to_string().as_bytes());
        uuid_from(digest.as_bytes())
    });
    if let Some(m) = bom.as_object_mut() {
        m.insert("serialNumber".into(), json!(serial));
    }
    bom
}

/// A version-4-shaped UUID URN from the first 16 bytes of a digest.
fn uuid_from(d: &[u8]) -> String {
    let mut b = [0u8; 16];
    for (i, x) in d.iter().take(16).enumerate() {
        if let Some(slot) = b.get_mut(i) {
            *slot = *x;
        }
    }
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    format!(
        "urn:uuid:{}-{}-{}-{}-{}",
        h.get(0..8).unwrap_or(""),
        h.get(8..12).unwrap_or(""),
        h.get(12..16).unwrap_or(""),
        h.get(16..20).unwrap_or(""),
        h.get(20..32).unwrap_or("")
    )
}

/// Whether `s` is a `urn:uuid:` serial number as CycloneDX requires.
pub fn valid_serial(s: &str) -> bool {
    let Some(u) = s.strip_prefix("urn:uuid:") else {
        return false;
    };
    let parts: Vec<&str> = u.split('-').collect();
    parts.iter().map(|p| p.len()).eq([8, 4, 4, 4, 12])
        && parts
            .iter()
            .all(|p| p.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serials() {
        let s = uuid_from(&[0xab; 32]);
        assert!(valid_serial(&s), "{s}");
        assert!(!valid_serial("urn:uuid:nope"));
    }
}
