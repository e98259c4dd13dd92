//! Scan configuration: user extensions of the allow and deny lists and the analysis caps.
//! Unknown keys are rejected so typos in `airm.toml` surface.

use airm_formats::pickle::PickleOptions;
use serde::{Deserialize, Serialize};

/// Configuration of model-file scanning (`[scan]` in `airm.toml`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ScanConfig {
    /// Extra allowed pickle callables (`module.name`, `module.*`, `module.[A-Z]*`).
    pub allow: Vec<String>,
    /// Extra dangerous pickle callables, same syntax; the denylist wins.
    pub deny: Vec<String>,
    /// Most memo entries tracked per pickle stream.
    pub max_memo: usize,
    /// Most stack items tracked per pickle stream.
    pub max_stack: usize,
    /// Payload bytes kept per pickle (strings and bytes used to resolve names and nested
    /// pickles).
    pub payload_budget: u64,
    /// Deepest pickle-in-pickle analysed.
    pub max_nested_depth: u8,
    /// Most archive members inspected.
    pub max_members: usize,
    /// Largest decompressed member size allowed before it is reported as a bomb.
    pub max_member_size: u64,
    /// Largest compression ratio allowed before it is reported as a bomb.
    pub max_ratio: u64,
    /// Largest archive member (pickle, npy, config) read for analysis.
    pub max_member_read: u64,
    /// Extension codes the loading process registers with `copyreg.add_extension`, so
    /// `EXT1/2/4` opcodes resolve to the real callable (judged like any other).
    pub extensions: Vec<ExtensionCode>,
}

/// One entry of the pickle extension registry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExtensionCode {
    /// The code (1 to 2^31 - 1).
    pub code: i64,
    /// The callable, `module.name`.
    pub name: String,
}

impl Default for ScanConfig {
    fn default() -> Self {
        let p = PickleOptions::default();
        ScanConfig {
            allow: Vec::new(),
            deny: Vec::new(),
            max_memo: p.max_memo,
            max_stack: p.max_stack,
            payload_budget: p.payload_budget,
            max_nested_depth: p.max_nested_depth,
            max_members: 100_000,
            max_member_size: 64 * 1024 * 1024 * 1024,
            max_ratio: 1000,
            max_member_read: 4 * 1024 * 1024 * 1024,
            extensions: Vec::new(),
        }
    }
}

impl ScanConfig {
    /// The pickle machine options these settings imply.
    pub fn pickle_options(&self) -> PickleOptions {
        PickleOptions {
            max_memo: self.max_memo,
            max_stack: self.max_stack,
            payload_budget: self.payload_budget,
            max_nested_depth: self.max_nested_depth,
            extensions: self
                .extensions
                .iter()
                .map(|e| (e.code, e.name.clone()))
                .collect(),
            ..PickleOptions::default()
        }
    }
}
