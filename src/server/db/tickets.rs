//! Tickets, their comments, the SLA policies and the ticket number counter.

use super::sql::{Arg, Sql, bind_all};
use super::{Conn, on};
use crate::domain::portal::{PortalComment, PortalTicket};
use crate::domain::ticket::{
    SlaPolicy, Ticket, TicketComment, TicketPriority, TicketQuery, TicketStatus,
};
use chrono::{DateTime, Utc};
use uuid::Uuid;

const SELECT: &str = "select t.id, t.number, t.subject, t.description, t.account_id, t.contact_id,
        t.opportunity_id, t.priority, t.status, t.assignee_id, t.channel, t.first_response_due_at,
        t.resolution_due_at, t.first_response_at, t.resolved_at, t.closed_at,
        t.first_response_breached_at, t.resolution_breached_at, t.created_at, t.updated_at,
        t.version, a.name as account_name,
        trim(coalesce(c.first_name, '') || ' ' || coalesce(c.last_name, '')) as contact_name,
        u.name as assignee_name, a.owner_id as account_owner_id, t.triage
    from tickets t
    left join accounts a on a.id = t.account_id
    left join contacts c on c.id = t.contact_id
    left join users u on u.id = t.assignee_id";

pub async fn get(c: &mut Conn<'_>, id: Uuid) -> Result<Option<Ticket>, sqlx::Error> {
    let sql = format!("{SELECT} where t.id = $1");
    on!(c, c => sqlx::query_as(&sql).bind(id).fetch_optional(c).await)
}

/// The next ticket number, inside the caller's write transaction (so numbers never repeat
/// and, with the transaction rolled back, are not used up).
pub async fn next_number(c: &mut Conn<'_>) -> Result<i64, sqlx::Error> {
    let sql = "update counters set value = value + 1 where name = 'ticket' returning value";
    on!(c, c => sqlx::query_scalar(sql).fetch_one(c).await)
}

pub async fn insert(
    c: &mut Conn<'_>,
    t: &Ticket,
    by_user: Option<Uuid>,
    by_contact: Option<Uuid>,
) -> Result<(), sqlx::Error> {
    let sql = "insert into tickets (id, number, subject, description, account_id, contact_id, opportunity_id,
                   priority, status, assignee_id, channel, created_by_user_id, created_by_contact_id,
                   first_response_due_at, resolution_due_at, created_at, updated_at, version, triage)
               values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $16, 1, $17)";
    on!(c, c => sqlx::query(sql)
        .bind(t.id).bind(t.number).bind(&t.subject).bind(&t.description).bind(t.account_id)
        .bind(t.contact_id).bind(t.opportunity_id).bind(t.priority).bind(t.status).bind(t.assignee_id)
        .bind(t.channel).bind(by_user).bind(by_contact).bind(t.first_response_due_at)
        .bind(t.resolution_due_at).bind(t.created_at).bind(t.triage)
        .execute(c).await.map(|_| ()))
}

/// Writes every changeable field of `t` if the stored version is still `version`.
pub async fn update(c: &mut Conn<'_>, t: &Ticket, version: i64) -> Result<bool, sqlx::Error> {
    let sql = "update tickets set subject = $3, description = $4, opportunity_id = $5, priority = $6,
                   status = $7, assignee_id = $8, first_response_due_at = $9, resolution_due_at = $10,
                   first_response_at = $11, resolved_at = $12, closed_at = $13, updated_at = $14,
                   triage = $15, version = version + 1
               where id = $1 and version = $2";
    on!(c, c => sqlx::query(sql)
        .bind(t.id).bind(version).bind(&t.subject).bind(&t.description).bind(t.opportunity_id)
        .bind(t.priority).bind(t.status).bind(t.assignee_id).bind(t.first_response_due_at)
        .bind(t.resolution_due_at).bind(t.first_response_at).bind(t.resolved_at).bind(t.closed_at)
        .bind(t.updated_at).bind(t.triage && t.assignee_id.is_none())
        .execute(c).await.map(|r| r.rows_affected() == 1))
}

/// Records the first public reply by staff (only the first one counts).
pub async fn mark_first_response(
    c: &mut Conn<'_>,
    id: Uuid,
    at: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let sql = "update tickets set first_response_at = $2, updated_at = $2, version = version + 1,
                   status = case when status = 'new' then 'open' else status end
               where id = $1 and first_response_at is null";
    on!(c, c => sqlx::query(sql).bind(id).bind(at).execute(c).await.map(|r| r.rows_affected() == 1))
}

