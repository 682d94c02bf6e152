//! Imports (the background jobs) and their per-row outcomes.

use super::sql::{Arg, Sql};
use super::{Conn, on};
use crate::bind_all;
use crate::domain::import::{
    ColumnMap, DedupMode, ImportCounts, ImportKind, ImportStatus, ImportView, RowOutcome,
};
use chrono::{DateTime, Utc};
use uuid::Uuid;

crate::text_enum!(crate::domain::import::ImportKind);
crate::text_enum!(crate::domain::import::ImportStatus);
crate::text_enum!(crate::domain::import::DedupMode);

/// An import as stored.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Import {
    pub id: Uuid,
    pub kind: ImportKind,
    pub status: ImportStatus,
    pub file_name: String,
    pub file_path: String,
    pub file_bytes: i64,
    pub encoding: String,
    pub delimiter: String,
    pub skip_records: i64,
    pub dedup: DedupMode,
    pub mapping: String,
    pub sample: String,
    pub total_rows: Option<i64>,
    pub rows_done: i64,
    pub created: i64,
    pub updated: i64,
    pub skipped_duplicate: i64,
    pub duplicate_in_file: i64,
    pub invalid: i64,
    pub dry_run: Option<String>,
    pub examples: String,
    pub error: Option<String>,
    pub undone: i64,
    pub created_by: Uuid,
    pub actor_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    /// The address and user agent of the request that started the run.
    pub client_ip: Option<String>,
    pub client_user_agent: Option<String>,
}

impl Import {
    pub fn mapping(&self) -> Vec<ColumnMap> {
        serde_json::from_str(&self.mapping).unwrap_or_default()
    }

    pub fn counts(&self) -> ImportCounts {
        ImportCounts {
            created: self.created,
            updated: self.updated,
            skipped_duplicate: self.skipped_duplicate,
            duplicate_in_file: self.duplicate_in_file,
            invalid: self.invalid,
        }
    }

    pub fn view(&self, examples: Vec<RowOutcome>, now: DateTime<Utc>) -> ImportView {
        let rate = self.started_at.and_then(|s| {
            let end = self.finished_at.unwrap_or(now);
            let secs = (end - s).num_milliseconds() as f64 / 1000.0;
            (secs > 0.0 && self.rows_done > 0).then(|| self.rows_done as f64 / secs)
        });
        ImportView {
            id: self.id,
            kind: self.kind,
            status: self.status,
            file_name: self.file_name.clone(),
            file_bytes: self.file_bytes,
            encoding: self.encoding.clone(),
            delimiter: self.delimiter.clone(),
            dedup: self.dedup,
            mapping: self.mapping(),
            sample: serde_json::from_str(&self.sample).unwrap_or_default(),
            total_rows: self.total_rows,
            rows_done: self.rows_done,
            counts: self.counts(),
            dry_run: self
                .dry_run
                .as_deref()
                .and_then(|d| serde_json::from_str(d).ok()),
            examples,
            rate,
            error: self.error.clone(),
            created_by: self.created_by,
            created_at: self.created_at,
            started_at: self.started_at,
            finished_at: self.finished_at,
            undone: self.undone,
            waiting: false,
        }
    }
}

const COLUMNS: &str = "id, kind, status, file_name, file_path, file_bytes, encoding, delimiter, skip_records,
    dedup, mapping, sample, total_rows, rows_done, created, updated, skipped_duplicate, duplicate_in_file,
    invalid, dry_run, examples, error, undone, created_by, actor_id, created_at, updated_at, started_at,
    finished_at, client_ip, client_user_agent";

pub async fn insert(c: &mut Conn<'_>, i: &Import) -> Result<(), sqlx::Error> {
    let sql = "insert into imports (id, kind, status, file_name, file_path, file_bytes, encoding, delimiter,
                   skip_records, dedup, mapping, sample, created_by, actor_id, created_at, updated_at)
               values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15)";
    on!(c, c => sqlx::query(sql)
        .bind(i.id).bind(i.kind).bind(i.status).bind(&i.file_name).bind(&i.file_path).bind(i.file_bytes)
        .bind(&i.encoding).bind(&i.delimiter).bind(i.skip_records).bind(i.dedup).bind(&i.mapping)
        .bind(&i.sample).bind(i.created_by).bind(i.actor_id).bind(i.created_at)
        .execute(c).await.map(|_| ()))
}

/// Records where the run was started from (its rows are audited with it).
pub async fn set_client(
    c: &mut Conn<'_>,
    id: Uuid,
    ip: &str,
    user_agent: &str,
) -> Result<(), sqlx::Error> {
    let sql = "update imports set client_ip = $1, client_user_agent = $2 where id = $3";
    on!(c, c => sqlx::query(sql).bind(ip).bind(user_agent).bind(id).execute(c).await.map(|_| ()))
}

