//! The append-only audit log, a hash chain. Rows are only ever inserted (triggers refuse
//! updates and deletes); writes that change records insert their audit row in the same
//! transaction, and each row's hash covers its content and the hash of the row before it, so
//! `crm audit verify` notices a row changed, removed or inserted behind the application's back.

mod read;

use super::truncate_micros;
use super::{Conn, on};
use chrono::{DateTime, SecondsFormat, Utc};
pub use read::*;
use sha2::{Digest, Sha256};
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

/// The key of the PostgreSQL advisory lock that lets one transaction at a time append to the
/// chain (held until that transaction ends). SQLite needs none: its write transactions begin
/// `IMMEDIATE`, so the appending transaction already holds the database's one write lock.
const CHAIN_LOCK: i64 = 0x0a0d_17c4_a1e0;

/// The `prev_hash` of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What an entry's hash covers: every column but `seq` (the chain itself fixes the order).
#[derive(Clone, Copy, Debug)]
pub struct Content<'a> {
    pub id: Uuid,
    pub at: DateTime<Utc>,
    pub actor_id: Option<Uuid>,
    pub actor_label: Option<&'a str>,
    pub subject_id: Option<Uuid>,
    pub action: &'a str,
    pub target_type: Option<&'a str>,
    pub target_id: Option<&'a str>,
    pub ip: Option<&'a str>,
    pub user_agent: Option<&'a str>,
    pub details: &'a serde_json::Value,
}

impl Content<'_> {
    /// SHA-256 (hex) of the previous hash and this content, written as a JSON array with
    /// object keys sorted, so the same entry hashes the same read back from either backend.
    pub fn chain_hash(&self, prev: &str) -> String {
        let uuid = |u: Option<Uuid>| u.map(|u| u.hyphenated().to_string());
        // A tuple is written as a JSON array, element by element, without first building a
        // `Value` (an import hashes a million of these).
        let parts = (
            prev,
            self.id.hyphenated().to_string(),
            self.at.to_rfc3339_opts(SecondsFormat::Micros, true),
            uuid(self.actor_id),
            self.actor_label,
            uuid(self.subject_id),
            self.action,
            self.target_type,
            self.target_id,
            self.ip,
            self.user_agent,
            Sorted(self.details),
        );
        let mut text = Vec::with_capacity(320);
        // Writing JSON into memory cannot fail (keys are strings).
        let _ = serde_json::to_writer(&mut text, &parts);
        hex(&Sha256::digest(&text))
    }
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 15)] as char);
    }
    out
}

/// Writes JSON with every object's keys in sorted order (PostgreSQL's `jsonb` keeps its own
/// order, SQLite keeps the text as written), so an entry hashes the same read back from
/// either backend.
struct Sorted<'a>(&'a serde_json::Value);

impl serde::Serialize for Sorted<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeSeq};
        use serde_json::Value;
        match self.0 {
            Value::Object(map) => {
                let mut entries: Vec<(&String, &Value)> = map.iter().collect();
                entries.sort_by(|a, b| a.0.cmp(b.0));
                let mut m = s.serialize_map(Some(entries.len()))?;
                for (k, v) in entries {
                    m.serialize_entry(k, &Sorted(v))?;
                }
                m.end()
            }
            Value::Array(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for v in items {
                    seq.serialize_element(&Sorted(v))?;
                }
                seq.end()
            }
            other => other.serialize(s),
        }
    }
}

/// Appends an entry to the chain. Must run inside a write transaction ([`super::Db::begin`]):
/// reading the last hash and inserting after it are then one step for every other writer,
/// in this process or another.
pub async fn insert(
    c: &mut Conn<'_>,
    e: &NewEntry,
    now: DateTime<Utc>,
) -> Result<Uuid, sqlx::Error> {
    let id = Uuid::now_v7();
    let details = if e.details.is_null() {
        serde_json::json!({})
    } else {
        e.details.clone()
    };
    let content = Content {
        id,
        at: truncate_micros(now),
        actor_id: e.actor_id,
        actor_label: e.actor_label.as_deref(),
        subject_id: e.subject_id,
        action: &e.action,
        target_type: e.target_type.as_deref(),
        target_id: e.target_id.as_deref(),
        ip: e.ip.as_deref(),
        user_agent: e.user_agent.as_deref(),
        details: &details,
    };
    let prev = last_hash(c).await?;
    let hash = content.chain_hash(&prev);
    let sql =
        "insert into audit_log (id, at, actor_id, actor_label, subject_id, action, target_type,
                                      target_id, ip, user_agent, details, prev_hash, hash)
               values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)";
    let details = Json(details.clone());
    on!(c, c => sqlx::query(sql)
        .bind(id)
        .bind(content.at)
        .bind(e.actor_id)
        .bind(e.actor_label.as_deref())
        .bind(e.subject_id)
        .bind(&e.action)
        .bind(e.target_type.as_deref())
        .bind(e.target_id.as_deref())
        .bind(e.ip.as_deref())
        .bind(e.user_agent.as_deref())
        .bind(&details)
        .bind(&prev)
        .bind(&hash)
        .execute(c)
        .await
        .map(|_| ()))?;
    Ok(id)
}

