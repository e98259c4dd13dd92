//! Evaluating policies: the enabled built-in pack plus the user's `.rego` files, against
//! one input document, giving violations (with suppression by active exceptions) and
//! per-file errors.
//!
//! Built-ins share one interpreter. User files are grouped by Rego package, one
//! interpreter per package, so a broken file (syntax error, unsafe rule, runtime error)
//! is reported with its file, line and column and every other package still evaluates.
//! Files ending in `_test.rego` hold unit tests ([`crate::testing`]) and are not
//! evaluated for violations.

use std::collections::BTreeMap;
use std::num::NonZeroU32;
use std::path::Path;
use std::time::Duration;

use airm_core::Severity;
use regorus::utils::limits::ExecutionTimerConfig;
use regorus::Engine;
use serde::{Deserialize, Serialize};

use crate::input::ExceptionInput;
use crate::registry::{builtin_policies, BuiltinPolicy};
use crate::GovernError;

/// Largest user policy file read.
pub const MAX_FILE_BYTES: u64 = 1024 * 1024;
/// Most user policy files read from a directory.
pub const MAX_FILES: usize = 1000;
/// Most violations taken from one policy in one evaluation.
pub const MAX_VIOLATIONS_PER_POLICY: usize = 200_000;
/// Wall-clock limit of one policy package's evaluation.
pub const EVAL_TIME_LIMIT: Duration = Duration::from_secs(20);

/// One violation of a policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Violation {
    /// Policy id, e.g. `GV001`.
    pub policy: String,
    /// Severity (the policy's default unless the violation sets one).
    pub severity: Severity,
    /// What is wrong.
    pub message: String,
    /// The object it concerns (system name, asset id, alert id).
    pub object: String,
    /// The object's id when `object` is a name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object_id: Option<String>,
    /// `system`, `asset`, `alert`, …
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object_type: Option<String>,
    /// Stable key across evaluations: policy, object and message.
    pub fingerprint: String,
    /// `built-in` or the user policy file.
    pub source: String,
    /// The exception that suppresses it, if one is active.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suppressed_by: Option<String>,
}

impl Violation {
    /// Whether no active exception covers it.
    pub fn is_active(&self) -> bool {
        self.suppressed_by.is_none()
    }
}

/// A policy file that could not be loaded or evaluated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyError {
    /// The file.
    pub file: String,
    /// 1-based line, when known.
    pub line: Option<u32>,
    /// 1-based column, when known.
    pub column: Option<u32>,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for PolicyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.line, self.column) {
            (Some(l), Some(c)) => write!(f, "{}:{l}:{c}: {}", self.file, self.message),
            (Some(l), None) => write!(f, "{}:{l}: {}", self.file, self.message),
            _ => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

impl PolicyError {
    /// Reads regorus' error text (`--> file:line:col`, source excerpt, `error: msg`).
    pub(crate) fn from_engine(file: &str, err: &anyhow_like::Error) -> Self {
        let text = err.to_string();
        let mut line = None;
        let mut column = None;
        let mut file_name = file.to_string();
        if let Some(loc) = text
            .lines()
            .find_map(|l| l.trim_start().strip_prefix("--> "))
        {
            let mut parts = loc.rsplitn(3, ':');
            let c = parts.next().and_then(|c| c.trim().parse().ok());
            let l = parts.next().and_then(|l| l.trim().parse().ok());
            if let (Some(l), Some(c), Some(f)) = (l, c, parts.next()) {
                line = Some(l);
                column = Some(c);
                file_name = f.to_string();
            }
        }
        let message = text
            .lines()
            .rev()
            .find_map(|l| l.trim().strip_prefix("error: "))
            .map(str::to_string)
            .unwrap_or_else(|| text.trim().lines().last().unwrap_or("").to_string());
        PolicyError {
            file: file_name,
            line,
            column,
            message,
        }
    }

    fn plain(file: &str, message: impl Into<String>) -> Self {
        PolicyError {
            file: file.to_string(),
            line: None,
            column: None,
            message: message.into(),
        }
    }
}

/// regorus reports `anyhow` errors; only their text is used.
mod anyhow_like {
    pub type Error = dyn std::fmt::Display;
}

/// The result of evaluating a policy set.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Evaluation {
    /// All violations, active and suppressed, most severe first.
    pub violations: Vec<Violation>,
    /// Files that failed to load or evaluate.
    pub errors: Vec<PolicyError>,
    /// Policies (built-in ids and user packages) evaluated.
    pub policies: Vec<String>,
}

