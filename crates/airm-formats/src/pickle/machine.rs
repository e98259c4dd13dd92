//! The symbolic pickle machine: executes opcodes of protocols 0–5 on symbolic values —
//! stack, memo, marks, frames — and records every callable the real unpickler would import
//! or call, without importing or calling anything.
//!
//! It reads through a bounded buffer, keeps only prefixes of long payloads, and caps the
//! stack, memo, stored payload bytes, value depth and nesting of pickles in pickles. A cap
//! hit is recorded as [`Incomplete::CapReached`] and the machine continues in a degraded
//! mode that still records imports. Errors in the stream stop that stream the way Python
//! would, after everything reached before the damage has been recorded.

use std::collections::HashMap;
use std::io::Read;
use std::rc::Rc;

use super::arena::TupleArena;
use super::names::{is_nested_loader, qualify};
use super::report::{
    CallKind, CallSite, CallableRef, Incomplete, NestedPickle, PickleReport, RefKind, StreamInfo,
};
use super::slot::{Boxes, Slot};
use super::value::{
    CallVal, DictVal, Items, LiveBytes, Name, Payload, ShortStr, TupleVal, Value, SHORT,
};
use crate::source::{Source, SourceError};

/// Caps and options of the machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PickleOptions {
    /// Most memo entries kept.
    pub max_memo: usize,
    /// Most stack items (all marks together).
    pub max_stack: usize,
    /// Payloads up to this length are kept whole (for names and nested pickles).
    pub keep_payload: usize,
    /// Total payload bytes kept per analysis; past it only short strings are kept.
    pub payload_budget: u64,
    /// Most streams analysed in one input.
    pub max_streams: usize,
    /// Stop after this many streams without looking at what follows (legacy PyTorch files
    /// hold a fixed number of pickles followed by raw tensor data).
    pub stop_after_streams: Option<usize>,
    /// Deepest pickle-in-pickle analysed.
    pub max_nested_depth: u8,
    /// Most tuple items and call arguments kept per value.
    pub max_items: usize,
    /// Deepest nesting of kept tuples and call results.
    pub max_value_depth: u16,
    /// Most distinct references, calls and nested pickles recorded, all nested analyses
    /// together.
    pub max_records: usize,
    /// Extension registry entries known to the loading process (`code`, `module.name`).
    pub extensions: Vec<(i64, String)>,
}

impl Default for PickleOptions {
    fn default() -> Self {
        PickleOptions {
            max_memo: 1_000_000,
            max_stack: 250_000,
            keep_payload: 64 * 1024,
            payload_budget: 64 * 1024 * 1024,
            max_streams: 256,
            stop_after_streams: None,
            max_nested_depth: 4,
            max_items: 64,
            max_value_depth: 24,
            max_records: 20_000,
            extensions: Vec::new(),
        }
    }
}

/// Analyses every pickle stream in `reader`. Offsets in the report start at `start_offset`.
/// Never fails: read errors and damage are recorded in the report.
pub fn analyse(reader: &mut dyn Read, start_offset: u64, opts: &PickleOptions) -> PickleReport {
    let mut m = Machine::new(opts, 0);
    let mut src = Source::new(reader, start_offset);
    m.run(&mut src);
    m.report
}

/// Analyses a pickle held in memory.
pub fn analyse_bytes(data: &[u8], start_offset: u64, opts: &PickleOptions) -> PickleReport {
    let mut r = data;
    analyse(&mut r, start_offset, opts)
}

/// Whether the bytes start like a protocol 2+ pickle.
pub fn looks_like_pickle(data: &[u8]) -> bool {
    matches!(data, [0x80, p, ..] if *p <= 5)
}

/// Why a stream stopped.
enum Halt {
    Eof,
    Corrupt(String),
    Io(String),
}

impl From<SourceError> for Halt {
    fn from(e: SourceError) -> Self {
        match e {
            SourceError::Eof => Halt::Eof,
            SourceError::Io(e) => Halt::Io(e.to_string()),
        }
    }
}

/// The values of the top `n` (1 to 3; more counts as 3) slots of the stack, in stack order,
/// padded with `None` to three; the slots are removed. None of them may be an arena tuple.
#[inline]
fn pop_items(stack: &mut Vec<Slot>, boxes: &mut Boxes, n: usize) -> [Value; 3] {
    let mut pop = || boxes.take(stack.pop().unwrap_or(Slot::NONE));
    match n {
        1 => [pop(), Value::None, Value::None],
        2 => {
            let b = pop();
            [pop(), b, Value::None]
        }
        _ => {
            let c = pop();
            let b = pop();
            [pop(), b, c]
        }
    }
}

fn corrupt<T>(msg: impl Into<String>) -> Result<T, Halt> {
    Err(Halt::Corrupt(msg.into()))
}

/// Memo: dense for `MEMOIZE`-style indices, sparse otherwise. Past `cap` entries only
/// cheap values (no heap of their own: names, numbers, short strings) are kept, up to `cap`
/// more; other entries are dropped, and reading a dropped entry back is reported as a cap
/// hit at that point.
/// Hashes memo indices (already well spread integers) with one multiplication.
#[derive(Default, Clone, Copy)]
struct IndexHasher(u64);

impl std::hash::Hasher for IndexHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(*b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }

    fn write_u64(&mut self, i: u64) {
        self.0 = (self.0 ^ i).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

type IndexMap = HashMap<u64, Slot, std::hash::BuildHasherDefault<IndexHasher>>;

#[derive(Default)]
struct Memo {
    dense: Vec<Slot>,
    sparse: IndexMap,
    /// The values of boxed entries (see [`Slot::heap`]).
    boxes: Boxes,
    overflow: usize,
    dropped: bool,
    /// One more than the highest index in `sparse` (0 when empty).
    sparse_top: u64,
    /// Both the entry cap and the overflow of cheap entries are used up.
    saturated: bool,
    /// `MEMOIZE` stores nothing (and `dropped` is set). The loader numbers `MEMOIZE`
    /// entries by the size of its memo; once an entry at a new index has been dropped here,
    /// this memo is smaller than the loader's, so the count is no longer the loader's index
    /// and storing under it would let a later read see the wrong entry. Every later
    /// `MEMOIZE`d entry is dropped instead (reading it back is a cap hit); entries stored
    /// before, and those put at explicit indices, keep their indices.
    idle: bool,
    /// Estimated heap bytes held by entries.
    heap: u64,
}

/// Most estimated heap bytes the memo's entries may hold.
const MEMO_HEAP: u64 = 64 * 1024 * 1024;

/// A rough estimate of the heap a value holds on its own.
fn heap_cost(v: &Value) -> u64 {
    match v {
        Value::Str(p) | Value::Bytes(p) => 96 + p.data.len() as u64,
        Value::Tuple(t) => match &t.items {
            super::value::Items::Inline(..) => 80,
            super::value::Items::Heap(v) => 96 + 16 * v.len() as u64,
        },
        Value::Call(c) | Value::Partial(c) | Value::MethodCaller(c) => {
            96 + 16 * c.args.len() as u64
        }
        Value::Dict(d) => 64 + 96 * d.len().min(64) as u64,
        Value::AttrGetter(_) => 64,
        Value::Global(_) | Value::Module(_) => 48,
        _ => 0,
    }
}

/// [`heap_cost`] of an arena tuple: that of the inline tuple it stands for.
const TUP_COST: u64 = 80;

/// [`heap_cost`] of the value of slot `s` (boxed in `boxes`).
#[inline]
fn slot_cost(s: Slot, boxes: &Boxes) -> u64 {
    if s.is_tup() {
        TUP_COST
    } else {
        boxes.get(s).map_or(0, heap_cost)
    }
}

/// Whether the value of slot `s` holds no heap of its own: scalars and names.
fn cheap(s: Slot, boxes: &Boxes) -> bool {
    s.is_scalar() || matches!(boxes.get(s), Some(Value::Global(_) | Value::Module(_)))
}

impl Memo {
    fn len(&self) -> usize {
        self.dense.len() + self.sparse.len()
    }

    /// Stores a copy of stack slot `s` (whose box, if any, is in `from`), or drops it past
    /// the caps (remembering that something was dropped).
    #[inline(always)]
    fn put(&mut self, idx: u64, s: Slot, from: &Boxes, cap: usize, arena: &mut TupleArena) {
        // (Once saturated, `append` never holds: checking this first saves the work.)
        if self.saturated_at(idx) {
            return;
        }
        if self.append(idx, s, from, cap) {
            arena.pin(s);
            let s = self.boxes.adopt(s, from);
            self.dense.push(s);
        } else {
            self.put_slow(idx, s, from, cap, arena);
        }
    }

    /// `MEMOIZE` of `s` when it is not boxed and goes at the end of the dense memo (what
    /// [`Memo::put`] does then, without its other cases); `false`, with nothing changed,
    /// otherwise.
    #[inline(always)]
    fn append_unboxed(&mut self, s: Slot, cap: usize, arena: &mut TupleArena) -> bool {
        // With nothing sparse, the next index is the dense length, and below the cap the
        // memo is not saturated.
        if s.is_heap() || self.sparse_top != 0 || self.dense.len() >= cap {
            return false;
        }
        if s.is_tup() {
            if self.heap.saturating_add(TUP_COST) > MEMO_HEAP {
                return false;
            }
            self.heap += TUP_COST;
            arena.pin(s);
        }
        self.dense.push(s);
        true
    }

    /// Whether `idx` is the next dense index and there is room (charged when so).
    #[inline(always)]
    fn append(&mut self, idx: u64, s: Slot, from: &Boxes, cap: usize) -> bool {
        let len = self.dense.len();
        if idx == len as u64 && self.sparse_top == 0 && len < cap {
            let cost = slot_cost(s, from);
            if self.heap.saturating_add(cost) <= MEMO_HEAP {
                self.heap += cost;
                return true;
            }
        }
        false
    }

    /// Whether an entry at `idx` would be dropped without looking at it: every cap is
    /// reached and nothing is stored at `idx` (so nothing would be replaced). Marks the
    /// drop.
    #[inline(always)]
    fn saturated_at(&mut self, idx: u64) -> bool {
        if self.saturated && idx >= self.dense.len() as u64 && idx >= self.sparse_top {
            self.dropped = true;
            self.idle = true;
            return true;
        }
        false
    }

    #[inline(never)]
    fn put_slow(&mut self, idx: u64, s: Slot, from: &Boxes, cap: usize, arena: &mut TupleArena) {
        // Every value stored below is pinned in the arena, every value replaced unpinned.
        arena.pin(s);
        let existing = match usize::try_from(idx)
            .ok()
            .and_then(|i| self.dense.get_mut(i))
        {
            Some(slot) => Some(slot),
            None if idx < self.sparse_top => self.sparse.get_mut(&idx),
            None => None,
        };
        if let Some(slot) = existing {
            let old = std::mem::replace(slot, self.boxes.adopt(s, from));
            arena.unpin(old);
            self.boxes.release(old);
            return;
        }
        let cost = slot_cost(s, from);
        if self.len() >= cap || self.heap.saturating_add(cost) > MEMO_HEAP {
            if self.overflow < cap / 2 && cheap(s, from) {
                self.overflow += 1;
                self.sparse_top = self.sparse_top.max(idx.saturating_add(1));
                let s = self.boxes.adopt(s, from);
                self.sparse.insert(idx, s);
                return;
            }
            // Neither count ever shrinks: from now on every new index is dropped.
            self.saturated = self.len() >= cap && self.overflow >= cap / 2;
            self.dropped = true;
            self.idle = true;
            arena.unpin(s);
            return;
        }
        self.heap += cost;
        let s = self.boxes.adopt(s, from);
        if idx == self.dense.len() as u64 {
            self.dense.push(s);
        } else {
            self.sparse_top = self.sparse_top.max(idx.saturating_add(1));
            self.sparse.insert(idx, s);
        }
    }

    /// The entry at `idx` (its box, if any, is in [`Memo::boxes`]).
    #[inline(always)]
    fn get(&self, idx: u64) -> Option<Slot> {
        if idx < 1 << 32 {
            if let Some(s) = self.dense.get(idx as usize) {
                return Some(*s);
            }
        }
        self.get_slow(idx)
    }

    #[inline(never)]
    fn get_slow(&self, idx: u64) -> Option<Slot> {
        usize::try_from(idx)
            .ok()
            .and_then(|i| self.dense.get(i))
            .or_else(|| self.sparse.get(&idx))
            .copied()
    }
}

/// What [`Machine::run_simple`] works on besides the input and the stack.
struct Simple<'a> {
    /// The stack's height at the last mark.
    floor: usize,
    max_stack: usize,
    memo: &'a mut Memo,
    /// The stack's boxes.
    boxes: &'a Boxes,
    arena: &'a mut TupleArena,
    max_memo: usize,
    /// Tuples may be built (`max_value_depth` is at least one).
    tuples: bool,
}

