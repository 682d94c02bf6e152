//! Applying one batch of an import in one transaction: each row created, merged into the
//! record it duplicates, or skipped, with its audit entry and its outcome, as the plan says.

use super::feed::keys;
use super::rows::{Candidate, Fields, custom_text, merge, merge_custom};
use crate::domain::contact::ContactFields;
use crate::domain::error::AppResult;
use crate::domain::import::{DedupMode, ImportCounts, ImportKind, Outcome};
use crate::server::db::imports::{self, Existing, Import, OutcomeRow};
use crate::server::db::sql::Arg;
use crate::server::db::{Conn, accounts, audit, bulk, contacts, leads};
use crate::server::sales::changes;
use chrono::{DateTime, Utc};
use serde_json::json;
use std::collections::HashMap;
use uuid::Uuid;

/// Everything a batch needs to know about its import.
pub(super) struct Ctx {
    import_id: Uuid,
    kind: ImportKind,
    dedup: DedupMode,
    owner: Uuid,
    actor: Uuid,
    subject: Option<Uuid>,
    /// Where the run was started from, as every other write is audited.
    ip: Option<String>,
    user_agent: Option<String>,
    now: DateTime<Utc>,
    write: bool,
}

impl Ctx {
    pub(super) fn of(import: &Import, now: DateTime<Utc>, write: bool) -> Ctx {
        Ctx {
            import_id: import.id,
            kind: import.kind,
            dedup: import.dedup,
            owner: import.created_by,
            actor: import.actor_id.unwrap_or(import.created_by),
            subject: import
                .actor_id
                .filter(|a| *a != import.created_by)
                .map(|_| import.created_by),
            ip: import.client_ip.clone(),
            user_agent: import.client_user_agent.clone(),
            now,
            write,
        }
    }

    pub(super) fn entry(
        &self,
        action: &str,
        target_type: &str,
        id: Uuid,
        details: serde_json::Value,
    ) -> audit::NewEntry {
        audit::NewEntry {
            actor_id: Some(self.actor),
            subject_id: self.subject,
            action: action.to_string(),
            target_type: Some(target_type.to_string()),
            target_id: Some(id.to_string()),
            ip: self.ip.clone(),
            user_agent: self.user_agent.clone(),
            details,
            ..Default::default()
        }
    }

    fn table(&self) -> &'static str {
        match self.kind {
            ImportKind::Leads => "leads",
            ImportKind::Contacts => "contacts",
            ImportKind::Accounts => "accounts",
        }
    }
}

/// Every duplicate key seen so far in the file → the first row that had it. The keys are
/// already hashes, so the map uses them as they are; it is sized from the file's row count up
/// front, so it never grows (a growing map briefly holds its old and new tables at once).
pub(super) type Seen = HashMap<u64, u32, std::hash::BuildHasherDefault<KeyHasher>>;

#[derive(Default)]
pub(super) struct KeyHasher(u64);

impl std::hash::Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// A map for `rows` rows' keys (one key a row in the common case).
pub(super) fn seen_for(rows: Option<i64>) -> Seen {
    let rows = rows.unwrap_or(0).clamp(0, 50_000_000) as usize;
    Seen::with_capacity_and_hasher(rows, Default::default())
}

/// Accounts this import created from the company column, by name, so later batches find them
/// without asking the database. Nobody else can remove them while the import runs (undo waits
/// for it to end); accounts that were there before are still looked up every batch.
pub(super) type Made = HashMap<String, Uuid>;

/// The most company names remembered (a few MB); beyond it, names are looked up as before.
pub(super) const MADE_ACCOUNTS: usize = 200_000;

pub(super) struct BatchResult {
    pub(super) counts: ImportCounts,
    pub(super) outcomes: Vec<OutcomeRow>,
}

