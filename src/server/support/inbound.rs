//! Tickets from mail. A message from a known contact opens a ticket on their account; from an
//! unknown sender it makes them a contact (role `lead`) first, with the ticket unassigned and
//! without an account for support to triage. A reply — matched by the Message-IDs it answers,
//! or by the `[#1234]` tag in its subject — becomes the customer's public comment on its
//! ticket and reopens it if it was pending or resolved. Every message is kept whole, once; a
//! message read again changes nothing.
//!
//! With `CRM_BCC_ADDRESS` set, a message from an active staff member is their own mail with
//! the CRM in BCC: it is logged as an `email` activity on every contact, lead and open
//! opportunity its recipients name, and opens no ticket. Attachments are stored as files with
//! their ticket up to `CRM_ATTACHMENT_MAX_BYTES`; larger ones are listed and stay in the
//! stored message. A message that cannot be read is refused with the reason, and kept.

use super::mailing::{self, TicketMail};
use super::tickets::{Opener, insert as insert_ticket};
use crate::domain::activity::{Activity, ActivityKind};
use crate::domain::contact::{Contact, ContactFields, ContactRole};
use crate::domain::error::{AppError, AppResult};
use crate::domain::records::RecordKind;
use crate::domain::ticket::{NewTicket, TicketChannel, TicketComment, TicketStatus};
use crate::server::db::{Conn, activities, audit, contacts, inbound, portal, tickets, users};
use crate::server::error::internal;
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
    /// A staff member's mail, logged to this many records' timelines.
    Logged { records: usize },
    /// It was kept and nothing else, for this reason.
    Ignored(String),
    /// It could not be read, for this reason (kept when not too large).
    Refused(String),
    /// It was received before; nothing changed.
    Again,
}

/// Takes one raw message. A message that cannot be read is refused with the reason (and
/// kept, when it is not too large); everything else is kept and acted on.
pub async fn receive(state: &AppState, raw: &[u8]) -> AppResult<Received> {
    let m = match mail::inbound::parse(raw) {
        Ok(m) => m,
        Err(why) => {
            let kept = if raw.len() <= mail::inbound::MAX_BYTES {
                raw
            } else {
                &[]
            };
            return refuse(state, &content_key(raw), kept, raw.len(), &why).await;
        }
    };
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let mail_id = Uuid::now_v7();
    // Kept first (once, by Message-ID), so what it causes can point at it; its outcome is
    // written when known, in the same transaction.
    let kept = inbound::insert(
        &mut tx.c(),
        &inbound::Received {
            id: mail_id,
            message_id: &m.message_id,
            from_address: &m.from_address,
            subject: &m.subject,
            outcome: "ignored",
            reason: None,
            ticket_id: None,
            raw,
        },
        now,
    )
    .await?;
    if !kept {
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
    let (outcome, comment_id) = match ignore {
        Some(why) => (Received::Ignored(why), None),
        None => match staff_sender(state, &mut tx.c(), &m).await? {
            Some(user) => (
                log_mail(state, &mut tx.c(), &m, &user, mail_id, now).await?,
                None,
            ),
            None => match thread_of(&mut tx.c(), &m).await? {
                Some(ticket_id) => reply(state, &mut tx.c(), &m, ticket_id, now).await?,
                None => (open(state, &mut tx.c(), &m, now).await?, None),
            },
        },
    };
    let (kind, reason, ticket_id) = match &outcome {
        Received::Opened { ticket_id, .. } => ("ticket", None, Some(*ticket_id)),
        Received::Replied { ticket_id, .. } => ("reply", None, Some(*ticket_id)),
        Received::Logged { .. } => ("logged", None, None),
        Received::Ignored(why) => ("ignored", Some(why.as_str()), None),
        Received::Refused(why) => ("refused", Some(why.as_str()), None),
        Received::Again => ("ignored", None, None),
    };
    inbound::set_outcome(&mut tx.c(), mail_id, kind, reason, ticket_id).await?;
    if let Some(ticket_id) = ticket_id {
        keep_attachments(state, &mut tx.c(), &m, mail_id, ticket_id, comment_id, now).await?;
    }
    tx.commit().await?;
    mail::wake(&state.mail_wake);
    Ok(outcome)
}

/// A key for a message that cannot be read (so the same bytes are refused once).
fn content_key(raw: &[u8]) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(raw);
    let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    format!("<{hex}@refused.invalid>")
}

