//! `airm gateway`: runs the LLM gateway from `[gateway]` in airm.toml until SIGINT/SIGTERM
//! (draining in-flight streams), and `airm gateway keys create|list|revoke` manages its
//! virtual keys offline against the store (the secret is printed once, stored as a hash).

use anyhow::Context as _;

use airm_core::Timestamp;
use airm_store::NewGatewayKey;

use crate::cli::{GatewayArgs, GatewayCmd, GatewayKeysCmd};
use crate::context::{record, Context};
use crate::output::{Printer, Table};

pub async fn run(args: GatewayArgs, ctx: &Context, p: &Printer) -> anyhow::Result<u8> {
    match args.command {
        Some(GatewayCmd::Keys(cmd)) => keys(cmd, ctx, p).await,
        None => serve(args.listen, args.redis_url, ctx, p).await,
    }
}

async fn serve(
    listen: Option<String>,
    redis_url: Option<String>,
    ctx: &Context,
    p: &Printer,
) -> anyhow::Result<u8> {
    let store = ctx.store().await?;
    let (listener, gateway) = bind(listen, redis_url.as_deref(), ctx, store, p).await?;
    airm_gateway::serve(listener, gateway, super::serve::shutdown_signal())
        .await
        .context("gateway failed")?;
    p.note("Stopped.");
    Ok(0)
}

/// Builds the gateway from the configuration and binds its listener (also used by
/// `airm serve --gateway`).
pub(crate) async fn bind(
    listen: Option<String>,
    redis_url: Option<&str>,
    ctx: &Context,
    store: airm_store::DynStore,
    p: &Printer,
) -> anyhow::Result<(
    tokio::net::TcpListener,
    std::sync::Arc<airm_gateway::Gateway>,
)> {
    let cfg = ctx.config.gateway.clone();
    let listen = listen.unwrap_or_else(|| cfg.listen.clone());
    anyhow::ensure!(
        !cfg.upstreams.is_empty(),
        "no upstreams configured: add [[gateway.upstreams]] to airm.toml (see docs/gateway.md)"
    );
    let counters = match redis_url.filter(|u| !u.trim().is_empty()) {
        Some(url) => airm_gateway::Counters::redis(url)
            .await
            .with_context(|| format!("cannot use Redis at {}", airm_store::mask_url(url)))?,
        None => airm_gateway::Counters::memory(),
    };
    let backend = counters.backend();
    let gateway = airm_gateway::Gateway::new(cfg, ctx.config.guard.clone(), store, counters)
        .context("invalid [gateway] configuration")?;
    // New extraction alerts go to the monitoring alert sinks, like the monitor's own.
    let sinks = ctx
        .config
        .monitor
        .settings()
        .context("invalid [monitor] configuration")?
        .sinks;
    let sink_count = sinks.len();
    if !sinks.is_empty() {
        let sinks = std::sync::Arc::new(sinks);
        gateway.set_alert_notifier(std::sync::Arc::new(move |alert| {
            let sinks = sinks.clone();
            Box::pin(async move {
                for d in airm_server::monitor::deliver(&sinks, &[alert], &[]).await {
                    if !d.ok {
                        tracing::warn!(sink = %d.sink, alert = %d.alert_id, error = ?d.error,
                            "Cannot deliver an extraction alert");
                    }
                }
            })
        }));
    }
    let listener = tokio::net::TcpListener::bind(&listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    let addr = listener.local_addr()?;
    p.line(&format!(
        "airm gateway {} listening on http://{addr}/v1",
        env!("CARGO_PKG_VERSION")
    ));
    let mut policies = gateway.policy_names();
    policies.sort_unstable();
    p.detail(&format!("Guard policies: {}", policies.join(", ")));
    p.detail(&format!(
        "Rate-limit counters and extraction statistics: {backend} ({}); extraction alerts to {sink_count} sinks",
        gateway.extraction_backend()
    ));
    Ok((listener, gateway))
}

async fn keys(cmd: GatewayKeysCmd, ctx: &Context, p: &Printer) -> anyhow::Result<u8> {
    let store = ctx.store().await?;
    match cmd {
        GatewayKeysCmd::Create {
            system,
            name,
            models,
            policy,
            rpm,
            tpm,
            expires_in_days,
        } => {
            anyhow::ensure!(
                policy == "default" || ctx.config.gateway.policies.contains_key(&policy),
                "no guard policy `{policy}`: use `default` or add [gateway.policies.{policy}] to airm.toml"
            );
            let (key, hash) = airm_gateway::new_key();
            let info = store
                .create_gateway_key(
                    NewGatewayKey {
                        name,
                        system: system.clone(),
                        models,
                        policy,
                        requests_per_minute: rpm,
                        tokens_per_minute: tpm,
                        expires_at: expires_in_days
                            .map(|d| Timestamp::now().plus_days(i64::from(d))),
                    },
                    &hash,
                )
                .await
                .with_context(|| format!("cannot create a key for system `{system}`"))?;
            record(
                &store,
                "gateway_key.create",
                Some(&info.id),
                serde_json::json!({"system": info.system_id, "name": info.name,
                                   "models": info.models, "policy": info.policy,
                                   "requests_per_minute": info.requests_per_minute,
                                   "tokens_per_minute": info.tokens_per_minute}),
            )
            .await?;
            p.note(&format!(
                "Gateway key {} for system {}. It is shown once; store it safely:",
                info.id, info.system_id
            ));
            p.data(
                &serde_json::json!({"id": info.id, "system_id": info.system_id,
                                    "models": info.models, "policy": info.policy,
                                    "expires_at": info.expires_at, "key": key}),
                || format!("{key}\n"),
            );
        }
        GatewayKeysCmd::List => {
            let keys = store.list_gateway_keys().await?;
            let now = Timestamp::now();
            p.data(&keys, || {
                let mut t = Table::new(&[
                    "ID", "NAME", "SYSTEM", "MODELS", "POLICY", "CREATED", "STATE",
                ]);
                for k in &keys {
                    let state = if k.revoked_at.is_some() {
                        "revoked"
                    } else if k.is_usable(now) {
                        "active"
                    } else {
                        "expired"
                    };
                    t.row(vec![
                        k.id.clone(),
                        k.name.clone(),
                        k.system_id.clone(),
                        if k.models.is_empty() {
                            "any".into()
                        } else {
                            k.models.join(",")
                        },
                        k.policy.clone(),
                        k.created_at.date(),
                        state.into(),
                    ]);
                }
                t.render()
            });
        }
        GatewayKeysCmd::Revoke { id } => {
            let info = store
                .revoke_gateway_key(&id)
                .await
                .context("cannot revoke the gateway key")?;
            record(
                &store,
                "gateway_key.revoke",
                Some(&info.id),
                serde_json::json!({}),
            )
            .await?;
            p.note(&format!("Revoked {}", info.id));
            p.data(&info, String::new);
        }
    }
    Ok(0)
}
