//! Mail the CRM received, each message kept whole and once (by its Message-ID) with what
//! became of it.

use super::{Conn, on};
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// A received message and its outcome.
#[derive(Clone, Debug)]
pub struct Received<'a> {
    pub id: Uuid,
    pub message_id: &'a str,
    pub from_address: &'a str,
    pub subject: &'a str,
    /// `ticket`, `reply`, `ignored`, `logged` (to timelines) or `refused`.
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
    let size = i64::try_from(m.raw.len()).unwrap_or(i64::MAX);
    insert_sized(c, m, size, now).await
}

/// Keeps a message that was refused unread: its size as the server gave it, no content.
pub async fn insert_sized(
    c: &mut Conn<'_>,
    m: &Received<'_>,
    size: i64,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let sql = "insert into inbound_mail (message_id, from_address, subject, outcome, reason,
                   ticket_id, size, raw, received_at, id)
               values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) on conflict (message_id) do nothing";
    on!(c, c => sqlx::query(sql).bind(m.message_id).bind(m.from_address).bind(m.subject)
        .bind(m.outcome).bind(m.reason).bind(m.ticket_id).bind(size).bind(m.raw).bind(now).bind(m.id)
        .execute(c).await.map(|r| r.rows_affected() == 1))
}

/// How many messages from `address` that were acted on (not ignored) arrived since `since`.
pub async fn acted_on_since(
    c: &mut Conn<'_>,
    address: &str,
    since: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    let sql = "select count(*) from inbound_mail
               where from_address = $1 and received_at > $2 and outcome in ('ticket', 'reply', 'logged')";
    on!(c, c => sqlx::query_scalar(sql).bind(address).bind(since).fetch_one(c).await)
}

/// Where the reader is in a mailbox: the folder's UIDVALIDITY and the last UID taken.
pub async fn cursor(c: &mut Conn<'_>, mailbox: &str) -> Result<Option<(u32, u32)>, sqlx::Error> {
    let sql = "select uid_validity, last_uid from mailbox_cursor where mailbox = $1";
    let row: Option<(i64, i64)> =
        on!(c, c => sqlx::query_as(sql).bind(mailbox).fetch_optional(c).await)?;
    Ok(row.map(|(v, u)| {
        (
            u32::try_from(v).unwrap_or_default(),
            u32::try_from(u).unwrap_or_default(),
        )
    }))
}

/// Moves the reader's place in a mailbox.
pub async fn set_cursor(
    c: &mut Conn<'_>,
    mailbox: &str,
    uid_validity: u32,
    last_uid: u32,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let sql = "insert into mailbox_cursor (mailbox, uid_validity, last_uid, updated_at)
               values ($1, $2, $3, $4)
               on conflict (mailbox) do update set uid_validity = excluded.uid_validity,
                   last_uid = excluded.last_uid, updated_at = excluded.updated_at";
    on!(c, c => sqlx::query(sql).bind(mailbox).bind(i64::from(uid_validity))
        .bind(i64::from(last_uid)).bind(now).execute(c).await.map(|_| ()))
}

/// A stored message: its raw bytes and what it was about, for those allowed to read it.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Stored {
    pub id: Uuid,
    pub message_id: String,
    pub from_address: String,
    pub subject: String,
    pub outcome: String,
    pub ticket_id: Option<Uuid>,
    pub raw: Vec<u8>,
    pub received_at: DateTime<Utc>,
}

pub async fn get(c: &mut Conn<'_>, id: Uuid) -> Result<Option<Stored>, sqlx::Error> {
    let sql = "select id, message_id, from_address, subject, outcome, ticket_id, raw, received_at
               from inbound_mail where id = $1";
    on!(c, c => sqlx::query_as(sql).bind(id).fetch_optional(c).await)
}