/// Records a message refused unread or unreadable: `key` names it, `raw` is what is kept of
/// it (nothing when too large), `size` its real size.
pub async fn refuse(
    state: &AppState,
    key: &str,
    raw: &[u8],
    size: usize,
    why: &str,
) -> AppResult<Received> {
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let kept = inbound::insert_sized(
        &mut tx.c(),
        &inbound::Received {
            id: Uuid::now_v7(),
            message_id: key,
            from_address: "",
            subject: "",
            outcome: "refused",
            reason: Some(why),
            ticket_id: None,
            raw,
        },
        i64::try_from(size).unwrap_or(i64::MAX),
        now,
    )
    .await?;
    tx.commit().await?;
    if !kept {
        return Ok(Received::Again);
    }
    tracing::warn!(message = %key, reason = %why, "received mail refused");
    Ok(Received::Refused(why.to_string()))
}

/// The key a message the reader did not fetch (too large) is refused under.
pub fn unread_key(mailbox: &str, uid_validity: u32, uid: u32) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(mailbox.as_bytes());
    let hex: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
    format!("<{uid_validity}.{uid}.{hex}@unread.invalid>")
}

/// The staff member a message is from, when the CRM logs staff mail (`CRM_BCC_ADDRESS`).
async fn staff_sender(
    state: &AppState,
    c: &mut Conn<'_>,
    m: &Incoming,
) -> AppResult<Option<users::UserRow>> {
    if bcc_address(state).is_none() {
        return Ok(None);
    }
    Ok(users::by_email(c, &m.from_address)
        .await?
        .filter(|u| u.active))
}

/// The BCC address staff use to log their mail, lowercased, when set.
fn bcc_address(state: &AppState) -> Option<String> {
    state
        .config
        .bcc_address
        .as_deref()
        .map(|a| {
            let a = a.trim();
            a.rsplit_once('<')
                .map(|(_, r)| r.trim_end_matches('>').to_string())
                .unwrap_or_else(|| a.to_string())
                .to_lowercase()
        })
        .filter(|a| !a.is_empty())
}

/// Most records one logged mail is put on.
const MAX_LOGGED: usize = 50;

/// Logs a staff member's mail as an `email` activity on every record its recipients name.
async fn log_mail(
    state: &AppState,
    c: &mut Conn<'_>,
    m: &Incoming,
    user: &users::UserRow,
    mail_id: Uuid,
    now: DateTime<Utc>,
) -> AppResult<Received> {
    let bcc = bcc_address(state);
    let mut on: Vec<(RecordKind, Uuid)> = Vec::new();
    for address in &m.recipients {
        if Some(address) == bcc.as_ref() || *address == user.email {
            continue;
        }
        for record in inbound::named_by(c, address).await? {
            if !on.contains(&record) && on.len() < MAX_LOGGED {
                on.push(record);
            }
        }
    }
    if on.is_empty() {
        return Ok(Received::Ignored(
            "a staff member's mail that names no contact, lead or open opportunity".into(),
        ));
    }
    let subject = if m.subject.trim().is_empty() {
        "(no subject)".to_string()
    } else {
        m.subject.chars().take(200).collect()
    };
    let mut body = format!("To: {}\n\n{}", m.recipients.join(", "), m.text);
    if !m.attachments.is_empty() {
        let names: Vec<&str> = m.attachments.iter().map(|a| a.name.as_str()).collect();
        body.push_str(&format!("\n\nAttachments: {}", names.join(", ")));
    }
    let occurred_at = m.date.filter(|d| *d <= now).unwrap_or(now);
    for &(kind, id) in &on {
        let activity = Activity {
            id: Uuid::now_v7(),
            owner_id: user.id,
            owner_name: None,
            kind: ActivityKind::Email,
            subject: subject.clone(),
            body: Some(body.clone()),
            occurred_at,
            related_type: kind,
            related_id: id,
            created_at: now,
            updated_at: now,
            version: 1,
            mail_id: Some(mail_id),
        };
        activities::insert_activity(c, &activity).await?;
    }
    let entry = audit::NewEntry {
        action: "mail.logged".into(),
        actor_id: Some(user.id),
        actor_label: Some(format!("{} (mail)", m.from_address)),
        target_type: Some("mail".into()),
        target_id: Some(mail_id.to_string()),
        details: json!({ "message_id": m.message_id, "records": on.len() }),
        ..Default::default()
    };
    audit::insert(c, &entry, now).await?;
    Ok(Received::Logged { records: on.len() })
}

