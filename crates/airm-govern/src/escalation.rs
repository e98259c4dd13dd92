//! Escalation: which step is due for a violation of a given severity and age. Rules by
//! severity say after how many days the owner, then the risk owner, then the committee
//! is told; a step whose recipient is unknown falls through to the next one up.
//!
//! Pure: the caller keeps which steps were taken (the store's `notifications`) and
//! records every step in the activity log.

use airm_core::Severity;
use serde::{Deserialize, Serialize};

use crate::input::PolicyInput;
use crate::Violation;

const DAY_MS: i64 = 86_400_000;

/// One escalation step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Step {
    /// Tell the accountable owner.
    Owner,
    /// Escalate to the risk owner.
    RiskOwner,
    /// Escalate to the committee.
    Committee,
}

impl Step {
    /// Every step, in escalation order.
    pub const ALL: [Step; 3] = [Step::Owner, Step::RiskOwner, Step::Committee];

    /// Stable spelling (`owner`, `risk-owner`, `committee`).
    pub fn as_str(self) -> &'static str {
        match self {
            Step::Owner => "owner",
            Step::RiskOwner => "risk-owner",
            Step::Committee => "committee",
        }
    }
}

/// When to take each step, for violations at or above `min_severity`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EscalationRule {
    /// Least severity the rule applies to.
    pub min_severity: Severity,
    /// Days after first detection to notify the owner.
    pub owner_after_days: u32,
    /// Days to escalate to the risk owner.
    pub risk_owner_after_days: u32,
    /// Days to escalate to the committee.
    pub committee_after_days: u32,
}

impl EscalationRule {
    fn after_days(&self, step: Step) -> u32 {
        match step {
            Step::Owner => self.owner_after_days,
            Step::RiskOwner => self.risk_owner_after_days,
            Step::Committee => self.committee_after_days,
        }
    }
}

/// The defaults: critical 0/1/3 days, high 0/3/7, medium 0/7/30; low and info are not
/// escalated.
pub fn default_rules() -> Vec<EscalationRule> {
    let r = |min_severity, o, ro, c| EscalationRule {
        min_severity,
        owner_after_days: o,
        risk_owner_after_days: ro,
        committee_after_days: c,
    };
    vec![
        r(Severity::Critical, 0, 1, 3),
        r(Severity::High, 0, 3, 7),
        r(Severity::Medium, 0, 7, 30),
    ]
}

/// The rule for `severity`: the one with the highest `min_severity` at or below it.
pub fn rule_for(severity: Severity, rules: &[EscalationRule]) -> Option<&EscalationRule> {
    rules
        .iter()
        .filter(|r| severity >= r.min_severity)
        .max_by_key(|r| r.min_severity)
}

/// Steps due for a violation of `severity` first seen `age_ms` ago, minus those in `done`,
/// in escalation order.
pub fn due_steps(
    severity: Severity,
    age_ms: i64,
    rules: &[EscalationRule],
    done: &[Step],
) -> Vec<Step> {
    let Some(rule) = rule_for(severity, rules) else {
        return Vec::new();
    };
    Step::ALL
        .into_iter()
        .filter(|s| !done.contains(s))
        .filter(|s| age_ms >= i64::from(rule.after_days(*s)).saturating_mul(DAY_MS))
        .collect()
}

/// Who each step reaches for one violation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Recipients {
    /// Accountable owner.
    pub owner: Option<String>,
    /// Risk owner.
    pub risk_owner: Option<String>,
    /// Escalation committee.
    pub committee: Option<String>,
}

impl Recipients {
    /// The recipient of `step`, falling through to the next step up when unknown.
    pub fn for_step(&self, step: Step) -> Option<&str> {
        let chain = [&self.owner, &self.risk_owner, &self.committee];
        let start = Step::ALL.iter().position(|s| *s == step).unwrap_or(0);
        chain.iter().skip(start).find_map(|r| r.as_deref())
    }
}

/// Resolves the owner and risk owner of a violation's object from the input: a system
/// directly; an asset through the first production system using it (else any system);
/// an alert through its system.
pub fn recipients(v: &Violation, input: &PolicyInput, committee: Option<&str>) -> Recipients {
    let system_name: Option<String> = match v.object_type.as_deref() {
        Some("asset") => input
            .assets
            .iter()
            .find(|a| a.id == v.object)
            .and_then(|a| {
                a.production_systems
                    .first()
                    .or_else(|| a.systems.first())
                    .cloned()
            }),
        Some("alert") => input
            .alerts
            .iter()
            .find(|a| a.id == v.object)
            .map(|a| a.system.clone()),
        _ => Some(v.object.clone()),
    };
    let system = system_name.and_then(|n| {
        input.systems.iter().find(|s| {
            s.name.eq_ignore_ascii_case(&n) || v.object_id.as_deref() == Some(s.id.as_str())
        })
    });
    Recipients {
        owner: system.and_then(|s| s.owner.clone()),
        risk_owner: system.and_then(|s| s.risk_owner.clone()),
        committee: committee.map(str::to_string),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_follow_age_and_severity() {
        let rules = default_rules();
        let day = DAY_MS;
        assert_eq!(due_steps(Severity::High, 0, &rules, &[]), vec![Step::Owner]);
        assert_eq!(
            due_steps(Severity::High, 3 * day, &rules, &[Step::Owner]),
            vec![Step::RiskOwner]
        );
        assert_eq!(
            due_steps(Severity::High, 8 * day, &rules, &[]),
            vec![Step::Owner, Step::RiskOwner, Step::Committee]
        );
        assert_eq!(
            due_steps(Severity::Critical, day, &rules, &[Step::Owner]),
            vec![Step::RiskOwner]
        );
        assert!(due_steps(Severity::Low, 100 * day, &rules, &[]).is_empty());
        assert!(due_steps(Severity::Medium, 6 * day, &rules, &[Step::Owner]).is_empty());
    }

    #[test]
    fn missing_recipients_fall_through() {
        let r = Recipients {
            owner: None,
            risk_owner: Some("ro@x".into()),
            committee: Some("board".into()),
        };
        assert_eq!(r.for_step(Step::Owner), Some("ro@x"));
        assert_eq!(r.for_step(Step::Committee), Some("board"));
        assert_eq!(Recipients::default().for_step(Step::Owner), None);
    }
}
