//! Pickle (protocols 0–5): a symbolic machine that resolves every callable a pickle would
//! import or call on load, without executing anything.
//!
//! Entry points are [`analyse`] (any `Read`, streamed) and [`analyse_bytes`]. The result is
//! a [`PickleReport`] of facts; deciding what is dangerous is up to the caller.

mod arena;
mod machine;
mod names;
mod report;
mod slot;
mod value;

pub use machine::{analyse, analyse_bytes, looks_like_pickle, PickleOptions};
pub use names::{is_nested_loader, NESTED_LOADERS};
pub use report::{
    CallKind, CallSite, CallableRef, Incomplete, NestedPickle, PickleReport, RefKind, StreamInfo,
};
mod writer;

pub use writer::PickleWriter;

#[cfg(test)]
mod tests;