/// Applies (or, in a dry run, only judges) one batch.
pub(super) async fn apply_batch(
    c: &mut Conn<'_>,
    ctx: &Ctx,
    rows: Vec<(i64, Result<Candidate, String>)>,
    seen: &mut Seen,
    made: &mut Made,
) -> AppResult<BatchResult> {
    let table = ctx.table();
    // Look up every key of the batch at once.
    let mut ids = Vec::new();
    let mut emails = Vec::new();
    let mut names = Vec::new();
    let mut companies = Vec::new();
    for (_, r) in &rows {
        let Ok(cand) = r else { continue };
        if let Some(id) = cand.id {
            ids.push(Arg::Uuid(id));
        }
        if let Some(k) = cand.email_or_domain() {
            emails.push(Arg::Text(k.to_string()));
        }
        if let Some(n) = cand.account_name() {
            names.push(Arg::Text(n.to_string()));
        }
        if let Some(co) = cand.company.as_ref().filter(|co| !made.contains_key(*co)) {
            companies.push(Arg::Text(co.clone()));
        }
    }
    let key_column = if ctx.kind == ImportKind::Accounts {
        "domain"
    } else {
        "email"
    };
    let by_id: HashMap<Uuid, Existing> = imports::existing(c, table, "id", ids)
        .await?
        .into_iter()
        .map(|e| (e.id, e))
        .collect();
    let by_key: HashMap<String, Existing> = imports::existing(c, table, key_column, emails)
        .await?
        .into_iter()
        .map(|e| (e.key.clone(), e))
        .collect();
    let by_name: HashMap<String, Existing> = imports::existing(c, "accounts", "name", names)
        .await?
        .into_iter()
        .map(|e| (e.key.clone(), e))
        .collect();
    let mut account_of: HashMap<String, Uuid> = imports::existing(c, "accounts", "name", companies)
        .await?
        .into_iter()
        .map(|e| (e.key, e.id))
        .collect();

    let mut result = BatchResult {
        counts: ImportCounts::default(),
        outcomes: Vec::with_capacity(rows.len()),
    };
    let mut created_in_batch: HashMap<u64, Uuid> = HashMap::new();
    let mut new_accounts: Vec<(Uuid, String)> = Vec::new();
    let mut inserts: Vec<Vec<Arg>> = Vec::new();
    let mut entries: Vec<audit::NewEntry> = Vec::new();

    for (row, parsed) in rows {
        let mut cand = match parsed {
            Ok(c) => c,
            Err(reason) => {
                push(&mut result, row, Outcome::Invalid(reason), None);
                continue;
            }
        };
        // The record in the CRM this row is about, if any.
        let existing = cand
            .id
            .and_then(|id| by_id.get(&id))
            .or_else(|| cand.email_or_domain().and_then(|k| by_key.get(k)))
            .or_else(|| cand.account_name().and_then(|n| by_name.get(n)));
        let row_keys = keys(ctx.kind, &cand);
        if let Some((key, what, first)) = row_keys
            .iter()
            .find_map(|(k, what)| seen.get(k).map(|first| (*k, *what, *first)))
        {
            let record = existing
                .map(|e| e.id)
                .or_else(|| created_in_batch.get(&key).copied());
            let message = format!("Same {what} as row {first}.");
            push_with(
                &mut result,
                row,
                Outcome::DuplicateInFile,
                record,
                Some(message),
            );
            continue;
        }
        for (k, _) in &row_keys {
            seen.insert(*k, row as u32);
        }
        // An email given to a record matched by id must not belong to another record.
        if let (Some(e), Some(k)) = (existing, cand.email_or_domain()) {
            if by_key.get(k).is_some_and(|other| other.id != e.id) {
                let word = if ctx.kind == ImportKind::Accounts {
                    "domain"
                } else {
                    "email"
                };
                let reason = format!("{word}: {k} belongs to another {}.", ctx.kind.record_word());
                push(&mut result, row, Outcome::Invalid(reason), Some(e.id));
                continue;
            }
        }
        // Contacts: the account named in the company column, found or created.
        if let (Fields::Contact(f), Some(company)) = (&mut cand.fields, cand.company.as_deref()) {
            let account = match account_of.get(company).or_else(|| made.get(company)) {
                Some(id) => *id,
                None => {
                    let id = Uuid::now_v7();
                    account_of.insert(company.to_string(), id);
                    new_accounts.push((id, company.to_string()));
                    id
                }
            };
            f.account_id = Some(account);
        }
        match existing {
            Some(e) if ctx.dedup == DedupMode::Skip => {
                push_with(
                    &mut result,
                    row,
                    Outcome::SkippedDuplicate,
                    Some(e.id),
                    Some(format!("Matches an existing {}.", ctx.kind.record_word())),
                );
            }
            Some(e) => {
                let id = e.id;
                if update_existing(c, ctx, id, &cand, &mut entries, row).await? {
                    push(&mut result, row, Outcome::Updated, Some(id));
                } else {
                    push_with(
                        &mut result,
                        row,
                        Outcome::SkippedDuplicate,
                        Some(id),
                        Some("Matches an existing record; nothing to change.".into()),
                    );
                }
            }
            None => {
                let id = Uuid::now_v7();
                for (k, _) in &row_keys {
                    created_in_batch.insert(*k, id);
                }
                if ctx.write {
                    inserts.push(insert_values(ctx, id, &cand));
                    entries.push(ctx.entry(
                        &format!("{}.created", ctx.kind.record_word()),
                        ctx.kind.record_word(),
                        id,
                        json!({ "import_id": ctx.import_id, "row": row }),
                    ));
                }
                push(&mut result, row, Outcome::Created, Some(id));
            }
        }
    }

    for (id, name) in &new_accounts {
        if made.len() < MADE_ACCOUNTS {
            made.insert(name.clone(), *id);
        }
    }
    if ctx.write {
        // Accounts first: the contacts point at them.
        let account_rows: Vec<Vec<Arg>> = new_accounts
            .iter()
            .map(|(id, name)| {
                vec![
                    Arg::Uuid(*id),
                    Arg::Uuid(ctx.owner),
                    Arg::Text(name.clone()),
                    Arg::Time(ctx.now),
                    Arg::Time(ctx.now),
                    Arg::Int(1),
                    Arg::Uuid(ctx.import_id),
                ]
            })
            .collect();
        let account_entries: Vec<audit::NewEntry> = new_accounts
            .iter()
            .map(|(id, _)| {
                ctx.entry(
                    "account.created",
                    "account",
                    *id,
                    json!({ "import_id": ctx.import_id, "from_company_column": true }),
                )
            })
            .collect();
        bulk::insert_rows(
            c,
            "accounts",
            &[
                "id",
                "owner_id",
                "name",
                "created_at",
                "updated_at",
                "version",
                "import_id",
            ],
            account_rows,
        )
        .await?;
        bulk::insert_rows(c, table, insert_columns(ctx.kind), inserts).await?;
        audit::insert_many(c, &account_entries, ctx.now).await?;
        audit::insert_many(c, &entries, ctx.now).await?;
        imports::insert_rows(c, ctx.import_id, std::mem::take(&mut result.outcomes)).await?;
    }
    Ok(result)
}

