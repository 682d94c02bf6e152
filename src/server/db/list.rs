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
    /// Sorts with an index of their own: a text filter that matches many rows walks that
    /// index and stops at the page size instead of sorting every match.
    pub walk_sorts: &'static [&'static str],
}

/// Matches beyond which a text filter walks the sort's index (probing the matches) instead of
/// reading every match and sorting them: around here the two cost the same (a few ms at a
/// million rows, see docs/benchmarks.md).
pub const COMMON_TEXT: i64 = 1000;

/// How a text filter is joined to the list's order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextPlan {
    /// Few matches: read them (by the text index) and sort them.
    Matches,
    /// Many matches: walk the sort's index and keep the rows that match, up to the page.
    Walk,
    /// So many matches that building their set costs more than asking the text index about
    /// each row walked (SQLite: a one-letter prefix matching a quarter of a million leads).
    Probe,
}

/// What SQLite's two ways of walking cost, measured at a million leads (docs/benchmarks.md):
/// building the set of matches, per match; asking the text index about one row.
const SET_MS_PER_MATCH: f64 = 0.000_37;
const PROBE_MS_PER_ROW: f64 = 0.15;
/// The newest rows (by insertion) whose share of matches estimates the share everywhere.
const DENSITY_SAMPLE: i64 = 1000;

/// Chooses how to read a text-filtered page: counts the matches up to [`COMMON_TEXT`] (a
/// bounded, index-only count), and walks when there are that many and the sort has an index.
pub async fn text_plan(
    c: &mut Conn<'_>,
    spec: &ListSpec,
    query: &ListQuery,
) -> Result<TextPlan, AppError> {
    let Some(q) = query.q.as_deref() else {
        return Ok(TextPlan::Matches);
    };
    let words = search_words(q);
    let Some(fts) = spec.fts_table.filter(|_| !words.is_empty()) else {
        return Ok(TextPlan::Matches);
    };
    let allowed: Vec<&str> = spec.sorts.iter().map(|s| s.field).collect();
    let default = Sort {
        field: spec.default_sort,
        descending: spec.default_descending,
    };
    let sort = Sort::parse(query.sort.as_deref(), &allowed, default)?;
    if !spec.walk_sorts.contains(&sort.field) {
        return Ok(TextPlan::Matches);
    }
    let text = fts_query(c.backend(), &words);
    let table = fts.trim_end_matches("_fts");
    let n: i64 = match c.backend() {
        Backend::Sqlite => {
            let sql =
                format!("select count(*) from (select 1 from {fts} where {fts} match $1 limit $2)");
            on!(c, c => sqlx::query_scalar(&sql).bind(&text).bind(COMMON_TEXT).fetch_one(c).await)?
        }
        Backend::Postgres => {
            // The planner's estimate is cheap and close for words it has statistics on. A word
            // it has none on gets a default estimate, the same as a word that is nowhere: then
            // the matches are counted (by the GIN index, up to the bound: such a word is rare).
            let estimate = |words: String| {
                format!(
                    "explain (format json) select 1 from {table} where search @@ to_tsquery('simple', '{}')",
                    words.replace('\'', "''")
                )
            };
            let rows =
                |plan: serde_json::Value| plan[0]["Plan"]["Plan Rows"].as_f64().unwrap_or(0.0);
            let known: serde_json::Value =
                on!(c, c => sqlx::query_scalar(&estimate(text.clone())).fetch_one(c).await)?;
            let nowhere: serde_json::Value = on!(c, c => sqlx::query_scalar(&estimate(
                fts_query(Backend::Postgres, &["qzxjvkwq".to_string()]),
            ))
            .fetch_one(c)
            .await)?;
            let (known, nowhere) = (rows(known), rows(nowhere));
            if known > nowhere {
                known as i64
            } else {
                let sql = format!(
                    "select count(*) from (select 1 from {table} where search @@ to_tsquery('simple', $1) limit $2) t"
                );
                on!(c, c => sqlx::query_scalar(&sql).bind(&text).bind(COMMON_TEXT).fetch_one(c).await)?
            }
        }
    };
    if n < COMMON_TEXT {
        return Ok(TextPlan::Matches);
    }
    // Probing pays only where a fifth or more of the rows match: at a million leads only
    // one-letter prefixes did, and sampling the density costs up to 6 ms for longer ones, so
    // only those are sampled.
    let one_letter = words.len() == 1 && words[0].chars().count() == 1;
    if c.backend() == Backend::Sqlite && one_letter {
        // How dense the matches are, from the newest rows (the text index seeks a rowid range
        // cheaply): a walk visits about page/density rows; the set holds density × rows.
        let top_sql = format!("select coalesce(max(seq), 0) from {table}");
        let top: i64 = on!(c, c => sqlx::query_scalar(&top_sql).fetch_one(c).await)?;
        let sample_sql = format!("select count(*) from {fts} where {fts} match $1 and rowid > $2");
        let hits: i64 = on!(c, c => sqlx::query_scalar(&sample_sql)
            .bind(&text)
            .bind(top - DENSITY_SAMPLE)
            .fetch_one(c)
            .await)?;
        let sampled = top.min(DENSITY_SAMPLE).max(1) as f64;
        let density = (hits as f64 / sampled).max(0.001);
        let page = f64::from(query.page_size()) + 1.0;
        if probe_is_cheaper(density, top as f64, page) {
            return Ok(TextPlan::Probe);
        }
    }
    Ok(TextPlan::Walk)
}

