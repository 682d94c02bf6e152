//! Reading the audit log: the recent entries, a record's history, a search, and who acted as
//! whom.

use super::*;

pub(super) const ENTRY_COLUMNS: &str =
    "seq, id, at, actor_id, actor_label, subject_id, action, target_type,
                              target_id, ip, user_agent, details, prev_hash, hash";

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
    pub prev_hash: Option<String>,
    pub hash: Option<String>,
}

impl EntryRow {
    pub fn content(&self) -> Content<'_> {
        Content {
            id: self.id,
            at: self.at,
            actor_id: self.actor_id,
            actor_label: self.actor_label.as_deref(),
            subject_id: self.subject_id,
            action: &self.action,
            target_type: self.target_type.as_deref(),
            target_id: self.target_id.as_deref(),
            ip: self.ip.as_deref(),
            user_agent: self.user_agent.as_deref(),
            details: &self.details.0,
        }
    }
}

/// The newest entries, optionally only those of one action.
pub async fn recent(
    c: &mut Conn<'_>,
    action: Option<&str>,
    limit: i64,
) -> Result<Vec<EntryRow>, sqlx::Error> {
    let sql = format!(
        "select {ENTRY_COLUMNS} from audit_log where ($1 is null or action = $1)
         order by seq desc limit $2"
    );
    on!(c, c => sqlx::query_as(&sql).bind(action).bind(limit).fetch_all(c).await)
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
        subject_name: Option<String>,
    }
    let sql = "select a.seq, a.id, a.at, a.actor_id, a.actor_label, a.subject_id, a.action, a.target_type,
                      a.target_id, a.ip, a.user_agent, a.details, a.prev_hash, a.hash, u.name as actor_name,
                      su.name as subject_name
               from audit_log a left join users u on u.id = a.actor_id
               left join users su on su.id = a.subject_id
               where a.target_type = $1 and a.target_id = $2 order by a.seq desc limit $3";
    let rows: Vec<Row> = on!(c, c => sqlx::query_as(sql).bind(target_type).bind(target_id).bind(limit).fetch_all(c).await)?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let who = acting_as(r.actor_name, r.subject_name);
            (r.entry, who)
        })
        .collect())
}

/// How an actor is named wherever one is shown: while an admin viewed the CRM as someone, what
/// was done is theirs, "Ann Admin as Sam Sales", never credited to the one they viewed as.
pub fn acting_as(actor: Option<String>, subject: Option<String>) -> Option<String> {
    match (actor, subject) {
        (Some(a), Some(s)) if a != s => Some(format!("{a} as {s}")),
        (a, s) => a.or(s),
    }
}

/// For records of `target_type` among `ids` that were created (`action`) while an admin viewed
/// the CRM as someone: id → "Admin as Someone". Records created plainly are not listed.
pub async fn created_while_viewing_as(
    c: &mut Conn<'_>,
    target_type: &str,
    action: &str,
    ids: &[String],
) -> Result<std::collections::HashMap<String, String>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(Default::default());
    }
    let list = (0..ids.len())
        .map(|i| format!("${}", i + 3))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "select a.target_id, u.name, su.name from audit_log a
           left join users u on u.id = a.actor_id left join users su on su.id = a.subject_id
          where a.target_type = $1 and a.action = $2 and a.subject_id is not null
            and a.target_id in ({list})"
    );
    let rows: Vec<(Option<String>, Option<String>, Option<String>)> = on!(c, c => {
        let mut q = sqlx::query_as(&sql).bind(target_type).bind(action);
        for id in ids {
            q = q.bind(id);
        }
        q.fetch_all(c).await
    })?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, actor, subject)| Some((id?, acting_as(actor, subject)?)))
        .collect())
}

/// An entry with the names of who acted and who was acted as.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct NamedEntry {
    #[sqlx(flatten)]
    pub entry: EntryRow,
    pub actor_name: Option<String>,
    pub subject_name: Option<String>,
}

/// Entries matching the filter, newest first (keyset paging on `seq`).
pub async fn search(
    c: &mut Conn<'_>,
    f: &crate::domain::admin::AuditFilter,
    limit: i64,
) -> Result<Vec<NamedEntry>, sqlx::Error> {
    let (action, prefix) = match f.action.as_deref().map(str::trim).filter(|a| !a.is_empty()) {
        Some(a) if a.ends_with('.') => (None, Some(format!("{a}%"))),
        Some(a) => (Some(a.to_string()), None),
        None => (None, None),
    };
    let text = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    let sql = "select a.seq, a.id, a.at, a.actor_id, a.actor_label, a.subject_id, a.action,
                      a.target_type, a.target_id, a.ip, a.user_agent, a.details, a.prev_hash,
                      a.hash, u.name as actor_name,
                      coalesce(su.name, trim(coalesce(sc.first_name, '') || ' ' ||
                               coalesce(sc.last_name, ''))) as subject_name
               from audit_log a
               left join users u on u.id = a.actor_id
               left join users su on su.id = a.subject_id
               left join contacts sc on sc.id = a.subject_id
               where ($1 is null or a.actor_id = $1)
                 and ($2 is null or a.subject_id = $2)
                 and ($3 is null or a.target_type = $3)
                 and ($4 is null or a.target_id = $4)
                 and ($5 is null or a.action = $5)
                 and ($6 is null or a.action like $6)
                 and ($7 is null or a.at >= $7)
                 and ($8 is null or a.at < $8)
                 and ($9 is null or a.seq < $9)
               order by a.seq desc limit $10";
    on!(c, c => sqlx::query_as(sql)
        .bind(f.actor)
        .bind(f.subject)
        .bind(text(&f.target_type))
        .bind(text(&f.target_id))
        .bind(action.as_deref())
        .bind(prefix.as_deref())
        .bind(f.from)
        .bind(f.to)
        .bind(f.before)
        .bind(limit)
        .fetch_all(c)
        .await)
}

/// What an entry's target is called today, so the log reads "user Dana Reyes" rather than
/// an id whose first characters every id shares. `None` when the type has no name or the
/// record is gone (the id is still shown).
pub async fn target_name(
    c: &mut Conn<'_>,
    target_type: &str,
    target_id: &str,
) -> Result<Option<String>, sqlx::Error> {
    let by_uuid = match target_type {
        "user" => "select name from users where id = $1",
        "lead" => "select name from leads where id = $1",
        "account" => "select name from accounts where id = $1",
        "opportunity" => "select name from opportunities where id = $1",
        "contact" => {
            "select coalesce(nullif(trim(coalesce(first_name, '') || ' ' || coalesce(last_name, '')), ''), email)
             from contacts where id = $1"
        }
        "ticket" => "select '#' || cast(number as text) || ' ' || subject from tickets where id = $1",
        "form" => "select title from forms where id = $1",
        "import" => "select file_name from imports where id = $1",
        "api_token" => "select label from api_tokens where id = $1",
        "stage" => {
            return on!(c, c => sqlx::query_scalar("select label from pipeline_stages where key = $1")
                .bind(target_id)
                .fetch_optional(c)
                .await);
        }
        _ => return Ok(None),
    };
    let Ok(id) = target_id.parse::<Uuid>() else {
        return Ok(None);
    };
    let name: Option<Option<String>> =
        on!(c, c => sqlx::query_scalar(by_uuid).bind(id).fetch_optional(c).await)?;
    Ok(name.flatten().filter(|n| !n.trim().is_empty()))
}