#[derive(Default)]
struct Stream {
    stack: Vec<Slot>,
    /// The values of the stack's boxed slots (see [`Slot::heap`]).
    boxes: Boxes,
    marks: Vec<usize>,
    memo: Memo,
    /// A cap was hit: stack underflow and memo misses are tolerated.
    degraded: bool,
    protocol: Option<u8>,
    ops: u64,
    /// Arrays of joblib's `NumpyArrayWrapper` follow their `BUILD` in the stream (set for
    /// top-level streams, which `joblib.load` reads with its own unpickler).
    joblib: bool,
    /// Small tuples of scalars on the stack and in the memo.
    arena: TupleArena,
}

impl Stream {
    /// The value of stack slot `s`, which is being taken off the stack (its box released).
    #[inline]
    fn take(&mut self, s: Slot) -> Value {
        match s.tup() {
            Some((n, i)) => self.arena.own(n, i),
            None => self.boxes.take(s),
        }
    }

    /// A copy of the value of stack slot `s`, which stays on the stack.
    fn value_of(&self, s: Slot) -> Value {
        if let Some((n, i)) = s.tup() {
            self.arena.own(n, i)
        } else if s.is_heap() {
            self.boxes.get(s).cloned().unwrap_or(Value::Unknown)
        } else {
            s.scalar_value()
        }
    }

    /// The depth of the value of stack slot `s` (see [`Value::depth`]).
    #[inline]
    fn depth(&self, s: Slot) -> u16 {
        if s.is_tup() {
            1
        } else {
            self.boxes.get(s).map_or(0, Value::depth)
        }
    }
}

struct Machine<'o> {
    opts: &'o PickleOptions,
    depth: u8,
    report: PickleReport,
    ref_index: HashMap<(String, RefKind), usize>,
    call_index: HashMap<(String, CallKind), usize>,
    ext: HashMap<i64, Name>,
    budget_used: u64,
    /// Payload bytes currently kept (shared with nested machines).
    live: LiveBytes,
    /// Records made (shared with nested machines).
    records: Rc<std::cell::Cell<usize>>,
    budget_noted: bool,
    records_noted: bool,
    /// Offset of the opcode being executed.
    at: u64,
    /// Emptied small-tuple allocations, reused instead of allocating.
    tuple_pool: Vec<Rc<TupleVal>>,
    /// Copies of the caps the fast path checks on every opcode.
    max_stack: usize,
    max_memo: usize,
    max_value_depth: u16,
}

const NAME_KEEP: usize = 64;
/// Largest zip archive payload kept whole.
const MAX_ARCHIVE_PAYLOAD: u64 = 32 * 1024 * 1024;
/// Most entries kept per dict.
const DICT_ITEMS: usize = 8;
/// Most emptied tuple allocations kept for reuse.
const TUPLE_POOL: usize = 4096;

impl<'o> Machine<'o> {
    fn new(opts: &'o PickleOptions, depth: u8) -> Self {
        let ext = opts
            .extensions
            .iter()
            .map(|(c, n)| (*c, Rc::new(n.clone())))
            .collect();
        Machine {
            opts,
            depth,
            report: PickleReport::default(),
            ref_index: HashMap::new(),
            call_index: HashMap::new(),
            ext,
            budget_used: 0,
            live: LiveBytes::default(),
            records: Rc::default(),
            budget_noted: false,
            records_noted: false,
            at: 0,
            tuple_pool: Vec::new(),
            max_stack: opts.max_stack,
            max_memo: opts.max_memo,
            max_value_depth: opts.max_value_depth,
        }
    }

    fn run(&mut self, src: &mut Source<'_>) {
        loop {
            if let Some(n) = self.opts.stop_after_streams {
                if self.report.streams.len() >= n {
                    break;
                }
            }
            let start = src.offset();
            let first = match src.next_byte() {
                Ok(Some(b)) => b,
                Ok(None) => break,
                Err(e) => {
                    self.report.incomplete.push(Incomplete::Io {
                        offset: start,
                        error: format!("{e:?}"),
                    });
                    break;
                }
            };
            if self.report.streams.len() >= self.opts.max_streams {
                self.report.incomplete.push(Incomplete::CapReached {
                    offset: start,
                    cap: "max-streams".into(),
                });
                break;
            }
            let extra = !self.report.streams.is_empty();
            let mut st = Stream {
                joblib: self.depth == 0,
                ..Stream::default()
            };
            let res = self.run_stream(&mut st, src, first, start);
            let end = src.offset();
            let complete = res.is_ok();
            self.report.streams.push(StreamInfo {
                start,
                end,
                protocol: st.protocol,
                complete,
                opcodes: st.ops,
            });
            if let Err((off, halt)) = res {
                if extra {
                    // Data after the first stream that is not a complete pickle.
                    let rest = drain(src);
                    self.report.trailing = Some((start, end - start + rest));
                } else {
                    self.report.incomplete.push(match halt {
                        Halt::Eof => Incomplete::Truncated { offset: end },
                        Halt::Corrupt(reason) => Incomplete::Corrupt {
                            offset: off,
                            reason,
                        },
                        Halt::Io(error) => Incomplete::Io { offset: off, error },
                    });
                }
                break;
            }
        }
        self.report.end = src.offset();
    }

    fn run_stream(
        &mut self,
        st: &mut Stream,
        src: &mut Source<'_>,
        first: u8,
        start: u64,
    ) -> Result<(), (u64, Halt)> {
        let mut op = first;
        let mut off = start;
        loop {
            st.ops += 1;
            match self.step(st, src, op, off) {
                Ok(true) => return Ok(()),
                Ok(false) => {}
                Err(h) => return Err((off, h)),
            }
            // The common opcodes whose argument is buffered run on the fast path; anything
            // else (and anything the fast path would have to report) goes through `step`.
            let base = src.offset();
            let (i, ops) = self.fast_run(st, src.window(), base);
            st.ops += ops;
            src.advance(i);
            off = src.offset();
            op = match src.next_byte() {
                Ok(Some(b)) => b,
                Ok(None) => return Err((off, Halt::Eof)),
                Err(e) => return Err((off, e.into())),
            };
        }
    }

