//! The IMAP side: the support mailbox named by `CRM_IMAP_URL`, read by UID.
//!
//! `imaps://user:pass@host/INBOX` is TLS from the first byte (port 993);
//! `imap://user:pass@host/INBOX` upgrades with STARTTLS and refuses to go on without it
//! (port 143); `?tls=off` never encrypts and is accepted only for a server on this machine.
//! The reader remembers the mailbox's `UIDVALIDITY` and the last UID it took, so it asks only
//! for what came after (see `support::mailbox`); it waits with IDLE when the server offers
//! it, and polls otherwise.

use super::smtp::{is_loopback, percent_decode};
use async_imap::extensions::idle::IdleResponse;
use futures::TryStreamExt;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;
use tokio_rustls::rustls::{self, pki_types::ServerName};

/// How long one IMAP exchange may take before the connection is given up.
const TIMEOUT: Duration = Duration::from_secs(60);
/// Servers drop an IDLE after 30 minutes (RFC 2177); it is renewed before that.
const IDLE_FOR: Duration = Duration::from_secs(25 * 60);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Security {
    /// TLS from the first byte (`imaps://`).
    Tls,
    /// STARTTLS, required (`imap://`).
    StartTls,
    /// None: this machine only (`?tls=off`).
    Off,
}

/// A mailbox to read.
#[derive(Clone, PartialEq, Eq)]
pub struct Mailbox {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub user: String,
    password: String,
    pub folder: String,
    /// How often to look when the server cannot IDLE.
    pub poll: Duration,
}

impl std::fmt::Debug for Mailbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.key())
    }
}

impl Mailbox {
    /// The mailbox `url` names, or why it cannot be used.
    pub fn from_url(url: &str) -> Result<Mailbox, String> {
        let parsed = url::Url::parse(url.trim()).map_err(|e| format!("CRM_IMAP_URL: {e}"))?;
        let host = parsed
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or("CRM_IMAP_URL names no host")?
            .to_string();
        let param = |name: &str| {
            parsed
                .query_pairs()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.to_string())
        };
        let (security, default_port) = match (parsed.scheme(), param("tls").as_deref()) {
            ("imaps", None) => (Security::Tls, 993),
            ("imap", None | Some("required")) => (Security::StartTls, 143),
            ("imap", Some("off")) => {
                if !is_loopback(&host) {
                    return Err(format!(
                        "CRM_IMAP_URL: tls=off is only for a server on this machine, not {host}; use imaps:// or imap:// (STARTTLS)"
                    ));
                }
                (Security::Off, 143)
            }
            (scheme, tls) => {
                return Err(format!(
                    "CRM_IMAP_URL: use imaps:// or imap:// (with tls=required or off); got {scheme}:// with tls={}",
                    tls.unwrap_or("")
                ));
            }
        };
        let decode = |s: &str| {
            percent_decode(s).ok_or_else(|| "CRM_IMAP_URL: a part is not valid UTF-8".to_string())
        };
        let user = decode(parsed.username())?;
        if user.is_empty() {
            return Err("CRM_IMAP_URL names no user (imaps://user:password@host/INBOX)".into());
        }
        let password = decode(parsed.password().unwrap_or(""))?;
        let folder = decode(parsed.path().trim_start_matches('/'))?;
        let folder = if folder.is_empty() {
            "INBOX".to_string()
        } else {
            folder
        };
        if folder
            .chars()
            .any(|c| c.is_control() || c == '"' || c == '\\')
        {
            return Err("CRM_IMAP_URL: the folder name has characters IMAP cannot take".into());
        }
        let poll = match param("poll") {
            Some(s) => s
                .parse::<u64>()
                .ok()
                .filter(|n| (1..=3600).contains(n))
                .map(Duration::from_secs)
                .ok_or("CRM_IMAP_URL: poll is a number of seconds from 1 to 3600")?,
            None => Duration::from_secs(30),
        };
        Ok(Mailbox {
            port: parsed.port().unwrap_or(default_port),
            host,
            security,
            user,
            password,
            folder,
            poll,
        })
    }

    /// What names this mailbox where the reader's place in it is kept (no password).
    pub fn key(&self) -> String {
        format!(
            "imap://{}@{}:{}/{}",
            self.user, self.host, self.port, self.folder
        )
    }
}