/// A customer's reply wakes a pending or resolved ticket up again.
pub async fn customer_replied(
    c: &mut Conn<'_>,
    id: Uuid,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let sql = "update tickets set updated_at = $2, version = version + 1, resolved_at = null,
                   status = case when status in ('pending', 'resolved') then 'open' else status end
               where id = $1";
    on!(c, c => sqlx::query(sql).bind(id).bind(at).execute(c).await.map(|_| ()))
}

/// Records every SLA target missed by `now` that is not recorded yet; the moment recorded is
/// the due time itself. Returns how many tickets got a new breach.
pub async fn record_breaches(c: &mut Conn<'_>, now: DateTime<Utc>) -> Result<u64, sqlx::Error> {
    let first = "update tickets set first_response_breached_at = first_response_due_at
                 where first_response_at is null and first_response_breached_at is null
                   and status in ('new', 'open', 'pending') and first_response_due_at < $1";
    let resolution = "update tickets set resolution_breached_at = resolution_due_at
                 where resolution_breached_at is null
                   and status in ('new', 'open', 'pending') and resolution_due_at < $1";
    on!(c, c => {
        let a = sqlx::query(first).bind(now).execute(&mut *c).await?.rows_affected();
        let b = sqlx::query(resolution).bind(now).execute(&mut *c).await?.rows_affected();
        Ok(a + b)
    })
}

/// Who may see what in a listing: everything, the tickets of accounts someone owns, or a
/// portal user's own slice.
#[derive(Clone, Copy, Debug)]
pub enum Scope {
    All,
    AccountsOwnedBy(Uuid),
    Account(Uuid),
    Contact(Uuid),
}

impl Scope {
    /// The condition, with `?` for its one value.
    fn clause(self) -> (&'static str, Arg) {
        match self {
            // Ticket ids are v7 uuids, never nil: a condition that is always true.
            Scope::All => ("t.id <> ?", Arg::Uuid(Uuid::nil())),
            Scope::AccountsOwnedBy(u) => ("a.owner_id = ?", Arg::Uuid(u)),
            Scope::Account(a) => ("t.account_id = ?", Arg::Uuid(a)),
            Scope::Contact(k) => ("t.contact_id = ?", Arg::Uuid(k)),
        }
    }
}

/// The support queue: tickets by the time their next target is due.
pub async fn queue(
    c: &mut Conn<'_>,
    q: &TicketQuery,
    scope: Scope,
    sight: Option<&[Uuid]>,
    me: Uuid,
    now: DateTime<Utc>,
) -> Result<(Vec<Ticket>, i64), sqlx::Error> {
    let backend = c.backend();
    let mut w = Sql::new(backend, " where ");
    let (scope_sql, scope_arg) = scope.clause();
    w.push_bound(scope_sql, vec![scope_arg]);
    let within = sight.map(|people| {
        super::records::reached(crate::domain::records::RecordKind::Ticket, "t", people)
    });
    if let Some(super::list::Filter(sql, args)) = within {
        w.push(" and ").push_bound(&sql, args);
    }
    match q.assigned.as_deref() {
        Some("mine") => {
            w.push_bound(" and t.assignee_id = ?", vec![Arg::Uuid(me)]);
        }
        Some("unassigned") => {
            w.push(" and t.assignee_id is null");
        }
        _ => {}
    }
    if let Some(id) = q.account_id {
        w.push_bound(" and t.account_id = ?", vec![Arg::Uuid(id)]);
    }
    if let Some(id) = q.contact_id {
        w.push_bound(" and t.contact_id = ?", vec![Arg::Uuid(id)]);
    }
    match q.status.as_deref().map(str::parse::<TicketStatus>) {
        None => {
            w.push(" and t.status in ('new', 'open', 'pending')");
        }
        Some(Ok(s)) => {
            w.push_bound(" and t.status = ?", vec![Arg::Text(s.as_str().into())]);
        }
        // `all`, or anything else that is not a status: no filter.
        Some(Err(_)) => {}
    }
    if let Some(p) = q.priority {
        w.push_bound(" and t.priority = ?", vec![Arg::Text(p.as_str().into())]);
    }
    if q.breached == Some(true) {
        w.push_bound(
            " and (t.first_response_breached_at is not null or t.resolution_breached_at is not null
               or (t.status in ('new', 'open', 'pending') and (t.resolution_due_at < ?
                   or (t.first_response_at is null and t.first_response_due_at < ?))))",
            vec![Arg::Time(now), Arg::Time(now)],
        );
    }
    if let Some(words) = q.q.as_deref() {
        let text = words.trim();
        let like = Arg::Text(format!("%{}%", text.to_lowercase().replace(['%', '_'], "")));
        // "1042" or "#1042" is a ticket number, and may also be words of a subject.
        match text.trim_start_matches('#').parse::<i64>() {
            Ok(number) => w.push_bound(
                " and (t.number = ? or lower(t.subject) like ?)",
                vec![Arg::Int(number), like],
            ),
            Err(_) => w.push_bound(" and lower(t.subject) like ?", vec![like]),
        };
    }
    let limit = q.limit.unwrap_or(50).clamp(1, 200);
    let offset = q.offset.unwrap_or(0);
    // The next target due: the first response while none was given, the resolution after.
    let due =
        "case when t.first_response_at is null and t.first_response_due_at < t.resolution_due_at
                    then t.first_response_due_at else t.resolution_due_at end";
    let list_sql = format!(
        "{SELECT}{} order by {due}, t.number limit {limit} offset {offset}",
        w.text
    );
    let count_sql = format!(
        "select count(*) from tickets t left join accounts a on a.id = t.account_id{}",
        w.text
    );
    let args = &w.args;
    on!(c, c => {
        let rows: Vec<Ticket> = bind_all!(sqlx::query_as(&list_sql), args).fetch_all(&mut *c).await?;
        let total: i64 = bind_all!(sqlx::query_scalar(&count_sql), args).fetch_one(&mut *c).await?;
        Ok((rows, total))
    })
}

