//! What the policy needs to know about one particular record, whatever its kind: who owns it
//! and which account and contact it belongs to. Read from the row itself, so a decision about a
//! record is never made from its kind alone.

use super::list::Filter;
use super::sql::{Arg, uuid_in};
use super::tickets::Scope;
use super::{Backend, Conn, on};
use crate::domain::records::RecordKind;
use uuid::Uuid;

/// The facts of one record that authorization depends on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct RecordFacts {
    /// The record's owner; for a ticket, the owner of its account.
    pub owner_id: Option<Uuid>,
    /// For a task: who does it.
    pub assignee_id: Option<Uuid>,
    pub account_id: Option<Uuid>,
    pub contact_id: Option<Uuid>,
    /// For a contact: the owner of its account.
    pub account_owner_id: Option<Uuid>,
}

/// The facts of the record `kind`/`id`, or `None` when there is no such record.
pub async fn facts(
    c: &mut Conn<'_>,
    kind: RecordKind,
    id: Uuid,
) -> Result<Option<RecordFacts>, sqlx::Error> {
    let sql = match kind {
        RecordKind::Lead => {
            "select owner_id, null as assignee_id, converted_account_id as account_id,
                    converted_contact_id as contact_id, null as account_owner_id
             from leads where id = $1"
        }
        RecordKind::Account => {
            "select owner_id, null as assignee_id, id as account_id, null as contact_id,
                    owner_id as account_owner_id
             from accounts where id = $1"
        }
        RecordKind::Contact => {
            "select k.owner_id, null as assignee_id, k.account_id, k.id as contact_id,
                    a.owner_id as account_owner_id
             from contacts k left join accounts a on a.id = k.account_id where k.id = $1"
        }
        RecordKind::Opportunity => {
            "select o.owner_id, null as assignee_id, o.account_id, o.primary_contact_id as contact_id,
                    a.owner_id as account_owner_id
             from opportunities o left join accounts a on a.id = o.account_id where o.id = $1"
        }
        RecordKind::Ticket => {
            "select a.owner_id, t.assignee_id, t.account_id, t.contact_id,
                    a.owner_id as account_owner_id
             from tickets t left join accounts a on a.id = t.account_id where t.id = $1"
        }
        RecordKind::Task => {
            "select owner_id, assignee_id, null as account_id, null as contact_id,
                    null as account_owner_id
             from tasks where id = $1"
        }
        RecordKind::Activity => {
            "select owner_id, null as assignee_id, null as account_id, null as contact_id,
                    null as account_owner_id
             from activities where id = $1"
        }
        RecordKind::Form => return Ok(None),
    };
    on!(c, c => sqlx::query_as(sql).bind(id).fetch_optional(c).await)
}

/// Rows (of a table aliased `t` with `related_type`/`related_id`) about a ticket only when that
/// ticket is within `scope`; rows about other kinds of record pass. For listings of activities
/// and tasks, so notes on a ticket are seen only by those who may see the ticket.
pub fn related_tickets_within(scope: Scope) -> Option<Filter> {
    match scope {
        Scope::All => None,
        Scope::AccountsOwnedBy(owner) => Some(Filter::new(
            "(t.related_type is null or t.related_type <> 'ticket' or t.related_id in
                (select k.id from tickets k join accounts a on a.id = k.account_id
                 where a.owner_id = ?))",
            vec![Arg::Uuid(owner)],
        )),
        Scope::Account(account) => Some(Filter::new(
            "(t.related_type is null or t.related_type <> 'ticket' or t.related_id in
                (select k.id from tickets k where k.account_id = ?))",
            vec![Arg::Uuid(account)],
        )),
        Scope::Contact(contact) => Some(Filter::new(
            "(t.related_type is null or t.related_type <> 'ticket' or t.related_id in
                (select k.id from tickets k where k.contact_id = ?))",
            vec![Arg::Uuid(contact)],
        )),
    }
}

