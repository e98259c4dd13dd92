//! The command-line grammar (clap derive). Every subcommand listed here works; commands
//! that do not exist yet are absent, not stubs.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use airm_core::{DataCategory, EuAiActTier, Exposure, LifecycleStage, Role, RuleTarget};

/// airm — AI risk management: inventory AI systems, record findings, govern and prove.
#[derive(Debug, Parser)]
#[command(
    name = "airm",
    version,
    about,
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    /// Directory for the embedded store and keys [default: the platform data dir, e.g. ~/.local/share/airm].
    #[arg(long, global = true, env = airm_core::env::DATA_DIR, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// Database URL (postgres://… for several instances); default: SQLite in the data dir.
    #[arg(long, global = true, env = airm_core::env::DATABASE_URL, value_name = "URL", hide_env_values = true)]
    pub database_url: Option<String>,

    /// Configuration file [default: ./airm.toml if it exists].
    #[arg(long, global = true, env = airm_core::env::CONFIG, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Output format.
    #[arg(long, global = true, value_enum, default_value_t = Format::Table)]
    pub format: Format,

    /// Print only errors (and requested data).
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,

    /// More detail (repeat for debug logs).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    #[command(subcommand)]
    pub command: Command,
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Aligned columns for people.
    Table,
    /// JSON for programs.
    Json,
    /// SARIF 2.1.0 (`airm scan` and `airm policy eval`), for code-scanning dashboards.
    Sarif,
    /// A self-contained HTML page (`airm monitor drift` only).
    Html,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Register and manage AI systems.
    #[command(subcommand)]
    Systems(SystemsCmd),
    /// Manage people and their roles.
    #[command(subcommand)]
    Users(UsersCmd),
    /// Create, list and revoke API tokens.
    #[command(subcommand)]
    Tokens(TokensCmd),
    /// Start the API server and dashboard.
    Serve(ServeArgs),
    /// List and explain detection rules.
    #[command(subcommand)]
    Rules(RulesCmd),
    /// Scan model files for malicious code and unsafe content (and discover AI assets).
    Scan(ScanArgs),
    /// Discover AI assets: models, datasets, notebooks, AI packages, AI usage and keys in
    /// code, AI infrastructure as code.
    Discover(DiscoverArgs),
    /// The risk-ranked inventory of discovered assets.
    #[command(subcommand)]
    Inventory(InventoryCmd),
    /// Write the AI-BOM (CycloneDX 1.6 JSON) of paths or of a registered AI system.
    Bom(BomArgs),
    /// Check prompts and completions with the runtime guard; train its classifier.
    #[command(subcommand)]
    Guard(GuardCmd),
    /// Read, verify, export and forward the tamper-evident activity log.
    #[command(subcommand)]
    Audit(AuditCmd),
    /// Evaluate, list, explain and test governance policies; run escalation.
    #[command(subcommand)]
    Policy(PolicyCmd),
    /// Oversight committees (members, quorum).
    #[command(subcommand)]
    Committees(CommitteesCmd),
    /// Ask committees to decide, vote, list requests.
    #[command(subcommand)]
    Approvals(ApprovalsCmd),
    /// Exceptions (risk acceptances) that suppress policy violations until they expire.
    #[command(subcommand)]
    Exceptions(ExceptionsCmd),
    /// Run the LLM gateway (OpenAI/Anthropic-compatible proxy with the guard in the path),
    /// or manage its virtual keys.
    Gateway(GatewayArgs),
    /// Monitor data and models: drift reports, mergeable profiles, prediction events,
    /// baselines and alerts.
    #[command(subcommand)]
    Monitor(MonitorCmd),
}

#[derive(Debug, Subcommand)]
pub enum PolicyCmd {
    /// Evaluate every enabled policy over the stored state (or an input document).
    Eval(PolicyEval),
    /// List the built-in policies.
    List,
    /// Print a built-in policy's documentation.
    Explain {
        /// Policy id (GV001) or name.
        id: String,
    },
    /// Run the Rego unit tests (`test_*` rules) of a policy directory.
    Test {
        /// Policy directory [default: --policy-dir or `[policy] dir`].
        dir: Option<PathBuf>,
    },
    /// Evaluate and take every escalation step that is due (notify owner, risk owner,
    /// committee), recording each step.
    Escalate(PolicyDirArg),
}

