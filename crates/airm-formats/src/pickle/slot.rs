//! What the pickle machine's stack and memo hold: [`Slot`], a 16-byte `Copy` value. Scalars
//! (numbers, short strings, markers) and small tuples of scalars (an index into the stream's
//! arena, see `arena.rs`) are stored in the slot itself; every other value (names, long
//! strings, calls, dicts, bigger tuples) lives in a side table, [`Boxes`], and the slot
//! holds its index.
//!
//! Because a slot is `Copy`, pushing, popping, truncating and memo reads of the common
//! values are plain copies with no reference counting and no drop glue. The price is
//! ownership by convention: a [`Slot::heap`] index belongs to exactly one slot of one owner
//! (the stack's boxes or the memo's), so duplicating one means boxing a clone
//! ([`Boxes::adopt`]), and discarding one means releasing its box ([`Boxes::take`] or
//! [`Boxes::release`]). This module does not interpret values; [`Value`] does.

use super::value::{ShortStr, Value};

/// A value on the stack or in the memo: two words, `head` (byte 0 the kind, byte 1 a length
/// or count, bytes 4–7 an index) and `tail` (an integer); a short string fills all sixteen
/// bytes (kind, length, then up to [`super::value::SHORT`] bytes). Copying one is two moves, and a short
/// string is built from the opcode's bytes with one mask.
#[derive(Clone, Copy)]
pub(crate) struct Slot {
    head: u64,
    tail: u64,
}

// The kinds. Scalars are below 16 (see [`Slot::is_scalar`]).
const NONE: u8 = 0;
const BOOL: u8 = 1;
const INT: u8 = 2;
const BIGINT: u8 = 3;
const FLOAT: u8 = 4;
const SHORTSTR: u8 = 5;
const LIST: u8 = 6;
const SET: u8 = 7;
const PERSID: u8 = 8;
const BUFFER: u8 = 9;
const UNKNOWN: u8 = 10;
/// A tuple of `n` (byte 1) scalars in its stream's arena (see
/// [`super::arena::TupleArena`]), slot index in bytes 4–7; only ever on that stream's stack
/// and memo.
const TUP: u8 = 16;
/// Any other value, boxed in its owner's [`Boxes`] (index in bytes 4–7).
const HEAP: u8 = 17;
/// The bit that only the kinds of non-scalars have.
const NOT_SCALAR: u8 = 16;

impl std::fmt::Debug for Slot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.tup(), self.heap()) {
            (Some((n, i)), _) => write!(f, "Tup({n}, {i})"),
            (_, Some(i)) => write!(f, "Heap({i})"),
            _ => write!(f, "{:?}", self.scalar_value()),
        }
    }
}

impl Slot {
    const fn kind(k: u8) -> Slot {
        Slot {
            head: k as u64,
            tail: 0,
        }
    }

    pub const NONE: Slot = Slot::kind(NONE);
    pub const FLOAT: Slot = Slot::kind(FLOAT);
    pub const LIST: Slot = Slot::kind(LIST);
    pub const UNKNOWN: Slot = Slot::kind(UNKNOWN);

    #[inline(always)]
    pub fn int(i: i64) -> Slot {
        Slot {
            head: INT as u64,
            tail: i as u64,
        }
    }

    #[inline(always)]
    pub fn bool(b: bool) -> Slot {
        Slot {
            head: BOOL as u64 | (u64::from(b) << 8),
            tail: 0,
        }
    }

    /// The short string of a `SHORT_BINUNICODE` opcode whose 16 bytes (opcode, length, up
    /// to 14 bytes of text, then whatever follows) are `op`; the length must be at most
    /// [`super::value::SHORT`] (the bytes past it are kept but never read).
    #[inline(always)]
    pub fn short_op(op: &[u8; 16]) -> Slot {
        let (a, b) = op.split_at(8);
        let a = u64::from_le_bytes(a.try_into().unwrap_or([0; 8]));
        let b = u64::from_le_bytes(b.try_into().unwrap_or([0; 8]));
        Slot {
            head: (a & !0xff) | SHORTSTR as u64,
            tail: b,
        }
    }

    /// An arena tuple of `n` items in arena slot `i`.
    #[inline(always)]
    pub fn new_tup(n: u8, i: u32) -> Slot {
        Slot {
            head: TUP as u64 | (u64::from(n) << 8) | (u64::from(i) << 32),
            tail: 0,
        }
    }

