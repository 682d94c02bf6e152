//! `crm demo-data`: realistic, deterministic sample data, loaded in large batches so a
//! million leads take seconds, not hours. The same seed gives the same people, companies,
//! values and stages (dates are relative to the day it runs).

use super::db::bulk::insert_rows;
use super::db::sql::Arg;
use super::db::{Backend, Db, audit, bulk, opportunities, users};
use super::error::internal;
use crate::domain::error::AppResult;
use crate::domain::opportunity::{StageDef, StageKind};
use crate::domain::user::Role;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::json;
use uuid::Uuid;

const FIRST: &[&str] = &[
    "Ada",
    "Alan",
    "Grace",
    "Edsger",
    "Barbara",
    "Donald",
    "Frances",
    "Ken",
    "Margaret",
    "Dennis",
    "Radia",
    "Tim",
    "Katherine",
    "John",
    "Hedy",
    "Linus",
    "Sophie",
    "Niklaus",
    "Anita",
    "Guido",
    "Annie",
    "Bjarne",
    "Jean",
    "Claude",
    "Mary",
    "Tony",
    "Shafi",
    "Leslie",
    "Evelyn",
    "Rob",
    "Carol",
    "James",
    "Lynn",
    "Yukihiro",
    "Ruth",
    "Brian",
    "Joan",
    "Vint",
    "Susan",
    "Andrew",
    "Amélie",
    "José",
    "Zoë",
    "Søren",
    "Łucja",
    "Mei",
    "Aarav",
    "Fatima",
    "Kwame",
    "Ingrid",
];
const LAST: &[&str] = &[
    "Lovelace",
    "Turing",
    "Hopper",
    "Dijkstra",
    "Liskov",
    "Knuth",
    "Allen",
    "Thompson",
    "Hamilton",
    "Ritchie",
    "Perlman",
    "Berners-Lee",
    "Johnson",
    "McCarthy",
    "Lamarr",
    "Torvalds",
    "Wilson",
    "Wirth",
    "Borg",
    "van Rossum",
    "Easley",
    "Stroustrup",
    "Sammet",
    "Shannon",
    "Keller",
    "Hoare",
    "Goldwasser",
    "Lamport",
    "Berezin",
    "Pike",
    "Shaw",
    "Gosling",
    "Conway",
    "Matsumoto",
    "Teitelbaum",
    "Kernighan",
    "Clarke",
    "Cerf",
    "Kare",
    "Tanenbaum",
    "Müller",
    "García",
    "Nørgaard",
    "Kowalska",
    "Chen",
    "Sharma",
    "Haddad",
    "Mensah",
    "Larsen",
    "O'Brien",
];
const COMPANY_A: &[&str] = &[
    "Northwind",
    "Blue Harbor",
    "Acme",
    "Summit",
    "Redwood",
    "Silverline",
    "Granite",
    "Brightpath",
    "Ironbridge",
    "Clearwater",
    "Evergreen",
    "Lighthouse",
    "Maple",
    "Quantum",
    "Riverbend",
    "Sterling",
    "Tidewater",
    "Union",
    "Vantage",
    "Westfield",
    "Apex",
    "Cobalt",
    "Horizon",
    "Juniper",
    "Keystone",
    "Lumen",
    "Meridian",
    "Nimbus",
];
const COMPANY_B: &[&str] = &[
    "Labs",
    "Logistics",
    "Foods",
    "Health",
    "Systems",
    "Analytics",
    "Partners",
    "Studios",
    "Energy",
    "Robotics",
    "Education",
    "Capital",
    "Retail",
    "Media",
    "Software",
    "Manufacturing",
    "Consulting",
    "Travel",
    "Biotech",
];
const INDUSTRY: &[&str] = &[
    "Software",
    "Retail",
    "Manufacturing",
    "Healthcare",
    "Education",
    "Finance",
    "Logistics",
    "Media",
    "Energy",
    "Hospitality",
    "Construction",
    "Nonprofit",
];
const CITY: &[&str] = &[
    "London",
    "Berlin",
    "Paris",
    "Lisbon",
    "Toronto",
    "Austin",
    "Chicago",
    "Sydney",
    "Singapore",
    "Nairobi",
    "São Paulo",
    "Tokyo",
    "Madrid",
    "Oslo",
    "Warsaw",
    "Dublin",
];
const TITLE: &[&str] = &[
    "CEO",
    "CTO",
    "Head of Operations",
    "Procurement Manager",
    "VP Sales",
    "Marketing Lead",
    "IT Director",
    "Office Manager",
    "Founder",
    "Finance Director",
    "Product Manager",
    "Engineer",
];
const PRODUCT: &[&str] = &[
    "Starter plan",
    "Team plan",
    "Enterprise plan",
    "Onboarding",
    "Support renewal",
    "Expansion",
    "Pilot",
];
const SUBJECTS: &[&str] = &[
    "Intro call",
    "Demo",
    "Sent pricing",
    "Follow-up email",
    "Discovery meeting",
    "Contract questions",
    "Left a voicemail",
    "Quarterly review",
    "Onboarding kickoff",
    "Reference call",
];
const CAMPAIGNS: &[&str] = &[
    "spring_launch",
    "webinar_q3",
    "retargeting",
    "newsletter",
    "partner_week",
];
const LOST: &[&str] = &[
    "price",
    "timing",
    "missing_feature",
    "competitor",
    "no_response",
    "internal_change",
    "other",
];
const DEMO_STAFF: &[(&str, &str, Role)] = &[
    ("Morgan Reyes", "morgan.reyes", Role::Manager),
    ("Priya Natarajan", "priya.natarajan", Role::Sales),
    ("Sam Okafor", "sam.okafor", Role::Sales),
    ("Lena Fischer", "lena.fischer", Role::Sales),
    ("Diego Alvarez", "diego.alvarez", Role::Sales),
    ("Hana Suzuki", "hana.suzuki", Role::Sales),
    ("Olu Adeyemi", "olu.adeyemi", Role::Support),
    ("Nora Lindqvist", "nora.lindqvist", Role::Support),
];

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