#[derive(Debug, Args)]
pub struct PolicyDirArg {
    /// Directory of user `.rego` policies (overrides `[policy] dir`).
    #[arg(long, value_name = "DIR")]
    pub policy_dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct PolicyEval {
    #[command(flatten)]
    pub dir: PolicyDirArg,
    /// Evaluate this input document (JSON, the schema of docs/governance.md) instead of
    /// the store.
    #[arg(long, value_name = "FILE")]
    pub input: Option<PathBuf>,
    /// Exit 1 when an active violation is at or above this severity (`none` never fails).
    #[arg(long, default_value = "high", value_parser = parse_fail_on)]
    pub fail_on: FailOn,
    /// Also show violations suppressed by an active exception.
    #[arg(long)]
    pub all: bool,
    /// Do not record the violations in the store (their age drives escalation).
    #[arg(long)]
    pub no_store: bool,
}

#[derive(Debug, Subcommand)]
pub enum CommitteesCmd {
    /// Create a committee.
    Add {
        /// Unique name, e.g. "AI risk board".
        name: String,
        /// A member's email (repeat or comma-separate).
        #[arg(long = "member", value_delimiter = ',', required = true)]
        members: Vec<String>,
        /// Votes needed for a decision.
        #[arg(long)]
        quorum: u32,
    },
    /// List committees.
    List,
}

#[derive(Debug, Subcommand)]
pub enum ApprovalsCmd {
    /// Ask a committee to decide, e.g. `request support-bot --action production --committee "AI board"`.
    Request {
        /// What is to be decided about (system name, asset id, …).
        subject: String,
        /// The decision asked for, kebab-case.
        #[arg(long, default_value = "production")]
        action: String,
        /// Deciding committee (name or id).
        #[arg(long)]
        committee: String,
        /// Why.
        #[arg(long, default_value = "")]
        reason: String,
        /// Who asks (email) [default: the operating-system user].
        #[arg(long = "as", value_name = "EMAIL")]
        requester: Option<String>,
    },
    /// Vote on a pending request; only committee members vote.
    Vote {
        /// Approval id (apr_…).
        id: String,
        /// approve or reject.
        #[arg(value_parser = parse_enum::<airm_core::VoteChoice>)]
        choice: airm_core::VoteChoice,
        /// The voting member's email.
        #[arg(long = "as", value_name = "EMAIL")]
        voter: String,
        /// Why.
        #[arg(long)]
        comment: Option<String>,
    },
    /// List requests.
    List {
        /// Only this status: pending, approved or rejected.
        #[arg(long, value_parser = parse_enum::<airm_core::ApprovalStatus>)]
        status: Option<airm_core::ApprovalStatus>,
        /// Only requests of committees this person (email) sits on.
        #[arg(long)]
        member: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum ExceptionsCmd {
    /// Grant an exception; the approver must be an admin or risk-owner.
    Add {
        /// Policy id, e.g. GV002.
        policy: String,
        /// Object it covers (system name or id, asset id) or `*`.
        #[arg(long)]
        object: String,
        /// Why the risk is accepted.
        #[arg(long)]
        justification: String,
        /// Expiry date (YYYY-MM-DD or RFC 3339), at most two years ahead.
        #[arg(long, value_parser = parse_enum::<airm_core::Timestamp>)]
        expires: airm_core::Timestamp,
        /// The approving person's email (an admin or risk-owner user).
        #[arg(long)]
        approver: String,
    },
    /// List exceptions.
    List {
        /// Only exceptions active now.
        #[arg(long)]
        active: bool,
        /// Only exceptions expiring within this many days.
        #[arg(long)]
        expiring_within_days: Option<u32>,
    },
    /// End an exception now; its violations are reported again.
    Expire {
        /// Exception id (exc_…).
        id: String,
        /// The person ending it (an admin or risk-owner user).
        #[arg(long = "as", value_name = "EMAIL")]
        by: String,
    },
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct GatewayArgs {
    #[command(subcommand)]
    pub command: Option<GatewayCmd>,
    /// Address to listen on [default: `gateway.listen` in airm.toml, or 127.0.0.1:8090].
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<String>,
    /// Redis for rate-limit counters shared by several gateway instances [default: in memory].
    #[arg(long, env = airm_core::env::REDIS_URL, value_name = "URL", hide_env_values = true)]
    pub redis_url: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum GatewayCmd {
    /// Create, list and revoke gateway virtual keys.
    #[command(subcommand)]
    Keys(GatewayKeysCmd),
}

#[derive(Debug, Subcommand)]
pub enum GatewayKeysCmd {
    /// Create a virtual key bound to an AI system; it is shown once.
    Create {
        /// The AI system (id or name) whose traffic the key carries.
        #[arg(long)]
        system: String,
        /// A label, e.g. the application using it.
        #[arg(long, default_value = "default")]
        name: String,
        /// Model the key may use (repeat; `*` at the end matches a prefix) [default: any].
        #[arg(long = "model", value_name = "PATTERN")]
        models: Vec<String>,
        /// Guard policy applied to its traffic (`default` = `[guard]`, else `[gateway.policies.NAME]`).
        #[arg(long, default_value = "default")]
        policy: String,
        /// Requests per minute allowed [default: unlimited].
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
        rpm: Option<u32>,
        /// Tokens (prompt + completion) per minute allowed [default: unlimited].
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
        tpm: Option<u32>,
        /// Days until it expires (default: never).
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..=3650))]
        expires_in_days: Option<u32>,
    },
    /// List virtual keys (never their secrets).
    List,
    /// Revoke a virtual key by id.
    Revoke {
        /// Key id (gwk_…).
        id: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum AuditCmd {
    /// Show the latest events (with --format json: one JSON object per line).
    Tail {
        /// How many events.
        #[arg(short = 'n', long, default_value_t = 20)]
        lines: u32,
        /// Keep printing new events as they are appended.
        #[arg(short, long)]
        follow: bool,
    },
    /// Find events by actor, action, target and time.
    Search(AuditSearch),
    /// Sign a checkpoint of the current log head now.
    Checkpoint,
    /// Verify the stored log, or an exported file offline.
    Verify {
        /// Start at the signed checkpoint of this many entries instead of entry 0.
        #[arg(long, value_name = "TREE_SIZE", conflicts_with = "file")]
        from_checkpoint: Option<u64>,
        /// An export written by `airm audit export` to verify instead of the store.
        #[arg(long, requires = "public_key")]
        file: Option<PathBuf>,
        /// The public key (`ed25519:…`, or a file containing it) for --file.
        #[arg(long)]
        public_key: Option<String>,
    },
    /// Write entries, checkpoints and proofs as JSON Lines for offline verification.
    Export {
        /// Start at the first entry at or after this time (RFC 3339 or YYYY-MM-DD).
        #[arg(long, value_parser = parse_enum::<airm_core::Timestamp>, conflicts_with = "from_seq")]
        since: Option<airm_core::Timestamp>,
        /// Start at this entry.
        #[arg(long)]
        from_seq: Option<u64>,
        /// Write to this file instead of standard output.
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
    /// Print the public key that verifies checkpoints.
    PublicKey,
    /// Forward events to a SIEM as RFC 5424 syslog messages.
    Forward {
        /// Destination: udp://HOST:PORT or tcp://HOST:PORT (octet-counted framing).
        #[arg(long)]
        syslog: String,
        /// First entry to send.
        #[arg(long, default_value_t = 0)]
        from_seq: u64,
        /// Keep forwarding new events as they are appended.
        #[arg(short, long)]
        follow: bool,
    },
}

#[derive(Debug, Args)]
pub struct AuditSearch {
    /// Actor id, e.g. an email or cli:USER.
    #[arg(long)]
    pub actor: Option<String>,
    /// Action, or a prefix ending in `.` (e.g. `system.`).
    #[arg(long)]
    pub action: Option<String>,
    /// Target id.
    #[arg(long)]
    pub target: Option<String>,
    /// At or after (RFC 3339 or YYYY-MM-DD).
    #[arg(long, value_parser = parse_enum::<airm_core::Timestamp>)]
    pub since: Option<airm_core::Timestamp>,
    /// Before (RFC 3339 or YYYY-MM-DD).
    #[arg(long, value_parser = parse_enum::<airm_core::Timestamp>)]
    pub until: Option<airm_core::Timestamp>,
    /// Maximum events.
    #[arg(long, default_value_t = 100)]
    pub limit: u32,
}

#[derive(Debug, Subcommand)]
pub enum SystemsCmd {
    /// Register an AI system.
    Add(SystemAdd),
    /// List AI systems.
    List(SystemList),
    /// Show one AI system.
    Show {
        /// System name or id.
        system: String,
    },
    /// Change fields of an AI system.
    Set(SystemSet),
    /// Link assets to an AI system (the system then counts in their risk and importance).
    Link {
        /// System name or id.
        system: String,
        /// Asset ids (ast_…).
        #[arg(required = true)]
        assets: Vec<String>,
    },
    /// Show or change who is responsible, accountable, consulted and informed (RACI).
    Raci {
        /// System name or id.
        system: String,
        /// Assign ROLE:EMAIL, e.g. accountable:ana@example.com (repeatable).
        #[arg(long, value_name = "ROLE:EMAIL", value_parser = parse_raci)]
        assign: Vec<(airm_core::RaciRole, String)>,
        /// Remove ROLE:EMAIL (repeatable).
        #[arg(long, value_name = "ROLE:EMAIL", value_parser = parse_raci)]
        unassign: Vec<(airm_core::RaciRole, String)>,
    },
}

fn parse_raci(s: &str) -> Result<(airm_core::RaciRole, String), String> {
    let (role, who) = s
        .split_once(':')
        .ok_or_else(|| format!("`{s}`: expected ROLE:EMAIL, e.g. accountable:ana@example.com"))?;
    let role = parse_enum::<airm_core::RaciRole>(role)?;
    if who.trim().is_empty() {
        return Err(format!("`{s}`: the email is empty"));
    }
    Ok((role, who.trim().to_string()))
}

#[derive(Debug, Args)]
pub struct SystemAdd {
    /// Unique name, e.g. support-chatbot.
    pub name: String,
    /// What the system is for.
    #[arg(long, default_value = "")]
    pub purpose: String,
    /// Accountable owner (email).
    #[arg(long)]
    pub owner: Option<String>,
    /// Named risk owner (email).
    #[arg(long)]
    pub risk_owner: Option<String>,
    /// Business importance, 1 (low) to 5 (business-critical).
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u8).range(1..=5))]
    pub importance: u8,
    /// Lifecycle stage.
    #[arg(long, default_value = "development", value_parser = parse_enum::<LifecycleStage>)]
    pub lifecycle: LifecycleStage,
    /// Who can reach it.
    #[arg(long, default_value = "internal", value_parser = parse_enum::<Exposure>)]
    pub exposure: Exposure,
    /// Data categories processed (repeat or comma-separate).
    #[arg(long = "data", value_delimiter = ',', value_parser = parse_enum::<DataCategory>)]
    pub data: Vec<DataCategory>,
    /// EU AI Act tier, once classified.
    #[arg(long, value_parser = parse_enum::<EuAiActTier>)]
    pub eu_tier: Option<EuAiActTier>,
    /// It uses a large language model.
    #[arg(long)]
    pub llm: bool,
    /// Guard policy of the airm gateway fronting it.
    #[arg(long)]
    pub gateway_policy: Option<String>,
    /// Date its last impact assessment was completed (YYYY-MM-DD or RFC 3339).
    #[arg(long, value_parser = parse_enum::<airm_core::Timestamp>)]
    pub impact_assessed: Option<airm_core::Timestamp>,
    /// A control in place, e.g. human-oversight, logging (repeat or comma-separate).
    #[arg(long = "control", value_delimiter = ',')]
    pub controls: Vec<String>,
}

#[derive(Debug, Args)]
pub struct SystemList {
    /// Substring of name or purpose.
    #[arg(long)]
    pub query: Option<String>,
    /// Only this exposure.
    #[arg(long, value_parser = parse_enum::<Exposure>)]
    pub exposure: Option<Exposure>,
    /// Only this lifecycle stage.
    #[arg(long, value_parser = parse_enum::<LifecycleStage>)]
    pub lifecycle: Option<LifecycleStage>,
    /// Only systems at least this important.
    #[arg(long, value_parser = clap::value_parser!(u8).range(1..=5))]
    pub min_importance: Option<u8>,
    /// Maximum rows.
    #[arg(long, default_value_t = 500)]
    pub limit: u32,
}

#[derive(Debug, Args)]
pub struct SystemSet {
    /// System name or id.
    pub system: String,
    /// New purpose.
    #[arg(long)]
    pub purpose: Option<String>,
    /// New accountable owner.
    #[arg(long, conflicts_with = "no_owner")]
    pub owner: Option<String>,
    /// Remove the accountable owner.
    #[arg(long)]
    pub no_owner: bool,
    /// New risk owner.
    #[arg(long, conflicts_with = "no_risk_owner")]
    pub risk_owner: Option<String>,
    /// Remove the risk owner.
    #[arg(long)]
    pub no_risk_owner: bool,
    /// New business importance (1–5).
    #[arg(long, value_parser = clap::value_parser!(u8).range(1..=5))]
    pub importance: Option<u8>,
    /// New lifecycle stage.
    #[arg(long, value_parser = parse_enum::<LifecycleStage>)]
    pub lifecycle: Option<LifecycleStage>,
    /// New exposure.
    #[arg(long, value_parser = parse_enum::<Exposure>)]
    pub exposure: Option<Exposure>,
    /// Replace the data categories.
    #[arg(long = "data", value_delimiter = ',', value_parser = parse_enum::<DataCategory>)]
    pub data: Option<Vec<DataCategory>>,
    /// Add data categories.
    #[arg(long = "add-data", value_delimiter = ',', value_parser = parse_enum::<DataCategory>)]
    pub add_data: Vec<DataCategory>,
    /// New EU AI Act tier.
    #[arg(long, value_parser = parse_enum::<EuAiActTier>, conflicts_with = "no_eu_tier")]
    pub eu_tier: Option<EuAiActTier>,
    /// Clear the EU AI Act tier.
    #[arg(long)]
    pub no_eu_tier: bool,
    /// Whether it uses a large language model (true or false).
    #[arg(long)]
    pub llm: Option<bool>,
    /// Guard policy of the airm gateway fronting it.
    #[arg(long, conflicts_with = "no_gateway_policy")]
    pub gateway_policy: Option<String>,
    /// It is no longer fronted by the airm gateway.
    #[arg(long)]
    pub no_gateway_policy: bool,
    /// Date its last impact assessment was completed (YYYY-MM-DD or RFC 3339).
    #[arg(long, value_parser = parse_enum::<airm_core::Timestamp>)]
    pub impact_assessed: Option<airm_core::Timestamp>,
    /// Add a control in place (repeat or comma-separate), e.g. human-oversight.
    #[arg(long = "control", value_delimiter = ',')]
    pub add_controls: Vec<String>,
    /// Remove a control (repeat or comma-separate).
    #[arg(long = "remove-control", value_delimiter = ',')]
    pub remove_controls: Vec<String>,
    /// Apply only if the stored version is still this one.
    #[arg(long)]
    pub if_version: Option<i64>,
}

#[derive(Debug, Subcommand)]
pub enum UsersCmd {
    /// Add a person.
    Add {
        /// Email (login name).
        email: String,
        /// Role: admin, risk-owner, auditor or viewer.
        #[arg(long, value_parser = parse_enum::<Role>)]
        role: Role,
        /// Display name.
        #[arg(long, default_value = "")]
        name: String,
    },
    /// List people.
    List {
        /// Only this role.
        #[arg(long, value_parser = parse_enum::<Role>)]
        role: Option<Role>,
    },
    /// Change a person's role.
    SetRole {
        /// Email or id.
        user: String,
        /// New role.
        #[arg(value_parser = parse_enum::<Role>)]
        role: Role,
    },
}

#[derive(Debug, Subcommand)]
pub enum TokensCmd {
    /// Create an API token for a person; it is shown once.
    Create {
        /// Email or id of the person the token acts for.
        #[arg(long)]
        user: String,
        /// A label, e.g. the machine it is for.
        #[arg(long, default_value = "cli")]
        name: String,
        /// Days until it expires (default: never).
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..=3650))]
        expires_in_days: Option<u32>,
    },
    /// List tokens (never their secrets).
    List {
        /// Only tokens of this person.
        #[arg(long)]
        user: Option<String>,
    },
    /// Revoke a token by id.
    Revoke {
        /// Token id (tok_…).
        id: String,
    },
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1:8080, or `server.listen` in airm.toml].
    #[arg(long, env = airm_core::env::LISTEN, value_name = "ADDR")]
    pub listen: Option<String>,
    /// Also run the LLM gateway (`[gateway]` in airm.toml) on `gateway.listen`.
    #[arg(long)]
    pub gateway: bool,
    /// Redis for the gateway's shared rate-limit counters [default: in memory].
    #[arg(long, env = airm_core::env::REDIS_URL, value_name = "URL", hide_env_values = true)]
    pub redis_url: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum RulesCmd {
    /// List all rules.
    List {
        /// Only rules for this target.
        #[arg(long, value_parser = parse_enum::<RuleTarget>)]
        target: Option<RuleTarget>,
    },
    /// Print a rule's documentation.
    Explain {
        /// Rule id, e.g. PI001.
        id: String,
    },
}

