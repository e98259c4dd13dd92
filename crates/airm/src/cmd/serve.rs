//! `airm serve`: opens the store, creates the bootstrap administrator on first start, and
//! serves the API and dashboard (and with `--gateway` the LLM gateway on its own listener)
//! until SIGINT/SIGTERM, draining in-flight requests.

use anyhow::Context as _;

use airm_server::{AppState, ServerConfig};

use crate::cli::ServeArgs;
use crate::context::Context;
use crate::output::Printer;

pub async fn run(args: ServeArgs, ctx: &Context, p: &Printer) -> anyhow::Result<u8> {
    let listen = args
        .listen
        .or_else(|| ctx.config.server.listen.clone())
        .unwrap_or_else(|| "127.0.0.1:8080".to_string());
    let store = ctx.store().await?;
    let listener = tokio::net::TcpListener::bind(&listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    let addr = listener.local_addr()?;
    let where_ = match &ctx.database_url {
        Some(u) => airm_store::mask_url(u),
        None => ctx.data_dir.join("airm.db").display().to_string(),
    };
    let shown_host = if addr.ip().is_unspecified() {
        "127.0.0.1".to_string()
    } else {
        addr.ip().to_string()
    };
    p.line(&format!(
        "airm {} listening on http://{shown_host}:{}",
        env!("CARGO_PKG_VERSION"),
        addr.port()
    ));
    p.note(&format!("Store: {} ({where_})", store.backend()));
    p.detail(&format!("Data directory: {}", ctx.data_dir.display()));
    if let Some(token) = airm_server::bootstrap(&store).await? {
        airm_store::Store::append_event(
            store.as_ref(),
            airm_store::NewEvent {
                time: airm_core::Timestamp::now(),
                actor_kind: airm_core::ActorKind::System,
                actor_id: "bootstrap".into(),
                action: "user.create".into(),
                target: Some(airm_server::BOOTSTRAP_ADMIN.into()),
                outcome: airm_core::Outcome::Success,
                details: serde_json::json!({"role": "admin", "reason": "empty store"}),
                request_id: None,
            },
        )
        .await?;
        p.line("");
        p.line("First start: created the administrator admin@airm.local. Its API token, shown only this once:");
        p.line("");
        p.line(&format!("    {token}"));
        p.line("");
        p.line("Log in to the dashboard with it, or call the API with `Authorization: Bearer <token>`.");
    }
    let config = ServerConfig {
        secure_cookies: ctx.config.server.secure_cookies.unwrap_or(false),
        session_hours: i64::from(ctx.config.server.session_hours.unwrap_or(12)),
        checkpoint_interval_secs: ctx.config.audit.checkpoint_interval_secs.unwrap_or(300),
    };
    let monitor = ctx
        .config
        .monitor
        .settings()
        .context("invalid [monitor] configuration")?;
    if !monitor.rules.is_empty() {
        p.detail(&format!(
            "Monitoring: {} alert rules, {} sinks, evaluated every {} s",
            monitor.rules.len(),
            monitor.sinks.len(),
            monitor.evaluate_interval_secs
        ));
    }
    let key = std::sync::Arc::new(ctx.signing_key()?);
    p.detail(&format!(
        "Activity-log signing key {}",
        key.public_key().key_id()
    ));
    let mut options = ctx.config.policy.options(None);
    // Escalation steps go to the monitoring alert sinks too.
    options.sinks = monitor.sinks.clone();
    if let Some(secs) = ctx.config.policy.escalate_interval_secs.filter(|s| *s > 0) {
        let (store, options) = (store.clone(), options.clone());
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(secs.max(60)));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let actor = airm_core::Actor::system("escalation");
                match airm_server::governance::escalate(&store, &options, &actor).await {
                    Ok(sent) => tracing::info!(steps = sent.len(), "Escalation run finished"),
                    Err(e) => tracing::warn!(error = %e, "Escalation run failed"),
                }
            }
        });
    }
    let gateway = if args.gateway {
        Some(super::gateway::bind(None, args.redis_url.as_deref(), ctx, store.clone(), p).await?)
    } else {
        None
    };
    // One signal stops both servers.
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        shutdown_signal().await;
        let _ = stop_tx.send(true);
    });
    let stopped = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|s| *s).await;
    };
    let api = airm_server::serve(
        listener,
        AppState::new(store, key, config)
            .with_governance(options)
            .with_monitor(monitor),
        stopped(stop_rx.clone()),
    );
    match gateway {
        Some((gl, gw)) => {
            let (a, g) = tokio::join!(api, airm_gateway::serve(gl, gw, stopped(stop_rx)));
            a.context("server failed")?;
            g.context("gateway failed")?;
        }
        None => api.await.context("server failed")?,
    }
    p.note("Stopped.");
    Ok(0)
}

pub(crate) async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
