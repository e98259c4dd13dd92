//! The dashboard: server-rendered pages (minijinja, templates and CSS embedded in the
//! binary, no JavaScript, no CDN). Login with an API token starts a cookie session
//! (`HttpOnly`, `SameSite=Strict`); every form carries a CSRF token checked on POST.
//! Pages read through the same [`airm_store::Store`] as the API; they never write
//! inventory data. The one decision taken here is a committee member's vote, through the
//! same governance operation as the API.

use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::{Deserialize, Serialize};

use airm_core::{
    ActorKind, AssetKind, Exposure, FindingStatus, LifecycleStage, Outcome, Person, Severity,
    Timestamp,
};
use airm_store::{AssetFilter, FindingFilter, NewEvent, Page, Paged, SystemFilter};

mod monitoring;
pub mod svg;

use crate::auth::{constant_time_eq, hash_secret, random_string, TOKEN_PREFIX};
use crate::state::AppState;

const SESSION_COOKIE: &str = "airm_session";
const LOGIN_CSRF_COOKIE: &str = "airm_login_csrf";

/// Builds the template environment with every template embedded.
pub fn templates() -> minijinja::Environment<'static> {
    let mut env = minijinja::Environment::new();
    env.add_filter("truncate", truncate);
    for (name, src) in [
        ("base.html", include_str!("../../templates/base.html")),
        ("macros.html", include_str!("../../templates/macros.html")),
        ("login.html", include_str!("../../templates/login.html")),
        (
            "overview.html",
            include_str!("../../templates/overview.html"),
        ),
        ("systems.html", include_str!("../../templates/systems.html")),
        ("system.html", include_str!("../../templates/system.html")),
        (
            "findings.html",
            include_str!("../../templates/findings.html"),
        ),
        ("error.html", include_str!("../../templates/error.html")),
        ("audit.html", include_str!("../../templates/audit.html")),
        (
            "inventory.html",
            include_str!("../../templates/inventory.html"),
        ),
        ("asset.html", include_str!("../../templates/asset.html")),
        (
            "governance.html",
            include_str!("../../templates/governance.html"),
        ),
        (
            "monitoring.html",
            include_str!("../../templates/monitoring.html"),
        ),
        (
            "monitor_model.html",
            include_str!("../../templates/monitor_model.html"),
        ),
    ] {
        // Templates are compiled into the binary and covered by tests; a syntax error
        // there is a build defect, reported at first render.
        if let Err(e) = env.add_template(name, src) {
            tracing::error!(template = name, error = %e, "Invalid embedded template");
        }
    }
    env
}

/// Shortens text to `n` characters, ending in `…` when cut.
fn truncate(s: String, n: Option<usize>) -> String {
    let n = n.unwrap_or(80);
    if s.chars().count() <= n {
        s
    } else {
        let mut out: String = s.chars().take(n.saturating_sub(1)).collect();
        out.push('…');
        out
    }
}

/// Dashboard routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(overview))
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
        .route("/systems", get(systems))
        .route("/systems/{id}", get(system_detail))
        .route("/findings", get(findings))
        .route("/inventory", get(inventory_page))
        .route("/inventory/{id}", get(asset_detail))
        .route("/audit", get(audit_page))
        .route("/audit/verify", post(audit_verify))
        .route("/violations", get(violations_page))
        .route("/approvals", get(approvals_page))
        .route("/approvals/{id}/vote", post(vote_page))
        .route("/exceptions", get(exceptions_page))
        .route("/monitoring", get(monitoring::monitoring))
        .route("/monitoring/{model}", get(monitoring::monitor_model))
        .route("/static/app.css", get(stylesheet))
}

async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../static/app.css"),
    )
}

fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

