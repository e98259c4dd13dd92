//! TensorFlow graphs: a streaming protobuf walk of a SavedModel (`saved_model.pb`) or a
//! frozen `GraphDef` that collects the operation of every node — in the graph itself and
//! in every function of its function library (TF2 models run their work inside
//! functions called through `StatefulPartitionedCall`) — skipping tensor payloads
//! (constants can be most of a frozen graph) without storing them.
//!
//! Which shape a stream has is decided from its first bytes by [`graph_kind`]; the walk
//! then follows the message layouts of `tensorflow/core/protobuf/saved_model.proto`,
//! `meta_graph.proto`, `framework/graph.proto`, `node_def.proto` and `function.proto`.

use std::io::Read;

use crate::proto::Proto;
use crate::source::Source;
use crate::FormatError;

const WHAT: &str = "tensorflow graph";
const MAX_DEPTH: u8 = 32;
const KEEP: usize = 256;
const MAX_RECORDS: usize = 1000;

/// How a protobuf stream looks from its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GraphKind {
    /// A `SavedModel` message (`saved_model.pb`).
    SavedModel,
    /// A bare `GraphDef` (a frozen graph).
    GraphDef,
}

/// The shape of a TensorFlow graph file from its first bytes, if it has one.
///
/// A `SavedModel` starts with its schema version (field 1, varint, 1 in every TensorFlow
/// release) and then a `MetaGraphDef` (field 2) whose first field is `meta_info_def` or
/// `graph_def`; an ONNX model also starts with a varint field 1 and a field 2, but its field
/// 2 is the producer's name (text). A frozen `GraphDef` starts with a node (field 1) whose
/// first fields are its name and its operation, both text.
pub fn graph_kind(head: &[u8]) -> Option<GraphKind> {
    let (first, rest) = head.split_first()?;
    match first {
        0x08 => {
            let (version, rest) = read_varint(rest)?;
            if !(1..=16).contains(&version) {
                return None;
            }
            let rest = rest.strip_prefix(&[0x12])?;
            let (_, rest) = read_varint(rest)?;
            matches!(rest.first(), Some(0x0a | 0x12)).then_some(GraphKind::SavedModel)
        }
        0x0a => {
            let (_, node) = read_varint(rest)?;
            let node = node.strip_prefix(&[0x0a])?;
            let (name_len, node) = read_varint(node)?;
            let name = node.get(..usize::try_from(name_len).ok()?)?;
            let node = node.get(name.len()..)?.strip_prefix(&[0x12])?;
            let (op_len, node) = read_varint(node)?;
            let op = node.get(..usize::try_from(op_len).ok()?)?;
            let is_name = |s: &[u8], extra: &[u8]| {
                !s.is_empty()
                    && s.iter()
                        .all(|b| b.is_ascii_alphanumeric() || extra.contains(b))
            };
            (is_name(name, b"_-./:>") && is_name(op, b"_>")).then_some(GraphKind::GraphDef)
        }
        _ => None,
    }
}

fn read_varint(b: &[u8]) -> Option<(u64, &[u8])> {
    let mut v = 0u64;
    for (i, byte) in b.iter().enumerate().take(10) {
        v |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Some((v, b.get(i + 1..)?));
        }
    }
    None
}

/// One node whose operation was recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TfNode {
    /// The operation (`op` of the `NodeDef`), clipped.
    pub op: String,
    /// The node's name, clipped.
    pub name: String,
    /// The function it belongs to, if it is inside the function library.
    pub function: Option<String>,
    /// Offset of the node in the stream.
    pub offset: u64,
}

/// What the walk found.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TfInfo {
    /// Whether the stream was a `SavedModel` (otherwise a bare `GraphDef`).
    pub saved_model: bool,
    /// Meta graphs seen (SavedModel only).
    pub meta_graphs: u64,
    /// Nodes seen, in graphs and functions.
    pub nodes: u64,
    /// Functions in the function libraries.
    pub functions: u64,
    /// The first node of each distinct operation, in stream order (at most 1,000).
    pub ops: Vec<TfNode>,
    /// `tensorflow_version` of the first meta graph, if present.
    pub tensorflow_version: Option<String>,
    /// Tags of the first meta graph (e.g. `serve`).
    pub tags: Vec<String>,
}

