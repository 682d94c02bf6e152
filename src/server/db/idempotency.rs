//! Stored first answers to creates, keyed by who sent them and the key they chose.

use super::{Conn, on};
use chrono::{DateTime, Utc};
use uuid::Uuid;

#[derive(Debug, sqlx::FromRow)]
pub struct Stored {
    pub request_hash: String,
    pub status: i32,
    pub response: String,
}

pub async fn find(
    c: &mut Conn<'_>,
    user_id: Uuid,
    key: &str,
) -> Result<Option<Stored>, sqlx::Error> {
    let sql = "select request_hash, status, response from idempotency_keys where user_id = $1 and key = $2";
    on!(c, c => sqlx::query_as(sql).bind(user_id).bind(key).fetch_optional(c).await)
}

/// One stored answer per user and key: a second writer of the same key lost a race.
pub const KEY_TAKEN: super::Unique = super::Unique {
    postgres: "idempotency_keys_pkey",
    sqlite: "idempotency_keys.user_id",
};

/// Stores the answer to a keyed request; a key already stored fails on [`KEY_TAKEN`].
pub async fn store(
    c: &mut Conn<'_>,
    user_id: Uuid,
    key: &str,
    request_hash: &str,
    status: i32,
    response: &str,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let sql =
        "insert into idempotency_keys (user_id, key, request_hash, status, response, created_at)
               values ($1, $2, $3, $4, $5, $6)";
    on!(c, c => sqlx::query(sql).bind(user_id).bind(key).bind(request_hash).bind(status).bind(response).bind(now)
        .execute(c).await.map(|_| ()))
}

/// Forgets keys older than `before` (they are kept a day).
pub async fn prune(c: &mut Conn<'_>, before: DateTime<Utc>) -> Result<u64, sqlx::Error> {
    on!(c, c => sqlx::query("delete from idempotency_keys where created_at < $1").bind(before).execute(c).await
        .map(|r| r.rows_affected()))
}
