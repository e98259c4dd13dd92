//! `airm.toml`: the one configuration file. Every key is documented here and in
//! `docs/configuration.md`; unknown keys are rejected with the file, line and column.
//! Command-line flags and `AIRM_*` environment variables override the file.

use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::Deserialize;

/// The whole file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Where state is kept.
    #[serde(default)]
    pub store: StoreConfig,
    /// The HTTP server.
    #[serde(default)]
    pub server: ServerSection,
    /// The activity log.
    #[serde(default)]
    pub audit: AuditSection,
    /// Model-file scanning: extra allowed/denied pickle callables and analysis caps.
    #[serde(default)]
    pub scan: airm_scan::ScanConfig,
    /// The runtime guard's policy (rules, actions per source, limits, allow-lists).
    #[serde(default)]
    pub guard: airm_guard::policy::Policy,
    /// AI asset discovery: ignore files, size limits, threads, exclusions.
    #[serde(default)]
    pub discover: airm_scan::discover::DiscoverOptions,
    /// The inventory: which paths belong to which AI system.
    #[serde(default)]
    pub inventory: InventorySection,
    /// Governance policies: user policy directory, disabled built-ins, escalation.
    #[serde(default)]
    pub policy: PolicySection,
    /// The LLM gateway: listen address, upstreams, named policies (`airm gateway`).
    #[serde(default)]
    pub gateway: airm_gateway::GatewayConfig,
    /// Monitoring: ingestion limits, alert rules and where alerts go.
    #[serde(default)]
    pub monitor: MonitorSection,
}

/// `[inventory]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InventorySection {
    /// `[[inventory.systems]]`: assets under these paths belong to the named system.
    #[serde(default)]
    pub systems: Vec<SystemPaths>,
}

/// One `[[inventory.systems]]` rule.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SystemPaths {
    /// The AI system (name or id; it must be registered).
    pub name: String,
    /// Globs matched against an asset's path as walked and its absolute path, e.g.
    /// `services/support/**` or `**/models/support-*`.
    pub paths: Vec<String>,
}

/// `[policy]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicySection {
    /// Directory of user `.rego` policies (relative to the working directory).
    pub dir: Option<PathBuf>,
    /// Built-in policies to switch off, by id or name (e.g. `["GV003"]`).
    #[serde(default)]
    pub disabled: Vec<String>,
    /// Committee that receives the last escalation step.
    pub escalation_committee: Option<String>,
    /// Seconds between escalation runs while `airm serve` runs (minimum 60; absent or 0:
    /// off, run `airm policy escalate` from a scheduler instead).
    pub escalate_interval_secs: Option<u64>,
    /// Escalation rules by severity (`[[policy.escalation]]`); default: critical 0/1/3
    /// days, high 0/3/7, medium 0/7/30.
    pub escalation: Option<Vec<airm_govern::escalation::EscalationRule>>,
}

impl PolicySection {
    /// The options the governance operations take; `dir_override` (`--policy-dir`) wins.
    pub fn options(&self, dir_override: Option<PathBuf>) -> airm_server::governance::PolicyOptions {
        airm_server::governance::PolicyOptions {
            disabled: self.disabled.clone(),
            dir: dir_override.or_else(|| self.dir.clone()),
            escalation: self
                .escalation
                .clone()
                .unwrap_or_else(airm_govern::escalation::default_rules),
            escalation_committee: self.escalation_committee.clone(),
            sinks: Vec::new(),
        }
    }
}

/// `[monitor]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MonitorSection {
    /// How often `airm serve` evaluates alert rules: `30s`, `1m` (default), `0s` = never.
    pub evaluate_interval: Option<String>,
    /// Events per ingestion request or file batch (default 10000).
    pub max_events_per_request: Option<usize>,
    /// Features per event (default 512).
    pub max_features: Option<usize>,
    /// `[[monitor.alerts]]`: alert rules.
    #[serde(default)]
    pub alerts: Vec<airm_monitor::alert::AlertRule>,
    /// `[[monitor.sinks]]`: webhooks that receive alerts.
    #[serde(default)]
    pub sinks: Vec<airm_server::monitor::SinkConfig>,
}