impl Evaluation {
    /// Violations no exception suppresses.
    pub fn active(&self) -> impl Iterator<Item = &Violation> {
        self.violations.iter().filter(|v| v.is_active())
    }

    /// The highest severity among active violations.
    pub fn max_severity(&self) -> Option<Severity> {
        self.active().map(|v| v.severity).max()
    }
}

/// A loaded user package: its files and the interpreter holding them.
#[derive(Clone)]
struct UserPackage {
    package: String,
    files: Vec<String>,
    engine: Engine,
}

/// The policies to evaluate: enabled built-ins and user packages.
#[derive(Clone)]
pub struct PolicySet {
    builtin: Engine,
    enabled: Vec<&'static BuiltinPolicy>,
    user: Vec<UserPackage>,
    load_errors: Vec<PolicyError>,
}

impl std::fmt::Debug for PolicySet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PolicySet")
            .field(
                "enabled",
                &self.enabled.iter().map(|p| p.meta.id).collect::<Vec<_>>(),
            )
            .field(
                "user",
                &self.user.iter().map(|u| &u.package).collect::<Vec<_>>(),
            )
            .field("load_errors", &self.load_errors)
            .finish()
    }
}

fn new_engine() -> Engine {
    let mut e = Engine::new();
    e.set_execution_timer_config(ExecutionTimerConfig {
        limit: EVAL_TIME_LIMIT,
        check_interval: NonZeroU32::MIN.saturating_add(999),
    });
    e
}

/// A policy source file read from disk.
#[derive(Debug, Clone)]
pub(crate) struct SourceFile {
    pub path: String,
    pub text: String,
}

/// Reads the `.rego` files of `dir` (not recursive), sorted by name, within the caps.
pub(crate) fn read_dir(dir: &Path) -> Result<(Vec<SourceFile>, Vec<PolicyError>), GovernError> {
    let io = |e| GovernError::Io {
        path: dir.display().to_string(),
        source: e,
    };
    let mut paths = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let entry = entry.map_err(io)?;
        let p = entry.path();
        if p.extension().is_some_and(|x| x == "rego") && p.is_file() {
            paths.push(p);
        }
    }
    paths.sort();
    let mut files = Vec::new();
    let mut errors = Vec::new();
    if paths.len() > MAX_FILES {
        errors.push(PolicyError::plain(
            &dir.display().to_string(),
            format!(
                "{} policy files; only the first {MAX_FILES} are read",
                paths.len()
            ),
        ));
        paths.truncate(MAX_FILES);
    }
    for p in paths {
        let name = p.display().to_string();
        match std::fs::metadata(&p) {
            Ok(m) if m.len() > MAX_FILE_BYTES => {
                errors.push(PolicyError::plain(
                    &name,
                    format!("file is larger than {MAX_FILE_BYTES} bytes"),
                ));
                continue;
            }
            Err(e) => {
                errors.push(PolicyError::plain(&name, e.to_string()));
                continue;
            }
            Ok(_) => {}
        }
        match std::fs::read(&p) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(text) => files.push(SourceFile { path: name, text }),
                Err(_) => errors.push(PolicyError::plain(&name, "file is not UTF-8")),
            },
            Err(e) => errors.push(PolicyError::plain(&name, e.to_string())),
        }
    }
    Ok((files, errors))
}

/// Parses each file alone (to report syntax errors per file) and groups the good ones by
/// package into one interpreter each.
pub(crate) fn group_by_package(
    files: Vec<SourceFile>,
    errors: &mut Vec<PolicyError>,
) -> Vec<(String, Vec<SourceFile>)> {
    let mut groups: BTreeMap<String, Vec<SourceFile>> = BTreeMap::new();
    for f in files {
        let mut probe = new_engine();
        match probe.add_policy(f.path.clone(), f.text.clone()) {
            Ok(package) => groups.entry(package).or_default().push(f),
            Err(e) => errors.push(PolicyError::from_engine(&f.path, &e)),
        }
    }
    groups.into_iter().collect()
}

pub(crate) fn engine_for(files: &[SourceFile]) -> Result<Engine, PolicyError> {
    let mut engine = new_engine();
    for f in files {
        engine
            .add_policy(f.path.clone(), f.text.clone())
            .map_err(|e| PolicyError::from_engine(&f.path, &e))?;
    }
    Ok(engine)
}

/// A violation as a policy writes it.
#[derive(Debug, Deserialize)]
struct RawViolation {
    id: Option<String>,
    severity: Option<String>,
    message: Option<String>,
    object: Option<serde_json::Value>,
    object_id: Option<String>,
    object_type: Option<String>,
}

