//! AI systems: the business-level applications that use models, data and AI services.
//!
//! Risk is owned per system: its business importance, exposure and the data it processes
//! weigh every finding on the assets it uses.

use serde::{Deserialize, Serialize};

use crate::parse::string_enum;
use crate::Timestamp;

string_enum! {
    /// Where in its life a system is.
    pub enum LifecycleStage: "lifecycle stage" {
        /// An idea or proposal, nothing built.
        Design = "design",
        /// Being built or trained.
        Development = "development",
        /// Being tested or piloted.
        Validation = "validation",
        /// Serving real users or decisions.
        Production = "production",
        /// Switched off; kept for records.
        Retired = "retired",
    }
}

string_enum! {
    /// Who can reach the system.
    pub enum Exposure: "exposure" {
        /// Employees only.
        Internal = "internal",
        /// Named partners or customers under contract.
        Partner = "partner",
        /// Anyone on the internet.
        Public = "public",
    }
}

string_enum! {
    /// Kinds of data a system processes; drives privacy impact and GDPR duties.
    pub enum DataCategory: "data category" {
        /// Public information.
        Public = "public",
        /// Internal business information.
        Internal = "internal",
        /// Confidential business information (trade secrets, source code).
        Confidential = "confidential",
        /// Personal data (GDPR Art. 4(1)).
        Personal = "personal",
        /// Special-category personal data (GDPR Art. 9: health, biometrics, beliefs, …).
        SpecialCategory = "special-category",
        /// Data about children.
        Children = "children",
        /// Payment card or bank data.
        Financial = "financial",
        /// Credentials and secrets.
        Credentials = "credentials",
    }
}

string_enum! {
    /// Risk tier under the EU AI Act, once classified.
    pub enum EuAiActTier: "EU AI Act tier" {
        /// Art. 5 prohibited practice.
        Prohibited = "prohibited",
        /// Annex III / Art. 6 high-risk system.
        High = "high",
        /// Art. 50 transparency obligations (chatbots, deep fakes).
        Limited = "limited",
        /// Everything else.
        Minimal = "minimal",
        /// General-purpose AI model obligations (Art. 53).
        Gpai = "gpai",
    }
}

/// A business-level AI application: a chatbot, a credit-scoring model in production, a
/// document classifier. Systems own the assets they use and carry business context.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AiSystem {
    /// Stable id (`sys_…`).
    pub id: String,
    /// Unique, human-chosen name, e.g. `support-chatbot`.
    pub name: String,
    /// What the system is for, in one or two sentences.
    pub purpose: String,
    /// Accountable owner (a person's email or name).
    pub owner: Option<String>,
    /// Named risk owner, if different from the accountable owner.
    pub risk_owner: Option<String>,
    /// Business importance, 1 (nice to have) to 5 (business-critical).
    pub importance: u8,
    /// Lifecycle stage.
    pub lifecycle: LifecycleStage,
    /// Who can reach it.
    pub exposure: Exposure,
    /// Data categories it processes.
    pub data_categories: Vec<DataCategory>,
    /// EU AI Act tier, once classified.
    pub eu_ai_act_tier: Option<EuAiActTier>,
    /// Whether it uses a large language model (chat, completion, agents). Governance
    /// policies on LLM fronting read it; absent in older records (false).
    #[serde(default)]
    pub llm: bool,
    /// The guard policy of the airm gateway that fronts it, if it is fronted; `None` when
    /// its traffic does not pass through the gateway.
    #[serde(default)]
    pub gateway_policy: Option<String>,
    /// When its last impact assessment (DPIA, fundamental-rights or AI impact
    /// assessment) was completed.
    #[serde(default)]
    pub impact_assessed_at: Option<Timestamp>,
    /// Controls recorded as in place, kebab-case names such as `human-oversight` and
    /// `logging` (see [`AiSystem::KNOWN_CONTROLS`]); sorted, unique.
    #[serde(default)]
    pub controls: Vec<String>,
    /// When it was registered.
    pub created_at: Timestamp,
    /// When it was last changed.
    pub updated_at: Timestamp,
    /// Optimistic-concurrency version, incremented on every change.
    pub version: i64,
}

impl AiSystem {
    /// Lowest and highest valid business importance.
    pub const IMPORTANCE_RANGE: std::ops::RangeInclusive<u8> = 1..=5;

