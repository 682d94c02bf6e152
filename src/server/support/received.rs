//! What came in by mail, for those allowed to read it: a ticket's attachments (the files, as
//! downloads) and a stored message whole. A ticket's files are for whoever may read the
//! ticket; a stored message for admins, for readers of its ticket, and for readers of any
//! record it was logged on. Everyone else is told it is not there.

use super::tickets::readable;
use crate::domain::error::{AppError, AppResult};
use crate::domain::ticket::MailAttachment;
use crate::server::db::inbound::{self, AttachmentRow};
use crate::server::policy::{Action, authorize_record, manage_mail};
use crate::server::principal::Principal;
use crate::server::state::AppState;
use uuid::Uuid;

fn shown(a: AttachmentRow) -> MailAttachment {
    MailAttachment {
        id: a.id,
        ticket_id: a.ticket_id,
        comment_id: a.comment_id,
        mail_id: a.mail_id,
        name: a.name,
        content_type: a.content_type,
        size: a.size,
        stored: a.stored,
        created_at: a.created_at,
    }
}

/// The files of a ticket the asker may read, oldest first.
pub async fn attachments(
    state: &AppState,
    principal: &Principal,
    ticket_id: Uuid,
) -> AppResult<Vec<MailAttachment>> {
    let mut h = state.db.handle().await?;
    readable(&mut h.c(), principal, ticket_id).await?;
    let rows = inbound::attachments_of(&mut h.c(), ticket_id).await?;
    Ok(rows.into_iter().map(shown).collect())
}

/// One file of a ticket, with its bytes.
pub async fn attachment(
    state: &AppState,
    principal: &Principal,
    ticket_id: Uuid,
    id: Uuid,
) -> AppResult<(MailAttachment, Vec<u8>)> {
    let row = {
        let mut h = state.db.handle().await?;
        readable(&mut h.c(), principal, ticket_id).await?;
        inbound::attachment(&mut h.c(), id)
            .await?
            .filter(|a| a.ticket_id == Some(ticket_id))
            .ok_or(AppError::NotFound)?
    };
    if !row.stored {
        return Err(AppError::conflict(
            "This file was larger than the CRM keeps; it is only in the stored message.",
        ));
    }
    let path = super::inbound::attachment_dir(state).join(row.id.simple().to_string());
    let bytes = tokio::fs::read(&path).await.map_err(|e| {
        crate::server::error::internal(format_args!("attachment {}: {e}", path.display()))
    })?;
    Ok((shown(row), bytes))
}

/// A received message, whole, for those allowed to read it.
pub async fn message(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
) -> AppResult<inbound::Stored> {
    let staff = principal.require_staff()?;
    let mut h = state.db.handle().await?;
    let stored = inbound::get(&mut h.c(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    if manage_mail(staff).is_ok() {
        return Ok(stored);
    }
    if let Some(ticket) = stored.ticket_id
        && readable(&mut h.c(), principal, ticket).await.is_ok()
    {
        return Ok(stored);
    }
    for (kind, record) in inbound::logged_on(&mut h.c(), id).await? {
        match authorize_record(&mut h.c(), principal, Action::Read, kind, record).await {
            Ok(_) => return Ok(stored),
            Err(AppError::Forbidden { .. } | AppError::NotFound) => {}
            Err(e) => return Err(e),
        }
    }
    Err(AppError::NotFound)
}