impl TfInfo {
    /// The first node of each operation in `names`, in stream order.
    pub fn nodes_with_ops<'i>(&'i self, names: &'i [&str]) -> impl Iterator<Item = &'i TfNode> {
        self.ops.iter().filter(|n| names.contains(&n.op.as_str()))
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    SavedModel,
    MetaGraph,
    MetaInfo,
    Graph,
    Library,
    Function,
    Signature,
    Node,
}

#[derive(Default)]
struct Local {
    name: String,
    op: String,
}

struct Walker<'s, 'a> {
    p: Proto<'s, 'a>,
    info: TfInfo,
    function: Option<String>,
}

impl Walker<'_, '_> {
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
            if self.info.ops.len() < MAX_RECORDS && !self.info.ops.iter().any(|n| n.op == local.op)
            {
                self.info.ops.push(TfNode {
                    op: local.op.clone(),
                    name: local.name.clone(),
                    function: self.function.clone(),
                    offset: start,
                });
            }
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
        let wire = key & 7;
        if wire != 2 {
            return self.p.skip_scalar(wire, off);
        }
        let len = self.p.varint()?;
        let sub_end = self.p.end_of(len, off)?;
        let sub = match (kind, field) {
            (Kind::SavedModel, 2) => Some(Kind::MetaGraph),
            (Kind::MetaGraph, 1) => Some(Kind::MetaInfo),
            (Kind::MetaGraph, 2) => Some(Kind::Graph),
            (Kind::Graph, 1) | (Kind::Function, 3) => Some(Kind::Node),
            (Kind::Graph, 2) => Some(Kind::Library),
            (Kind::Library, 1) => Some(Kind::Function),
            (Kind::Function, 1) => Some(Kind::Signature),
            _ => None,
        };
        if let Some(k) = sub {
            match k {
                Kind::MetaGraph => self.info.meta_graphs += 1,
                Kind::Function => {
                    self.info.functions += 1;
                    self.function = None;
                }
                _ => {}
            }
            let inner = self.message(k, Some(sub_end), depth + 1)?;
            match k {
                // The signature (an `OpDef`) names the function; it comes first in
                // TensorFlow's own output, and nodes before it are attributed to no name.
                Kind::Signature => self.function = Some(inner.name),
                Kind::Function => self.function = None,
                _ => {}
            }
            return Ok(());
        }
        let first_meta = self.info.meta_graphs == 1;
        match (kind, field) {
            (Kind::Node, 1) | (Kind::Signature, 1) => local.name = self.p.string(len, KEEP)?,
            (Kind::Node, 2) => local.op = self.p.string(len, KEEP)?,
            (Kind::MetaInfo, 4) if first_meta && self.info.tags.len() < 16 => {
                let tag = self.p.string(len, KEEP)?;
                self.info.tags.push(tag);
            }
            (Kind::MetaInfo, 5) if first_meta => {
                self.info.tensorflow_version = Some(self.p.string(len, KEEP)?);
            }
            _ => self.p.skip(len)?,
        }
        Ok(())
    }
}

/// Walks a TensorFlow graph of the given shape from the start of `r` to its end. What was
/// reached before damage (truncation, invalid data, nesting past the cap) is returned with
/// the error: an unsafe operation before the damage is still in the file.
pub fn read_graph(r: &mut dyn Read, kind: GraphKind) -> (TfInfo, Result<(), FormatError>) {
    let mut src = Source::new(r, 0);
    let mut w = Walker {
        p: Proto::new(&mut src, WHAT),
        info: TfInfo {
            saved_model: kind == GraphKind::SavedModel,
            ..TfInfo::default()
        },
        function: None,
    };
    let top = match kind {
        GraphKind::SavedModel => Kind::SavedModel,
        GraphKind::GraphDef => Kind::Graph,
    };
    let res = w.message(top, None, 0).map(drop);
    (w.info, res)
}

/// Protobuf writing helpers for tests and fixtures.
pub mod build {
    use crate::proto::build::{field_bytes, field_varint};