pub async fn get(c: &mut Conn<'_>, id: Uuid) -> Result<Option<Import>, sqlx::Error> {
    let sql = format!("select {COLUMNS} from imports where id = $1");
    on!(c, c => sqlx::query_as(&sql).bind(id).fetch_optional(c).await)
}

/// The latest imports, newest first.
pub async fn recent(c: &mut Conn<'_>, limit: i64) -> Result<Vec<Import>, sqlx::Error> {
    let sql = format!("select {COLUMNS} from imports order by created_at desc limit $1");
    on!(c, c => sqlx::query_as(&sql).bind(limit).fetch_all(c).await)
}

/// Imports a background job should be working on (after a restart: resume them).
pub async fn unfinished(c: &mut Conn<'_>) -> Result<Vec<Uuid>, sqlx::Error> {
    let sql =
        "select id from imports where status in ('analysing', 'queued', 'running', 'cancelling')
               order by created_at";
    on!(c, c => sqlx::query_scalar(sql).fetch_all(c).await)
}

/// Imports uploaded or checked but never started, last touched before `before`: (id, file).
pub async fn unstarted_before(
    c: &mut Conn<'_>,
    before: DateTime<Utc>,
) -> Result<Vec<(Uuid, String)>, sqlx::Error> {
    let sql = "select id, file_path from imports
               where status in ('uploaded', 'analysed') and updated_at < $1 order by created_at";
    on!(c, c => sqlx::query_as(sql).bind(before).fetch_all(c).await)
}

/// Moves an import from one of `from` to `to`; false when it was in none of them.
pub async fn transition(
    c: &mut Conn<'_>,
    id: Uuid,
    from: &[ImportStatus],
    to: ImportStatus,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let mut sql = Sql::new(c.backend(), "update imports set status = ");
    sql.bind(Arg::Text(to.as_str().into()))
        .push(", updated_at = ")
        .bind(Arg::Time(now));
    if matches!(
        to,
        ImportStatus::Done
            | ImportStatus::Cancelled
            | ImportStatus::Failed
            | ImportStatus::Analysed
    ) {
        sql.push(", finished_at = ").bind(Arg::Time(now));
    }
    if to == ImportStatus::Running {
        sql.push(", started_at = coalesce(started_at, ")
            .bind(Arg::Time(now))
            .push(")");
    }
    sql.push(" where id = ")
        .bind(Arg::Uuid(id))
        .push(" and status in (");
    for (i, s) in from.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.bind(Arg::Text(s.as_str().into()));
    }
    sql.push(")");
    let (text, args) = (sql.text, sql.args);
    on!(c, c => bind_all!(sqlx::query(&text), &args).execute(c).await.map(|r| r.rows_affected() == 1))
}

/// The wizard's mapping and dedup choice (only before the run).
pub async fn set_options(
    c: &mut Conn<'_>,
    id: Uuid,
    mapping: &str,
    dedup: DedupMode,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let sql = "update imports set mapping = $2, dedup = $3, updated_at = $4
               where id = $1 and status in ('uploaded', 'analysed')";
    on!(c, c => sqlx::query(sql).bind(id).bind(mapping).bind(dedup).bind(now)
        .execute(c).await.map(|r| r.rows_affected() == 1))
}

/// Starts a dry run: its progress is counted from zero.
pub async fn begin_dry_run(
    c: &mut Conn<'_>,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let sql =
        "update imports set status = 'analysing', rows_done = 0, dry_run = null, examples = '[]',
                   started_at = $2, finished_at = null, error = null, updated_at = $2
               where id = $1 and status in ('uploaded', 'analysed', 'analysing')";
    on!(c, c => sqlx::query(sql).bind(id).bind(now).execute(c).await.map(|r| r.rows_affected() == 1))
}

pub async fn dry_run_progress(
    c: &mut Conn<'_>,
    id: Uuid,
    rows: i64,
    total: Option<i64>,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let sql =
        "update imports set rows_done = $2, total_rows = coalesce($3, total_rows), updated_at = $4
               where id = $1 and status = 'analysing'";
    on!(c, c => sqlx::query(sql).bind(id).bind(rows).bind(total).bind(now).execute(c).await.map(|_| ()))
}

/// The dry run's result; the run itself starts from row zero.
pub async fn finish_dry_run(
    c: &mut Conn<'_>,
    id: Uuid,
    counts: &ImportCounts,
    examples: &[RowOutcome],
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let sql =
        "update imports set status = 'analysed', dry_run = $2, examples = $3, total_rows = $4,
                   rows_done = 0, started_at = null, finished_at = $5, updated_at = $5
               where id = $1 and status = 'analysing'";
    let counts_json = serde_json::to_string(counts).unwrap_or_default();
    let examples = serde_json::to_string(examples).unwrap_or_else(|_| "[]".into());
    on!(c, c => sqlx::query(sql).bind(id).bind(counts_json).bind(examples).bind(counts.rows()).bind(now)
        .execute(c).await.map(|r| r.rows_affected() == 1))
}