/// Parses any airm enum through its `FromStr`, so CLI spellings equal API spellings.
fn parse_enum<T>(s: &str) -> Result<T, String>
where
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    s.parse().map_err(|e: T::Err| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn grammar_is_consistent() {
        Cli::command().debug_assert();
    }
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Files or directories to scan (recursively; symbolic links are not followed).
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Skip paths matching this glob (repeatable), e.g. `**/node_modules/**`.
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// Exit 1 when a finding is at or above this severity (`none` never fails).
    #[arg(long, default_value = "high", value_parser = parse_fail_on)]
    pub fail_on: FailOn,
    /// Do not record assets and findings in the store.
    #[arg(long)]
    pub no_store: bool,
    /// Link scanned model assets to this AI system.
    #[arg(long)]
    pub system: Option<String>,
    /// Also list clean files in the table.
    #[arg(long)]
    pub all: bool,
    /// Scan model files only; do not discover other AI assets.
    #[arg(long)]
    pub no_discover: bool,
    /// Discovery: also read files that .gitignore, .ignore and git excludes leave out.
    #[arg(long)]
    pub no_ignore: bool,
    /// Discovery: open and read every file, without the discovery cache.
    #[arg(long)]
    pub no_cache: bool,
}

#[derive(Debug, Args)]
pub struct DiscoverArgs {
    /// Files or directories to walk (symbolic links are never followed).
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Also read files that .gitignore, .ignore and git excludes leave out.
    #[arg(long)]
    pub no_ignore: bool,
    /// Skip paths matching this glob (repeatable), e.g. `**/fixtures/**`.
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// Files larger than this many bytes are not read [default: discover.max_file_size].
    #[arg(long, value_name = "BYTES")]
    pub max_file_size: Option<u64>,
    /// Worker threads [default: one per core].
    #[arg(long)]
    pub threads: Option<usize>,
    /// Exit 1 when a finding is at or above this severity (`none` never fails).
    #[arg(long, default_value = "high", value_parser = parse_fail_on)]
    pub fail_on: FailOn,
    /// Do not record assets and findings in the store.
    #[arg(long)]
    pub no_store: bool,
    /// Link every discovered asset to this AI system (besides `[[inventory.systems]]` rules).
    #[arg(long)]
    pub system: Option<String>,
    /// Open and read every file, without reusing the results of files unchanged since the
    /// previous run (the discovery cache; see `[discover] cache`).
    #[arg(long)]
    pub no_cache: bool,
}