    /// A `NodeDef`.
    pub fn node(name: &str, op: &str) -> Vec<u8> {
        let mut n = field_bytes(1, name.as_bytes());
        n.extend(field_bytes(2, op.as_bytes()));
        n
    }

    /// A `GraphDef` with `nodes` (name, op) and functions of (name, nodes).
    pub fn graph(nodes: &[(&str, &str)], functions: &[(&str, &[(&str, &str)])]) -> Vec<u8> {
        let mut g = Vec::new();
        for (name, op) in nodes {
            g.extend(field_bytes(1, &node(name, op)));
        }
        let mut lib = Vec::new();
        for (fname, fnodes) in functions {
            let mut f = field_bytes(1, &field_bytes(1, fname.as_bytes()));
            for (name, op) in *fnodes {
                f.extend(field_bytes(3, &node(name, op)));
            }
            lib.extend(field_bytes(1, &f));
        }
        if !lib.is_empty() {
            g.extend(field_bytes(2, &lib));
        }
        g
    }

    /// A `SavedModel` with one meta graph holding `graph` (tags `serve`, TF 2.15.0).
    pub fn saved_model(graph: &[u8]) -> Vec<u8> {
        let mut info = field_bytes(1, b"");
        info.extend(field_bytes(4, b"serve"));
        info.extend(field_bytes(5, b"2.15.0"));
        let mut meta = field_bytes(1, &info);
        meta.extend(field_bytes(2, graph));
        let mut m = field_varint(1, 1);
        m.extend(field_bytes(2, &meta));
        m
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saved_model_ops_in_graph_and_functions() {
        let g = build::graph(
            &[("x", "Placeholder"), ("call", "StatefulPartitionedCall")],
            &[(
                "__inference_serve_42",
                &[
                    ("ReadFile_0", "Identity"),
                    ("r", "ReadFile"),
                    ("p", "EagerPyFunc"),
                ],
            )],
        );
        let m = build::saved_model(&g);
        assert_eq!(graph_kind(&m), Some(GraphKind::SavedModel));
        let (info, res) = read_graph(&mut &m[..], GraphKind::SavedModel);
        res.unwrap();
        assert!(info.saved_model);
        assert_eq!((info.meta_graphs, info.nodes, info.functions), (1, 5, 1));
        assert_eq!(info.tensorflow_version.as_deref(), Some("2.15.0"));
        assert_eq!(info.tags, vec!["serve".to_string()]);
        let bad: Vec<_> = info.nodes_with_ops(&["ReadFile", "EagerPyFunc"]).collect();
        assert_eq!(bad.len(), 2);
        assert_eq!(bad[0].name, "r");
        assert_eq!(bad[0].function.as_deref(), Some("__inference_serve_42"));
        // A node *named* like an unsafe op is not one.
        assert!(info
            .ops
            .iter()
            .all(|n| n.name != "ReadFile_0" || n.op == "Identity"));
        let (cut, res) = read_graph(&mut &m[..m.len() - 2], GraphKind::SavedModel);
        assert!(res.is_err());
        assert_eq!(
            cut.nodes_with_ops(&["ReadFile"]).count(),
            1,
            "reached before the damage"
        );
    }

    #[test]
    fn frozen_graph_is_recognised_and_walked() {
        let g = build::graph(&[("input", "Placeholder"), ("w", "WriteFile")], &[]);
        assert_eq!(graph_kind(&g), Some(GraphKind::GraphDef));
        let (info, res) = read_graph(&mut &g[..], GraphKind::GraphDef);
        res.unwrap();
        assert!(!info.saved_model);
        assert_eq!(info.nodes_with_ops(&["WriteFile"]).count(), 1);
    }

    #[test]
    fn onnx_and_text_are_not_graphs() {
        let onnx = crate::onnx::build::model(&[("", "Conv")], &[]);
        assert_eq!(graph_kind(&onnx), None);
        assert_eq!(graph_kind(b"\x0a\x05hello world"), None);
        assert_eq!(graph_kind(b""), None);
        assert_eq!(graph_kind(&[0x08, 0x01, 0x12]), None);
    }
}