    /// Runs the common opcodes whose argument is all in `win` (the buffered input at offset
    /// `base`) and that cannot fail or reach a cap, up to the first other one, which is left
    /// to [`Machine::step`] with nothing changed. Returns the bytes and opcodes consumed.
    /// Every case does exactly what `step` does.
    #[inline(never)]
    fn fast_run(&mut self, st: &mut Stream, win: &[u8], base: u64) -> (usize, u64) {
        // The stack is moved out of `st` for the loop, so that it can be lent to the
        // inner loop beside the other parts of the stream.
        let mut stack = std::mem::take(&mut st.stack);
        let r = self.fast_loop(st, &mut stack, win, base);
        st.stack = stack;
        r
    }

    /// [`Machine::fast_run`] with the stack held apart (a plain `Vec`: its slots are `Copy`,
    /// so pushes, pops and truncation are stores and length updates).
    #[inline(always)]
    fn fast_loop(
        &mut self,
        st: &mut Stream,
        stack: &mut Vec<Slot>,
        win: &[u8],
        base: u64,
    ) -> (usize, u64) {
        let max_stack = self.max_stack;
        let mut floor = Self::floor(st);
        let mut rest = win;
        let mut ops = 0u64;
        // Every opcode run here fits in 16 bytes with its argument, so one bounds check per
        // opcode covers it (the last 15 bytes of a buffer are left to `step`).
        loop {
            Self::run_simple(
                &mut rest,
                stack,
                &mut ops,
                Simple {
                    floor,
                    max_stack,
                    memo: &mut st.memo,
                    boxes: &st.boxes,
                    arena: &mut st.arena,
                    max_memo: self.max_memo,
                    tuples: self.max_value_depth >= 1,
                },
            );
            let Some(c) = rest.first_chunk::<16>() else {
                break;
            };
            let op = c[0];
            let room = stack.len() < max_stack;
            let mut pushed = true;
            let used = match op {
                0x94 | b'q' | b'r' => {
                    if stack.len() <= floor {
                        break;
                    }
                    let Some(&s) = stack.last() else { break };
                    let (idx, used) = match op {
                        0x94 => (st.memo.len() as u64, 0),
                        b'q' => (u64::from(c[1]), 1),
                        _ => (u64::from(u32::from_le_bytes([c[1], c[2], c[3], c[4]])), 4),
                    };
                    if op != 0x94 || !st.memo.idle {
                        st.memo.put(idx, s, &st.boxes, self.max_memo, &mut st.arena);
                    }
                    pushed = false;
                    used
                }
                b'h' | b'j' => {
                    let (idx, used) = if op == b'h' {
                        (u64::from(c[1]), 1)
                    } else {
                        (u64::from(u32::from_le_bytes([c[1], c[2], c[3], c[4]])), 4)
                    };
                    if !room {
                        break;
                    }
                    let Some(s) = st.memo.get(idx) else { break };
                    stack.push(st.boxes.adopt(s, &st.memo.boxes));
                    used
                }
                0x8c => {
                    let n = c[1];
                    if usize::from(n) > SHORT || !room {
                        break;
                    }
                    stack.push(Slot::short_op(c));
                    1 + usize::from(n)
                }
                b'K' | b'M' | b'J' | b'G' | b'N' | 0x88 | 0x89 | b']' => {
                    if !room {
                        break;
                    }
                    let (s, used) = match op {
                        b'K' => (Slot::int(i64::from(c[1])), 1),
                        b'M' => (Slot::int(i64::from(u16::from_le_bytes([c[1], c[2]]))), 2),
                        b'J' => {
                            let x = i32::from_le_bytes([c[1], c[2], c[3], c[4]]);
                            (Slot::int(i64::from(x)), 4)
                        }
                        b'G' => (Slot::FLOAT, 8),
                        b'N' => (Slot::NONE, 0),
                        b']' => (Slot::LIST, 0),
                        _ => (Slot::bool(op == 0x88), 0),
                    };
                    stack.push(s);
                    used
                }
                0x95 => {
                    pushed = false;
                    8
                }
                b'(' => {
                    if st.marks.len() >= max_stack {
                        break;
                    }
                    floor = stack.len();
                    st.marks.push(floor);
                    pushed = false;
                    0
                }
                0x85..=0x87 => {
                    let n = usize::from(op - 0x84);
                    let top = stack.len();
                    if top < floor + n {
                        break;
                    }
                    let arr = match stack.get(top - n..) {
                        Some(&[a]) => [a, Slot::NONE, Slot::NONE],
                        Some(&[a, b]) => [a, b, Slot::NONE],
                        Some(&[a, b, c]) => [a, b, c],
                        _ => break,
                    };
                    if Slot::all_scalar(&arr) && self.max_value_depth >= 1 {
                        let t = match st.arena.alloc(n as u8, arr) {
                            Some(t) => t,
                            None => self.tuple_slow(st, stack, n, arr),
                        };
                        // The items are scalars: dropping their slots releases nothing.
                        stack.truncate(top - n);
                        stack.push(t);
                    } else if arr.iter().any(|s| s.is_tup()) {
                        // Arena tuples inside other values are made ordinary first (in `step`).
                        break;
                    } else {
                        let items = stack.get(top - n..).unwrap_or(&[]);
                        let depth = 1 + items.iter().fold(0, |d, s| d.max(st.depth(*s)));
                        let arr = pop_items(stack, &mut st.boxes, n);
                        let v = if depth > self.max_value_depth {
                            Value::Unknown
                        } else {
                            Value::Tuple(self.small_tuple(n as u8, arr, depth))
                        };
                        stack.push(st.boxes.slot(v));
                    }
                    0
                }
                b'u' | b'e' => {
                    // SETITEMS / APPENDS: the target just below the mark must exist.
                    let Some(&m) = st.marks.last() else { break };
                    let below = st.marks.len().checked_sub(2).and_then(|i| st.marks.get(i));
                    if m == 0 || m <= below.copied().unwrap_or(0) || m > stack.len() {
                        break;
                    }
                    let n = stack.len() - m;
                    if op == b'u' {
                        if n % 2 != 0 && !st.degraded {
                            break;
                        }
                        let off = base + (win.len() - rest.len()) as u64;
                        self.set_items(st, stack, m, off);
                    }
                    st.marks.pop();
                    self.discard(stack.get(m..).unwrap_or(&[]), &mut st.boxes);
                    stack.truncate(m);
                    floor = Self::floor(st);
                    pushed = false;
                    0
                }
                _ => break,
            };
            rest = rest.get(1 + used..).unwrap_or(&[]);
            ops += 1;
            if pushed {
                if let [0x94, after @ ..] = rest {
                    // MEMOIZE right after a push (the new top is above the floor).
                    if !st.memo.idle {
                        if let Some(&s) = stack.last() {
                            let idx = st.memo.len() as u64;
                            st.memo.put(idx, s, &st.boxes, self.max_memo, &mut st.arena);
                        }
                    }
                    rest = after;
                    ops += 1;
                }
            }
        }
        (win.len() - rest.len(), ops)
    }

    /// The innermost loop: runs of the commonest opcodes of small-object pickles (short
    /// strings, numbers, `None`, `MEMOIZE`, `BINGET` of an unboxed entry, tuples of one to
    /// three scalars) as long as each needs nothing but a store on the stack, the memo or
    /// the arena. Stops, with nothing changed, at the first opcode that needs more (a full
    /// stack, a sweep of the arena, a boxed value, a mark...), which the caller runs. Every
    /// case does exactly what `step` does. Kept small and apart so that its state stays in
    /// registers.
    #[inline(never)]
    fn run_simple(rest: &mut &[u8], stack: &mut Vec<Slot>, ops: &mut u64, run: Simple<'_>) {
        let Simple {
            floor,
            max_stack,
            memo,
            boxes,
            arena,
            max_memo,
            tuples,
        } = run;
        let mut r: &[u8] = rest;
        let mut n_ops = 0u64;
        while let Some(c) = r.first_chunk::<16>() {
            // (Every case pushes at most one slot.)
            if stack.len() >= max_stack {
                break;
            }
            let (s, used) = match c[0] {
                0x8c => {
                    let n = c[1];
                    if usize::from(n) > SHORT {
                        break;
                    }
                    (Slot::short_op(c), 1 + usize::from(n))
                }
                b'G' => (Slot::FLOAT, 8),
                b'J' => (
                    Slot::int(i64::from(i32::from_le_bytes([c[1], c[2], c[3], c[4]]))),
                    4,
                ),
                b'K' => (Slot::int(i64::from(c[1])), 1),
                b'M' => (Slot::int(i64::from(u16::from_le_bytes([c[1], c[2]]))), 2),
                b'N' => (Slot::NONE, 0),
                b'h' => match memo.get(u64::from(c[1])) {
                    Some(s) if !s.is_heap() => (s, 1),
                    _ => break,
                },
                0x94 => {
                    if stack.len() <= floor {
                        break;
                    }
                    if !memo.idle {
                        let appended = match stack.last() {
                            Some(&s) => memo.append_unboxed(s, max_memo, arena),
                            None => false,
                        };
                        if !appended {
                            Self::memoize(stack, memo, boxes, max_memo, arena);
                        }
                    }
                    r = r.get(1..).unwrap_or(&[]);
                    n_ops += 1;
                    continue;
                }
                op @ 0x85..=0x87 => {
                    let n = usize::from(op - 0x84);
                    let top = stack.len();
                    if top < floor + n || !tuples {
                        break;
                    }
                    let arr = match stack.get(top - n..) {
                        Some(&[a]) => [a, Slot::NONE, Slot::NONE],
                        Some(&[a, b]) => [a, b, Slot::NONE],
                        Some(&[a, b, c]) => [a, b, c],
                        _ => break,
                    };
                    if !Slot::all_scalar(&arr) {
                        break;
                    }
                    let Some(tup) = arena.alloc(n as u8, arr) else {
                        break;
                    };
                    // The items are scalars: dropping their slots releases nothing.
                    stack.truncate(top - n);
                    (tup, 0)
                }
                _ => break,
            };
            stack.push(s);
            r = r.get(1 + used..).unwrap_or(&[]);
            n_ops += 1;
        }
        *rest = r;
        *ops += n_ops;
    }