fn set_cookie(state: &AppState, name: &str, value: &str, max_age_secs: i64) -> HeaderValue {
    let secure = if state.config.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    let v = format!(
        "{name}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age_secs}{secure}"
    );
    HeaderValue::from_str(&v).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// A logged-in dashboard user; pages that need one redirect to `/login` otherwise.
struct Session {
    user: Person,
    csrf: String,
    id_hash: String,
}

struct ToLogin;

impl IntoResponse for ToLogin {
    fn into_response(self) -> Response {
        Redirect::to("/login").into_response()
    }
}

impl FromRequestParts<AppState> for Session {
    type Rejection = ToLogin;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ToLogin> {
        let id = cookie(&parts.headers, SESSION_COOKIE).ok_or(ToLogin)?;
        let id_hash = hash_secret(&id);
        match state.store.get_session(&id_hash, Timestamp::now()).await {
            Ok(Some(s)) => Ok(Session {
                user: s.user,
                csrf: s.csrf,
                id_hash,
            }),
            Ok(None) => Err(ToLogin),
            Err(e) => {
                tracing::error!(error = %e, "Session lookup failed");
                Err(ToLogin)
            }
        }
    }
}

/// Renders a template or a plain 500 page.
fn render(state: &AppState, name: &str, ctx: minijinja::Value) -> Response {
    let result = state
        .templates
        .get_template(name)
        .and_then(|t| t.render(ctx));
    match result {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(template = name, error = %e, "Template rendering failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
        }
    }
}

fn error_page(
    state: &AppState,
    session: &Session,
    status: StatusCode,
    title: &str,
    message: &str,
) -> Response {
    let mut res = render(
        state,
        "error.html",
        minijinja::context! { user => &session.user, csrf => &session.csrf, title, message },
    );
    *res.status_mut() = status;
    res
}

/// The page shown when the store does not answer.
fn unavailable(state: &AppState, session: &Session) -> Response {
    error_page(
        state,
        session,
        StatusCode::SERVICE_UNAVAILABLE,
        "Store unavailable",
        "The database did not answer; try again.",
    )
}

#[derive(Serialize)]
struct PageView<T: Serialize> {
    items: Vec<T>,
    total: u64,
    offset: u64,
    limit: u32,
    from: u64,
    to: u64,
}

fn page_view<T: Serialize>(p: Paged<T>, page: Page) -> PageView<T> {
    let n = p.items.len() as u64;
    PageView {
        from: if n == 0 { 0 } else { page.offset + 1 },
        to: page.offset + n,
        items: p.items,
        total: p.total,
        offset: page.offset,
        limit: page.limit,
    }
}

/// Empty form fields (`?exposure=`) mean "any".
fn nonempty(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn parse_opt<T: std::str::FromStr>(s: &Option<String>) -> Result<Option<T>, String>
where
    T::Err: std::fmt::Display,
{
    nonempty(s)
        .map(|v| v.parse::<T>().map_err(|e| e.to_string()))
        .transpose()
}

#[derive(Deserialize)]
struct LoginForm {
    token: String,
    csrf: String,
}

#[derive(Deserialize)]
struct CsrfForm {
    csrf: String,
}

async fn login_page(State(state): State<AppState>) -> Response {
    login_form(&state, None, StatusCode::OK)
}

fn login_form(state: &AppState, error: Option<&str>, status: StatusCode) -> Response {
    let csrf = random_string(24);
    let mut res = render(
        state,
        "login.html",
        minijinja::context! { csrf => &csrf, error },
    );
    *res.status_mut() = status;
    res.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(state, LOGIN_CSRF_COOKIE, &csrf, 3600),
    );
    res
}

async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    let expected = cookie(&headers, LOGIN_CSRF_COOKIE).unwrap_or_default();
    if expected.is_empty() || !constant_time_eq(&expected, &form.csrf) {
        return login_form(
            &state,
            Some("Your login form expired. Please try again."),
            StatusCode::FORBIDDEN,
        );
    }
    let token = form.token.trim();
    let principal = if token.starts_with(TOKEN_PREFIX) && token.len() <= 128 {
        match state
            .store
            .authenticate_token(&hash_secret(token), Timestamp::now())
            .await
        {
            Ok(p) => p,
            Err(e) => {
                tracing::error!(error = %e, "Token lookup failed");
                None
            }
        }
    } else {
        None
    };
    let Some(principal) = principal else {
        record_login(&state, ActorKind::Anonymous, "unknown", Outcome::Denied).await;
        return login_form(
            &state,
            Some("That token is not valid, expired or revoked."),
            StatusCode::UNAUTHORIZED,
        );
    };
    let session_id = random_string(32);
    let csrf = random_string(24);
    let hours = state.config.session_hours.max(1);
    let expires = Timestamp(Timestamp::now().millis() + hours * 3_600_000);
    if let Err(e) = state
        .store
        .create_session(
            &hash_secret(&session_id),
            &principal.user.id,
            &csrf,
            expires,
        )
        .await
    {
        tracing::error!(error = %e, "Could not create session");
        return login_form(
            &state,
            Some("The server could not start a session; try again."),
            StatusCode::SERVICE_UNAVAILABLE,
        );
    }
    record_login(
        &state,
        ActorKind::User,
        &principal.user.email,
        Outcome::Success,
    )
    .await;
    let mut res = Redirect::to("/").into_response();
    let h = res.headers_mut();
    h.append(
        header::SET_COOKIE,
        set_cookie(&state, SESSION_COOKIE, &session_id, hours * 3600),
    );
    h.append(
        header::SET_COOKIE,
        set_cookie(&state, LOGIN_CSRF_COOKIE, "", 0),
    );
    res
}

