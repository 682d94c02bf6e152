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

/// `(kind, SQLite statement, PostgreSQL statement)`: newest matches first, `$1` the query,
/// `$2` the limit.
const QUERIES: [(RecordKind, &str, &str); 4] = [
    (
        RecordKind::Lead,
        "select l.id, l.name as title, coalesce(l.company, l.email) as subtitle from leads l
         where l.seq in (select rowid from leads_fts where leads_fts match $1 order by rowid desc limit $2)
         order by l.seq desc",
        "select l.id, l.name as title, coalesce(l.company, l.email) as subtitle from leads l
         where l.search @@ to_tsquery('simple', $1) order by l.created_at desc limit $2",
    ),
    (
        RecordKind::Contact,
        "select c.id, trim(coalesce(c.first_name, '') || ' ' || coalesce(c.last_name, '')) as title,
                coalesce(c.email, c.title) as subtitle from contacts c
         where c.seq in (select rowid from contacts_fts where contacts_fts match $1 order by rowid desc limit $2)
         order by c.seq desc",
        "select c.id, trim(coalesce(c.first_name, '') || ' ' || coalesce(c.last_name, '')) as title,
                coalesce(c.email, c.title) as subtitle from contacts c
         where c.search @@ to_tsquery('simple', $1) order by c.created_at desc limit $2",
    ),
    (
        RecordKind::Account,
        "select a.id, a.name as title, coalesce(a.domain, a.city) as subtitle from accounts a
         where a.seq in (select rowid from accounts_fts where accounts_fts match $1 order by rowid desc limit $2)
         order by a.seq desc",
        "select a.id, a.name as title, coalesce(a.domain, a.city) as subtitle from accounts a
         where a.search @@ to_tsquery('simple', $1) order by a.created_at desc limit $2",
    ),
    (
        RecordKind::Opportunity,
        "select o.id, o.name as title, o.stage as subtitle from opportunities o
         where o.seq in (select rowid from opportunities_fts where opportunities_fts match $1 order by rowid desc limit $2)
         order by o.seq desc",
        "select o.id, o.name as title, o.stage as subtitle from opportunities o
         where o.search @@ to_tsquery('simple', $1) order by o.created_at desc limit $2",
    ),
];

/// Up to `per_kind` matches of each kind the caller may see.
pub async fn search(
    c: &mut Conn<'_>,
    q: &str,
    kinds: &[RecordKind],
    per_kind: i64,
) -> Result<Vec<SearchResult>, sqlx::Error> {
    let words = search_words(q);
    if words.is_empty() {
        return Ok(vec![]);
    }
    let backend = c.backend();
    let query = fts_query(backend, &words);
    let mut results = Vec::new();
    for (kind, sqlite, postgres) in QUERIES {
        if !kinds.contains(&kind) {
            continue;
        }
        let sql = if backend == Backend::Sqlite {
            sqlite
        } else {
            postgres
        };
        let hits: Vec<Hit> =
            on!(c, c => sqlx::query_as(sql).bind(&query).bind(per_kind).fetch_all(c).await)?;
        results.extend(hits.into_iter().map(|h| SearchResult {
            kind,
            id: h.id,
            title: h.title,
            subtitle: h.subtitle.unwrap_or_default(),
        }));
    }
    Ok(results)
}