/// The records a mail's address names: contacts and leads with that address, and the open
/// opportunities whose primary contact it is.
pub async fn named_by(
    c: &mut Conn<'_>,
    address: &str,
) -> Result<Vec<(crate::domain::records::RecordKind, Uuid)>, sqlx::Error> {
    use crate::domain::records::RecordKind;
    let contacts: Vec<Uuid> = on!(c, c => sqlx::query_scalar("select id from contacts where email = $1")
        .bind(address).fetch_all(c).await)?;
    let leads: Vec<Uuid> = on!(c, c => sqlx::query_scalar("select id from leads where email = $1 order by created_at limit 20")
        .bind(address).fetch_all(c).await)?;
    let mut named: Vec<(RecordKind, Uuid)> = Vec::new();
    for &k in &contacts {
        named.push((RecordKind::Contact, k));
        let deals: Vec<Uuid> = on!(c, c => sqlx::query_scalar(
            "select id from opportunities where primary_contact_id = $1 and closed_at is null
             order by created_at limit 20")
            .bind(k).fetch_all(c).await)?;
        named.extend(deals.into_iter().map(|d| (RecordKind::Opportunity, d)));
    }
    named.extend(leads.into_iter().map(|l| (RecordKind::Lead, l)));
    Ok(named)
}

/// An attachment of a received mail.
#[derive(Clone, Debug, sqlx::FromRow, serde::Serialize)]
pub struct AttachmentRow {
    pub id: Uuid,
    pub mail_id: Uuid,
    pub ticket_id: Option<Uuid>,
    pub comment_id: Option<Uuid>,
    pub name: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub stored: bool,
    pub created_at: DateTime<Utc>,
}

pub async fn insert_attachment(c: &mut Conn<'_>, a: &AttachmentRow) -> Result<(), sqlx::Error> {
    let sql =
        "insert into mail_attachments (id, mail_id, ticket_id, comment_id, name, content_type,
                   size, sha256, stored, created_at)
               values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
    on!(c, c => sqlx::query(sql).bind(a.id).bind(a.mail_id).bind(a.ticket_id).bind(a.comment_id)
        .bind(&a.name).bind(&a.content_type).bind(a.size).bind(&a.sha256).bind(a.stored)
        .bind(a.created_at).execute(c).await.map(|_| ()))
}

const ATTACHMENT_COLUMNS: &str = "id, mail_id, ticket_id, comment_id, name, content_type, size,
    sha256, stored, created_at";

/// A ticket's attachments, oldest first.
pub async fn attachments_of(
    c: &mut Conn<'_>,
    ticket_id: Uuid,
) -> Result<Vec<AttachmentRow>, sqlx::Error> {
    let sql = format!(
        "select {ATTACHMENT_COLUMNS} from mail_attachments where ticket_id = $1 order by created_at, id"
    );
    on!(c, c => sqlx::query_as(&sql).bind(ticket_id).fetch_all(c).await)
}

pub async fn attachment(c: &mut Conn<'_>, id: Uuid) -> Result<Option<AttachmentRow>, sqlx::Error> {
    let sql = format!("select {ATTACHMENT_COLUMNS} from mail_attachments where id = $1");
    on!(c, c => sqlx::query_as(&sql).bind(id).fetch_optional(c).await)
}

/// The records a logged mail's activities are on (who may read the stored message).
pub async fn logged_on(
    c: &mut Conn<'_>,
    mail_id: Uuid,
) -> Result<Vec<(crate::domain::records::RecordKind, Uuid)>, sqlx::Error> {
    let sql = "select related_type, related_id from activities where mail_id = $1";
    on!(c, c => sqlx::query_as(sql).bind(mail_id).fetch_all(c).await)
}

/// Writes what became of a kept message.
pub async fn set_outcome(
    c: &mut Conn<'_>,
    id: Uuid,
    outcome: &str,
    reason: Option<&str>,
    ticket_id: Option<Uuid>,
) -> Result<(), sqlx::Error> {
    let sql = "update inbound_mail set outcome = $2, reason = $3, ticket_id = $4 where id = $1";
    on!(c, c => sqlx::query(sql).bind(id).bind(outcome).bind(reason).bind(ticket_id)
        .execute(c).await.map(|_| ()))
}