    #[inline(always)]
    fn new_heap(i: u32) -> Slot {
        Slot {
            head: HEAP as u64 | (u64::from(i) << 32),
            tail: 0,
        }
    }

    #[inline(always)]
    fn tag(self) -> u8 {
        self.head as u8
    }

    /// `(n, slot)` of an arena tuple.
    #[inline(always)]
    pub fn tup(self) -> Option<(u8, u32)> {
        (self.tag() == TUP).then_some(((self.head >> 8) as u8, (self.head >> 32) as u32))
    }

    /// The box index of a boxed slot.
    #[inline(always)]
    pub fn heap(self) -> Option<u32> {
        (self.tag() == HEAP).then_some((self.head >> 32) as u32)
    }

    #[inline(always)]
    pub fn is_tup(self) -> bool {
        self.tag() == TUP
    }

    #[inline(always)]
    pub fn is_heap(self) -> bool {
        self.tag() == HEAP
    }

    /// Whether the slot is a scalar: it refers to nothing (the items an arena tuple may
    /// hold).
    #[inline(always)]
    pub fn is_scalar(self) -> bool {
        self.tag() & NOT_SCALAR == 0
    }

    /// Whether all of `items` are scalars.
    #[inline(always)]
    pub fn all_scalar(items: &[Slot; 3]) -> bool {
        let [a, b, c] = items;
        (a.head | b.head | c.head) & u64::from(NOT_SCALAR) == 0
    }

    /// The slot of a scalar value, `None` for any other value.
    #[inline]
    pub fn scalar(v: &Value) -> Option<Slot> {
        Some(match v {
            Value::None => Slot::NONE,
            Value::Bool(b) => Slot::bool(*b),
            Value::Int(i) => Slot::int(*i),
            Value::BigInt => Slot::kind(BIGINT),
            Value::Float => Slot::FLOAT,
            Value::Short(s) => {
                let b = s.bytes();
                let mut op = [0u8; 16];
                op[1] = b.len() as u8;
                op.get_mut(2..2 + b.len())?.copy_from_slice(b);
                Slot::short_op(&op)
            }
            Value::List => Slot::LIST,
            Value::Set => Slot::kind(SET),
            Value::PersId => Slot::kind(PERSID),
            Value::Buffer => Slot::kind(BUFFER),
            Value::Unknown => Slot::UNKNOWN,
            _ => return None,
        })
    }

    /// The value of a scalar slot (`Unknown` for an arena or boxed one: callers convert
    /// those with their owner).
    #[inline]
    pub fn scalar_value(self) -> Value {
        match self.tag() {
            NONE => Value::None,
            BOOL => Value::Bool(self.head >> 8 & 1 == 1),
            INT => Value::Int(self.tail as i64),
            BIGINT => Value::BigInt,
            FLOAT => Value::Float,
            SHORTSTR => {
                let h = self.head.to_le_bytes();
                let t = self.tail.to_le_bytes();
                let block = [
                    h[2], h[3], h[4], h[5], h[6], h[7], t[0], t[1], t[2], t[3], t[4], t[5], t[6],
                    t[7],
                ];
                Value::Short(ShortStr::from_block(h[1], block))
            }
            LIST => Value::List,
            SET => Value::Set,
            PERSID => Value::PersId,
            BUFFER => Value::Buffer,
            _ => Value::Unknown,
        }
    }
}

/// Boxed values of one owner (a stream's stack, or its memo), addressed by [`Slot::heap`].
#[derive(Default)]
pub(crate) struct Boxes {
    vals: Vec<Value>,
    /// Indices of released boxes (holding `Value::None`).
    free: Vec<u32>,
}

impl Boxes {
    /// The slot for `v`: scalars in place, anything else boxed. (Past `u32::MAX` live boxes,
    /// which no memory could hold, the value is replaced by `Unknown`.)
    #[inline]
    pub fn slot(&mut self, v: Value) -> Slot {
        if let Some(s) = Slot::scalar(&v) {
            return s;
        }
        if let Some(i) = self.free.pop() {
            if let Some(b) = self.vals.get_mut(i as usize) {
                *b = v;
                return Slot::new_heap(i);
            }
        }
        let i = self.vals.len();
        if i >= u32::MAX as usize {
            return Slot::UNKNOWN;
        }
        self.vals.push(v);
        Slot::new_heap(i as u32)
    }

