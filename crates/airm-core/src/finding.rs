//! Findings: facts a rule established about an asset, with location and evidence.
//!
//! A finding states what is there ("pickle calls `os.system`"); advice lives in the rule
//! docs, and what to do about it (fail, block, accept) is the user's decision.

use serde::{Deserialize, Serialize};

use crate::parse::string_enum;
use crate::{Severity, Timestamp};

string_enum! {
    /// The user's decision about a finding.
    pub enum FindingStatus: "finding status" {
        /// Not yet dealt with.
        Open = "open",
        /// Risk accepted (usually under an exception).
        Accepted = "accepted",
        /// The cause was removed.
        Fixed = "fixed",
        /// The rule was wrong here.
        FalsePositive = "false-positive",
    }
}

/// Where in an asset a finding was made.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Location {
    /// File path or resource address.
    pub path: String,
    /// Byte offset in the file, for binary formats.
    pub offset: Option<u64>,
    /// 1-based line, for text.
    pub line: Option<u32>,
    /// 1-based column, for text.
    pub column: Option<u32>,
    /// Member inside a container (zip entry, tensor name, layer).
    pub member: Option<String>,
}

/// A fact established by a rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Finding {
    /// Stable id (`fnd_…`).
    pub id: String,
    /// Id of the rule that made it (e.g. `MF001`).
    pub rule_id: String,
    /// Severity (the rule's default unless configured).
    pub severity: Severity,
    /// The asset it concerns, if stored.
    pub asset_id: Option<String>,
    /// Where.
    pub location: Location,
    /// What is there, one sentence.
    pub message: String,
    /// A short evidence string (the resolved callable, the matched text, masked).
    pub evidence: Option<String>,
    /// The user's decision.
    pub status: FindingStatus,
    /// When first seen.
    pub first_seen: Timestamp,
    /// When last seen.
    pub last_seen: Timestamp,
    /// Stable fingerprint (rule + location + evidence) used to deduplicate re-scans.
    pub fingerprint: String,
}
