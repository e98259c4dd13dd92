//! Keras model configs (`config.json` of a `.keras` archive, the `model_config` and
//! `training_config` attributes of a legacy HDF5 file): a bounded JSON parse and a walk
//! over every serialised object — `{"class_name": …, "config": …, "module": …,
//! "registered_name": …}` at any depth, layers inside layers included — that reports
//! `Lambda` layers and lambda functions (marshalled Python code) and references to
//! classes or functions outside Keras's own packages (Keras imports `module` by name when
//! it loads the model, and resolves `registered_name` from the process's registry).
//!
//! JSON is parsed as Python's `json` module does for these purposes: the last of
//! duplicate keys wins, escapes and whitespace are decoded, so a config cannot hide a
//! `Lambda` behind `"Lambd\u0061"` or unusual spacing.

use serde_json::Value;

use crate::FormatError;

/// Largest config parsed (bytes); larger ones are reported as not parsed.
pub const MAX_CONFIG_PARSE: usize = 8 << 20;
const MAX_RECORDS: usize = 200;
const KEEP: usize = 200;

/// Package names of Keras itself and of the Keras team's model libraries.
const KERAS_PACKAGES: &[&str] = &[
    "keras",
    "keras_hub",
    "keras_nlp",
    "keras_cv",
    "tf_keras",
    "tensorflow.keras",
    "tensorflow.python.keras",
];

/// Whether `module` is Keras or one of its packages (`keras.src.layers`, `keras_hub.models`).
pub fn is_keras_module(module: &str) -> bool {
    KERAS_PACKAGES.iter().any(|p| {
        module
            .strip_prefix(p)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
    })
}

/// One serialised object that refers outside Keras.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutsideRef {
    /// Where it is, as a JSON pointer (clipped).
    pub path: String,
    /// `class_name` (`function` for functions).
    pub class_name: String,
    /// `module`, when present.
    pub module: Option<String>,
    /// `registered_name`, when present.
    pub registered_name: Option<String>,
    /// For functions (`class_name` `function`), the function's name (`config`).
    pub function: Option<String>,
}

impl OutsideRef {
    /// The fully qualified name Keras would import: `module.function` for functions,
    /// `module.class_name` otherwise, or the registered name when there is no module.
    pub fn qualified_name(&self) -> String {
        let leaf = self.function.as_deref().unwrap_or(&self.class_name);
        match &self.module {
            Some(m) if !m.is_empty() => format!("{m}.{leaf}"),
            _ => self
                .registered_name
                .clone()
                .unwrap_or_else(|| leaf.to_string()),
        }
    }
}

/// What the walk found.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct KerasConfigInfo {
    /// Serialised objects seen.
    pub objects: u64,
    /// JSON pointers of `Lambda` layers and `__lambda__` functions (at most 200).
    pub lambdas: Vec<String>,
    /// References outside Keras (at most 200).
    pub outside: Vec<OutsideRef>,
}

/// Parses and walks a Keras config.
pub fn analyse_config(json: &[u8]) -> Result<KerasConfigInfo, FormatError> {
    if json.len() > MAX_CONFIG_PARSE {
        return Err(FormatError::Invalid {
            what: "keras config",
            offset: 0,
            reason: format!(
                "{} bytes, more than the {MAX_CONFIG_PARSE} parsed",
                json.len()
            ),
        });
    }
    // serde_json refuses nesting deeper than 128 levels instead of overflowing the stack.
    let value: Value = serde_json::from_slice(json).map_err(|e| FormatError::Invalid {
        what: "keras config",
        offset: byte_offset(json, e.line(), e.column()),
        reason: e.to_string(),
    })?;
    let mut info = KerasConfigInfo::default();
    let mut path = String::new();
    walk(&value, &mut path, &mut info);
    Ok(info)
}

fn byte_offset(json: &[u8], line: usize, column: usize) -> u64 {
    let start: usize = json
        .split(|b| *b == b'\n')
        .take(line.saturating_sub(1))
        .map(|l| l.len() + 1)
        .sum();
    (start + column.saturating_sub(1)) as u64
}

fn text(v: Option<&Value>) -> Option<String> {
    v.and_then(Value::as_str).map(|s| clip(s, KEEP))
}

fn clip(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.get(..end).unwrap_or("").to_string()
}

fn is_lambda(class_name: &str) -> bool {
    matches!(class_name, "Lambda" | "__lambda__") || class_name.ends_with(".Lambda")
}