impl MonitorSection {
    /// Checks what can be checked without reading secrets.
    pub fn validate(&self) -> anyhow::Result<()> {
        airm_monitor::alert::validate_rules(&self.alerts)?;
        if let Some(i) = &self.evaluate_interval {
            airm_monitor::alert::parse_duration(i)
                .map_err(|e| anyhow::anyhow!("monitor.evaluate_interval: {e}"))?;
        }
        for (k, v) in [
            ("max_events_per_request", self.max_events_per_request),
            ("max_features", self.max_features),
        ] {
            if v.is_some_and(|n| !(1..=1_000_000).contains(&n)) {
                anyhow::bail!("monitor.{k} must be between 1 and 1000000");
            }
        }
        let mut names = std::collections::BTreeSet::new();
        for s in &self.sinks {
            if !names.insert(s.name.as_str()) {
                anyhow::bail!("monitor.sinks: duplicate sink name `{}`", s.name);
            }
        }
        Ok(())
    }

    /// The server's monitoring settings: rules, sinks (secrets read now), limits.
    pub fn settings(&self) -> anyhow::Result<airm_server::monitor::MonitorSettings> {
        self.validate()?;
        let mut limits = airm_monitor::event::Limits::default();
        if let Some(n) = self.max_events_per_request {
            limits.max_events = n;
        }
        if let Some(n) = self.max_features {
            limits.max_features = n;
        }
        let sinks = self
            .sinks
            .iter()
            .map(|c| airm_server::monitor::Sink::build(c.clone()).map_err(anyhow::Error::msg))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let interval_ms = match &self.evaluate_interval {
            Some(i) => airm_monitor::alert::parse_duration(i)?,
            None => 60_000,
        };
        Ok(airm_server::monitor::MonitorSettings {
            rules: self.alerts.clone(),
            sinks,
            evaluate_interval_secs: u64::try_from(interval_ms / 1000).unwrap_or(60),
            limits,
        })
    }
}

/// `[audit]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditSection {
    /// Seconds between automatic checkpoints while the server runs (default 300; 0 = off).
    pub checkpoint_interval_secs: Option<u64>,
    /// Signing key file (default `ledger.key` in the data directory).
    pub signing_key: Option<PathBuf>,
}

/// `[store]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreConfig {
    /// Data directory for the embedded SQLite store and keys.
    pub data_dir: Option<PathBuf>,
    /// Database URL (`postgres://…`); prefer `AIRM_DATABASE_URL` for URLs with passwords.
    pub database_url: Option<String>,
}

/// `[server]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSection {
    /// Listen address, e.g. `0.0.0.0:8080` (default `127.0.0.1:8080`).
    pub listen: Option<String>,
    /// Mark cookies `Secure` (set when the dashboard is served over HTTPS).
    pub secure_cookies: Option<bool>,
    /// Dashboard session lifetime in hours (default 12).
    pub session_hours: Option<u32>,
}

