//! ONNX models: a streaming protobuf walk of `ModelProto` that collects the operator
//! domains used by nodes (custom operators need native libraries) and the paths of
//! external tensor data, skipping tensor payloads without storing them. Nesting (subgraphs
//! in node attributes) is capped.

use std::io::Read;

use crate::proto::Proto;
use crate::source::Source;
use crate::FormatError;

/// Operator domains implemented by ONNX itself and by ONNX Runtime's built-in kernels.
pub const STANDARD_DOMAINS: &[&str] = &[
    "",
    "ai.onnx",
    "ai.onnx.ml",
    "ai.onnx.training",
    "ai.onnx.preview.training",
    "com.microsoft",
    "com.microsoft.nchwc",
    "com.microsoft.experimental",
    "com.ms.internal.nhwc",
    "org.pytorch.aten",
];

const MAX_DEPTH: u8 = 32;
const KEEP: usize = 1024;
const MAX_RECORDS: usize = 1000;

/// What the walk found.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OnnxInfo {
    /// Whether a graph was present (otherwise this is probably not an ONNX model).
    pub has_graph: bool,
    /// Nodes seen.
    pub nodes: u64,
    /// `(domain, op_type, offset)` of nodes whose domain is not standard (first of each).
    pub custom_ops: Vec<(String, String, u64)>,
    /// `(tensor name, location, offset)` of tensors stored as external data.
    pub external_data: Vec<(String, String, u64)>,
    /// Domains imported in `opset_import`.
    pub opset_domains: Vec<String>,
    /// `ir_version`, if present.
    pub ir_version: Option<u64>,
    /// `producer_name` (clipped), if present.
    pub producer_name: Option<String>,
    /// `producer_version` (clipped), if present.
    pub producer_version: Option<String>,
    /// `(domain, version)` of each `opset_import` (first of each domain).
    pub opsets: Vec<(String, u64)>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Model,
    Graph,
    Node,
    Attribute,
    Tensor,
    Entry,
    OpsetId,
    Function,
}

#[derive(Default)]
struct Local {
    a: String,
    b: String,
    external: bool,
    version: u64,
    entries: Vec<(String, String)>,
}

struct Walker<'s, 'a> {
    p: Proto<'s, 'a>,
    info: OnnxInfo,
}

impl Walker<'_, '_> {
    /// Walks one message ending at `end` (`None`: at end of input).
    fn message(&mut self, kind: Kind, end: Option<u64>, depth: u8) -> Result<Local, FormatError> {
        if depth > MAX_DEPTH {
            return Err(self
                .p
                .invalid(self.p.offset(), "messages nested too deeply"));
        }
        let start = self.p.offset();
        let mut local = Local::default();
        while let Some((key, off)) = self.p.next_key(end)? {
            self.field(kind, key, &mut local, depth, off)?;
        }
        if kind == Kind::Node {
            self.info.nodes += 1;
            let domain = local.b.clone();
            if !STANDARD_DOMAINS.contains(&domain.as_str())
                && self.info.custom_ops.len() < MAX_RECORDS
                && !self
                    .info
                    .custom_ops
                    .iter()
                    .any(|(d, o, _)| *d == domain && *o == local.a)
            {
                self.info.custom_ops.push((domain, local.a.clone(), start));
            }
        }
        if kind == Kind::Tensor && local.external && self.info.external_data.len() < MAX_RECORDS {
            let loc = local
                .entries
                .iter()
                .find(|(k, _)| k == "location")
                .map(|(_, v)| v.clone())
                .unwrap_or_default();
            self.info.external_data.push((local.a.clone(), loc, start));
        }
        Ok(local)
    }

