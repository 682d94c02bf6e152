//! Keyset-paginated lists: filters, one whitelisted sort, and an opaque cursor, so page 2,000
//! of a million rows costs what page 1 does.

use super::sql::{
    Arg, SortColumn, SortType, Sql, decode_cursor, encode_cursor, fts_query, search_words,
};
use super::{Backend, Conn, on};
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

/// One page of `spec` for `query`, with the extra `filters` (already authorised).
pub async fn page<T>(
    c: &mut Conn<'_>,
    spec: &ListSpec,
    query: &ListQuery,
    filters: Vec<Filter>,
) -> Result<Page<T>, AppError>
where
    T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin,
{
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
        c.backend(),
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

    let text = sql.text.clone();
    let (mut items, mut keys): (Vec<T>, Vec<(serde_json::Value, Uuid)>) = on!(c, c => {
        let rows = bind_all!(sqlx::query(&text), &sql.args).fetch_all(c).await?;
        let mut items = Vec::with_capacity(rows.len());
        let mut keys = Vec::with_capacity(rows.len());
        for row in &rows {
            items.push(T::from_row(row)?);
            let key = match column.kind {
                SortType::Text => serde_json::json!(row.try_get::<String, _>("crm_sort_key")?),
                SortType::Int => serde_json::json!(row.try_get::<i64, _>("crm_sort_key")?),
                SortType::Time => serde_json::json!(row.try_get::<DateTime<Utc>, _>("crm_sort_key")?),
                SortType::Date => serde_json::json!(row.try_get::<NaiveDate, _>("crm_sort_key")?),
            };
            keys.push((key, row.try_get::<Uuid, _>("id")?));
        }
        (items, keys)
    });
    let next_cursor = if items.len() > limit as usize {
        items.truncate(limit as usize);
        keys.truncate(limit as usize);
        keys.last().map(|(v, id)| encode_cursor(v, *id))
    } else {
        None
    };
    Ok(Page { items, next_cursor })
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_outer_from_is_found_past_subqueries() {
        let sql = "select a.id, (select count(*) from c where c.a = a.id) as n from accounts a";
        assert_eq!(&sql[super::top_level_from(sql)..], " from accounts a");
    }
}
