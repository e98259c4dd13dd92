//! How bad a finding is by default. What to *do* about it is the user's policy, not this type.

use crate::parse::string_enum;

string_enum! {
    /// Severity of a finding or a rule's default severity. Ordered: `Info < Low < … < Critical`.
    pub enum Severity: "severity" {
        /// Informational: worth knowing, nothing to fix.
        Info = "info",
        /// Low: hygiene.
        Low = "low",
        /// Medium: should be fixed.
        Medium = "medium",
        /// High: fix soon; blocks production by default policy.
        High = "high",
        /// Critical: active danger (e.g. code execution on load).
        Critical = "critical",
    }
}

impl Severity {
    /// Numeric rank, 0 (info) to 4 (critical); stable, used for sorting in the store.
    pub fn rank(self) -> u8 {
        match self {
            Severity::Info => 0,
            Severity::Low => 1,
            Severity::Medium => 2,
            Severity::High => 3,
            Severity::Critical => 4,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordering_follows_rank() {
        let mut all = Severity::ALL.to_vec();
        all.reverse();
        all.sort();
        assert_eq!(all, Severity::ALL);
        assert!(Severity::Critical > Severity::High);
        for w in Severity::ALL.windows(2) {
            assert!(w[0].rank() < w[1].rank());
        }
    }

    #[test]
    fn parses_case_insensitively_and_rejects_unknown() {
        assert_eq!("HIGH".parse::<Severity>(), Ok(Severity::High));
        let err = "severe".parse::<Severity>().unwrap_err();
        assert!(err.to_string().contains("critical, high") || err.to_string().contains("info"));
        assert_eq!(
            serde_json::to_string(&Severity::Medium).unwrap(),
            "\"medium\""
        );
    }
}