pub async fn comments(
    c: &mut Conn<'_>,
    ticket_id: Uuid,
) -> Result<Vec<TicketComment>, sqlx::Error> {
    let sql = "select k.id, k.ticket_id, k.author_user_id, k.author_contact_id,
                      coalesce(u.name, trim(coalesce(c.first_name, '') || ' ' || coalesce(c.last_name, ''))) as author_name,
                      k.body, k.public, k.created_at
               from ticket_comments k left join users u on u.id = k.author_user_id
               left join contacts c on c.id = k.author_contact_id
               where k.ticket_id = $1 order by k.created_at, k.id";
    on!(c, c => sqlx::query_as(sql).bind(ticket_id).fetch_all(c).await)
}

pub async fn insert_comment(c: &mut Conn<'_>, k: &TicketComment) -> Result<(), sqlx::Error> {
    let sql = "insert into ticket_comments (id, ticket_id, author_user_id, author_contact_id, body, public, created_at)
               values ($1, $2, $3, $4, $5, $6, $7)";
    on!(c, c => sqlx::query(sql).bind(k.id).bind(k.ticket_id).bind(k.author_user_id).bind(k.author_contact_id)
        .bind(&k.body).bind(k.public).bind(k.created_at).execute(c).await.map(|_| ()))
}

pub async fn sla_policies(c: &mut Conn<'_>) -> Result<Vec<SlaPolicy>, sqlx::Error> {
    let sql = "select priority, first_response_hours, resolution_hours from sla_policies
               order by case priority when 'urgent' then 1 when 'high' then 2 when 'normal' then 3 else 4 end";
    on!(c, c => sqlx::query_as(sql).fetch_all(c).await)
}

pub async fn sla_policy(
    c: &mut Conn<'_>,
    p: TicketPriority,
) -> Result<Option<SlaPolicy>, sqlx::Error> {
    let sql = "select priority, first_response_hours, resolution_hours from sla_policies where priority = $1";
    on!(c, c => sqlx::query_as(sql).bind(p).fetch_optional(c).await)
}

pub async fn save_sla_policy(
    c: &mut Conn<'_>,
    p: &SlaPolicy,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let sql =
        "update sla_policies set first_response_hours = $2, resolution_hours = $3, updated_at = $4
               where priority = $1";
    on!(c, c => sqlx::query(sql).bind(p.priority).bind(p.first_response_hours).bind(p.resolution_hours)
        .bind(now).execute(c).await.map(|_| ()))
}

// The portal's reads: the scope is part of every query, so a ticket outside it is simply
// not found.

const PORTAL_SELECT: &str = "select t.id, t.number, t.subject, t.description, t.status, t.priority,
        trim(coalesce(c.first_name, '') || ' ' || coalesce(c.last_name, '')) as opened_by,
        t.created_at, t.updated_at, t.resolved_at
    from tickets t left join contacts c on c.id = t.contact_id";