    /// The boxed value of `s`, if it is boxed.
    #[inline]
    pub fn get(&self, s: Slot) -> Option<&Value> {
        self.vals.get(s.heap()? as usize)
    }

    /// Takes the value out of a boxed slot (releasing the box); the value of a scalar.
    /// Arena tuples are the caller's business (they come back as `Unknown`).
    #[inline]
    pub fn take(&mut self, s: Slot) -> Value {
        match s.heap() {
            Some(i) => match self.vals.get_mut(i as usize) {
                Some(b) => {
                    self.free.push(i);
                    std::mem::replace(b, Value::None)
                }
                None => Value::Unknown,
            },
            None => s.scalar_value(),
        }
    }

    /// Releases the box of `s` (if boxed), dropping its value.
    #[inline]
    pub fn release(&mut self, s: Slot) {
        if s.is_heap() {
            drop(self.take(s));
        }
    }

    /// A second slot with the same value as `s` (owned by `self`, `s` by `from`): boxed
    /// values are cloned into a new box, anything else is copied.
    #[inline]
    pub fn adopt(&mut self, s: Slot, from: &Boxes) -> Slot {
        match from.get(s) {
            Some(v) => {
                let v = v.clone();
                self.slot(v)
            }
            None => s,
        }
    }

    /// Drops every boxed value (when every slot referring to them is gone).
    pub fn clear(&mut self) {
        self.vals.clear();
        self.free.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_two_words_and_boxes_are_reused() {
        assert_eq!(std::mem::size_of::<Slot>(), 16);
        let mut b = Boxes::default();
        assert!(matches!(
            b.slot(Value::Int(-3)).scalar_value(),
            Value::Int(-3)
        ));
        let g = b.slot(Value::Global(std::rc::Rc::new("os.system".into())));
        let i = g.heap().expect("boxed");
        let d = {
            let v = b.get(g).cloned().unwrap();
            b.slot(v)
        };
        assert!(matches!(d.heap(), Some(j) if j != i));
        assert!(matches!(b.take(g), Value::Global(n) if n.as_str() == "os.system"));
        // The released box is the next one used.
        assert_eq!(b.slot(Value::Dict(Default::default())).heap(), Some(i));
        let mut other = Boxes::default();
        let a = other.adopt(d, &b);
        assert!(matches!(other.get(a), Some(Value::Global(_))));
        b.release(d);
        assert!(matches!(b.get(d), Some(Value::None)));
    }

    #[test]
    fn scalars_round_trip() {
        let short = ShortStr::new(b"torch._utils").unwrap();
        for v in [
            Value::None,
            Value::Bool(true),
            Value::Bool(false),
            Value::Int(i64::MIN),
            Value::Int(-1),
            Value::BigInt,
            Value::Float,
            Value::Short(short),
            Value::Short(ShortStr::new(b"").unwrap()),
            Value::List,
            Value::Set,
            Value::PersId,
            Value::Buffer,
            Value::Unknown,
        ] {
            let s = Slot::scalar(&v).unwrap();
            assert!(s.is_scalar() && !s.is_tup() && !s.is_heap());
            assert_eq!(format!("{:?}", s.scalar_value()), format!("{v:?}"));
        }
        // From the opcode's bytes, with other bytes after the string.
        let mut op = [0xAAu8; 16];
        op[0] = 0x8c;
        op[1] = 12;
        op[2..14].copy_from_slice(b"torch._utils");
        let v = Slot::short_op(&op).scalar_value();
        assert!(Slot::all_scalar(&[
            Slot::short_op(&op),
            Slot::NONE,
            Slot::int(-1)
        ]));
        assert!(!Slot::all_scalar(&[
            Slot::NONE,
            Slot::new_tup(1, 0),
            Slot::NONE
        ]));
        assert_eq!(v.as_str().as_deref(), Some("torch._utils"));
        let t = Slot::new_tup(3, u32::MAX);
        assert_eq!(t.tup(), Some((3, u32::MAX)));
        assert!(!t.is_scalar() && t.heap().is_none());
    }
}