/// Appends many entries at once, all at `now`, chained in the order given (imports write one
/// per record). Same rules as [`insert`]: inside a write transaction.
pub async fn insert_many(
    c: &mut Conn<'_>,
    entries: &[NewEntry],
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    if entries.is_empty() {
        return Ok(());
    }
    let at = truncate_micros(now);
    let mut prev = last_hash(c).await?;
    let mut rows = Vec::with_capacity(entries.len());
    for e in entries {
        let id = Uuid::now_v7();
        let details = if e.details.is_null() {
            serde_json::json!({})
        } else {
            e.details.clone()
        };
        let hash = Content {
            id,
            at,
            actor_id: e.actor_id,
            actor_label: e.actor_label.as_deref(),
            subject_id: e.subject_id,
            action: &e.action,
            target_type: e.target_type.as_deref(),
            target_id: e.target_id.as_deref(),
            ip: e.ip.as_deref(),
            user_agent: e.user_agent.as_deref(),
            details: &details,
        }
        .chain_hash(&prev);
        rows.push((
            id,
            e,
            details,
            std::mem::replace(&mut prev, hash.clone()),
            hash,
        ));
    }
    match c {
        Conn::Sqlite(_) => {
            use super::sql::Arg;
            let values = rows
                .into_iter()
                .map(|(id, e, details, prev, hash)| {
                    vec![
                        Arg::Uuid(id),
                        Arg::Time(at),
                        Arg::OptUuid(e.actor_id),
                        Arg::OptText(e.actor_label.clone()),
                        Arg::OptUuid(e.subject_id),
                        Arg::Text(e.action.clone()),
                        Arg::OptText(e.target_type.clone()),
                        Arg::OptText(e.target_id.clone()),
                        Arg::OptText(e.ip.clone()),
                        Arg::OptText(e.user_agent.clone()),
                        Arg::Text(details.to_string()),
                        Arg::Text(prev),
                        Arg::Text(hash),
                    ]
                })
                .collect();
            super::bulk::insert_rows(c, "audit_log", &ENTRY_INSERT_COLUMNS, values).await?;
        }
        Conn::Postgres(pg) => {
            // One statement for the whole batch: each column as an array, unnested in the
            // chain's order, so `seq` follows it (a round trip per entry made a million-row
            // import spend most of its time waiting on the network).
            let n = rows.len();
            let mut ids = Vec::with_capacity(n);
            let mut actor_ids = Vec::with_capacity(n);
            let mut actor_labels = Vec::with_capacity(n);
            let mut subject_ids = Vec::with_capacity(n);
            let mut actions = Vec::with_capacity(n);
            let mut target_types = Vec::with_capacity(n);
            let mut target_ids = Vec::with_capacity(n);
            let mut ips = Vec::with_capacity(n);
            let mut user_agents = Vec::with_capacity(n);
            let mut details_texts = Vec::with_capacity(n);
            let mut prevs = Vec::with_capacity(n);
            let mut hashes = Vec::with_capacity(n);
            for (id, e, details, prev, hash) in rows {
                ids.push(id);
                actor_ids.push(e.actor_id);
                actor_labels.push(e.actor_label.clone());
                subject_ids.push(e.subject_id);
                actions.push(e.action.clone());
                target_types.push(e.target_type.clone());
                target_ids.push(e.target_id.clone());
                ips.push(e.ip.clone());
                user_agents.push(e.user_agent.clone());
                details_texts.push(details.to_string());
                prevs.push(prev);
                hashes.push(hash);
            }
            let sql = "insert into audit_log (id, at, actor_id, actor_label, subject_id, action, target_type,
                                              target_id, ip, user_agent, details, prev_hash, hash)
                       select id, $2, actor_id, actor_label, subject_id, action, target_type,
                              target_id, ip, user_agent, details::jsonb, prev_hash, hash
                       from unnest($1::uuid[], $3::uuid[], $4::text[], $5::uuid[], $6::text[], $7::text[],
                                   $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[])
                            with ordinality as e(id, actor_id, actor_label, subject_id, action, target_type,
                                                 target_id, ip, user_agent, details, prev_hash, hash, n)
                       order by n";
            sqlx::query(sql)
                .bind(&ids)
                .bind(at)
                .bind(&actor_ids)
                .bind(&actor_labels)
                .bind(&subject_ids)
                .bind(&actions)
                .bind(&target_types)
                .bind(&target_ids)
                .bind(&ips)
                .bind(&user_agents)
                .bind(&details_texts)
                .bind(&prevs)
                .bind(&hashes)
                .execute(&mut **pg)
                .await?;
        }
    }
    Ok(())
}