fn pick<'a, T>(rng: &mut StdRng, list: &'a [T]) -> &'a T {
    &list[rng.gen_range(0..list.len())]
}

/// A time-ordered id whose timestamp is `at`, with random bits from the seeded generator.
fn id_at(rng: &mut StdRng, at: DateTime<Utc>) -> Uuid {
    let mut random = [0u8; 10];
    rng.fill(&mut random);
    uuid::Builder::from_unix_timestamp_millis(at.timestamp_millis().max(0) as u64, &random)
        .into_uuid()
}

fn slug(s: &str) -> String {
    s.to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect::<String>()
        .trim_matches('-')
        .to_string()
}

fn ascii(s: &str) -> String {
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

fn phone(rng: &mut StdRng) -> String {
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
        super::db::pipeline::rebuild_totals(&mut tx.c()).await?;
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

/// Makes every row, deterministically from the seed, in the order tables depend on each other.
fn generate(plan: Plan, sender: tokio::sync::mpsc::Sender<Batch>) {
    let out = Out { sender };
    let Plan {
        leads,
        opportunities,
        seed,
        now,
        stages,
        owners,
        support,
    } = plan;
    let mut rng = StdRng::seed_from_u64(seed);
    let today = now.date_naive();
    let account_count = (leads / 10).max(1);
    let contact_count = leads / 2;
    let opportunity_count = opportunities.unwrap_or(leads / 5);
    let age = |rng: &mut StdRng| now - Duration::minutes(rng.gen_range(0..(2 * 365 * 24 * 60)));
    // Records of one kind are made oldest first, so their time-ordered ids and date indexes
    // grow at the end instead of splitting pages everywhere.
    let spread = |rng: &mut StdRng, i: usize, n: usize| {
        let span = 2 * 365 * 24 * 60;
        let at = (span * i as i64) / (n.max(1) as i64);
        now - Duration::minutes(span - at + rng.gen_range(0..5))
    };

    // Accounts.
    let mut accounts: Vec<(Uuid, String, String)> = Vec::with_capacity(account_count);
    const ACCOUNT_COLUMNS: &[&str] = &[
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
    ];
    for chunk_start in (0..account_count).step_by(BATCH) {
        let mut rows = Vec::new();
        for i in chunk_start..(chunk_start + BATCH).min(account_count) {
            let base = format!(
                "{} {}",
                pick(&mut rng, COMPANY_A),
                pick(&mut rng, COMPANY_B)
            );
            let name = if i < COMPANY_A.len() * COMPANY_B.len() / 4 {
                base.clone()
            } else {
                format!("{base} {}", i + 1)
            };
            let domain = format!("{}-{}.example", slug(&base), i + 1);
            let created = spread(&mut rng, i, account_count);
            let id = id_at(&mut rng, created);
            let owner = *pick(&mut rng, &owners);
            rows.push(vec![
                Arg::Uuid(id),
                Arg::Uuid(owner),
                Arg::Text(name.clone()),
                Arg::Text(domain.clone()),
                Arg::Text(pick(&mut rng, INDUSTRY).to_string()),
                Arg::Text(phone(&mut rng)),
                Arg::Text(pick(&mut rng, CITY).to_string()),
                Arg::Int(rng.gen_range(1..500) * 100_000),
                Arg::Time(created),
                Arg::Time(created),
                Arg::Int(1),
            ]);
            accounts.push((id, name, domain));
        }
        if !out.send("accounts", ACCOUNT_COLUMNS, rows) {
            return;
        }
    }

    // Contacts, mostly at accounts.
    let mut contacts: Vec<Uuid> = Vec::with_capacity(contact_count);
    const CONTACT_COLUMNS: &[&str] = &[
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
    ];
    for chunk_start in (0..contact_count).step_by(BATCH) {
        let mut rows = Vec::new();
        for i in chunk_start..(chunk_start + BATCH).min(contact_count) {
            let (first, last) = (*pick(&mut rng, FIRST), *pick(&mut rng, LAST));
            let account =
                (rng.gen_ratio(9, 10)).then(|| accounts[rng.gen_range(0..accounts.len())].clone());
            let domain = account
                .as_ref()
                .map(|a| a.2.clone())
                .unwrap_or_else(|| "mail.example".into());
            let email = format!("{}.{}.{}@{domain}", ascii(first), ascii(last), i + 1);
            let role = match rng.gen_range(0..10) {
                0..=3 => "lead",
                4..=6 => "prospect",
                _ => "client",
            };
            let created = spread(&mut rng, i, contact_count);
            let id = id_at(&mut rng, created);
            rows.push(vec![
                Arg::Uuid(id),
                Arg::Uuid(*pick(&mut rng, &owners)),
                Arg::Text(first.into()),
                Arg::Text(last.into()),
                Arg::Text(email),
                Arg::Text(phone(&mut rng)),
                Arg::Text(pick(&mut rng, TITLE).to_string()),
                Arg::OptUuid(account.map(|a| a.0)),
                Arg::Text(role.into()),
                Arg::Bool(!rng.gen_ratio(1, 30)),
                Arg::Bool(false),
                Arg::Time(created),
                Arg::Time(created),
                Arg::Int(1),
            ]);
            contacts.push(id);
        }
        if !out.send("contacts", CONTACT_COLUMNS, rows) {
            return;
        }
    }

    // Leads.
    const LEAD_COLUMNS: &[&str] = &[
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
        "disqualify_reason",
        "created_at",
        "updated_at",
        "version",
    ];
    let sources = ["web", "web", "web", "referral", "event", "manual", "other"];
    // Qualified leads, some of which became the opportunities below (for conversion figures).
    let mut qualified: Vec<Uuid> = Vec::new();
    for chunk_start in (0..leads).step_by(BATCH) {
        let mut rows = Vec::new();
        for i in chunk_start..(chunk_start + BATCH).min(leads) {
            let (first, last) = (*pick(&mut rng, FIRST), *pick(&mut rng, LAST));
            let company = format!(
                "{} {}",
                pick(&mut rng, COMPANY_A),
                pick(&mut rng, COMPANY_B)
            );
            let email = format!(
                "{}.{}.{}@{}.example",
                ascii(first),
                ascii(last),
                i + 1,
                slug(&company)
            );
            let source = *pick(&mut rng, &sources);
            let web = source == "web";
            let status = match rng.gen_range(0..20) {
                0..=7 => "new",
                8..=13 => "contacted",
                14..=16 => "qualified",
                _ => "disqualified",
            };
            let created = spread(&mut rng, i, leads);
            let lead_id = id_at(&mut rng, created);
            if status == "qualified" {
                qualified.push(lead_id);
            }
            rows.push(vec![
                Arg::Uuid(lead_id),
                Arg::Uuid(*pick(&mut rng, &owners)),
                Arg::Text(format!("{first} {last}")),
                Arg::Text(company),
                Arg::Text(email),
                Arg::OptText(rng.gen_ratio(2, 3).then(|| phone(&mut rng))),
                Arg::Text(source.into()),
                Arg::OptText(
                    web.then(|| pick(&mut rng, &["google", "linkedin", "newsletter"]).to_string()),
                ),
                Arg::OptText(web.then(|| pick(&mut rng, &["cpc", "social", "email"]).to_string())),
                Arg::OptText(web.then(|| pick(&mut rng, CAMPAIGNS).to_string())),
                Arg::Text(status.into()),
                Arg::OptText((status == "disqualified").then(|| {
                    pick(&mut rng, &["No budget", "Not a fit", "Student", "Spam"]).to_string()
                })),
                Arg::Time(created),
                Arg::Time(created),
                Arg::Int(1),
            ]);
        }
        if !out.send("leads", LEAD_COLUMNS, rows) {
            return;
        }
    }

    // Opportunities with their stage histories.
    let open: Vec<&StageDef> = stages
        .iter()
        .filter(|s| s.kind == StageKind::Open)
        .collect();
    let won = stages.iter().find(|s| s.kind == StageKind::Won);
    let lost = stages.iter().find(|s| s.kind == StageKind::Lost);
    let Some(first_stage) = stages.first() else {
        return;
    };
    let mut opportunity_ids = Vec::with_capacity(opportunity_count);
    const OPPORTUNITY_COLUMNS: &[&str] = &[
        "id",
        "owner_id",
        "name",
        "account_id",
        "primary_contact_id",
        "value_minor",
        "currency",
        "stage",
        "probability",
        "expected_close",
        "lost_reason",
        "stage_entered_at",
        "closed_at",
        "lead_id",
        "created_at",
        "updated_at",
        "version",
    ];
    const HISTORY_COLUMNS: &[&str] = &[
        "id",
        "opportunity_id",
        "from_stage",
        "to_stage",
        "at",
        "by_user_id",
    ];
    for chunk_start in (0..opportunity_count).step_by(BATCH) {
        let mut rows = Vec::new();
        let mut history = Vec::new();
        for i in chunk_start..(chunk_start + BATCH).min(opportunity_count) {
            let account = &accounts[rng.gen_range(0..accounts.len())];
            let created = now
                - Duration::minutes(
                    400 * 24 * 60 - (400 * 24 * 60 * i as i64) / opportunity_count.max(1) as i64,
                );
            let id = id_at(&mut rng, created);
            let owner = *pick(&mut rng, &owners);
            // Walk forward through the open stages, then maybe close.
            let reach = rng.gen_range(0..open.len().max(1));
            let mut path: Vec<&StageDef> = open.iter().take(reach + 1).copied().collect();
            let outcome = rng.gen_range(0..10);
            let closes_at_all = created < now - Duration::days(20);
            match (outcome, won, lost) {
                (0..=2, Some(w), _) if closes_at_all => path.push(w),
                (3..=4, _, Some(l)) if closes_at_all => path.push(l),
                _ => {}
            }
            let span = (now - created).num_minutes().max(path.len() as i64);
            let step = span / (path.len() as i64 + 1);
            let mut at = created;
            let mut from: Option<String> = None;
            for stage in &path {
                history.push(vec![
                    Arg::Uuid(id_at(&mut rng, at)),
                    Arg::Uuid(id),
                    Arg::OptText(from.clone()),
                    Arg::Text(stage.key.clone()),
                    Arg::Time(at),
                    Arg::Uuid(owner),
                ]);
                from = Some(stage.key.clone());
                at += Duration::minutes(rng.gen_range(step / 2..=step.max(1)));
            }
            let stage = path.last().copied().unwrap_or(first_stage);
            let entered = at - Duration::minutes(step / 2);
            let closed = stage.is_closed().then_some(entered);
            let close_date: NaiveDate = closed
                .map(|c| c.date_naive())
                .unwrap_or(today + Duration::days(rng.gen_range(-15..120)));
            let value = rng.gen_range(10..2_000) * 50_000;
            rows.push(vec![
                Arg::Uuid(id),
                Arg::Uuid(owner),
                Arg::Text(format!("{} — {}", account.1, pick(&mut rng, PRODUCT))),
                Arg::Uuid(account.0),
                Arg::OptUuid(
                    (!contacts.is_empty()).then(|| contacts[rng.gen_range(0..contacts.len())]),
                ),
                Arg::OptInt(Some(value)),
                Arg::Text("USD".into()),
                Arg::Text(stage.key.clone()),
                Arg::Int(i64::from(stage.probability)),
                Arg::OptDate(Some(close_date)),
                Arg::OptText(
                    (stage.kind == StageKind::Lost).then(|| pick(&mut rng, LOST).to_string()),
                ),
                Arg::Time(entered),
                Arg::OptTime(closed),
                Arg::OptUuid(
                    (!qualified.is_empty() && rng.gen_ratio(1, 2))
                        .then(|| qualified[rng.gen_range(0..qualified.len())]),
                ),
                Arg::Time(created),
                Arg::Time(entered),
                Arg::Int(1),
            ]);
            opportunity_ids.push(id);
        }
        if !out.send("opportunities", OPPORTUNITY_COLUMNS, rows)
            || !out.send("stage_history", HISTORY_COLUMNS, history)
        {
            return;
        }
    }
    if opportunity_ids.is_empty() {
        return;
    }

    // Activities (what happened) and tasks (what is to do), on opportunities and contacts.
    let activity_count = leads / 10;
    const ACTIVITY_COLUMNS: &[&str] = &[
        "id",
        "owner_id",
        "kind",
        "subject",
        "body",
        "occurred_at",
        "related_type",
        "related_id",
        "created_at",
        "updated_at",
        "version",
    ];
    let kinds = ["call", "meeting", "note", "email"];
    for chunk_start in (0..activity_count).step_by(BATCH) {
        let mut rows = Vec::new();
        for _ in chunk_start..(chunk_start + BATCH).min(activity_count) {
            let (kind, related) = if rng.gen_bool(0.6) || contacts.is_empty() {
                (
                    "opportunity",
                    opportunity_ids[rng.gen_range(0..opportunity_ids.len())],
                )
            } else {
                ("contact", contacts[rng.gen_range(0..contacts.len())])
            };
            let at = age(&mut rng);
            rows.push(vec![
                Arg::Uuid(id_at(&mut rng, at)),
                Arg::Uuid(*pick(&mut rng, &owners)),
                Arg::Text(pick(&mut rng, &kinds).to_string()),
                Arg::Text(pick(&mut rng, SUBJECTS).to_string()),
                Arg::OptText(
                    rng.gen_ratio(1, 3)
                        .then(|| "Notes from the conversation.".to_string()),
                ),
                Arg::Time(at),
                Arg::Text(kind.into()),
                Arg::Uuid(related),
                Arg::Time(at),
                Arg::Time(at),
                Arg::Int(1),
            ]);
        }
        if !out.send("activities", ACTIVITY_COLUMNS, rows) {
            return;
        }
    }

    let task_count = leads / 20;
    const TASK_COLUMNS: &[&str] = &[
        "id",
        "owner_id",
        "title",
        "due_at",
        "assignee_id",
        "done_at",
        "related_type",
        "related_id",
        "created_at",
        "updated_at",
        "version",
    ];
    let mut everyone = owners.clone();
    everyone.extend(support.iter().copied());
    let mut rows = Vec::new();
    for i in 0..task_count {
        let created = now - Duration::days(rng.gen_range(0..30));
        let due = now + Duration::hours(rng.gen_range(-24 * 10..24 * 20));
        let done = rng.gen_ratio(1, 3).then(|| due.min(now));
        rows.push(vec![
            Arg::Uuid(id_at(&mut rng, created)),
            Arg::Uuid(*pick(&mut rng, &owners)),
            Arg::Text(format!(
                "{} #{}",
                pick(
                    &mut rng,
                    &[
                        "Follow up",
                        "Send proposal",
                        "Call back",
                        "Prepare demo",
                        "Check contract"
                    ]
                ),
                i + 1
            )),
            Arg::OptTime(Some(due)),
            Arg::Uuid(*pick(&mut rng, &everyone)),
            Arg::OptTime(done),
            Arg::OptText(Some("opportunity".into())),
            Arg::OptUuid(Some(
                opportunity_ids[rng.gen_range(0..opportunity_ids.len())],
            )),
            Arg::Time(created),
            Arg::Time(created),
            Arg::Int(1),
        ]);
        if rows.len() == BATCH && !out.send("tasks", TASK_COLUMNS, std::mem::take(&mut rows)) {
            return;
        }
    }
    out.send("tasks", TASK_COLUMNS, rows);
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
