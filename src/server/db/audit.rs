//! The append-only audit log. Rows are only ever inserted (triggers refuse updates and
//! deletes); writes that change records insert their audit row in the same transaction.

use super::{Conn, on};
use chrono::{DateTime, Utc};
use sqlx::types::Json;
use uuid::Uuid;

#[derive(Clone, Debug, Default)]
pub struct NewEntry {
    pub actor_id: Option<Uuid>,
    pub actor_label: Option<String>,
    pub subject_id: Option<Uuid>,
    pub action: String,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub details: serde_json::Value,
}

pub async fn insert(
    c: &mut Conn<'_>,
    e: &NewEntry,
    now: DateTime<Utc>,
) -> Result<Uuid, sqlx::Error> {
    let id = Uuid::now_v7();
    let sql =
        "insert into audit_log (id, at, actor_id, actor_label, subject_id, action, target_type,
                                      target_id, ip, user_agent, details)
               values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";
    let details = Json(if e.details.is_null() {
        serde_json::json!({})
    } else {
        e.details.clone()
    });
    on!(c, c => sqlx::query(sql)
        .bind(id)
        .bind(now)
        .bind(e.actor_id)
        .bind(e.actor_label.as_deref())
        .bind(e.subject_id)
        .bind(&e.action)
        .bind(e.target_type.as_deref())
        .bind(e.target_id.as_deref())
        .bind(e.ip.as_deref())
        .bind(e.user_agent.as_deref())
        .bind(&details)
        .execute(c)
        .await
        .map(|_| ()))?;
    Ok(id)
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct EntryRow {
    pub seq: i64,
    pub id: Uuid,
    pub at: DateTime<Utc>,
    pub actor_id: Option<Uuid>,
    pub actor_label: Option<String>,
    pub subject_id: Option<Uuid>,
    pub action: String,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub details: Json<serde_json::Value>,
}

/// The newest entries, optionally only those of one action.
pub async fn recent(
    c: &mut Conn<'_>,
    action: Option<&str>,
    limit: i64,
) -> Result<Vec<EntryRow>, sqlx::Error> {
    let sql =
        "select seq, id, at, actor_id, actor_label, subject_id, action, target_type, target_id,
                      ip, user_agent, details
               from audit_log where ($1 is null or action = $1) order by seq desc limit $2";
    on!(c, c => sqlx::query_as(sql).bind(action).bind(limit).fetch_all(c).await)
}

/// The audit entries about one record, newest first, with the actor's name.
pub async fn for_target(
    c: &mut Conn<'_>,
    target_type: &str,
    target_id: &str,
    limit: i64,
) -> Result<Vec<(EntryRow, Option<String>)>, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        entry: EntryRow,
        actor_name: Option<String>,
    }
    let sql = "select a.seq, a.id, a.at, a.actor_id, a.actor_label, a.subject_id, a.action, a.target_type,
                      a.target_id, a.ip, a.user_agent, a.details, u.name as actor_name
               from audit_log a left join users u on u.id = a.actor_id
               where a.target_type = $1 and a.target_id = $2 order by a.seq desc limit $3";
    let rows: Vec<Row> = on!(c, c => sqlx::query_as(sql).bind(target_type).bind(target_id).bind(limit).fetch_all(c).await)?;
    Ok(rows.into_iter().map(|r| (r.entry, r.actor_name)).collect())
}
