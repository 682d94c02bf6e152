//! What each list is narrowed by: typed conditions the services fill in from a request, turned
//! into SQL here, next to the lists' statements, so no service writes a column name, an alias
//! or a subquery. `sight` is the people whose records the asker sees (`None`: everyone's) and
//! `team` the people of a chosen team; both come from the policy.

use super::list::Filter;
use super::records::{owned_by, reached, related_tickets_within};
use super::sql::Arg;
use super::tickets::Scope;
use crate::domain::contact::ContactRole;
use crate::domain::lead::LeadStatus;
use crate::domain::opportunity::LostReason;
use crate::domain::records::RecordKind;
use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

/// Which stages an opportunity list holds.
#[derive(Clone, Debug, PartialEq)]
pub enum StageIs {
    /// Any open stage.
    Open,
    /// Any stage of an outcome (`won` or `lost`), so figures over several can be listed.
    Outcome(String),
    /// One stage, by key.
    Key(String),
}

/// Which lost reason an opportunity list holds.
#[derive(Clone, Debug, PartialEq)]
pub enum LostIs {
    /// Lost before reasons were required.
    Unrecorded,
    Reason(LostReason),
}

/// The people conditions every record list shares, for the list's table `alias`.
fn people(
    kind: RecordKind,
    alias: &str,
    sight: &Option<Vec<Uuid>>,
    team: &Option<Vec<Uuid>>,
) -> Vec<Filter> {
    let mut out = Vec::new();
    if let Some(seen) = sight {
        out.push(reached(kind, alias, seen));
    }
    if let Some(team) = team {
        out.push(owned_by(alias, team));
    }
    out
}

fn owner(alias: &str, owner: Option<Uuid>) -> Option<Filter> {
    owner.map(|o| Filter::new(&format!("{alias}.owner_id = ?"), vec![Arg::Uuid(o)]))
}

#[derive(Clone, Debug, Default)]
pub struct Opportunities {
    pub sight: Option<Vec<Uuid>>,
    pub team: Option<Vec<Uuid>>,
    pub stage: Option<StageIs>,
    pub owner: Option<Uuid>,
    pub account: Option<Uuid>,
    /// Only deals that have closed (a sort by close time lists only those).
    pub closed_only: bool,
    pub close_from: Option<NaiveDate>,
    pub close_to: Option<NaiveDate>,
    /// Closed at or after this moment.
    pub closed_from: Option<DateTime<Utc>>,
    /// Closed before this moment.
    pub closed_before: Option<DateTime<Utc>>,
    pub lost: Option<LostIs>,
}

impl Opportunities {
    pub fn filters(&self) -> Vec<Filter> {
        let mut f = people(RecordKind::Opportunity, "o", &self.sight, &self.team);
        f.extend(match &self.stage {
            Some(StageIs::Open) => Some(Filter::new("o.closed_at is null", vec![])),
            Some(StageIs::Outcome(kind)) => Some(Filter::new(
                "o.stage in (select key from pipeline_stages where kind = ?)",
                vec![Arg::Text(kind.clone())],
            )),
            Some(StageIs::Key(key)) => {
                Some(Filter::new("o.stage = ?", vec![Arg::Text(key.clone())]))
            }
            None => None,
        });
        f.extend(owner("o", self.owner));
        if self.closed_only {
            f.push(Filter::new("o.closed_at is not null", vec![]));
        }
        if let Some(a) = self.account {
            f.push(Filter::new("o.account_id = ?", vec![Arg::Uuid(a)]));
        }
        if let Some(d) = self.close_from {
            f.push(Filter::new("o.expected_close >= ?", vec![Arg::Date(d)]));
        }
        if let Some(d) = self.close_to {
            f.push(Filter::new("o.expected_close <= ?", vec![Arg::Date(d)]));
        }
        if let Some(t) = self.closed_from {
            f.push(Filter::new("o.closed_at >= ?", vec![Arg::Time(t)]));
        }
        if let Some(t) = self.closed_before {
            f.push(Filter::new("o.closed_at < ?", vec![Arg::Time(t)]));
        }
        f.extend(match &self.lost {
            Some(LostIs::Unrecorded) => Some(Filter::new(
                "o.lost_reason is null and o.stage in (select key from pipeline_stages where kind = 'lost')",
                vec![],
            )),
            Some(LostIs::Reason(r)) => Some(Filter::new(
                "o.lost_reason = ?",
                vec![Arg::Text(r.as_str().to_string())],
            )),
            None => None,
        });
        f
    }
}

#[derive(Clone, Debug, Default)]
pub struct Contacts {
    pub sight: Option<Vec<Uuid>>,
    pub team: Option<Vec<Uuid>>,
    pub role: Option<ContactRole>,
    pub owner: Option<Uuid>,
    pub account: Option<Uuid>,
}

