//! The import job: reads the file on a blocking thread (parsing and validating there, in
//! parallel with the database work), and applies it in batches, each batch one transaction
//! that writes its records, their audit entries, the rows' outcomes and the import's progress
//! together. The progress update only succeeds from the row count the batch started at, so a
//! batch is committed at most once: after a crash the job resumes at the last committed batch.

use super::reader::{self, Layout, cells};
use super::rows::{Candidate, Fields, Plan, candidate, custom_text, merge, merge_custom};
use crate::domain::contact::ContactFields;
use crate::domain::error::AppResult;
use crate::domain::import::{
    DedupMode, ImportCounts, ImportKind, ImportStatus, Outcome, RowOutcome,
};
use crate::server::db::imports::{self, Existing, Import, OutcomeRow};
use crate::server::db::sql::Arg;
use crate::server::db::{Conn, accounts, audit, bulk, contacts, leads};
use crate::server::sales::changes;
use crate::server::state::AppState;
use chrono::{DateTime, Utc};
use serde_json::json;
use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::path::PathBuf;
use std::sync::{Arc, LazyLock, Mutex};
use tokio::sync::mpsc;
use uuid::Uuid;

/// Rows per transaction: large enough that commits are cheap, small enough that a batch's
/// memory is small and a cancel takes effect quickly.
pub const BATCH_ROWS: usize = 2_000;
/// Rows with problems kept on the import for the dry run's summary.
const EXAMPLES: usize = 20;

/// Imports this process is working on, so one is never run twice at once here (another
/// process is kept out by [`imports::advance`]).
static RUNNING: LazyLock<Mutex<HashSet<Uuid>>> = LazyLock::new(|| Mutex::new(HashSet::new()));

/// Turns to work on imports: this server's (a few at once) and each person's (one at a time).
/// Whoever waits keeps their place in line (tokio's semaphore and mutex are fair).
struct Turns {
    server: Arc<tokio::sync::Semaphore>,
    people: Mutex<HashMap<Uuid, Arc<tokio::sync::Mutex<()>>>>,
}

static TURNS: LazyLock<Mutex<Option<Arc<Turns>>>> = LazyLock::new(|| Mutex::new(None));

fn turns(at_once: usize) -> Arc<Turns> {
    let mut t = TURNS.lock().unwrap_or_else(|p| p.into_inner());
    t.get_or_insert_with(|| {
        Arc::new(Turns {
            server: Arc::new(tokio::sync::Semaphore::new(at_once.max(1))),
            people: Mutex::new(HashMap::new()),
        })
    })
    .clone()
}

/// Imports waiting for their turn here (for the import page: "waiting for another import").
static WAITING: LazyLock<Mutex<HashSet<Uuid>>> = LazyLock::new(|| Mutex::new(HashSet::new()));

/// Whether this import is waiting for another to finish before it starts.
pub fn is_waiting(id: Uuid) -> bool {
    WAITING
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .contains(&id)
}

/// Runs the import's pending work (dry run or run) in the background, when its person's
/// earlier import and enough of the server's others have finished.
pub fn spawn(state: AppState, id: Uuid) {
    {
        let mut running = RUNNING.lock().unwrap_or_else(|p| p.into_inner());
        if !running.insert(id) {
            return;
        }
    }
    let background = state.clone();
    background.spawn_background(async move {
        // Whose turn it waits for; unknown (the database failing now), it waits in the
        // server's queue only, and the run itself will meet the failure and record it.
        let owner = match state.db.handle().await {
            Ok(mut h) => match imports::get(&mut h.c(), id).await {
                Ok(found) => found.map(|i| i.created_by),
                Err(e) => {
                    tracing::warn!(%id, error = %e, "cannot read whose import this is");
                    None
                }
            },
            Err(e) => {
                tracing::warn!(%id, error = %e, "cannot read whose import this is");
                None
            }
        };
        let turns = turns(state.config.imports_at_once);
        let person = owner.map(|o| {
            let mut people = turns.people.lock().unwrap_or_else(|p| p.into_inner());
            people.entry(o).or_default().clone()
        });
        WAITING.lock().unwrap_or_else(|p| p.into_inner()).insert(id);
        let mine = match &person {
            Some(p) => Some(p.clone().lock_owned().await),
            None => None,
        };
        let server = turns.server.clone().acquire_owned().await;
        WAITING
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&id);
        work(&state, id).await;
        drop((server, mine));
        RUNNING
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&id);
    });
}

