//! Sign-in sessions as the server sees them. The cookie session (tower-sessions) only points
//! at a row here; this row decides whether the sign-in is still good.

use super::cells::{Cells, Decoded, rows_decoded};
use super::sql::Arg;
use super::users::UserRow;
use super::{Conn, Db, on};
use chrono::{DateTime, Utc};
use uuid::Uuid;

pub struct NewSession<'a> {
    pub id: Uuid,
    pub user_id: Uuid,
    pub now: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub ip: &'a str,
    pub user_agent: &'a str,
}

pub async fn insert(c: &mut Conn<'_>, s: &NewSession<'_>) -> Result<(), sqlx::Error> {
    let sql = "insert into auth_sessions (id, user_id, created_at, last_seen_at, expires_at, ip, user_agent)
               values ($1, $2, $3, $3, $4, $5, $6)";
    on!(c, c => sqlx::query(sql)
        .bind(s.id)
        .bind(s.user_id)
        .bind(s.now)
        .bind(s.expires_at)
        .bind(s.ip)
        .bind(s.user_agent)
        .execute(c)
        .await
        .map(|_| ()))
}

/// A live sign-in with its user, as loaded on every request that carries the cookie.
#[derive(Debug)]
pub struct SessionWithUser {
    pub session_id: Uuid,
    pub last_seen_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    /// The reach generation when the row was read (see `state::ReachMemo`).
    pub reach_generation: i64,
    pub user: UserRow,
}

impl Decoded for SessionWithUser {
    fn decode(r: &impl Cells) -> Result<Self, sqlx::Error> {
        Ok(SessionWithUser {
            session_id: r.cell("session_id")?,
            last_seen_at: r.cell("last_seen_at")?,
            expires_at: r.cell("expires_at")?,
            ended_at: r.cell("ended_at")?,
            reach_generation: r.cell("reach_generation")?,
            user: UserRow::decode(r)?,
        })
    }
}

rows_decoded!(SessionWithUser);

/// A sign-in session by id, with its user.
pub const WITH_USER: &str = "select s.id as session_id, s.last_seen_at, s.expires_at, s.ended_at,
                      u.id, u.email, u.name, u.role, u.password_hash, u.active,
                      u.created_at, u.updated_at, u.last_login_at, u.time_zone, u.locale,
                      (select n from reach_generation where id = 1) as reach_generation
               from auth_sessions s join users u on u.id = s.user_id
               where s.id = $1";

pub async fn with_user(c: &mut Conn<'_>, id: Uuid) -> Result<Option<SessionWithUser>, sqlx::Error> {
    on!(c, c => sqlx::query_as(WITH_USER).bind(id).fetch_optional(c).await)
}

/// The same outside any transaction, as every signed-in request asks it: read on the request's
/// own thread where the backend allows ([`Db::read_one`]).
pub async fn with_user_now(db: &Db, id: Uuid) -> Result<Option<SessionWithUser>, sqlx::Error> {
    db.read_one(WITH_USER, vec![Arg::Uuid(id)]).await
}

pub async fn touch(c: &mut Conn<'_>, id: Uuid, now: DateTime<Utc>) -> Result<(), sqlx::Error> {
    let sql = "update auth_sessions set last_seen_at = $2 where id = $1 and ended_at is null";
    on!(c, c => sqlx::query(sql).bind(id).bind(now).execute(c).await.map(|_| ()))
}

pub async fn end(
    c: &mut Conn<'_>,
    id: Uuid,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let sql = "update auth_sessions set ended_at = $2, end_reason = $3 where id = $1 and ended_at is null";
    on!(c, c => sqlx::query(sql).bind(id).bind(now).bind(reason).execute(c).await.map(|_| ()))
}

/// Ends every open sign-in of a user; returns how many were open.
pub async fn end_all_for_user(
    c: &mut Conn<'_>,
    user_id: Uuid,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<u64, sqlx::Error> {
    let sql = "update auth_sessions set ended_at = $2, end_reason = $3 where user_id = $1 and ended_at is null";
    on!(c, c => sqlx::query(sql).bind(user_id).bind(now).bind(reason).execute(c).await
        .map(|r| r.rows_affected()))
}

pub async fn count_open_for_user(
    c: &mut Conn<'_>,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    let sql = "select count(*) from auth_sessions where user_id = $1 and ended_at is null and expires_at > $2";
    on!(c, c => sqlx::query_scalar(sql).bind(user_id).bind(now).fetch_one(c).await)
}

/// An open sign-in, as its owner and admins see it.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct OpenSession {
    pub id: Uuid,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// A user's open sign-ins, most recently used first.
pub async fn open_for_user(
    c: &mut Conn<'_>,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Vec<OpenSession>, sqlx::Error> {
    let sql = "select id, created_at, last_seen_at, ip, user_agent from auth_sessions
               where user_id = $1 and ended_at is null and expires_at > $2
               order by last_seen_at desc, id";
    on!(c, c => sqlx::query_as(sql).bind(user_id).bind(now).fetch_all(c).await)
}

/// Ends one sign-in of this user; false when it is not theirs or already ended.
pub async fn end_own(
    c: &mut Conn<'_>,
    id: Uuid,
    user_id: Uuid,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let sql = "update auth_sessions set ended_at = $3, end_reason = $4
               where id = $1 and user_id = $2 and ended_at is null";
    on!(c, c => sqlx::query(sql).bind(id).bind(user_id).bind(now).bind(reason).execute(c).await
        .map(|r| r.rows_affected() == 1))
}

/// Ends every open sign-in of a user but one; returns how many ended.
pub async fn end_others(
    c: &mut Conn<'_>,
    user_id: Uuid,
    keep: Uuid,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<u64, sqlx::Error> {
    let sql = "update auth_sessions set ended_at = $3, end_reason = $4
               where user_id = $1 and id <> $2 and ended_at is null";
    on!(c, c => sqlx::query(sql).bind(user_id).bind(keep).bind(now).bind(reason).execute(c).await
        .map(|r| r.rows_affected()))
}
