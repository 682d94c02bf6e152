//! The SMTP side: the server named by `CRM_SMTP_URL`, and a stored mail turned into the
//! message that goes to it.
//!
//! `smtp://user:pass@host:587` uses STARTTLS and refuses to go on without it;
//! `smtps://user:pass@host:465` is TLS from the first byte; `?tls=opportunistic` upgrades when
//! the server offers it; `?tls=off` never encrypts, and is accepted only for a server on this
//! machine (a test sink, a local relay), so a password never crosses a network in the clear.

use crate::server::config::Config;
use crate::server::db::outbox::Mail;
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::time::Duration;

/// Where mail goes, and as whom.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    /// Where replies to ticket mail go (`CRM_MAIL_REPLY_TO`, the support mailbox), when that
    /// is not the sender's address.
    pub reply_to: Option<String>,
    /// What the server's address is, for logs and the admin page (no password).
    pub server: String,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer")
            .field("server", &self.server)
            .finish()
    }
}

/// How sending one mail went.
#[derive(Debug)]
pub enum Outcome {
    /// Accepted: the server's reply (it usually names its queue id).
    Sent(String),
    /// Worth trying again later (a 4xx reply, a connection that failed).
    Temporary(String),
    /// Never going to work (a 5xx reply, an address that cannot be written).
    Permanent(String),
}

