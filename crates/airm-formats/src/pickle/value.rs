//! Symbolic values on the pickle machine's stack and memo.
//!
//! Values keep only what resolving callables needs: names, short strings and bytes, tuple
//! items (capped), and call results with their arguments. Lists, dicts and sets are opaque
//! markers, so memory stays bounded whatever the pickle builds. Nesting depth is capped so
//! that dropping a value never recurses deeply.
//!
//! The stack and memo do not hold values directly but [`super::slot::Slot`]s: scalars in
//! place, tuples of one to three scalars in the stream's arena (see `arena.rs`), anything
//! else boxed in a side table.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use super::report::PickleReport;

/// A string or bytes payload, possibly only a prefix of it.
#[derive(Debug)]
pub(crate) struct Payload {
    /// The kept bytes (all of them when `complete`).
    pub data: Vec<u8>,
    /// The full length.
    pub len: u64,
    /// Offset of the payload's first byte.
    pub offset: u64,
    /// Analysis of the payload as a pickle, when it was analysed while being read.
    pub nested: Option<Rc<PickleReport>>,
    /// Index in the report's nested list when it was recorded as embedded.
    pub recorded: Cell<Option<usize>>,
    /// The live-bytes counter this payload is charged to (released on drop).
    #[allow(dead_code)] // Held for its Drop.
    pub live: Charged,
}

/// Bytes of payload currently kept, shared by a machine and its nested machines.
#[derive(Debug, Clone, Default)]
pub(crate) struct LiveBytes(Rc<Cell<u64>>);

impl LiveBytes {
    pub fn get(&self) -> u64 {
        self.0.get()
    }

    /// Charges `n` bytes; the returned handle releases them when dropped.
    pub fn charge(&self, n: u64) -> Charged {
        self.0.set(self.0.get().saturating_add(n));
        Charged {
            live: self.clone(),
            n,
        }
    }
}

/// Bytes charged to a [`LiveBytes`], released on drop.
#[derive(Debug)]
pub(crate) struct Charged {
    live: LiveBytes,
    n: u64,
}

impl Drop for Charged {
    fn drop(&mut self) {
        let c = &self.live.0;
        c.set(c.get().saturating_sub(self.n));
    }
}

impl Payload {
    pub fn complete(&self) -> bool {
        self.data.len() as u64 == self.len
    }

    pub fn text(&self) -> Option<String> {
        if self.complete() {
            Some(String::from_utf8_lossy(&self.data).into_owned())
        } else {
            None
        }
    }
}

/// A shared name (thin pointer keeps `Value` at 16 bytes).
pub(crate) type Name = Rc<String>;

/// Tuple items: up to three inline (one allocation per tuple), more on the heap.
#[derive(Debug)]
pub(crate) enum Items {
    Inline(u8, [Value; 3]),
    Heap(Vec<Value>),
}

/// A tuple with its nesting depth.
#[derive(Debug)]
pub(crate) struct TupleVal {
    pub items: Items,
    pub depth: u16,
}

impl TupleVal {
    pub fn new(mut items: Vec<Value>, depth: u16) -> Self {
        let items = if items.len() <= 3 {
            let n = items.len() as u8;
            let mut arr = [Value::None, Value::None, Value::None];
            for (slot, v) in arr.iter_mut().zip(items.drain(..)) {
                *slot = v;
            }
            Items::Inline(n, arr)
        } else {
            Items::Heap(items)
        };
        TupleVal { items, depth }
    }

    /// A tuple of the first `n` (at most three) values of `arr`.
    pub fn inline(n: u8, arr: [Value; 3], depth: u16) -> Self {
        TupleVal {
            items: Items::Inline(n.min(3), arr),
            depth,
        }
    }

    pub fn items(&self) -> &[Value] {
        match &self.items {
            Items::Inline(n, arr) => arr.get(..usize::from(*n)).unwrap_or(&[]),
            Items::Heap(v) => v,
        }
    }
}