impl Config {
    /// Loads `path`, or `./airm.toml` when no path is given and that file exists.
    pub fn load(path: Option<&Path>) -> anyhow::Result<Config> {
        let (path, required) = match path {
            Some(p) => (p.to_path_buf(), true),
            None => (PathBuf::from("airm.toml"), false),
        };
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if !required && e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Config::default())
            }
            Err(e) => {
                return Err(e).with_context(|| format!("cannot read config {}", path.display()))
            }
        };
        Self::parse(&text, &path)
    }

    /// Parses config text; errors name the file, line and column.
    pub fn parse(text: &str, path: &Path) -> anyhow::Result<Config> {
        let config: Config = toml::from_str(text).map_err(|e| {
            let (line, col) = e.span().map(|s| line_col(text, s.start)).unwrap_or((1, 1));
            anyhow::anyhow!(
                "{}:{line}:{col}: {}",
                path.display(),
                e.message().trim_end()
            )
        })?;
        config
            .monitor
            .validate()
            .map_err(|e| anyhow::anyhow!("{}: [monitor]: {e}", path.display()))?;
        Ok(config)
    }
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_are_rejected_with_line_and_column() {
        let text = "[server]\nlisten = \"0.0.0.0:9000\"\nlisen = 1\n";
        let err = Config::parse(text, Path::new("airm.toml"))
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("airm.toml:3:1:"), "{err}");
        assert!(err.contains("unknown field `lisen`"), "{err}");
        let ok = Config::parse("[server]\nlisten = \"0.0.0.0:9000\"\n", Path::new("a")).unwrap();
        assert_eq!(ok.server.listen.as_deref(), Some("0.0.0.0:9000"));
        let bad_type = Config::parse("[server]\nsession_hours = \"x\"\n", Path::new("a"))
            .unwrap_err()
            .to_string();
        assert!(bad_type.starts_with("a:2:"), "{bad_type}");
    }

    #[test]
    fn discover_and_inventory_sections() {
        let text = "[discover]\nno_ignore = true\nmax_file_size = 1000\n\n[[inventory.systems]]\nname = \"bot\"\npaths = [\"svc/**\"]\n";
        let c = Config::parse(text, Path::new("a")).unwrap();
        assert!(c.discover.no_ignore);
        assert_eq!(c.discover.max_file_size, 1000);
        assert_eq!(c.inventory.systems[0].paths, vec!["svc/**"]);
        let bad = Config::parse("[discover]\nmax_size = 1\n", Path::new("a"))
            .unwrap_err()
            .to_string();
        assert!(bad.contains("unknown field `max_size`"), "{bad}");
    }

    #[test]
    fn policy_section_parses_escalation_rules() {
        let text = "[policy]\ndir = \"policies\"\ndisabled = [\"GV003\"]\nescalation_committee = \"AI board\"\n\n[[policy.escalation]]\nmin_severity = \"high\"\nowner_after_days = 0\nrisk_owner_after_days = 2\ncommittee_after_days = 5\n";
        let c = Config::parse(text, Path::new("a")).unwrap();
        let o = c.policy.options(None);
        assert_eq!(o.dir.as_deref(), Some(Path::new("policies")));
        assert_eq!(o.escalation.len(), 1);
        assert_eq!(o.escalation[0].committee_after_days, 5);
        let bad = Config::parse(
            "[policy]\nescalation = [{min_severity = \"high\", owner_days = 1}]\n",
            Path::new("a"),
        );
        assert!(bad.unwrap_err().to_string().starts_with("a:2:"));
    }

    #[test]
    fn monitor_rules_and_sinks_parse_and_are_checked() {
        let text = r#"
[monitor]
evaluate_interval = "30s"

[[monitor.alerts]]
name = "fraud-accuracy"
model = "fraud"
metric = "accuracy"
condition = "below"
threshold = 0.9
window = "1h"
severity = "high"
owner = "ml-team@example.com"

[[monitor.sinks]]
name = "ops"
kind = "slack"
url = "https://hooks.example.com/T000"
"#;
        let c = Config::parse(text, Path::new("airm.toml")).unwrap();
        assert_eq!(c.monitor.alerts.len(), 1);
        let s = c.monitor.settings().unwrap();
        assert_eq!((s.evaluate_interval_secs, s.sinks.len()), (30, 1));
        let bad = text.replace("threshold = 0.9\n", "");
        let err = Config::parse(&bad, Path::new("airm.toml"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("fraud-accuracy") && err.contains("threshold"),
            "{err}"
        );
        let typo = text.replace("owner =", "ownr =");
        let err = Config::parse(&typo, Path::new("airm.toml"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown field `ownr`"), "{err}");
    }

    #[test]
    fn missing_default_file_is_fine_but_missing_explicit_file_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let explicit = dir.path().join("nope.toml");
        assert!(Config::load(Some(&explicit)).is_err());
    }
}