impl PolicySet {
    /// The built-in pack without the policies in `disabled` (ids or names); unknown ids
    /// are an error so a typo does not silently keep a policy on.
    pub fn new(disabled: &[String]) -> Result<Self, GovernError> {
        for d in disabled {
            if crate::registry::find(d).is_none() {
                return Err(GovernError::Invalid(format!(
                    "unknown built-in policy `{d}` in the disabled list (see `airm policy list`)"
                )));
            }
        }
        let enabled: Vec<&'static BuiltinPolicy> = builtin_policies()
            .iter()
            .filter(|p| {
                !disabled
                    .iter()
                    .any(|d| d.eq_ignore_ascii_case(p.meta.id) || d == p.meta.name)
            })
            .collect();
        let mut builtin = new_engine();
        for p in &enabled {
            builtin
                .add_policy(p.file.to_string(), p.source.to_string())
                .map_err(|e| GovernError::Engine(format!("{}: {e}", p.meta.id)))?;
        }
        Ok(PolicySet {
            builtin,
            enabled,
            user: Vec::new(),
            load_errors: Vec::new(),
        })
    }

    /// Adds the `.rego` files of a user policy directory. A missing or unreadable
    /// directory is an error; a bad file is recorded and reported by [`Self::evaluate`].
    pub fn with_user_dir(mut self, dir: &Path) -> Result<Self, GovernError> {
        let (files, mut errors) = read_dir(dir)?;
        self.add_user_files(files, &mut errors);
        self.load_errors.extend(errors);
        Ok(self)
    }

    /// Adds one user policy from text (`path` names it in messages).
    pub fn with_user_source(mut self, path: &str, text: &str) -> Self {
        let mut errors = Vec::new();
        self.add_user_files(
            vec![SourceFile {
                path: path.to_string(),
                text: text.to_string(),
            }],
            &mut errors,
        );
        self.load_errors.extend(errors);
        self
    }

    fn add_user_files(&mut self, files: Vec<SourceFile>, errors: &mut Vec<PolicyError>) {
        let files: Vec<SourceFile> = files
            .into_iter()
            .filter(|f| !f.path.ends_with("_test.rego"))
            .collect();
        for (package, files) in group_by_package(files, errors) {
            match engine_for(&files) {
                Ok(engine) => self.user.push(UserPackage {
                    package,
                    files: files.into_iter().map(|f| f.path).collect(),
                    engine,
                }),
                Err(e) => errors.push(e),
            }
        }
    }

    /// Ids of the enabled built-in policies.
    pub fn enabled_builtins(&self) -> Vec<&'static str> {
        self.enabled.iter().map(|p| p.meta.id).collect()
    }

    /// Evaluates every policy against `input` (the document of [`crate::input`], or any
    /// JSON of that shape). Exceptions are read from `input.exceptions`.
    pub fn evaluate(&mut self, input: serde_json::Value) -> Evaluation {
        let exceptions: Vec<ExceptionInput> = input
            .get("exceptions")
            .and_then(|e| serde_json::from_value(e.clone()).ok())
            .unwrap_or_default();
        let value = regorus::Value::from(input);
        let mut out = Evaluation {
            errors: self.load_errors.clone(),
            ..Evaluation::default()
        };
        self.builtin.set_input(value.clone());
        for p in &self.enabled {
            out.policies.push(p.meta.id.to_string());
            let rule = format!("data.{}.violations", p.package);
            match self.builtin.eval_rule(rule) {
                Ok(v) => collect(
                    &v,
                    Some(&p.meta),
                    "built-in",
                    p.file,
                    &mut out.violations,
                    &mut out.errors,
                ),
                Err(e) => out.errors.push(PolicyError::from_engine(p.file, &e)),
            }
        }
        for u in &mut self.user {
            out.policies.push(u.package.clone());
            let file = u.files.join(", ");
            u.engine.set_input(value.clone());
            let has_rule = u.files.iter().any(|f| {
                u.engine
                    .has_declared_rule_rooted_at(f, "violations")
                    .unwrap_or(false)
            });
            if !has_rule {
                continue;
            }
            match u.engine.eval_rule(format!("{}.violations", u.package)) {
                Ok(v) => collect(&v, None, &file, &file, &mut out.violations, &mut out.errors),
                Err(e) => out.errors.push(PolicyError::from_engine(&file, &e)),
            }
        }
        for v in &mut out.violations {
            let mut keys = vec![v.object.as_str()];
            if let Some(id) = &v.object_id {
                keys.push(id.as_str());
            }
            v.suppressed_by = exceptions
                .iter()
                .find(|e| {
                    e.active
                        && e.policy.eq_ignore_ascii_case(&v.policy)
                        && (e.object == "*" || keys.contains(&e.object.as_str()))
                })
                .map(|e| e.id.clone());
        }
        out.violations.sort_by(|a, b| {
            b.severity
                .cmp(&a.severity)
                .then_with(|| a.policy.cmp(&b.policy))
                .then_with(|| a.object.cmp(&b.object))
                .then_with(|| a.message.cmp(&b.message))
        });
        out.violations
            .dedup_by(|a, b| a.fingerprint == b.fingerprint);
        out
    }
}

