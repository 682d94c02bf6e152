//! Tickets on the staff side: the queue, the lifecycle with its SLA clock, and comments.

use super::mailing::{self, TicketMail};
use crate::domain::error::{AppError, AppResult};
use crate::domain::records::RecordKind;
use crate::domain::ticket::{
    NewComment, NewTicket, SlaPolicy, Ticket, TicketChannel, TicketComment, TicketDetail,
    TicketList, TicketPatch, TicketPriority, TicketQuery, TicketStatus,
};
use crate::server::db::{self, Conn, contacts, tickets, users};
use crate::server::mail;
use crate::server::policy::{Action, Target, authorize, sight, ticket_scope};
use crate::server::principal::{ClientInfo, Principal};
use crate::server::sales::{Actor, changes, require_exists, stale};
use crate::server::state::AppState;
use chrono::{DateTime, Utc};
use serde_json::json;
use uuid::Uuid;

pub async fn list(
    state: &AppState,
    principal: &Principal,
    q: &TicketQuery,
) -> AppResult<TicketList> {
    let staff = authorize(principal, Action::Read, Target::kind(RecordKind::Ticket))?;
    q.check()?;
    let now = state.now();
    let mut h = state.db.handle().await?;
    let (items, total) = tickets::queue(
        &mut h.c(),
        q,
        ticket_scope(staff),
        sight(staff),
        staff.user.id,
        now,
    )
    .await?;
    Ok(TicketList { items, total, now })
}

/// A ticket this staff member may read, or 404 (also for one outside their scope).
pub(super) async fn readable(
    c: &mut Conn<'_>,
    principal: &Principal,
    id: Uuid,
) -> AppResult<Ticket> {
    authorize(principal, Action::Read, Target::kind(RecordKind::Ticket))?;
    let t = tickets::get(c, id).await?.ok_or(AppError::NotFound)?;
    authorize(principal, Action::Read, Target::ticket(&t))?;
    Ok(t)
}

pub async fn get(state: &AppState, principal: &Principal, id: Uuid) -> AppResult<Ticket> {
    let mut h = state.db.handle().await?;
    readable(&mut h.c(), principal, id).await
}

/// Every comment of a ticket the asker may read, internal notes included (staff only).
pub async fn comments(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
) -> AppResult<Vec<TicketComment>> {
    let mut h = state.db.handle().await?;
    readable(&mut h.c(), principal, id).await?;
    Ok(tickets::comments(&mut h.c(), id).await?)
}

pub async fn detail(state: &AppState, principal: &Principal, id: Uuid) -> AppResult<TicketDetail> {
    let (ticket, comments) = {
        let mut h = state.db.handle().await?;
        let ticket = readable(&mut h.c(), principal, id).await?;
        let comments = tickets::comments(&mut h.c(), id).await?;
        (ticket, comments)
    };
    // The customer's story beside the ticket, as far as the asker may read it (the sales
    // services authorize each part themselves).
    let (mut opportunities, mut recent) = (Vec::new(), Vec::new());
    if let Some(account) = ticket.account_id {
        let open = crate::domain::records::ListQuery {
            account_id: Some(account),
            status: Some("open".into()),
            limit: Some(5),
            ..Default::default()
        };
        opportunities = unless_hidden(
            crate::server::sales::record::list::<crate::domain::opportunity::Opportunity>(
                state, principal, &open,
            )
            .await
            .map(|page| page.items),
        )?;
        recent = unless_hidden(
            crate::server::sales::activities::timeline(
                state,
                principal,
                RecordKind::Account,
                account,
            )
            .await,
        )?;
        recent.truncate(6);
    }
    let attachments = super::received::attachments(state, principal, id).await?;
    Ok(TicketDetail {
        ticket,
        comments,
        opportunities,
        recent,
        attachments,
        now: state.now(),
    })
}

/// A part of a page the asker may not read is left out; any other failure (the database's)
/// is the page's, not an empty part.
fn unless_hidden<T: Default>(part: AppResult<T>) -> AppResult<T> {
    match part {
        Err(AppError::Forbidden { .. } | AppError::NotFound) => Ok(T::default()),
        other => other,
    }
}

