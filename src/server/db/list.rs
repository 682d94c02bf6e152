//! Keyset-paginated lists: filters, one whitelisted sort, and an opaque cursor, so page 2,000
//! of a million rows costs what page 1 does.

use super::direct::{Direct, DirectError, FromDirect};
use super::sql::{
    Arg, SortColumn, SortType, Sql, decode_cursor, encode_cursor, fts_query, search_words,
};
use super::{Backend, Conn, Db, on};
use crate::bind_all;
use crate::domain::error::AppError;
use crate::domain::records::{ListQuery, Page, Sort};
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;
use sqlx::{FromRow, Row};
use uuid::Uuid;

/// How a record's list is read.
pub struct ListSpec {
    /// `select … from <table> <alias> …joins` (no where clause).
    pub select: &'static str,
    /// The table's alias in `select`.
    pub alias: &'static str,
    pub sorts: &'static [SortColumn],
    pub default_sort: &'static str,
    pub default_descending: bool,
    /// The FTS5 table (SQLite) searched by `q`; PostgreSQL uses the row's `search` column.
    pub fts_table: Option<&'static str>,
}

/// A filter: SQL with `?` for each value.
pub struct Filter(pub String, pub Vec<Arg>);

impl Filter {
    pub fn new(sql: &str, args: Vec<Arg>) -> Filter {
        Filter(sql.to_string(), args)
    }
}

/// Where the outer `from` of a select begins (not one inside a parenthesised subquery).
fn top_level_from(select: &str) -> usize {
    let mut depth = 0i32;
    for (i, ch) in select.char_indices() {
        match ch {
            '(' => depth += 1,
            ')' => depth -= 1,
            _ if depth == 0 && select[i..].starts_with(" from ") => return i,
            _ if depth == 0 && select[i..].starts_with("\n    from ") => return i,
            _ => {}
        }
    }
    select.len()
}

/// Adds `and <alias> matches the words of q` for a list's text filter.
fn push_text_filter(sql: &mut Sql, spec: &ListSpec, q: &str) -> bool {
    let words = search_words(q);
    if words.is_empty() {
        return false;
    }
    let query = fts_query(sql.backend, &words);
    match (sql.backend, spec.fts_table) {
        (Backend::Sqlite, Some(table)) => {
            sql.push(&format!(
                " and {}.seq in (select rowid from {table} where {table} match ",
                spec.alias
            ));
            sql.bind(Arg::Text(query)).push(")");
        }
        (Backend::Postgres, Some(_)) => {
            sql.push(&format!(
                " and {}.search @@ to_tsquery('simple', ",
                spec.alias
            ));
            sql.bind(Arg::Text(query)).push(")");
        }
        (_, None) => return false,
    }
    true
}

/// One page's statement: the SQL, the sort it follows, and how many rows make the page.
struct Plan {
    sql: Sql,
    kind: SortType,
    limit: u32,
}

impl Plan {
    fn new(
        backend: Backend,
        spec: &ListSpec,
        query: &ListQuery,
        filters: Vec<Filter>,
    ) -> Result<Plan, AppError> {
        let allowed: Vec<&str> = spec.sorts.iter().map(|s| s.field).collect();
        let default = Sort {
            field: spec.default_sort,
            descending: spec.default_descending,
        };
        let sort = Sort::parse(query.sort.as_deref(), &allowed, default)?;
        let column = spec
            .sorts
            .iter()
            .find(|s| s.field == sort.field)
            .copied()
            .unwrap_or(spec.sorts[0]);
        let limit = query.page_size();
        let id = format!("{}.id", spec.alias);

        // The sort key rides along as an extra column, read back for the cursor.
        let (head, tail) = spec.select.split_at(top_level_from(spec.select));
        let mut sql = Sql::new(
            backend,
            &format!("{head}, {} as crm_sort_key{tail} where 1 = 1", column.expr),
        );
        for Filter(text, args) in filters {
            sql.push(" and ");
            sql.push_bound(&text, args);
        }
        if let Some(q) = query.q.as_deref() {
            push_text_filter(&mut sql, spec, q);
        }
        if let Some(cursor) = query.cursor.as_deref().filter(|c| !c.is_empty()) {
            let Some((value, after)) = decode_cursor(cursor, column.kind) else {
                return Err(AppError::invalid(
                    "cursor",
                    "This cursor is not valid for this list and sort.",
                ));
            };
            let op = if sort.descending { "<" } else { ">" };
            sql.push(&format!(" and ({}, {id}) {op} (", column.expr));
            sql.bind(value).push(", ").bind(Arg::Uuid(after)).push(")");
        }
        let dir = if sort.descending { "desc" } else { "asc" };
        sql.push(&format!(
            " order by {} {dir}, {id} {dir} limit ",
            column.expr
        ));
        sql.bind(Arg::Int(i64::from(limit) + 1));
        Ok(Plan {
            sql,
            kind: column.kind,
            limit,
        })
    }

