//! The import job: reads the file on a blocking thread (parsing and validating there, in
//! parallel with the database work), and applies it in batches, each batch one transaction
//! that writes its records, their audit entries, the rows' outcomes and the import's progress
//! together. The progress update only succeeds from the row count the batch started at, so a
//! batch is committed at most once: after a crash the job resumes at the last committed batch.
//! This module schedules and drives the job; reading the file is in `feed`, applying a batch
//! in `batch`.

use super::batch::*;
use super::feed::*;
use super::rows::Plan;
use crate::domain::error::AppResult;
use crate::domain::import::{ImportCounts, ImportStatus, RowOutcome};
use crate::server::db::audit;
use crate::server::db::imports::{self, Import};
use crate::server::state::AppState;
use serde_json::json;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, LazyLock, Mutex};
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
