//! Where alerts go: webhooks (airm's JSON, or a Slack-compatible `{"text": …}` payload),
//! signed and retried, and email over SMTP (cargo feature `smtp`, see [`super::email`]).
//!
//! Every delivery carries `X-Airm-Timestamp: <unix seconds>` and, when the sink has a
//! secret, `X-Airm-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>">`, so a
//! receiver can authenticate the sender and refuse replays. Network errors, `429` and
//! `5xx` answers are retried with exponential backoff and jitter, a bounded number of
//! times; other `4xx` answers are not. Secrets come from an environment variable or a
//! file, are held in [`Secret`] (whose `Debug` prints nothing) and are never logged.

use std::time::Duration;

use hmac::{Hmac, Mac};
use rand::Rng;
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use airm_core::{Severity, Timestamp};
use airm_store::monitor::Alert;

/// Payload shape of a sink.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SinkKind {
    /// `{"event", "alert", "sent_at"}` JSON.
    #[default]
    Webhook,
    /// Slack incoming-webhook payload `{"text": …}` (also accepted by Mattermost, Teams
    /// workflows and others).
    Slack,
    /// Plain-text email over SMTP (`[monitor.sinks.email]`); needs the `smtp` feature.
    Email,
}

/// TLS of an email sink.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EmailTls {
    /// STARTTLS, required (default port 587).
    #[default]
    Starttls,
    /// Implicit TLS (default port 465).
    Tls,
    /// No TLS: only to a relay on localhost (default port 25).
    None,
}

/// The `email` table of an email sink.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailConfig {
    /// SMTP server host name.
    pub server: String,
    /// Port (default by `tls`: 587, 465 or 25).
    #[serde(default)]
    pub port: Option<u16>,
    /// `starttls` (default), `tls` or `none`.
    #[serde(default)]
    pub tls: EmailTls,
    /// Sender, `Name <address>` or `address`.
    pub from: String,
    /// Recipients.
    pub to: Vec<String>,
    /// Environment variable holding the SMTP user name …
    #[serde(default)]
    pub username_env: Option<String>,
    /// … or the user name itself (not a secret).
    #[serde(default)]
    pub username: Option<String>,
    /// Environment variable holding the SMTP password …
    #[serde(default)]
    pub password_env: Option<String>,
    /// … or a file holding it (trailing whitespace ignored).
    #[serde(default)]
    pub password_file: Option<std::path::PathBuf>,
}

/// One `[[monitor.sinks]]` entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SinkConfig {
    /// Name (in logs and delivery reports).
    pub name: String,
    /// `webhook` (default) or `slack`.
    #[serde(default)]
    pub kind: SinkKind,
    /// `https://…` (or `http://` for receivers on the same host); not used by email sinks.
    #[serde(default)]
    pub url: String,
    /// Environment variable holding the HMAC secret.
    #[serde(default)]
    pub secret_env: Option<String>,
    /// File holding the HMAC secret (trailing whitespace ignored).
    #[serde(default)]
    pub secret_file: Option<std::path::PathBuf>,
    /// Only alerts at or above this severity (default `info`: all).
    #[serde(default)]
    pub min_severity: Option<Severity>,
    /// Attempts per delivery, 1–10 (default 4).
    #[serde(default)]
    pub max_attempts: Option<u32>,
    /// Seconds per attempt, 1–60 (default 5).
    #[serde(default)]
    pub timeout_secs: Option<u64>,
    /// SMTP settings of an `email` sink.
    #[serde(default)]
    pub email: Option<EmailConfig>,
}

/// A secret that never prints.
#[derive(Clone, Default)]
pub struct Secret(Vec<u8>);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl Secret {
    /// Wraps secret bytes.
    pub fn new(bytes: impl Into<Vec<u8>>) -> Self {
        Secret(bytes.into())
    }
}

/// A sink ready to deliver.
#[derive(Debug, Clone)]
pub struct Sink {
    /// Its configuration.
    pub config: SinkConfig,
    secret: Option<Secret>,
    client: reqwest::Client,
    #[cfg(feature = "smtp")]
    mailer: Option<super::email::Mailer>,
    /// Base of the exponential backoff (tests shorten it).
    pub backoff_base: Duration,
}

/// The outcome of delivering one notification to one sink.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Delivery {
    /// Sink name.
    pub sink: String,
    /// Alert id (for escalations: the violation's fingerprint).
    pub alert_id: String,
    /// `alert.opened`, `alert.resolved` or `governance.escalation`.
    pub event: String,
    /// Delivered (2xx).
    pub ok: bool,
    /// Attempts made.
    pub attempts: u32,
    /// Last error, if not delivered.
    pub error: Option<String>,
}