/// A `str` of at most [`SHORT`] bytes, stored inside the value (no allocation).
#[derive(Debug, Clone, Copy)]
pub(crate) struct ShortStr {
    len: u8,
    buf: [u8; SHORT],
}

/// Longest [`ShortStr`].
pub(crate) const SHORT: usize = 14;

impl ShortStr {
    #[inline]
    pub fn new(b: &[u8]) -> Option<Self> {
        if b.len() > SHORT {
            return None;
        }
        let mut buf = [0u8; SHORT];
        buf.get_mut(..b.len())?.copy_from_slice(b);
        Some(ShortStr {
            len: b.len() as u8,
            buf,
        })
    }

    /// A string of `n` bytes (at most [`SHORT`]) from the start of `block` (the bytes past
    /// `n` are never read).
    #[inline(always)]
    pub fn from_block(n: u8, block: [u8; SHORT]) -> Self {
        ShortStr {
            len: n.min(SHORT as u8),
            buf: block,
        }
    }

    pub fn bytes(&self) -> &[u8] {
        self.buf.get(..usize::from(self.len)).unwrap_or(&[])
    }
}

/// Depth assigned to every dict (its entries are flat, so at most this deep).
pub(crate) const DICT_DEPTH: u16 = 3;

/// A dict's kept entries.
#[derive(Debug, Default)]
pub(crate) struct DictVal {
    pub items: RefCell<Vec<(String, Value)>>,
}

impl DictVal {
    /// Entries kept.
    pub fn len(&self) -> usize {
        self.items.try_borrow().map_or(usize::MAX, |i| i.len())
    }

    /// The value kept under `key`.
    pub fn get(&self, key: &str) -> Option<Value> {
        let items = self.items.try_borrow().ok()?;
        items.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone())
    }

    /// Keeps `key: value` if it is flat and there is room (updates past the cap are
    /// ignored: only the first entries of a dict matter for resolution).
    pub fn insert(&self, key: &Value, value: Value, cap: usize) {
        if !value.is_flat() {
            return;
        }
        let Ok(mut items) = self.items.try_borrow_mut() else {
            return;
        };
        if items.len() >= cap {
            return;
        }
        let Some(k) = key.as_str() else {
            return;
        };
        if let Some(slot) = items.iter_mut().find(|(x, _)| *x == k) {
            slot.1 = value;
        } else {
            items.push((k, value));
        }
    }
}

/// The result of a call, kept with its arguments.
#[derive(Debug)]
pub(crate) struct CallVal {
    /// The resolved callee.
    pub func: Name,
    pub args: Vec<Value>,
    pub depth: u16,
}

/// A symbolic value.
#[derive(Debug, Clone)]
pub(crate) enum Value {
    None,
    Bool(bool),
    Int(i64),
    /// An integer that does not fit `i64`.
    BigInt,
    Float,
    Str(Rc<Payload>),
    /// A short `str`, inline.
    Short(ShortStr),
    Bytes(Rc<Payload>),
    Tuple(Rc<TupleVal>),
    List,
    /// A dict; keeps up to a few `str`-keyed entries whose values are flat (see
    /// [`Value::is_flat`]), so dicts never nest and never form cycles.
    Dict(Rc<DictVal>),
    Set,
    /// A callable or other object obtained by name: `module.qualname`.
    Global(Name),
    /// A module object (from `__import__`/`import_module`).
    Module(Name),
    /// The result of calling something.
    Call(Rc<CallVal>),
    /// `functools.partial(func, *args)`.
    Partial(Rc<CallVal>),
    /// `operator.attrgetter(*names)`.
    AttrGetter(Rc<Vec<String>>),
    /// `operator.methodcaller(name, *args)`; `func` holds the method name.
    MethodCaller(Rc<CallVal>),
    /// The result of a persistent-id load.
    PersId,
    /// An out-of-band buffer.
    Buffer,
    /// Unknown (dropped after a cap, or too deep).
    Unknown,
}

