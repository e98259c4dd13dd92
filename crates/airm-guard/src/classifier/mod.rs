//! The prompt-injection / jailbreak classifier: hashed character and word n-grams
//! ([`features`]) scored by a logistic-regression model ([`model`]) trained with SGD
//! ([`train`]). A second head of the same model scores harmful requests (plain requests for
//! harmful content, no injection technique) on the text's content words ([`content`]).
//! The default model is airm's own artefact, trained on the airm prompt set and embedded in
//! the crate; [`Model::default_model`] loads it. This module does no I/O.

pub mod concepts;
pub mod content;
pub mod features;
pub mod model;
pub mod packed;
pub mod tokens;
pub mod train;

pub use model::Model;
pub use packed::PackedWeights;
pub use train::{train, train_with_report, Example, HeadReport, TrainParams, TrainReport};
