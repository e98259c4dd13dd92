//! Fuzzes the text detectors of discovery (code, manifests, notebooks, model cards,
//! MLflow files, configuration and infrastructure as code): the first byte picks the file
//! name the bytes are routed as.
#![no_main]

use libfuzzer_sys::fuzz_target;

const NAMES: &[&str] = &[
    "app.py", "index.ts", "main.go", "lib.rs", "notebook.ipynb", "requirements.txt",
    "pyproject.toml", "poetry.lock", "uv.lock", "Pipfile", "Pipfile.lock", "package.json",
    "package-lock.json", "yarn.lock", "pnpm-lock.yaml", "Cargo.toml", "Cargo.lock", "go.mod", "README.md", "MLmodel",
    "config.json", "main.tf", "stack.yaml", "main.bicep", ".env", "deploy.yml",
];

fuzz_target!(|data: &[u8]| {
    if let Some((first, rest)) = data.split_first() {
        let name = NAMES[usize::from(*first) % NAMES.len()];
        let _ = airm_scan::discover::inspect_text(name, rest);
    }
});