/// The connection: plain TCP (this machine only) or TLS.
#[derive(Debug)]
enum Wire {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

impl AsyncRead for Wire {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Wire::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Wire::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Wire {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            Wire::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Wire::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Wire::Plain(s) => Pin::new(s).poll_flush(cx),
            Wire::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Wire::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Wire::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

async fn tls(host: &str, tcp: TcpStream) -> Result<Wire, String> {
    let roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| e.to_string())?
    .with_root_certificates(roots)
    .with_no_client_auth();
    let name = ServerName::try_from(host.to_string()).map_err(|e| e.to_string())?;
    let stream = TlsConnector::from(Arc::new(config))
        .connect(name, tcp)
        .await
        .map_err(|e| format!("TLS with {host}: {e}"))?;
    Ok(Wire::Tls(Box::new(stream)))
}

/// Runs one IMAP exchange under [`TIMEOUT`], turning its error into text.
async fn timed<T, E: std::fmt::Display>(
    what: &str,
    f: impl std::future::Future<Output = Result<T, E>>,
) -> Result<T, String> {
    match tokio::time::timeout(TIMEOUT, f).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(format!("{what}: {e}")),
        Err(_) => Err(format!("{what}: no answer in {} s", TIMEOUT.as_secs())),
    }
}

/// A signed-in connection with the folder selected.
pub struct Session {
    inner: async_imap::Session<Wire>,
    /// The folder's UIDVALIDITY: UIDs mean the same messages only while it stays the same.
    pub uid_validity: u32,
    /// Whether the server can IDLE.
    pub can_idle: bool,
    poll: Duration,
}

/// A message in the folder: its UID and size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Listed {
    pub uid: u32,
    pub size: u32,
}

/// Connects, signs in and selects the folder.
pub async fn open(mb: &Mailbox) -> Result<Session, String> {
    let tcp = timed("connect", TcpStream::connect((mb.host.as_str(), mb.port))).await?;
    let _ = tcp.set_nodelay(true);
    let wire = match mb.security {
        Security::Tls => tls(&mb.host, tcp).await?,
        Security::Off => Wire::Plain(tcp),
        Security::StartTls => {
            let mut client = async_imap::Client::new(tcp);
            timed("greeting", client.read_response()).await?;
            timed(
                "STARTTLS",
                client.run_command_and_check_ok("STARTTLS", None),
            )
            .await?;
            tls(&mb.host, client.into_inner()).await?
        }
    };
    let mut client = async_imap::Client::new(wire);
    if mb.security != Security::StartTls {
        timed("greeting", client.read_response()).await?;
    }
    let mut inner = match tokio::time::timeout(TIMEOUT, client.login(&mb.user, &mb.password)).await
    {
        Ok(Ok(session)) => session,
        Ok(Err((e, _))) => return Err(format!("sign-in as {}: {e}", mb.user)),
        Err(_) => return Err("sign-in: no answer".into()),
    };
    let can_idle = timed("CAPABILITY", inner.capabilities())
        .await?
        .has_str("IDLE");
    let selected = timed("SELECT", inner.select(&mb.folder)).await?;
    let uid_validity = selected
        .uid_validity
        .ok_or("the server gave the folder no UIDVALIDITY")?;
    Ok(Session {
        inner,
        uid_validity,
        can_idle,
        poll: mb.poll,
    })
}

impl Session {
    /// The messages with a UID above `after`, in UID order, with their sizes.
    pub async fn after(&mut self, after: u32) -> Result<Vec<Listed>, String> {
        let from = after.saturating_add(1);
        let fetched: Vec<_> = timed("UID FETCH (sizes)", async {
            self.inner
                .uid_fetch(format!("{from}:*"), "(UID RFC822.SIZE)")
                .await?
                .try_collect::<Vec<_>>()
                .await
        })
        .await?;
        // `n:*` includes the last message even when its UID is below n (RFC 3501 6.4.8).
        let mut listed: Vec<Listed> = fetched
            .iter()
            .filter_map(|f| {
                Some(Listed {
                    uid: f.uid?,
                    size: f.size.unwrap_or(0),
                })
            })
            .filter(|l| l.uid > after)
            .collect();
        listed.sort_by_key(|l| l.uid);
        listed.dedup_by_key(|l| l.uid);
        Ok(listed)
    }