#[derive(Debug, Args)]
pub struct BomArgs {
    /// Files or directories to discover (not stored); or use --system.
    #[arg(required_unless_present = "system", conflicts_with = "system")]
    pub paths: Vec<PathBuf>,
    /// The stored assets of this AI system (name or id).
    #[arg(long)]
    pub system: Option<String>,
    /// CycloneDX version: 1.6 or 1.7.
    #[arg(long, default_value = "1.6", value_parser = ["1.6", "1.7"])]
    pub spec: String,
    /// Serial number (`urn:uuid:…`) instead of one derived from the content and time.
    #[arg(long)]
    pub serial: Option<String>,
    /// Timestamp (RFC 3339) instead of now, for reproducible output.
    #[arg(long, value_parser = parse_enum::<airm_core::Timestamp>)]
    pub timestamp: Option<airm_core::Timestamp>,
    /// Write to this file instead of standard output.
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    /// Discovery: also read files that .gitignore leaves out.
    #[arg(long)]
    pub no_ignore: bool,
    /// Discovery: open and read every file, without the discovery cache.
    #[arg(long)]
    pub no_cache: bool,
}

#[derive(Debug, Subcommand)]
pub enum InventoryCmd {
    /// List assets by risk × importance, highest first.
    List {
        /// Only this kind: model, dataset, notebook, ai-service, api-key-usage, library, infrastructure, …
        #[arg(long, value_parser = parse_enum::<airm_core::AssetKind>)]
        kind: Option<airm_core::AssetKind>,
        /// Only assets of this system (name or id).
        #[arg(long)]
        system: Option<String>,
        /// Case-insensitive substring of name or location.
        #[arg(long)]
        query: Option<String>,
        /// Maximum rows.
        #[arg(long, default_value_t = 100)]
        limit: usize,
    },
    /// Show one asset: its facts, risk factors and open findings.
    Show {
        /// Asset id (ast_…).
        id: String,
    },
}

