//! The mail worker: claims due mails from the outbox, sends them, and records the outcome.
//!
//! A mail is claimed (state `sending`, until a lease runs out) in one short transaction, sent
//! outside any transaction, and its outcome recorded in another. Several workers (one per app
//! server) never hold the same mail: on PostgreSQL the claim skips rows another worker has
//! locked, on SQLite claims are writes and writes take turns. A worker that stops after
//! claiming leaves the mail `sending` until its lease runs out; another worker then sends it
//! again, under the same Message-ID. That is the one case SMTP itself cannot make exactly-once
//! (the server accepted, the worker stopped before recording it): the shared Message-ID lets
//! the receiving side recognise the repeat.

use super::smtp::{Mailer, Outcome};
use crate::server::db::{Db, outbox};
use chrono::{DateTime, Duration, Utc};
use futures::StreamExt;
use std::sync::Arc;
use tokio::sync::Notify;

/// How long a claimed mail is the claiming worker's: longer than the SMTP timeout.
const LEASE: Duration = Duration::minutes(5);
/// Mails claimed at once.
const BATCH: i64 = 20;
/// SMTP connections a worker sends on at once (within the transport's pool of 10).
const CONNECTIONS: usize = 8;
/// Attempts before a mail that keeps failing temporarily is given up.
pub const MAX_ATTEMPTS: i64 = 8;

/// The wait before attempt `attempts + 1`: 30 s, 2 min, 8 min, … up to 6 hours.
pub fn backoff(attempts: i64) -> Duration {
    let seconds = 30i64.saturating_mul(4i64.saturating_pow(attempts.clamp(0, 10) as u32));
    Duration::seconds(seconds.min(6 * 3600))
}

/// What one pass of the worker did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Pass {
    pub sent: usize,
    pub retrying: usize,
    pub failed: usize,
}

/// Sends every mail that is due now, batch after batch, until none is left.
/// `now` is the server's clock.
pub async fn drain(
    db: &Db,
    mailer: &Mailer,
    now: &(dyn Fn() -> DateTime<Utc> + Send + Sync),
) -> Result<Pass, sqlx::Error> {
    let mut pass = Pass::default();
    loop {
        let claimed = {
            let now = now();
            let mut tx = db.begin().await?;
            let claimed = outbox::claim(&mut tx.c(), now, now + LEASE, BATCH).await?;
            tx.commit().await?;
            claimed
        };
        if claimed.is_empty() {
            return Ok(pass);
        }
        // Each recipient's mails in the order they were written, several recipients at once:
        // one SMTP connection carries about 20 mails a second here (lettre writes a message
        // and its final dot separately, and the second write waits for the server's delayed
        // ACK), so a batch is spread over the transport's pool.
        // Claimed rows come back in no particular order: in the order they were written
        // (ids are time-ordered) before they are grouped.
        let mut claimed = claimed;
        claimed.sort_by_key(|m| m.id);
        let mut by_recipient: Vec<Vec<outbox::Mail>> = Vec::new();
        for mail in claimed {
            match by_recipient
                .iter_mut()
                .find(|g| g[0].to_address.eq_ignore_ascii_case(&mail.to_address))
            {
                Some(group) => group.push(mail),
                None => by_recipient.push(vec![mail]),
            }
        }
        let passes: Vec<Pass> = futures::stream::iter(
            by_recipient
                .into_iter()
                .map(|group| send_in_order(db, mailer.clone(), group, now)),
        )
        .buffer_unordered(CONNECTIONS)
        .collect()
        .await;
        for p in passes {
            pass.sent += p.sent;
            pass.retrying += p.retrying;
            pass.failed += p.failed;
        }
    }
}

/// Sends one recipient's mails one after the other, recording each as soon as it is sent (so
/// a failure elsewhere never leaves a sent mail unrecorded).
async fn send_in_order(
    db: &Db,
    mailer: Mailer,
    group: Vec<outbox::Mail>,
    now: &(dyn Fn() -> DateTime<Utc> + Send + Sync),
) -> Pass {
    let mut pass = Pass::default();
    for mail in group {
        let outcome = mailer.send(&mail).await;
        if let Err(e) = record(db, &mail, &outcome, now(), &mut pass).await {
            tracing::warn!(mail = %mail.id, error = %e, "mail outcome not recorded; its lease will run out and it is tried again");
            break;
        }
    }
    pass
}

/// Records what became of one sending, in its own transaction.
async fn record(
    db: &Db,
    mail: &outbox::Mail,
    outcome: &Outcome,
    now: DateTime<Utc>,
    pass: &mut Pass,
) -> Result<(), sqlx::Error> {
    let mut tx = db.begin().await?;
    match outcome {
        Outcome::Sent(reply) => {
            outbox::mark_sent(&mut tx.c(), mail.id, reply, now).await?;
            pass.sent += 1;
        }
        Outcome::Temporary(error) if mail.attempts < MAX_ATTEMPTS => {
            let next = now + backoff(mail.attempts - 1);
            outbox::mark_unsent(&mut tx.c(), mail.id, error, Some(next)).await?;
            pass.retrying += 1;
        }
        Outcome::Temporary(error) | Outcome::Permanent(error) => {
            outbox::mark_unsent(&mut tx.c(), mail.id, error, None).await?;
            pass.failed += 1;
        }
    }
    tx.commit().await?;
    if !matches!(outcome, Outcome::Sent(_)) {
        tracing::warn!(mail = %mail.id, purpose = %mail.purpose, ?outcome, "mail not sent");
    }
    Ok(())
}

/// Runs the worker for as long as the server runs: a pass when woken (a change wrote mail)
/// and every few seconds (retries that came due, mail another server wrote).
pub async fn run(
    db: Db,
    mailer: Mailer,
    wake: Arc<Notify>,
    now: Box<dyn Fn() -> DateTime<Utc> + Send + Sync>,
) {
    let mut every = tokio::time::interval(std::time::Duration::from_secs(5));
    loop {
        tokio::select! {
            _ = every.tick() => {}
            _ = wake.notified() => {}
        }
        if let Err(e) = drain(&db, &mailer, &*now).await {
            tracing::warn!(error = %e, "mail worker pass failed; trying again shortly");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_wait_longer_each_time_up_to_six_hours() {
        assert_eq!(backoff(0), Duration::seconds(30));
        assert_eq!(backoff(1), Duration::seconds(120));
        assert_eq!(backoff(2), Duration::seconds(480));
        assert_eq!(backoff(7), Duration::hours(6));
        assert_eq!(backoff(100), Duration::hours(6));
    }
}