/// How long an uploaded file that was never imported is kept.
pub const UNSTARTED_KEPT: chrono::Duration = chrono::Duration::hours(24);

/// Removes the files of imports uploaded (or checked) more than [`UNSTARTED_KEPT`] ago and
/// never started, and says so on each; returns how many.
pub async fn expire_unstarted(state: &AppState) -> AppResult<usize> {
    let now = state.now();
    let stale = {
        let mut h = state.db.handle().await?;
        imports::unstarted_before(&mut h.c(), now - UNSTARTED_KEPT).await?
    };
    for (id, path) in &stale {
        if let Err(e) = tokio::fs::remove_file(path).await
            && e.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!(%id, error = %e, "cannot remove an expired upload");
            continue;
        }
        let mut tx = state.db.begin().await?;
        imports::fail(
            &mut tx.c(),
            *id,
            "The file was removed 24 hours after it was uploaded, as it was never imported. Upload it again to import it.",
            now,
        )
        .await?;
        tx.commit().await?;
    }
    Ok(stale.len())
}

/// Picks up every import a previous process left unfinished.
pub async fn resume_all(state: &AppState) {
    let ids = match state.db.handle().await {
        Ok(mut h) => imports::unfinished(&mut h.c()).await,
        Err(e) => Err(e),
    };
    match ids {
        Ok(ids) => {
            for id in ids {
                tracing::info!(%id, "resuming import");
                spawn(state.clone(), id);
            }
        }
        Err(e) => tracing::error!(error = %e, "cannot look for unfinished imports"),
    }
}

/// Does the import's pending work now, in this task; failures are recorded on the import.
pub async fn work(state: &AppState, id: Uuid) {
    work_at_most(state, id, None).await
}

/// [`work`], stopping (as a killed server would) after `batches` committed batches of a run:
/// how the tests simulate a crash between batches.
pub async fn work_at_most(state: &AppState, id: Uuid, batches: Option<usize>) {
    if let Err(e) = run(state, id, batches).await {
        tracing::error!(%id, error = ?e, "import failed");
        let recorded = match state.db.write_handle().await {
            Ok(mut h) => imports::fail(&mut h.c(), id, "The import stopped on an internal error; its committed rows are kept. Start it again to continue.", state.now()).await.map_err(|e| e.to_string()),
            Err(e) => Err(format!("{e:?}")),
        };
        // Left running, it is resumed at the next start.
        if let Err(e) = recorded {
            tracing::error!(%id, error = %e, "cannot record that the import failed");
        }
    }
}

async fn run(state: &AppState, id: Uuid, batches: Option<usize>) -> AppResult<()> {
    let import = {
        let mut h = state.db.handle().await?;
        imports::get(&mut h.c(), id).await?
    };
    let Some(import) = import else { return Ok(()) };
    match import.status {
        ImportStatus::Analysing => analyse(state, &import).await,
        ImportStatus::Queued | ImportStatus::Running => execute(state, &import, batches).await,
        ImportStatus::Cancelling => finish_cancel(state, &import).await,
        _ => Ok(()),
    }
}

/// What the reader thread sends.
enum Feed {
    Total(i64),
    /// Keys of rows committed before a restart (so duplicates of them are still recognised).
    Seen(Vec<(u64, u32)>),
    Batch(Vec<(i64, Result<Candidate, String>)>),
    Failed(String),
}

