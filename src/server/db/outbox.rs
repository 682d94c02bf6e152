//! The outbox: mail written in the transaction of the change that causes it, then delivered
//! by the mail worker (`server::mail::worker`). A row is claimed before it is sent, so several
//! workers (several app servers on one PostgreSQL database) never send the same row at once.

use super::{Conn, on};
use crate::domain::mail::OutboxMail;
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// A mail to write.
#[derive(Clone, Debug)]
pub struct NewMail<'a> {
    pub id: Uuid,
    pub purpose: &'a str,
    pub to_address: &'a str,
    pub to_name: Option<&'a str>,
    pub subject: &'a str,
    pub text_body: &'a str,
    pub html_body: Option<&'a str>,
    pub message_id: &'a str,
    pub in_reply_to: Option<&'a str>,
    pub references: Option<&'a str>,
    /// Sent by the CRM on its own (`Auto-Submitted: auto-generated`).
    pub automatic: bool,
    pub unsubscribe: Option<&'a str>,
    /// Where replies go, when not to the sender.
    pub reply_to: Option<&'a str>,
}

/// A mail as the worker sends it.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Mail {
    pub id: Uuid,
    pub purpose: String,
    pub to_address: String,
    pub to_name: Option<String>,
    pub subject: String,
    pub text_body: String,
    pub html_body: Option<String>,
    pub message_id: String,
    pub in_reply_to: Option<String>,
    pub refs: Option<String>,
    pub automatic: bool,
    pub unsubscribe: Option<String>,
    pub reply_to: Option<String>,
    pub attempts: i64,
}

const MAIL: &str = "id, purpose, to_address, to_name, subject, text_body, html_body, message_id,
    in_reply_to, refs, automatic, unsubscribe, reply_to, attempts";
/// What the outbox page shows of a mail: never its body.
const LISTED: &str = "id, purpose, to_address, subject, message_id, state, attempts,
    next_attempt_at, last_error, server_reply, created_at, sent_at";

pub async fn insert(
    c: &mut Conn<'_>,
    m: &NewMail<'_>,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let sql = "insert into outbox (id, purpose, to_address, to_name, subject, text_body, html_body,
                   message_id, in_reply_to, refs, automatic, unsubscribe, reply_to, state,
                   attempts, next_attempt_at, created_at)
               values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 'queued', 0, $14, $14)";
    on!(c, c => sqlx::query(sql)
        .bind(m.id).bind(m.purpose).bind(m.to_address).bind(m.to_name).bind(m.subject)
        .bind(m.text_body).bind(m.html_body).bind(m.message_id).bind(m.in_reply_to)
        .bind(m.references).bind(m.automatic).bind(m.unsubscribe).bind(m.reply_to).bind(now)
        .execute(c).await.map(|_| ()))
}

/// Claims up to `limit` mails that are due (queued and due, or claimed by a worker whose
/// claim ran out: it stopped between claiming and recording the outcome) until `until`,
/// counting the attempt. Inside a transaction; on PostgreSQL rows another worker holds are
/// skipped, not waited for.
pub async fn claim(
    c: &mut Conn<'_>,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<Mail>, sqlx::Error> {
    let due = "select id from outbox
               where (state = 'queued' and next_attempt_at <= $1)
                  or (state = 'sending' and claimed_until <= $1)
               order by next_attempt_at limit $3";
    let sql = |lock: &str| {
        format!(
            "update outbox set state = 'sending', claimed_until = $2, attempts = attempts + 1
             where id in ({due}{lock}) returning {MAIL}"
        )
    };
    match c {
        Conn::Sqlite(c) => {
            sqlx::query_as(&sql(""))
                .bind(now)
                .bind(until)
                .bind(limit)
                .fetch_all(&mut **c)
                .await
        }
        Conn::Postgres(c) => {
            sqlx::query_as(&sql(" for update skip locked"))
                .bind(now)
                .bind(until)
                .bind(limit)
                .fetch_all(&mut **c)
                .await
        }
    }
}

/// Records a delivery: the server's reply, and the bodies cleared (they may hold one-time
/// links). False when the claim was lost meanwhile.
pub async fn mark_sent(
    c: &mut Conn<'_>,
    id: Uuid,
    reply: &str,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let sql =
        "update outbox set state = 'sent', sent_at = $2, server_reply = $3, claimed_until = null,
                   text_body = '', html_body = null, last_error = null
               where id = $1 and state = 'sending'";
    on!(c, c => sqlx::query(sql).bind(id).bind(now).bind(reply)
        .execute(c).await.map(|r| r.rows_affected() == 1))
}

/// A failed attempt: tried again at `next` (queued), or, with no `next`, failed for good.
pub async fn mark_unsent(
    c: &mut Conn<'_>,
    id: Uuid,
    error: &str,
    next: Option<DateTime<Utc>>,
) -> Result<bool, sqlx::Error> {
    let sql = match next {
        Some(_) => {
            "update outbox set state = 'queued', next_attempt_at = $3, last_error = $2, claimed_until = null
             where id = $1 and state = 'sending'"
        }
        None => {
            "update outbox set state = 'failed', last_error = $2, claimed_until = null
             where id = $1 and state = 'sending'"
        }
    };
    on!(c, c => {
        let q = sqlx::query(sql).bind(id).bind(error);
        let q = match next { Some(at) => q.bind(at), None => q };
        q.execute(c).await.map(|r| r.rows_affected() == 1)
    })
}

/// Puts a failed mail back in the queue, due now. False when it is not failed.
pub async fn retry(c: &mut Conn<'_>, id: Uuid, now: DateTime<Utc>) -> Result<bool, sqlx::Error> {
    let sql = "update outbox set state = 'queued', next_attempt_at = $2, attempts = 0
               where id = $1 and state = 'failed'";
    on!(c, c => sqlx::query(sql).bind(id).bind(now)
        .execute(c).await.map(|r| r.rows_affected() == 1))
}

/// The newest mails, optionally in one state.
pub async fn list(
    c: &mut Conn<'_>,
    state: Option<&str>,
    limit: i64,
) -> Result<Vec<OutboxMail>, sqlx::Error> {
    let sql = format!(
        "select {LISTED} from outbox where ($1 is null or state = $1)
         order by created_at desc, id desc limit $2"
    );
    on!(c, c => sqlx::query_as(&sql).bind(state).bind(limit).fetch_all(c).await)
}

pub async fn get(c: &mut Conn<'_>, id: Uuid) -> Result<Option<OutboxMail>, sqlx::Error> {
    let sql = format!("select {LISTED} from outbox where id = $1");
    on!(c, c => sqlx::query_as(&sql).bind(id).fetch_optional(c).await)
}

/// How many mails are waiting to be sent (queued or being sent).
pub async fn waiting(c: &mut Conn<'_>) -> Result<i64, sqlx::Error> {
    let sql = "select count(*) from outbox where state in ('queued', 'sending')";
    on!(c, c => sqlx::query_scalar(sql).fetch_one(c).await)
}
