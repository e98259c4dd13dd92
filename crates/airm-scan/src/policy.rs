//! Which callables a pickle may reference: the shipped allowlist (what real PyTorch, NumPy,
//! scikit-learn, XGBoost/LightGBM, pandas and standard-library pickles use) and denylist
//! (process execution, code evaluation, file-system writes, network, import machinery,
//! dynamic attribute access, loaders of nested serialised code), extended by the user.
//!
//! Patterns: `a.b.c` (exact), `a.b.*` (the module `a.b` and everything under it) and
//! `a.[A-Z]*` (anything under `a` whose last segment starts with a capital: classes by
//! Python convention). The denylist wins over the allowlist, and deny patterns also match
//! any dotted tail of a name (`torch.serialization.os.system` reaches `os.system`).

use serde::Serialize;

/// Why a callable is dangerous.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Danger {
    /// Runs programs.
    ProcessExecution,
    /// Evaluates or compiles code.
    CodeEvaluation,
    /// Writes, deletes or reads files.
    FileSystem,
    /// Opens network connections.
    Network,
    /// Imports modules by name.
    ImportMachinery,
    /// Reaches attributes dynamically (to get at any of the above).
    DynamicAttribute,
    /// Deserialises nested data (which may hold any of the above).
    NestedLoader,
    /// Listed by the user.
    UserDenied,
}

impl Danger {
    /// A short label for messages.
    pub fn label(self) -> &'static str {
        match self {
            Danger::ProcessExecution => "process execution",
            Danger::CodeEvaluation => "code evaluation",
            Danger::FileSystem => "file-system access",
            Danger::Network => "network access",
            Danger::ImportMachinery => "import machinery",
            Danger::DynamicAttribute => "dynamic attribute access",
            Danger::NestedLoader => "loader of nested serialised data",
            Danger::UserDenied => "denied by configuration",
        }
    }
}

/// The verdict on one callable name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Class {
    /// On the denylist; carries the matched pattern.
    Dangerous(Danger, String),
    /// On the allowlist.
    Allowed,
    /// Neither.
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Pattern {
    Exact(String),
    Prefix(String),
    Classes(String),
}

impl Pattern {
    fn parse(p: &str) -> Pattern {
        if let Some(m) = p.strip_suffix(".[A-Z]*") {
            Pattern::Classes(m.to_string())
        } else if let Some(m) = p.strip_suffix(".*") {
            Pattern::Prefix(m.to_string())
        } else {
            Pattern::Exact(p.to_string())
        }
    }

    fn matches(&self, name: &str) -> bool {
        match self {
            Pattern::Exact(e) => name == e,
            Pattern::Prefix(m) => {
                name == m || (name.starts_with(m.as_str()) && name[m.len()..].starts_with('.'))
            }
            Pattern::Classes(m) => {
                name.starts_with(m.as_str())
                    && name[m.len()..].starts_with('.')
                    && name
                        .rsplit('.')
                        .next()
                        .is_some_and(|last| last.starts_with(|c: char| c.is_ascii_uppercase()))
            }
        }
    }

    fn text(&self) -> String {
        match self {
            Pattern::Exact(e) => e.clone(),
            Pattern::Prefix(m) => format!("{m}.*"),
            Pattern::Classes(m) => format!("{m}.[A-Z]*"),
        }
    }
}

/// Modules whose appearance anywhere in a dotted name (reached as an attribute of another
/// module) is treated as reaching the module itself.
const TAIL_MODULES: &[&str] = &[
    "os",
    "posix",
    "nt",
    "subprocess",
    "builtins",
    "__builtin__",
    "sys",
    "socket",
    "shutil",
    "pty",
    "importlib",
    "runpy",
    "pickle",
    "marshal",
    "ctypes",
    "webbrowser",
];

/// Attribute names that are dangerous to reach dynamically on any object.
const DANGEROUS_ATTRS: &[&str] = &[
    "system",
    "popen",
    "Popen",
    "exec",
    "eval",
    "execv",
    "execve",
    "execl",
    "spawnv",
    "spawnl",
    "__import__",
    "__globals__",
    "__builtins__",
    "__subclasses__",
    "__code__",
    "__getattribute__",
    "__reduce__",
    "__reduce_ex__",
    "load_module",
    "exec_module",
    "run_path",
    "run_module",
    "check_output",
    "check_call",
    "call",
    "remove",
    "rmtree",
    "unlink",
];

