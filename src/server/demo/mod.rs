//! `crm demo-data`: realistic, deterministic sample data, loaded in large batches so a
//! million leads take seconds, not hours. The same seed gives the same people, companies,
//! values and stages (dates are relative to the day it runs).

mod generate;
mod words;

use crate::domain::error::AppResult;
use crate::domain::opportunity::StageDef;
use crate::domain::user::Role;
use crate::server::db::bulk::insert_rows;
use crate::server::db::sql::Arg;
use crate::server::db::{Backend, Db, audit, bulk, opportunities, users};
use crate::server::error::internal;
use chrono::{DateTime, Utc};
use generate::generate;
use rand::Rng;
use rand::rngs::StdRng;
use serde_json::json;
use uuid::Uuid;
use words::DEMO_STAFF;

/// How many rows go into one transaction.
const BATCH: usize = 20_000;

#[derive(Debug, Default, serde::Serialize)]
pub struct Loaded {
    pub users: usize,
    pub accounts: usize,
    pub contacts: usize,
    pub leads: usize,
    pub opportunities: usize,
    pub stage_history: usize,
    pub activities: usize,
    pub tasks: usize,
}

pub(super) fn pick<'a, T>(rng: &mut StdRng, list: &'a [T]) -> &'a T {
    &list[rng.gen_range(0..list.len())]
}

/// A time-ordered id whose timestamp is `at`, with random bits from the seeded generator.
pub(super) fn id_at(rng: &mut StdRng, at: DateTime<Utc>) -> Uuid {
    let mut random = [0u8; 10];
    rng.fill(&mut random);
    uuid::Builder::from_unix_timestamp_millis(at.timestamp_millis().max(0) as u64, &random)
        .into_uuid()
}

pub(super) fn slug(s: &str) -> String {
    s.to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect::<String>()
        .trim_matches('-')
        .to_string()
}

pub(super) fn ascii(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            'é' | 'è' => 'e',
            'ë' => 'e',
            'ü' => 'u',
            'ø' => 'o',
            'Ł' => 'l',
            'ł' => 'l',
            'ç' => 'c',
            'ñ' => 'n',
            'í' => 'i',
            'á' | 'ã' => 'a',
            other => other,
        })
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_lowercase()
}

pub(super) fn phone(rng: &mut StdRng) -> String {
    format!(
        "+1 {} 555 {:04}",
        rng.gen_range(200..999),
        rng.gen_range(0..10_000)
    )
}

/// One batch of rows for one table, handed from the generator to the writer.
struct Batch {
    table: &'static str,
    columns: &'static [&'static str],
    rows: Vec<Vec<Arg>>,
}

/// What the generator needs to know.
struct Plan {
    leads: usize,
    opportunities: Option<usize>,
    seed: u64,
    now: DateTime<Utc>,
    stages: Vec<StageDef>,
    owners: Vec<Uuid>,
    support: Vec<Uuid>,
}

impl Loaded {
    fn add(&mut self, table: &str, n: usize) {
        match table {
            "accounts" => self.accounts += n,
            "contacts" => self.contacts += n,
            "leads" => self.leads += n,
            "opportunities" => self.opportunities += n,
            "stage_history" => self.stage_history += n,
            "activities" => self.activities += n,
            _ => self.tasks += n,
        }
    }
}

/// Loads demo data: `leads` leads, half as many contacts, a tenth as many accounts, a fifth as
/// many opportunities (with stage histories), and activities and tasks. Rows are generated on
/// one core while the other writes them; everything is one transaction, so a crash leaves the
/// database as it was.
pub async fn load(db: &Db, leads: usize, seed: u64, now: DateTime<Utc>) -> AppResult<Loaded> {
    load_sized(db, leads, None, seed, now).await
}

/// [`load`], with a number of opportunities other than a fifth of the leads.
pub async fn load_sized(
    db: &Db,
    leads: usize,
    opportunities: Option<usize>,
    seed: u64,
    now: DateTime<Utc>,
) -> AppResult<Loaded> {
    let started = std::time::Instant::now();
    let mut loaded = Loaded::default();
    let stages = {
        let mut h = db.handle().await?;
        opportunities::stages(&mut h.c()).await?
    };
    let mut tx = db.begin().await?;
    let rebuild = if db.backend() == Backend::Sqlite {
        Some(bulk::drop_secondary_structures(&mut tx.c(), BULK_TABLES).await?)
    } else {
        None
    };

    // Staff who own the records: demo people (without passwords).
    let mut owners = Vec::new();
    let mut support = Vec::new();
    for (name, handle, role) in DEMO_STAFF {
        let email = format!("{handle}@demo.example");
        let id = match users::by_email(&mut tx.c(), &email).await? {
            Some(u) => u.id,
            None => {
                let id = Uuid::now_v7();
                users::insert(
                    &mut tx.c(),
                    &users::NewUser {
                        id,
                        email: &email,
                        name,
                        role: *role,
                        password_hash: None,
                        now,
                    },
                )
                .await?;
                loaded.users += 1;
                id
            }
        };
        if *role == Role::Support {
            support.push(id)
        } else {
            owners.push(id)
        }
    }

    let (sender, mut batches) = tokio::sync::mpsc::channel::<Batch>(2);
    let plan = Plan {
        leads,
        opportunities,
        seed,
        now,
        stages,
        owners,
        support,
    };
    let generator = tokio::task::spawn_blocking(move || generate(plan, sender));
    let mut last_table = "";
    while let Some(batch) = batches.recv().await {
        if batch.table != last_table {
            tracing::info!(elapsed = ?started.elapsed(), table = batch.table, "loading");
            last_table = batch.table;
        }
        let n = insert_rows(&mut tx.c(), batch.table, batch.columns, batch.rows).await? as usize;
        loaded.add(batch.table, n);
    }
    generator.await?;
    tracing::info!(elapsed = ?started.elapsed(), "rows loaded");
    if let Some(saved) = rebuild {
        bulk::restore_secondary_structures(&mut tx.c(), saved).await?;
        // The running totals' triggers were off during the load.
        crate::server::db::pipeline::rebuild_totals(&mut tx.c()).await?;
        tracing::info!(elapsed = ?started.elapsed(), "indexes rebuilt");
    }
    let entry = audit::NewEntry {
        action: "demo_data.loaded".into(),
        actor_label: Some("crm demo-data".into()),
        details: json!({ "seed": seed, "counts": &loaded }),
        ..Default::default()
    };
    audit::insert(&mut tx.c(), &entry, now).await?;
    tx.commit().await.map_err(internal)?;
    tracing::info!(elapsed = ?started.elapsed(), "committed");
    Ok(loaded)
}

/// Sends rows in batches; false once the writer has stopped listening.
struct Out {
    sender: tokio::sync::mpsc::Sender<Batch>,
}

impl Out {
    fn send(
        &self,
        table: &'static str,
        columns: &'static [&'static str],
        rows: Vec<Vec<Arg>>,
    ) -> bool {
        rows.is_empty()
            || self
                .sender
                .blocking_send(Batch {
                    table,
                    columns,
                    rows,
                })
                .is_ok()
    }
}

/// The tables demo data fills, whose indexes and full-text triggers are built once at the end.
const BULK_TABLES: &[&str] = &[
    "accounts",
    "contacts",
    "leads",
    "opportunities",
    "stage_history",
    "activities",
    "tasks",
];