    /// `MEMOIZE` of the top of the stack for [`Machine::run_simple`] (apart, so that its work
    /// stays out of that loop).
    #[inline(never)]
    fn memoize(
        stack: &[Slot],
        memo: &mut Memo,
        boxes: &Boxes,
        max_memo: usize,
        arena: &mut TupleArena,
    ) {
        if let Some(&s) = stack.last() {
            let idx = memo.len() as u64;
            memo.put(idx, s, boxes, max_memo, arena);
        }
    }

    /// A tuple of the scalars `arr` when the arena has no free slot: sweeps it if it is
    /// due, else (the arena is full) makes an ordinary tuple.
    #[cold]
    #[inline(never)]
    fn tuple_slow(&mut self, st: &mut Stream, stack: &[Slot], n: usize, arr: [Slot; 3]) -> Slot {
        if st.arena.needs_collect() {
            st.arena.collect(stack);
            if let Some(t) = st.arena.alloc(n as u8, arr) {
                return t;
            }
        }
        let items = arr.map(Slot::scalar_value);
        let v = Value::Tuple(self.small_tuple(n as u8, items, 1));
        st.boxes.slot(v)
    }

    /// `SETITEMS` of the stack items from `m` up into the dict below them, if it is one with
    /// room (the items are taken off the stack then).
    fn set_items(&mut self, st: &mut Stream, stack: &mut Vec<Slot>, m: usize, off: u64) {
        let target = m
            .checked_sub(1)
            .and_then(|t| stack.get(t))
            .and_then(|s| st.boxes.get(*s));
        if let Some(Value::Dict(d)) = target {
            if d.len() < DICT_ITEMS {
                let d = d.clone();
                let mut key = None;
                for s in stack.split_off(m) {
                    let v = st.take(s);
                    match key.take() {
                        None => key = Some(v),
                        Some(k) => self.dict_insert(&d, &k, v, off),
                    }
                }
            }
        }
    }

    /// A tuple of up to three items, reusing a recycled allocation when there is one.
    #[inline(always)]
    fn small_tuple(&mut self, n: u8, arr: [Value; 3], depth: u16) -> Rc<TupleVal> {
        if let Some(mut rc) = self.tuple_pool.pop() {
            if let Some(t) = Rc::get_mut(&mut rc) {
                // Pooled tuples are emptied (three `None`s): nothing to drop.
                std::mem::forget(std::mem::replace(t, TupleVal::inline(n, arr, depth)));
                return rc;
            }
        }
        Rc::new(TupleVal::inline(n, arr, depth))
    }

    /// Releases the boxes of `slots` (stack items being discarded), keeping the
    /// allocations of small tuples nothing else refers to for [`Machine::small_tuple`]
    /// (emptied, so they hold nothing alive).
    #[inline]
    fn discard(&mut self, slots: &[Slot], boxes: &mut Boxes) {
        for &s in slots {
            // Only boxed slots own anything.
            if s.is_heap() {
                let v = boxes.take(s);
                self.recycle(v);
            }
        }
    }

    /// Drops `v`, keeping its allocation for [`Machine::small_tuple`] if it is a small
    /// tuple nothing else refers to.
    fn recycle(&mut self, v: Value) {
        if let Value::Tuple(mut rc) = v {
            if self.tuple_pool.len() < TUPLE_POOL {
                if let Some(t) = Rc::get_mut(&mut rc) {
                    if matches!(t.items, Items::Inline(..)) {
                        let old = std::mem::replace(
                            &mut t.items,
                            Items::Inline(0, [Value::None, Value::None, Value::None]),
                        );
                        if matches!(&old, Items::Inline(_, arr) if arr.iter().all(Value::is_scalar))
                        {
                            // Nothing in it owns memory: skip the drop glue.
                            std::mem::forget(old);
                        }
                        self.tuple_pool.push(rc);
                    }
                }
            }
        }
    }

    // ----- stack helpers -------------------------------------------------------------

    #[inline(always)]
    fn push(&mut self, st: &mut Stream, v: Value, off: u64) {
        if st.stack.len() >= self.max_stack {
            self.stack_full(st, off);
        }
        let s = st.boxes.slot(v);
        st.stack.push(s);
    }

    /// Pushes a slot that is not boxed (a scalar or an arena tuple).
    fn push_unboxed(&mut self, st: &mut Stream, s: Slot, off: u64) {
        if st.stack.len() >= self.max_stack {
            self.stack_full(st, off);
        }
        st.stack.push(s);
    }

    #[cold]
    fn stack_full(&mut self, st: &mut Stream, off: u64) {
        self.cap(off, "max-stack");
        st.degraded = true;
        st.stack.clear();
        // Nothing refers to the stack's boxes any more.
        st.boxes.clear();
        st.marks.clear();
    }

    fn floor(st: &Stream) -> usize {
        st.marks.last().copied().unwrap_or(0)
    }

    fn pop(&mut self, st: &mut Stream) -> Result<Value, Halt> {
        if st.stack.len() > Self::floor(st) {
            if let Some(s) = st.stack.pop() {
                return Ok(st.take(s));
            }
        }
        if st.degraded {
            return Ok(Value::Unknown);
        }
        corrupt("unpickling stack underflow")
    }

    fn top(&mut self, st: &mut Stream) -> Result<Value, Halt> {
        let s = self.top_slot(st)?;
        Ok(st.value_of(s))
    }

    /// The top slot of the stack (left there; `Unknown` past an underflow in degraded mode).
    fn top_slot(&mut self, st: &mut Stream) -> Result<Slot, Halt> {
        if st.stack.len() > Self::floor(st) {
            if let Some(s) = st.stack.last() {
                return Ok(*s);
            }
        }
        if st.degraded {
            return Ok(Slot::UNKNOWN);
        }
        corrupt("unpickling stack underflow")
    }

    fn pop_mark(&mut self, st: &mut Stream) -> Result<Vec<Value>, Halt> {
        let items = match st.marks.pop() {
            Some(m) => st.stack.split_off(m.min(st.stack.len())),
            None if st.degraded => std::mem::take(&mut st.stack),
            None => return corrupt("could not find MARK"),
        };
        Ok(items.into_iter().map(|s| st.take(s)).collect())
    }

    fn cap(&mut self, off: u64, cap: &str) {
        if !self
            .report
            .incomplete
            .iter()
            .any(|i| matches!(i, Incomplete::CapReached { cap: c, .. } if c == cap))
        {
            self.report.incomplete.push(Incomplete::CapReached {
                offset: off,
                cap: cap.into(),
            });
        }
    }

    fn unresolved(&mut self, off: u64, what: &str) {
        if self.report.incomplete.len() < 64 {
            self.report.incomplete.push(Incomplete::Unresolved {
                offset: off,
                what: what.into(),
            });
        }
    }

    /// Stores the top of the stack; an entry dropped past the cap is reported only if it
    /// is read back (see [`Memo`]).
    fn memo_put(&mut self, st: &mut Stream, idx: u64) -> Result<(), Halt> {
        let s = self.top_slot(st)?;
        st.memo.put(idx, s, &st.boxes, self.max_memo, &mut st.arena);
        Ok(())
    }

    fn memo_get(&mut self, st: &mut Stream, idx: u64, off: u64) -> Result<(), Halt> {
        let s = match st.memo.get(idx) {
            Some(s) => s,
            None if st.memo.dropped => {
                self.cap(off, "max-memo");
                Slot::UNKNOWN
            }
            None if st.degraded => Slot::UNKNOWN,
            None => return corrupt(format!("memo value not found at index {idx}")),
        };
        match st.memo.boxes.get(s) {
            // Boxed into the stack's boxes only after `push` has made room.
            Some(v) => {
                let v = v.clone();
                self.push(st, v, off);
            }
            None => self.push_unboxed(st, s, off),
        }
        Ok(())
    }

    // ----- records -------------------------------------------------------------------

    /// Counts one more record against the cap shared with nested machines.
    fn take_record(&mut self) -> bool {
        let n = self.records.get();
        if n >= self.opts.max_records {
            if !self.records_noted {
                self.records_noted = true;
                self.cap(self.at, "max-records");
            }
            return false;
        }
        self.records.set(n + 1);
        true
    }

    fn record_ref(&mut self, name: &str, kind: RefKind, off: u64, via: Option<&str>) {
        let key = (name.to_string(), kind);
        if let Some(&i) = self.ref_index.get(&key) {
            if let Some(r) = self.report.refs.get_mut(i) {
                r.count += 1;
            }
            return;
        }
        if !self.take_record() {
            if !self.records_noted {
                self.records_noted = true;
                self.cap(off, "max-records");
            }
            return;
        }
        self.ref_index.insert(key, self.report.refs.len());
        self.report.refs.push(CallableRef {
            name: name.to_string(),
            kind,
            offset: off,
            count: 1,
            via: via.map(str::to_string),
        });
    }