/// Reads the file on a blocking thread: optionally counts its rows first, then sends the rows
/// after `start_after` in batches (the keys of the rows before, for duplicate detection).
fn read_file(import: &Import, plan: Plan, start_after: i64, count: bool) -> mpsc::Receiver<Feed> {
    let (tx, rx) = mpsc::channel(2);
    let path = PathBuf::from(&import.file_path);
    let layout = Layout {
        encoding: encoding_rs::Encoding::for_label(import.encoding.as_bytes())
            .unwrap_or(encoding_rs::UTF_8),
        delimiter: reader::delimiter_from_name(&import.delimiter),
        skip_records: import.skip_records.max(0) as usize,
    };
    tokio::task::spawn_blocking(move || {
        let fail =
            |e: &dyn std::fmt::Display| Feed::Failed(format!("The file could not be read: {e}"));
        if count {
            let total = reader::records(&path, &layout).and_then(|mut r| {
                let mut record = csv::ByteRecord::new();
                let mut n = 0i64;
                while r
                    .read_byte_record(&mut record)
                    .map_err(std::io::Error::other)?
                {
                    n += 1;
                }
                Ok(n)
            });
            let feed = match total {
                Ok(n) => Feed::Total(n),
                Err(e) => fail(&e),
            };
            if tx.blocking_send(feed).is_err() {
                return;
            }
        }
        let mut r = match reader::records(&path, &layout) {
            Ok(r) => r,
            Err(e) => {
                let _ = tx.blocking_send(fail(&e));
                return;
            }
        };
        let mut record = csv::ByteRecord::new();
        let mut row = 0i64;
        let mut seen = Vec::new();
        let mut batch = Vec::with_capacity(BATCH_ROWS);
        loop {
            match r.read_byte_record(&mut record) {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => {
                    let _ = tx.blocking_send(fail(&e));
                    return;
                }
            }
            row += 1;
            let parsed = candidate(&plan, &cells(&record));
            if row <= start_after {
                if let Ok(c) = &parsed {
                    seen.extend(keys(plan.kind, c).into_iter().map(|(k, _)| (k, row as u32)));
                }
                if seen.len() >= 50_000
                    && tx
                        .blocking_send(Feed::Seen(std::mem::take(&mut seen)))
                        .is_err()
                {
                    return;
                }
                continue;
            }
            if !seen.is_empty()
                && tx
                    .blocking_send(Feed::Seen(std::mem::take(&mut seen)))
                    .is_err()
            {
                return;
            }
            batch.push((row, parsed));
            if batch.len() == BATCH_ROWS
                && tx
                    .blocking_send(Feed::Batch(std::mem::replace(
                        &mut batch,
                        Vec::with_capacity(BATCH_ROWS),
                    )))
                    .is_err()
            {
                return;
            }
        }
        if !seen.is_empty() {
            let _ = tx.blocking_send(Feed::Seen(seen));
        }
        if !batch.is_empty() {
            let _ = tx.blocking_send(Feed::Batch(batch));
        }
    });
    rx
}

/// A row's duplicate keys, hashed (8 bytes each, so a million rows' keys fit in a few MB),
/// with what they are for the message. The hash is keyed at random once per process, so a
/// crafted file cannot pile its keys into one bucket of the (identity-hashed) seen map.
fn keys(kind: ImportKind, c: &Candidate) -> Vec<(u64, &'static str)> {
    static KEYED: std::sync::OnceLock<std::collections::hash_map::RandomState> =
        std::sync::OnceLock::new();
    let hash = |tag: &str, v: &str| {
        let mut h = std::hash::BuildHasher::build_hasher(KEYED.get_or_init(Default::default));
        tag.hash(&mut h);
        v.hash(&mut h);
        h.finish()
    };
    let mut out = Vec::new();
    if let Some(id) = c.id {
        out.push((hash("id", &id.to_string()), "record id"));
    }
    match kind {
        ImportKind::Accounts => {
            if let Some(d) = c.email_or_domain() {
                out.push((hash("domain", d), "domain"));
            }
            if let Some(n) = c.account_name().filter(|n| !n.is_empty()) {
                out.push((hash("name", n), "name"));
            }
        }
        _ => {
            if let Some(e) = c.email_or_domain() {
                out.push((hash("email", e), "email"));
            }
        }
    }
    out
}

