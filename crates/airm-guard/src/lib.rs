//! airm-guard: runtime scanners for LLM prompts (`PI` rules) and completions (`CO` rules).
//! Text is normalised and decoded first, then every scanner sees the plain form and each
//! decoded variant; a [`Policy`] turns findings into actions per rule and per source.
//! Pure library: no I/O, no network, no async; never panics on input.

pub mod classifier;
pub mod decode;
pub mod error;
pub mod normalize;
pub mod verdict;

pub use classifier::{train, Example, Model, TrainParams};
pub use decode::{DecodeLimits, Decoding};
pub use error::GuardError;
pub use verdict::{Action, GuardFinding, Source, Span, Verdict};
