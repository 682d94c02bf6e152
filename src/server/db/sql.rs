//! Building the few statements whose shape depends on the request (list filters, sorts,
//! keyset cursors, search), with every value bound, never spliced into the text.

use super::Backend;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

/// A bound value.
#[derive(Clone, Debug, PartialEq)]
pub enum Arg {
    Text(String),
    Int(i64),
    Uuid(Uuid),
    Time(DateTime<Utc>),
    Date(NaiveDate),
    Bool(bool),
    OptText(Option<String>),
    OptInt(Option<i64>),
    OptUuid(Option<Uuid>),
    OptTime(Option<DateTime<Utc>>),
    OptDate(Option<NaiveDate>),
}

/// SQL text with `$n` placeholders and the values that go with them.
#[derive(Clone, Debug)]
pub struct Sql {
    pub text: String,
    pub args: Vec<Arg>,
    pub backend: Backend,
}

impl Sql {
    pub fn new(backend: Backend, text: &str) -> Sql {
        Sql {
            text: text.to_string(),
            args: Vec::new(),
            backend,
        }
    }

    pub fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Appends a placeholder for `arg`. SQLite gets an anonymous `?` (values are bound in
    /// order): numbered or named ones are looked up in a list for every bind, which makes a
    /// statement with thousands of values quadratic.
    pub fn bind(&mut self, arg: Arg) -> &mut Self {
        self.args.push(arg);
        match self.backend {
            Backend::Sqlite => self.text.push('?'),
            Backend::Postgres => self.text.push_str(&format!("${}", self.args.len())),
        }
        self
    }

    /// Appends `text`, replacing each `?` with a placeholder for the next of `args`.
    pub fn push_bound(&mut self, text: &str, args: Vec<Arg>) -> &mut Self {
        let mut args = args.into_iter();
        for (i, part) in text.split('?').enumerate() {
            if i > 0 {
                if let Some(a) = args.next() {
                    self.bind(a);
                }
            }
            self.push(part);
        }
        self
    }
}

/// Binds every value of a [`Sql`] to a query, in order (inside an `on!` arm, where the
/// backend's types are known).
#[macro_export]
macro_rules! bind_all {
    ($query:expr, $args:expr) => {{
        let mut q = $query;
        for arg in $args {
            q = match arg {
                $crate::server::db::sql::Arg::Text(v) => q.bind(v.clone()),
                $crate::server::db::sql::Arg::Int(v) => q.bind(*v),
                $crate::server::db::sql::Arg::Uuid(v) => q.bind(*v),
                $crate::server::db::sql::Arg::Time(v) => q.bind(*v),
                $crate::server::db::sql::Arg::Date(v) => q.bind(*v),
                $crate::server::db::sql::Arg::Bool(v) => q.bind(*v),
                $crate::server::db::sql::Arg::OptText(v) => q.bind(v.clone()),
                $crate::server::db::sql::Arg::OptInt(v) => q.bind(*v),
                $crate::server::db::sql::Arg::OptUuid(v) => q.bind(*v),
                $crate::server::db::sql::Arg::OptTime(v) => q.bind(*v),
                $crate::server::db::sql::Arg::OptDate(v) => q.bind(*v),
            };
        }
        q
    }};
}
pub use bind_all;

/// The type of the value a sort column holds, so a cursor can be read back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SortType {
    Text,
    Int,
    Time,
    Date,
}

/// A sortable column of a list: the name the API uses, the SQL expression (never null: nullable
/// columns are wrapped in `coalesce`), and its type.
#[derive(Clone, Copy, Debug)]
pub struct SortColumn {
    pub field: &'static str,
    pub expr: &'static str,
    pub kind: SortType,
}