impl Contacts {
    pub fn filters(&self) -> Vec<Filter> {
        let mut f = people(RecordKind::Contact, "c", &self.sight, &self.team);
        if let Some(role) = self.role {
            f.push(Filter::new(
                "c.role = ?",
                vec![Arg::Text(role.as_str().into())],
            ));
        }
        f.extend(owner("c", self.owner));
        if let Some(a) = self.account {
            f.push(Filter::new("c.account_id = ?", vec![Arg::Uuid(a)]));
        }
        f
    }
}

#[derive(Clone, Debug, Default)]
pub struct Leads {
    pub sight: Option<Vec<Uuid>>,
    pub team: Option<Vec<Uuid>>,
    pub status: Option<LeadStatus>,
    pub owner: Option<Uuid>,
}

impl Leads {
    pub fn filters(&self) -> Vec<Filter> {
        let mut f = people(RecordKind::Lead, "l", &self.sight, &self.team);
        if let Some(status) = self.status {
            f.push(Filter::new(
                "l.status = ?",
                vec![Arg::Text(status.as_str().into())],
            ));
        }
        f.extend(owner("l", self.owner));
        f
    }
}

#[derive(Clone, Debug, Default)]
pub struct Accounts {
    pub sight: Option<Vec<Uuid>>,
    pub team: Option<Vec<Uuid>>,
    pub owner: Option<Uuid>,
}

impl Accounts {
    pub fn filters(&self) -> Vec<Filter> {
        let mut f = people(RecordKind::Account, "a", &self.sight, &self.team);
        f.extend(owner("a", self.owner));
        f
    }
}

#[derive(Clone, Debug)]
pub struct Activities {
    /// The kinds of record the asker may read notes on (listed when no kind is asked for).
    pub readable: Vec<RecordKind>,
    /// Notes on records of this kind only.
    pub kind: Option<RecordKind>,
    /// Notes on the record with this id only.
    pub record: Option<Uuid>,
    /// Whose notes are listed when no one record is asked for: people within sight.
    pub sight: Option<Vec<Uuid>>,
    /// The tickets whose notes the asker may read.
    pub tickets: Scope,
    pub owner: Option<Uuid>,
}

impl Activities {
    pub fn filters(&self) -> Vec<Filter> {
        let mut f = Vec::new();
        match self.kind {
            Some(kind) => f.push(Filter::new(
                "t.related_type = ?",
                vec![Arg::Text(kind.as_str().into())],
            )),
            None if self.readable.is_empty() => f.push(Filter::new("1 = 0", vec![])),
            None => f.push(Filter::new(
                &format!(
                    "t.related_type in ({})",
                    vec!["?"; self.readable.len()].join(", ")
                ),
                self.readable
                    .iter()
                    .map(|k| Arg::Text(k.as_str().into()))
                    .collect(),
            )),
        }
        // Notes on tickets the asker may not see stay out of every listing.
        f.extend(related_tickets_within(self.tickets));
        if let Some(id) = self.record {
            f.push(Filter::new("t.related_id = ?", vec![Arg::Uuid(id)]));
        }
        // The notes of one record the asker may see are all theirs to read (the service
        // authorized the record); listed without one, only the notes of people within sight.
        let one_record = self.kind.is_some() && self.record.is_some();
        if let (false, Some(seen)) = (one_record, &self.sight) {
            f.push(reached(RecordKind::Activity, "t", seen));
        }
        f.extend(owner("t", self.owner));
        f
    }
}

#[derive(Clone, Debug)]
pub struct Tasks {
    /// Only the tasks this person does.
    pub assignee: Option<Uuid>,
    /// The asker, and the tickets whose tasks they may read (the others are listed only to
    /// whoever does them).
    pub asker: Uuid,
    pub tickets: Scope,
    /// One record's tasks; else those of people within `sight`.
    pub record: Option<(RecordKind, Uuid)>,
    pub sight: Option<Vec<Uuid>>,
    /// Open (`true`) or done (`false`) only.
    pub open: Option<bool>,
}

impl Tasks {
    pub fn filters(&self) -> Vec<Filter> {
        let mut f = Vec::new();
        if let Some(a) = self.assignee {
            f.push(Filter::new("t.assignee_id = ?", vec![Arg::Uuid(a)]));
        }
        if let Some(Filter(visible, args)) = related_tickets_within(self.tickets) {
            let mut all = vec![Arg::Uuid(self.asker)];
            all.extend(args);
            f.push(Filter(format!("(t.assignee_id = ? or {visible})"), all));
        }
        match (self.record, &self.sight) {
            (Some((kind, id)), _) => f.push(Filter::new(
                "t.related_type = ? and t.related_id = ?",
                vec![Arg::Text(kind.as_str().into()), Arg::Uuid(id)],
            )),
            (None, Some(seen)) => f.push(reached(RecordKind::Task, "t", seen)),
            (None, None) => {}
        }
        match self.open {
            Some(true) => f.push(Filter::new("t.done_at is null", vec![])),
            Some(false) => f.push(Filter::new("t.done_at is not null", vec![])),
            None => {}
        }
        f
    }
}