    fn record_call(
        &mut self,
        callee: &str,
        kind: CallKind,
        off: u64,
        args: &[Value],
        via: Option<&str>,
    ) {
        let key = (callee.to_string(), kind);
        if let Some(&i) = self.call_index.get(&key) {
            if let Some(c) = self.report.calls.get_mut(i) {
                c.count += 1;
            }
            return;
        }
        if !self.take_record() {
            if !self.records_noted {
                self.records_noted = true;
                self.cap(off, "max-records");
            }
            return;
        }
        let arg_preview = args.iter().find_map(|a| a.preview(120));
        self.call_index.insert(key, self.report.calls.len());
        self.report.calls.push(CallSite {
            callee: callee.to_string(),
            kind,
            offset: off,
            count: 1,
            arg_preview,
            via: via.map(str::to_string),
        });
    }

    // ----- payloads ------------------------------------------------------------------

    fn payload(
        &mut self,
        src: &mut Source<'_>,
        len: u64,
        is_bytes: bool,
        off: u64,
    ) -> Result<Value, Halt> {
        if !is_bytes && len <= SHORT as u64 {
            let mut buf = [0u8; SHORT];
            let n = len as usize;
            src.fill_exact(buf.get_mut(..n).unwrap_or(&mut []))?;
            if let Some(s) = ShortStr::new(buf.get(..n).unwrap_or(&[])) {
                return Ok(Value::Short(s));
            }
        }
        let offset = src.offset();
        let over_budget = self.live.get() >= self.opts.payload_budget;
        if over_budget {
            // Past the budget long payloads are skipped unkept; using one is unresolved.
            if !self.budget_noted {
                self.budget_noted = true;
                self.cap(off, "payload-budget");
            }
            src.take(len, 0)?;
            return Ok(Value::Unknown);
        }
        let keep = if over_budget {
            NAME_KEEP
        } else {
            self.opts.keep_payload
        };
        let mut nested = None;
        let data = if len > keep as u64 && is_bytes && self.depth < self.opts.max_nested_depth {
            // Large payload: analyse it as a pickle while skipping it, if it looks like one.
            let head_len = len.min(16);
            let head = src.take(head_len, 16)?;
            if looks_like_pickle(&head) {
                let mut lim = src.limited(len - head_len);
                let report = {
                    let mut chained = (&head[..]).chain(&mut lim);
                    let mut inner = Machine::new(self.opts, self.depth + 1);
                    inner.live = self.live.clone();
                    inner.records = self.records.clone();
                    let mut isrc = Source::new(&mut chained, offset);
                    inner.run(&mut isrc);
                    inner.report
                };
                let left = lim.left();
                src.take(left, 0)?;
                nested = Some(Rc::new(report));
                head
            } else {
                // Zip archives (e.g. `torch.save` bytes for `torch.storage._load_from_bytes`)
                // are kept whole up to a limit so the scanner can open them.
                let keep_all = head.starts_with(b"PK\x03\x04")
                    && len <= MAX_ARCHIVE_PAYLOAD
                    && self.live.get() + len <= self.opts.payload_budget;
                let keep = if keep_all { len as usize } else { keep };
                let mut head = head;
                let more = src.take(len - head_len, keep.saturating_sub(head.len()))?;
                head.extend_from_slice(&more);
                head
            }
        } else {
            src.take(len, keep)?
        };
        let live = self.live.charge(data.len() as u64 + 112);
        if nested.is_none()
            && is_bytes
            && data.len() as u64 == len
            && looks_like_pickle(&data)
            && self.depth < self.opts.max_nested_depth
        {
            nested = Some(Rc::new(self.analyse_nested(&data, offset)));
        }
        let p = Rc::new(Payload {
            data,
            len,
            offset,
            nested,
            recorded: Default::default(),
            live,
        });
        self.note_embedded(&p);
        Ok(if is_bytes {
            Value::Bytes(p)
        } else {
            Value::Str(p)
        })
    }

    fn analyse_nested(&self, data: &[u8], offset: u64) -> PickleReport {
        let mut inner = Machine::new(self.opts, self.depth + 1);
        inner.live = self.live.clone();
        inner.records = self.records.clone();
        let mut r = data;
        let mut isrc = Source::new(&mut r, offset);
        inner.run(&mut isrc);
        inner.report
    }

    /// Records an embedded pickle that imports something, even if never loaded.
    fn note_embedded(&mut self, p: &Rc<Payload>) {
        if let Some(n) = &p.nested {
            if !n.refs.is_empty() && p.recorded.get().is_none() && self.take_record() {
                p.recorded.set(Some(self.report.nested.len()));
                self.report.nested.push(NestedPickle {
                    offset: p.offset,
                    loader: None,
                    report: Some(Box::new((**n).clone())),
                    unanalysed: None,
                    archive: None,
                });
            }
        }
    }

    fn line_text(src: &mut Source<'_>) -> Result<(String, bool), Halt> {
        let (data, len) = src.line(4096)?;
        Ok((
            String::from_utf8_lossy(&data).into_owned(),
            data.len() as u64 == len,
        ))
    }

    fn line_int(src: &mut Source<'_>) -> Result<u64, Halt> {
        let (t, _) = Self::line_text(src)?;
        match t.trim().parse::<u64>() {
            Ok(v) => Ok(v),
            Err(_) => corrupt(format!("invalid memo index {:?}", truncate(&t, 40))),
        }
    }

    /// Charges `cost` bytes of kept values to the budget; `false` (and a cap hit) when
    /// the budget is exhausted.
    fn charge(&mut self, cost: u64, off: u64) -> bool {
        if self.budget_used.saturating_add(cost) > self.opts.payload_budget {
            if !self.budget_noted {
                self.budget_noted = true;
                self.cap(off.max(self.at), "payload-budget");
            }
            return false;
        }
        self.budget_used += cost;
        true
    }

    fn make_tuple(&mut self, items: Vec<Value>) -> Value {
        let depth = 1 + items.iter().map(Value::depth).max().unwrap_or(0);
        if depth > self.max_value_depth {
            return Value::Unknown;
        }
        let mut items = items;
        items.truncate(self.opts.max_items);
        if items.len() > 3 && !self.charge(16 * items.len() as u64 + 48, 0) {
            items.truncate(3);
        }
        Value::Tuple(Rc::new(TupleVal::new(items, depth)))
    }

    fn call_val(&mut self, func: Name, args: Vec<Value>) -> Rc<CallVal> {
        let depth = 1 + args.iter().map(Value::depth).max().unwrap_or(0);
        let mut args = args;
        if depth > self.max_value_depth {
            args.clear();
        }
        args.truncate(self.opts.max_items);
        if args.len() > 3 && !self.charge(16 * args.len() as u64 + 64, 0) {
            args.truncate(3);
        }
        Rc::new(CallVal {
            func,
            args,
            depth: depth.min(self.max_value_depth),
        })
    }

    fn dict_insert(&mut self, d: &DictVal, k: &Value, v: Value, off: u64) {
        if d.len() < DICT_ITEMS && v.is_flat() && self.charge(96, off) {
            d.insert(k, v, DICT_ITEMS);
        }
    }

    fn global(&mut self, module: &str, name: &str, kind: RefKind, off: u64) -> Name {
        let q = qualify(module, name);
        self.record_ref(&q, kind, off, None);
        Rc::new(q)
    }

    // ----- calls ---------------------------------------------------------------------

    fn args_of(v: Value) -> Vec<Value> {
        match v {
            Value::Tuple(t) => t.items().to_vec(),
            Value::Unknown => vec![Value::Unknown],
            _ => Vec::new(),
        }
    }

    fn call(
        &mut self,
        func: Value,
        args: Vec<Value>,
        kind: CallKind,
        off: u64,
        hops: u8,
    ) -> Result<Value, Halt> {
        if hops > 8 {
            self.unresolved(off, "callable chain deeper than 8 hops");
            return Ok(Value::Unknown);
        }
        match func {
            Value::Global(name) | Value::Module(name) => {
                Ok(self.call_named(name, args, kind, off, None))
            }
            Value::Partial(p) => {
                let mut all = p.args.clone();
                all.extend(args);
                Ok(self.call_named(
                    p.func.clone(),
                    all,
                    CallKind::Indirect,
                    off,
                    Some("functools.partial"),
                ))
            }
            Value::AttrGetter(names) => {
                let obj = args.first().cloned().unwrap_or(Value::Unknown);
                let mut out = Vec::new();
                for n in names.iter() {
                    let target = format!("{}.{n}", obj.qualname());
                    self.record_ref(&target, RefKind::Indirect, off, Some("operator.attrgetter"));
                    out.push(Value::Global(Rc::new(target)));
                }
                Ok(if out.len() == 1 {
                    out.pop().unwrap_or(Value::Unknown)
                } else {
                    self.make_tuple(out)
                })
            }
            Value::MethodCaller(mc) => {
                let obj = args.first().cloned().unwrap_or(Value::Unknown);
                let target = format!("{}.{}", obj.qualname(), mc.func);
                self.record_ref(
                    &target,
                    RefKind::Indirect,
                    off,
                    Some("operator.methodcaller"),
                );
                Ok(self.call_named(
                    Rc::new(target),
                    mc.args.clone(),
                    CallKind::Indirect,
                    off,
                    Some("operator.methodcaller"),
                ))
            }
            Value::Call(c) => {
                let callee = format!("<result of {}>", c.func);
                self.record_call(&callee, kind, off, &args, Some(&c.func));
                Ok(Value::Call(self.call_val(Rc::new(callee), args)))
            }
            Value::PersId => {
                self.record_call("<persistent object>", kind, off, &args, None);
                Ok(Value::Unknown)
            }
            Value::Unknown => {
                self.unresolved(off, "a callable");
                self.record_call("<unknown>", kind, off, &args, None);
                Ok(Value::Unknown)
            }
            other => corrupt(format!("{} object is not callable", other.qualname())),
        }
    }