/// The least severity that fails a run, or none.
#[derive(Debug, Clone, Copy)]
pub struct FailOn(pub Option<airm_core::Severity>);

fn parse_fail_on(s: &str) -> Result<FailOn, String> {
    if s.eq_ignore_ascii_case("none") {
        Ok(FailOn(None))
    } else {
        parse_enum::<airm_core::Severity>(s).map(|v| FailOn(Some(v)))
    }
}

#[derive(Debug, Subcommand)]
pub enum GuardCmd {
    /// Check a text, a file, or JSON Lines `{"id", "text", "source"?}` on standard input
    /// (one JSON verdict per line, in order).
    Check(GuardCheck),
    /// Train the prompt-injection classifier on labelled JSON Lines
    /// (`{"text", "label": "benign"|"injection"|"jailbreak"}`).
    Train {
        /// Training data.
        #[arg(long)]
        data: PathBuf,
        /// Where to write the model.
        #[arg(long, short, default_value = "injection.bin")]
        output: PathBuf,
        /// Training epochs.
        #[arg(long)]
        epochs: Option<usize>,
        /// Random seed (training is deterministic for a seed).
        #[arg(long)]
        seed: Option<u64>,
        /// Leave out examples whose `source` starts with this prefix (repeatable), e.g.
        /// data whose licence does not allow the use you intend.
        #[arg(long, value_name = "PREFIX")]
        exclude_source: Vec<String>,
        /// Set the thresholds by cross-fitting over K folds (K models, every text scored by
        /// the one that did not see it) instead of a single 15 % hold-out: K + 1 fits per
        /// head instead of 2, steadier thresholds on small data sets.
        #[arg(long, value_name = "K", value_parser = clap::value_parser!(u16).range(2..=20))]
        threshold_folds: Option<u16>,
    },
}