/// `column in (…)` for a set of ids written as literals (a uuid formats as hex digits and
/// dashes only, so nothing a person typed reaches the statement); `1 = 0` for none.
pub fn uuid_in(backend: Backend, column: &str, ids: &[Uuid]) -> String {
    if ids.is_empty() {
        return "1 = 0".into();
    }
    let literal = |id: &Uuid| match backend {
        // Stored as the uuid's sixteen bytes.
        Backend::Sqlite => format!("x'{}'", id.simple()),
        Backend::Postgres => format!("'{id}'::uuid"),
    };
    let list: Vec<String> = ids.iter().map(literal).collect();
    format!("{column} in ({})", list.join(", "))
}

/// Encodes where a page ended: the last row's sort value and id.
pub fn encode_cursor(value: &serde_json::Value, id: Uuid) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::json!([value, id]).to_string())
}

/// Reads a cursor back into bindable values; `None` when it is not one of ours.
pub fn decode_cursor(cursor: &str, kind: SortType) -> Option<(Arg, Uuid)> {
    let bytes = URL_SAFE_NO_PAD.decode(cursor.trim()).ok()?;
    let value: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    let pair = value.as_array()?;
    let id: Uuid = pair.get(1)?.as_str()?.parse().ok()?;
    let v = pair.first()?;
    let arg = match kind {
        SortType::Text => Arg::Text(v.as_str()?.to_string()),
        SortType::Int => Arg::Int(v.as_i64()?),
        SortType::Time => Arg::Time(v.as_str()?.parse().ok()?),
        SortType::Date => Arg::Date(v.as_str()?.parse().ok()?),
    };
    Some((arg, id))
}

/// The words of a search box, for prefix matching: letters and digits only (so nothing the user
/// types can be search syntax), at most eight words.
pub fn search_words(q: &str) -> Vec<String> {
    q.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(8)
        .map(|w| w.to_lowercase())
        .collect()
}

/// The full-text query for `words`: every word must match, as a word or a word's prefix.
pub fn fts_query(backend: Backend, words: &[String]) -> String {
    match backend {
        Backend::Sqlite => words
            .iter()
            .map(|w| format!("\"{w}\"*"))
            .collect::<Vec<_>>()
            .join(" "),
        Backend::Postgres => words
            .iter()
            .map(|w| format!("{w}:*"))
            .collect::<Vec<_>>()
            .join(" & "),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_follow_the_bound_values() {
        let mut sql = Sql::new(Backend::Sqlite, "select 1 where a = ");
        sql.bind(Arg::Int(1))
            .push(" and b = ")
            .bind(Arg::Text("x".into()));
        sql.push_bound(" and (c, d) > (?, ?)", vec![Arg::Int(2), Arg::Bool(true)]);
        assert_eq!(
            sql.text,
            "select 1 where a = ? and b = ? and (c, d) > (?, ?)"
        );
        assert_eq!(sql.args.len(), 4);
        let mut pg = Sql::new(Backend::Postgres, "x = ");
        pg.bind(Arg::Int(1)).push(" and y = ").bind(Arg::Int(2));
        assert_eq!(pg.text, "x = $1 and y = $2");
    }

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        let id = Uuid::now_v7();
        let c = encode_cursor(&serde_json::json!("Acme"), id);
        assert_eq!(
            decode_cursor(&c, SortType::Text),
            Some((Arg::Text("Acme".into()), id))
        );
        assert_eq!(decode_cursor(&c, SortType::Int), None);
        assert_eq!(decode_cursor("not-a-cursor", SortType::Text), None);
        let t = encode_cursor(&serde_json::json!("2026-01-02T03:04:05.123456Z"), id);
        assert!(matches!(
            decode_cursor(&t, SortType::Time),
            Some((Arg::Time(_), _))
        ));
    }

    #[test]
    fn search_input_becomes_safe_prefix_queries() {
        let words = search_words("Ada@Example.com \"OR\" *");
        assert_eq!(words, vec!["ada", "example", "com", "or"]);
        assert_eq!(
            fts_query(Backend::Sqlite, &words[..2]),
            "\"ada\"* \"example\"*"
        );
        assert_eq!(
            fts_query(Backend::Postgres, &words[..2]),
            "ada:* & example:*"
        );
        assert!(search_words("  --  ").is_empty());
    }
}
