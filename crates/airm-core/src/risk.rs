//! Risk register entries: a threat to an AI system, how likely and how bad, who owns it and
//! what is being done about it.

use serde::{Deserialize, Serialize};

use crate::parse::string_enum;
use crate::{Severity, Timestamp};

string_enum! {
    /// Qualitative likelihood of a threat materialising within a year.
    pub enum Likelihood: "likelihood" {
        /// Less than 5 %.
        Rare = "rare",
        /// 5–25 %.
        Unlikely = "unlikely",
        /// 25–50 %.
        Possible = "possible",
        /// 50–80 %.
        Likely = "likely",
        /// More than 80 %.
        AlmostCertain = "almost-certain",
    }
}

string_enum! {
    /// How the organisation treats a risk (ISO 31000 options).
    pub enum Treatment: "treatment" {
        /// Reduce likelihood or impact with controls.
        Mitigate = "mitigate",
        /// Stop the activity that causes it.
        Avoid = "avoid",
        /// Share it (insurance, contract).
        Transfer = "transfer",
        /// Live with it, under a documented acceptance.
        Accept = "accept",
    }
}

string_enum! {
    /// Where a risk is in its life.
    pub enum RiskStatus: "risk status" {
        /// Identified, not yet assessed.
        Identified = "identified",
        /// Assessed; treatment being applied.
        Treating = "treating",
        /// Treated; watched.
        Monitoring = "monitoring",
        /// No longer relevant.
        Closed = "closed",
    }
}

/// An entry of the risk register.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Risk {
    /// Stable id (`rsk_…`).
    pub id: String,
    /// Short title.
    pub title: String,
    /// The threat, ideally with a MITRE ATLAS technique or OWASP LLM id (e.g. `AML.T0051`).
    pub threat: String,
    /// Affected AI system (name).
    pub system: Option<String>,
    /// Affected asset ids.
    pub assets: Vec<String>,
    /// Likelihood.
    pub likelihood: Likelihood,
    /// Impact, on the severity scale.
    pub impact: Severity,
    /// Accountable risk owner (person).
    pub owner: Option<String>,
    /// Chosen treatment.
    pub treatment: Treatment,
    /// Status.
    pub status: RiskStatus,
    /// When treatment is due.
    pub due: Option<Timestamp>,
    /// When it was recorded.
    pub created_at: Timestamp,
}

impl Likelihood {
    /// 1 (rare) to 5 (almost certain).
    pub fn score(self) -> u8 {
        match self {
            Likelihood::Rare => 1,
            Likelihood::Unlikely => 2,
            Likelihood::Possible => 3,
            Likelihood::Likely => 4,
            Likelihood::AlmostCertain => 5,
        }
    }
}

impl Risk {
    /// Classic 5×5 matrix score: likelihood (1–5) × impact (info=1 … critical=5).
    pub fn matrix_score(&self) -> u8 {
        self.likelihood.score() * (self.impact.rank() + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matrix_score_spans_1_to_25() {
        let mut r = Risk {
            id: "rsk_1".into(),
            title: "Prompt injection".into(),
            threat: "AML.T0051".into(),
            system: None,
            assets: vec![],
            likelihood: Likelihood::Rare,
            impact: Severity::Info,
            owner: None,
            treatment: Treatment::Mitigate,
            status: RiskStatus::Identified,
            due: None,
            created_at: Timestamp(0),
        };
        assert_eq!(r.matrix_score(), 1);
        r.likelihood = Likelihood::AlmostCertain;
        r.impact = Severity::Critical;
        assert_eq!(r.matrix_score(), 25);
    }
}