/// Everything a batch needs to know about its import.
struct Ctx {
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
    fn of(import: &Import, now: DateTime<Utc>, write: bool) -> Ctx {
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

    fn entry(
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
type Seen = HashMap<u64, u32, std::hash::BuildHasherDefault<KeyHasher>>;

#[derive(Default)]
struct KeyHasher(u64);

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
fn seen_for(rows: Option<i64>) -> Seen {
    let rows = rows.unwrap_or(0).clamp(0, 50_000_000) as usize;
    Seen::with_capacity_and_hasher(rows, Default::default())
}

/// Accounts this import created from the company column, by name, so later batches find them
/// without asking the database. Nobody else can remove them while the import runs (undo waits
/// for it to end); accounts that were there before are still looked up every batch.
type Made = HashMap<String, Uuid>;

/// The most company names remembered (a few MB); beyond it, names are looked up as before.
const MADE_ACCOUNTS: usize = 200_000;

struct BatchResult {
    counts: ImportCounts,
    outcomes: Vec<OutcomeRow>,
}

/// Applies (or, in a dry run, only judges) one batch.
async fn apply_batch(
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

fn push(result: &mut BatchResult, row: i64, outcome: Outcome, record: Option<Uuid>) {
    let message = match &outcome {
        Outcome::Invalid(reason) => Some(reason.clone()),
        _ => None,
    };
    push_with(result, row, outcome, record, message);
}

fn push_with(
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

fn insert_columns(kind: ImportKind) -> &'static [&'static str] {
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

fn insert_values(ctx: &Ctx, id: Uuid, cand: &Candidate) -> Vec<Arg> {
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
async fn update_existing(
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

/// The dry run: judges every row against the CRM as it is, writing nothing but the counts.
async fn analyse(state: &AppState, import: &Import) -> AppResult<()> {
    let plan = Plan::new(import.kind, &import.mapping());
    // The rows are counted first, like the run's, so the set of keys is sized once: growing it
    // row by row held the old and the new table at once, twice the memory at its peak.
    let mut rx = read_file(import, plan, 0, import.total_rows.is_none());
    let mut seen = seen_for(import.total_rows);
    let mut made = Made::new();
    let mut counts = ImportCounts::default();
    let mut examples: Vec<RowOutcome> = Vec::new();
    let ctx = Ctx::of(import, state.now(), false);
    while let Some(feed) = rx.recv().await {
        match feed {
            Feed::Total(n) => {
                seen.reserve((n.clamp(0, 50_000_000) as usize).saturating_sub(seen.len()));
                let mut h = state.db.write_handle().await?;
                imports::set_total(&mut h.c(), import.id, n).await?;
            }
            Feed::Seen(_) => {}
            Feed::Failed(message) => {
                let mut h = state.db.write_handle().await?;
                imports::fail(&mut h.c(), import.id, &message, state.now()).await?;
                return Ok(());
            }
            Feed::Batch(rows) => {
                let mut h = state.db.handle().await?;
                let batch = apply_batch(&mut h.c(), &ctx, rows, &mut seen, &mut made).await?;
                for o in batch
                    .outcomes
                    .iter()
                    .filter(|o| !matches!(o.outcome, "created" | "updated"))
                {
                    if examples.len() < EXAMPLES {
                        examples.push(RowOutcome {
                            row: o.row,
                            outcome: o.outcome.to_string(),
                            record_id: o.record_id,
                            message: o.message.clone(),
                        });
                    }
                }
                add_counts(&mut counts, &batch.counts);
                drop(h);
                let mut w = state.db.write_handle().await?;
                imports::dry_run_progress(&mut w.c(), import.id, counts.rows(), None, state.now())
                    .await?;
            }
        }
    }
    let mut h = state.db.write_handle().await?;
    imports::finish_dry_run(&mut h.c(), import.id, &counts, &examples, state.now()).await?;
    Ok(())
}

fn add_counts(total: &mut ImportCounts, batch: &ImportCounts) {
    total.created += batch.created;
    total.updated += batch.updated;
    total.skipped_duplicate += batch.skipped_duplicate;
    total.duplicate_in_file += batch.duplicate_in_file;
    total.invalid += batch.invalid;
}

/// The run: from the last committed batch to the end of the file.
async fn execute(state: &AppState, import: &Import, max_batches: Option<usize>) -> AppResult<()> {
    {
        let mut h = state.db.write_handle().await?;
        let from = [ImportStatus::Queued, ImportStatus::Running];
        if !imports::transition(
            &mut h.c(),
            import.id,
            &from,
            ImportStatus::Running,
            state.now(),
        )
        .await?
        {
            return Ok(());
        }
    }
    let plan = Plan::new(import.kind, &import.mapping());
    let mut done = import.rows_done;
    let mut rx = read_file(import, plan, done, import.total_rows.is_none());
    let mut seen = seen_for(import.total_rows);
    let mut made = Made::new();
    let mut committed = 0usize;
    while let Some(feed) = rx.recv().await {
        match feed {
            Feed::Total(n) => {
                seen.reserve((n.clamp(0, 50_000_000) as usize).saturating_sub(seen.len()));
                let mut h = state.db.write_handle().await?;
                imports::set_total(&mut h.c(), import.id, n).await?;
            }
            Feed::Seen(keys) => seen.extend(keys),
            Feed::Failed(message) => {
                let mut h = state.db.write_handle().await?;
                imports::fail(&mut h.c(), import.id, &message, state.now()).await?;
                return Ok(());
            }
            Feed::Batch(rows) => {
                let n = rows.len() as i64;
                let now = state.now();
                let ctx = Ctx::of(import, now, true);
                let mut tx = state.db.begin().await?;
                let batch = apply_batch(&mut tx.c(), &ctx, rows, &mut seen, &mut made).await?;
                debug_assert_eq!(batch.counts.rows(), n);
                if !imports::advance(&mut tx.c(), import.id, done, &batch.counts, now).await? {
                    // Cancelled, or another process moved it on: this batch is not ours.
                    drop(tx);
                    return finish_cancel(state, import).await;
                }
                tx.commit().await?;
                done += n;
                committed += 1;
                if max_batches.is_some_and(|m| committed >= m) {
                    return Ok(());
                }
            }
        }
    }
    let now = state.now();
    let mut tx = state.db.begin().await?;
    if imports::transition(
        &mut tx.c(),
        import.id,
        &[ImportStatus::Running],
        ImportStatus::Done,
        now,
    )
    .await?
    {
        let finished = imports::get(&mut tx.c(), import.id).await?;
        if let Some(f) = finished {
            imports::set_total(&mut tx.c(), import.id, f.rows_done).await?;
            let ctx = Ctx::of(import, now, true);
            let entry = ctx.entry(
                "import.finished",
                "import",
                import.id,
                json!({ "counts": f.counts(), "rows": f.rows_done }),
            );
            audit::insert(&mut tx.c(), &entry, now).await?;
        }
        tx.commit().await?;
    }
    Ok(())
}

/// A cancel asked for: the import stops where its last batch committed.
async fn finish_cancel(state: &AppState, import: &Import) -> AppResult<()> {
    let now = state.now();
    let mut tx = state.db.begin().await?;
    if imports::transition(
        &mut tx.c(),
        import.id,
        &[ImportStatus::Cancelling],
        ImportStatus::Cancelled,
        now,
    )
    .await?
    {
        let rows = imports::get(&mut tx.c(), import.id)
            .await?
            .map_or(0, |i| i.rows_done);
        let ctx = Ctx::of(import, now, true);
        audit::insert(
            &mut tx.c(),
            &ctx.entry(
                "import.cancelled",
                "import",
                import.id,
                json!({ "rows_committed": rows }),
            ),
            now,
        )
        .await?;
        tx.commit().await?;
    }
    Ok(())
}
