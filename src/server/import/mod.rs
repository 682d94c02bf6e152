//! CSV imports: upload (streamed to disk), column mapping, dry run, run as a background job,
//! cancel, the per-row outcome file, and an admin's undo. Everything is authorized here and
//! recorded on the `imports` row, so a restarted server picks up where it stopped.

mod batch;
mod feed;
pub mod job;
pub mod reader;
pub mod rows;

use crate::domain::error::{AppError, AppResult};
use crate::domain::import::{
    ColumnMap, DedupMode, ImportKind, ImportOptions, ImportStatus, ImportView, check_mapping,
    guess_mapping,
};
use crate::domain::money::is_money;
use crate::domain::records::RecordKind;
use crate::server::db::{audit, imports};
use crate::server::policy::{Action, Target, authorize, may_see_import};
use crate::server::principal::{ClientInfo, Principal, Staff};
use crate::server::sales::Actor;
use crate::server::state::AppState;
use serde_json::json;
use std::path::{Path, PathBuf};
use tokio::io::AsyncWriteExt;
use uuid::Uuid;

/// Who may import a kind of record: whoever may create it.
pub fn may_import(principal: &Principal, kind: ImportKind) -> AppResult<&Staff> {
    authorize(principal, Action::Create, Target::kind(kind.record_kind()))
}

/// An upload being written to disk: counted against the limit and checked for UTF-8 as it
/// arrives, so a huge file is refused part-way and never held in memory.
pub struct Upload {
    pub id: Uuid,
    path: PathBuf,
    file: tokio::fs::File,
    bytes: u64,
    limit: u64,
    utf8: reader::Utf8Check,
    head: Vec<u8>,
}

impl Upload {
    pub async fn begin(state: &AppState) -> AppResult<Upload> {
        let dir = &state.config.upload_dir;
        tokio::fs::create_dir_all(dir)
            .await
            .map_err(crate::server::error::internal)?;
        let id = Uuid::now_v7();
        let path = dir.join(format!("{id}.csv"));
        let file = tokio::fs::File::create(&path)
            .await
            .map_err(crate::server::error::internal)?;
        Ok(Upload {
            id,
            path,
            file,
            bytes: 0,
            limit: state.config.import_max_bytes,
            utf8: reader::Utf8Check::new(),
            head: Vec::new(),
        })
    }

    pub async fn write(&mut self, chunk: &[u8]) -> AppResult<()> {
        self.bytes += chunk.len() as u64;
        if self.bytes > self.limit {
            self.discard().await;
            return Err(AppError::invalid(
                "file",
                format!(
                    "The file is larger than the limit of {} MB.",
                    self.limit / (1 << 20)
                ),
            ));
        }
        if self.head.len() < 4 {
            self.head.extend_from_slice(&chunk[..chunk.len().min(4)]);
        }
        self.utf8.feed(chunk);
        self.file
            .write_all(chunk)
            .await
            .map_err(crate::server::error::internal)
    }

    pub async fn discard(&mut self) {
        let _ = tokio::fs::remove_file(&self.path).await;
    }

    /// The file on disk, its size, and whether it is UTF-8 throughout.
    pub async fn finish(mut self) -> AppResult<(Uuid, PathBuf, u64, bool)> {
        self.file
            .flush()
            .await
            .map_err(crate::server::error::internal)?;
        self.file
            .sync_all()
            .await
            .map_err(crate::server::error::internal)?;
        Ok((self.id, self.path, self.bytes, self.utf8.finish()))
    }
}

/// What an upload comes with.
#[derive(Clone, Debug, Default)]
pub struct NewImport {
    pub kind: Option<ImportKind>,
    pub file_name: String,
    pub dedup: DedupMode,
    pub mapping: Option<Vec<ColumnMap>>,
}