/// Whether asking the text index row by row beats building the set of matches, for a share
/// `density` of `rows` matching and a page of `page` rows.
fn probe_is_cheaper(density: f64, rows: f64, page: f64) -> bool {
    page / density * PROBE_MS_PER_ROW < density * rows * SET_MS_PER_MATCH
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

/// Adds `and <alias> matches the words of q` for a list's text filter, shaped for `plan`:
/// with few matches the planner is steered to read them by the text index and sort them; with
/// many, to walk the sort's index and test each row against the matches.
fn push_text_filter(sql: &mut Sql, spec: &ListSpec, q: &str, plan: TextPlan) -> bool {
    let words = search_words(q);
    if words.is_empty() {
        return false;
    }
    let query = fts_query(sql.backend, &words);
    let alias = spec.alias;
    match (sql.backend, spec.fts_table, plan) {
        (Backend::Sqlite, Some(table), TextPlan::Matches) => {
            sql.push(&format!(
                " and {alias}.seq in (select rowid from {table} where {table} match "
            ));
            sql.bind(Arg::Text(query)).push(")");
        }
        // The unary `+` keeps SQLite from driving the query by the matches' rowids: it
        // walks the sort index and looks each row up in the (once-built) set of matches.
        (Backend::Sqlite, Some(table), TextPlan::Walk) => {
            sql.push(&format!(
                " and +{alias}.seq in (select rowid from {table} where {table} match "
            ));
            sql.bind(Arg::Text(query)).push(")");
        }
        // PostgreSQL would rather walk the sort index for a rare word too, filtering every
        // row: the matches are read first (the GIN index) and then sorted.
        // Each row the sort's index yields is looked up in the text index by its rowid.
        (Backend::Sqlite, Some(table), TextPlan::Probe) => {
            sql.push(&format!(
                " and exists (select 1 from {table} where {table}.rowid = {alias}.seq and {table} match "
            ));
            sql.bind(Arg::Text(query)).push(")");
        }
        (Backend::Postgres, Some(table), TextPlan::Matches) => {
            let base = table.trim_end_matches("_fts");
            sql.push(&format!(
                " and {alias}.id = any(array(select id from {base} where search @@ to_tsquery('simple', "
            ));
            sql.bind(Arg::Text(query)).push(")))");
        }
        (Backend::Postgres, Some(_), TextPlan::Walk | TextPlan::Probe) => {
            sql.push(&format!(" and {alias}.search @@ to_tsquery('simple', "));
            sql.bind(Arg::Text(query)).push(")");
        }
        (_, None, _) => return false,
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
        text: TextPlan,
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
            push_text_filter(&mut sql, spec, q, text);
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
    let text = text_plan(c, spec, query).await?;
    Plan::new(c.backend(), spec, query, filters, text)?
        .run(c)
        .await
}

/// One page read the given way (tests use it to see that both ways read the same rows).
pub async fn page_planned<T>(
    c: &mut Conn<'_>,
    spec: &ListSpec,
    query: &ListQuery,
    filters: Vec<Filter>,
    text: TextPlan,
) -> Result<Page<T>, AppError>
where
    T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin,
{
    Plan::new(c.backend(), spec, query, filters, text)?
        .run(c)
        .await
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
    let plan = Plan::new(Backend::Sqlite, spec, query, filters, TextPlan::Matches)
        .map_err(|_| DirectError::Unavailable)?;
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
    // A text filter runs inside one full-text step that the budget cannot interrupt; those
    // pages go through the pool.
    let searched = query.q.as_deref().is_some_and(|q| !q.trim().is_empty());
    if searched {
        let mut h = db.handle().await?;
        let c = &mut h.c();
        let text = text_plan(c, spec, query).await?;
        return Plan::new(db.backend(), spec, query, filters, text)?
            .run(c)
            .await;
    }
    let plan = Plan::new(db.backend(), spec, query, filters, TextPlan::Matches)?;
    if let Some(direct) = db.direct() {
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
    fn probing_is_chosen_only_where_the_matches_are_dense_and_many() {
        use super::probe_is_cheaper;
        // Measured at a million leads: `a` (26% of leads) probes faster, 15 ms against 96.
        assert!(probe_is_cheaper(0.26, 1_000_000.0, 51.0));
        // `an` (10%): the set is faster, 33 ms against 118; so is `a` among opportunities
        // (12% of 200,000: 8 ms against 84), and any filter at a few thousand rows.
        assert!(!probe_is_cheaper(0.10, 1_000_000.0, 51.0));
        assert!(!probe_is_cheaper(0.12, 200_000.0, 51.0));
        assert!(!probe_is_cheaper(0.26, 5_000.0, 41.0));
    }

    #[test]
    fn the_outer_from_is_found_past_subqueries() {
        let sql = "select a.id, (select count(*) from c where c.a = a.id) as n from accounts a";
        assert_eq!(&sql[super::top_level_from(sql)..], " from accounts a");
    }
}