pub async fn set_total(c: &mut Conn<'_>, id: Uuid, total: i64) -> Result<(), sqlx::Error> {
    on!(c, c => sqlx::query("update imports set total_rows = $2 where id = $1").bind(id).bind(total)
        .execute(c).await.map(|_| ()))
}

pub async fn fail(
    c: &mut Conn<'_>,
    id: Uuid,
    error: &str,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let sql = "update imports set status = 'failed', error = $2, finished_at = $3, updated_at = $3 where id = $1";
    on!(c, c => sqlx::query(sql).bind(id).bind(error).bind(now).execute(c).await.map(|_| ()))
}

/// Commits a batch's progress: only if no one else (another process, a cancel) moved the
/// import since `done` rows, so a batch can never be counted — or its records created — twice.
pub async fn advance(
    c: &mut Conn<'_>,
    id: Uuid,
    done: i64,
    batch: &ImportCounts,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let sql = "update imports set rows_done = rows_done + $3, created = created + $4, updated = updated + $5,
                   skipped_duplicate = skipped_duplicate + $6, duplicate_in_file = duplicate_in_file + $7,
                   invalid = invalid + $8, updated_at = $9
               where id = $1 and rows_done = $2 and status = 'running'";
    on!(c, c => sqlx::query(sql).bind(id).bind(done).bind(batch.rows()).bind(batch.created).bind(batch.updated)
        .bind(batch.skipped_duplicate).bind(batch.duplicate_in_file).bind(batch.invalid).bind(now)
        .execute(c).await.map(|r| r.rows_affected() == 1))
}

pub async fn add_undone(
    c: &mut Conn<'_>,
    id: Uuid,
    n: i64,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    on!(c, c => sqlx::query("update imports set undone = undone + $2, updated_at = $3 where id = $1")
        .bind(id).bind(n).bind(now).execute(c).await.map(|_| ()))
}

/// One outcome row to store.
pub struct OutcomeRow {
    pub row: i64,
    pub outcome: &'static str,
    pub record_id: Option<Uuid>,
    pub message: Option<String>,
}

pub async fn insert_rows(
    c: &mut Conn<'_>,
    import_id: Uuid,
    rows: Vec<OutcomeRow>,
) -> Result<(), sqlx::Error> {
    let values = rows
        .into_iter()
        .map(|r| {
            vec![
                Arg::Uuid(import_id),
                Arg::Int(r.row),
                Arg::Text(r.outcome.into()),
                Arg::OptUuid(r.record_id),
                Arg::OptText(r.message),
            ]
        })
        .collect();
    super::bulk::insert_rows(
        c,
        "import_rows",
        &["import_id", "row_no", "outcome", "record_id", "message"],
        values,
    )
    .await
    .map(|_| ())
}

/// Outcome rows after `after`, in row order (`only_problems` leaves out created and updated).
pub async fn rows(
    c: &mut Conn<'_>,
    import_id: Uuid,
    after: i64,
    limit: i64,
    only_problems: bool,
) -> Result<Vec<RowOutcome>, sqlx::Error> {
    let filter = if only_problems {
        " and outcome not in ('created', 'updated')"
    } else {
        ""
    };
    let sql = format!(
        "select row_no, outcome, record_id, message from import_rows
         where import_id = $1 and row_no > $2{filter} order by row_no limit $3"
    );
    let found: Vec<(i64, String, Option<Uuid>, Option<String>)> = on!(c, c => sqlx::query_as(&sql).bind(import_id).bind(after).bind(limit).fetch_all(c).await)?;
    Ok(found
        .into_iter()
        .map(|(row, outcome, record_id, message)| {
            let outcome = match outcome.as_str() {
                "invalid" => format!("invalid: {}", message.clone().unwrap_or_default()),
                "duplicate_in_file" => "skipped_duplicate".into(),
                _ => outcome,
            };
            RowOutcome {
                row,
                outcome,
                record_id,
                message,
            }
        })
        .collect())
}

/// A record already in the CRM that a row matches.
#[derive(Clone, Debug)]
pub struct Existing {
    pub id: Uuid,
    /// The import that created it, if one did.
    pub import_id: Option<Uuid>,
    /// The value it was matched on (email, domain or name; the id for id matches).
    pub key: String,
}

