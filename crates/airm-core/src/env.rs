//! Names of the environment variables airm reads, declared once.

/// Directory for the embedded store, keys and caches.
pub const DATA_DIR: &str = "AIRM_DATA_DIR";
/// Database URL (`sqlite://…` or `postgres://…`); overrides the embedded default.
pub const DATABASE_URL: &str = "AIRM_DATABASE_URL";
/// Redis URL for counters shared between gateway instances.
pub const REDIS_URL: &str = "AIRM_REDIS_URL";
/// Path of the configuration file (default: `airm.toml` in the working directory).
pub const CONFIG: &str = "AIRM_CONFIG";
/// Address the server listens on.
pub const LISTEN: &str = "AIRM_LISTEN";
/// API token used by CLI commands that talk to a server.
pub const TOKEN: &str = "AIRM_TOKEN";
/// Log filter (`tracing` env-filter syntax), e.g. `info,airm_server=debug`.
pub const LOG: &str = "AIRM_LOG";
/// PostgreSQL URL for the store conformance tests; when set, they must run there too.
pub const TEST_POSTGRES_URL: &str = "AIRM_TEST_POSTGRES_URL";
/// Marks the secure-cookie flag off for plain-HTTP local use (`1`), default on behind TLS.
pub const INSECURE_COOKIES: &str = "AIRM_INSECURE_COOKIES";
/// Redis URL for the gateway's shared-counter tests; when set (CI sets it), they must run.
pub const TEST_REDIS_URL: &str = "AIRM_TEST_REDIS_URL";
/// Python interpreter of a venv with the official `openai` client, for the gateway's client
/// compatibility test; in CI a missing interpreter is a failure.
pub const TEST_PYTHON: &str = "AIRM_TEST_PYTHON";