/// Stores a ticket's attachments from a message: files up to the configured size, a listing
/// for all.
async fn keep_attachments(
    state: &AppState,
    c: &mut Conn<'_>,
    m: &Incoming,
    mail_id: Uuid,
    ticket_id: Uuid,
    comment_id: Option<Uuid>,
    now: DateTime<Utc>,
) -> AppResult<()> {
    use sha2::Digest;
    if m.attachments.is_empty() {
        return Ok(());
    }
    let dir = attachment_dir(state);
    tokio::fs::create_dir_all(&dir)
        .await
        .map_err(|e| internal(format_args!("attachment folder {}: {e}", dir.display())))?;
    for a in &m.attachments {
        let id = Uuid::now_v7();
        let stored = a.data.len() as u64 <= state.config.attachment_max_bytes;
        if stored {
            let path = dir.join(id.simple().to_string());
            tokio::fs::write(&path, &a.data)
                .await
                .map_err(|e| internal(format_args!("attachment {}: {e}", path.display())))?;
        }
        let digest = sha2::Sha256::digest(&a.data);
        let row = inbound::AttachmentRow {
            id,
            mail_id,
            ticket_id: Some(ticket_id),
            comment_id,
            name: a.name.clone(),
            content_type: a.content_type.clone(),
            size: i64::try_from(a.data.len()).unwrap_or(i64::MAX),
            sha256: digest.iter().map(|b| format!("{b:02x}")).collect(),
            stored,
            created_at: now,
        };
        inbound::insert_attachment(c, &row).await?;
    }
    Ok(())
}

/// Where received attachments are kept: `attachments/` in the upload folder.
pub fn attachment_dir(state: &AppState) -> std::path::PathBuf {
    state.config.upload_dir.join("attachments")
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
/// are listed with the ticket, and in the stored message).
fn body_of(m: &Incoming) -> String {
    let mut body = if m.text.trim().is_empty() {
        "(no text)".to_string()
    } else {
        m.text.clone()
    };
    if !m.attachments.is_empty() {
        body.push_str("\n\nAttachments: ");
        let names: Vec<String> = m
            .attachments
            .iter()
            .map(|a| format!("{} ({} KB)", a.name, a.data.len().div_ceil(1024)))
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
) -> AppResult<(Received, Option<Uuid>)> {
    let t = tickets::get(c, ticket_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if t.status == TicketStatus::Closed {
        // A closed ticket is final: what the customer writes now is a new request.
        return Ok((Box::pin(open(state, c, m, now)).await?, None));
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
    Ok((
        Received::Replied {
            ticket_id,
            number: t.number,
        },
        Some(comment.id),
    ))
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
    if new_contact {
        tickets::flag_triage(c, t.id).await?;
    }
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
