//! Ticket mail to the customer: the confirmation when they open a ticket, and every public
//! reply of support. Each is written in the transaction of the change, hangs from the
//! ticket's thread (`References`, `In-Reply-To`) and carries `[#1234]` in its subject, so the
//! customer's answer finds its ticket again. Internal notes are never mailed.

use crate::domain::ticket::Ticket;
use crate::server::db::{Conn, portal, tickets};
use crate::server::mail::{self, Outgoing, Queued, letters};
use crate::server::state::AppState;
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// What a ticket mail is.
pub enum TicketMail<'a> {
    /// The customer opened the ticket.
    Received,
    /// Support answered in public.
    Reply { body: &'a str, author: &'a str },
}

/// Mails the ticket's contact, when it has one who can be mailed (active, with an address),
/// inside the caller's transaction; records the mail in the ticket's thread.
pub async fn to_customer(
    state: &AppState,
    c: &mut Conn<'_>,
    t: &Ticket,
    what: TicketMail<'_>,
    comment_id: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<Option<Queued>, sqlx::Error> {
    let Some(contact_id) = t.contact_id else {
        return Ok(None);
    };
    if !state.sends_mail() {
        return Ok(None);
    }
    let Some(k) = portal::by_id(c, contact_id).await? else {
        return Ok(None);
    };
    let Some(to) = k.email.clone().filter(|_| k.active) else {
        return Ok(None);
    };
    let business = &state.config.business_name;
    let follow = (k.refusal().is_none() && k.portal_password_hash.is_some())
        .then(|| format!("{}/portal/tickets/{}", state.config.public_url(), t.id));
    let name = k.name();
    let mut letter = match what {
        TicketMail::Received => {
            letters::ticket_received(business, t, &to, &name, follow.as_deref())
        }
        TicketMail::Reply { body, author } => {
            letters::ticket_reply(business, t, &to, &name, body, author, follow.as_deref())
        }
    };
    thread(state, c, t, &mut letter).await?;
    let queued = mail::queue(state.mailer.as_ref(), c, &letter, now).await?;
    if let Some(q) = &queued {
        tickets::insert_message(
            c,
            &q.message_id,
            t.id,
            comment_id,
            tickets::Direction::Out,
            now,
        )
        .await?;
    }
    Ok(queued)
}

/// Hangs a mail from its ticket's thread: it answers the customer's latest message (or the
/// thread's root), names the root in `References`, and asks for replies at the support
/// mailbox.
async fn thread(
    state: &AppState,
    c: &mut Conn<'_>,
    t: &Ticket,
    letter: &mut Outgoing,
) -> Result<(), sqlx::Error> {
    let root = letters::ticket_root(t, &state.mail_domain());
    let last = tickets::last_received(c, t.id).await?;
    letter.references = Some(match &last {
        Some(m) if *m != root => format!("{root} {m}"),
        _ => root.clone(),
    });
    letter.in_reply_to = Some(last.unwrap_or(root));
    letter.reply_to = state.mailer.as_ref().and_then(|m| m.reply_to.clone());
    Ok(())
}
