//! The support mailbox reader: takes every message of the IMAP folder once, in UID order,
//! through [`receive`], and remembers where it is (the folder's UIDVALIDITY and the last UID
//! taken) after each message. A restart asks for what came after that UID, so nothing is
//! skipped; a message taken but not yet remembered (a crash in between) is read again and
//! recognised by its Message-ID, so nothing is repeated. When the folder's UIDVALIDITY
//! changes (it was rebuilt) the reader starts over from its first message, and again the
//! Message-IDs keep what was taken from being taken twice.
//!
//! A message that cannot be read is refused with the reason and the reader goes on; one too
//! large to fetch is refused unread. A failure of the CRM's own (the database) is tried again
//! for about 20 minutes, then that message is refused too, so one message can never stop the reader.

use super::inbound::{Received, receive, refuse, unread_key};
use crate::domain::error::AppError;
use crate::server::config::Config;
use crate::server::db::inbound;
use crate::server::mail::imap::{self, Mailbox};
use crate::server::mail::inbound::MAX_BYTES;
use crate::server::state::AppState;
use std::collections::HashMap;
use std::time::Duration;

/// Times a message that fails inside the CRM is tried before it is refused: with the
/// reconnection pauses (5 s doubling to 5 min) about 20 minutes, so a database that is away
/// for a while (a restart, a failover) refuses nothing.
const TRIES: u32 = 10;

/// What one pass over the folder did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Fetched {
    /// Messages that opened a ticket, replied on one, or were logged to timelines.
    pub taken: usize,
    /// Messages kept and nothing else (auto-replies, bounces, lists, storms).
    pub ignored: usize,
    /// Messages refused (unreadable or too large).
    pub refused: usize,
    /// Messages read before (after a crash, or a rebuilt folder).
    pub again: usize,
}

impl Fetched {
    fn count(&mut self, r: &Received) {
        match r {
            Received::Opened { .. } | Received::Replied { .. } | Received::Logged { .. } => {
                self.taken += 1
            }
            Received::Ignored(_) => self.ignored += 1,
            Received::Refused(_) => self.refused += 1,
            Received::Again => self.again += 1,
        }
    }
}

/// Errors that end a connection (the server, the network) as opposed to one message.
#[derive(Debug)]
pub enum ReadError {
    Imap(String),
    App(AppError),
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::Imap(e) => write!(f, "IMAP: {e}"),
            ReadError::App(e) => write!(f, "{e:?}"),
        }
    }
}

impl From<AppError> for ReadError {
    fn from(e: AppError) -> Self {
        ReadError::App(e)
    }
}

impl From<sqlx::Error> for ReadError {
    fn from(e: sqlx::Error) -> Self {
        ReadError::App(e.into())
    }
}

/// Takes everything new in the folder the session has selected.
pub async fn pass(
    state: &AppState,
    mb: &Mailbox,
    session: &mut imap::Session,
    failures: &mut HashMap<u32, u32>,
) -> Result<Fetched, ReadError> {
    let key = mb.key();
    let validity = session.uid_validity;
    let last = {
        let mut h = state.db.handle().await?;
        match inbound::cursor(&mut h.c(), &key).await? {
            Some((v, last)) if v == validity => last,
            Some((v, _)) => {
                tracing::warn!(mailbox = %key, was = v, now = validity,
                    "the folder's UIDVALIDITY changed: reading it again from the start");
                0
            }
            None => 0,
        }
    };
    let mut done = Fetched::default();
    for listed in session.after(last).await.map_err(ReadError::Imap)? {
        let outcome = if listed.size as usize > MAX_BYTES {
            let why = format!(
                "the message is {} MB, more than the {} MB taken",
                listed.size >> 20,
                MAX_BYTES >> 20
            );
            let key = unread_key(&key, validity, listed.uid);
            Some(refuse(state, &key, &[], listed.size as usize, &why).await?)
        } else {
            match session.message(listed.uid).await.map_err(ReadError::Imap)? {
                // Removed since it was listed: nothing to take.
                None => None,
                Some(raw) => match receive(state, &raw).await {
                    Ok(r) => Some(r),
                    Err(e) => {
                        let tries = failures.entry(listed.uid).or_default();
                        *tries += 1;
                        if *tries < TRIES {
                            // Not remembered as taken: the next pass tries it again.
                            return Err(ReadError::App(e));
                        }
                        tracing::error!(uid = listed.uid, error = ?e, "a received message keeps failing; refusing it");
                        let key = unread_key(&key, validity, listed.uid);
                        let why = "the CRM could not take it (an internal error, logged)";
                        Some(refuse(state, &key, &raw, raw.len(), why).await?)
                    }
                },
            }
        };
        if let Some(r) = &outcome {
            done.count(r);
        }
        failures.remove(&listed.uid);
        let mut tx = state.db.begin().await?;
        inbound::set_cursor(&mut tx.c(), &key, validity, listed.uid, state.now()).await?;
        tx.commit().await?;
    }
    Ok(done)
}

/// `crm mail fetch`: one connection, one pass.
pub async fn fetch_once(state: &AppState, mb: &Mailbox) -> Result<Fetched, ReadError> {
    let mut session = imap::open(mb).await.map_err(ReadError::Imap)?;
    let done = pass(state, mb, &mut session, &mut HashMap::new()).await;
    session.close().await;
    done
}

/// Reads the mailbox for as long as the server runs: a pass, then a wait for news (IDLE, or
/// the poll interval), again and again; a lost connection is made again after a pause that
/// grows up to five minutes.
pub async fn run(state: AppState, mb: Mailbox) {
    let mut pause = Duration::from_secs(5);
    let mut failures = HashMap::new();
    loop {
        match serve(&state, &mb, &mut failures, &mut pause).await {
            Ok(()) => {}
            Err(e) => tracing::warn!(mailbox = %mb.key(), error = %e,
                retry_in_s = pause.as_secs(), "support mailbox: reading stopped; trying again"),
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_secs(300));
    }
}

async fn serve(
    state: &AppState,
    mb: &Mailbox,
    failures: &mut HashMap<u32, u32>,
    pause: &mut Duration,
) -> Result<(), ReadError> {
    let mut session = imap::open(mb).await.map_err(ReadError::Imap)?;
    tracing::info!(mailbox = %mb.key(), idle = session.can_idle, "reading the support mailbox");
    loop {
        let done = pass(state, mb, &mut session, failures).await?;
        if done != Fetched::default() {
            tracing::info!(mailbox = %mb.key(), ?done, "support mailbox read");
        }
        *pause = Duration::from_secs(5);
        session = session.wait().await.map_err(ReadError::Imap)?;
    }
}

/// The mailbox the settings name (`CRM_IMAP_URL`), if any; an error (which stops the server)
/// when the URL cannot be used.
pub fn from_settings(config: &Config) -> Result<Option<Mailbox>, String> {
    match config
        .imap_url
        .as_deref()
        .map(str::trim)
        .filter(|u| !u.is_empty())
    {
        None => Ok(None),
        Some(url) => Mailbox::from_url(url).map(Some),
    }
}