#[derive(Debug, Args)]
pub struct GuardCheck {
    /// The text to check (omit to read JSON Lines from standard input).
    pub text: Option<String>,
    /// Check the contents of this file as one text.
    #[arg(long, conflicts_with = "text")]
    pub file: Option<PathBuf>,
    /// Where the text comes from: user, system, document or tool.
    #[arg(long, default_value = "user")]
    pub source: String,
    /// Check it as a model response instead of an input.
    #[arg(long)]
    pub output: bool,
    /// A guard policy file (TOML) instead of `[guard]` in airm.toml.
    #[arg(long)]
    pub policy: Option<PathBuf>,
    /// A classifier trained with `airm guard train` instead of the built-in one.
    #[arg(long)]
    pub model: Option<PathBuf>,
}

// ---- airm monitor ------------------------------------------------------------------------
// `drift`, `profile` and `merge` read files only and need no store (`MonitorCmd::needs_store`);
// `ingest`, `baseline` and `alerts` work on the store.

#[derive(Debug, Subcommand)]
pub enum MonitorCmd {
    /// Compare a reference and a current dataset (CSV or JSON Lines) column by column:
    /// PSI, Kolmogorov–Smirnov, chi-squared, Jensen–Shannon, Wasserstein and a
    /// dataset-level verdict. Exit 1 on dataset drift with --fail-on-drift.
    Drift(DriftArgs),
    /// Profile a CSV/JSON Lines/Parquet file into mergeable sketches (JSON on standard output).
    Profile(ProfileArgs),
    /// Merge profiles of shards of the same data into one profile.
    Merge(MergeArgs),
    /// Store prediction events from a CSV, JSON Lines or Parquet file (exit 1 if rows were
    /// rejected; Parquet needs the `parquet` build feature).
    Ingest {
        /// Model the events belong to.
        #[arg(long)]
        model: String,
        /// CSV (header row; columns id, time, prediction, score, label, meta.NAME; others
        /// are features), JSON Lines (one event object per line) or Parquet (columns as in CSV).
        file: PathBuf,
        /// File format [default: Parquet when the file starts with `PAR1`, else from the
        /// extension: .csv, else JSON Lines].
        #[arg(long, value_enum)]
        input_format: Option<EventFormat>,
    },
    /// Compute a model's performance over a period and store it as its baseline.
    Baseline {
        /// Model.
        #[arg(long)]
        model: String,
        /// Start of the period (RFC 3339 or YYYY-MM-DD) [default: 7 days before --until].
        #[arg(long, value_parser = parse_enum::<airm_core::Timestamp>)]
        since: Option<airm_core::Timestamp>,
        /// End of the period, exclusive [default: now].
        #[arg(long, value_parser = parse_enum::<airm_core::Timestamp>)]
        until: Option<airm_core::Timestamp>,
        /// Class key of the positive class.
        #[arg(long, default_value = "1")]
        positive: String,
    },
    /// List or evaluate alerts.
    #[command(subcommand)]
    Alerts(MonitorAlertsCmd),
}