async fn policy_for(c: &mut Conn<'_>, p: TicketPriority) -> AppResult<SlaPolicy> {
    tickets::sla_policy(c, p)
        .await?
        .ok_or_else(|| crate::server::error::internal(format!("no SLA policy for {p}")))
}

/// Support staff or above: who may be assigned a ticket.
async fn require_assignable(c: &mut Conn<'_>, user_id: Uuid) -> AppResult<()> {
    match users::by_id(c, user_id).await? {
        Some(u) if u.active && crate::server::policy::takes_tickets(u.role) => Ok(()),
        _ => Err(AppError::invalid(
            "assignee_id",
            "Choose an active support person, manager or admin.",
        )),
    }
}

/// Who opened a ticket.
#[derive(Clone, Copy, Debug)]
pub enum Opener {
    Staff(Uuid),
    Contact(Uuid),
}

/// Inserts a ticket with its number and SLA due times (inside the caller's transaction).
pub async fn insert(
    c: &mut Conn<'_>,
    mut input: NewTicket,
    channel: TicketChannel,
    opener: Opener,
    now: DateTime<Utc>,
) -> AppResult<Ticket> {
    input.normalize();
    input.validate()?;
    // The contact decides the account when only the contact is given; both must agree.
    if let Some(contact_id) = input.contact_id {
        let contact = contacts::get(c, contact_id)
            .await?
            .ok_or_else(|| AppError::invalid("contact_id", "No such contact."))?;
        match (input.account_id, contact.fields.account_id) {
            (None, found) => input.account_id = found,
            (Some(a), Some(b)) if a != b => {
                return Err(AppError::invalid(
                    "contact_id",
                    "This contact works at another account.",
                ));
            }
            _ => {}
        }
    }
    require_exists(c, RecordKind::Account, input.account_id, "account_id").await?;
    require_exists(
        c,
        RecordKind::Opportunity,
        input.opportunity_id,
        "opportunity_id",
    )
    .await?;
    if let Some(a) = input.assignee_id {
        require_assignable(c, a).await?;
    }
    let sla = policy_for(c, input.priority).await?;
    let (first_due, resolution_due) = sla.due_from(now);
    let number = tickets::next_number(c).await?;
    let id = Uuid::now_v7();
    let t = Ticket {
        id,
        number,
        subject: input.subject,
        description: input.description,
        account_id: input.account_id,
        contact_id: input.contact_id,
        opportunity_id: input.opportunity_id,
        priority: input.priority,
        status: TicketStatus::New,
        assignee_id: input.assignee_id,
        channel,
        first_response_due_at: first_due,
        resolution_due_at: resolution_due,
        first_response_at: None,
        resolved_at: None,
        closed_at: None,
        first_response_breached_at: None,
        resolution_breached_at: None,
        created_at: now,
        updated_at: now,
        version: 1,
        account_name: None,
        contact_name: None,
        assignee_name: None,
        account_owner_id: None,
        triage: false,
    };
    let (by_user, by_contact) = match opener {
        Opener::Staff(u) => (Some(u), None),
        Opener::Contact(k) => (None, Some(k)),
    };
    tickets::insert(c, &t, by_user, by_contact).await?;
    tickets::get(c, id).await?.ok_or(AppError::NotFound)
}