    /// Control names the built-in governance policies look for. Other kebab-case names
    /// are accepted too (user policies may check them).
    pub const KNOWN_CONTROLS: &'static [&'static str] = &[
        "human-oversight",
        "logging",
        "accuracy-testing",
        "robustness-testing",
        "data-governance",
        "transparency-notice",
        "incident-response",
    ];

    /// Whether the system processes personal or special-category data (or children's).
    pub fn processes_personal_data(&self) -> bool {
        self.data_categories.iter().any(|c| {
            matches!(
                c,
                DataCategory::Personal | DataCategory::SpecialCategory | DataCategory::Children
            )
        })
    }

    /// Checks the invariants a stored system must satisfy; the message names the field.
    pub fn validate(&self) -> Result<(), String> {
        validate_name(&self.name)?;
        if !Self::IMPORTANCE_RANGE.contains(&self.importance) {
            return Err(format!(
                "importance must be between 1 and 5, got {}",
                self.importance
            ));
        }
        if self.purpose.len() > 4000 {
            return Err("purpose must be at most 4000 bytes".to_string());
        }
        if self.controls.len() > 64 {
            return Err("at most 64 controls".to_string());
        }
        for c in &self.controls {
            validate_control(c)?;
        }
        if let Some(p) = &self.gateway_policy {
            if p.trim().is_empty() || p.len() > 200 {
                return Err("gateway policy must be 1-200 bytes".to_string());
            }
        }
        Ok(())
    }
}

/// A control name: 1–64 lower-case letters, digits and single `-`, e.g. `human-oversight`.
pub fn validate_control(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-')
        && !name.contains("--");
    if ok {
        Ok(())
    } else {
        Err(format!(
            "invalid control `{name}`: use kebab-case, e.g. human-oversight"
        ))
    }
}

/// A name for a system: 1–100 characters of letters, digits, `-`, `_`, `.`, space; not
/// starting with a separator. Names appear in URLs and CLI arguments.
pub fn validate_name(name: &str) -> Result<(), String> {
    let ok_len = !name.trim().is_empty() && name.chars().count() <= 100;
    let ok_chars = name
        .chars()
        .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | ' '));
    let ok_start = name.chars().next().is_some_and(char::is_alphanumeric);
    if ok_len && ok_chars && ok_start {
        Ok(())
    } else {
        Err(format!(
            "invalid name `{name}`: use 1-100 letters, digits, '-', '_', '.' or spaces, starting with a letter or digit"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> AiSystem {
        AiSystem {
            id: "sys_1".into(),
            name: "support-bot".into(),
            purpose: "Answers customer questions".into(),
            owner: Some("ana@example.com".into()),
            risk_owner: None,
            importance: 4,
            lifecycle: LifecycleStage::Production,
            exposure: Exposure::Public,
            data_categories: vec![DataCategory::Personal],
            eu_ai_act_tier: Some(EuAiActTier::Limited),
            llm: true,
            gateway_policy: None,
            impact_assessed_at: None,
            controls: vec!["logging".into()],
            created_at: Timestamp(0),
            updated_at: Timestamp(0),
            version: 1,
        }
    }

    #[test]
    fn validates_importance_and_name() {
        let mut s = sample();
        assert!(s.validate().is_ok());
        assert!(s.processes_personal_data());
        s.importance = 6;
        assert!(s.validate().unwrap_err().contains("importance"));
        s.importance = 3;
        s.name = "-bad".into();
        assert!(s.validate().is_err());
        s.name = "a/b".into();
        assert!(s.validate().is_err());
    }

    #[test]
    fn serde_uses_kebab_spellings() {
        let json = serde_json::to_value(sample()).unwrap();
        assert_eq!(json["exposure"], "public");
        assert_eq!(json["data_categories"][0], "personal");
        assert_eq!(
            "special-category".parse::<DataCategory>(),
            Ok(DataCategory::SpecialCategory)
        );
        let back: AiSystem = serde_json::from_value(json).unwrap();
        assert_eq!(back, sample());
    }

    #[test]
    fn records_without_governance_fields_still_read() {
        let mut json = serde_json::to_value(sample()).unwrap();
        let obj = json.as_object_mut().unwrap();
        for k in ["llm", "gateway_policy", "impact_assessed_at", "controls"] {
            obj.remove(k);
        }
        let back: AiSystem = serde_json::from_value(json).unwrap();
        assert!(!back.llm && back.controls.is_empty() && back.impact_assessed_at.is_none());
    }

    #[test]
    fn controls_must_be_kebab_case() {
        let mut s = sample();
        s.controls = vec!["Human Oversight".into()];
        assert!(s.validate().unwrap_err().contains("control"));
        s.controls = vec!["human-oversight".into()];
        assert!(s.validate().is_ok());
        assert!(validate_control("a--b").is_err());
    }
}