/// Allow and deny lists of callables.
#[derive(Debug, Clone)]
pub struct CallablePolicy {
    deny: Vec<(Pattern, Danger)>,
    allow: Vec<Pattern>,
}

impl Default for CallablePolicy {
    fn default() -> Self {
        Self::new(&[], &[])
    }
}

impl CallablePolicy {
    /// The shipped lists extended by the user's `allow` and `deny` patterns.
    pub fn new(extra_allow: &[String], extra_deny: &[String]) -> Self {
        let mut deny: Vec<(Pattern, Danger)> = super::policy_lists::DENY
            .iter()
            .map(|(p, d)| (Pattern::parse(p), *d))
            .collect();
        deny.extend(
            extra_deny
                .iter()
                .map(|p| (Pattern::parse(p), Danger::UserDenied)),
        );
        let mut allow: Vec<Pattern> = super::policy_lists::ALLOW
            .iter()
            .map(|p| Pattern::parse(p))
            .collect();
        allow.extend(extra_allow.iter().map(|p| Pattern::parse(p)));
        CallablePolicy { deny, allow }
    }

    /// Classifies a fully qualified callable name. `indirect` names were reached through
    /// another callable (getattr and friends), where a dangerous attribute name alone is
    /// enough.
    pub fn classify(&self, name: &str, indirect: bool) -> Class {
        let segments: Vec<&str> = name.split('.').collect();
        let mut start = 0usize;
        for i in 0..segments.len() {
            let tail = name.get(start..).unwrap_or("");
            for (p, d) in &self.deny {
                let tail_ok = i == 0
                    || match p {
                        Pattern::Exact(_) => true,
                        Pattern::Prefix(m) => TAIL_MODULES.contains(&m.as_str()),
                        Pattern::Classes(_) => false,
                    };
                if tail_ok && p.matches(tail) {
                    return Class::Dangerous(*d, p.text());
                }
            }
            start += segments.get(i).map_or(0, |s| s.len()) + 1;
        }
        if indirect {
            if let Some(last) = segments.last() {
                if DANGEROUS_ATTRS.contains(last) {
                    return Class::Dangerous(Danger::DynamicAttribute, format!("*.{last}"));
                }
            }
        }
        if self.allow.iter().any(|p| p.matches(name)) {
            return Class::Allowed;
        }
        Class::Unknown
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_names() {
        let p = CallablePolicy::default();
        assert!(matches!(
            p.classify("os.system", false),
            Class::Dangerous(Danger::ProcessExecution, _)
        ));
        assert!(matches!(
            p.classify("posix.system", false),
            Class::Dangerous(..)
        ));
        assert!(matches!(
            p.classify("torch.serialization.os.system", false),
            Class::Dangerous(..)
        ));
        assert!(matches!(p.classify("os", true), Class::Dangerous(..)));
        assert!(matches!(
            p.classify("<result of x.y>.system", true),
            Class::Dangerous(Danger::DynamicAttribute, _)
        ));
        assert_eq!(
            p.classify("torch._utils._rebuild_tensor_v2", false),
            Class::Allowed
        );
        assert_eq!(
            p.classify("sklearn.linear_model._logistic.LogisticRegression", false),
            Class::Allowed
        );
        assert!(matches!(
            p.classify("sklearn.datasets.fetch_openml", false),
            Class::Dangerous(Danger::Network, _)
        ));
        assert_eq!(
            p.classify("sklearn.utils.extmath.safe_sparse_dot", false),
            Class::Unknown
        );
        assert_eq!(p.classify("mymodule.Thing", false), Class::Unknown);
        assert_eq!(p.classify("ossify.thing", false), Class::Unknown);
        let p = CallablePolicy::new(&["mymodule.*".into()], &["collections.OrderedDict".into()]);
        assert_eq!(p.classify("mymodule.Thing", false), Class::Allowed);
        assert!(matches!(
            p.classify("collections.OrderedDict", false),
            Class::Dangerous(Danger::UserDenied, _)
        ));
    }
}