    fn call_named(
        &mut self,
        name: Name,
        args: Vec<Value>,
        kind: CallKind,
        off: u64,
        via: Option<&str>,
    ) -> Value {
        self.record_call(&name, kind, off, &args, via);
        let arg_str = |i: usize| args.get(i).and_then(Value::as_str);
        match name.as_str() {
            "builtins.getattr" => match (args.first(), arg_str(1)) {
                (Some(obj), Some(attr)) => {
                    let target = format!("{}.{attr}", obj.qualname());
                    self.record_ref(&target, RefKind::Indirect, off, Some("builtins.getattr"));
                    return Value::Global(Rc::new(target));
                }
                _ => {
                    self.unresolved(off, "the attribute name passed to builtins.getattr");
                    return Value::Unknown;
                }
            },
            "operator.attrgetter" => {
                let names: Vec<String> = (0..args.len()).filter_map(arg_str).collect();
                if names.len() != args.len() || names.is_empty() {
                    self.unresolved(off, "the names passed to operator.attrgetter");
                }
                return Value::AttrGetter(Rc::new(names));
            }
            "operator.methodcaller" => match arg_str(0) {
                Some(m) => {
                    let rest = args.get(1..).unwrap_or(&[]).to_vec();
                    return Value::MethodCaller(self.call_val(Rc::new(m), rest));
                }
                None => {
                    self.unresolved(off, "the method name passed to operator.methodcaller");
                    return Value::Unknown;
                }
            },
            "functools.partial" | "functools.partialmethod" => {
                let target = match args.first() {
                    Some(Value::Global(n)) | Some(Value::Module(n)) => Some(n.clone()),
                    Some(Value::Partial(p)) => {
                        let mut all = p.args.clone();
                        all.extend(args.get(1..).unwrap_or(&[]).iter().cloned());
                        return Value::Partial(self.call_val(p.func.clone(), all));
                    }
                    Some(other) => Some(Rc::new(other.qualname())),
                    None => None,
                };
                if let Some(t) = target {
                    let rest = args.get(1..).unwrap_or(&[]).to_vec();
                    return Value::Partial(self.call_val(t, rest));
                }
            }
            // `_ufunc_reconstruct(module, name)` imports `module` and returns `module.name`.
            "numpy.core._ufunc_reconstruct"
            | "numpy._core._ufunc_reconstruct"
            | "numpy.core.umath._ufunc_reconstruct" => {
                if let (Some(m), Some(n)) = (arg_str(0), arg_str(1)) {
                    let target = qualify(&m, &n);
                    self.record_ref(&target, RefKind::Indirect, off, Some(&name));
                    return Value::Global(Rc::new(target));
                }
                self.unresolved(off, "the names passed to numpy _ufunc_reconstruct");
                return Value::Unknown;
            }
            "builtins.__import__" | "importlib.import_module" | "importlib.__import__" => {
                if let Some(m) = arg_str(0) {
                    let m = qualify(&m, "");
                    self.record_ref(&m, RefKind::Indirect, off, Some(&name));
                    return Value::Module(Rc::new(m));
                }
                self.unresolved(off, "the module name passed to an import function");
                return Value::Unknown;
            }
            "copyreg.add_extension" => {
                if let (Some(m), Some(n), Some(code)) =
                    (arg_str(0), arg_str(1), args.get(2).and_then(Value::as_int))
                {
                    self.ext.insert(code, Rc::new(qualify(&m, &n)));
                }
            }
            "_codecs.encode" | "codecs.encode" | "builtins.bytes" | "builtins.bytearray" => {
                if let Some(v) = self.encode_bytes(args.first(), off) {
                    return v;
                }
            }
            "base64.b64decode"
            | "base64.standard_b64decode"
            | "base64.urlsafe_b64decode"
            | "base64.decodebytes"
            | "binascii.a2b_base64" => {
                let text = match args.first() {
                    Some(Value::Str(p) | Value::Bytes(p)) if p.complete() => Some(p.data.clone()),
                    Some(Value::Short(s)) => Some(s.bytes().to_vec()),
                    _ => None,
                };
                if let Some(decoded) = text.and_then(|t| base64_decode(&t)) {
                    let b = Value::Bytes(self.bytes_payload(decoded, off));
                    // Keep the call visible to loaders looking through arguments.
                    return Value::Call(self.call_val(name, vec![b]));
                }
            }
            _ => {}
        }
        if is_nested_loader(&name) {
            self.nested_load(&name, &args, off);
        }
        Value::Call(self.call_val(name, args))
    }

    /// `str` → `bytes` the way `_codecs.encode(s, 'latin1')` does, keeping nested analysis.
    fn encode_bytes(&mut self, v: Option<&Value>, off: u64) -> Option<Value> {
        let (raw, at): (&[u8], u64) = match v {
            Some(Value::Bytes(p)) => return Some(Value::Bytes(p.clone())),
            Some(Value::Str(p)) if p.complete() => (&p.data, p.offset),
            Some(Value::Short(s)) => (s.bytes(), off),
            _ => return None,
        };
        {
            {
                let text = String::from_utf8_lossy(raw);
                let data: Vec<u8> = if text.chars().all(|c| (c as u32) < 256) {
                    text.chars().map(|c| c as u32 as u8).collect()
                } else {
                    text.as_bytes().to_vec()
                };
                let nested = if looks_like_pickle(&data) && self.depth < self.opts.max_nested_depth
                {
                    Some(Rc::new(self.analyse_nested(&data, at)))
                } else {
                    None
                };
                let live = self.live.charge(data.len() as u64 + 112);
                let np = Rc::new(Payload {
                    live,
                    len: data.len() as u64,
                    data,
                    offset: at,
                    nested,
                    recorded: Default::default(),
                });
                self.note_embedded(&np);
                Some(Value::Bytes(np))
            }
        }
    }

    /// A bytes payload computed by the machine (decoded), analysed if it is a pickle.
    fn bytes_payload(&mut self, data: Vec<u8>, at: u64) -> Rc<Payload> {
        let nested = if looks_like_pickle(&data) && self.depth < self.opts.max_nested_depth {
            Some(Rc::new(self.analyse_nested(&data, at)))
        } else {
            None
        };
        let live = self.live.charge(data.len() as u64 + 112);
        let p = Rc::new(Payload {
            live,
            len: data.len() as u64,
            data,
            offset: at,
            nested,
            recorded: Default::default(),
        });
        self.note_embedded(&p);
        p
    }

    fn find_payload(v: &Value, depth: u8) -> Option<Rc<Payload>> {
        if depth > 6 {
            return None;
        }
        match v {
            Value::Bytes(p) => Some(p.clone()),
            Value::Str(p) => Some(p.clone()),
            Value::Tuple(t) => t
                .items()
                .iter()
                .find_map(|i| Self::find_payload(i, depth + 1)),
            Value::Call(c) => c.args.iter().find_map(|i| Self::find_payload(i, depth + 1)),
            _ => None,
        }
    }

    fn nested_load(&mut self, loader: &str, args: &[Value], off: u64) {
        let payload = args.iter().find_map(|a| Self::find_payload(a, 0));
        let (offset, report, unanalysed) = match payload {
            None => (
                off,
                None,
                Some("the argument is not a literal bytes value".to_string()),
            ),
            Some(p) => {
                if let Some(idx) = p.recorded.get() {
                    if let Some(n) = self.report.nested.get_mut(idx) {
                        n.loader = Some(loader.to_string());
                        return;
                    }
                }
                if let Some(n) = &p.nested {
                    (p.offset, Some(Box::new((**n).clone())), None)
                } else if !p.complete() {
                    (
                        p.offset,
                        None,
                        Some(format!(
                            "payload of {} bytes is larger than the analysis keeps",
                            p.len
                        )),
                    )
                } else if p.data.starts_with(b"PK\x03\x04") {
                    if self.take_record() {
                        self.report.nested.push(NestedPickle {
                            offset: p.offset,
                            loader: Some(loader.to_string()),
                            report: None,
                            unanalysed: None,
                            archive: Some(p.data.clone()),
                        });
                    }
                    return;
                } else if loader.starts_with("marshal.") {
                    (
                        p.offset,
                        None,
                        Some("payload is marshalled Python code".to_string()),
                    )
                } else if self.depth >= self.opts.max_nested_depth {
                    self.cap(off, "max-nested-depth");
                    (
                        p.offset,
                        None,
                        Some("nested deeper than the analysis follows".to_string()),
                    )
                } else {
                    let r = self.analyse_nested(&p.data, p.offset);
                    (p.offset, Some(Box::new(r)), None)
                }
            }
        };
        if self.take_record() {
            self.report.nested.push(NestedPickle {
                offset,
                loader: Some(loader.to_string()),
                report,
                unanalysed,
                archive: None,
            });
        }
    }

    // ----- the opcodes ---------------------------------------------------------------

