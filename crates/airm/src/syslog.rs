//! RFC 5424 syslog messages for activity-log events, and a sender over UDP (one message
//! per datagram, RFC 5426) or TCP (octet-counted framing, RFC 6587 §3.4.1), so existing
//! SIEMs ingest airm's log without an adapter.

use std::io::Write;
use std::net::{TcpStream, ToSocketAddrs, UdpSocket};
use std::time::Duration;

use anyhow::Context;

use airm_core::{AuditEvent, Outcome};

/// Private enterprise number placeholder used for airm's structured-data id
/// (`airm@32473`, the number RFC 5612 reserves for documentation).
const SD_ID: &str = "airm@32473";
/// Facility 13: log audit.
const FACILITY: u8 = 13;

/// Formats one event as an RFC 5424 message (without transport framing).
pub fn format_event(e: &AuditEvent, hostname: &str) -> String {
    let severity = match e.outcome {
        Outcome::Success => 5, // notice
        Outcome::Denied => 4,  // warning
        Outcome::Error => 3,   // error
    };
    let pri = u16::from(FACILITY) * 8 + severity;
    let msgid = header_field(&e.action, 32);
    let mut sd = format!(
        "[{SD_ID} seq=\"{}\" actor_kind=\"{}\" actor=\"{}\" outcome=\"{}\"",
        e.seq,
        e.actor.kind,
        sd_escape(&e.actor.id),
        e.outcome
    );
    if let Some(t) = &e.target {
        sd.push_str(&format!(" target=\"{}\"", sd_escape(t)));
    }
    if let Some(r) = &e.request_id {
        sd.push_str(&format!(" request_id=\"{}\"", sd_escape(r)));
    }
    sd.push(']');
    let msg = serde_json::to_string(e).unwrap_or_default();
    format!(
        "<{pri}>1 {} {} airm {} {msgid} {sd} {msg}",
        e.time,
        header_field(hostname, 255),
        std::process::id(),
    )
}

/// A header field: printable US-ASCII without spaces, at most `max` characters, `-` if empty.
fn header_field(s: &str, max: usize) -> String {
    let v: String = s
        .chars()
        .filter(|c| c.is_ascii_graphic())
        .take(max)
        .collect();
    if v.is_empty() {
        "-".into()
    } else {
        v
    }
}

/// Escapes `"`, `\` and `]` in a structured-data parameter value (RFC 5424 §6.3.3).
fn sd_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '"' | '\\' | ']') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Where messages go.
pub enum Sink {
    Udp(UdpSocket),
    Tcp(TcpStream),
}

impl Sink {
    /// Connects to `udp://host:port` or `tcp://host:port`.
    pub fn connect(url: &str) -> anyhow::Result<Sink> {
        let (scheme, addr) = url.split_once("://").with_context(|| {
            format!("syslog destination `{url}` must be udp://HOST:PORT or tcp://HOST:PORT")
        })?;
        let target = addr
            .to_socket_addrs()
            .with_context(|| format!("cannot resolve `{addr}`"))?
            .next()
            .with_context(|| format!("`{addr}` resolves to no address"))?;
        match scheme {
            "udp" => {
                let bind = if target.is_ipv4() {
                    "0.0.0.0:0"
                } else {
                    "[::]:0"
                };
                let s = UdpSocket::bind(bind)?;
                s.connect(target)
                    .with_context(|| format!("cannot reach {target}"))?;
                Ok(Sink::Udp(s))
            }
            "tcp" => {
                let s = TcpStream::connect_timeout(&target, Duration::from_secs(10))
                    .with_context(|| format!("cannot connect to {target}"))?;
                s.set_write_timeout(Some(Duration::from_secs(30)))?;
                Ok(Sink::Tcp(s))
            }
            other => anyhow::bail!("unsupported syslog transport `{other}` (use udp or tcp)"),
        }
    }

    /// Sends one message.
    pub fn send(&mut self, msg: &str) -> anyhow::Result<()> {
        match self {
            Sink::Udp(s) => {
                // Keep datagrams within the size every receiver must accept (RFC 5426 §3.2).
                let bytes = msg.as_bytes();
                let cut = bytes.len().min(8192);
                s.send(&bytes[..cut])
                    .context("cannot send syslog datagram")?;
            }
            Sink::Tcp(s) => {
                write!(s, "{} {msg}", msg.len()).context("cannot send syslog message")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use airm_core::{Actor, ActorKind, Timestamp};

    #[test]
    fn formats_rfc5424_with_escaped_structured_data() {
        let e = AuditEvent {
            seq: 7,
            time: Timestamp(0),
            actor: Actor {
                kind: ActorKind::User,
                id: "a\"b]c".into(),
            },
            action: "system.create".into(),
            target: Some("sys_1".into()),
            outcome: Outcome::Denied,
            details: serde_json::json!({}),
            request_id: None,
        };
        let m = format_event(&e, "host one");
        assert!(
            m.starts_with("<108>1 1970-01-01T00:00:00.000Z hostone airm "),
            "{m}"
        );
        assert!(m.contains(" system.create [airm@32473 seq=\"7\" actor_kind=\"user\" actor=\"a\\\"b\\]c\" outcome=\"denied\" target=\"sys_1\"] {"), "{m}");
    }
}