async fn record_login(state: &AppState, kind: ActorKind, who: &str, outcome: Outcome) {
    let event = NewEvent {
        time: Timestamp::now(),
        actor_kind: kind,
        actor_id: who.to_string(),
        action: "auth.login".to_string(),
        target: None,
        outcome,
        details: serde_json::json!({"via": "dashboard"}),
        request_id: None,
    };
    if let Err(e) = state.events.append(event).await {
        tracing::error!(error = %e, "Failed to record login event");
    }
}

async fn logout(
    State(state): State<AppState>,
    session: Session,
    Form(form): Form<CsrfForm>,
) -> Response {
    if !constant_time_eq(&session.csrf, &form.csrf) {
        return error_page(
            &state,
            &session,
            StatusCode::FORBIDDEN,
            "Request refused",
            "The form's CSRF token did not match your session.",
        );
    }
    if let Err(e) = state.store.delete_session(&session.id_hash).await {
        tracing::error!(error = %e, "Could not delete session");
    }
    let mut res = Redirect::to("/login").into_response();
    res.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(&state, SESSION_COOKIE, "", 0),
    );
    res
}

async fn overview(State(state): State<AppState>, session: Session) -> Response {
    let counts = state.store.counts().await;
    let systems = state
        .store
        .list_systems(
            &SystemFilter {
                min_importance: Some(1),
                ..Default::default()
            },
            Page::new(500, 0),
        )
        .await;
    let findings = state
        .store
        .list_findings(
            &FindingFilter {
                min_severity: Some(Severity::High),
                status: Some(FindingStatus::Open),
                ..Default::default()
            },
            Page::new(10, 0),
        )
        .await;
    let (Ok(counts), Ok(systems), Ok(findings)) = (counts, systems, findings) else {
        return unavailable(&state, &session);
    };
    let mut top = systems.items;
    top.sort_by(|a, b| {
        b.importance
            .cmp(&a.importance)
            .then_with(|| a.name.cmp(&b.name))
    });
    top.truncate(8);
    let open: std::collections::BTreeMap<&str, u64> = Severity::ALL
        .iter()
        .map(|s| {
            (
                s.as_str(),
                counts
                    .open_by_severity
                    .get(s.rank() as usize)
                    .copied()
                    .unwrap_or(0),
            )
        })
        .collect();
    render(
        &state,
        "overview.html",
        minijinja::context! {
            user => &session.user, csrf => &session.csrf, section => "overview",
            counts => counts, open => open, systems => top, findings => findings.items,
        },
    )
}

#[derive(Deserialize)]
struct SystemsQuery {
    q: Option<String>,
    exposure: Option<String>,
    lifecycle: Option<String>,
    offset: Option<u64>,
}

async fn systems(
    State(state): State<AppState>,
    session: Session,
    axum::extract::Query(q): axum::extract::Query<SystemsQuery>,
) -> Response {
    let (exposure, lifecycle) = match (
        parse_opt::<Exposure>(&q.exposure),
        parse_opt::<LifecycleStage>(&q.lifecycle),
    ) {
        (Ok(e), Ok(l)) => (e, l),
        (Err(m), _) | (_, Err(m)) => {
            return error_page(&state, &session, StatusCode::BAD_REQUEST, "Bad filter", &m)
        }
    };
    let page = Page::new(50, q.offset.unwrap_or(0));
    let filter = SystemFilter {
        query: nonempty(&q.q).map(str::to_string),
        exposure,
        lifecycle,
        ..Default::default()
    };
    let Ok(list) = state.store.list_systems(&filter, page).await else {
        return unavailable(&state, &session);
    };
    let base = format!(
        "/systems?q={}&exposure={}&lifecycle={}&",
        urlencode(nonempty(&q.q).unwrap_or("")),
        exposure.map(|e| e.as_str()).unwrap_or(""),
        lifecycle.map(|l| l.as_str()).unwrap_or("")
    );
    render(
        &state,
        "systems.html",
        minijinja::context! {
            user => &session.user, csrf => &session.csrf, section => "systems",
            page => page_view(list, page), q => nonempty(&q.q), base => base,
            exposure => exposure, lifecycle => lifecycle,
            exposures => Exposure::ALL, lifecycles => LifecycleStage::ALL,
        },
    )
}