    fn field(
        &mut self,
        kind: Kind,
        key: u64,
        local: &mut Local,
        depth: u8,
        off: u64,
    ) -> Result<(), FormatError> {
        let field = key >> 3;
        match key & 7 {
            0 => {
                let v = self.p.varint()?;
                if kind == Kind::Tensor && field == 14 {
                    local.external = v == 1;
                }
                if kind == Kind::OpsetId && field == 2 {
                    local.version = v;
                }
                if kind == Kind::Model && field == 1 && depth == 0 {
                    self.info.ir_version = Some(v);
                }
            }
            2 => {
                let len = self.p.varint()?;
                let sub_end = self.p.end_of(len, off)?;
                let sub = match (kind, field) {
                    (Kind::Model, 7) | (Kind::Attribute, 6) | (Kind::Attribute, 11) => {
                        if kind == Kind::Model {
                            self.info.has_graph = true;
                        }
                        Some(Kind::Graph)
                    }
                    (Kind::Model, 8) | (Kind::Function, 9) => Some(Kind::OpsetId),
                    (Kind::Model, 25) => Some(Kind::Function),
                    (Kind::Graph, 1) | (Kind::Function, 7) => Some(Kind::Node),
                    (Kind::Graph, 5) | (Kind::Attribute, 5) | (Kind::Attribute, 10) => {
                        Some(Kind::Tensor)
                    }
                    (Kind::Node, 5) => Some(Kind::Attribute),
                    (Kind::Tensor, 13) => Some(Kind::Entry),
                    _ => None,
                };
                if let Some(k) = sub {
                    let inner = self.message(k, Some(sub_end), depth + 1)?;
                    match k {
                        Kind::Entry => local.entries.push((inner.a, inner.b)),
                        Kind::OpsetId
                            if self.info.opset_domains.len() < MAX_RECORDS
                                && !self.info.opset_domains.contains(&inner.a) =>
                        {
                            if kind == Kind::Model {
                                self.info.opsets.push((inner.a.clone(), inner.version));
                            }
                            self.info.opset_domains.push(inner.a);
                        }
                        _ => {}
                    }
                    return Ok(());
                }
                match (kind, field) {
                    (Kind::Node, 4) | (Kind::Tensor, 8) | (Kind::Entry, 1) | (Kind::OpsetId, 1) => {
                        local.a = self.p.string(len, KEEP)?;
                    }
                    (Kind::Node, 7) | (Kind::Entry, 2) => local.b = self.p.string(len, KEEP)?,
                    (Kind::Model, 2) if depth == 0 => {
                        self.info.producer_name = Some(self.p.string(len, KEEP)?);
                    }
                    (Kind::Model, 3) if depth == 0 => {
                        self.info.producer_version = Some(self.p.string(len, KEEP)?);
                    }
                    _ => self.p.skip(len)?,
                }
            }
            w => self.p.skip_scalar(w, off)?,
        }
        Ok(())
    }
}

/// Walks an ONNX `ModelProto` from the start of `r` to its end.
pub fn read_onnx(r: &mut dyn Read) -> Result<OnnxInfo, FormatError> {
    let mut src = Source::new(r, 0);
    let mut w = Walker {
        p: Proto::new(&mut src, "onnx model"),
        info: OnnxInfo::default(),
    };
    w.message(Kind::Model, None, 0)?;
    Ok(w.info)
}

/// Protobuf writing helpers for tests and fixtures.
pub mod build {
    pub use crate::proto::build::{field_bytes, field_varint, varint};

    /// A model with one node per `(domain, op_type)` and optional external tensors.
    pub fn model(nodes: &[(&str, &str)], external: &[(&str, &str)]) -> Vec<u8> {
        let mut graph = Vec::new();
        for (d, op) in nodes {
            let mut n = field_bytes(4, op.as_bytes());
            n.extend(field_bytes(7, d.as_bytes()));
            graph.extend(field_bytes(1, &n));
        }
        for (name, loc) in external {
            let mut t = field_bytes(8, name.as_bytes());
            let mut e = field_bytes(1, b"location");
            e.extend(field_bytes(2, loc.as_bytes()));
            t.extend(field_bytes(13, &e));
            t.extend(field_varint(14, 1));
            t.extend(field_bytes(9, &[0u8; 16]));
            graph.extend(field_bytes(5, &t));
        }
        let mut m = field_varint(1, 8);
        m.extend(field_bytes(2, b"pytorch"));
        m.extend(field_bytes(7, &graph));
        let mut opset = field_bytes(1, b"");
        opset.extend(field_varint(2, 17));
        m.extend(field_bytes(8, &opset));
        m
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_custom_ops_and_external_data() {
        let m = build::model(
            &[
                ("", "Conv"),
                ("com.evil", "Backdoor"),
                ("com.evil", "Backdoor"),
            ],
            &[("w", "../../etc/passwd")],
        );
        let info = read_onnx(&mut &m[..]).unwrap();
        assert!(info.has_graph);
        assert_eq!(info.nodes, 3);
        assert_eq!(info.custom_ops.len(), 1);
        assert_eq!(info.custom_ops[0].0, "com.evil");
        assert_eq!(info.external_data[0].1, "../../etc/passwd");
        assert_eq!(info.ir_version, Some(8));
        assert_eq!(info.producer_name.as_deref(), Some("pytorch"));
        assert_eq!(info.opsets, vec![(String::new(), 17)]);
        assert!(read_onnx(&mut &m[..m.len() - 3]).is_err());
    }
}
