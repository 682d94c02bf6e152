//! Tickets from mail. A message from a known contact opens a ticket on their account; from an
//! unknown sender it makes them a contact (role `lead`) first, with the ticket unassigned and
//! without an account for support to triage. A reply — matched by the Message-IDs it answers,
//! or by the `[#1234]` tag in its subject — becomes the customer's public comment on its
//! ticket and reopens it if it was pending or resolved. Every message is kept whole, once; a
//! message read again changes nothing.

use super::mailing::{self, TicketMail};
use super::tickets::{Opener, insert as insert_ticket};
use crate::domain::contact::{Contact, ContactFields, ContactRole};
use crate::domain::error::{AppError, AppResult};
use crate::domain::ticket::{NewTicket, TicketChannel, TicketComment, TicketStatus};
use crate::server::db::{Conn, audit, contacts, inbound, portal, tickets, users};
use crate::server::mail::{self, inbound::Incoming};
use crate::server::state::AppState;
use chrono::{DateTime, Duration, Utc};
use serde_json::json;
use uuid::Uuid;

/// Messages one sender may have acted on per hour; more are kept and ignored (a mail storm,
/// or two auto-responders answering each other, stops here).
pub const PER_SENDER_PER_HOUR: i64 = 30;

/// What became of a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Received {
    /// It opened this ticket.
    Opened { ticket_id: Uuid, number: i64 },
    /// It was added to this ticket.
    Replied { ticket_id: Uuid, number: i64 },
    /// It was kept and nothing else, for this reason.
    Ignored(String),
    /// It was received before; nothing changed.
    Again,
}

/// Takes one raw message. A message that cannot be read is refused with the reason (an
/// `AppError` the reader logs and moves past); everything else is kept.
pub async fn receive(state: &AppState, raw: &[u8]) -> AppResult<Received> {
    let m = mail::inbound::parse(raw).map_err(|why| AppError::invalid("message", why))?;
    let now = state.now();
    let mut tx = state.db.begin().await?;
    if inbound::seen(&mut tx.c(), &m.message_id).await? {
        return Ok(Received::Again);
    }
    let ignore = match m.noise {
        Some(why) => Some(why.to_string()),
        None if ours(state, &m) => Some("mail from the CRM itself".into()),
        None => {
            let since = now - Duration::hours(1);
            let recent = inbound::acted_on_since(&mut tx.c(), &m.from_address, since).await?;
            (recent >= PER_SENDER_PER_HOUR).then(|| {
                format!("more than {PER_SENDER_PER_HOUR} messages from this sender in an hour")
            })
        }
    };
    let outcome = match ignore {
        Some(why) => Received::Ignored(why),
        None => match thread_of(&mut tx.c(), &m).await? {
            Some(ticket_id) => reply(state, &mut tx.c(), &m, ticket_id, now).await?,
            None => open(state, &mut tx.c(), &m, now).await?,
        },
    };
    let (kind, reason, ticket_id) = match &outcome {
        Received::Opened { ticket_id, .. } => ("ticket", None, Some(*ticket_id)),
        Received::Replied { ticket_id, .. } => ("reply", None, Some(*ticket_id)),
        Received::Ignored(why) => ("ignored", Some(why.as_str()), None),
        Received::Again => ("ignored", None, None),
    };
    let kept = inbound::insert(
        &mut tx.c(),
        &inbound::Received {
            message_id: &m.message_id,
            from_address: &m.from_address,
            subject: &m.subject,
            outcome: kind,
            reason,
            ticket_id,
            raw,
        },
        now,
    )
    .await?;
    if !kept {
        // Another reader took the same message in the meantime: its outcome stands.
        return Ok(Received::Again);
    }
    tx.commit().await?;
    mail::wake(&state.mail_wake);
    Ok(outcome)
}

/// Whether the message comes from the CRM's own address (a loop through a forwarding rule).
fn ours(state: &AppState, m: &Incoming) -> bool {
    let own = |v: &Option<String>| {
        v.as_deref().is_some_and(|a| {
            a.to_lowercase().contains(&format!("<{}>", m.from_address))
                || a.eq_ignore_ascii_case(&m.from_address)
        })
    };
    own(&state.config.mail_from) || own(&state.config.mail_reply_to)
}

/// The ticket a message answers: by a Message-ID of its thread, else by the subject's tag
/// when the sender is the ticket's contact (a tag alone must not let a stranger write on
/// someone else's ticket).
async fn thread_of(c: &mut Conn<'_>, m: &Incoming) -> AppResult<Option<Uuid>> {
    for id in &m.answers {
        if let Some(t) = tickets::by_message(c, id).await? {
            return Ok(Some(t));
        }
        if let Some(t) = root_ticket(c, id).await? {
            return Ok(Some(t));
        }
    }
    let Some(number) = m.ticket_number else {
        return Ok(None);
    };
    let Some(id) = tickets::id_by_number(c, number).await? else {
        return Ok(None);
    };
    let t = tickets::get(c, id).await?.ok_or(AppError::NotFound)?;
    let contact = match t.contact_id {
        Some(k) => portal::by_id(c, k).await?,
        None => None,
    };
    Ok(contact
        .and_then(|k| k.email)
        .filter(|e| e.eq_ignore_ascii_case(&m.from_address))
        .map(|_| id))
}

/// The ticket whose thread root (`<ticket-…@…>`, see `letters::ticket_root`) this is.
async fn root_ticket(c: &mut Conn<'_>, id: &str) -> AppResult<Option<Uuid>> {
    let Some(hex) = id
        .strip_prefix("<ticket-")
        .and_then(|r| r.split('@').next())
    else {
        return Ok(None);
    };
    let Ok(ticket_id) = Uuid::try_parse(hex) else {
        return Ok(None);
    };
    Ok(tickets::get(c, ticket_id).await?.map(|t| t.id))
}

