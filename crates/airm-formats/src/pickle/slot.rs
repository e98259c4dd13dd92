//! What the pickle machine's stack and memo hold: [`Slot`], a 16-byte `Copy` value. Scalars
//! (numbers, short strings, markers) and small tuples of scalars (an index into the stream's
//! arena, see `arena.rs`) are stored in the slot itself; every other value (names, long
//! strings, calls, dicts, bigger tuples) lives in a side table, [`Boxes`], and the slot
//! holds its index.
//!
//! Because a slot is `Copy`, pushing, popping, truncating and memo reads of the common
//! values are plain copies with no reference counting and no drop glue. The price is
//! ownership by convention: a [`Slot::Heap`] index belongs to exactly one slot of one owner
//! (the stack's boxes or the memo's), so duplicating one means boxing a clone
//! ([`Boxes::adopt`]), and discarding one means releasing its box ([`Boxes::take`] or
//! [`Boxes::release`]). This module does not interpret values; [`Value`] does.

use super::value::{ShortStr, Value};

/// A value on the stack or in the memo.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Slot {
    None,
    Bool(bool),
    Int(i64),
    BigInt,
    Float,
    Short(ShortStr),
    List,
    Set,
    PersId,
    Buffer,
    Unknown,
    /// A tuple of `n` scalars in its stream's arena (see [`super::arena::TupleArena`]);
    /// only ever on that stream's stack and memo.
    Tup(u8, u32),
    /// Any other value, boxed in its owner's [`Boxes`].
    Heap(u32),
}

impl Slot {
    /// Whether the slot is a scalar: it refers to nothing (the items an arena tuple may
    /// hold).
    #[inline(always)]
    pub fn is_scalar(&self) -> bool {
        !matches!(self, Slot::Tup(..) | Slot::Heap(_))
    }

    /// The slot of a scalar value, `None` for any other value.
    #[inline]
    pub fn scalar(v: &Value) -> Option<Slot> {
        Some(match v {
            Value::None => Slot::None,
            Value::Bool(b) => Slot::Bool(*b),
            Value::Int(i) => Slot::Int(*i),
            Value::BigInt => Slot::BigInt,
            Value::Float => Slot::Float,
            Value::Short(s) => Slot::Short(*s),
            Value::List => Slot::List,
            Value::Set => Slot::Set,
            Value::PersId => Slot::PersId,
            Value::Buffer => Slot::Buffer,
            Value::Unknown => Slot::Unknown,
            _ => return None,
        })
    }

    /// The value of a scalar slot (`Unknown` for an arena or boxed one: callers convert
    /// those with their owner).
    #[inline]
    pub fn scalar_value(self) -> Value {
        match self {
            Slot::None => Value::None,
            Slot::Bool(b) => Value::Bool(b),
            Slot::Int(i) => Value::Int(i),
            Slot::BigInt => Value::BigInt,
            Slot::Float => Value::Float,
            Slot::Short(s) => Value::Short(s),
            Slot::List => Value::List,
            Slot::Set => Value::Set,
            Slot::PersId => Value::PersId,
            Slot::Buffer => Value::Buffer,
            Slot::Unknown | Slot::Tup(..) | Slot::Heap(_) => Value::Unknown,
        }
    }
}

/// Boxed values of one owner (a stream's stack, or its memo), addressed by [`Slot::Heap`].
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
                return Slot::Heap(i);
            }
        }
        let i = self.vals.len();
        if i >= u32::MAX as usize {
            return Slot::Unknown;
        }
        self.vals.push(v);
        Slot::Heap(i as u32)
    }

    /// The boxed value of `s`, if it is boxed.
    #[inline]
    pub fn get(&self, s: Slot) -> Option<&Value> {
        match s {
            Slot::Heap(i) => self.vals.get(i as usize),
            _ => None,
        }
    }

    /// Takes the value out of a boxed slot (releasing the box); the value of a scalar.
    /// Arena tuples are the caller's business (they come back as `Unknown`).
    #[inline]
    pub fn take(&mut self, s: Slot) -> Value {
        match s {
            Slot::Heap(i) => match self.vals.get_mut(i as usize) {
                Some(b) => {
                    self.free.push(i);
                    std::mem::replace(b, Value::None)
                }
                None => Value::Unknown,
            },
            s => s.scalar_value(),
        }
    }

    /// Releases the box of `s` (if boxed), dropping its value.
    #[inline]
    pub fn release(&mut self, s: Slot) {
        if let Slot::Heap(_) = s {
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
        assert!(matches!(b.slot(Value::Int(3)), Slot::Int(3)));
        let g = b.slot(Value::Global(std::rc::Rc::new("os.system".into())));
        let Slot::Heap(i) = g else {
            panic!("not boxed")
        };
        let d = {
            let v = b.get(g).cloned().unwrap();
            b.slot(v)
        };
        assert!(matches!(d, Slot::Heap(j) if j != i));
        assert!(matches!(b.take(g), Value::Global(n) if n.as_str() == "os.system"));
        // The released box is the next one used.
        assert!(matches!(b.slot(Value::Dict(Default::default())), Slot::Heap(j) if j == i));
        let mut other = Boxes::default();
        let a = other.adopt(d, &b);
        assert!(matches!(other.get(a), Some(Value::Global(_))));
        b.release(d);
        assert!(matches!(b.get(d), Some(Value::None)));
    }
}