/// Reads a secret from an environment variable or a file (one of them).
fn read_secret(
    name: &str,
    what: &str,
    env: Option<&String>,
    file: Option<&std::path::PathBuf>,
) -> Result<Option<Secret>, String> {
    let secret = match (env, file) {
        (Some(_), Some(_)) => {
            return Err(format!(
                "sink `{name}`: set {what}_env or {what}_file, not both"
            ))
        }
        (Some(var), None) => {
            Some(Secret::new(std::env::var(var).map_err(|_| {
                format!("sink `{name}`: environment variable {var} is not set")
            })?))
        }
        (None, Some(path)) => Some(Secret::new(
            std::fs::read_to_string(path)
                .map_err(|e| {
                    format!(
                        "sink `{name}`: cannot read {what} file {}: {e}",
                        path.display()
                    )
                })?
                .trim_end()
                .as_bytes()
                .to_vec(),
        )),
        (None, None) => None,
    };
    if secret.as_ref().is_some_and(|s| s.0.is_empty()) {
        return Err(format!("sink `{name}`: the {what} is empty"));
    }
    Ok(secret)
}

/// HMAC-SHA256 of `"<timestamp>.<body>"` under `secret`, as `sha256=<hex>`.
pub fn signature(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    // HMAC accepts keys of any length; `new_from_slice` cannot fail for it.
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret) {
        Ok(m) => m,
        Err(_) => return String::new(),
    };
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Checks a signature header against a body (for receivers and tests), in constant time.
pub fn verify(secret: &[u8], timestamp: i64, body: &[u8], header: &str) -> bool {
    let Some(hex_sig) = header.strip_prefix("sha256=") else {
        return false;
    };
    let Ok(sig) = hex::decode(hex_sig) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret) else {
        return false;
    };
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.verify_slice(&sig).is_ok()
}

impl Sink {
    /// Builds a sink: reads its secret and checks its URL and bounds.
    pub fn build(config: SinkConfig) -> Result<Sink, String> {
        let name = &config.name;
        if config.kind != SinkKind::Email {
            let url = reqwest::Url::parse(&config.url)
                .map_err(|e| format!("sink `{name}`: invalid url: {e}"))?;
            if !matches!(url.scheme(), "https" | "http") {
                return Err(format!("sink `{name}`: url must be http:// or https://"));
            }
        }
        if (config.kind == SinkKind::Email) != config.email.is_some() {
            return Err(format!(
                "sink `{name}`: an [email] table goes with kind = \"email\", and only with it"
            ));
        }
        let secret = read_secret(
            name,
            "secret",
            config.secret_env.as_ref(),
            config.secret_file.as_ref(),
        )?;
        if !(1..=10).contains(&config.max_attempts.unwrap_or(4)) {
            return Err(format!("sink `{name}`: max_attempts must be 1–10"));
        }
        let timeout = config.timeout_secs.unwrap_or(5);
        if !(1..=60).contains(&timeout) {
            return Err(format!("sink `{name}`: timeout_secs must be 1–60"));
        }
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(timeout))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("airm/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("sink `{name}`: cannot build HTTP client: {e}"))?;
        #[cfg(feature = "smtp")]
        let mailer = match &config.email {
            Some(e) => {
                let username = match (&e.username_env, &e.username) {
                    (Some(_), Some(_)) => {
                        return Err(format!(
                            "sink `{name}`: set email.username_env or email.username, not both"
                        ))
                    }
                    (Some(var), None) => Some(std::env::var(var).map_err(|_| {
                        format!("sink `{name}`: environment variable {var} is not set")
                    })?),
                    (None, u) => u.clone(),
                };
                let password = read_secret(
                    name,
                    "email.password",
                    e.password_env.as_ref(),
                    e.password_file.as_ref(),
                )?
                .map(|p| String::from_utf8_lossy(&p.0).into_owned());
                Some(super::email::Mailer::build(
                    name,
                    e,
                    username,
                    password,
                    Duration::from_secs(timeout),
                )?)
            }
            None => None,
        };
        #[cfg(not(feature = "smtp"))]
        if config.email.is_some() {
            return Err(format!(
                "sink `{name}`: email sinks need airm built with the `smtp` feature \
                 (cargo build --features smtp)"
            ));
        }
        Ok(Sink {
            config,
            secret,
            client,
            #[cfg(feature = "smtp")]
            mailer,
            backoff_base: Duration::from_millis(250),
        })
    }