    /// Executes one opcode; `Ok(true)` at `STOP`.
    fn step(
        &mut self,
        st: &mut Stream,
        src: &mut Source<'_>,
        op: u8,
        off: u64,
    ) -> Result<bool, Halt> {
        self.at = off;
        match op {
            b'(' => {
                if st.marks.len() >= self.max_stack {
                    self.cap(off, "max-stack");
                    st.degraded = true;
                    st.marks.clear();
                    st.stack.clear();
                }
                st.marks.push(st.stack.len());
            }
            b'.' => {
                self.pop(st)?;
                return Ok(true);
            }
            b'0' => {
                if st.stack.len() > Self::floor(st) {
                    if let Some(s) = st.stack.pop() {
                        st.boxes.release(s);
                    }
                } else {
                    self.pop_mark(st)?;
                }
            }
            b'1' => {
                self.pop_mark(st)?;
            }
            b'2' => {
                let s = self.top_slot(st)?;
                match st.boxes.get(s) {
                    // Boxed again only after `push` has made room.
                    Some(v) => {
                        let v = v.clone();
                        self.push(st, v, off);
                    }
                    None => self.push_unboxed(st, s, off),
                }
            }
            b'F' => {
                let (t, _) = Self::line_text(src)?;
                if t.trim().parse::<f64>().is_err() {
                    return corrupt("invalid FLOAT literal");
                }
                self.push(st, Value::Float, off);
            }
            b'I' => {
                let (t, _) = Self::line_text(src)?;
                let v = match t.trim() {
                    "00" => Value::Bool(false),
                    "01" => Value::Bool(true),
                    s => parse_int(s)?,
                };
                self.push(st, v, off);
            }
            b'L' => {
                let (t, _) = Self::line_text(src)?;
                let v = parse_int(t.trim().trim_end_matches('L'))?;
                self.push(st, v, off);
            }
            b'J' => {
                let v = i32::from_le_bytes(src.array::<4>()?);
                self.push(st, Value::Int(i64::from(v)), off);
            }
            b'K' => {
                let [v] = src.array::<1>()?;
                self.push(st, Value::Int(i64::from(v)), off);
            }
            b'M' => {
                let v = u16::from_le_bytes(src.array::<2>()?);
                self.push(st, Value::Int(i64::from(v)), off);
            }
            b'N' => self.push(st, Value::None, off),
            0x88 => self.push(st, Value::Bool(true), off),
            0x89 => self.push(st, Value::Bool(false), off),
            b'G' => {
                src.array::<8>()?;
                self.push(st, Value::Float, off);
            }
            0x8a => {
                let [n] = src.array::<1>()?;
                let v = long_value(&src.take(u64::from(n), 8)?, u64::from(n));
                self.push(st, v, off);
            }
            0x8b => {
                let n = i32::from_le_bytes(src.array::<4>()?);
                let Ok(n) = u64::try_from(n) else {
                    return corrupt("LONG pickle has negative byte count");
                };
                let v = long_value(&src.take(n, 8)?, n);
                self.push(st, v, off);
            }
            b'P' => {
                Self::line_text(src)?;
                self.report.persistent_ids += 1;
                self.push(st, Value::PersId, off);
            }
            b'Q' => {
                self.pop(st)?;
                self.report.persistent_ids += 1;
                self.push(st, Value::PersId, off);
            }
            b'S' => {
                let (data, len) = src.line(self.opts.keep_payload)?;
                let complete = data.len() as u64 == len;
                let text = if complete {
                    decode_string_repr(&data)?
                } else {
                    unescape(&data, false)
                };
                let v = self.text_value(text, complete, len, src.offset());
                self.push(st, v, off);
            }
            b'V' => {
                let (data, len) = src.line(self.opts.keep_payload)?;
                let complete = data.len() as u64 == len;
                let v = self.text_value(
                    decode_raw_unicode_escape(&data),
                    complete,
                    len,
                    src.offset(),
                );
                self.push(st, v, off);
            }
            b'T' => {
                let n = i32::from_le_bytes(src.array::<4>()?);
                let Ok(n) = u64::try_from(n) else {
                    return corrupt("BINSTRING pickle has negative byte count");
                };
                let v = self.payload(src, n, false, off)?;
                self.push(st, v, off);
            }
            b'U' => {
                let [n] = src.array::<1>()?;
                let v = self.payload(src, u64::from(n), false, off)?;
                self.push(st, v, off);
            }
            b'X' => {
                let n = u32::from_le_bytes(src.array::<4>()?);
                let v = self.payload(src, u64::from(n), false, off)?;
                self.push(st, v, off);
            }
            0x8c => {
                let [n] = src.array::<1>()?;
                let v = self.payload(src, u64::from(n), false, off)?;
                self.push(st, v, off);
            }
            0x8d => {
                let n = u64::from_le_bytes(src.array::<8>()?);
                let v = self.payload(src, n, false, off)?;
                self.push(st, v, off);
            }
            b'B' => {
                let n = u32::from_le_bytes(src.array::<4>()?);
                let v = self.payload(src, u64::from(n), true, off)?;
                self.push(st, v, off);
            }
            b'C' => {
                let [n] = src.array::<1>()?;
                let v = self.payload(src, u64::from(n), true, off)?;
                self.push(st, v, off);
            }
            0x8e | 0x96 => {
                let n = u64::from_le_bytes(src.array::<8>()?);
                let v = self.payload(src, n, true, off)?;
                self.push(st, v, off);
            }
            0x97 => self.push(st, Value::Buffer, off),
            0x98 => {
                self.top(st)?;
            }
            b')' => {
                let v = self.make_tuple(Vec::new());
                self.push(st, v, off);
            }
            b't' => {
                let items = self.pop_mark(st)?;
                let v = self.make_tuple(items);
                self.push(st, v, off);
            }
            0x85..=0x87 => {
                let n = usize::from(op - 0x84);
                let mut arr = [Value::None, Value::None, Value::None];
                for i in (0..n).rev() {
                    let v = self.pop(st)?;
                    if let Some(slot) = arr.get_mut(i) {
                        *slot = v;
                    }
                }
                let depth = 1 + arr.iter().map(Value::depth).max().unwrap_or(0);
                let v = if depth > self.max_value_depth {
                    Value::Unknown
                } else {
                    Value::Tuple(Rc::new(TupleVal::inline(n as u8, arr, depth)))
                };
                self.push(st, v, off);
            }
            b']' => self.push(st, Value::List, off),
            b'}' => self.push(st, Value::Dict(Rc::default()), off),
            0x8f => self.push(st, Value::Set, off),
            b'l' => {
                self.pop_mark(st)?;
                self.push(st, Value::List, off);
            }
            b'd' => {
                let items = self.pop_mark(st)?;
                if items.len() % 2 != 0 && !st.degraded {
                    return corrupt("odd number of items for DICT");
                }
                let d = Rc::new(DictVal::default());
                let mut it = items.into_iter();
                while let (Some(k), Some(v)) = (it.next(), it.next()) {
                    self.dict_insert(&d, &k, v, off);
                }
                self.push(st, Value::Dict(d), off);
            }
            0x91 => {
                self.pop_mark(st)?;
                self.push(st, Value::Set, off);
            }
            b'a' => {
                self.pop(st)?;
                self.top(st)?;
            }
            b'e' | 0x90 => {
                self.pop_mark(st)?;
                self.top(st)?;
            }
            b's' => {
                let v = self.pop(st)?;
                let k = self.pop(st)?;
                if let Value::Dict(d) = self.top(st)? {
                    self.dict_insert(&d, &k, v, off);
                }
            }
            b'u' => {
                let items = self.pop_mark(st)?;
                if items.len() % 2 != 0 && !st.degraded {
                    return corrupt("odd number of items for SETITEMS");
                }
                if let Value::Dict(d) = self.top(st)? {
                    let mut it = items.into_iter();
                    while let (Some(k), Some(v)) = (it.next(), it.next()) {
                        self.dict_insert(&d, &k, v, off);
                    }
                }
            }
            b'b' => {
                let state = self.pop(st)?;
                let obj = self.top(st)?;
                if st.joblib && is_joblib_wrapper(&obj) {
                    self.joblib_array(src, &state)?;
                }
            }
            b'p' => {
                let idx = Self::line_int(src)?;
                self.memo_put(st, idx)?;
            }
            b'q' => {
                let [i] = src.array::<1>()?;
                self.memo_put(st, u64::from(i))?;
            }
            b'r' => {
                let i = u32::from_le_bytes(src.array::<4>()?);
                self.memo_put(st, u64::from(i))?;
            }
            0x94 => {
                if st.memo.idle {
                    // Dropped (see `Memo::idle`); an empty stack is still an error.
                    self.top_slot(st)?;
                } else {
                    let idx = st.memo.len() as u64;
                    self.memo_put(st, idx)?;
                }
            }
            b'g' => {
                let idx = Self::line_int(src)?;
                self.memo_get(st, idx, off)?;
            }
            b'h' => {
                let [i] = src.array::<1>()?;
                self.memo_get(st, u64::from(i), off)?;
            }
            b'j' => {
                let i = u32::from_le_bytes(src.array::<4>()?);
                self.memo_get(st, u64::from(i), off)?;
            }
            b'c' => {
                let (module, mok) = Self::line_text(src)?;
                let (name, nok) = Self::line_text(src)?;
                if !mok || !nok {
                    self.unresolved(off, "an over-long GLOBAL name");
                }
                let n = self.global(&module, &name, RefKind::Global, off);
                self.push(st, Value::Global(n), off);
            }
            0x93 => {
                let name = self.pop(st)?;
                let module = self.pop(st)?;
                let v = match (module.as_str(), name.as_str()) {
                    (Some(m), Some(n)) => {
                        Value::Global(self.global(&m, &n, RefKind::StackGlobal, off))
                    }
                    _ if st.degraded
                        || matches!(module, Value::Unknown | Value::Str(_) | Value::Short(_))
                            && matches!(name, Value::Unknown | Value::Str(_) | Value::Short(_)) =>
                    {
                        self.unresolved(off, "the names of a STACK_GLOBAL");
                        self.record_ref("<unresolved>", RefKind::StackGlobal, off, None);
                        Value::Unknown
                    }
                    _ => return corrupt("STACK_GLOBAL requires str"),
                };
                self.push(st, v, off);
            }
            b'i' => {
                let (module, _) = Self::line_text(src)?;
                let (name, _) = Self::line_text(src)?;
                let n = self.global(&module, &name, RefKind::Inst, off);
                let args = self.pop_mark(st)?;
                let v = self.call(Value::Global(n), args, CallKind::Instantiate, off, 0)?;
                self.push(st, v, off);
            }
            b'o' => {
                let mut items = self.pop_mark(st)?.into_iter();
                let Some(cls) = items.next() else {
                    return corrupt("OBJ without a class");
                };
                let v = self.call(cls, items.collect(), CallKind::Instantiate, off, 0)?;
                self.push(st, v, off);
            }
            b'R' => {
                let args = self.pop(st)?;
                let func = self.pop(st)?;
                let v = self.call(func, Self::args_of(args), CallKind::Reduce, off, 0)?;
                self.push(st, v, off);
            }
            0x81 => {
                let args = self.pop(st)?;
                let cls = self.pop(st)?;
                let v = self.call(cls, Self::args_of(args), CallKind::NewObj, off, 0)?;
                self.push(st, v, off);
            }
            0x92 => {
                self.pop(st)?;
                let args = self.pop(st)?;
                let cls = self.pop(st)?;
                let v = self.call(cls, Self::args_of(args), CallKind::NewObj, off, 0)?;
                self.push(st, v, off);
            }
            0x82..=0x84 => {
                let code: i64 = match op {
                    0x82 => i64::from(src.array::<1>()?[0]),
                    0x83 => i64::from(u16::from_le_bytes(src.array::<2>()?)),
                    _ => i64::from(i32::from_le_bytes(src.array::<4>()?)),
                };
                if code <= 0 {
                    return corrupt("EXT specifies code <= 0");
                }
                let v = match self.ext.get(&code).cloned() {
                    Some(n) => {
                        self.record_ref(&n, RefKind::Extension, off, Some("copyreg extension"));
                        Value::Global(n)
                    }
                    None => {
                        let n = format!("<extension code {code}>");
                        self.record_ref(&n, RefKind::Extension, off, None);
                        Value::Global(Rc::new(n))
                    }
                };
                self.push(st, v, off);
            }
            0x80 => {
                let [p] = src.array::<1>()?;
                if p > 5 {
                    return corrupt(format!("unsupported pickle protocol: {p}"));
                }
                st.protocol = Some(st.protocol.map_or(p, |q| q.max(p)));
            }
            0x95 => {
                src.array::<8>()?;
            }
            _ => return corrupt(format!("invalid load key 0x{op:02x}")),
        }
        Ok(false)
    }

