//! Making the demo rows: one table after another in the order they depend on each other, each
//! drawn from the one seeded generator, so the same seed makes the same rows.

use super::words::*;
use super::{BATCH, Batch, Out, Plan, ascii, id_at, phone, pick, slug};
use crate::domain::opportunity::{StageDef, StageKind};
use crate::server::db::sql::Arg;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use uuid::Uuid;

/// Makes every row, deterministically from the seed, in the order tables depend on each other.
pub(super) fn generate(plan: Plan, sender: tokio::sync::mpsc::Sender<Batch>) {
    let leads = plan.leads;
    let mut g = Generator {
        out: Out { sender },
        rng: StdRng::seed_from_u64(plan.seed),
        now: plan.now,
        owners: plan.owners,
    };
    let Some(accounts) = g.accounts((leads / 10).max(1)) else {
        return;
    };
    let Some(contacts) = g.contacts(leads / 2, &accounts) else {
        return;
    };
    let Some(qualified) = g.leads(leads) else {
        return;
    };
    let count = plan.opportunities.unwrap_or(leads / 5);
    let Some(opportunities) =
        g.opportunities(count, &plan.stages, &accounts, &contacts, &qualified)
    else {
        return;
    };
    if opportunities.is_empty()
        || g.activities(leads / 10, &opportunities, &contacts)
            .is_none()
    {
        return;
    }
    let mut everyone = g.owners.clone();
    everyone.extend(plan.support.iter().copied());
    g.tasks(leads / 20, &opportunities, &everyone);
}

/// The generator's state: where rows go, the seeded randomness, the time it runs at and the
/// staff who own records. Each method makes one table's rows (`None` once the writer stopped).
struct Generator {
    out: Out,
    rng: StdRng,
    now: DateTime<Utc>,
    owners: Vec<Uuid>,
}

impl Generator {
    /// A time within the last two years.
    fn age(&mut self) -> DateTime<Utc> {
        self.now - Duration::minutes(self.rng.gen_range(0..(2 * 365 * 24 * 60)))
    }

    /// The time of the `i`-th of `n` records of a kind: records of one kind are made oldest
    /// first, so their time-ordered ids and date indexes grow at the end instead of splitting
    /// pages everywhere.
    fn spread(&mut self, i: usize, n: usize) -> DateTime<Utc> {
        let span = 2 * 365 * 24 * 60;
        let at = (span * i as i64) / (n.max(1) as i64);
        self.now - Duration::minutes(span - at + self.rng.gen_range(0..5))
    }

