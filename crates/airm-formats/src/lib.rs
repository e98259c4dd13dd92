//! Bounded, panic-free parsers of untrusted model files.
//!
//! Each parser reads through bounded buffers, caps sizes, depths and counts, and reports
//! damage as data rather than panicking: a scanner must be able to say "analysis
//! incomplete at byte N" about any input. Nothing here executes, imports or evaluates
//! content. Parsers state facts; the rules that judge them live in `airm-scan`.

mod error;
pub mod gguf;
pub mod hdf5;
pub mod keras;
pub mod npy;
pub mod onnx;
pub mod pickle;
mod proto;
pub mod safetensors;
mod source;
pub mod tensorflow;

pub use error::FormatError;