    /// Whether this sink wants alerts of `severity`.
    pub fn wants(&self, severity: Severity) -> bool {
        severity >= self.config.min_severity.unwrap_or(Severity::Info)
    }

    fn body(&self, event: &str, alert: &Alert, now: Timestamp) -> Vec<u8> {
        let v = match self.config.kind {
            SinkKind::Webhook => serde_json::json!({
                "event": event, "alert": alert, "sent_at": now,
            }),
            SinkKind::Slack | SinkKind::Email => {
                serde_json::json!({"text": alert_line(event, alert)})
            }
        };
        serde_json::to_vec(&v).unwrap_or_default()
    }

    /// Delivers `event` (`alert.opened` / `alert.resolved`) for `alert`, retrying.
    pub async fn deliver(&self, event: &str, alert: &Alert) -> Delivery {
        if self.config.kind == SinkKind::Email {
            let subject = format!("[airm] {}", alert_line(event, alert));
            let mut text = format!(
                "event: {event}\nalert: {}\nmodel: {}\nrule: {}\nseverity: {}\nstatus: {}\n\
                 message: {}\nowner: {}\nfirst seen: {}\n",
                alert.id,
                alert.model,
                alert.rule,
                alert.severity.as_str(),
                alert.status.as_str(),
                alert.message,
                alert.owner.as_deref().unwrap_or("-"),
                alert.first_seen,
            );
            text.push_str("\nThe alert as JSON:\n");
            text.push_str(&serde_json::to_string_pretty(alert).unwrap_or_default());
            text.push('\n');
            return self.send_email(event, &alert.id, &subject, text).await;
        }
        let body = self.body(event, alert, Timestamp::now());
        self.send(event, &alert.id, body).await
    }

    /// Delivers a governance escalation step (`governance.escalation`): the webhook gets
    /// `{"event", "notification", "severity", "sent_at"}`, Slack a one-line text.
    pub async fn deliver_escalation(
        &self,
        n: &airm_core::Notification,
        severity: Severity,
    ) -> Delivery {
        let event = "governance.escalation";
        if self.config.kind == SinkKind::Email {
            let subject = format!("[airm] Escalation to {} `{}`", n.step, n.recipient);
            let text = format!(
                "event: {event}\nseverity: {}\nstep: {}\nrecipient: {}\nmessage: {}\n\n{}\n",
                severity.as_str(),
                n.step,
                n.recipient,
                n.message,
                serde_json::to_string_pretty(n).unwrap_or_default()
            );
            return self.send_email(event, &n.fingerprint, &subject, text).await;
        }
        let v = match self.config.kind {
            SinkKind::Webhook => serde_json::json!({
                "event": event, "notification": n, "severity": severity, "sent_at": Timestamp::now(),
            }),
            SinkKind::Slack | SinkKind::Email => serde_json::json!({"text": format!(
                "Escalation to {} `{}`: {}",
                n.step, n.recipient, n.message
            )}),
        };
        self.send(
            event,
            &n.fingerprint,
            serde_json::to_vec(&v).unwrap_or_default(),
        )
        .await
    }

    /// Sends one email, with the webhook's retries.
    #[cfg(feature = "smtp")]
    async fn send_email(&self, event: &str, id: &str, subject: &str, text: String) -> Delivery {
        let Some(mailer) = &self.mailer else {
            return self.failed(event, id, 0, Some("no SMTP settings".into()));
        };
        self.retrying(event, id, || async {
            mailer
                .send(subject, text.clone())
                .await
                .map_err(|e| (e.message, e.retry))
        })
        .await
    }

    #[cfg(not(feature = "smtp"))]
    async fn send_email(&self, event: &str, id: &str, _subject: &str, _text: String) -> Delivery {
        self.failed(
            event,
            id,
            0,
            Some("built without the `smtp` feature".into()),
        )
    }

    async fn send(&self, event: &str, id: &str, body: Vec<u8>) -> Delivery {
        self.retrying(event, id, || async {
            let ts = Timestamp::now().millis() / 1000;
            let mut req = self
                .client
                .post(&self.config.url)
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .header("x-airm-event", event)
                .header("x-airm-timestamp", ts.to_string())
                .body(body.clone());
            if let Some(secret) = &self.secret {
                req = req.header("x-airm-signature", signature(&secret.0, ts, &body));
            }
            match req.send().await {
                Ok(res) if res.status().is_success() => Ok(()),
                Ok(res) => {
                    let st = res.status();
                    Err((
                        format!("HTTP {st}"),
                        st.is_server_error() || st == reqwest::StatusCode::TOO_MANY_REQUESTS,
                    ))
                }
                // Without the URL: it may carry a token in its path.
                Err(e) => Err((
                    if e.is_timeout() {
                        "timed out"
                    } else if e.is_connect() {
                        "connection failed"
                    } else {
                        "request failed"
                    }
                    .to_string(),
                    true,
                )),
            }
        })
        .await
    }

