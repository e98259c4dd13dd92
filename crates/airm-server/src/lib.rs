//! airm's HTTP server: the REST API under `/api/v1` (bearer tokens, roles, OpenAPI 3.1),
//! `/metrics` (Prometheus), `/healthz` (the one public endpoint) and the dashboard.
//!
//! [`app`] builds the whole router for a state so tests call it in-process; [`serve`]
//! binds it to a socket with graceful shutdown. The server holds no state of its own
//! beyond metrics: everything lives in the store, so several instances can share one
//! PostgreSQL database.

pub mod api;
pub mod auth;
pub mod dashboard;
pub mod error;
pub mod governance;
pub mod json;
pub mod metrics;
pub mod monitor;
pub mod state;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};

use airm_store::DynStore;

pub use auth::{hash_secret, new_token};
pub use error::{ApiError, ErrorBody};
pub use state::{AppState, RequestId, ServerConfig};

/// Email of the administrator created on first start.
pub const BOOTSTRAP_ADMIN: &str = "admin@airm.local";

impl AppState {
    /// State for a store; starts the activity-log writer (needs a Tokio runtime).
    pub fn new(
        store: DynStore,
        ledger_key: Arc<airm_ledger::SigningKey>,
        config: ServerConfig,
    ) -> Self {
        AppState {
            events: airm_store::EventLog::start(store.clone()),
            ledger_key,
            guard: Arc::new(default_guard()),
            store,
            metrics: Arc::new(metrics::Metrics::default()),
            templates: Arc::new(dashboard::templates()),
            config: Arc::new(config),
            governance: Arc::new(governance::PolicyOptions::default()),
            monitor: Arc::new(monitor::MonitorSettings::default()),
        }
    }

    /// Uses `settings` (from `[monitor]` in airm.toml) for ingestion and alerts.
    pub fn with_monitor(mut self, settings: monitor::MonitorSettings) -> Self {
        self.monitor = Arc::new(settings);
        self
    }
}

fn default_guard() -> airm_guard::Guard {
    match airm_guard::Guard::new(airm_guard::policy::Policy::default()) {
        Ok(g) => g,
        // The default policy and embedded model are tested; this cannot fail at run time
        // unless the binary is corrupt.
        Err(e) => panic!("built-in guard policy is invalid: {e}"),
    }
}

impl AppState {
    /// Uses these governance policy settings (from `[policy]` in airm.toml).
    pub fn with_governance(mut self, options: governance::PolicyOptions) -> Self {
        self.governance = Arc::new(options);
        self
    }

    /// Uses `guard` (e.g. built from `[guard]` in airm.toml) for guard checks.
    pub fn with_guard(mut self, guard: airm_guard::Guard) -> Self {
        self.guard = Arc::new(guard);
        self
    }
}

/// If the store has no users, creates the bootstrap administrator and returns its token
/// (to be shown once). Safe when several instances start together.
pub async fn bootstrap(store: &DynStore) -> airm_store::Result<Option<String>> {
    let (token, hash) = new_token();
    Ok(store
        .bootstrap_admin(BOOTSTRAP_ADMIN, &hash)
        .await?
        .map(|_| token))
}

/// The complete application.
pub fn app(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(api::metrics))
        .merge(api::router())
        .merge(dashboard::router())
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(json::MAX_BODY))
        .layer(middleware::from_fn_with_state(state.clone(), observe))
        .with_state(state)
}

/// Liveness and store reachability; public, reveals nothing else.
async fn healthz(State(state): State<AppState>) -> Response {
    match state.store.ping().await {
        Ok(()) => Json(serde_json::json!({"status": "ok", "store": state.store.backend()}))
            .into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "Health check: store unreachable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(serde_json::json!({"status": "unavailable"})),
            )
                .into_response()
        }
    }
}

async fn not_found(req: Request) -> Response {
    if req.uri().path().starts_with("/api/") {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no such endpoint: {}", req.uri().path()),
        )
        .into_response()
    } else {
        (StatusCode::NOT_FOUND, "not found").into_response()
    }
}

/// Per request: an id, metrics, security headers, and JSON bodies for errors that the
/// router produces without a handler (405, 413 on the API).
async fn observe(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().as_str().to_string();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string());
    let is_api = req.uri().path().starts_with("/api/");
    let request_id = auth::random_string(12);
    req.extensions_mut().insert(RequestId(request_id.clone()));
    let mut res = next.run(req).await;

    let empty_body = res.headers().get(header::CONTENT_TYPE).is_none();
    if is_api && empty_body {
        match res.status() {
            StatusCode::METHOD_NOT_ALLOWED => {
                res = ApiError::new(
                    StatusCode::METHOD_NOT_ALLOWED,
                    "method_not_allowed",
                    "this endpoint does not support that HTTP method",
                )
                .into_response();
            }
            StatusCode::PAYLOAD_TOO_LARGE => res = json::payload_too_large().into_response(),
            _ => {}
        }
    }
    let h = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        h.insert("x-request-id", v);
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    if is_api {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    let route = route.unwrap_or_else(|| "unmatched".to_string());
    state
        .metrics
        .observe(&method, &route, res.status().as_u16(), start.elapsed());
    res
}

/// Serves `app(state)` on `listener` until `shutdown` resolves, then drains in-flight
/// requests. Signs an activity-log checkpoint every `checkpoint_interval_secs` while the
/// log grows, and once more on shutdown. Evaluates monitoring alert rules every
/// `monitor.evaluate_interval_secs` (when there are rules).
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let interval = state.config.checkpoint_interval_secs;
    let ticker = (interval > 0).then(|| {
        let (store, key) = (state.store.clone(), state.ledger_key.clone());
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(interval));
            tick.tick().await;
            loop {
                tick.tick().await;
                if let Err(e) = airm_store::audit::checkpoint_now(&store, &key).await {
                    tracing::warn!(error = %e, "Periodic activity-log checkpoint failed");
                }
            }
        })
    });
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let evaluator = monitor::spawn_evaluator(state.store.clone(), state.monitor.clone(), stop_rx);
    let (store, key) = (state.store.clone(), state.ledger_key.clone());
    let app = app(state).into_make_service_with_connect_info::<SocketAddr>();
    let result = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await;
    if let Some(t) = ticker {
        t.abort();
    }
    // Let a running alert evaluation finish (its deliveries are bounded), then stop.
    let _ = stop_tx.send(true);
    if let Some(e) = evaluator {
        let _ = e.await;
    }
    if let Err(e) = airm_store::audit::checkpoint_now(&store, &key).await {
        tracing::warn!(error = %e, "Final activity-log checkpoint failed");
    }
    result
}

/// A request body type re-exported for tests.
pub type BodyType = Body;