const ENTRY_INSERT_COLUMNS: [&str; 13] = [
    "id",
    "at",
    "actor_id",
    "actor_label",
    "subject_id",
    "action",
    "target_type",
    "target_id",
    "ip",
    "user_agent",
    "details",
    "prev_hash",
    "hash",
];

/// The hash the next entry chains to, taking the append lock first on PostgreSQL.
async fn last_hash(c: &mut Conn<'_>) -> Result<String, sqlx::Error> {
    if let Conn::Postgres(pg) = c {
        sqlx::query("select pg_advisory_xact_lock($1)")
            .bind(CHAIN_LOCK)
            .execute(&mut **pg)
            .await?;
    }
    let sql = "select hash from audit_log order by seq desc limit 1";
    let last: Option<Option<String>> =
        on!(c, c => sqlx::query_scalar(sql).fetch_optional(c).await)?;
    Ok(last.flatten().unwrap_or_else(|| GENESIS.to_string()))
}

/// Gives every entry written before the chain existed its hash, in order (run after the
/// migrations; a no-op once they all have one). Only those entries: a row without a hash
/// after them was slipped in behind the application's back, and `verify` must report it.
/// Returns how many were sealed.
pub async fn seal_unhashed(c: &mut Conn<'_>) -> Result<u64, sqlx::Error> {
    let sql = format!(
        "select {ENTRY_COLUMNS} from audit_log
         where hash is null and seq <= (select legacy_through from audit_chain_start)
         order by seq"
    );
    let rows: Vec<EntryRow> = on!(c, c => sqlx::query_as(&sql).fetch_all(c).await)?;
    if rows.is_empty() {
        return Ok(0);
    }
    let before = "select hash from audit_log where seq < $1 and hash is not null
                  order by seq desc limit 1";
    let first = rows[0].seq;
    let found: Option<Option<String>> =
        on!(c, c => sqlx::query_scalar(before).bind(first).fetch_optional(c).await)?;
    let mut prev = found.flatten().unwrap_or_else(|| GENESIS.to_string());
    let update = "update audit_log set prev_hash = $2, hash = $3 where seq = $1 and hash is null";
    for row in &rows {
        let hash = row.content().chain_hash(&prev);
        on!(c, c => sqlx::query(update).bind(row.seq).bind(&prev).bind(&hash).execute(c).await
            .map(|_| ()))?;
        prev = hash;
    }
    Ok(rows.len() as u64)
}

/// What `crm audit verify` found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Every entry's hash matches its content and chains to the one before it.
    Intact { entries: u64, head: String },
    /// The first entry that does not check out, and why.
    Broken {
        seq: i64,
        id: Uuid,
        checked: u64,
        problem: Problem,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Problem {
    /// Its content no longer gives its stored hash: it was edited (or written out of band).
    ContentChanged,
    /// It does not chain to the entry before it: an entry was removed before it, or it was
    /// inserted out of band.
    LinkBroken,
    /// It has no hash at all: written out of band after the chain began.
    Unsealed,
}

impl Problem {
    pub fn describe(self) -> &'static str {
        match self {
            Problem::ContentChanged => {
                "its content does not match its hash (the entry was changed after it was written)"
            }
            Problem::LinkBroken => {
                "it does not follow the entry before it (an entry was removed, or this one was inserted out of band)"
            }
            Problem::Unsealed => "it has no hash (it was inserted out of band)",
        }
    }
}