/// Turns a `violations` value (a set or array of objects) into violations.
fn collect(
    value: &regorus::Value,
    meta: Option<&airm_core::RuleMeta>,
    source: &str,
    file: &str,
    out: &mut Vec<Violation>,
    errors: &mut Vec<PolicyError>,
) {
    if *value == regorus::Value::Undefined {
        return;
    }
    let items: Vec<serde_json::Value> = match serde_json::to_value(value) {
        Ok(serde_json::Value::Array(a)) => a,
        Ok(_) => {
            errors.push(PolicyError::plain(
                file,
                "`violations` must be a set or array of objects",
            ));
            return;
        }
        Err(e) => {
            errors.push(PolicyError::plain(file, e.to_string()));
            return;
        }
    };
    if items.len() > MAX_VIOLATIONS_PER_POLICY {
        errors.push(PolicyError::plain(
            file,
            format!(
                "{} violations; only the first {MAX_VIOLATIONS_PER_POLICY} are kept",
                items.len()
            ),
        ));
    }
    for item in items.into_iter().take(MAX_VIOLATIONS_PER_POLICY) {
        let raw: RawViolation = match serde_json::from_value(item) {
            Ok(r) => r,
            Err(e) => {
                errors.push(PolicyError::plain(
                    file,
                    format!("a violation is not an object with string fields: {e}"),
                ));
                return;
            }
        };
        let policy = match (meta, raw.id) {
            (Some(m), _) => m.id.to_string(),
            (None, Some(id)) if !id.trim().is_empty() && id.len() <= 64 => id,
            (None, _) => {
                errors.push(PolicyError::plain(
                    file,
                    "each violation needs an `id` (1-64 characters, e.g. GV900)",
                ));
                return;
            }
        };
        let severity = match (raw.severity, meta) {
            (Some(s), _) => match s.parse::<Severity>() {
                Ok(s) => s,
                Err(e) => {
                    errors.push(PolicyError::plain(file, e.to_string()));
                    return;
                }
            },
            (None, Some(m)) => m.severity,
            (None, None) => {
                errors.push(PolicyError::plain(
                    file,
                    format!("violation {policy} has no `severity`"),
                ));
                return;
            }
        };
        let object = match raw.object {
            Some(serde_json::Value::String(s)) => s,
            Some(other) => other.to_string(),
            None => String::new(),
        };
        let message = raw.message.unwrap_or_default();
        if message.is_empty() {
            errors.push(PolicyError::plain(
                file,
                format!("violation {policy} has no `message`"),
            ));
            return;
        }
        out.push(Violation {
            fingerprint: format!("{policy}|{object}|{message}"),
            policy,
            severity,
            message,
            object,
            object_id: raw.object_id,
            object_type: raw.object_type,
            source: source.to_string(),
            suppressed_by: None,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engine_errors_become_file_line_col() {
        let mut e = new_engine();
        let err = e
            .add_policy(
                "p.rego".into(),
                "package x\n\nviolations contains v if {\n  v := \n}\n".into(),
            )
            .unwrap_err();
        let pe = PolicyError::from_engine("p.rego", &err);
        assert_eq!(pe.file, "p.rego");
        assert_eq!(pe.line, Some(4), "{pe:?} from {err}");
        assert!(pe.column.is_some());
        assert_eq!(
            pe.to_string(),
            "p.rego:4:5: expecting `}` while parsing set"
        );
    }

    #[test]
    fn unknown_disabled_policy_is_an_error() {
        assert!(PolicySet::new(&["GV999".into()]).is_err());
        let set = PolicySet::new(&["GV003".into(), "public-llm-without-gateway".into()]).unwrap();
        assert_eq!(
            set.enabled_builtins(),
            vec!["GV001", "GV002", "GV005", "GV006", "GV007"]
        );
    }
}
