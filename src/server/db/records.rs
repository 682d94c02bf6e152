//! What the policy needs to know about one particular record, whatever its kind: who owns it
//! and which account and contact it belongs to. Read from the row itself, so a decision about a
//! record is never made from its kind alone.

use super::list::Filter;
use super::sql::Arg;
use super::tickets::Scope;
use super::{Conn, on};
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