/// Walks the whole chain in order, streaming (constant memory at any size), and stops at the
/// first entry that does not check out.
pub async fn verify(c: &mut Conn<'_>) -> Result<Verdict, sqlx::Error> {
    use futures::TryStreamExt;
    let sql = format!("select {ENTRY_COLUMNS} from audit_log order by seq");
    let mut prev = GENESIS.to_string();
    let mut checked = 0u64;
    macro_rules! walk {
        ($stream:expr) => {{
            let mut rows = $stream;
            while let Some(row) = rows.try_next().await? {
                let row: EntryRow = row;
                let problem = match (&row.prev_hash, &row.hash) {
                    (_, None) => Some(Problem::Unsealed),
                    (Some(p), Some(_)) if *p != prev => Some(Problem::LinkBroken),
                    (None, Some(_)) => Some(Problem::LinkBroken),
                    (Some(_), Some(h)) if *h != row.content().chain_hash(&prev) => {
                        Some(Problem::ContentChanged)
                    }
                    _ => None,
                };
                if let Some(problem) = problem {
                    return Ok(Verdict::Broken {
                        seq: row.seq,
                        id: row.id,
                        checked,
                        problem,
                    });
                }
                prev = row.hash.unwrap_or_default();
                checked += 1;
            }
        }};
    }
    match c {
        Conn::Sqlite(c) => walk!(sqlx::query_as::<_, EntryRow>(&sql).fetch(&mut **c)),
        Conn::Postgres(c) => walk!(sqlx::query_as::<_, EntryRow>(&sql).fetch(&mut **c)),
    }
    Ok(Verdict::Intact {
        entries: checked,
        head: prev,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    /// The hash as first defined: a `Value` array with sorted objects, printed compactly.
    /// Entries already in databases were hashed this way; the fast path must agree byte for byte.
    fn reference_hash(c: &Content<'_>, prev: &str) -> String {
        fn canonical(v: &Value) -> Value {
            match v {
                Value::Object(map) => {
                    let mut keys: Vec<&String> = map.keys().collect();
                    keys.sort();
                    let mut out = serde_json::Map::new();
                    for k in keys {
                        out.insert(k.clone(), canonical(&map[k]));
                    }
                    Value::Object(out)
                }
                Value::Array(items) => Value::Array(items.iter().map(canonical).collect()),
                other => other.clone(),
            }
        }
        let uuid = |u: Option<Uuid>| u.map(|u| u.hyphenated().to_string());
        let text = json!([
            prev,
            c.id.hyphenated().to_string(),
            c.at.to_rfc3339_opts(SecondsFormat::Micros, true),
            uuid(c.actor_id),
            c.actor_label,
            uuid(c.subject_id),
            c.action,
            c.target_type,
            c.target_id,
            c.ip,
            c.user_agent,
            canonical(c.details),
        ])
        .to_string();
        Sha256::digest(text.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    #[test]
    fn the_fast_hash_matches_the_defined_one() {
        let details = [
            json!({}),
            json!({"zeta": 1, "alpha": {"y": [3, {"b": null, "a": "é\n\"q\""}], "x": 1.5}, "m": true}),
            json!({"changes": {"status": {"old": "new", "new": "working"}}, "import_id": "x", "row": 7}),
            json!(["unsorted", {"k2": 2, "k1": 1}]),
        ];
        for (i, d) in details.iter().enumerate() {
            let c = Content {
                id: Uuid::from_u128(0x1234_5678_9abc_def0 + i as u128),
                at: DateTime::from_timestamp(1_800_000_000 + i as i64, 123_456_000).expect("time"),
                actor_id: (i % 2 == 0).then(|| Uuid::from_u128(42)),
                actor_label: (i == 1).then_some("someone@example.com"),
                subject_id: (i == 2).then(|| Uuid::from_u128(7)),
                action: "contact.created",
                target_type: Some("contact"),
                target_id: Some("abc"),
                ip: (i != 3).then_some("10.0.0.1"),
                user_agent: Some("Mozilla/5.0 \u{1F600}"),
                details: d,
            };
            assert_eq!(
                c.chain_hash(GENESIS),
                reference_hash(&c, GENESIS),
                "details {d}"
            );
        }
    }
}