    /// Accounts: their ids, names and domains (contacts get addresses at them).
    fn accounts(&mut self, account_count: usize) -> Option<Vec<(Uuid, String, String)>> {
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
                    pick(&mut self.rng, COMPANY_A),
                    pick(&mut self.rng, COMPANY_B)
                );
                let name = if i < COMPANY_A.len() * COMPANY_B.len() / 4 {
                    base.clone()
                } else {
                    format!("{base} {}", i + 1)
                };
                let domain = format!("{}-{}.example", slug(&base), i + 1);
                let created = self.spread(i, account_count);
                let id = id_at(&mut self.rng, created);
                let owner = *pick(&mut self.rng, &self.owners);
                rows.push(vec![
                    Arg::Uuid(id),
                    Arg::Uuid(owner),
                    Arg::Text(name.clone()),
                    Arg::Text(domain.clone()),
                    Arg::Text(pick(&mut self.rng, INDUSTRY).to_string()),
                    Arg::Text(phone(&mut self.rng)),
                    Arg::Text(pick(&mut self.rng, CITY).to_string()),
                    Arg::Int(self.rng.gen_range(1..500) * 100_000),
                    Arg::Time(created),
                    Arg::Time(created),
                    Arg::Int(1),
                ]);
                accounts.push((id, name, domain));
            }
            if !self.out.send("accounts", ACCOUNT_COLUMNS, rows) {
                return None;
            }
        }
        Some(accounts)
    }

    /// Contacts, mostly at accounts.
    fn contacts(
        &mut self,
        contact_count: usize,
        accounts: &[(Uuid, String, String)],
    ) -> Option<Vec<Uuid>> {
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
                let (first, last) = (*pick(&mut self.rng, FIRST), *pick(&mut self.rng, LAST));
                let account = (self.rng.gen_ratio(9, 10))
                    .then(|| accounts[self.rng.gen_range(0..accounts.len())].clone());
                let domain = account
                    .as_ref()
                    .map(|a| a.2.clone())
                    .unwrap_or_else(|| "mail.example".into());
                let email = format!("{}.{}.{}@{domain}", ascii(first), ascii(last), i + 1);
                let role = match self.rng.gen_range(0..10) {
                    0..=3 => "lead",
                    4..=6 => "prospect",
                    _ => "client",
                };
                let created = self.spread(i, contact_count);
                let id = id_at(&mut self.rng, created);
                rows.push(vec![
                    Arg::Uuid(id),
                    Arg::Uuid(*pick(&mut self.rng, &self.owners)),
                    Arg::Text(first.into()),
                    Arg::Text(last.into()),
                    Arg::Text(email),
                    Arg::Text(phone(&mut self.rng)),
                    Arg::Text(pick(&mut self.rng, TITLE).to_string()),
                    Arg::OptUuid(account.map(|a| a.0)),
                    Arg::Text(role.into()),
                    Arg::Bool(!self.rng.gen_ratio(1, 30)),
                    Arg::Bool(false),
                    Arg::Time(created),
                    Arg::Time(created),
                    Arg::Int(1),
                ]);
                contacts.push(id);
            }
            if !self.out.send("contacts", CONTACT_COLUMNS, rows) {
                return None;
            }
        }
        Some(contacts)
    }

    /// Leads; the qualified ones are returned (some became the opportunities, for conversion
    /// figures).
    fn leads(&mut self, leads: usize) -> Option<Vec<Uuid>> {
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
                let (first, last) = (*pick(&mut self.rng, FIRST), *pick(&mut self.rng, LAST));
                let company = format!(
                    "{} {}",
                    pick(&mut self.rng, COMPANY_A),
                    pick(&mut self.rng, COMPANY_B)
                );
                let email = format!(
                    "{}.{}.{}@{}.example",
                    ascii(first),
                    ascii(last),
                    i + 1,
                    slug(&company)
                );
                let source = *pick(&mut self.rng, &sources);
                let web = source == "web";
                let status = match self.rng.gen_range(0..20) {
                    0..=7 => "new",
                    8..=13 => "contacted",
                    14..=16 => "qualified",
                    _ => "disqualified",
                };
                let created = self.spread(i, leads);
                let lead_id = id_at(&mut self.rng, created);
                if status == "qualified" {
                    qualified.push(lead_id);
                }
                rows.push(vec![
                    Arg::Uuid(lead_id),
                    Arg::Uuid(*pick(&mut self.rng, &self.owners)),
                    Arg::Text(format!("{first} {last}")),
                    Arg::Text(company),
                    Arg::Text(email),
                    Arg::OptText(self.rng.gen_ratio(2, 3).then(|| phone(&mut self.rng))),
                    Arg::Text(source.into()),
                    Arg::OptText(web.then(|| {
                        pick(&mut self.rng, &["google", "linkedin", "newsletter"]).to_string()
                    })),
                    Arg::OptText(
                        web.then(|| pick(&mut self.rng, &["cpc", "social", "email"]).to_string()),
                    ),
                    Arg::OptText(web.then(|| pick(&mut self.rng, CAMPAIGNS).to_string())),
                    Arg::Text(status.into()),
                    Arg::OptText((status == "disqualified").then(|| {
                        pick(
                            &mut self.rng,
                            &["No budget", "Not a fit", "Student", "Spam"],
                        )
                        .to_string()
                    })),
                    Arg::Time(created),
                    Arg::Time(created),
                    Arg::Int(1),
                ]);
            }
            if !self.out.send("leads", LEAD_COLUMNS, rows) {
                return None;
            }
        }
        Some(qualified)
    }

    /// Opportunities with their stage histories.
    fn opportunities(
        &mut self,
        opportunity_count: usize,
        stages: &[StageDef],
        accounts: &[(Uuid, String, String)],
        contacts: &[Uuid],
        qualified: &[Uuid],
    ) -> Option<Vec<Uuid>> {
        let open: Vec<&StageDef> = stages
            .iter()
            .filter(|s| s.kind == StageKind::Open)
            .collect();
        let won = stages.iter().find(|s| s.kind == StageKind::Won);
        let lost = stages.iter().find(|s| s.kind == StageKind::Lost);
        let Some(first_stage) = stages.first() else {
            return None;
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
                let account = &accounts[self.rng.gen_range(0..accounts.len())];
                let created = self.now
                    - Duration::minutes(
                        400 * 24 * 60
                            - (400 * 24 * 60 * i as i64) / opportunity_count.max(1) as i64,
                    );
                let id = id_at(&mut self.rng, created);
                let owner = *pick(&mut self.rng, &self.owners);
                // Walk forward through the open stages, then maybe close.
                let reach = self.rng.gen_range(0..open.len().max(1));
                let mut path: Vec<&StageDef> = open.iter().take(reach + 1).copied().collect();
                let outcome = self.rng.gen_range(0..10);
                let closes_at_all = created < self.now - Duration::days(20);
                match (outcome, won, lost) {
                    (0..=2, Some(w), _) if closes_at_all => path.push(w),
                    (3..=4, _, Some(l)) if closes_at_all => path.push(l),
                    _ => {}
                }
                let span = (self.now - created).num_minutes().max(path.len() as i64);
                let step = span / (path.len() as i64 + 1);
                let mut at = created;
                let mut from: Option<String> = None;
                for stage in &path {
                    history.push(vec![
                        Arg::Uuid(id_at(&mut self.rng, at)),
                        Arg::Uuid(id),
                        Arg::OptText(from.clone()),
                        Arg::Text(stage.key.clone()),
                        Arg::Time(at),
                        Arg::Uuid(owner),
                    ]);
                    from = Some(stage.key.clone());
                    at += Duration::minutes(self.rng.gen_range(step / 2..=step.max(1)));
                }
                let stage = path.last().copied().unwrap_or(first_stage);
                let entered = at - Duration::minutes(step / 2);
                let closed = stage.is_closed().then_some(entered);
                let close_date: NaiveDate = closed.map(|c| c.date_naive()).unwrap_or(
                    self.now.date_naive() + Duration::days(self.rng.gen_range(-15..120)),
                );
                let value = self.rng.gen_range(10..2_000) * 50_000;
                rows.push(vec![
                    Arg::Uuid(id),
                    Arg::Uuid(owner),
                    Arg::Text(format!("{} — {}", account.1, pick(&mut self.rng, PRODUCT))),
                    Arg::Uuid(account.0),
                    Arg::OptUuid(
                        (!contacts.is_empty())
                            .then(|| contacts[self.rng.gen_range(0..contacts.len())]),
                    ),
                    Arg::OptInt(Some(value)),
                    Arg::Text("USD".into()),
                    Arg::Text(stage.key.clone()),
                    Arg::Int(i64::from(stage.probability)),
                    Arg::OptDate(Some(close_date)),
                    Arg::OptText(
                        (stage.kind == StageKind::Lost)
                            .then(|| pick(&mut self.rng, LOST).to_string()),
                    ),
                    Arg::Time(entered),
                    Arg::OptTime(closed),
                    Arg::OptUuid(
                        (!qualified.is_empty() && self.rng.gen_ratio(1, 2))
                            .then(|| qualified[self.rng.gen_range(0..qualified.len())]),
                    ),
                    Arg::Time(created),
                    Arg::Time(entered),
                    Arg::Int(1),
                ]);
                opportunity_ids.push(id);
            }
            if !self.out.send("opportunities", OPPORTUNITY_COLUMNS, rows)
                || !self.out.send("stage_history", HISTORY_COLUMNS, history)
            {
                return None;
            }
        }
        Some(opportunity_ids)
    }

    /// Activities (what happened), on opportunities and contacts.
    fn activities(
        &mut self,
        activity_count: usize,
        opportunity_ids: &[Uuid],
        contacts: &[Uuid],
    ) -> Option<()> {
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
                let (kind, related) = if self.rng.gen_bool(0.6) || contacts.is_empty() {
                    (
                        "opportunity",
                        opportunity_ids[self.rng.gen_range(0..opportunity_ids.len())],
                    )
                } else {
                    ("contact", contacts[self.rng.gen_range(0..contacts.len())])
                };
                let at = self.age();
                rows.push(vec![
                    Arg::Uuid(id_at(&mut self.rng, at)),
                    Arg::Uuid(*pick(&mut self.rng, &self.owners)),
                    Arg::Text(pick(&mut self.rng, &kinds).to_string()),
                    Arg::Text(pick(&mut self.rng, SUBJECTS).to_string()),
                    Arg::OptText(
                        self.rng
                            .gen_ratio(1, 3)
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
            if !self.out.send("activities", ACTIVITY_COLUMNS, rows) {
                return None;
            }
        }
        Some(())
    }

    /// Tasks (what is to do), on opportunities, for sales and support alike.
    fn tasks(&mut self, task_count: usize, opportunity_ids: &[Uuid], everyone: &[Uuid]) {
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
        let mut rows = Vec::new();
        for i in 0..task_count {
            let created = self.now - Duration::days(self.rng.gen_range(0..30));
            let due = self.now + Duration::hours(self.rng.gen_range(-24 * 10..24 * 20));
            let done = self.rng.gen_ratio(1, 3).then(|| due.min(self.now));
            rows.push(vec![
                Arg::Uuid(id_at(&mut self.rng, created)),
                Arg::Uuid(*pick(&mut self.rng, &self.owners)),
                Arg::Text(format!(
                    "{} #{}",
                    pick(
                        &mut self.rng,
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
                Arg::Uuid(*pick(&mut self.rng, &everyone)),
                Arg::OptTime(done),
                Arg::OptText(Some("opportunity".into())),
                Arg::OptUuid(Some(
                    opportunity_ids[self.rng.gen_range(0..opportunity_ids.len())],
                )),
                Arg::Time(created),
                Arg::Time(created),
                Arg::Int(1),
            ]);
            if rows.len() == BATCH
                && !self
                    .out
                    .send("tasks", TASK_COLUMNS, std::mem::take(&mut rows))
            {
                return;
            }
        }
        self.out.send("tasks", TASK_COLUMNS, rows);
    }
}
