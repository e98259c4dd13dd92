//! Jupyter notebooks (`.ipynb`): the code cells go through the code and key detectors
//! (imports, hub downloads, keys; findings name the cell), the saved outputs through the
//! key detector and a personal-data sampler (`AS004`). A notebook becomes a `notebook`
//! asset when it uses AI or carries such findings; other notebooks are not AI assets.

use airm_core::AssetKind;
use serde_json::Value;

use super::datasets::value_category;
use super::route::Lang;
use super::{code, secrets, text, DiscoveredAsset, Sink};
use crate::rules::NotebookOutputPersonalData;

/// Most cells looked at.
const MAX_CELLS: usize = 10_000;

fn joined(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(a)) => a.iter().filter_map(|x| x.as_str()).collect::<String>(),
        _ => String::new(),
    }
}

/// Text of one output: stream text, `text/plain` and `text/html` data, error tracebacks.
fn output_text(o: &Value) -> String {
    let mut s = joined(o.get("text"));
    if let Some(d) = o.get("data") {
        for mime in [
            "text/plain",
            "text/html",
            "text/markdown",
            "application/json",
        ] {
            match d.get(mime) {
                Some(Value::Object(_)) => {
                    if let Some(v) = d.get(mime) {
                        s.push_str(&v.to_string());
                    }
                }
                other => s.push_str(&joined(other)),
            }
            s.push('\n');
        }
    }
    s.push_str(&joined(o.get("traceback")));
    s
}

/// Reads one notebook.
pub fn visit(shown: &str, data: &[u8], sink: &mut Sink) {
    let Ok(nb) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    let Some(cells) = nb.get("cells").and_then(|c| c.as_array()) else {
        return;
    };
    let before_assets = sink.assets.len();
    let before_findings = sink.findings.len();
    let mut code_cells = 0u64;
    let mut pii: Vec<(String, &'static str)> = Vec::new();
    for (i, cell) in cells.iter().take(MAX_CELLS).enumerate() {
        let member = format!("cell {}", i + 1);
        let src = joined(cell.get("source"));
        if cell.get("cell_type").and_then(|t| t.as_str()) == Some("code") {
            code_cells += 1;
            if text::interesting(src.as_bytes(), &mut sink.lower) {
                secrets::scan(shown, &src, Some(&member), sink);
                code::scan(shown, &src, Lang::Python, Some(&member), sink);
            }
        }
        for o in cell
            .get("outputs")
            .and_then(|o| o.as_array())
            .into_iter()
            .flatten()
        {
            let out = output_text(o);
            if text::interesting(out.as_bytes(), &mut sink.lower) {
                secrets::scan(shown, &out, Some(&format!("{member} output")), sink);
            }
            for token in out.split(|c: char| {
                c.is_whitespace() || matches!(c, ',' | '|' | '"' | '\'' | '<' | '>' | ';')
            }) {
                if let Some(cat) =
                    value_category(token.trim_matches(|c: char| c == '.' || c == ')' || c == '('))
                {
                    if !pii.iter().any(|(m, c)| *m == member && *c == cat) {
                        pii.push((member.clone(), cat));
                    }
                }
            }
        }
    }
    for (member, cat) in &pii {
        let mut f = NotebookOutputPersonalData::finding(
            format!("saved output of {member} contains what looks like {cat} data"),
            Some((*cat).to_string()),
        );
        f.member = Some(format!("{member} output"));
        sink.finding(shown, None, f);
    }
    let found_ai = sink.assets.len() > before_assets || sink.findings.len() > before_findings;
    if !found_ai {
        return;
    }
    let imports: Vec<Value> = sink
        .assets
        .get(before_assets..)
        .unwrap_or(&[])
        .iter()
        .filter(|a| matches!(a.kind, AssetKind::Library | AssetKind::AiService))
        .map(|a| Value::String(a.name.clone()))
        .collect();
    let loads: Vec<Value> = sink
        .assets
        .get(before_assets..)
        .unwrap_or(&[])
        .iter()
        .filter(|a| a.kind == AssetKind::Model)
        .map(|a| Value::String(a.name.clone()))
        .collect();
    let name = std::path::Path::new(shown)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| shown.to_string());
    let mut a = DiscoveredAsset::new(AssetKind::Notebook, name, shown)
        .fact("cells", cells.len())
        .fact("code_cells", code_cells)
        .fact("ai_imports", imports)
        .fact("model_loads", loads);
    if !pii.is_empty() {
        a.facts
            .insert("outputs_with_personal_data".into(), Value::from(pii.len()));
    }
    a.format = Some("ipynb".into());
    a.size = Some(data.len() as u64);
    {
        let (b3, sha) = super::hash_bytes(data);
        a.blake3 = Some(b3);
        a.sha256 = Some(sha);
    }
    sink.assets.push(a);
}
