//! Portal access of contacts: who may sign in, their sign-in rows and their invite links.

use super::{Conn, on};
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// A contact as the portal's sign-in sees them.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct PortalContact {
    pub id: Uuid,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub title: Option<String>,
    pub account_id: Option<Uuid>,
    pub account_name: Option<String>,
    pub role: crate::domain::contact::ContactRole,
    pub active: bool,
    pub portal_enabled: bool,
    pub portal_password_hash: Option<String>,
    pub portal_last_login_at: Option<DateTime<Utc>>,
    pub time_zone: Option<String>,
    pub locale: Option<String>,
}

impl PortalContact {
    /// Why this contact may not use the portal now, if they may not (seed 001: only active
    /// prospects and clients whose access is enabled).
    pub fn refusal(&self) -> Option<&'static str> {
        use crate::domain::contact::ContactRole;
        if !self.active {
            Some("The contact is inactive.")
        } else if self.role == ContactRole::Lead {
            Some("Only prospects and clients use the portal; this contact is a lead.")
        } else if !self.portal_enabled {
            Some("Portal access is not enabled.")
        } else {
            None
        }
    }

    pub fn name(&self) -> String {
        [self.first_name.as_deref(), self.last_name.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ")
    }
}

const SELECT: &str =
    "select c.id, c.first_name, c.last_name, c.email, c.phone, c.title, c.account_id,
        a.name as account_name, c.role, c.active, c.portal_enabled, c.portal_password_hash,
        c.portal_last_login_at, c.time_zone, c.locale
    from contacts c left join accounts a on a.id = c.account_id";

pub async fn by_email(c: &mut Conn<'_>, email: &str) -> Result<Option<PortalContact>, sqlx::Error> {
    let sql = format!("{SELECT} where c.email = $1");
    on!(c, c => sqlx::query_as(&sql).bind(email).fetch_optional(c).await)
}

pub async fn by_id(c: &mut Conn<'_>, id: Uuid) -> Result<Option<PortalContact>, sqlx::Error> {
    let sql = format!("{SELECT} where c.id = $1");
    on!(c, c => sqlx::query_as(&sql).bind(id).fetch_optional(c).await)
}

pub async fn set_enabled(
    c: &mut Conn<'_>,
    id: Uuid,
    enabled: bool,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let sql = "update contacts set portal_enabled = $2, updated_at = $3, version = version + 1 where id = $1";
    on!(c, c => sqlx::query(sql).bind(id).bind(enabled).bind(now).execute(c).await.map(|r| r.rows_affected() == 1))
}

pub async fn set_password(c: &mut Conn<'_>, id: Uuid, hash: &str) -> Result<(), sqlx::Error> {
    let sql = "update contacts set portal_password_hash = $2 where id = $1";
    on!(c, c => sqlx::query(sql).bind(id).bind(hash).execute(c).await.map(|_| ()))
}

/// The profile fields a portal user edits themselves.
pub async fn update_profile(
    c: &mut Conn<'_>,
    id: Uuid,
    p: &crate::domain::portal::PortalProfilePatch,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let sql = "update contacts set first_name = $2, last_name = $3, phone = $4, title = $5, updated_at = $6,
                   time_zone = $7, locale = $8, version = version + 1
               where id = $1";
    on!(c, c => sqlx::query(sql).bind(id).bind(&p.first_name).bind(&p.last_name).bind(&p.phone)
        .bind(&p.title).bind(now).bind(&p.time_zone).bind(&p.locale).execute(c).await.map(|_| ()))
}