/// Rows of `kind` (its list's table aliased `alias`) that belong to one of `people`: by owner;
/// a contact also by the owner of its account; a task or ticket also by whoever does it (a
/// ticket's owner is its account's). The listing form of the policy's rule for one record.
pub fn reached(kind: RecordKind, alias: &str, people: &[Uuid]) -> Filter {
    let marks = vec!["?"; people.len()].join(", ");
    let mut sets = 0;
    let sql = reach_condition(kind, alias, &mut |column| {
        sets += 1;
        format!("{column} in ({marks})")
    });
    let args = (0..sets)
        .flat_map(|_| people.iter().map(|p| Arg::Uuid(*p)))
        .collect();
    if people.is_empty() {
        return Filter::new("1 = 0", vec![]);
    }
    Filter(sql, args)
}

/// [`reached`] with the people written into the statement (for statements with numbered
/// parameters of their own).
pub fn reached_inline(backend: Backend, kind: RecordKind, alias: &str, people: &[Uuid]) -> String {
    reach_condition(kind, alias, &mut |column| uuid_in(backend, column, people))
}

/// The rule's shape, with `among(column)` for "column holds one of the people".
fn reach_condition(kind: RecordKind, alias: &str, among: &mut dyn FnMut(&str) -> String) -> String {
    // Each `among` is called in the order its condition appears (the bound form numbers them).
    match kind {
        RecordKind::Contact => {
            let owner = among(&format!("{alias}.owner_id"));
            let account_owner = among("owner_id");
            format!(
                "({owner} or {alias}.account_id in (select id from accounts where {account_owner}))"
            )
        }
        // Notes and tasks also come with the record they are about.
        RecordKind::Activity => {
            let owner = among(&format!("{alias}.owner_id"));
            format!("({owner} or {})", about_reached(alias, among))
        }
        RecordKind::Task => {
            let owner = among(&format!("{alias}.owner_id"));
            let assignee = among(&format!("{alias}.assignee_id"));
            format!("({owner} or {assignee} or {})", about_reached(alias, among))
        }
        RecordKind::Ticket => {
            let assignee = among(&format!("{alias}.assignee_id"));
            let account_owner = among("owner_id");
            format!(
                "({assignee} or {alias}.account_id in (select id from accounts where {account_owner}))"
            )
        }
        _ => among(&format!("{alias}.owner_id")),
    }
}

/// For a table of notes or tasks aliased `alias` (with `related_type`/`related_id`): the record
/// it is about is one the people reach.
fn about_reached(alias: &str, among: &mut dyn FnMut(&str) -> String) -> String {
    let mut parts = Vec::new();
    for kind in [
        RecordKind::Lead,
        RecordKind::Account,
        RecordKind::Contact,
        RecordKind::Opportunity,
        RecordKind::Ticket,
    ] {
        let table = table(kind);
        let condition = reach_condition(kind, "r", among);
        parts.push(format!(
            "({alias}.related_type = '{}' and {alias}.related_id in (select r.id from {table} r where {condition}))",
            kind.as_str()
        ));
    }
    format!("({})", parts.join(" or "))
}

/// The table a kind of record lives in.
pub fn table(kind: RecordKind) -> &'static str {
    match kind {
        RecordKind::Lead => "leads",
        RecordKind::Account => "accounts",
        RecordKind::Contact => "contacts",
        RecordKind::Opportunity => "opportunities",
        RecordKind::Ticket => "tickets",
        RecordKind::Activity => "activities",
        RecordKind::Task => "tasks",
        RecordKind::Form => "forms",
    }
}

/// Whether a record of `kind` with this id exists.
pub async fn exists(c: &mut Conn<'_>, kind: RecordKind, id: Uuid) -> Result<bool, sqlx::Error> {
    let sql = format!("select count(*) from {} where id = $1", table(kind));
    let n: i64 = on!(c, c => sqlx::query_scalar(&sql).bind(id).fetch_one(c).await)?;
    Ok(n > 0)
}

/// Rows (of a table aliased `alias`) owned by one of `people`: a team's records.
pub fn owned_by(alias: &str, people: &[Uuid]) -> Filter {
    if people.is_empty() {
        return Filter::new("1 = 0", vec![]);
    }
    let marks = vec!["?"; people.len()].join(", ");
    Filter(
        format!("{alias}.owner_id in ({marks})"),
        people.iter().map(|p| Arg::Uuid(*p)).collect(),
    )
}
