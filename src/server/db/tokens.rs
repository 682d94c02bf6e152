//! API tokens (for scripts and integrations) and one-time links (setup, set-password).
//! Only SHA-256 hashes of the secrets are stored.

use super::cells::{Cells, Decoded, rows_decoded};
use super::sql::Arg;
use super::users::UserRow;
use super::{Conn, Db, on};
use chrono::{DateTime, Utc};
use uuid::Uuid;

pub async fn insert_api_token(
    c: &mut Conn<'_>,
    id: Uuid,
    user_id: Uuid,
    label: &str,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let sql = "insert into api_tokens (id, user_id, label, token_hash, created_at) values ($1, $2, $3, $4, $5)";
    on!(c, c => sqlx::query(sql).bind(id).bind(user_id).bind(label).bind(token_hash).bind(now)
        .execute(c).await.map(|_| ()))
}

#[derive(Debug)]
pub struct TokenWithUser {
    pub token_id: Uuid,
    pub last_used_at: Option<DateTime<Utc>>,
    /// The reach generation when the row was read (see `state::ReachMemo`).
    pub reach_generation: i64,
    pub user: UserRow,
}

impl Decoded for TokenWithUser {
    fn decode(r: &impl Cells) -> Result<Self, sqlx::Error> {
        Ok(TokenWithUser {
            token_id: r.cell("token_id")?,
            last_used_at: r.cell("last_used_at")?,
            reach_generation: r.cell("reach_generation")?,
            user: UserRow::decode(r)?,
        })
    }
}

rows_decoded!(TokenWithUser);

/// The live token with this hash, and its user.
pub const API_TOKEN_USER: &str = "select t.id as token_id, t.last_used_at,
                      u.id, u.email, u.name, u.role, u.password_hash, u.active,
                      u.created_at, u.updated_at, u.last_login_at, u.time_zone, u.locale,
                      (select n from reach_generation where id = 1) as reach_generation
               from api_tokens t join users u on u.id = t.user_id
               where t.token_hash = $1 and t.revoked_at is null";

/// The user behind a live (not revoked) API token.
pub async fn api_token_user(
    c: &mut Conn<'_>,
    token_hash: &str,
) -> Result<Option<TokenWithUser>, sqlx::Error> {
    on!(c, c => sqlx::query_as(API_TOKEN_USER).bind(token_hash).fetch_optional(c).await)
}

/// The same, outside any transaction: what every API request asks first, so it is read on the
/// request's own thread where the backend allows ([`Db::read_one`]).
pub async fn api_token_user_now(
    db: &Db,
    token_hash: &str,
) -> Result<Option<TokenWithUser>, sqlx::Error> {
    db.read_one(API_TOKEN_USER, vec![Arg::Text(token_hash.to_string())])
        .await
}

pub async fn touch_api_token(
    c: &mut Conn<'_>,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let sql = "update api_tokens set last_used_at = $2 where id = $1";
    on!(c, c => sqlx::query(sql).bind(id).bind(now).execute(c).await.map(|_| ()))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    Setup,
    SetPassword,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::Setup => "setup",
            Purpose::SetPassword => "set_password",
        }
    }
}

pub async fn insert_one_time(
    c: &mut Conn<'_>,
    token_hash: &str,
    purpose: Purpose,
    user_id: Option<Uuid>,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let sql = "insert into one_time_tokens (token_hash, purpose, user_id, created_at, expires_at)
               values ($1, $2, $3, $4, $5)";
    on!(c, c => sqlx::query(sql).bind(token_hash).bind(purpose.as_str()).bind(user_id).bind(now)
        .bind(expires_at).execute(c).await.map(|_| ()))
}

/// Retires every unused link of a purpose (and user, when given), so only the newest works.
pub async fn retire_one_time(
    c: &mut Conn<'_>,
    purpose: Purpose,
    user_id: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let sql = "update one_time_tokens set used_at = $3
               where purpose = $1 and used_at is null and ($2 is null or user_id = $2)";
    on!(c, c => sqlx::query(sql).bind(purpose.as_str()).bind(user_id).bind(now)
        .execute(c).await.map(|_| ()))
}

#[derive(Debug, sqlx::FromRow)]
pub struct OneTime {
    pub user_id: Option<Uuid>,
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
}

pub async fn find_one_time(
    c: &mut Conn<'_>,
    token_hash: &str,
    purpose: Purpose,
) -> Result<Option<OneTime>, sqlx::Error> {
    let sql = "select user_id, expires_at, used_at from one_time_tokens where token_hash = $1 and purpose = $2";
    on!(c, c => sqlx::query_as(sql).bind(token_hash).bind(purpose.as_str()).fetch_optional(c).await)
}

/// Marks a link used; false when it was already used (a second, racing use loses).
pub async fn use_one_time(
    c: &mut Conn<'_>,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let sql = "update one_time_tokens set used_at = $2 where token_hash = $1 and used_at is null";
    on!(c, c => sqlx::query(sql).bind(token_hash).bind(now).execute(c).await
        .map(|r| r.rows_affected() == 1))
}

/// A user's API tokens that still work, newest first.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct TokenRow {
    pub id: Uuid,
    pub label: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
}

pub async fn live_for_user(c: &mut Conn<'_>, user_id: Uuid) -> Result<Vec<TokenRow>, sqlx::Error> {
    let sql = "select id, label, created_at, last_used_at from api_tokens
               where user_id = $1 and revoked_at is null order by created_at desc, id";
    on!(c, c => sqlx::query_as(sql).bind(user_id).fetch_all(c).await)
}

/// Revokes one of this user's tokens; false when it is not theirs or already revoked.
pub async fn revoke(
    c: &mut Conn<'_>,
    id: Uuid,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let sql = "update api_tokens set revoked_at = $3
               where id = $1 and user_id = $2 and revoked_at is null";
    on!(c, c => sqlx::query(sql).bind(id).bind(user_id).bind(now).execute(c).await
        .map(|r| r.rows_affected() == 1))
}

/// Revokes every live API token of a user; how many were.
pub async fn revoke_all_for_user(
    c: &mut Conn<'_>,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> Result<u64, sqlx::Error> {
    let sql = "update api_tokens set revoked_at = $2 where user_id = $1 and revoked_at is null";
    on!(c, c => sqlx::query(sql).bind(user_id).bind(now).execute(c).await
        .map(|r| r.rows_affected()))
}