impl Value {
    #[inline]
    pub fn depth(&self) -> u16 {
        match self {
            Value::Tuple(t) => t.depth,
            Value::Call(c) | Value::Partial(c) | Value::MethodCaller(c) => c.depth,
            Value::Dict(_) => DICT_DEPTH,
            _ => 0,
        }
    }

    /// Whether the value is a scalar: it owns no memory and refers to nothing (the items
    /// an arena tuple may hold, see [`super::slot::Slot`]).
    #[inline]
    pub fn is_scalar(&self) -> bool {
        matches!(
            self,
            Value::None
                | Value::Bool(_)
                | Value::Int(_)
                | Value::BigInt
                | Value::Float
                | Value::Short(_)
                | Value::List
                | Value::Set
                | Value::PersId
                | Value::Buffer
                | Value::Unknown
        )
    }

    /// Whether the value may be kept inside a dict: scalars, names, flat tuples and
    /// shallow call results (like `numpy.dtype('f8')`).
    pub fn is_flat(&self) -> bool {
        match self {
            Value::Tuple(t) => t.depth <= 1,
            Value::Call(c) => c.depth <= 2,
            Value::Dict(_) | Value::Partial(_) | Value::MethodCaller(_) | Value::AttrGetter(_) => {
                false
            }
            _ => true,
        }
    }

    /// The string value, if this is a fully known `str`.
    pub fn as_str(&self) -> Option<String> {
        match self {
            Value::Str(p) => p.text(),
            Value::Short(s) => Some(String::from_utf8_lossy(s.bytes()).into_owned()),
            _ => None,
        }
    }

    /// The integer value, if known.
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            Value::Bool(b) => Some(i64::from(*b)),
            _ => None,
        }
    }

    /// A qualified name for the object, as used when reaching attributes of it.
    pub fn qualname(&self) -> String {
        match self {
            Value::Global(n) | Value::Module(n) => n.to_string(),
            Value::Call(c) => format!("<result of {}>", c.func),
            Value::Str(_) | Value::Short(_) => "<str>".to_string(),
            Value::Bytes(_) => "<bytes>".to_string(),
            Value::Tuple(..) => "<tuple>".to_string(),
            Value::List => "<list>".to_string(),
            Value::Dict(_) => "<dict>".to_string(),
            Value::Int(_) | Value::BigInt | Value::Bool(_) => "<int>".to_string(),
            Value::Partial(_) => "<functools.partial object>".to_string(),
            Value::AttrGetter(_) => "<operator.attrgetter object>".to_string(),
            Value::MethodCaller(_) => "<operator.methodcaller object>".to_string(),
            Value::PersId => "<persistent object>".to_string(),
            _ => "<unknown>".to_string(),
        }
    }

    /// A short printable preview of a string or bytes value.
    pub fn preview(&self, max: usize) -> Option<String> {
        let (data, complete) = match self {
            Value::Str(p) | Value::Bytes(p) => (&p.data[..], p.complete()),
            Value::Short(s) => (s.bytes(), true),
            _ => return None,
        };
        let mut s = String::new();
        for ch in String::from_utf8_lossy(data).chars() {
            if s.len() >= max {
                s.push('…');
                return Some(s);
            }
            if ch.is_control() {
                s.extend(ch.escape_default());
            } else {
                s.push(ch);
            }
        }
        if !complete {
            s.push('…');
        }
        Some(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_is_two_words() {
        assert_eq!(std::mem::size_of::<Value>(), 16);
        let s = ShortStr::new(b"torch._utils").unwrap();
        assert_eq!(Value::Short(s).as_str().as_deref(), Some("torch._utils"));
        assert!(ShortStr::new(&[b'x'; 15]).is_none());
        let t = TupleVal::new(vec![Value::Int(1), Value::Int(2)], 1);
        assert_eq!(t.items().len(), 2);
        let t = TupleVal::new(vec![Value::None; 5], 1);
        assert_eq!(t.items().len(), 5);
    }
}
