//! The AI-BOM: strict validation against the official CycloneDX 1.6 schema (copied into
//! `tests/fixtures/cyclonedx/`, no network), a round trip through typed parsing, and
//! deterministic output.

use std::path::Path;

use airm_scan::bom::{cyclonedx, valid_serial, BomOptions, SpecVersion};
use airm_scan::discover::{discover, DiscoverOptions};
use serde::Deserialize;
use serde_json::Value;

use crate::discover::ai_tree;

fn schema_file(name: &str) -> Value {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/cyclonedx")
        .join(name);
    serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
}

/// Serves the schemas the BOM schema refers to from the fixtures; nothing else.
struct LocalSchemas;

impl jsonschema::Retrieve for LocalSchemas {
    fn retrieve(
        &self,
        uri: &jsonschema::Uri<String>,
    ) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        let name = uri
            .as_str()
            .strip_prefix("http://cyclonedx.org/schema/")
            .filter(|n| {
                [
                    "spdx.SNAPSHOT.schema.json",
                    "jsf-0.82.SNAPSHOT.schema.json",
                    "cryptography-defs.SNAPSHOT.schema.json",
                ]
                .contains(n)
            })
            .ok_or_else(|| format!("no local copy of {uri}"))?;
        Ok(schema_file(name))
    }
}

fn validator_for(schema: &str) -> jsonschema::Validator {
    jsonschema::options()
        .should_validate_formats(true)
        .with_retriever(LocalSchemas)
        .build(&schema_file(schema))
        .unwrap()
}

fn validator() -> jsonschema::Validator {
    validator_for("bom-1.6.SNAPSHOT.schema.json")
}

fn options() -> BomOptions {
    BomOptions {
        root_name: "ai-project".into(),
        root_kind: "path",
        timestamp: "2026-01-02T03:04:05Z".into(),
        serial: None,
        spec: SpecVersion::V1_6,
        tool_version: "0.0.0-test".into(),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[allow(dead_code)]
struct Bom {
    bom_format: String,
    spec_version: String,
    serial_number: String,
    version: u32,
    metadata: Value,
    components: Vec<Component>,
    services: Vec<Value>,
    dependencies: Vec<Dependency>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct Component {
    #[serde(rename = "type")]
    ty: String,
    #[serde(rename = "bom-ref")]
    bom_ref: String,
    name: String,
    #[serde(default)]
    hashes: Vec<Hash>,
    #[serde(rename = "modelCard")]
    model_card: Option<Value>,
    purl: Option<String>,
    #[serde(flatten)]
    rest: serde_json::Map<String, Value>,
}

#[derive(Deserialize)]
struct Hash {
    alg: String,
    content: String,
}

#[derive(Deserialize)]
struct Dependency {
    #[serde(rename = "ref")]
    r: String,
    #[serde(rename = "dependsOn")]
    depends_on: Vec<String>,
}

#[test]
fn ai_bom_validates_round_trips_and_is_deterministic() {
    let t = ai_tree();
    let d = discover(std::slice::from_ref(&t.root), &DiscoverOptions::default());
    let bom = cyclonedx(&d.assets, &options());

    let v = validator();
    let errors: Vec<String> = v
        .iter_errors(&bom)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");

    // Round trip through typed parsing.
    let text = serde_json::to_string_pretty(&bom).unwrap();
    let parsed: Bom = serde_json::from_str(&text).unwrap();
    assert_eq!(parsed.bom_format, "CycloneDX");
    assert_eq!(parsed.spec_version, "1.6");
    assert!(valid_serial(&parsed.serial_number));
    assert_eq!(
        serde_json::to_value(serde_json::from_str::<Value>(&text).unwrap()).unwrap(),
        bom
    );
    let refs: Vec<&str> = parsed
        .components
        .iter()
        .map(|c| c.bom_ref.as_str())
        .chain(parsed.services.iter().filter_map(|s| s["bom-ref"].as_str()))
        .chain(std::iter::once("path:ai-project"))
        .collect();
    for dep in &parsed.dependencies {
        assert!(refs.contains(&dep.r.as_str()), "{}", dep.r);
        for on in &dep.depends_on {
            assert!(refs.contains(&on.as_str()), "{on}");
        }
    }
    // Every file component has a SHA-256.
    for c in &parsed.components {
        let is_file = c
            .rest
            .get("properties")
            .and_then(|p| p.as_array())
            .into_iter()
            .flatten()
            .any(|p| {
                p["name"] == "airm:location" && !p["value"].as_str().unwrap_or("").contains(':')
            });
        if is_file && c.name != "train" {
            assert!(
                c.hashes
                    .iter()
                    .any(|h| h.alg == "SHA-256" && h.content.len() == 64),
                "{} has no SHA-256",
                c.bom_ref
            );
        }
    }
    // Models with cards: modelCard with architecture and dataset references.
    let sentiment = parsed
        .components
        .iter()
        .find(|c| {
            c.ty == "machine-learning-model"
                && c.model_card.as_ref().is_some_and(|m| {
                    m["modelParameters"]["modelArchitecture"]
                        == "DistilBertForSequenceClassification"
                })
        })
        .expect("the sentiment model with its card");
    let ds = &sentiment.model_card.as_ref().unwrap()["modelParameters"]["datasets"][0]["ref"];
    assert_eq!(ds, "dataset:huggingface:datasets/stanfordnlp/imdb");
    assert!(parsed.dependencies.iter().any(
        |d| d.r == sentiment.bom_ref && d.depends_on == vec![ds.as_str().unwrap().to_string()]
    ));
    assert!(parsed
        .components
        .iter()
        .any(|c| c.purl.as_deref() == Some("pkg:pypi/torch@2.3.1")));
    assert_eq!(parsed.services.len(), 2);
    // No key, masked or not, is part of a BOM.
    assert!(!text.contains("api-key-usage"));

    // Deterministic: a second walk with other threads gives the same bytes.
    let d2 = discover(
        std::slice::from_ref(&t.root),
        &DiscoverOptions {
            threads: 1,
            ..DiscoverOptions::default()
        },
    );
    assert_eq!(cyclonedx(&d2.assets, &options()), bom);
    // The serial is overridable and changes with the timestamp otherwise.
    let mut o = options();
    o.timestamp = "2026-01-02T03:04:06Z".into();
    assert_ne!(
        cyclonedx(&d.assets, &o)["serialNumber"],
        bom["serialNumber"]
    );
    o.serial = Some("urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79".into());
    assert_eq!(
        cyclonedx(&d.assets, &o)["serialNumber"],
        "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79"
    );
}

#[test]
fn version_1_7_validates_too() {
    let t = ai_tree();
    let d = discover(std::slice::from_ref(&t.root), &DiscoverOptions::default());
    let mut o = options();
    o.spec = SpecVersion::V1_7;
    let bom = cyclonedx(&d.assets, &o);
    assert_eq!(bom["specVersion"], "1.7");
    let v = validator_for("bom-1.7.SNAPSHOT.schema.json");
    let errors: Vec<String> = v
        .iter_errors(&bom)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
}

#[test]
fn the_validator_rejects_an_invalid_bom() {
    let t = ai_tree();
    let d = discover(std::slice::from_ref(&t.root), &DiscoverOptions::default());
    let mut bom = cyclonedx(&d.assets, &options());
    bom["components"][0]["type"] = "neural-network".into();
    assert!(!validator().is_valid(&bom));
    let mut bom = cyclonedx(&d.assets, &options());
    bom["unexpected"] = true.into();
    assert!(!validator().is_valid(&bom));
}
