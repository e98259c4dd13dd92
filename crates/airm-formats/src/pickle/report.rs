//! What the symbolic pickle machine established about a stream: the callables it imports and
//! calls (resolved the way Python's unpickler would), nested pickles, extra streams, and
//! where and why analysis stopped early.
//!
//! The report states facts only; classifying a callable as allowed or dangerous is the
//! scanner's job.

use serde::Serialize;

/// How a callable reference was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RefKind {
    /// `GLOBAL` opcode (protocol 0–3 text form).
    Global,
    /// `STACK_GLOBAL` opcode (names taken from the stack or memo).
    StackGlobal,
    /// `INST` opcode (protocol 0 class instantiation).
    Inst,
    /// `EXT1`/`EXT2`/`EXT4` through the extension registry.
    Extension,
    /// Reached at run time through another callable (getattr, attrgetter, import...).
    Indirect,
}

/// One callable the pickle references (imports or reaches indirectly).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CallableRef {
    /// Fully qualified name, e.g. `os.system` (Python 2 names mapped to Python 3).
    pub name: String,
    /// How it was obtained.
    pub kind: RefKind,
    /// Byte offset of the first opcode that produced it.
    pub offset: u64,
    /// How many times it was referenced.
    pub count: u64,
    /// For indirect references: the callable that produced it (e.g. `builtins.getattr`).
    pub via: Option<String>,
}

/// How a call was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CallKind {
    /// `REDUCE`: `f(*args)`.
    Reduce,
    /// `NEWOBJ`/`NEWOBJ_EX`: `cls.__new__(cls, *args)`.
    NewObj,
    /// `INST`/`OBJ`: `cls(*args)`.
    Instantiate,
    /// A call made at run time by another callable (partial, methodcaller).
    Indirect,
}

/// One call the pickle makes when loaded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CallSite {
    /// The resolved callee, e.g. `os.system`, or `<result of m.f>` when the callee is
    /// itself the result of a call that could not be resolved further.
    pub callee: String,
    /// How it is called.
    pub kind: CallKind,
    /// Offset of the first such call.
    pub offset: u64,
    /// How many times the callee is called.
    pub count: u64,
    /// A short preview of the first string argument of the first call, if any.
    pub arg_preview: Option<String>,
    /// The callable through which it was reached, for indirect calls.
    pub via: Option<String>,
}

/// A pickle found inside the stream's data.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NestedPickle {
    /// Offset of the bytes payload that holds it.
    pub offset: u64,
    /// The loader it is passed to (`pickle.loads`, `torch.load`...), if any; `None` when the
    /// payload only looks like a pickle and is never passed to a loader.
    pub loader: Option<String>,
    /// The nested analysis, when the payload could be analysed.
    pub report: Option<Box<PickleReport>>,
    /// Why it could not be analysed, when it could not.
    pub unanalysed: Option<String>,
    /// The payload, when it is a zip archive (e.g. `torch.save` bytes) that the caller
    /// should open and scan; the machine itself only reads pickles.
    #[serde(skip)]
    pub archive: Option<Vec<u8>>,
}

/// Why analysis of a stream stopped before its end, or is otherwise incomplete.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Incomplete {
    /// The input ended inside a stream (no `STOP`).
    Truncated {
        /// Offset where the input ended.
        offset: u64,
    },
    /// The stream is corrupt; Python's unpickler stops here with an error.
    Corrupt {
        /// Offset of the offending opcode.
        offset: u64,
        /// What is wrong.
        reason: String,
    },
    /// A cap was reached; the rest was analysed in a degraded mode or not at all.
    CapReached {
        /// Offset where the cap was hit.
        offset: u64,
        /// Which cap.
        cap: String,
    },
    /// A value needed to resolve a callable was not known (e.g. dropped after a cap).
    Unresolved {
        /// Offset of the opcode.
        offset: u64,
        /// What could not be resolved.
        what: String,
    },
    /// Reading failed.
    Io {
        /// Offset of the failure.
        offset: u64,
        /// The error.
        error: String,
    },
}

impl Incomplete {
    /// The byte offset it concerns.
    pub fn offset(&self) -> u64 {
        match self {
            Incomplete::Truncated { offset }
            | Incomplete::Corrupt { offset, .. }
            | Incomplete::CapReached { offset, .. }
            | Incomplete::Unresolved { offset, .. }
            | Incomplete::Io { offset, .. } => *offset,
        }
    }

    /// A sentence stating what happened.
    pub fn describe(&self) -> String {
        match self {
            Incomplete::Truncated { offset } => {
                format!("pickle stream is truncated at byte {offset} (no STOP opcode)")
            }
            Incomplete::Corrupt { offset, reason } => {
                format!("pickle stream is corrupt at byte {offset}: {reason}")
            }
            Incomplete::CapReached { offset, cap } => {
                format!("analysis cap `{cap}` reached at byte {offset}")
            }
            Incomplete::Unresolved { offset, what } => {
                format!("could not resolve {what} at byte {offset}")
            }
            Incomplete::Io { offset, error } => format!("read error at byte {offset}: {error}"),
        }
    }
}

/// One pickle stream inside the input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StreamInfo {
    /// Offset of its first opcode.
    pub start: u64,
    /// Offset just after its `STOP` (or where analysis stopped).
    pub end: u64,
    /// Highest protocol announced by `PROTO`, if any.
    pub protocol: Option<u8>,
    /// Whether it ended with `STOP` and no error.
    pub complete: bool,
    /// Opcodes executed.
    pub opcodes: u64,
}

/// Everything the machine established about one input.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct PickleReport {
    /// Streams found, in order. More than one means data after the first `STOP`.
    pub streams: Vec<StreamInfo>,
    /// Callables referenced (deduplicated by name and kind, first offset kept).
    pub refs: Vec<CallableRef>,
    /// Calls made on load (deduplicated by callee and kind).
    pub calls: Vec<CallSite>,
    /// Nested pickles, passed to a loader or merely embedded.
    pub nested: Vec<NestedPickle>,
    /// Why analysis is incomplete; empty when it is complete.
    pub incomplete: Vec<Incomplete>,
    /// Bytes left after the last analysed stream that are not a pickle (offset, length).
    pub trailing: Option<(u64, u64)>,
    /// Persistent ids loaded (`PERSID`/`BINPERSID`), e.g. PyTorch storages.
    pub persistent_ids: u64,
    /// Offset just after the last byte read.
    pub end: u64,
}

impl PickleReport {
    /// Whether every stream was analysed to its end without hitting a cap.
    pub fn is_complete(&self) -> bool {
        self.incomplete.is_empty() && self.nested.iter().all(|n| n.unanalysed.is_none())
    }
}