impl Mailer {
    /// The mailer the settings name (`CRM_SMTP_URL`, `CRM_MAIL_FROM`, `CRM_MAIL_REPLY_TO`):
    /// none without a URL; an error (which stops the server) when the URL, the sender or the
    /// reply address cannot be used.
    pub fn from_settings(config: &Config) -> Result<Option<Mailer>, String> {
        let given = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_string)
        };
        let Some(url) = given(&config.smtp_url) else {
            return Ok(None);
        };
        let from = given(&config.mail_from).ok_or(
            "CRM_SMTP_URL is set but CRM_MAIL_FROM is not: say who mail comes from, as \"Name\" <address@example.com>",
        )?;
        let mut mailer = Mailer::new(&url, &from)?;
        if let Some(reply_to) = given(&config.mail_reply_to) {
            reply_to
                .parse::<Mailbox>()
                .map_err(|e| format!("CRM_MAIL_REPLY_TO: {e}"))?;
            mailer.reply_to = Some(reply_to);
        }
        Ok(Some(mailer))
    }

    /// The mailer for `url`, sending as `from` (`"Acme Support" <support@acme.example>`).
    /// Made on a Tokio runtime: its connection pool is tended by a task there.
    pub fn new(url: &str, from: &str) -> Result<Mailer, String> {
        let parsed = url::Url::parse(url).map_err(|e| format!("CRM_SMTP_URL: {e}"))?;
        let host = parsed
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or("CRM_SMTP_URL names no host")?
            .to_string();
        let tls_param = parsed
            .query_pairs()
            .find(|(k, _)| k == "tls")
            .map(|(_, v)| v.to_string());
        let params = || TlsParameters::new(host.clone()).map_err(|e| format!("CRM_SMTP_URL: {e}"));
        let (tls, default_port) = match (parsed.scheme(), tls_param.as_deref()) {
            ("smtps", None) => (Tls::Wrapper(params()?), 465),
            ("smtp", None | Some("required")) => (Tls::Required(params()?), 587),
            ("smtp", Some("opportunistic")) => (Tls::Opportunistic(params()?), 587),
            ("smtp", Some("off")) => {
                if !is_loopback(&host) {
                    return Err(format!(
                        "CRM_SMTP_URL: tls=off is only for a server on this machine, not {host}; use smtp:// (STARTTLS) or smtps://"
                    ));
                }
                (Tls::None, 25)
            }
            (scheme, tls) => {
                return Err(format!(
                    "CRM_SMTP_URL: use smtp:// or smtps:// (with tls=required, opportunistic or off); got {scheme}:// with tls={}",
                    tls.unwrap_or("")
                ));
            }
        };
        let port = parsed.port().unwrap_or(default_port);
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&host)
            .port(port)
            .tls(tls)
            .timeout(Some(Duration::from_secs(30)));
        if !parsed.username().is_empty() {
            let decode = |s: &str| {
                percent_decode(s).ok_or_else(|| {
                    "CRM_SMTP_URL: the user or password is not valid UTF-8".to_string()
                })
            };
            builder = builder.credentials(Credentials::new(
                decode(parsed.username())?,
                decode(parsed.password().unwrap_or(""))?,
            ));
        }
        let from: Mailbox = from.parse().map_err(|e| {
            format!("CRM_MAIL_FROM: {e} (write it as \"Name\" <address@example.com>)")
        })?;
        Ok(Mailer {
            transport: builder.build(),
            from,
            reply_to: None,
            server: format!("{}://{host}:{port}", parsed.scheme()),
        })
    }

    /// The domain of the sender's address, under which Message-IDs are made.
    pub fn domain(&self) -> String {
        self.from.email.domain().to_string()
    }

    /// Sends one stored mail.
    pub async fn send(&self, mail: &Mail) -> Outcome {
        let message = match self.message(mail) {
            Ok(m) => m,
            Err(e) => return Outcome::Permanent(e),
        };
        match self.transport.send(message).await {
            Ok(reply) => Outcome::Sent(
                format!(
                    "{} {}",
                    reply.code(),
                    reply.message().collect::<Vec<_>>().join(" ")
                )
                .trim()
                .to_string(),
            ),
            Err(e) if e.is_permanent() => Outcome::Permanent(e.to_string()),
            Err(e) => Outcome::Temporary(e.to_string()),
        }
    }

    /// The message for a stored mail: text and HTML parts, the fixed Message-ID, threading
    /// and automatic-mail headers.
    pub fn message(&self, mail: &Mail) -> Result<Message, String> {
        let address = mail
            .to_address
            .parse()
            .map_err(|e| format!("the address {} cannot be written to: {e}", mail.to_address))?;
        let to = Mailbox::new(mail.to_name.clone(), address);
        let mut builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject.clone())
            .message_id(Some(mail.message_id.clone()))
            .date_now();
        if let Some(parent) = &mail.in_reply_to {
            builder = builder.in_reply_to(parent.clone());
        }
        if let Some(refs) = &mail.refs {
            builder = builder.references(refs.clone());
        }
        if let Some(reply_to) = &mail.reply_to {
            let reply_to: Mailbox = reply_to
                .parse()
                .map_err(|e| format!("the reply address {reply_to} cannot be written: {e}"))?;
            builder = builder.reply_to(reply_to);
        }
        if mail.automatic {
            builder = builder.raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("Auto-Submitted"),
                "auto-generated".into(),
            ));
        }
        if let Some(unsubscribe) = &mail.unsubscribe {
            builder = builder.raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("List-Unsubscribe"),
                format!("<{unsubscribe}>"),
            ));
        }
        let body = match &mail.html_body {
            Some(html) => builder.multipart(MultiPart::alternative_plain_html(
                mail.text_body.clone(),
                html.clone(),
            )),
            None => builder.body(mail.text_body.clone()),
        };
        body.map_err(|e| e.to_string())
    }
}

pub(super) fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

pub(super) fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    // A mailer keeps a pool of connections, tended by a task on the runtime it is made on.
    #[tokio::test]
    async fn the_smtp_url_chooses_encryption_and_refuses_plain_text_beyond_this_machine() {
        let from = "\"Acme Support\" <support@acme.example>";
        assert!(Mailer::new("smtp://127.0.0.1:2525?tls=off", from).is_ok());
        assert!(Mailer::new("smtp://localhost:2525?tls=off", from).is_ok());
        let far = Mailer::new("smtp://u:p@mail.example.com:587?tls=off", from).unwrap_err();
        assert!(far.contains("only for a server on this machine"), "{far}");
        let m = Mailer::new("smtp://u:p%40x@mail.example.com", from).expect("starttls");
        assert_eq!(m.server, "smtp://mail.example.com:587");
        let m = Mailer::new("smtps://mail.example.com", from).expect("tls");
        assert_eq!(m.server, "smtps://mail.example.com:465");
        assert_eq!(m.domain(), "acme.example");
        assert!(Mailer::new("http://mail.example.com", from).is_err());
        assert!(Mailer::new("smtp://127.0.0.1:2525?tls=off", "not an address").is_err());
        assert_eq!(percent_decode("p%40x").as_deref(), Some("p@x"));
    }
}
