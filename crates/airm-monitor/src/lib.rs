//! Monitoring of deployed models: per-column drift tests between a reference and a current
//! sample, mergeable profiles (sketches) of large streams, windowed performance metrics,
//! behaviour anomalies in request streams, and the alert rules evaluated over all of them.
//!
//! This crate is pure computation plus readers of local files: it never talks HTTP or to a
//! database. The server stores events and alerts; the CLI prints reports.

pub mod alert;
pub mod anomaly;
pub mod drift;
pub mod error;
pub mod event;
#[cfg(feature = "parquet")]
pub mod parquet;
pub mod perf;
pub mod profile;
pub mod reader;
pub mod reference;
pub mod sketch;
pub mod stats;
pub mod table;

pub use error::{MonitorError, Result};
