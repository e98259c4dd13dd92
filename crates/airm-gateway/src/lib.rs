//! airm-gateway: an OpenAI- and Anthropic-compatible reverse proxy that puts airm's runtime
//! guard in front of LLM providers without changing the application (point the client's
//! base URL at it). Clients authenticate with airm-issued virtual keys ([`keys`]); every
//! input text is checked with its source and blocked or redacted by policy; responses are
//! checked whole or, when streamed, incrementally with the guard's hold-back window
//! ([`sse`]); requests are routed to named upstreams with retries ([`upstream`]); every
//! request ends in metrics and one activity event ([`record`]).
//!
//! The crate holds no CLI and no store schema: `airm gateway` (crate `airm`) builds a
//! [`Gateway`] from `airm.toml` and calls [`serve`].

pub mod config;
pub mod error;
pub mod extraction;
pub mod incident;
pub mod keys;
pub mod limits;
pub mod metrics;
pub mod protocol;
pub mod proxy;
pub mod record;
pub mod sse;
pub mod upstream;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

pub use config::{GatewayConfig, OnGuardError, UpstreamConfig, UpstreamKind};
pub use error::{Dialect, GatewayError};
pub use incident::{rules, AlertNotifier};
pub use keys::{hash_key, new_key, KEY_PREFIX};
pub use limits::Counters;
pub use proxy::Gateway;

/// Serves `gateway` on `listener` until `shutdown` completes, then stops accepting and
/// drains in-flight requests and streams for up to `drain_secs` of the config.
pub async fn serve(
    listener: tokio::net::TcpListener,
    gateway: Arc<Gateway>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let drain = Duration::from_secs(gateway.cfg.drain_secs);
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = axum::serve(listener, gateway.router()).with_graceful_shutdown(async move {
        shutdown.await;
        let _ = tx.send(());
    });
    let deadline = async move {
        if rx.await.is_ok() {
            tokio::time::sleep(drain).await;
        } else {
            std::future::pending::<()>().await;
        }
    };
    tokio::select! {
        r = server => r,
        () = deadline => {
            tracing::warn!(secs = drain.as_secs(), "Gateway drain time over; closing remaining connections");
            Ok(())
        }
    }
}

/// The Redis URL for tests, if any (panics in CI when it is missing).
#[doc(hidden)]
pub fn test_redis_url() -> Option<String> {
    match std::env::var(airm_core::env::TEST_REDIS_URL) {
        Ok(u) if !u.is_empty() => Some(u),
        _ => {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI is set but {} is not: the Redis tests must not be skipped",
                airm_core::env::TEST_REDIS_URL
            );
            None
        }
    }
}
