//! Failed sign-in attempts, kept in the database so the limit holds across server processes.

use super::{Conn, on};
use chrono::{DateTime, Utc};

pub async fn record_failure(
    c: &mut Conn<'_>,
    key: &str,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    record_failure_for(c, key, None, now).await
}

/// A failure under `key` naming the account it was for (so an address's failures can be
/// counted by distinct account).
pub async fn record_failure_for(
    c: &mut Conn<'_>,
    key: &str,
    account: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let sql = "insert into login_failures (throttle_key, account, at) values ($1, $2, $3)";
    on!(c, c => sqlx::query(sql).bind(key).bind(account).bind(now).execute(c).await.map(|_| ()))
}

/// How many distinct accounts failed under `key` since `since`.
pub async fn distinct_accounts_since(
    c: &mut Conn<'_>,
    key: &str,
    since: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    let sql = "select count(distinct account) from login_failures
               where throttle_key = $1 and at > $2 and account is not null";
    on!(c, c => sqlx::query_scalar(sql).bind(key).bind(since).fetch_one(c).await)
}

/// Of the distinct accounts that failed under `key` since `since`, ordered by their latest
/// failure, the n-th newest one's latest failure: when it ages out, the count drops below n.
pub async fn nth_newest_account_since(
    c: &mut Conn<'_>,
    key: &str,
    since: DateTime<Utc>,
    n: i64,
) -> Result<Option<DateTime<Utc>>, sqlx::Error> {
    // Each account's latest failure, read as the column itself (an aggregate over text comes
    // back untyped from SQLite).
    let sql = "select f.at from login_failures f
               where f.throttle_key = $1 and f.at > $2 and f.account is not null
                 and not exists (select 1 from login_failures g where g.throttle_key = f.throttle_key
                                 and g.account = f.account and g.at > f.at)
               order by f.at desc limit 1 offset $3";
    on!(c, c => sqlx::query_scalar(sql).bind(key).bind(since).bind(n - 1).fetch_optional(c).await)
}

/// How many failures a key has since `since`, and the oldest of them.
pub async fn failures_since(
    c: &mut Conn<'_>,
    key: &str,
    since: DateTime<Utc>,
) -> Result<(i64, Option<DateTime<Utc>>), sqlx::Error> {
    // Two statements keep the decoded types simple on both backends (min() over text in
    // SQLite comes back untyped).
    let count_sql = "select count(*) from login_failures where throttle_key = $1 and at > $2";
    let oldest_sql =
        "select at from login_failures where throttle_key = $1 and at > $2 order by at limit 1";
    on!(c, c => {
        let n: i64 = sqlx::query_scalar(count_sql).bind(key).bind(since).fetch_one(&mut *c).await?;
        let oldest: Option<DateTime<Utc>> =
            sqlx::query_scalar(oldest_sql).bind(key).bind(since).fetch_optional(&mut *c).await?;
        Ok((n, oldest))
    })
}

/// The n-th newest failure of a key inside the window: the one whose expiry lifts the limit.
pub async fn nth_newest_since(
    c: &mut Conn<'_>,
    key: &str,
    since: DateTime<Utc>,
    n: i64,
) -> Result<Option<DateTime<Utc>>, sqlx::Error> {
    let sql = "select at from login_failures where throttle_key = $1 and at > $2
               order by at desc limit 1 offset $3";
    on!(c, c => sqlx::query_scalar(sql).bind(key).bind(since).bind(n - 1).fetch_optional(c).await)
}

pub async fn clear(c: &mut Conn<'_>, key: &str) -> Result<(), sqlx::Error> {
    let sql = "delete from login_failures where throttle_key = $1";
    on!(c, c => sqlx::query(sql).bind(key).execute(c).await.map(|_| ()))
}

pub async fn prune(c: &mut Conn<'_>, before: DateTime<Utc>) -> Result<u64, sqlx::Error> {
    let sql = "delete from login_failures where at < $1";
    on!(c, c => sqlx::query(sql).bind(before).execute(c).await.map(|r| r.rows_affected()))
}