pub(super) fn push(result: &mut BatchResult, row: i64, outcome: Outcome, record: Option<Uuid>) {
    let message = match &outcome {
        Outcome::Invalid(reason) => Some(reason.clone()),
        _ => None,
    };
    push_with(result, row, outcome, record, message);
}

pub(super) fn push_with(
    result: &mut BatchResult,
    row: i64,
    outcome: Outcome,
    record: Option<Uuid>,
    message: Option<String>,
) {
    result.counts.add(&outcome);
    result.outcomes.push(OutcomeRow {
        row,
        outcome: outcome.code(),
        record_id: record,
        message,
    });
}

pub(super) fn insert_columns(kind: ImportKind) -> &'static [&'static str] {
    match kind {
        ImportKind::Leads => &[
            "id",
            "owner_id",
            "name",
            "company",
            "email",
            "phone",
            "source",
            "utm_source",
            "utm_medium",
            "utm_campaign",
            "status",
            "created_at",
            "updated_at",
            "version",
            "custom",
            "import_id",
        ],
        ImportKind::Contacts => &[
            "id",
            "owner_id",
            "first_name",
            "last_name",
            "email",
            "phone",
            "title",
            "account_id",
            "role",
            "active",
            "is_test",
            "created_at",
            "updated_at",
            "version",
            "custom",
            "import_id",
        ],
        ImportKind::Accounts => &[
            "id",
            "owner_id",
            "name",
            "domain",
            "industry",
            "phone",
            "city",
            "annual_revenue",
            "created_at",
            "updated_at",
            "version",
            "import_id",
        ],
    }
}