    /// Skips (or, for object arrays, analyses) the array data joblib writes right after a
    /// `NumpyArrayWrapper`'s `BUILD`.
    fn joblib_array(&mut self, src: &mut Source<'_>, state: &Value) -> Result<(), Halt> {
        let Value::Dict(d) = state else {
            return corrupt("joblib NumpyArrayWrapper without a state dict");
        };
        let dtype = match d.get("dtype") {
            Some(Value::Call(c)) if c.func.as_str() == "numpy.dtype" => {
                c.args.first().and_then(Value::as_str)
            }
            _ => None,
        };
        let Some(dtype) = dtype else {
            return corrupt("cannot determine the dtype of a joblib array");
        };
        let Some((object, itemsize)) = dtype_itemsize(&dtype) else {
            return corrupt(format!("unsupported joblib array dtype {dtype:?}"));
        };
        if object {
            // An object array is written as a complete pickle stream in place.
            let start = src.offset();
            let Some(first) = src.next_byte()? else {
                return Err(Halt::Eof);
            };
            let mut inner = Stream::default();
            return self
                .run_stream(&mut inner, src, first, start)
                .map_err(|(_, h)| h);
        }
        let count = match d.get("shape") {
            Some(Value::Tuple(t)) => t.items().iter().try_fold(1u64, |acc, v| {
                v.as_int()
                    .and_then(|x| u64::try_from(x).ok())
                    .and_then(|x| acc.checked_mul(x))
            }),
            _ => None,
        };
        let Some(bytes) = count.and_then(|c| c.checked_mul(itemsize)) else {
            return corrupt("cannot determine the shape of a joblib array");
        };
        if matches!(d.get("numpy_array_alignment_bytes"), Some(v) if !matches!(v, Value::None)) {
            let [pad] = src.array::<1>()?;
            src.take(u64::from(pad), 0)?;
        }
        src.take(bytes, 0)?;
        Ok(())
    }

    fn text_value(&mut self, data: Vec<u8>, complete: bool, raw_len: u64, end: u64) -> Value {
        if complete {
            if let Some(s) = ShortStr::new(&data) {
                return Value::Short(s);
            }
        }
        let len = if complete {
            data.len() as u64
        } else {
            raw_len.max(data.len() as u64 + 1)
        };
        let live = self.live.charge(data.len() as u64 + 112);
        Value::Str(Rc::new(Payload {
            live,
            data,
            len,
            offset: end.saturating_sub(raw_len + 1),
            nested: None,
            recorded: Default::default(),
        }))
    }
}

fn is_joblib_wrapper(v: &Value) -> bool {
    matches!(v, Value::Call(c) if matches!(c.func.as_str(),
        "joblib.numpy_pickle.NumpyArrayWrapper"
            | "sklearn.externals.joblib.numpy_pickle.NumpyArrayWrapper"))
}

/// `(is object, item size)` of a NumPy dtype string such as `f8`, `<i4`, `U10` or `O8`.
fn dtype_itemsize(s: &str) -> Option<(bool, u64)> {
    let s = s.trim_start_matches(['<', '>', '=', '|']);
    let mut chars = s.chars();
    let kind = chars.next()?;
    let digits: String = chars.take_while(char::is_ascii_digit).collect();
    let n: u64 = if digits.is_empty() {
        0
    } else {
        digits.parse().ok()?
    };
    match kind {
        'O' => Some((true, 8)),
        '?' => Some((false, 1)),
        'U' => Some((false, n.checked_mul(4)?)),
        'b' | 'i' | 'u' | 'f' | 'c' | 'm' | 'M' | 'S' | 'a' | 'V' if n > 0 => Some((false, n)),
        _ => None,
    }
}

/// Decodes standard or URL-safe base64, ignoring whitespace; `None` if invalid.
fn base64_decode(text: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    let (mut acc, mut bits) = (0u32, 0u32);
    for &c in text {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            b'=' => break,
            b' ' | b'\n' | b'\r' | b'\t' => continue,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

fn drain(src: &mut Source<'_>) -> u64 {
    src.skip_to_end()
}

fn truncate(s: &str, n: usize) -> &str {
    match s.char_indices().nth(n) {
        Some((i, _)) => s.get(..i).unwrap_or(s),
        None => s,
    }
}

fn parse_int(s: &str) -> Result<Value, Halt> {
    if let Ok(v) = s.parse::<i64>() {
        return Ok(Value::Int(v));
    }
    let digits = s.strip_prefix('-').unwrap_or(s);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(Value::BigInt);
    }
    corrupt(format!("invalid literal for int(): {:?}", truncate(s, 40)))
}

fn long_value(bytes: &[u8], n: u64) -> Value {
    if n == 0 {
        return Value::Int(0);
    }
    if n > 8 {
        return Value::BigInt;
    }
    let neg = bytes.last().is_some_and(|b| b & 0x80 != 0);
    let mut buf = [if neg { 0xff } else { 0 }; 8];
    for (d, s) in buf.iter_mut().zip(bytes) {
        *d = *s;
    }
    Value::Int(i64::from_le_bytes(buf))
}

/// Decodes a protocol 0 `STRING` argument: a quoted Python literal with escapes.
fn decode_string_repr(raw: &[u8]) -> Result<Vec<u8>, Halt> {
    let inner = match raw {
        [q, mid @ .., q2] if (*q == b'\'' || *q == b'"') && q == q2 => mid,
        _ => return corrupt("the STRING opcode argument must be quoted"),
    };
    Ok(unescape(inner, false))
}

fn decode_raw_unicode_escape(raw: &[u8]) -> Vec<u8> {
    unescape(raw, true)
}

/// Python escape decoding (`\n`, `\\`, `\'`, `\xNN`, and `\uNNNN`/`\UNNNNNNNN` for unicode).
fn unescape(s: &[u8], unicode_only: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while let Some(&b) = s.get(i) {
        if b != b'\\' {
            out.push(b);
            i += 1;
            continue;
        }
        let next = s.get(i + 1).copied();
        let hex = |from: usize, n: usize| -> Option<u32> {
            let h = s.get(from..from + n)?;
            u32::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok()
        };
        let mut push_char = |c: u32| {
            if let Some(ch) = char::from_u32(c) {
                let mut b = [0u8; 4];
                out.extend_from_slice(ch.encode_utf8(&mut b).as_bytes());
            }
        };
        match next {
            Some(b'u') if hex(i + 2, 4).is_some() => {
                push_char(hex(i + 2, 4).unwrap_or(0));
                i += 6;
            }
            Some(b'U') if hex(i + 2, 8).is_some() => {
                push_char(hex(i + 2, 8).unwrap_or(0));
                i += 10;
            }
            _ if unicode_only => {
                out.push(b);
                i += 1;
            }
            Some(b'x') if hex(i + 2, 2).is_some() => {
                out.push(hex(i + 2, 2).unwrap_or(0) as u8);
                i += 4;
            }
            Some(c) => {
                out.push(match c {
                    b'n' => b'\n',
                    b't' => b'\t',
                    b'r' => b'\r',
                    b'0' => 0,
                    other => other,
                });
                i += 2;
            }
            None => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}
