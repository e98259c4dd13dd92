//! The email sink (cargo feature `smtp`): alerts and escalations sent as plain-text mail
//! over SMTP with `lettre`, TLS by rustls (STARTTLS on the submission port by default, or
//! implicit TLS on 465; plain SMTP only to a relay on the loopback interface). Credentials
//! come from environment variables or a file, like webhook secrets, and are never logged.

use std::time::Duration;

use lettre::message::{header::ContentType, Mailbox};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::sinks::{EmailConfig, EmailTls};

/// A configured SMTP mailer with its sender and recipients.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    to: Vec<Mailbox>,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The transport holds the credentials: not printed.
        f.debug_struct("Mailer")
            .field("from", &self.from.to_string())
            .field("to", &self.to.len())
            .finish_non_exhaustive()
    }
}

/// Why one attempt failed, and whether another may succeed.
pub struct AttemptError {
    pub message: String,
    pub retry: bool,
}

fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host
            .trim_matches(|c| c == '[' || c == ']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

impl Mailer {
    /// Builds the mailer of sink `name`; `password` is the secret read by the sink.
    pub fn build(
        name: &str,
        c: &EmailConfig,
        username: Option<String>,
        password: Option<String>,
        timeout: Duration,
    ) -> Result<Mailer, String> {
        if c.server.trim().is_empty() {
            return Err(format!("sink `{name}`: email.server is empty"));
        }
        let from: Mailbox = c
            .from
            .parse()
            .map_err(|e| format!("sink `{name}`: invalid email.from: {e}"))?;
        if c.to.is_empty() || c.to.len() > 100 {
            return Err(format!("sink `{name}`: email.to needs 1–100 addresses"));
        }
        let to =
            c.to.iter()
                .map(|t| {
                    t.parse::<Mailbox>()
                        .map_err(|e| format!("sink `{name}`: invalid address in email.to: {e}"))
                })
                .collect::<Result<Vec<_>, _>>()?;
        let builder = match c.tls {
            EmailTls::Starttls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&c.server),
            EmailTls::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&c.server),
            EmailTls::None => {
                if !is_loopback(&c.server) {
                    return Err(format!(
                        "sink `{name}`: email.tls = \"none\" is only allowed for a relay on \
                         localhost; use \"starttls\" or \"tls\""
                    ));
                }
                Ok(AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(
                    c.server.as_str(),
                ))
            }
        }
        .map_err(|e| format!("sink `{name}`: cannot set up TLS for {}: {e}", c.server))?;
        let mut builder = builder.timeout(Some(timeout));
        if let Some(port) = c.port {
            builder = builder.port(port);
        } else if c.tls == EmailTls::None {
            builder = builder.port(25);
        }
        match (username, password) {
            (Some(u), Some(p)) => builder = builder.credentials(Credentials::new(u, p)),
            (None, None) => {}
            _ => {
                return Err(format!(
                    "sink `{name}`: set both an SMTP username and a password, or neither"
                ))
            }
        }
        Ok(Mailer {
            transport: builder.build(),
            from,
            to,
        })
    }

    /// Sends one message. Control characters in the subject (from model names or alert
    /// messages) become spaces, so no text can add a header line.
    pub async fn send(&self, subject: &str, body: String) -> Result<(), AttemptError> {
        let subject: String = subject
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        let mut m = Message::builder().from(self.from.clone());
        for t in &self.to {
            m = m.to(t.clone());
        }
        let message = m
            .subject(subject)
            .header(ContentType::TEXT_PLAIN)
            .body(body)
            .map_err(|e| AttemptError {
                message: format!("cannot build the message: {e}"),
                retry: false,
            })?;
        match self.transport.send(message).await {
            Ok(_) => Ok(()),
            Err(e) => Err(AttemptError {
                // lettre's messages name the server's reply, never the credentials.
                message: format!("SMTP: {e}"),
                retry: !e.is_permanent(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn plain_smtp_only_to_loopback() {
        let c = EmailConfig {
            server: "mail.example.com".into(),
            port: None,
            tls: EmailTls::None,
            from: "airm <airm@example.com>".into(),
            to: vec!["team@example.com".into()],
            username_env: None,
            username: None,
            password_env: None,
            password_file: None,
        };
        let t = Duration::from_secs(1);
        assert!(Mailer::build("m", &c, None, None, t).is_err());
        let local = EmailConfig {
            server: "127.0.0.1".into(),
            ..c.clone()
        };
        assert!(Mailer::build("m", &local, None, None, t).is_ok());
        let tls = EmailConfig {
            tls: EmailTls::Starttls,
            ..c.clone()
        };
        let m = Mailer::build("m", &tls, Some("u".into()), Some("hunter2".into()), t).unwrap();
        assert!(!format!("{m:?}").contains("hunter2"));
        assert!(Mailer::build("m", &tls, Some("u".into()), None, t).is_err());
        let bad = EmailConfig {
            to: vec!["not an address".into()],
            ..tls
        };
        assert!(Mailer::build("m", &bad, None, None, t).is_err());
    }

    /// A minimal SMTP server on 127.0.0.1:0 speaking the real protocol (greeting, EHLO,
    /// MAIL, RCPT, DATA, QUIT). Its first connection is refused with `421` (a transient
    /// error, so the sink retries); the messages of later ones are returned.
    async fn smtp_receiver() -> (u16, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
        use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let got = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let out = got.clone();
        tokio::spawn(async move {
            let mut n = 0;
            while let Ok((sock, _)) = listener.accept().await {
                n += 1;
                let (r, mut w) = sock.into_split();
                if n == 1 {
                    let _ = w.write_all(b"421 busy, try later\r\n").await;
                    continue;
                }
                let got = got.clone();
                tokio::spawn(async move {
                    let mut r = BufReader::new(r);
                    let _ = w.write_all(b"220 test ESMTP\r\n").await;
                    let mut line = String::new();
                    loop {
                        line.clear();
                        if r.read_line(&mut line).await.unwrap_or(0) == 0 {
                            return;
                        }
                        let cmd = line.trim_end().to_ascii_uppercase();
                        let reply: &[u8] = if cmd.starts_with("EHLO") {
                            b"250-test\r\n250 8BITMIME\r\n"
                        } else if cmd.starts_with("MAIL FROM") || cmd.starts_with("RCPT TO") {
                            b"250 ok\r\n"
                        } else if cmd == "DATA" {
                            let _ = w.write_all(b"354 go ahead\r\n").await;
                            let mut msg = String::new();
                            loop {
                                line.clear();
                                if r.read_line(&mut line).await.unwrap_or(0) == 0 {
                                    return;
                                }
                                if line == ".\r\n" {
                                    break;
                                }
                                msg.push_str(&line);
                            }
                            got.lock().unwrap().push(msg);
                            b"250 queued\r\n"
                        } else if cmd == "QUIT" {
                            let _ = w.write_all(b"221 bye\r\n").await;
                            return;
                        } else {
                            b"502 not implemented\r\n"
                        };
                        let _ = w.write_all(reply).await;
                    }
                });
            }
        });
        (port, out)
    }

    #[tokio::test]
    async fn alerts_arrive_by_smtp_after_a_retry() {
        use crate::monitor::sinks::{Sink, SinkConfig, SinkKind};
        use airm_core::{Severity, Timestamp};
        use airm_store::monitor::{Alert, AlertStatus};
        let (port, got) = smtp_receiver().await;
        let mut sink = Sink::build(SinkConfig {
            name: "mail".into(),
            kind: SinkKind::Email,
            url: String::new(),
            secret_env: None,
            secret_file: None,
            min_severity: None,
            max_attempts: Some(3),
            timeout_secs: Some(5),
            email: Some(EmailConfig {
                server: "127.0.0.1".into(),
                port: Some(port),
                tls: EmailTls::None,
                from: "airm <airm@example.com>".into(),
                to: vec!["oncall@example.com".into(), "ml-team@example.com".into()],
                username_env: None,
                username: None,
                password_env: None,
                password_file: None,
            }),
        })
        .unwrap();
        sink.backoff_base = Duration::from_millis(5);
        let now = Timestamp::now();
        let alert = Alert {
            id: "alr_123".into(),
            fingerprint: "fp".into(),
            rule: "income-drift".into(),
            model: "credit-scorer".into(),
            metric: "drift.psi".into(),
            condition: "> 0.2".into(),
            severity: Severity::High,
            owner: Some("risk-team".into()),
            status: AlertStatus::Open,
            message: "PSI of income is 0.31\r\nBcc: intruder@example.com".into(),
            value: 0.31,
            reference: 0.2,
            window_start: now,
            window_end: now,
            first_seen: now,
            last_seen: now,
            resolved_at: None,
            seen_count: 1,
        };
        let d = sink.deliver("alert.opened", &alert).await;
        assert!(d.ok, "{d:?}");
        assert_eq!(d.attempts, 2, "the first connection was refused with 421");
        assert_eq!(
            (d.event.as_str(), d.alert_id.as_str()),
            ("alert.opened", "alr_123")
        );
        let msgs = got.lock().unwrap().clone();
        assert_eq!(msgs.len(), 1);
        // Unfold long header lines (RFC 5322 folding).
        let m = &msgs[0].replace("\r\n ", " ");
        assert!(
            m.contains("Subject: [airm] Alert [HIGH] model `credit-scorer`: PSI of income is 0.31"),
            "{m}"
        );
        // The line break in the message did not start a header of its own.
        let headers = m.split("\r\n\r\n").next().unwrap_or_default();
        assert!(!headers.contains("\r\nBcc:"), "{headers}");
        assert!(
            m.contains("To: oncall@example.com, ml-team@example.com"),
            "{m}"
        );
        for field in [
            "alert: alr_123",
            "rule: income-drift",
            "severity: high",
            "owner: risk-team",
            "\"metric\": \"drift.psi\"",
        ] {
            assert!(m.contains(field), "{field} missing in {m}");
        }
    }
}
