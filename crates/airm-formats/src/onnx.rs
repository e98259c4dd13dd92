//! ONNX models: a streaming protobuf walk of `ModelProto` that collects the operator
//! domains used by nodes (custom operators need native libraries) and the paths of
//! external tensor data, skipping tensor payloads without storing them. Nesting (subgraphs
//! in node attributes) is capped.

use std::io::Read;

use crate::source::{Source, SourceError};
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
    src: &'s mut Source<'a>,
    info: OnnxInfo,
}

fn err(e: SourceError, off: u64) -> FormatError {
    match e {
        SourceError::Eof => FormatError::Truncated {
            what: "onnx model",
            offset: off,
        },
        SourceError::Io(e) => FormatError::Invalid {
            what: "onnx model",
            offset: off,
            reason: e.to_string(),
        },
    }
}

fn invalid(off: u64, reason: &str) -> FormatError {
    FormatError::Invalid {
        what: "onnx model",
        offset: off,
        reason: reason.into(),
    }
}

impl Walker<'_, '_> {
    fn varint(&mut self) -> Result<u64, FormatError> {
        let off = self.src.offset();
        let mut v = 0u64;
        for i in 0..10 {
            let b =
                self.src
                    .next_byte()
                    .map_err(|e| err(e, off))?
                    .ok_or(FormatError::Truncated {
                        what: "onnx model",
                        offset: off,
                    })?;
            v |= u64::from(b & 0x7f) << (7 * i);
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(invalid(off, "varint longer than 10 bytes"))
    }

    fn string(&mut self, len: u64) -> Result<String, FormatError> {
        let off = self.src.offset();
        let data = self.src.take(len, KEEP).map_err(|e| err(e, off))?;
        Ok(String::from_utf8_lossy(&data).into_owned())
    }

    fn skip(&mut self, len: u64) -> Result<(), FormatError> {
        let off = self.src.offset();
        self.src.take(len, 0).map_err(|e| err(e, off))?;
        Ok(())
    }

    /// Walks one message ending at `end` (`None`: at end of input).
    fn message(&mut self, kind: Kind, end: Option<u64>, depth: u8) -> Result<Local, FormatError> {
        if depth > MAX_DEPTH {
            return Err(invalid(self.src.offset(), "messages nested too deeply"));
        }
        let start = self.src.offset();
        let mut local = Local::default();
        loop {
            let off = self.src.offset();
            match end {
                Some(e) if off >= e => {
                    if off > e {
                        return Err(invalid(off, "field runs past the end of its message"));
                    }
                    break;
                }
                None => {
                    // Top level: stop cleanly at end of input.
                    match self.src.next_byte().map_err(|e| err(e, off))? {
                        None => break,
                        Some(b) => {
                            let key = if b & 0x80 == 0 {
                                u64::from(b)
                            } else {
                                let rest = self.varint()?;
                                u64::from(b & 0x7f) | (rest << 7)
                            };
                            self.field(kind, key, &mut local, depth, off)?;
                            continue;
                        }
                    }
                }
                _ => {}
            }
            let key = self.varint()?;
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
                let v = self.varint()?;
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
            1 => self.skip(8)?,
            5 => self.skip(4)?,
            2 => {
                let len = self.varint()?;
                let sub_end = self
                    .src
                    .offset()
                    .checked_add(len)
                    .ok_or_else(|| invalid(off, "length overflows"))?;
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
                        local.a = self.string(len)?;
                    }
                    (Kind::Node, 7) | (Kind::Entry, 2) => local.b = self.string(len)?,
                    (Kind::Model, 2) if depth == 0 => {
                        self.info.producer_name = Some(self.string(len)?);
                    }
                    (Kind::Model, 3) if depth == 0 => {
                        self.info.producer_version = Some(self.string(len)?);
                    }
                    _ => self.skip(len)?,
                }
            }
            _ => return Err(invalid(off, "unsupported protobuf wire type")),
        }
        Ok(())
    }
}

/// Walks an ONNX `ModelProto` from the start of `r` to its end.
pub fn read_onnx(r: &mut dyn Read) -> Result<OnnxInfo, FormatError> {
    let mut src = Source::new(r, 0);
    let mut w = Walker {
        src: &mut src,
        info: OnnxInfo::default(),
    };
    w.message(Kind::Model, None, 0)?;
    Ok(w.info)
}

/// Protobuf writing helpers for tests and fixtures.
pub mod build {
    /// A length-delimited field.
    pub fn field_bytes(field: u32, data: &[u8]) -> Vec<u8> {
        let mut v = varint(u64::from(field) << 3 | 2);
        v.extend(varint(data.len() as u64));
        v.extend_from_slice(data);
        v
    }

    /// A varint field.
    pub fn field_varint(field: u32, value: u64) -> Vec<u8> {
        let mut v = varint(u64::from(field) << 3);
        v.extend(varint(value));
        v
    }

    /// A varint.
    pub fn varint(mut x: u64) -> Vec<u8> {
        let mut v = Vec::new();
        loop {
            let b = (x & 0x7f) as u8;
            x >>= 7;
            if x == 0 {
                v.push(b);
                return v;
            }
            v.push(b | 0x80);
        }
    }

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