    /// Runs `attempt` until it succeeds, fails for good, or the attempts are used up, with
    /// exponential backoff and jitter between attempts.
    async fn retrying<F, Fut>(&self, event: &str, id: &str, mut attempt_once: F) -> Delivery
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<(), (String, bool)>>,
    {
        let max = self.config.max_attempts.unwrap_or(4).clamp(1, 10);
        let mut last_err = None;
        for attempt in 1..=max {
            let retry = match attempt_once().await {
                Ok(()) => {
                    return Delivery {
                        sink: self.config.name.clone(),
                        alert_id: id.to_string(),
                        event: event.to_string(),
                        ok: true,
                        attempts: attempt,
                        error: None,
                    }
                }
                Err((message, retry)) => {
                    last_err = Some(message);
                    retry
                }
            };
            if !retry || attempt == max {
                tracing::warn!(sink = %self.config.name, id = %id, event = %event, error = ?last_err, "Delivery failed");
                return self.failed(event, id, attempt, last_err);
            }
            let exp = self
                .backoff_base
                .saturating_mul(1 << (attempt - 1).min(8))
                .min(Duration::from_secs(10));
            let jitter = rand::thread_rng().gen_range(0.0..0.5);
            tokio::time::sleep(exp.mul_f64(1.0 + jitter)).await;
        }
        self.failed(event, id, max, last_err)
    }

    fn failed(&self, event: &str, id: &str, attempts: u32, error: Option<String>) -> Delivery {
        Delivery {
            sink: self.config.name.clone(),
            alert_id: id.to_string(),
            event: event.to_string(),
            ok: false,
            attempts,
            error,
        }
    }
}

/// One line about an alert (Slack text, email subject).
fn alert_line(event: &str, alert: &Alert) -> String {
    let what = if event == "alert.resolved" {
        "Resolved"
    } else {
        "Alert"
    };
    format!(
        "{what} [{}] model `{}`: {} (rule `{}`{})",
        alert.severity.as_str().to_uppercase(),
        alert.model,
        alert.message,
        alert.rule,
        alert
            .owner
            .as_deref()
            .map(|o| format!(", owner {o}"))
            .unwrap_or_default(),
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn signatures_verify_and_bind_the_timestamp() {
        let sig = signature(b"k", 1700000000, b"{}");
        assert!(sig.starts_with("sha256=") && sig.len() == 7 + 64);
        assert!(verify(b"k", 1700000000, b"{}", &sig));
        assert!(!verify(b"k", 1700000001, b"{}", &sig));
        assert!(!verify(b"other", 1700000000, b"{}", &sig));
        assert!(!verify(b"k", 1700000000, b"{ }", &sig));
        assert!(!verify(b"k", 1700000000, b"{}", "md5=00"));
        // RFC 4231 test case 2 (key "Jefe"), message without our timestamp prefix is
        // checked through the hmac crate itself; here a fixed vector pins the format.
        let mut mac = Hmac::<Sha256>::new_from_slice(b"Jefe").unwrap();
        mac.update(b"what do ya want for nothing?");
        assert_eq!(
            hex::encode(mac.finalize().into_bytes()),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn secrets_do_not_print_and_configs_are_checked() {
        assert_eq!(format!("{:?}", Secret::new("hunter2")), "Secret(***)");
        let base = SinkConfig {
            name: "s".into(),
            kind: SinkKind::Webhook,
            url: "https://example.com/hook".into(),
            secret_env: None,
            secret_file: None,
            min_severity: Some(Severity::High),
            max_attempts: None,
            timeout_secs: None,
            email: None,
        };
        let sink = Sink::build(base.clone()).unwrap();
        assert!(sink.wants(Severity::Critical) && !sink.wants(Severity::Medium));
        assert!(!format!("{sink:?}").contains("hunter2"));
        for bad in [
            SinkConfig {
                url: "ftp://x".into(),
                ..base.clone()
            },
            SinkConfig {
                secret_env: Some("AIRM_TEST_NO_SUCH_VARIABLE_XYZ".into()),
                ..base.clone()
            },
            SinkConfig {
                max_attempts: Some(0),
                ..base.clone()
            },
        ] {
            assert!(Sink::build(bad).is_err());
        }
    }
}
