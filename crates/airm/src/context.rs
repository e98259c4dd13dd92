//! What every subcommand needs: the loaded configuration, the resolved data directory and
//! the store, plus the actor that offline CLI actions are recorded under.

use std::path::PathBuf;

use anyhow::Context as _;

use airm_core::{ActorKind, Outcome, Timestamp};
use airm_store::{DynStore, NewEvent};

use crate::cli::Cli;
use crate::config::Config;

pub struct Context {
    pub config: Config,
    pub data_dir: PathBuf,
    pub database_url: Option<String>,
}

impl Context {
    pub fn new(cli: &Cli) -> anyhow::Result<Self> {
        let config = Config::load(cli.config.as_deref())?;
        let data_dir = cli
            .data_dir
            .clone()
            .or_else(|| config.store.data_dir.clone())
            .or_else(|| dirs::data_dir().map(|d| d.join("airm")))
            .context("no data directory: pass --data-dir or set AIRM_DATA_DIR")?;
        let database_url = cli
            .database_url
            .clone()
            .or_else(|| config.store.database_url.clone())
            .filter(|u| !u.trim().is_empty());
        Ok(Context {
            config,
            data_dir,
            database_url,
        })
    }

    /// The key that signs activity-log checkpoints, created on first use (mode 0600).
    pub fn signing_key(&self) -> anyhow::Result<airm_ledger::SigningKey> {
        let path = self
            .config
            .audit
            .signing_key
            .clone()
            .unwrap_or_else(|| self.data_dir.join("ledger.key"));
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
        airm_ledger::SigningKey::load_or_create(&path)
            .with_context(|| format!("cannot load the signing key {}", path.display()))
    }

    /// Opens (and migrates) the configured store.
    pub async fn store(&self) -> anyhow::Result<DynStore> {
        let store = airm_store::open(self.database_url.as_deref(), &self.data_dir)
            .await
            .with_context(|| match &self.database_url {
                Some(u) => format!("cannot open the database {}", airm_store::mask_url(u)),
                None => format!("cannot open the store in {}", self.data_dir.display()),
            })?;
        Ok(store)
    }
}

/// The actor of CLI actions on this host: the operating-system user running `airm`.
pub fn cli_actor() -> airm_core::Actor {
    let who = std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .unwrap_or_else(|_| "unknown".to_string());
    airm_core::Actor {
        kind: ActorKind::System,
        id: format!("cli:{who}"),
    }
}

/// Records an action taken from the CLI on this host (there is no token: the actor is
/// the operating-system user running `airm`).
pub async fn record(
    store: &DynStore,
    action: &str,
    target: Option<&str>,
    details: serde_json::Value,
) -> anyhow::Result<()> {
    let actor = cli_actor();
    store
        .append_event(NewEvent {
            time: Timestamp::now(),
            actor_kind: actor.kind,
            actor_id: actor.id,
            action: action.to_string(),
            target: target.map(str::to_string),
            outcome: Outcome::Success,
            details,
            request_id: None,
        })
        .await
        .context("cannot record the action in the activity log")?;
    Ok(())
}