/// The body a comment or description gets: the new text, and the attachments by name (they
/// are in the stored message).
fn body_of(m: &Incoming) -> String {
    let mut body = if m.text.trim().is_empty() {
        "(no text)".to_string()
    } else {
        m.text.clone()
    };
    if !m.attachments.is_empty() {
        body.push_str("\n\nAttachments (kept with the received mail): ");
        let names: Vec<String> = m
            .attachments
            .iter()
            .map(|(name, size)| format!("{name} ({} KB)", size.div_ceil(1024)))
            .collect();
        body.push_str(&names.join(", "));
    }
    body
}

async fn reply(
    state: &AppState,
    c: &mut Conn<'_>,
    m: &Incoming,
    ticket_id: Uuid,
    now: DateTime<Utc>,
) -> AppResult<Received> {
    let t = tickets::get(c, ticket_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if t.status == TicketStatus::Closed {
        // A closed ticket is final: what the customer writes now is a new request.
        return Box::pin(open(state, c, m, now)).await;
    }
    // Written by the contact who sent it; someone the CRM does not know (a colleague copied
    // in) is named in the text rather than passed off as the ticket's contact.
    let author = portal::by_email(c, &m.from_address).await?.map(|k| k.id);
    let body = match author {
        Some(_) => body_of(m),
        None => format!("(from {})\n\n{}", m.from_address, body_of(m)),
    };
    let comment = TicketComment {
        id: Uuid::now_v7(),
        ticket_id,
        author_user_id: None,
        author_contact_id: author,
        author_name: None,
        body,
        public: true,
        created_at: now,
    };
    tickets::insert_comment(c, &comment).await?;
    tickets::customer_replied(c, ticket_id, now).await?;
    tickets::insert_message(
        c,
        &m.message_id,
        ticket_id,
        Some(comment.id),
        tickets::Direction::In,
        now,
    )
    .await?;
    let details =
        json!({ "comment_id": comment.id, "message_id": m.message_id, "channel": "email" });
    by_mail(
        c,
        m,
        "ticket.customer_replied",
        "ticket",
        ticket_id,
        details,
        now,
    )
    .await?;
    Ok(Received::Replied {
        ticket_id,
        number: t.number,
    })
}

async fn open(
    state: &AppState,
    c: &mut Conn<'_>,
    m: &Incoming,
    now: DateTime<Utc>,
) -> AppResult<Received> {
    let known = portal::by_email(c, &m.from_address)
        .await?
        .filter(|k| k.active);
    let (contact_id, account_id, new_contact) = match known {
        Some(k) => (k.id, k.account_id, false),
        None => (new_contact(c, m, now).await?, None, true),
    };
    let subject = if m.subject.trim().is_empty() {
        "(no subject)".to_string()
    } else {
        m.subject.chars().take(200).collect()
    };
    let t = insert_ticket(
        c,
        NewTicket {
            subject,
            description: body_of(m),
            account_id,
            contact_id: Some(contact_id),
            ..Default::default()
        },
        TicketChannel::Email,
        Opener::Contact(contact_id),
        now,
    )
    .await?;
    tickets::insert_message(c, &m.message_id, t.id, None, tickets::Direction::In, now).await?;
    let details = json!({ "number": t.number, "subject": t.subject, "channel": "email",
                          "message_id": m.message_id, "new_contact": new_contact });
    by_mail(c, m, "ticket.created", "ticket", t.id, details, now).await?;
    mailing::to_customer(state, c, &t, TicketMail::Received, None, now).await?;
    Ok(Received::Opened {
        ticket_id: t.id,
        number: t.number,
    })
}

/// An unknown sender becomes a contact in the role `lead`, owned by the first super admin,
/// for support to triage.
async fn new_contact(c: &mut Conn<'_>, m: &Incoming, now: DateTime<Utc>) -> AppResult<Uuid> {
    let owner = users::first_super_admin(c)
        .await?
        .ok_or_else(|| AppError::conflict("The CRM has no super admin yet to own new contacts."))?;
    let (first, last) = match m.from_name.as_deref().map(str::trim) {
        Some(name) if !name.is_empty() => match name.rsplit_once(' ') {
            Some((f, l)) => (Some(f.to_string()), Some(l.to_string())),
            None => (Some(name.to_string()), None),
        },
        _ => (None, Some(m.from_address.clone())),
    };
    let mut fields = ContactFields {
        first_name: first,
        last_name: last,
        email: Some(m.from_address.clone()),
        role: ContactRole::Lead,
        ..Default::default()
    };
    fields.normalize();
    let id = Uuid::now_v7();
    contacts::insert(c, &Contact::fresh(id, owner.id, fields, now)).await?;
    let details = json!({ "email": m.from_address, "source": "email" });
    by_mail(c, m, "contact.created", "contact", id, details, now).await?;
    Ok(id)
}

/// Audits something a received message did, with its sender as the actor.
async fn by_mail(
    c: &mut Conn<'_>,
    m: &Incoming,
    action: &str,
    target_type: &str,
    target_id: Uuid,
    details: serde_json::Value,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let entry = audit::NewEntry {
        action: action.into(),
        actor_label: Some(format!("{} (mail)", m.from_address)),
        target_type: Some(target_type.into()),
        target_id: Some(target_id.to_string()),
        details,
        ..Default::default()
    };
    audit::insert(c, &entry, now).await?;
    Ok(())
}