    /// One message, whole, without marking it read. None when it was removed meanwhile.
    pub async fn message(&mut self, uid: u32) -> Result<Option<Vec<u8>>, String> {
        let fetched: Vec<_> = timed("UID FETCH (message)", async {
            self.inner
                .uid_fetch(uid.to_string(), "(UID BODY.PEEK[])")
                .await?
                .try_collect::<Vec<_>>()
                .await
        })
        .await?;
        Ok(fetched
            .into_iter()
            .find(|f| f.uid == Some(uid))
            .and_then(|f| f.body().map(<[u8]>::to_vec)))
    }

    /// Waits until the folder may have changed: with IDLE until the server says so (or for
    /// up to 25 minutes), otherwise for the poll interval.
    pub async fn wait(self) -> Result<Session, String> {
        if !self.can_idle {
            tokio::time::sleep(self.poll).await;
            let mut s = self;
            timed("NOOP", s.inner.noop()).await?;
            return Ok(s);
        }
        // News the server announced during the last pass (an EXISTS while a message was
        // fetched) is not announced again: an IDLE now would wait for the next message.
        let mut news = false;
        while let Ok(r) = self.inner.unsolicited_responses.try_recv() {
            news |= matches!(
                r,
                async_imap::types::UnsolicitedResponse::Exists(_)
                    | async_imap::types::UnsolicitedResponse::Recent(_)
            );
        }
        if news {
            return Ok(self);
        }
        let Session {
            inner,
            uid_validity,
            can_idle,
            poll,
        } = self;
        let mut idle = inner.idle();
        timed("IDLE", idle.init()).await?;
        let (waiting, _stop) = idle.wait_with_timeout(IDLE_FOR);
        match waiting.await {
            Ok(
                IdleResponse::NewData(_) | IdleResponse::Timeout | IdleResponse::ManualInterrupt,
            ) => {}
            Err(e) => return Err(format!("IDLE: {e}")),
        }
        drop(_stop);
        let inner = timed("DONE", idle.done()).await?;
        Ok(Session {
            inner,
            uid_validity,
            can_idle,
            poll,
        })
    }

    /// Signs out (best effort).
    pub async fn close(mut self) {
        let _ = tokio::time::timeout(Duration::from_secs(5), self.inner.logout()).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_url_names_the_mailbox_and_how_to_reach_it() {
        let mb =
            Mailbox::from_url("imaps://support%40acme.example:p%40ss@imap.acme.example/Support")
                .expect("valid");
        assert_eq!(mb.security, Security::Tls);
        assert_eq!((mb.host.as_str(), mb.port), ("imap.acme.example", 993));
        assert_eq!(mb.user, "support@acme.example");
        assert_eq!(mb.password, "p@ss");
        assert_eq!(mb.folder, "Support");
        assert!(!format!("{mb:?}").contains("p@ss"));
        let mb = Mailbox::from_url("imap://u:p@imap.acme.example").expect("valid");
        assert_eq!(
            (mb.security, mb.port, mb.folder.as_str()),
            (Security::StartTls, 143, "INBOX")
        );
        let mb =
            Mailbox::from_url("imap://u:p@127.0.0.1:1143/INBOX?tls=off&poll=5").expect("valid");
        assert_eq!((mb.security, mb.port), (Security::Off, 1143));
        assert_eq!(mb.poll, Duration::from_secs(5));
    }

    #[test]
    fn a_mailbox_that_would_leak_its_password_or_cannot_work_is_refused() {
        for (url, why) in [
            (
                "imap://u:p@imap.acme.example/INBOX?tls=off",
                "only for a server on this machine",
            ),
            ("pop3://u:p@host", "use imaps://"),
            ("imaps://imap.acme.example/INBOX", "no user"),
            ("imap://u:p@127.0.0.1/INBOX?tls=off&poll=0", "poll"),
            ("imaps://u:p@host/In%22box", "folder"),
        ] {
            let e = Mailbox::from_url(url).expect_err(url);
            assert!(e.contains(why), "{url}: {e}");
        }
    }
}