pub async fn portal_list(c: &mut Conn<'_>, scope: Scope) -> Result<Vec<PortalTicket>, sqlx::Error> {
    let mut w = Sql::new(c.backend(), PORTAL_SELECT);
    let (clause, arg) = scope.clause();
    w.push(" where ").push_bound(clause, vec![arg]);
    w.push(" order by t.created_at desc, t.number desc limit 500");
    on!(c, c => bind_all!(sqlx::query_as(&w.text), &w.args).fetch_all(c).await)
}

pub async fn portal_get(
    c: &mut Conn<'_>,
    scope: Scope,
    id: Uuid,
) -> Result<Option<PortalTicket>, sqlx::Error> {
    let mut w = Sql::new(c.backend(), PORTAL_SELECT);
    let (clause, arg) = scope.clause();
    w.push(" where ")
        .push_bound("t.id = ? and ", vec![Arg::Uuid(id)])
        .push_bound(clause, vec![arg]);
    on!(c, c => bind_all!(sqlx::query_as(&w.text), &w.args).fetch_optional(c).await)
}

/// Public replies only: internal notes are filtered out by the query, never by the caller.
pub async fn portal_comments(
    c: &mut Conn<'_>,
    ticket_id: Uuid,
) -> Result<Vec<PortalComment>, sqlx::Error> {
    let sql = "select k.id, k.body, k.author_user_id is not null as from_support,
                      coalesce(u.name, trim(coalesce(c.first_name, '') || ' ' || coalesce(c.last_name, ''))) as author_name,
                      k.created_at
               from ticket_comments k left join users u on u.id = k.author_user_id
               left join contacts c on c.id = k.author_contact_id
               where k.ticket_id = $1 and k.public = $2 order by k.created_at, k.id";
    on!(c, c => sqlx::query_as(sql).bind(ticket_id).bind(true).fetch_all(c).await)
}

/// Which way a message of a ticket's thread went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    In,
    Out,
}

impl Direction {
    fn as_str(self) -> &'static str {
        match self {
            Direction::In => "in",
            Direction::Out => "out",
        }
    }
}

/// Records a message of a ticket's thread by its Message-ID (sent or received); a Message-ID
/// seen before is left as it was (a message read twice stays one message).
pub async fn insert_message(
    c: &mut Conn<'_>,
    message_id: &str,
    ticket_id: Uuid,
    comment_id: Option<Uuid>,
    direction: Direction,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let sql =
        "insert into ticket_messages (message_id, ticket_id, comment_id, direction, created_at)
               values ($1, $2, $3, $4, $5) on conflict (message_id) do nothing";
    on!(c, c => sqlx::query(sql).bind(message_id).bind(ticket_id).bind(comment_id)
        .bind(direction.as_str()).bind(now).execute(c).await.map(|r| r.rows_affected() == 1))
}

/// The newest message the customer sent on a ticket (what a reply answers), if any.
pub async fn last_received(
    c: &mut Conn<'_>,
    ticket_id: Uuid,
) -> Result<Option<String>, sqlx::Error> {
    let sql = "select message_id from ticket_messages where ticket_id = $1 and direction = 'in'
               order by created_at desc limit 1";
    on!(c, c => sqlx::query_scalar(sql).bind(ticket_id).fetch_optional(c).await)
}

/// The ticket a message of some thread belongs to, by its Message-ID.
pub async fn by_message(c: &mut Conn<'_>, message_id: &str) -> Result<Option<Uuid>, sqlx::Error> {
    let sql = "select ticket_id from ticket_messages where message_id = $1";
    on!(c, c => sqlx::query_scalar(sql).bind(message_id).fetch_optional(c).await)
}

/// A ticket's id by its number.
pub async fn id_by_number(c: &mut Conn<'_>, number: i64) -> Result<Option<Uuid>, sqlx::Error> {
    let sql = "select id from tickets where number = $1";
    on!(c, c => sqlx::query_scalar(sql).bind(number).fetch_optional(c).await)
}

/// Flags a ticket for triage (opened by mail from someone the CRM did not know).
pub async fn flag_triage(c: &mut Conn<'_>, id: Uuid) -> Result<(), sqlx::Error> {
    let sql = "update tickets set triage = $2 where id = $1";
    on!(c, c => sqlx::query(sql).bind(id).bind(true).execute(c).await.map(|_| ()))
}