#[derive(Debug, Subcommand)]
pub enum MonitorAlertsCmd {
    /// List alerts, open first.
    List {
        /// `open` or `resolved`.
        #[arg(long, value_parser = parse_enum::<airm_store::monitor::AlertStatus>)]
        status: Option<airm_store::monitor::AlertStatus>,
        /// Only this model.
        #[arg(long)]
        model: Option<String>,
        /// How many.
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// Evaluate the `[[monitor.alerts]]` rules now and deliver new and resolved alerts to
    /// the sinks (exit 1 while any rule fires).
    Evaluate,
}

/// Formats of `airm monitor ingest` files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EventFormat {
    /// Comma-separated values with a header row.
    Csv,
    /// One JSON object per line.
    Jsonl,
    /// Apache Parquet, columns as in CSV (build feature `parquet`).
    Parquet,
}

impl MonitorCmd {
    /// Whether the subcommand works on the store (the file-only ones never open it).
    pub fn needs_store(&self) -> bool {
        !matches!(self, Self::Drift(_) | Self::Profile(_) | Self::Merge(_))
    }
}

/// How input files are read (shared by `drift` and `profile`).
#[derive(Debug, Args)]
pub struct InputArgs {
    /// Treat these columns as numeric: text in them is an error (comma-separated, repeatable).
    #[arg(long, value_delimiter = ',', value_name = "COLUMN")]
    pub numeric: Vec<String>,
    /// Treat these columns as categorical, numbers included.
    #[arg(long, value_delimiter = ',', value_name = "COLUMN")]
    pub categorical: Vec<String>,
    /// Input format [default: Parquet when the file starts with `PAR1`, else from the extension: .jsonl/.ndjson/.json JSON Lines, .tsv tab-separated, .parquet/.pq Parquet, else CSV].
    #[arg(long, value_enum)]
    pub input_format: Option<InputFormat>,
    /// Longest accepted line, in bytes.
    #[arg(long, default_value_t = 1 << 20, value_name = "BYTES")]
    pub max_line_bytes: usize,
    /// Most distinct values kept per categorical column (more: the column is skipped).
    #[arg(long, default_value_t = 100_000, value_name = "N")]
    pub max_categories: usize,
    /// Most numeric values held in memory per file.
    #[arg(long, default_value_t = 200_000_000, value_name = "N")]
    pub max_values: u64,
}

