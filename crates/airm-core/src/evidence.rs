//! Evidence: a document or record that shows a control is in place (an impact assessment,
//! a test report, a signature), kept by hash so later tampering is visible.

use serde::{Deserialize, Serialize};

use crate::{ContentHash, Timestamp};

/// A piece of evidence attached to a system, risk or control.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Evidence {
    /// Stable id (`evd_…`).
    pub id: String,
    /// What it shows, e.g. `DPIA 2026`.
    pub title: String,
    /// Kind, e.g. `impact-assessment`, `test-report`, `signature`.
    pub kind: String,
    /// The system it belongs to.
    pub system: Option<String>,
    /// Control or requirement it supports, e.g. `ISO42001:A.5.2` or `EUAIA:Art.9`.
    pub controls: Vec<String>,
    /// Where the document is.
    pub uri: Option<String>,
    /// Hash of the document's bytes.
    pub hash: Option<ContentHash>,
    /// Who provided it.
    pub submitted_by: String,
    /// When it was provided.
    pub submitted_at: Timestamp,
    /// Until when it is valid, if it expires.
    pub valid_until: Option<Timestamp>,
}
