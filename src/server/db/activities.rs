//! Activities and tasks.

use super::list::ListSpec;
use super::sql::{SortColumn, SortType};
use super::{Conn, on};
use crate::domain::activity::{Activity, Task};
use crate::domain::records::RecordKind;
use chrono::{DateTime, Utc};
use uuid::Uuid;

pub const ACTIVITY_SELECT: &str =
    "select t.id, t.owner_id, u.name as owner_name, t.kind, t.subject, t.body,
        t.occurred_at, t.related_type, t.related_id, t.created_at, t.updated_at, t.version,
        t.mail_id
    from activities t left join users u on u.id = t.owner_id";

pub const ACTIVITIES: ListSpec = ListSpec {
    select: ACTIVITY_SELECT,
    alias: "t",
    sorts: &[
        SortColumn {
            field: "occurred_at",
            expr: "t.occurred_at",
            kind: SortType::Time,
        },
        SortColumn {
            field: "created_at",
            expr: "t.created_at",
            kind: SortType::Time,
        },
    ],
    default_sort: "occurred_at",
    default_descending: true,
    fts_table: None,
    walk_sorts: &[],
};

/// A task with the title of the record it is about, whatever its kind.
pub const TASK_SELECT: &str = "select t.id, t.owner_id, t.title, t.due_at, t.assignee_id, u.name as assignee_name,
        t.done_at, t.related_type, t.related_id,
        case t.related_type
            when 'lead' then (select name from leads where id = t.related_id)
            when 'account' then (select name from accounts where id = t.related_id)
            when 'contact' then (select trim(coalesce(first_name, '') || ' ' || coalesce(last_name, ''))
                                 from contacts where id = t.related_id)
            when 'opportunity' then (select name from opportunities where id = t.related_id)
        end as related_title,
        t.created_at, t.updated_at, t.version
    from tasks t left join users u on u.id = t.assignee_id";

pub const TASKS: ListSpec = ListSpec {
    select: TASK_SELECT,
    alias: "t",
    sorts: &[
        SortColumn {
            field: "due_at",
            expr: "coalesce(t.due_at, '9999-12-31T00:00:00+00:00')",
            kind: SortType::Time,
        },
        SortColumn {
            field: "created_at",
            expr: "t.created_at",
            kind: SortType::Time,
        },
    ],
    default_sort: "due_at",
    default_descending: false,
    fts_table: None,
    walk_sorts: &[],
};

pub async fn insert_activity(c: &mut Conn<'_>, a: &Activity) -> Result<(), sqlx::Error> {
    let sql = "insert into activities (id, owner_id, kind, subject, body, occurred_at, related_type, related_id,
                   created_at, updated_at, version, mail_id)
               values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, 1, $10)";
    on!(c, c => sqlx::query(sql)
        .bind(a.id).bind(a.owner_id).bind(a.kind).bind(&a.subject).bind(&a.body).bind(a.occurred_at)
        .bind(a.related_type).bind(a.related_id).bind(a.created_at).bind(a.mail_id)
        .execute(c).await.map(|_| ()))
}

pub async fn get_activity(c: &mut Conn<'_>, id: Uuid) -> Result<Option<Activity>, sqlx::Error> {
    let sql = format!("{ACTIVITY_SELECT} where t.id = $1");
    on!(c, c => sqlx::query_as(&sql).bind(id).fetch_optional(c).await)
}

/// The newest activities of one record.
pub async fn for_record(
    c: &mut Conn<'_>,
    kind: RecordKind,
    id: Uuid,
    limit: i64,
) -> Result<Vec<Activity>, sqlx::Error> {
    let sql = format!(
        "{ACTIVITY_SELECT} where t.related_type = $1 and t.related_id = $2 order by t.occurred_at desc limit $3"
    );
    on!(c, c => sqlx::query_as(&sql).bind(kind).bind(id).bind(limit).fetch_all(c).await)
}

pub async fn insert_task(c: &mut Conn<'_>, t: &Task) -> Result<(), sqlx::Error> {
    let sql = "insert into tasks (id, owner_id, title, due_at, assignee_id, done_at, related_type, related_id,
                   created_at, updated_at, version)
               values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, 1)";
    on!(c, c => sqlx::query(sql)
        .bind(t.id).bind(t.owner_id).bind(&t.title).bind(t.due_at).bind(t.assignee_id).bind(t.done_at)
        .bind(t.related_type).bind(t.related_id).bind(t.created_at)
        .execute(c).await.map(|_| ()))
}

pub async fn get_task(c: &mut Conn<'_>, id: Uuid) -> Result<Option<Task>, sqlx::Error> {
    let sql = format!("{TASK_SELECT} where t.id = $1");
    on!(c, c => sqlx::query_as(&sql).bind(id).fetch_optional(c).await)
}

pub async fn update_task(c: &mut Conn<'_>, t: &Task, version: i64) -> Result<bool, sqlx::Error> {
    let sql =
        "update tasks set title = $3, due_at = $4, assignee_id = $5, done_at = $6, updated_at = $7,
                   version = version + 1
               where id = $1 and version = $2";
    on!(c, c => sqlx::query(sql)
        .bind(t.id).bind(version).bind(&t.title).bind(t.due_at).bind(t.assignee_id).bind(t.done_at).bind(t.updated_at)
        .execute(c).await.map(|r| r.rows_affected() == 1))
}

/// Open tasks of one record, soonest first.
pub async fn open_tasks_for(
    c: &mut Conn<'_>,
    kind: RecordKind,
    id: Uuid,
) -> Result<Vec<Task>, sqlx::Error> {
    let sql = format!(
        "{TASK_SELECT} where t.related_type = $1 and t.related_id = $2
         order by t.done_at is not null, coalesce(t.due_at, '9999-12-31T00:00:00+00:00'), t.id limit 50"
    );
    on!(c, c => sqlx::query_as(&sql).bind(kind).bind(id).fetch_all(c).await)
}

/// A person's open tasks: overdue first (oldest due first), then by due date, undated last.
pub async fn open_tasks_of(
    c: &mut Conn<'_>,
    assignee: Uuid,
    limit: i64,
) -> Result<Vec<Task>, sqlx::Error> {
    let sql = format!(
        "{TASK_SELECT} where t.assignee_id = $1 and t.done_at is null
         order by coalesce(t.due_at, '9999-12-31T00:00:00+00:00'), t.id limit $2"
    );
    on!(c, c => sqlx::query_as(&sql).bind(assignee).bind(limit).fetch_all(c).await)
}

/// Tasks a person finished lately, newest first.
pub async fn done_tasks_of(
    c: &mut Conn<'_>,
    assignee: Uuid,
    since: DateTime<Utc>,
) -> Result<Vec<Task>, sqlx::Error> {
    let sql = format!(
        "{TASK_SELECT} where t.assignee_id = $1 and t.done_at >= $2 order by t.done_at desc limit 50"
    );
    on!(c, c => sqlx::query_as(&sql).bind(assignee).bind(since).fetch_all(c).await)
}
