//! The global search: leads, contacts, accounts and opportunities by word or prefix.

use super::sql::{fts_query, search_words};
use super::{Backend, Conn, on};
use crate::domain::activity::SearchResult;
use crate::domain::records::RecordKind;
use uuid::Uuid;

#[derive(sqlx::FromRow)]
struct Hit {
    id: Uuid,
    title: String,
    subtitle: Option<String>,
}

/// `(kind, alias, table, title, subtitle)` of each kind searched.
const KINDS: [(RecordKind, &str, &str, &str, &str); 4] = [
    (
        RecordKind::Lead,
        "l",
        "leads",
        "l.name",
        "coalesce(l.company, l.email)",
    ),
    (
        RecordKind::Contact,
        "c",
        "contacts",
        "trim(coalesce(c.first_name, '') || ' ' || coalesce(c.last_name, ''))",
        "coalesce(c.email, c.title)",
    ),
    (
        RecordKind::Account,
        "a",
        "accounts",
        "a.name",
        "coalesce(a.domain, a.city)",
    ),
    (
        RecordKind::Opportunity,
        "o",
        "opportunities",
        "o.name",
        "o.stage",
    ),
];

/// Newest matches first, `$1` the query, `$2` the limit; `within` narrows them to what the
/// asker sees (a condition on `alias`).
fn statement(
    backend: Backend,
    (alias, table, title, subtitle): (&str, &str, &str, &str),
    within: Option<&str>,
) -> String {
    let head =
        format!("select {alias}.id, {title} as title, {subtitle} as subtitle from {table} {alias}");
    match (backend, within) {
        // Unnarrowed, the text index hands over only the newest matches.
        (Backend::Sqlite, None) => format!(
            "{head} where {alias}.seq in (select rowid from {table}_fts where {table}_fts match $1
                 order by rowid desc limit $2)
             order by {alias}.seq desc"
        ),
        (Backend::Sqlite, Some(w)) => format!(
            "{head} where {alias}.seq in (select rowid from {table}_fts where {table}_fts match $1)
                 and {w}
             order by {alias}.seq desc limit $2"
        ),
        (Backend::Postgres, w) => format!(
            "{head} where {alias}.search @@ to_tsquery('simple', $1){}
             order by {alias}.created_at desc limit $2",
            w.map(|w| format!(" and {w}")).unwrap_or_default()
        ),
    }
}

/// Up to `per_kind` matches of each kind the caller may see, of people among `within` when
/// that is given.
pub async fn search(
    c: &mut Conn<'_>,
    q: &str,
    kinds: &[RecordKind],
    per_kind: i64,
    within: Option<&[Uuid]>,
) -> Result<Vec<SearchResult>, sqlx::Error> {
    let words = search_words(q);
    if words.is_empty() {
        return Ok(vec![]);
    }
    let backend = c.backend();
    let query = fts_query(backend, &words);
    let mut results = Vec::new();
    for (kind, alias, table, title, subtitle) in KINDS {
        if !kinds.contains(&kind) {
            continue;
        }
        let narrowed =
            within.map(|people| super::records::reached_inline(backend, kind, alias, people));
        let sql = statement(
            backend,
            (alias, table, title, subtitle),
            narrowed.as_deref(),
        );
        let hits: Vec<Hit> =
            on!(c, c => sqlx::query_as(&sql).bind(&query).bind(per_kind).fetch_all(c).await)?;
        results.extend(hits.into_iter().map(|h| SearchResult {
            kind,
            id: h.id,
            title: h.title,
            subtitle: h.subtitle.unwrap_or_default(),
        }));
    }
    Ok(results)
}
