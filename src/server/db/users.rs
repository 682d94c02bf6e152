//! Staff users.

use super::cells::{Cells, Decoded, rows_decoded};
use super::{Conn, on};
use crate::domain::user::{CurrentUser, Role};
use chrono::{DateTime, Utc};
use uuid::Uuid;

#[derive(Clone, Debug)]
pub struct UserRow {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub password_hash: Option<String>,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub last_login_at: Option<DateTime<Utc>>,
    pub time_zone: Option<String>,
    pub locale: Option<String>,
}

impl Decoded for UserRow {
    fn decode(r: &impl Cells) -> Result<Self, sqlx::Error> {
        Ok(UserRow {
            id: r.cell("id")?,
            email: r.cell("email")?,
            name: r.cell("name")?,
            role: r.cell("role")?,
            password_hash: r.cell("password_hash")?,
            active: r.cell("active")?,
            created_at: r.cell("created_at")?,
            updated_at: r.cell("updated_at")?,
            last_login_at: r.cell("last_login_at")?,
            time_zone: r.cell("time_zone")?,
            locale: r.cell("locale")?,
        })
    }
}

rows_decoded!(UserRow);

impl UserRow {
    pub fn current(&self) -> CurrentUser {
        CurrentUser {
            id: self.id,
            email: self.email.clone(),
            name: self.name.clone(),
            role: self.role,
        }
    }
}

const COLUMNS: &str =
    "id, email, name, role, password_hash, active, created_at, updated_at, last_login_at,
     time_zone, locale";

pub struct NewUser<'a> {
    pub id: Uuid,
    pub email: &'a str,
    pub name: &'a str,
    pub role: Role,
    pub password_hash: Option<&'a str>,
    pub now: DateTime<Utc>,
}

pub async fn count(c: &mut Conn<'_>) -> Result<i64, sqlx::Error> {
    let sql = "select count(*) from users";
    on!(c, c => sqlx::query_scalar(sql).fetch_one(c).await)
}

/// Two users cannot share an email (in any case: it is stored normalised).
pub const EMAIL_TAKEN: super::Unique = super::Unique {
    postgres: "users_email_key",
    sqlite: "users.email",
};

/// Inserts a user; the email must already be normalised. A taken email fails on
/// [`EMAIL_TAKEN`].
pub async fn insert(c: &mut Conn<'_>, u: &NewUser<'_>) -> Result<(), sqlx::Error> {
    let sql =
        "insert into users (id, email, name, role, password_hash, active, created_at, updated_at)
               values ($1, $2, $3, $4, $5, $6, $7, $7)";
    on!(c, c => sqlx::query(sql)
        .bind(u.id)
        .bind(u.email)
        .bind(u.name)
        .bind(u.role)
        .bind(u.password_hash)
        .bind(true)
        .bind(u.now)
        .execute(c)
        .await
        .map(|_| ()))
}

pub async fn by_email(c: &mut Conn<'_>, email: &str) -> Result<Option<UserRow>, sqlx::Error> {
    let sql = format!("select {COLUMNS} from users where email = $1");
    on!(c, c => sqlx::query_as(&sql).bind(email).fetch_optional(c).await)
}

/// The earliest active super admin (who command-line work is done as by default).
pub async fn first_super_admin(c: &mut Conn<'_>) -> Result<Option<UserRow>, sqlx::Error> {
    let sql = format!(
        "select {COLUMNS} from users where role = 'super_admin' and active order by created_at limit 1"
    );
    on!(c, c => sqlx::query_as(&sql).fetch_optional(c).await)
}

pub async fn by_id(c: &mut Conn<'_>, id: Uuid) -> Result<Option<UserRow>, sqlx::Error> {
    let sql = format!("select {COLUMNS} from users where id = $1");
    on!(c, c => sqlx::query_as(&sql).bind(id).fetch_optional(c).await)
}

pub async fn set_password(
    c: &mut Conn<'_>,
    id: Uuid,
    hash: &str,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let sql = "update users set password_hash = $2, updated_at = $3 where id = $1";
    on!(c, c => sqlx::query(sql).bind(id).bind(hash).bind(now).execute(c).await
        .map(|r| r.rows_affected() == 1))
}

pub async fn set_active(
    c: &mut Conn<'_>,
    id: Uuid,
    active: bool,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let sql = "update users set active = $2, updated_at = $3 where id = $1";
    on!(c, c => sqlx::query(sql).bind(id).bind(active).bind(now).execute(c).await
        .map(|r| r.rows_affected() == 1))
}

/// A person's own name, time zone and locale (none: the installation's default).
pub async fn set_profile(
    c: &mut Conn<'_>,
    id: Uuid,
    name: &str,
    time_zone: Option<&str>,
    locale: Option<&str>,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let sql =
        "update users set name = $2, time_zone = $3, locale = $4, updated_at = $5 where id = $1";
    on!(c, c => sqlx::query(sql).bind(id).bind(name).bind(time_zone).bind(locale).bind(now)
        .execute(c).await.map(|r| r.rows_affected() == 1))
}

pub async fn record_login(
    c: &mut Conn<'_>,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let sql = "update users set last_login_at = $2 where id = $1";
    on!(c, c => sqlx::query(sql).bind(id).bind(now).execute(c).await.map(|_| ()))
}

/// Every active staff member, by name.
pub async fn active_staff(
    c: &mut Conn<'_>,
) -> Result<Vec<crate::domain::user::UserOption>, sqlx::Error> {
    let sql = "select id, name, role from users where active = $1 order by name, id";
    on!(c, c => sqlx::query_as(sql).bind(true).fetch_all(c).await)
}

/// A staff user as the admin list shows them.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ListedUser {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub last_login_at: Option<DateTime<Utc>>,
    pub has_password: bool,
    pub open_sessions: i64,
}

/// Every staff user, active first, by name, with how many sign-ins each has open.
pub async fn list(c: &mut Conn<'_>, now: DateTime<Utc>) -> Result<Vec<ListedUser>, sqlx::Error> {
    let sql = "select u.id, u.email, u.name, u.role, u.active, u.created_at, u.last_login_at,
                      (u.password_hash is not null) as has_password,
                      (select count(*) from auth_sessions s
                        where s.user_id = u.id and s.ended_at is null and s.expires_at > $1)
                        as open_sessions
               from users u order by u.active desc, lower(u.name), u.id";
    on!(c, c => sqlx::query_as(sql).bind(now).fetch_all(c).await)
}

pub async fn update_profile(
    c: &mut Conn<'_>,
    id: Uuid,
    name: &str,
    role: Role,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let sql = "update users set name = $2, role = $3, updated_at = $4 where id = $1";
    on!(c, c => sqlx::query(sql).bind(id).bind(name).bind(role).bind(now).execute(c).await
        .map(|r| r.rows_affected() == 1))
}

/// How many super admins can still sign in.
pub async fn active_super_admins(c: &mut Conn<'_>) -> Result<i64, sqlx::Error> {
    let sql = "select count(*) from users where role = 'super_admin' and active = $1";
    on!(c, c => sqlx::query_scalar(sql).bind(true).fetch_one(c).await)
}