    /// The page from the rows read (one more than the page, if there are more), each with its
    /// sort key and id for the cursor.
    fn finish<T>(&self, rows: Vec<(T, serde_json::Value, Uuid)>) -> Page<T> {
        let limit = self.limit as usize;
        let more = rows.len() > limit;
        let mut items = Vec::with_capacity(rows.len().min(limit));
        let mut last = None;
        for (item, key, id) in rows.into_iter().take(limit) {
            items.push(item);
            last = Some((key, id));
        }
        let next_cursor = more
            .then(|| last.map(|(key, id)| encode_cursor(&key, id)))
            .flatten();
        Page { items, next_cursor }
    }

    async fn run<T>(&self, c: &mut Conn<'_>) -> Result<Page<T>, AppError>
    where
        T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin,
    {
        let kind = self.kind;
        let rows: Vec<(T, serde_json::Value, Uuid)> = on!(c, c => {
            let rows = bind_all!(sqlx::query(&self.sql.text), &self.sql.args).fetch_all(c).await?;
            let mut out = Vec::with_capacity(rows.len());
            for row in &rows {
                let key = match kind {
                    SortType::Text => serde_json::json!(row.try_get::<String, _>("crm_sort_key")?),
                    SortType::Int => serde_json::json!(row.try_get::<i64, _>("crm_sort_key")?),
                    SortType::Time => serde_json::json!(row.try_get::<DateTime<Utc>, _>("crm_sort_key")?),
                    SortType::Date => serde_json::json!(row.try_get::<NaiveDate, _>("crm_sort_key")?),
                };
                out.push((T::from_row(row)?, key, row.try_get::<Uuid, _>("id")?));
            }
            out
        });
        Ok(self.finish(rows))
    }

    /// The page read on the calling thread ([`Direct`]), within [`DIRECT_BUDGET`].
    fn run_direct<T: FromDirect>(&self, direct: &Direct) -> Result<Page<T>, DirectError> {
        self.run_direct_within(direct, DIRECT_BUDGET)
    }

    fn run_direct_within<T: FromDirect>(
        &self,
        direct: &Direct,
        budget: u32,
    ) -> Result<Page<T>, DirectError> {
        let kind = self.kind;
        let rows = direct.rows(&self.sql.text, &self.sql.args, budget, |r| {
            let key = match kind {
                SortType::Text => serde_json::json!(r.get::<String>("crm_sort_key")?),
                SortType::Int => serde_json::json!(r.get::<i64>("crm_sort_key")?),
                SortType::Time => serde_json::json!(r.get::<DateTime<Utc>>("crm_sort_key")?),
                SortType::Date => serde_json::json!(r.get::<NaiveDate>("crm_sort_key")?),
            };
            Ok((T::from_direct(r)?, key, r.get::<Uuid>("id")?))
        })?;
        Ok(self.finish(rows))
    }
}

/// How much work a list page may do on the request's own thread (in thousands of SQLite
/// virtual-machine steps, a few milliseconds at most) before it is handed to the pool instead.
/// A page that follows an index takes a small fraction of it; one that scans or sorts many
/// rows runs out and is read again on the pool's threads, where a long read blocks nobody.
pub const DIRECT_BUDGET: u32 = 200;

/// One page of `spec` for `query`, with the extra `filters` (already authorised), on `c`.
pub async fn page<T>(
    c: &mut Conn<'_>,
    spec: &ListSpec,
    query: &ListQuery,
    filters: Vec<Filter>,
) -> Result<Page<T>, AppError>
where
    T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin,
{
    Plan::new(c.backend(), spec, query, filters)?.run(c).await
}

/// The page read on the calling thread only (tests use it to see that a page stays within
/// the budget and reads what the pool reads).
pub fn page_direct<T: FromDirect>(
    direct: &Direct,
    spec: &ListSpec,
    query: &ListQuery,
    filters: Vec<Filter>,
    budget: u32,
) -> Result<Page<T>, DirectError> {
    let plan =
        Plan::new(Backend::Sqlite, spec, query, filters).map_err(|_| DirectError::Unavailable)?;
    plan.run_direct_within(direct, budget)
}

/// The same page outside any transaction: on a SQLite file it is read on the request's own
/// thread when it stays within [`DIRECT_BUDGET`], otherwise through the pool.
pub async fn page_now<T>(
    db: &Db,
    spec: &ListSpec,
    query: &ListQuery,
    filters: Vec<Filter>,
) -> Result<Page<T>, AppError>
where
    T: FromDirect + for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin,
{
    let plan = Plan::new(db.backend(), spec, query, filters)?;
    // A text filter runs inside one full-text step that the budget cannot interrupt; those
    // pages go through the pool.
    let searched = query.q.as_deref().is_some_and(|q| !q.trim().is_empty());
    if let Some(direct) = db.direct().filter(|_| !searched) {
        match plan.run_direct(direct) {
            Ok(page) => return Ok(page),
            Err(DirectError::OverBudget) => {
                tracing::debug!(sql = %plan.sql.text, "list page over its direct budget; reading through the pool")
            }
            Err(e) => {
                tracing::warn!(error = %e, "direct list read failed; reading through the pool")
            }
        }
    }
    let mut h = db.handle().await?;
    plan.run(&mut h.c()).await
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_outer_from_is_found_past_subqueries() {
        let sql = "select a.id, (select count(*) from c where c.a = a.id) as n from accounts a";
        assert_eq!(&sql[super::top_level_from(sql)..], " from accounts a");
    }
}