pub async fn insert_invite(
    c: &mut Conn<'_>,
    token_hash: &str,
    contact_id: Uuid,
    by: Option<Uuid>,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    // A new invite retires the older ones: only the latest link works.
    let retire = "update portal_invites set used_at = $2 where contact_id = $1 and used_at is null";
    let insert =
        "insert into portal_invites (token_hash, contact_id, created_by, created_at, expires_at)
                  values ($1, $2, $3, $4, $5)";
    on!(c, c => {
        sqlx::query(retire).bind(contact_id).bind(now).execute(&mut *c).await?;
        sqlx::query(insert).bind(token_hash).bind(contact_id).bind(by).bind(now).bind(expires_at)
            .execute(&mut *c).await.map(|_| ())
    })
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Invite {
    pub contact_id: Uuid,
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
}

pub async fn find_invite(
    c: &mut Conn<'_>,
    token_hash: &str,
) -> Result<Option<Invite>, sqlx::Error> {
    let sql = "select contact_id, expires_at, used_at from portal_invites where token_hash = $1";
    on!(c, c => sqlx::query_as(sql).bind(token_hash).fetch_optional(c).await)
}

/// Marks an invite used; false when someone else used it first.
pub async fn use_invite(
    c: &mut Conn<'_>,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let sql = "update portal_invites set used_at = $2 where token_hash = $1 and used_at is null";
    on!(c, c => sqlx::query(sql).bind(token_hash).bind(now).execute(c).await.map(|r| r.rows_affected() == 1))
}

pub async fn insert_session(
    c: &mut Conn<'_>,
    id: Uuid,
    contact_id: Uuid,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    ip: &str,
    user_agent: &str,
) -> Result<(), sqlx::Error> {
    let sql = "insert into portal_sessions (id, contact_id, created_at, last_seen_at, expires_at, ip, user_agent)
               values ($1, $2, $3, $3, $4, $5, $6)";
    let login = "update contacts set portal_last_login_at = $2 where id = $1";
    on!(c, c => {
        sqlx::query(sql).bind(id).bind(contact_id).bind(now).bind(expires_at).bind(ip).bind(user_agent)
            .execute(&mut *c).await?;
        sqlx::query(login).bind(contact_id).bind(now).execute(&mut *c).await.map(|_| ())
    })
}

#[derive(Debug, sqlx::FromRow)]
pub struct SessionWithContact {
    pub session_id: Uuid,
    pub last_seen_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    #[sqlx(flatten)]
    pub contact: PortalContact,
}

pub async fn session(
    c: &mut Conn<'_>,
    id: Uuid,
) -> Result<Option<SessionWithContact>, sqlx::Error> {
    let sql = "select s.id as session_id, s.last_seen_at, s.expires_at, s.ended_at,
                      c.id, c.first_name, c.last_name, c.email, c.phone, c.title, c.account_id,
                      a.name as account_name, c.role, c.active, c.portal_enabled, c.portal_password_hash,
                      c.portal_last_login_at, c.time_zone, c.locale
               from portal_sessions s join contacts c on c.id = s.contact_id
               left join accounts a on a.id = c.account_id
               where s.id = $1";
    on!(c, c => sqlx::query_as(sql).bind(id).fetch_optional(c).await)
}

pub async fn touch_session(
    c: &mut Conn<'_>,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let sql = "update portal_sessions set last_seen_at = $2 where id = $1 and ended_at is null";
    on!(c, c => sqlx::query(sql).bind(id).bind(now).execute(c).await.map(|_| ()))
}

pub async fn end_session(
    c: &mut Conn<'_>,
    id: Uuid,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let sql = "update portal_sessions set ended_at = $2, end_reason = $3 where id = $1 and ended_at is null";
    on!(c, c => sqlx::query(sql).bind(id).bind(now).bind(reason).execute(c).await.map(|_| ()))
}

/// Ends every portal sign-in of a contact (access turned off, contact deactivated).
pub async fn end_all_sessions(
    c: &mut Conn<'_>,
    contact_id: Uuid,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<u64, sqlx::Error> {
    let sql = "update portal_sessions set ended_at = $2, end_reason = $3 where contact_id = $1 and ended_at is null";
    on!(c, c => sqlx::query(sql).bind(contact_id).bind(now).bind(reason).execute(c).await.map(|r| r.rows_affected()))
}

/// Ends a contact's portal sign-ins but `keep` (the one asking).
pub async fn end_other_sessions(
    c: &mut Conn<'_>,
    contact_id: Uuid,
    keep: Uuid,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<u64, sqlx::Error> {
    let sql = "update portal_sessions set ended_at = $3, end_reason = $4
               where contact_id = $1 and id <> $2 and ended_at is null";
    on!(c, c => sqlx::query(sql).bind(contact_id).bind(keep).bind(now).bind(reason)
        .execute(c).await.map(|r| r.rows_affected()))
}
