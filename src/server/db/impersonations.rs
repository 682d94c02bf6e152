//! Admins viewing the CRM as someone else: one row per impersonation, from start to stop.

use super::{Conn, on};
use chrono::{DateTime, Utc};
use uuid::Uuid;

pub struct NewImpersonation<'a> {
    pub id: Uuid,
    pub admin_id: Uuid,
    pub admin_session_id: Uuid,
    pub subject_user_id: Option<Uuid>,
    pub subject_contact_id: Option<Uuid>,
    pub via_account_id: Option<Uuid>,
    pub reason: &'a str,
    pub now: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

pub async fn insert(c: &mut Conn<'_>, i: &NewImpersonation<'_>) -> Result<(), sqlx::Error> {
    let sql = "insert into impersonations (id, admin_id, admin_session_id, subject_user_id,
                   subject_contact_id, via_account_id, reason, started_at, expires_at)
               values ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
    on!(c, c => sqlx::query(sql)
        .bind(i.id)
        .bind(i.admin_id)
        .bind(i.admin_session_id)
        .bind(i.subject_user_id)
        .bind(i.subject_contact_id)
        .bind(i.via_account_id)
        .bind(i.reason)
        .bind(i.now)
        .bind(i.expires_at)
        .execute(c)
        .await
        .map(|_| ()))
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ImpersonationRow {
    pub id: Uuid,
    pub admin_id: Uuid,
    pub admin_session_id: Uuid,
    pub subject_user_id: Option<Uuid>,
    pub subject_contact_id: Option<Uuid>,
    pub via_account_id: Option<Uuid>,
    pub reason: String,
    pub started_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
}

pub async fn by_id(c: &mut Conn<'_>, id: Uuid) -> Result<Option<ImpersonationRow>, sqlx::Error> {
    let sql = "select id, admin_id, admin_session_id, subject_user_id, subject_contact_id,
                      via_account_id, reason, started_at, expires_at, ended_at
               from impersonations where id = $1";
    on!(c, c => sqlx::query_as(sql).bind(id).fetch_optional(c).await)
}

/// Ends an impersonation; false when it had already ended.
pub async fn end(
    c: &mut Conn<'_>,
    id: Uuid,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let sql = "update impersonations set ended_at = $2, end_reason = $3
               where id = $1 and ended_at is null";
    on!(c, c => sqlx::query(sql).bind(id).bind(now).bind(reason).execute(c).await
        .map(|r| r.rows_affected() == 1))
}

/// Ends every impersonation begun in one admin sign-in (when that sign-in ends).
pub async fn end_for_admin_session(
    c: &mut Conn<'_>,
    admin_session_id: Uuid,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<u64, sqlx::Error> {
    let sql = "update impersonations set ended_at = $2, end_reason = $3
               where admin_session_id = $1 and ended_at is null";
    on!(c, c => sqlx::query(sql).bind(admin_session_id).bind(now).bind(reason).execute(c).await
        .map(|r| r.rows_affected()))
}

/// When admins viewed the CRM as this user, newest first, with the admin's name.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Viewing {
    pub admin_name: String,
    pub reason: String,
    pub started_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
}

pub async fn of_user(
    c: &mut Conn<'_>,
    user_id: Uuid,
    limit: i64,
) -> Result<Vec<Viewing>, sqlx::Error> {
    let sql = "select u.name as admin_name, i.reason, i.started_at, i.ended_at
               from impersonations i join users u on u.id = i.admin_id
               where i.subject_user_id = $1 order by i.started_at desc limit $2";
    on!(c, c => sqlx::query_as(sql).bind(user_id).bind(limit).fetch_all(c).await)
}

/// A company's primary contact: `None` when there is no such company, `Some(None)` when it
/// has no primary contact.
pub async fn primary_contact_of(
    c: &mut Conn<'_>,
    account_id: Uuid,
) -> Result<Option<Option<Uuid>>, sqlx::Error> {
    let sql = "select primary_contact_id from accounts where id = $1";
    on!(c, c => sqlx::query_scalar(sql).bind(account_id).fetch_optional(c).await)
}
