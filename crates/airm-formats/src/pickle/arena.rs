//! The arena of small tuples: tuples of one to three scalar items (numbers, short strings,
//! markers; see [`Slot::is_scalar`]) are stored here, per stream, and referred to from the
//! stack and memo by an index ([`Slot::tup`]) instead of one reference-counted allocation
//! each.
//!
//! The memo's references to a slot are counted (pins); the stack's are not. Unpinned slots
//! that the stack does not refer to are reclaimed by a sweep that runs only when the arena
//! would otherwise grow past twice what was live after the last sweep, or by the stack's
//! size (amortised constant time per tuple, and memory bounded by twice the memo's tuples
//! plus the stack). Arena tuples hold nothing but scalars, so reclaiming a slot late never
//! keeps anything else alive. An arena tuple never leaves its stream: every value the rest
//! of the machine takes off the stack is made an ordinary [`Value::Tuple`] first
//! ([`TupleArena::own`]).

use std::rc::Rc;

use super::slot::Slot;
use super::value::{TupleVal, Value};

/// Fewest slots before the first sweep.
const MIN_SLOTS: usize = 1 << 13;

#[derive(Default)]
pub(crate) struct TupleArena {
    /// Items; only scalar slots.
    slots: Vec<[Slot; 3]>,
    /// Memo entries referring to each slot.
    pins: Vec<u32>,
    /// One bit per slot, set while its pin count is not zero (a sweep reads 64 at a time).
    pinned: Vec<u64>,
    /// Unused slots.
    free: Vec<u32>,
    /// Slots allowed before the next sweep.
    limit: usize,
    /// Stack references found by the last sweep (kept to reuse the allocation).
    marks: Vec<u64>,
}

impl TupleArena {
    /// Stores a tuple of the first `n` (1–3) of `items` (scalars); `None` when the arena
    /// must be swept first ([`TupleArena::collect`]) or is full.
    #[inline(always)]
    pub fn alloc(&mut self, n: u8, items: [Slot; 3]) -> Option<Slot> {
        let i = match self.free.pop() {
            Some(i) => {
                *self.slots.get_mut(i as usize)? = items;
                i
            }
            None => {
                let len = self.slots.len();
                if len >= self.limit.max(MIN_SLOTS) || len >= u32::MAX as usize {
                    return None;
                }
                self.slots.push(items);
                self.pins.push(0);
                if len % 64 == 0 {
                    self.pinned.push(0);
                }
                len as u32
            }
        };
        Some(Slot::new_tup(n.min(3), i))
    }

    /// Whether [`TupleArena::alloc`] would fail for want of a sweep.
    pub fn needs_collect(&self) -> bool {
        self.free.is_empty() && self.slots.len() >= self.limit.max(MIN_SLOTS)
    }

    /// Counts a memo reference to `v` (if it is an arena tuple).
    #[inline(always)]
    pub fn pin(&mut self, v: Slot) {
        if let Some((_, i)) = v.tup() {
            let i = i as usize;
            if let Some(p) = self.pins.get_mut(i) {
                *p = p.saturating_add(1);
                if let Some(w) = self.pinned.get_mut(i / 64) {
                    *w |= 1 << (i % 64);
                }
            }
        }
    }

    /// Drops a memo reference to `v` (if it is an arena tuple).
    pub fn unpin(&mut self, v: Slot) {
        if let Some((_, i)) = v.tup() {
            let i = i as usize;
            if let Some(p) = self.pins.get_mut(i) {
                *p = p.saturating_sub(1);
                if *p == 0 {
                    if let Some(w) = self.pinned.get_mut(i / 64) {
                        *w &= !(1 << (i % 64));
                    }
                }
            }
        }
    }