fn walk(v: &Value, path: &mut String, info: &mut KerasConfigInfo) {
    match v {
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let len = path.len();
                path.push('/');
                path.push_str(&i.to_string());
                walk(item, path, info);
                path.truncate(len);
            }
        }
        Value::Object(map) => {
            if let Some(class_name) = map.get("class_name").and_then(Value::as_str) {
                info.objects += 1;
                let shown_path = || {
                    if path.is_empty() {
                        "/".to_string()
                    } else {
                        clip(path, KEEP)
                    }
                };
                if is_lambda(class_name) && info.lambdas.len() < MAX_RECORDS {
                    info.lambdas.push(shown_path());
                }
                let module = text(map.get("module"));
                let registered_name = text(map.get("registered_name"));
                let outside_module = module
                    .as_deref()
                    .is_some_and(|m| !m.is_empty() && !is_keras_module(m));
                // `Package>Name`: registered with `register_keras_serializable(package=…)`.
                let outside_registry = registered_name.as_deref().is_some_and(|r| {
                    r.split_once('>')
                        .is_some_and(|(package, _)| !is_keras_module(package))
                });
                if (outside_module || outside_registry)
                    && !is_lambda(class_name)
                    && info.outside.len() < MAX_RECORDS
                {
                    let function = (class_name == "function")
                        .then(|| text(map.get("config")))
                        .flatten();
                    info.outside.push(OutsideRef {
                        path: shown_path(),
                        class_name: clip(class_name, KEEP),
                        module,
                        registered_name,
                        function,
                    });
                }
            }
            for (k, item) in map {
                if !matches!(item, Value::Array(_) | Value::Object(_)) {
                    continue;
                }
                let len = path.len();
                path.push('/');
                // JSON pointer escaping (RFC 6901).
                path.push_str(&k.replace('~', "~0").replace('/', "~1"));
                walk(item, path, info);
                path.truncate(len);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keras3_config_is_clean_and_lambdas_are_found_however_written() {
        let clean = br#"{"module": "keras", "class_name": "Sequential", "config": {"layers": [
            {"module": "keras.layers", "class_name": "Dense", "config": {"units": 2,
             "kernel_initializer": {"module": "keras.initializers", "class_name": "GlorotUniform", "config": {}, "registered_name": null}},
             "registered_name": null},
            {"module": "keras_hub.src.layers", "class_name": "X", "config": {}, "registered_name": "keras_hub>X"}]},
            "registered_name": null}"#;
        let info = analyse_config(clean).unwrap();
        assert_eq!(info.objects, 4);
        assert!(
            info.lambdas.is_empty() && info.outside.is_empty(),
            "{info:?}"
        );

        let hidden = br#"{"class_name":"Sequential","config":{"layers":[
            {"class_name" : "Lambd\u0061", "config": {"function": {"class_name": "__lambda__", "config": {"code": "4wEA"}}}}]}}"#;
        let info = analyse_config(hidden).unwrap();
        assert_eq!(
            info.lambdas,
            ["/config/layers/0", "/config/layers/0/config/function"]
        );
    }

    #[test]
    fn references_outside_keras() {
        let cfg = br#"{"module": "keras", "class_name": "Functional", "config": {"layers": [
            {"module": "my_pkg.layers", "class_name": "Custom", "config": {}, "registered_name": "MyPkg>Custom"},
            {"module": "keras.layers", "class_name": "Dense", "config": {"activation":
                {"module": "builtins", "class_name": "function", "config": "exec", "registered_name": "function"}}},
            {"module": "keras.layers", "class_name": "Dense", "config": {}, "registered_name": "Evil>Dense"}]}}"#;
        let info = analyse_config(cfg).unwrap();
        let names: Vec<String> = info
            .outside
            .iter()
            .map(OutsideRef::qualified_name)
            .collect();
        assert_eq!(
            names,
            [
                "my_pkg.layers.Custom",
                "builtins.exec",
                "keras.layers.Dense"
            ]
        );
        assert_eq!(info.outside[1].path, "/config/layers/1/config/activation");
        assert!(is_keras_module("keras.src.ops") && !is_keras_module("kerasx"));
    }

    #[test]
    fn bad_and_oversized_configs_are_errors() {
        assert!(analyse_config(b"{\"class_name\": ").is_err());
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        assert!(analyse_config(deep.as_bytes()).is_err());
        let big = vec![b' '; MAX_CONFIG_PARSE + 1];
        assert!(analyse_config(&big).is_err());
        let e = analyse_config(b"{\n  \"a\": x}").unwrap_err();
        assert_eq!(e.offset(), 9);
    }
}