/// Records an uploaded (or, from the command line, local) file as an import: reads its
/// layout, guesses the mapping (or checks the one given), and waits for the next step.
pub async fn create(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
    path: &Path,
    bytes: u64,
    utf8: Option<bool>,
    input: NewImport,
) -> AppResult<ImportView> {
    let Some(kind) = input.kind else {
        return Err(AppError::invalid(
            "kind",
            "Choose what the file holds: leads, contacts or accounts.",
        ));
    };
    let staff = may_import(principal, kind)?;
    let owned_path = path.to_path_buf();
    let sniffed = tokio::task::spawn_blocking(move || reader::sniff(&owned_path, kind, utf8))
        .await
        .map_err(crate::server::error::internal)?
        .map_err(|message| AppError::invalid("file", message))?;
    let mapping = match input.mapping {
        Some(m) => {
            if m.len() != sniffed.headers.len() {
                return Err(AppError::invalid(
                    "mapping",
                    format!(
                        "The file has {} columns; the mapping names {}.",
                        sniffed.headers.len(),
                        m.len()
                    ),
                ));
            }
            money_in_sight(staff, &m)?;
            m
        }
        None => {
            let mut guessed = guess_mapping(kind, &sniffed.headers);
            if !crate::server::policy::sees_money(staff) {
                // Their role does not see money: a revenue column is left for someone who does.
                for column in &mut guessed {
                    if column.field.as_deref().is_some_and(is_money) {
                        column.field = None;
                    }
                }
            }
            guessed
        }
    };
    let now = state.now();
    let import = imports::Import {
        id,
        kind,
        status: ImportStatus::Uploaded,
        file_name: clean_file_name(&input.file_name),
        file_path: path.to_string_lossy().into_owned(),
        file_bytes: bytes as i64,
        encoding: sniffed.layout.encoding.name().to_string(),
        delimiter: reader::delimiter_name(sniffed.layout.delimiter).to_string(),
        skip_records: sniffed.layout.skip_records as i64,
        dedup: input.dedup,
        mapping: serde_json::to_string(&mapping).map_err(crate::server::error::internal)?,
        sample: serde_json::to_string(&sniffed.sample).map_err(crate::server::error::internal)?,
        total_rows: None,
        rows_done: 0,
        created: 0,
        updated: 0,
        skipped_duplicate: 0,
        duplicate_in_file: 0,
        invalid: 0,
        dry_run: None,
        examples: "[]".into(),
        error: None,
        undone: 0,
        created_by: staff.user.id,
        actor_id: Some(staff.actor_id()),
        created_at: now,
        updated_at: now,
        started_at: None,
        finished_at: None,
        client_ip: None,
        client_user_agent: None,
    };
    let mut h = state.db.write_handle().await?;
    imports::insert(&mut h.c(), &import).await?;
    Ok(import.view(Vec::new(), now))
}

fn clean_file_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name).trim();
    let base: String = base.chars().filter(|c| !c.is_control()).take(200).collect();
    if base.is_empty() {
        "upload.csv".into()
    } else {
        base
    }
}