/// Records of `table` whose `column` is one of `values`.
pub async fn existing(
    c: &mut Conn<'_>,
    table: &str,
    column: &str,
    values: Vec<Arg>,
) -> Result<Vec<Existing>, sqlx::Error> {
    if values.is_empty() {
        return Ok(Vec::new());
    }
    let key_of = |v: &Arg| match v {
        Arg::Uuid(id) => id.to_string(),
        Arg::Text(t) => t.clone(),
        other => format!("{other:?}"),
    };
    match c {
        // One indexed probe per distinct value, stepped through SQLite's C API on the
        // transaction's connection: no statement the size of the batch to prepare (and cache),
        // and no hop to sqlx's connection thread per row found.
        Conn::Sqlite(conn) => {
            let mut handle = conn.lock_handle().await?;
            let mut probe = super::bulk::Prepared::new(
                handle.as_raw_handle(),
                &format!("select id, import_id from {table} where {column} = ?"),
            )?;
            let mut asked = std::collections::HashSet::new();
            let mut found = Vec::new();
            for value in &values {
                let key = key_of(value);
                if !asked.insert(key.clone()) {
                    continue;
                }
                let rows = probe.rows(std::slice::from_ref(value), |row| {
                    Ok((row.get::<Uuid>(0)?, row.get::<Option<Uuid>>(1)?))
                })?;
                found.extend(rows.into_iter().map(|(id, import_id)| Existing {
                    id,
                    import_id,
                    key: key.clone(),
                }));
            }
            Ok(found)
        }
        Conn::Postgres(_) => {
            let key = if column == "id" { "id::text" } else { column };
            let mut sql = Sql::new(
                c.backend(),
                &format!("select id, import_id, {key} from {table} where {column} in ("),
            );
            for (i, v) in values.into_iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                sql.bind(v);
            }
            sql.push(")");
            let (text, args) = (sql.text, sql.args);
            // A statement the size of the batch: not worth keeping prepared.
            let found: Vec<(Uuid, Option<Uuid>, String)> = on!(c, c => bind_all!(sqlx::query_as(&text).persistent(false), &args).fetch_all(c).await)?;
            Ok(found
                .into_iter()
                .map(|(id, import_id, key)| Existing { id, import_id, key })
                .collect())
        }
    }
}

/// Sets a record's custom data (imports keep unmapped columns there).
pub async fn set_custom(
    c: &mut Conn<'_>,
    table: &str,
    id: Uuid,
    custom: Option<String>,
) -> Result<(), sqlx::Error> {
    let sql = format!("update {table} set custom = $2 where id = $1");
    on!(c, c => sqlx::query(&sql).bind(id).bind(custom).execute(c).await.map(|_| ()))
}

/// Deletes up to `limit` records `import_id` created that nothing else points at; returns
/// their ids. Records other records now refer to are kept.
pub async fn delete_created(
    c: &mut Conn<'_>,
    kind: ImportKind,
    import_id: Uuid,
    limit: i64,
) -> Result<Vec<Uuid>, sqlx::Error> {
    let (table, unreferenced) = match kind {
        ImportKind::Leads => (
            "leads",
            "not exists (select 1 from opportunities o where o.lead_id = t.id)",
        ),
        ImportKind::Contacts => (
            "contacts",
            "not exists (select 1 from opportunities o where o.primary_contact_id = t.id)
             and not exists (select 1 from accounts a where a.primary_contact_id = t.id)
             and not exists (select 1 from leads l where l.converted_contact_id = t.id)
             and not exists (select 1 from tickets k where k.contact_id = t.id or k.created_by_contact_id = t.id)
             and not exists (select 1 from ticket_comments m where m.author_contact_id = t.id)
             and not exists (select 1 from impersonations i where i.subject_contact_id = t.id)",
        ),
        ImportKind::Accounts => (
            "accounts",
            "not exists (select 1 from contacts k where k.account_id = t.id)
             and not exists (select 1 from opportunities o where o.account_id = t.id)
             and not exists (select 1 from leads l where l.converted_account_id = t.id)
             and not exists (select 1 from tickets k where k.account_id = t.id)
             and not exists (select 1 from impersonations i where i.via_account_id = t.id)",
        ),
    };
    // Records someone has since worked on (activities, tasks) are kept too.
    let related = kind.record_word();
    let select = format!(
        "select t.id from {table} t where t.import_id = $1 and {unreferenced}
           and not exists (select 1 from activities x where x.related_type = '{related}' and x.related_id = t.id)
           and not exists (select 1 from tasks x where x.related_type = '{related}' and x.related_id = t.id)
         limit $2"
    );
    let ids: Vec<Uuid> =
        on!(c, c => sqlx::query_scalar(&select).bind(import_id).bind(limit).fetch_all(c).await)?;
    let mut deleted = Vec::with_capacity(ids.len());
    let delete = format!("delete from {table} where id = $1");
    for id in ids {
        let n =
            on!(c, c => sqlx::query(&delete).bind(id).execute(c).await.map(|r| r.rows_affected()))?;
        if n == 1 {
            deleted.push(id);
        }
    }
    Ok(deleted)
}
