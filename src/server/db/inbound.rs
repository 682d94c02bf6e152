//! Mail the CRM received, each message kept whole and once (by its Message-ID) with what
//! became of it.

use super::{Conn, on};
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// A received message and its outcome.
#[derive(Clone, Debug)]
pub struct Received<'a> {
    pub message_id: &'a str,
    pub from_address: &'a str,
    pub subject: &'a str,
    /// `ticket`, `reply` or `ignored`.
    pub outcome: &'a str,
    pub reason: Option<&'a str>,
    pub ticket_id: Option<Uuid>,
    pub raw: &'a [u8],
}

/// Keeps a message; false when a message with its Message-ID was kept before (nothing is
/// written then: a message read twice is handled once).
pub async fn insert(
    c: &mut Conn<'_>,
    m: &Received<'_>,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let sql = "insert into inbound_mail (message_id, from_address, subject, outcome, reason,
                   ticket_id, size, raw, received_at)
               values ($1, $2, $3, $4, $5, $6, $7, $8, $9) on conflict (message_id) do nothing";
    let size = i64::try_from(m.raw.len()).unwrap_or(i64::MAX);
    on!(c, c => sqlx::query(sql).bind(m.message_id).bind(m.from_address).bind(m.subject)
        .bind(m.outcome).bind(m.reason).bind(m.ticket_id).bind(size).bind(m.raw).bind(now)
        .execute(c).await.map(|r| r.rows_affected() == 1))
}

/// Whether a message with this Message-ID was received before.
pub async fn seen(c: &mut Conn<'_>, message_id: &str) -> Result<bool, sqlx::Error> {
    let sql = "select count(*) from inbound_mail where message_id = $1";
    on!(c, c => sqlx::query_scalar::<_, i64>(sql).bind(message_id).fetch_one(c).await.map(|n| n > 0))
}

/// How many messages from `address` that were acted on (not ignored) arrived since `since`.
pub async fn acted_on_since(
    c: &mut Conn<'_>,
    address: &str,
    since: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    let sql = "select count(*) from inbound_mail
               where from_address = $1 and received_at > $2 and outcome <> 'ignored'";
    on!(c, c => sqlx::query_scalar(sql).bind(address).bind(since).fetch_one(c).await)
}