async fn load(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
) -> AppResult<(imports::Import, Staff)> {
    let mut h = state.db.handle().await?;
    let import = imports::get(&mut h.c(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    let staff = may_see_import(principal, import.kind.record_kind(), import.created_by)?.clone();
    Ok((import, staff))
}

/// The import as the wizard shows it: progress, counts, some rows with problems.
pub async fn view(state: &AppState, principal: &Principal, id: Uuid) -> AppResult<ImportView> {
    let (import, _) = load(state, principal, id).await?;
    let examples = if import.status.has_run() {
        let mut h = state.db.handle().await?;
        imports::rows(&mut h.c(), id, 0, 20, true).await?
    } else {
        serde_json::from_str(&import.examples).unwrap_or_default()
    };
    let mut view = import.view(examples, state.now());
    view.waiting = job::is_waiting(view.id);
    Ok(view)
}

/// The latest imports the asker may see.
pub async fn recent(state: &AppState, principal: &Principal) -> AppResult<Vec<ImportView>> {
    principal.require_staff()?;
    let mut h = state.db.handle().await?;
    let all = imports::recent(&mut h.c(), 50).await?;
    let now = state.now();
    Ok(all
        .into_iter()
        .filter(|i| may_see_import(principal, i.kind.record_kind(), i.created_by).is_ok())
        .map(|i| {
            let mut view = i.view(Vec::new(), now);
            view.waiting = job::is_waiting(view.id);
            view
        })
        .collect())
}

/// A mapping that fills a money field needs an importer who sees money.
fn money_in_sight(staff: &crate::server::principal::Staff, mapping: &[ColumnMap]) -> AppResult<()> {
    let touches = mapping
        .iter()
        .any(|m| m.field.as_deref().is_some_and(is_money));
    crate::server::policy::may_set_money(staff, touches)
}

/// The mapping and dedup mode, adjusted in the wizard (before the run only).
pub async fn set_options(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
    options: ImportOptions,
) -> AppResult<ImportView> {
    let (import, _) = load(state, principal, id).await?;
    let staff = may_import(principal, import.kind)?;
    money_in_sight(staff, &options.mapping)?;
    if options.mapping.len() != import.mapping().len() {
        return Err(AppError::invalid(
            "mapping",
            "The mapping must name what each column of the file fills.",
        ));
    }
    check_mapping(import.kind, &options.mapping).map_err(|m| AppError::invalid("mapping", m))?;
    let text = serde_json::to_string(&options.mapping).map_err(crate::server::error::internal)?;
    let mut h = state.db.write_handle().await?;
    if !imports::set_options(&mut h.c(), id, &text, options.dedup, state.now()).await? {
        return Err(AppError::invalid(
            "status",
            "This import has already started; its mapping can no longer change.",
        ));
    }
    drop(h);
    view(state, principal, id).await
}

/// Starts the dry run in the background.
pub async fn dry_run(state: &AppState, principal: &Principal, id: Uuid) -> AppResult<ImportView> {
    let (import, _) = load(state, principal, id).await?;
    let staff = may_import(principal, import.kind)?;
    money_in_sight(staff, &import.mapping())?;
    check_mapping(import.kind, &import.mapping()).map_err(|m| AppError::invalid("mapping", m))?;
    let mut h = state.db.write_handle().await?;
    if !imports::begin_dry_run(&mut h.c(), id, state.now()).await? {
        return Err(AppError::invalid(
            "status",
            "This import has already started.",
        ));
    }
    drop(h);
    job::spawn(state.clone(), id);
    view(state, principal, id).await
}

/// Starts the run in the background (audited), or resumes a failed one where it stopped.
pub async fn start(
    state: &AppState,
    principal: &Principal,
    client: &ClientInfo,
    id: Uuid,
) -> AppResult<ImportView> {
    let (import, _) = load(state, principal, id).await?;
    let staff = may_import(principal, import.kind)?;
    money_in_sight(staff, &import.mapping())?;
    check_mapping(import.kind, &import.mapping()).map_err(|m| AppError::invalid("mapping", m))?;
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let from = [
        ImportStatus::Uploaded,
        ImportStatus::Analysed,
        ImportStatus::Failed,
    ];
    if !imports::transition(&mut tx.c(), id, &from, ImportStatus::Queued, now).await? {
        return Err(AppError::invalid(
            "status",
            "This import is already running or finished.",
        ));
    }
    let w = Actor { staff, client };
    let mut entry = w.entry(
        "import.started",
        RecordKind::Contact,
        id,
        json!({
            "kind": import.kind, "file_name": import.file_name, "file_bytes": import.file_bytes,
            "dedup": import.dedup, "mapping": import.mapping(),
        }),
    );
    entry.target_type = Some("import".into());
    audit::insert(&mut tx.c(), &entry, now).await?;
    imports::set_client(&mut tx.c(), id, &client.ip, &client.user_agent).await?;
    tx.commit().await?;
    job::spawn(state.clone(), id);
    view(state, principal, id).await
}

/// Asks a running import to stop after its current batch; rows already committed stay.
pub async fn cancel(state: &AppState, principal: &Principal, id: Uuid) -> AppResult<ImportView> {
    let (import, _) = load(state, principal, id).await?;
    may_import(principal, import.kind)?;
    let now = state.now();
    let mut h = state.db.write_handle().await?;
    let running = [ImportStatus::Queued, ImportStatus::Running];
    if !imports::transition(&mut h.c(), id, &running, ImportStatus::Cancelling, now).await?
        && !imports::transition(
            &mut h.c(),
            id,
            &[
                ImportStatus::Uploaded,
                ImportStatus::Analysed,
                ImportStatus::Analysing,
            ],
            ImportStatus::Cancelled,
            now,
        )
        .await?
    {
        return Err(AppError::invalid(
            "status",
            "This import has already finished.",
        ));
    }
    drop(h);
    // A job of this process stops at its next batch; one left by a dead process is finished here.
    job::spawn(state.clone(), id);
    view(state, principal, id).await
}

/// Deletes the records an import created that nothing else has come to point at (admins
/// only; audited per record and as a whole). Returns how many were deleted.
pub async fn undo(
    state: &AppState,
    principal: &Principal,
    client: &ClientInfo,
    id: Uuid,
) -> AppResult<i64> {
    let (import, _) = load(state, principal, id).await?;
    let staff = authorize(
        principal,
        Action::Administer,
        Target::kind(import.kind.record_kind()),
    )?;
    if import.status.is_working() {
        return Err(AppError::invalid(
            "status",
            "Stop the import before undoing it.",
        ));
    }
    let w = Actor { staff, client };
    let total = undo_kind(state, &w, id, import.kind, true).await?;
    // A contacts import also made accounts from its company column: those go too, once no
    // contact (or anything else) points at them any more.
    let accounts = if import.kind == ImportKind::Contacts {
        undo_kind(state, &w, id, ImportKind::Accounts, false).await?
    } else {
        0
    };
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let mut entry = w.entry(
        "import.undone",
        import.kind.record_kind(),
        id,
        json!({ "deleted": total, "accounts_deleted": accounts }),
    );
    entry.target_type = Some("import".into());
    audit::insert(&mut tx.c(), &entry, now).await?;
    tx.commit().await?;
    Ok(total)
}

/// Deletes, batch by batch, the records of `kind` the import created that nothing points at,
/// each audited; `counted` ones add to the import's "undone" figure. Returns how many.
async fn undo_kind(
    state: &AppState,
    w: &Actor<'_>,
    id: Uuid,
    kind: ImportKind,
    counted: bool,
) -> AppResult<i64> {
    let word = kind.record_word();
    let mut total = 0i64;
    loop {
        let now = state.now();
        let mut tx = state.db.begin().await?;
        let deleted = imports::delete_created(&mut tx.c(), kind, id, 2_000).await?;
        if deleted.is_empty() {
            return Ok(total);
        }
        let entries: Vec<audit::NewEntry> = deleted
            .iter()
            .map(|r| {
                w.entry(
                    &format!("{word}.deleted"),
                    kind.record_kind(),
                    *r,
                    json!({ "import_id": id, "undo": true }),
                )
            })
            .collect();
        audit::insert_many(&mut tx.c(), &entries, now).await?;
        if counted {
            imports::add_undone(&mut tx.c(), id, deleted.len() as i64, now).await?;
        }
        tx.commit().await?;
        total += deleted.len() as i64;
    }
}

/// The outcome file: one line per data row (row, outcome, record id, message), streamed page
/// by page from the database.
pub async fn outcome_rows(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
) -> AppResult<(
    String,
    futures::stream::BoxStream<'static, Result<String, std::io::Error>>,
)> {
    let (import, _) = load(state, principal, id).await?;
    crate::server::policy::refuse_while_impersonating(
        principal,
        crate::server::policy::Guarded::Export,
    )?;
    let state = state.clone();
    let name = format!("{}-outcome.csv", import.file_name.trim_end_matches(".csv"));
    let header = futures::stream::once(async {
        Ok::<_, std::io::Error>("row,outcome,record_id,message\n".to_string())
    });
    let pages = futures::stream::unfold(Some(0i64), move |after| {
        let state = state.clone();
        async move {
            let after = after?;
            let page = async {
                let mut h = state.db.handle().await?;
                imports::rows(&mut h.c(), id, after, 5_000, false).await
            }
            .await;
            match page {
                Ok(rows) if rows.is_empty() => None,
                Ok(rows) => {
                    let last = rows.last().map_or(after, |r| r.row);
                    let mut out = String::with_capacity(rows.len() * 64);
                    for r in rows {
                        let record = r.record_id.map(|i| i.to_string()).unwrap_or_default();
                        let message = r.message.unwrap_or_default();
                        out.push_str(&crate::server::export::csv_line(&[
                            &r.row.to_string(),
                            &r.outcome,
                            &record,
                            &message,
                        ]));
                    }
                    Some((Ok(out), Some(last)))
                }
                Err(e) => {
                    tracing::error!(error = %e, "outcome file stopped");
                    Some((Err(std::io::Error::other("database error")), None))
                }
            }
        }
    });
    use futures::StreamExt;
    // Fused: a body may be polled again after it ended (the compression layer does).
    Ok((name, header.chain(pages).fuse().boxed()))
}