async fn system_detail(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
) -> Response {
    let sys = match state.store.get_system(&id).await {
        Ok(Some(s)) => s,
        Ok(None) => {
            return error_page(
                &state,
                &session,
                StatusCode::NOT_FOUND,
                "Not found",
                "There is no AI system with that id or name.",
            )
        }
        Err(_) => return unavailable(&state, &session),
    };
    let assets = state
        .store
        .list_assets(
            &AssetFilter {
                system: Some(sys.id.clone()),
                ..Default::default()
            },
            Page::new(100, 0),
        )
        .await;
    let findings = state
        .store
        .list_findings(
            &FindingFilter {
                system: Some(sys.id.clone()),
                ..Default::default()
            },
            Page::new(100, 0),
        )
        .await;
    let (Ok(assets), Ok(findings)) = (assets, findings) else {
        return unavailable(&state, &session);
    };
    render(
        &state,
        "system.html",
        minijinja::context! {
            user => &session.user, csrf => &session.csrf, section => "systems",
            system => sys, assets => assets, findings => findings,
        },
    )
}

#[derive(Deserialize)]
struct InventoryQuery {
    q: Option<String>,
    kind: Option<String>,
    system: Option<String>,
    sort: Option<String>,
    offset: Option<u64>,
}

const INVENTORY_SORTS: &[&str] = &["priority", "risk", "name", "kind"];

async fn inventory_page(
    State(state): State<AppState>,
    session: Session,
    axum::extract::Query(q): axum::extract::Query<InventoryQuery>,
) -> Response {
    let kind = match parse_opt::<AssetKind>(&q.kind) {
        Ok(k) => k,
        Err(m) => return error_page(&state, &session, StatusCode::BAD_REQUEST, "Bad filter", &m),
    };
    let sort = nonempty(&q.sort).unwrap_or("priority");
    if !INVENTORY_SORTS.contains(&sort) {
        return error_page(
            &state,
            &session,
            StatusCode::BAD_REQUEST,
            "Bad filter",
            "sort must be priority, risk, name or kind",
        );
    }
    let filter = AssetFilter {
        kind,
        system: nonempty(&q.system).map(str::to_string),
        query: nonempty(&q.q).map(str::to_string),
    };
    let (Ok(mut items), Ok(systems)) = (
        airm_store::inventory::inventory(state.store.as_ref(), &filter).await,
        state
            .store
            .list_systems(&SystemFilter::default(), Page::new(Page::MAX_LIMIT, 0))
            .await,
    ) else {
        return unavailable(&state, &session);
    };
    match sort {
        "risk" => items.sort_by(|a, b| {
            b.risk
                .score
                .cmp(&a.risk.score)
                .then(a.asset.name.cmp(&b.asset.name))
        }),
        "name" => items.sort_by(|a, b| a.asset.name.cmp(&b.asset.name)),
        "kind" => items
            .sort_by(|a, b| (a.asset.kind, b.risk.priority).cmp(&(b.asset.kind, a.risk.priority))),
        _ => {}
    }
    let page = Page::new(50, q.offset.unwrap_or(0));
    let total = items.len() as u64;
    let shown: Vec<_> = items
        .into_iter()
        .skip(usize::try_from(page.offset).unwrap_or(usize::MAX))
        .take(page.limit as usize)
        .collect();
    let base = format!(
        "/inventory?q={}&kind={}&system={}&sort={sort}&",
        urlencode(nonempty(&q.q).unwrap_or("")),
        kind.map(|k| k.as_str()).unwrap_or(""),
        urlencode(nonempty(&q.system).unwrap_or("")),
    );
    render(
        &state,
        "inventory.html",
        minijinja::context! {
            user => &session.user, csrf => &session.csrf, section => "inventory",
            page => page_view(Paged { items: shown, total }, page), q => nonempty(&q.q),
            kind => kind, kinds => AssetKind::ALL, system => nonempty(&q.system),
            systems => systems.items, sort => sort, sorts => INVENTORY_SORTS, base => base,
        },
    )
}

