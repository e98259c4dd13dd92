//! Checks of the non-pickle formats: NumPy object arrays (MF006, then the pickle),
//! safetensors headers (MF007), GGUF chat templates (MF010) and Keras Lambda layers in
//! `.keras` configs and legacy HDF5 files (MF011).

use std::io::{self, Read};

use crate::report::{clip, ScanFinding};
use crate::rules::{GgufChatTemplateCode, KerasLambdaLayer};

/// Constructs in a Jinja chat template that reach Python internals.
const SSTI_TOKENS: &[&str] = &[
    "__class__",
    "__mro__",
    "__subclasses__",
    "__globals__",
    "__builtins__",
    "__import__",
    "__init__",
    "__base__",
    "__bases__",
    "__dict__",
    "__getattribute__",
    "__code__",
    "__reduce__",
    "func_globals",
    "os.system",
    "os.popen",
    "popen(",
    "subprocess",
    "eval(",
    "exec(",
    "import os",
    "lipsum.",
    "cycler.",
    "joiner.",
    "request.application",
    "self._TemplateReference__context",
    "attr('__",
    "attr(\"__",
    "|attr(",
];

/// MF010 findings for one chat template.
pub(crate) fn chat_template_findings(
    key: &str,
    offset: u64,
    text: &str,
    member: Option<&str>,
    out: &mut Vec<ScanFinding>,
) {
    let lower = text.to_ascii_lowercase();
    let hit = SSTI_TOKENS
        .iter()
        .filter_map(|t| lower.find(&t.to_ascii_lowercase()).map(|i| (i, *t)))
        .min();
    if let Some((i, token)) = hit {
        let start = text.floor_char_boundary_compat(i.saturating_sub(30));
        let snippet = text.get(start..).unwrap_or("");
        out.push(
            GgufChatTemplateCode::finding(
                format!(
                    "GGUF metadata `{key}` contains `{token}` at character {i} of the template"
                ),
                Some(clip(snippet, 80)),
            )
            .at(offset)
            .in_member(member.map(str::to_string)),
        );
    }
}

trait FloorBoundary {
    fn floor_char_boundary_compat(&self, i: usize) -> usize;
}

impl FloorBoundary for str {
    fn floor_char_boundary_compat(&self, mut i: usize) -> usize {
        while i > 0 && !self.is_char_boundary(i) {
            i -= 1;
        }
        i
    }
}

const LAMBDA_NEEDLES: &[&[u8]] = &[
    b"\"class_name\": \"Lambda\"",
    b"\"class_name\":\"Lambda\"",
    b"\"class_name\": \"keras.layers.Lambda\"",
    b"\"class_name\": \"__lambda__\"",
    b"\"class_name\":\"__lambda__\"",
];

/// Offset of the first Keras `Lambda` layer declaration in a stream, if any. Reads the
/// whole stream in bounded chunks.
pub(crate) fn find_lambda(r: &mut dyn Read) -> io::Result<Option<u64>> {
    let finders: Vec<memchr::memmem::Finder<'_>> = LAMBDA_NEEDLES
        .iter()
        .map(memchr::memmem::Finder::new)
        .collect();
    let keep = LAMBDA_NEEDLES.iter().map(|n| n.len()).max().unwrap_or(0);
    let mut buf = vec![0u8; 1 << 20];
    let mut carry: Vec<u8> = Vec::new();
    let mut base = 0u64; // offset of window[0]
    loop {
        let n = match r.read(&mut buf) {
            Ok(0) => return Ok(None),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        let mut window = std::mem::take(&mut carry);
        window.extend_from_slice(buf.get(..n).unwrap_or(&[]));
        if let Some(i) = finders.iter().filter_map(|f| f.find(&window)).min() {
            return Ok(Some(base + i as u64));
        }
        let cut = window.len().saturating_sub(keep);
        base += cut as u64;
        carry = window.get(cut..).unwrap_or(&[]).to_vec();
    }
}

/// MF011 finding for a Lambda layer at `offset`.
pub(crate) fn lambda_finding(what: &str, offset: u64, member: Option<&str>) -> ScanFinding {
    KerasLambdaLayer::finding(
        format!("{what} declares a Keras Lambda layer (serialised Python code)"),
        Some("class_name: Lambda".to_string()),
    )
    .at(offset)
    .in_member(member.map(str::to_string))
}

/// A reader that looks for byte strings in everything that passes through it.
pub(crate) struct NeedleTee<'r> {
    inner: &'r mut dyn Read,
    needles: &'static [&'static [u8]],
    carry: Vec<u8>,
    base: u64,
    /// First offset of each needle found, by needle index.
    pub hits: Vec<Option<u64>>,
}

impl<'r> NeedleTee<'r> {
    pub(crate) fn new(inner: &'r mut dyn Read, needles: &'static [&'static [u8]]) -> Self {
        NeedleTee {
            inner,
            needles,
            carry: Vec::new(),
            base: 0,
            hits: vec![None; needles.len()],
        }
    }
}

impl Read for NeedleTee<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let keep = self.needles.iter().map(|x| x.len()).max().unwrap_or(1);
        let mut window = std::mem::take(&mut self.carry);
        window.extend_from_slice(buf.get(..n).unwrap_or(&[]));
        for (i, needle) in self.needles.iter().enumerate() {
            if let Some(slot) = self.hits.get_mut(i) {
                if slot.is_none() {
                    if let Some(at) = memchr::memmem::find(&window, needle) {
                        *slot = Some(self.base + at as u64);
                    }
                }
            }
        }
        let cut = window.len().saturating_sub(keep);
        self.base += cut as u64;
        self.carry = window.get(cut..).unwrap_or(&[]).to_vec();
        Ok(n)
    }
}

/// Marks of a TensorFlow graph, then its unsafe operations (see MF014): searched for in
/// protobuf streams that sniffed as ONNX but hold no ONNX graph.
pub(crate) const TF_NEEDLES: &[&[u8]] = &[
    b"Placeholder",
    b"StatefulPartitionedCall",
    b"ReadFile",
    b"WriteFile",
    b"MatchingFiles",
    b"EagerPyFunc",
    b"PyFuncStateless",
    b"PyFunc",
];

/// Operations of a TensorFlow graph that read or write files or run Python (see MF014).
pub(crate) const UNSAFE_TF_OPS: &[&str] = &[
    "ReadFile",
    "WriteFile",
    "MatchingFiles",
    "EagerPyFunc",
    "PyFuncStateless",
    "PyFunc",
];

/// How many leading entries of [`TF_NEEDLES`] only mark a TensorFlow graph.
pub(crate) const TF_MARKS: usize = 2;