pub async fn create(
    state: &AppState,
    principal: &Principal,
    client: &ClientInfo,
    input: NewTicket,
) -> AppResult<Ticket> {
    let staff = authorize(principal, Action::Create, Target::kind(RecordKind::Ticket))?;
    let w = Actor { staff, client };
    let channel = match input.channel {
        None | Some(TicketChannel::Portal) => TicketChannel::Phone,
        Some(c) => c,
    };
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let t = insert(
        &mut tx.c(),
        input,
        channel,
        Opener::Staff(staff.user.id),
        now,
    )
    .await?;
    w.audit(
        &mut tx.c(),
        "ticket.created",
        RecordKind::Ticket,
        t.id,
        json!({ "number": t.number, "subject": t.subject, "priority": t.priority, "channel": t.channel,
                "account_id": t.account_id, "contact_id": t.contact_id }),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(t)
}

/// Applies a status change with the times that go with it, or refuses it.
pub fn move_status(t: &mut Ticket, to: TicketStatus, now: DateTime<Utc>) -> AppResult<()> {
    if t.status == to {
        return Ok(());
    }
    if !t.status.can_move_to(to) {
        return Err(t.status.refuse(to));
    }
    match to {
        TicketStatus::Resolved => t.resolved_at = Some(now),
        TicketStatus::Closed => {
            t.closed_at = Some(now);
            t.resolved_at = t.resolved_at.or(Some(now));
        }
        TicketStatus::Open | TicketStatus::Pending => t.resolved_at = None,
        TicketStatus::New => {}
    }
    t.status = to;
    Ok(())
}

pub async fn update(
    state: &AppState,
    principal: &Principal,
    client: &ClientInfo,
    id: Uuid,
    patch: TicketPatch,
) -> AppResult<Ticket> {
    authorize(principal, Action::Update, Target::kind(RecordKind::Ticket))?;
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let current = readable(&mut tx.c(), principal, id).await?;
    let staff = authorize(principal, Action::Update, Target::ticket(&current))?;
    let w = Actor { staff, client };
    if patch.version != current.version {
        return Err(stale(&current));
    }
    let mut next = current.clone();
    patch.apply(&mut next);
    TicketPatch::validate_result(&next)?;
    if let Some(to) = patch.status {
        move_status(&mut next, to, now)?;
    }
    if next.assignee_id != current.assignee_id {
        if let Some(a) = next.assignee_id {
            require_assignable(&mut tx.c(), a).await?;
        }
    }
    if next.opportunity_id != current.opportunity_id {
        require_exists(
            &mut tx.c(),
            RecordKind::Opportunity,
            next.opportunity_id,
            "opportunity_id",
        )
        .await?;
    }
    if next.priority != current.priority {
        // New targets from when the ticket opened; a breach already recorded stays recorded.
        let sla = policy_for(&mut tx.c(), next.priority).await?;
        let (first_due, resolution_due) = sla.due_from(current.created_at);
        next.first_response_due_at = first_due;
        next.resolution_due_at = resolution_due;
    }
    next.updated_at = now;
    let diff = changes(&current, &next);
    if diff.is_empty() {
        return Ok(current);
    }
    if !tickets::update(&mut tx.c(), &next, current.version).await? {
        let now_stored = tickets::get(&mut tx.c(), id)
            .await?
            .ok_or(AppError::NotFound)?;
        return Err(stale(&now_stored));
    }
    let action = if diff.contains_key("status") {
        "ticket.status_changed"
    } else if diff.contains_key("assignee_id") {
        "ticket.assigned"
    } else {
        "ticket.updated"
    };
    w.audit(
        &mut tx.c(),
        action,
        RecordKind::Ticket,
        id,
        json!({ "changes": diff }),
        now,
    )
    .await?;
    let saved = tickets::get(&mut tx.c(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    tx.commit().await?;
    Ok(saved)
}

/// A staff reply (public) or internal note. The first public reply sets the first response.
pub async fn comment(
    state: &AppState,
    principal: &Principal,
    client: &ClientInfo,
    id: Uuid,
    input: NewComment,
) -> AppResult<TicketComment> {
    authorize(principal, Action::Update, Target::kind(RecordKind::Ticket))?;
    input.validate()?;
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let t = readable(&mut tx.c(), principal, id).await?;
    let staff = authorize(principal, Action::Update, Target::ticket(&t))?;
    let w = Actor { staff, client };
    if t.status == TicketStatus::Closed {
        return Err(AppError::invalid("body", "This ticket is closed."));
    }
    let comment = TicketComment {
        id: Uuid::now_v7(),
        ticket_id: id,
        author_user_id: Some(staff.user.id),
        author_contact_id: None,
        author_name: Some(staff.user.name.clone()),
        body: input.body.trim().to_string(),
        public: input.public,
        created_at: now,
    };
    tickets::insert_comment(&mut tx.c(), &comment).await?;
    let first = input.public && tickets::mark_first_response(&mut tx.c(), id, now).await?;
    // Only a public reply reaches the customer; an internal note never leaves the CRM.
    let mailed = if input.public {
        let reply = TicketMail::Reply {
            body: &comment.body,
            author: &staff.user.name,
        };
        mailing::to_customer(state, &mut tx.c(), &t, reply, Some(comment.id), now).await?
    } else {
        None
    };
    w.audit(
        &mut tx.c(),
        if input.public {
            "ticket.replied"
        } else {
            "ticket.noted"
        },
        RecordKind::Ticket,
        id,
        json!({ "comment_id": comment.id, "public": input.public, "first_response": first,
                "mailed": mailed.map(|m| m.id) }),
        now,
    )
    .await?;
    tx.commit().await?;
    mail::wake(&state.mail_wake);
    Ok(comment)
}

pub async fn sla_policies(state: &AppState, principal: &Principal) -> AppResult<Vec<SlaPolicy>> {
    authorize(principal, Action::Read, Target::kind(RecordKind::Ticket))?;
    let mut h = state.db.handle().await?;
    Ok(tickets::sla_policies(&mut h.c()).await?)
}

/// Saves the SLA targets. Open tickets keep the due times they were given; new tickets and
/// priority changes use the new targets.
pub async fn save_sla_policies(
    state: &AppState,
    principal: &Principal,
    client: &ClientInfo,
    policies: Vec<SlaPolicy>,
) -> AppResult<Vec<SlaPolicy>> {
    let staff = authorize(
        principal,
        Action::Administer,
        Target::kind(RecordKind::Ticket),
    )?;
    let w = Actor { staff, client };
    for p in &policies {
        p.validate().map_err(|e| match e {
            AppError::Validation { fields, .. } => AppError::Validation {
                message: format!("Check the {} targets.", p.priority.label().to_lowercase()),
                fields: fields
                    .into_iter()
                    .map(|(k, v)| (format!("{}.{k}", p.priority.as_str()), v))
                    .collect(),
            },
            other => other,
        })?;
    }
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let before = tickets::sla_policies(&mut tx.c()).await?;
    for p in &policies {
        tickets::save_sla_policy(&mut tx.c(), p, now).await?;
    }
    let after = tickets::sla_policies(&mut tx.c()).await?;
    let entry = w.entry(
        "sla.updated",
        RecordKind::Ticket,
        Uuid::nil(),
        json!({ "before": before, "after": after }),
    );
    db::audit::insert(
        &mut tx.c(),
        &db::audit::NewEntry {
            target_type: Some("sla_policy".into()),
            target_id: None,
            ..entry
        },
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

/// Records the SLA targets missed by now. Run every minute by the server (and by tests
/// with their clock); a breach, once recorded, is never taken back.
pub async fn record_breaches(state: &AppState) -> AppResult<u64> {
    let mut tx = state.db.begin().await?;
    let n = tickets::record_breaches(&mut tx.c(), state.now()).await?;
    tx.commit().await?;
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hidden_part_of_a_page_is_left_out_and_a_failing_one_fails_the_page() {
        let hidden: AppResult<Vec<u8>> = Err(AppError::forbidden("no"));
        assert_eq!(unless_hidden(hidden), Ok(vec![]));
        assert_eq!(
            unless_hidden::<Vec<u8>>(Err(AppError::NotFound)),
            Ok(vec![])
        );
        let broken: AppResult<Vec<u8>> = Err(AppError::Internal {
            request_id: "r1".into(),
        });
        assert!(unless_hidden(broken).is_err());
        assert_eq!(unless_hidden(Ok(vec![1u8])), Ok(vec![1]));
    }
}