async fn asset_detail(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
) -> Response {
    let asset = match state.store.get_asset(&id).await {
        Ok(Some(a)) => a,
        Ok(None) => {
            return error_page(
                &state,
                &session,
                StatusCode::NOT_FOUND,
                "Not found",
                "There is no asset with that id.",
            )
        }
        Err(_) => return unavailable(&state, &session),
    };
    let Ok(item) =
        airm_store::inventory::assess(state.store.as_ref(), asset, &mut Default::default()).await
    else {
        return unavailable(&state, &session);
    };
    let input = airm_scan::bom::input_of(&item.asset, &item.facts);
    let bom = airm_scan::bom::cyclonedx(
        std::slice::from_ref(&input),
        &airm_scan::bom::BomOptions {
            root_name: item.asset.name.clone(),
            root_kind: "asset",
            timestamp: airm_core::Timestamp::now().to_string(),
            serial: None,
            spec: airm_scan::bom::SpecVersion::V1_6,
            tool_version: env!("CARGO_PKG_VERSION").to_string(),
        },
    );
    let excerpt = bom
        .get("components")
        .and_then(|c| c.get(0))
        .or_else(|| bom.get("services").and_then(|c| c.get(0)))
        .map(|c| serde_json::to_string_pretty(c).unwrap_or_default())
        .unwrap_or_else(|| "(not part of a BOM)".into());
    let facts: Vec<(String, String)> = item
        .facts
        .as_object()
        .map(|o| {
            o.iter()
                .map(|(k, v)| {
                    let text = match v {
                        serde_json::Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    (k.clone(), text)
                })
                .collect()
        })
        .unwrap_or_default();
    render(
        &state,
        "asset.html",
        minijinja::context! {
            user => &session.user, csrf => &session.csrf, section => "inventory",
            item => &item, facts => facts, bom => excerpt,
        },
    )
}

#[derive(Deserialize)]
struct FindingsQuery {
    min_severity: Option<String>,
    status: Option<String>,
    rule_id: Option<String>,
    system: Option<String>,
    offset: Option<u64>,
}

async fn findings(
    State(state): State<AppState>,
    session: Session,
    axum::extract::Query(q): axum::extract::Query<FindingsQuery>,
) -> Response {
    let (min_severity, status) = match (
        parse_opt::<Severity>(&q.min_severity),
        parse_opt::<FindingStatus>(&q.status),
    ) {
        (Ok(s), Ok(st)) => (s, st),
        (Err(m), _) | (_, Err(m)) => {
            return error_page(&state, &session, StatusCode::BAD_REQUEST, "Bad filter", &m)
        }
    };
    let page = Page::new(50, q.offset.unwrap_or(0));
    let filter = FindingFilter {
        min_severity,
        status,
        rule_id: nonempty(&q.rule_id).map(str::to_string),
        system: nonempty(&q.system).map(str::to_string),
        ..Default::default()
    };
    let Ok(list) = state.store.list_findings(&filter, page).await else {
        return unavailable(&state, &session);
    };
    let base = format!(
        "/findings?min_severity={}&status={}&rule_id={}&system={}&",
        min_severity.map(|s| s.as_str()).unwrap_or(""),
        status.map(|s| s.as_str()).unwrap_or(""),
        urlencode(nonempty(&q.rule_id).unwrap_or("")),
        urlencode(nonempty(&q.system).unwrap_or("")),
    );
    render(
        &state,
        "findings.html",
        minijinja::context! {
            user => &session.user, csrf => &session.csrf, section => "findings",
            page => page_view(list, page), base => base,
            min_severity => min_severity, status => status,
            rule_id => nonempty(&q.rule_id), system => nonempty(&q.system),
            severities => Severity::ALL.iter().rev().collect::<Vec<_>>(), statuses => FindingStatus::ALL,
        },
    )
}

fn urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[derive(Deserialize, Serialize, Default)]
struct AuditQuery {
    actor: Option<String>,
    action: Option<String>,
    target: Option<String>,
    since: Option<String>,
    until: Option<String>,
    offset: Option<u64>,
}

async fn audit_page(
    State(state): State<AppState>,
    session: Session,
    axum::extract::Query(q): axum::extract::Query<AuditQuery>,
) -> Response {
    render_audit(&state, &session, q, None).await
}

async fn audit_verify(
    State(state): State<AppState>,
    session: Session,
    Form(form): Form<CsrfForm>,
) -> Response {
    if !constant_time_eq(&session.csrf, &form.csrf) {
        return error_page(
            &state,
            &session,
            StatusCode::FORBIDDEN,
            "Request refused",
            "The form's CSRF token did not match your session.",
        );
    }
    if !session.user.role.can_audit() {
        return error_page(
            &state,
            &session,
            StatusCode::FORBIDDEN,
            "Not allowed",
            "Only administrators and auditors may read the activity log.",
        );
    }
    let result = crate::api::audit::verify_view(&state).await;
    let event = NewEvent {
        time: Timestamp::now(),
        actor_kind: ActorKind::User,
        actor_id: session.user.email.clone(),
        action: "audit.verify".to_string(),
        target: None,
        outcome: Outcome::Success,
        details: serde_json::json!({"ok": result.as_ref().map(|v| v.ok).unwrap_or(false), "via": "dashboard"}),
        request_id: None,
    };
    if let Err(e) = state.events.append(event).await {
        tracing::error!(error = %e, "Failed to record verification");
    }
    match result {
        Ok(v) => render_audit(&state, &session, AuditQuery::default(), Some(v)).await,
        Err(_) => unavailable(&state, &session),
    }
}

async fn render_audit(
    state: &AppState,
    session: &Session,
    q: AuditQuery,
    verify: Option<crate::api::audit::VerifyView>,
) -> Response {
    if !session.user.role.can_audit() {
        return error_page(
            state,
            session,
            StatusCode::FORBIDDEN,
            "Not allowed",
            "Only administrators and auditors may read the activity log.",
        );
    }
    let (since, until) = match (
        parse_opt::<Timestamp>(&q.since),
        parse_opt::<Timestamp>(&q.until),
    ) {
        (Ok(s), Ok(u)) => (s, u),
        (Err(m), _) | (_, Err(m)) => {
            return error_page(state, session, StatusCode::BAD_REQUEST, "Bad filter", &m)
        }
    };
    let filter = airm_store::EventFilter {
        actor: nonempty(&q.actor).map(str::to_string),
        action: nonempty(&q.action).map(str::to_string),
        target: nonempty(&q.target).map(str::to_string),
        since,
        until,
    };
    let page = Page::new(100, q.offset.unwrap_or(0));
    let (list, head, cps) = (
        state.store.list_events(&filter, page).await,
        state.store.ledger_state().await,
        state.store.checkpoints().await,
    );
    let (Ok(list), Ok(head), Ok(cps)) = (list, head, cps) else {
        return unavailable(state, session);
    };
    let base = format!(
        "/audit?actor={}&action={}&target={}&since={}&until={}&",
        urlencode(nonempty(&q.actor).unwrap_or("")),
        urlencode(nonempty(&q.action).unwrap_or("")),
        urlencode(nonempty(&q.target).unwrap_or("")),
        urlencode(nonempty(&q.since).unwrap_or("")),
        urlencode(nonempty(&q.until).unwrap_or("")),
    );
    let pk = state.ledger_key.public_key();
    let checkpoint = cps
        .last()
        .map(|c| crate::api::audit::CheckpointView::from(c.clone()));
    render(
        state,
        "audit.html",
        minijinja::context! {
            user => &session.user, csrf => &session.csrf, section => "audit",
            page => page_view(list, page), base => base, f => &q,
            log_size => head.size, checkpoint => checkpoint, verify => verify,
            public_key => pk.to_string(), key_id => pk.key_id(),
        },
    )
}

// --- governance pages: violations, approvals waiting for me, exceptions near expiry ---

/// Days ahead the "exceptions near expiry" page looks.
const EXPIRY_WINDOW_DAYS: i64 = 30;

async fn waiting_for(
    state: &AppState,
    user: &Person,
) -> airm_store::Result<Vec<airm_core::Approval>> {
    let filter = airm_store::ApprovalFilter {
        status: Some(airm_core::ApprovalStatus::Pending),
        committee: None,
        member: Some(user.email.clone()),
    };
    let list = state
        .store
        .list_approvals(&filter, Page::new(500, 0))
        .await?;
    Ok(list
        .items
        .into_iter()
        .filter(|a| {
            !a.votes
                .iter()
                .any(|v| v.voter.eq_ignore_ascii_case(&user.email))
        })
        .collect())
}

async fn violations_page(State(state): State<AppState>, session: Session) -> Response {
    let ev = match crate::governance::evaluate(&state.store, &state.governance, false).await {
        Ok(ev) => ev,
        Err(crate::governance::GovernanceError::Store(_)) => return unavailable(&state, &session),
        Err(e) => {
            return error_page(
                &state,
                &session,
                StatusCode::INTERNAL_SERVER_ERROR,
                "Policies could not be evaluated",
                &e.to_string(),
            )
        }
    };
    let waiting = waiting_for(&state, &session.user)
        .await
        .ok()
        .map(|w| w.len());
    let active: Vec<&airm_govern::Violation> = ev.evaluation.active().collect();
    render(
        &state,
        "governance.html",
        minijinja::context! {
            user => &session.user, csrf => &session.csrf, section => "governance",
            view => "violations", title => "Violations", waiting => waiting,
            evaluated_at => ev.now, policies => &ev.evaluation.policies,
            suppressed => ev.evaluation.violations.len() - active.len(),
            violations => active,
            errors => ev.evaluation.errors.iter().map(ToString::to_string).collect::<Vec<_>>(),
        },
    )
}

async fn render_approvals(state: &AppState, session: &Session, notice: Option<String>) -> Response {
    let Ok(list) = waiting_for(state, &session.user).await else {
        return unavailable(state, session);
    };
    let rows: Vec<minijinja::Value> = list
        .iter()
        .map(|a| {
            let (yes, no) = airm_govern::approvals::tally(a);
            minijinja::context! {
                id => &a.id, subject => &a.subject, action => &a.action, committee => &a.committee,
                reason => &a.reason, requested_by => &a.requested_by, created_at => a.created_at,
                quorum => a.quorum, yes => yes, no => no,
            }
        })
        .collect();
    render(
        state,
        "governance.html",
        minijinja::context! {
            user => &session.user, csrf => &session.csrf, section => "governance",
            view => "approvals", title => "Approvals waiting for me", waiting => rows.len(),
            approvals => rows, notice => notice,
        },
    )
}

async fn approvals_page(State(state): State<AppState>, session: Session) -> Response {
    render_approvals(&state, &session, None).await
}

#[derive(Deserialize)]
struct VoteForm {
    csrf: String,
    choice: String,
    comment: Option<String>,
}

async fn vote_page(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
    Form(form): Form<VoteForm>,
) -> Response {
    if !constant_time_eq(&session.csrf, &form.csrf) {
        return error_page(
            &state,
            &session,
            StatusCode::FORBIDDEN,
            "Request refused",
            "The form's CSRF token did not match your session.",
        );
    }
    let Ok(choice) = form.choice.parse::<airm_core::VoteChoice>() else {
        return error_page(
            &state,
            &session,
            StatusCode::BAD_REQUEST,
            "Bad vote",
            "Choose approve or reject.",
        );
    };
    let comment = form.comment.filter(|c| !c.trim().is_empty());
    let actor = airm_core::Actor {
        kind: ActorKind::User,
        id: session.user.email.clone(),
    };
    match crate::governance::vote(
        &state.store,
        &actor,
        &id,
        &session.user.email,
        choice,
        comment,
    )
    .await
    {
        Ok(a) => {
            let notice = format!("Your vote is recorded; the request is {}.", a.status);
            render_approvals(&state, &session, Some(notice)).await
        }
        Err(e) => {
            let api = crate::error::ApiError::from(e);
            error_page(&state, &session, api.status, "Vote refused", &api.message)
        }
    }
}

async fn exceptions_page(State(state): State<AppState>, session: Session) -> Response {
    let now = Timestamp::now();
    let filter = airm_store::ExceptionFilter {
        active_at: Some(now),
        expiring_before: Some(now.plus_days(EXPIRY_WINDOW_DAYS)),
        policy: None,
    };
    let Ok(list) = state.store.list_exceptions(&filter).await else {
        return unavailable(&state, &session);
    };
    let waiting = waiting_for(&state, &session.user)
        .await
        .ok()
        .map(|w| w.len());
    render(
        &state,
        "governance.html",
        minijinja::context! {
            user => &session.user, csrf => &session.csrf, section => "governance",
            view => "exceptions", title => "Exceptions near expiry", waiting => waiting,
            exceptions => list, days => EXPIRY_WINDOW_DAYS,
        },
    )
}