pub(super) fn insert_values(ctx: &Ctx, id: Uuid, cand: &Candidate) -> Vec<Arg> {
    let (now, owner, import) = (
        Arg::Time(ctx.now),
        Arg::Uuid(ctx.owner),
        Arg::Uuid(ctx.import_id),
    );
    let custom = Arg::OptText(custom_text(&cand.custom));
    match &cand.fields {
        Fields::Lead(f) => vec![
            Arg::Uuid(id),
            owner,
            Arg::Text(f.name.clone()),
            Arg::OptText(f.company.clone()),
            Arg::OptText(f.email.clone()),
            Arg::OptText(f.phone.clone()),
            Arg::Text(f.source.as_str().into()),
            Arg::OptText(f.utm_source.clone()),
            Arg::OptText(f.utm_medium.clone()),
            Arg::OptText(f.utm_campaign.clone()),
            Arg::Text("new".into()),
            now.clone(),
            now,
            Arg::Int(1),
            custom,
            import,
        ],
        Fields::Contact(f) => vec![
            Arg::Uuid(id),
            owner,
            Arg::OptText(f.first_name.clone()),
            Arg::OptText(f.last_name.clone()),
            Arg::OptText(f.email.clone()),
            Arg::OptText(f.phone.clone()),
            Arg::OptText(f.title.clone()),
            Arg::OptUuid(f.account_id),
            Arg::Text(f.role.as_str().into()),
            Arg::Bool(f.active),
            Arg::Bool(f.is_test),
            now.clone(),
            now,
            Arg::Int(1),
            custom,
            import,
        ],
        Fields::Account(f) => vec![
            Arg::Uuid(id),
            owner,
            Arg::Text(f.name.clone()),
            Arg::OptText(f.domain.clone()),
            Arg::OptText(f.industry.clone()),
            Arg::OptText(f.phone.clone()),
            Arg::OptText(f.city.clone()),
            Arg::OptInt(f.annual_revenue),
            now.clone(),
            now,
            Arg::Int(1),
            import,
        ],
    }
}

/// Fills or overwrites a matched record from the row; whether anything changed. In a dry run
/// nothing is written.
pub(super) async fn update_existing(
    c: &mut Conn<'_>,
    ctx: &Ctx,
    id: Uuid,
    cand: &Candidate,
    entries: &mut Vec<audit::NewEntry>,
    row: i64,
) -> AppResult<bool> {
    let mode = ctx.dedup;
    let (diff, custom) = match &cand.fields {
        Fields::Lead(new) => {
            let Some(cur) = leads::get(c, id).await? else {
                return Ok(false);
            };
            let mut next = cur.clone();
            merge(&mut next.fields, new, &cand.given, mode);
            let mut custom = cur.custom.0.clone();
            let custom_changed = merge_custom(&mut custom, &cand.custom, mode);
            let diff = changes(&cur.fields, &next.fields);
            if ctx.write && !diff.is_empty() {
                next.updated_at = ctx.now;
                leads::update(c, &next, cur.version).await?;
            }
            (diff, custom_changed.then_some(custom))
        }
        Fields::Contact(new) => {
            let Some(cur) = contacts::get(c, id).await? else {
                return Ok(false);
            };
            let mut next = cur.clone();
            merge::<ContactFields>(&mut next.fields, new, &cand.given, mode);
            let mut custom = cur.custom.0.clone();
            let custom_changed = merge_custom(&mut custom, &cand.custom, mode);
            let diff = changes(&cur.fields, &next.fields);
            if ctx.write && !diff.is_empty() {
                next.updated_at = ctx.now;
                contacts::update(c, &next, cur.version).await?;
            }
            (diff, custom_changed.then_some(custom))
        }
        Fields::Account(new) => {
            let Some(cur) = accounts::get(c, id).await? else {
                return Ok(false);
            };
            let mut next = cur.clone();
            merge(&mut next.fields, new, &cand.given, mode);
            let diff = changes(&cur.fields, &next.fields);
            if ctx.write && !diff.is_empty() {
                next.updated_at = ctx.now;
                accounts::update(c, &next, cur.version).await?;
            }
            (diff, None)
        }
    };
    if diff.is_empty() && custom.is_none() {
        return Ok(false);
    }
    if ctx.write {
        if let Some(custom) = &custom {
            imports::set_custom(c, ctx.table(), id, custom_text(custom)).await?;
        }
        let mut details = json!({ "changes": diff, "import_id": ctx.import_id, "row": row });
        if custom.is_some() {
            details["custom_changed"] = json!(true);
        }
        entries.push(ctx.entry(
            &format!("{}.updated", ctx.kind.record_word()),
            ctx.kind.record_word(),
            id,
            details,
        ));
    }
    Ok(true)
}