    /// Frees every slot that is neither pinned nor referred to by `stack`.
    pub fn collect(&mut self, stack: &[Slot]) {
        let len = self.slots.len();
        self.marks.clear();
        self.marks.resize(len.div_ceil(64), 0);
        for v in stack {
            if let Some((_, i)) = v.tup() {
                let i = i as usize;
                if let Some(w) = self.marks.get_mut(i / 64) {
                    *w |= 1 << (i % 64);
                }
            }
        }
        self.free.clear();
        for (w, &pinned) in self.pinned.iter().enumerate() {
            let live = pinned | self.marks.get(w).copied().unwrap_or(0);
            let mut dead = !live;
            let in_word = len.saturating_sub(w * 64);
            if in_word < 64 {
                dead &= (1u64 << in_word) - 1;
            }
            while dead != 0 {
                self.free.push((w * 64) as u32 + dead.trailing_zeros());
                dead &= dead - 1;
            }
        }
        // Sweeping reads the stack too: at least as many new tuples as it holds keep the
        // cost per tuple constant.
        let live = len - self.free.len();
        self.limit = MIN_SLOTS.max(2 * live).max(live + stack.len());
    }

    /// The items of arena tuple `i`.
    #[inline]
    pub fn items(&self, n: u8, i: u32) -> &[Slot] {
        self.slots
            .get(i as usize)
            .and_then(|s| s.get(..usize::from(n.min(3))))
            .unwrap_or(&[])
    }

    /// The value of an arena tuple as an ordinary tuple of the same items, which can live
    /// outside the stream; `Unknown` for any other slot.
    #[inline]
    pub fn own(&self, n: u8, i: u32) -> Value {
        let mut arr = [Value::None, Value::None, Value::None];
        for (slot, item) in arr.iter_mut().zip(self.items(n, i)) {
            *slot = item.scalar_value();
        }
        Value::Tuple(Rc::new(TupleVal::inline(n, arr, 1)))
    }
}

#[cfg(test)]
impl TupleArena {
    /// Slots in use or free (for tests).
    pub fn slots(&self) -> usize {
        self.slots.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unreferenced_slots_are_reused_after_a_sweep() {
        let mut a = TupleArena::default();
        let mut pinned = Vec::new();
        let mut stack = Vec::new();
        let mut n = 0u64;
        while n < 10 * MIN_SLOTS as u64 {
            match a.alloc(2, [Slot::int(n as i64), Slot::FLOAT, Slot::NONE]) {
                Some(v) => {
                    // Every tenth tuple is memoised, every hundredth stays on the stack.
                    if n % 10 == 0 {
                        a.pin(v);
                        pinned.push(v);
                    } else if n % 100 == 1 {
                        stack.push(v);
                    }
                    n += 1;
                }
                None => a.collect(&stack),
            }
        }
        assert!(a.slots() < 3 * MIN_SLOTS, "{} slots", a.slots());
        for (k, v) in pinned.iter().enumerate() {
            let (n, i) = v.tup().expect("an arena tuple");
            assert_eq!(a.items(n, i).len(), 2);
            assert_eq!(
                a.items(n, i)[0].scalar_value().as_int(),
                Some(10 * k as i64)
            );
        }
        for (k, v) in stack.iter().enumerate() {
            let (n, i) = v.tup().expect("an arena tuple");
            let owned = a.own(n, i);
            assert!(
                matches!(&owned, Value::Tuple(t) if t.items()[0].as_int() == Some(100 * k as i64 + 1))
            );
        }
        // Unpinned and off the stack, a slot is reused by the next sweep.
        a.unpin(pinned[0]);
        while !a.needs_collect() {
            let _ = a.alloc(1, [Slot::NONE; 3]);
        }
        a.collect(&stack);
        let mut reused = false;
        while let Some(v) = a.alloc(1, [Slot::int(-1), Slot::NONE, Slot::NONE]) {
            reused |= v.tup() == Some((1, 0));
        }
        assert!(reused, "slot 0 was not reused");
        // Pinned slots never were.
        for v in &pinned[1..] {
            let (n, i) = v.tup().expect("an arena tuple");
            assert_ne!(a.items(n, i)[0].scalar_value().as_int(), Some(-1));
        }
    }
}