/// Input formats of `airm monitor`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InputFormat {
    Csv,
    Tsv,
    Jsonl,
    /// Apache Parquet (build feature `parquet`).
    Parquet,
}

#[derive(Debug, Args)]
pub struct DriftArgs {
    /// The reference data (training or a known-good period).
    #[arg(long, value_name = "FILE")]
    pub reference: PathBuf,
    /// The data to check.
    #[arg(long, value_name = "FILE")]
    pub current: PathBuf,
    /// Compare only these columns (comma-separated, repeatable) [default: all in both files].
    #[arg(long, value_delimiter = ',', value_name = "COLUMN")]
    pub columns: Vec<String>,
    /// The statistic that decides drift per column (auto: KS/chi-squared up to
    /// --auto-test-max-n reference values, Wasserstein/Jensen–Shannon above).
    #[arg(long, default_value = "auto", value_parser = parse_enum::<airm_monitor::drift::Method>)]
    pub method: airm_monitor::drift::Method,
    /// PSI at or above this is drift.
    #[arg(long, default_value_t = 0.2)]
    pub psi_threshold: f64,
    /// KS p-value below this is drift.
    #[arg(long, default_value_t = 0.05)]
    pub ks_pvalue: f64,
    /// Chi-squared p-value below this is drift.
    #[arg(long, default_value_t = 0.05)]
    pub chi2_pvalue: f64,
    /// Jensen–Shannon distance at or above this is drift.
    #[arg(long, default_value_t = 0.1)]
    pub js_threshold: f64,
    /// Wasserstein distance / reference standard deviation at or above this is drift.
    #[arg(long, default_value_t = 0.1)]
    pub wasserstein_threshold: f64,
    /// Reference size up to which `auto` uses the statistical tests.
    #[arg(long, default_value_t = 1000)]
    pub auto_test_max_n: u64,
    /// The dataset drifts when at least this share of columns drifted (0–1) …
    #[arg(long, default_value_t = 0.5)]
    pub drift_share: f64,
    /// … or when any of these columns drifted (comma-separated, repeatable).
    #[arg(long, value_delimiter = ',', value_name = "COLUMN")]
    pub critical: Vec<String>,
    /// Logarithm base of the Jensen–Shannon distance: `e` (SciPy's default) or `2`.
    #[arg(long, default_value = "e", value_parser = ["e", "2"])]
    pub js_base: String,
    /// Exit 1 when dataset drift is detected.
    #[arg(long)]
    pub fail_on_drift: bool,
    #[command(flatten)]
    pub input: InputArgs,
}

#[derive(Debug, Args)]
pub struct ProfileArgs {
    /// The file to profile.
    pub file: PathBuf,
    /// Profile only these columns (comma-separated, repeatable).
    #[arg(long, value_delimiter = ',', value_name = "COLUMN")]
    pub columns: Vec<String>,
    /// Exact values kept per numeric column for exact tests (a uniform sample beyond).
    #[arg(long, default_value_t = 10_000, value_name = "N")]
    pub sample_size: usize,
    /// Seed of the sampling (profiles are deterministic for a seed).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    #[command(flatten)]
    pub input: InputArgs,
}

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// Profiles written by `airm monitor profile` (two or more).
    #[arg(required = true, num_args = 2..)]
    pub profiles: Vec<PathBuf>,
}
