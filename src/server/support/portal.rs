//! The customer portal as support sees it and as its tickets work: staff turning a contact's
//! access on and off, and a contact's own slice of tickets. Every read is scoped by the
//! contact and account of the session, in the query. The portal user's own account (invite,
//! sign-in, profile, password) is in `auth::portal`.

use super::mailing::{self, TicketMail};
use super::tickets::{Opener, insert as insert_ticket, move_status};
use crate::domain::error::{AppError, AppResult};
use crate::domain::portal::{
    NewPortalTicket, PortalAccess, PortalComment, PortalInvite, PortalReply, PortalTicket,
    PortalTicketDetail, PortalTicketPatch,
};
use crate::domain::records::RecordKind;
use crate::domain::ticket::{NewTicket, TicketChannel, TicketComment, TicketStatus};
use crate::server::auth::portal::{invite_link, portal_entry};
use crate::server::db::{Conn, audit, portal, tickets};
use crate::server::mail::{self, letters, letters::LinkTo, letters::PasswordLink};
use crate::server::policy::{Action, Target, authorize_portal, authorize_record, portal_scope};
use crate::server::principal::{ClientInfo, PortalUser, Principal};
use crate::server::sales::Actor;
use crate::server::state::AppState;
use chrono::Duration;
use serde_json::json;
use uuid::Uuid;

pub const INVITE_VALID: Duration = Duration::hours(72);

// ---- Staff side: access and invites ----

pub async fn access(
    state: &AppState,
    principal: &Principal,
    contact_id: Uuid,
) -> AppResult<PortalAccess> {
    let mut h = state.db.handle().await?;
    authorize_record(
        &mut h.c(),
        principal,
        Action::Read,
        RecordKind::Contact,
        contact_id,
    )
    .await?;
    // What the page offers comes from the same decision the invite itself is held to.
    let may_manage = authorize_record(
        &mut h.c(),
        principal,
        Action::ManagePortal,
        RecordKind::Contact,
        contact_id,
    )
    .await
    .is_ok();
    let k = portal::by_id(&mut h.c(), contact_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let blocked = k.refusal().map(str::to_string).or_else(|| {
        k.portal_password_hash
            .is_none()
            .then(|| "The invite has not been accepted yet.".to_string())
    });
    Ok(PortalAccess {
        enabled: k.portal_enabled,
        has_password: k.portal_password_hash.is_some(),
        last_login_at: k.portal_last_login_at,
        blocked_because: blocked,
        may_manage,
    })
}

/// Turns portal access on and makes a one-time link (valid 72 hours; a newer one retires
/// older ones): an invite, or for a contact who already uses the portal a reset, which never
/// touches their password until they choose a new one through it. Only those the policy lets
/// manage the contact's portal access get a link.
pub async fn invite(
    state: &AppState,
    principal: &Principal,
    client: &ClientInfo,
    contact_id: Uuid,
) -> AppResult<PortalInvite> {
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let staff = authorize_record(
        &mut tx.c(),
        principal,
        Action::ManagePortal,
        RecordKind::Contact,
        contact_id,
    )
    .await?;
    let w = Actor { staff, client };
    let k = portal::by_id(&mut tx.c(), contact_id)
        .await?
        .ok_or(AppError::NotFound)?;
    // What the contact is now stands in the way, not anything in the request: 409.
    if k.email.is_none() {
        return Err(AppError::conflict(
            "Give the contact an email address first: it is their portal sign-in.",
        ));
    }
    if !k.active {
        return Err(AppError::conflict(
            "Reactivate the contact before inviting them.",
        ));
    }
    if k.role == crate::domain::contact::ContactRole::Lead {
        return Err(AppError::conflict(
            "Only prospects and clients use the portal: change the contact's role first.",
        ));
    }
    portal::set_enabled(&mut tx.c(), contact_id, true, now).await?;
    let expires_at = now + INVITE_VALID;
    let url = invite_link(
        state,
        &mut tx.c(),
        contact_id,
        Some(staff.user.id),
        INVITE_VALID,
        now,
    )
    .await?;
    let reset = k.portal_password_hash.is_some();
    let letter = letters::portal_invite(&LinkTo {
        business: &state.config.business_name,
        name: &k.name(),
        to: k.email.as_deref().unwrap_or_default(),
        url: &url,
        why: if reset {
            PasswordLink::Reset
        } else {
            PasswordLink::NewUser
        },
        valid: INVITE_VALID,
    });
    let mailed = mail::queue(state.mailer.as_ref(), &mut tx.c(), &letter, now).await?;
    w.audit(
        &mut tx.c(),
        if reset {
            "contact.portal_reset_issued"
        } else {
            "contact.portal_invited"
        },
        RecordKind::Contact,
        contact_id,
        json!({ "expires_at": expires_at, "mailed": mailed.as_ref().map(|m| m.id) }),
        now,
    )
    .await?;
    tx.commit().await?;
    mail::wake(&state.mail_wake);
    Ok(PortalInvite {
        invite_url: mailed.is_none().then_some(url),
        mailed_to: mailed.map(|m| m.to),
        expires_at,
        reset,
    })
}

/// Turns portal access off; the contact's portal sign-ins end at once.
pub async fn disable(
    state: &AppState,
    principal: &Principal,
    client: &ClientInfo,
    contact_id: Uuid,
) -> AppResult<PortalAccess> {
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let staff = authorize_record(
        &mut tx.c(),
        principal,
        Action::ManagePortal,
        RecordKind::Contact,
        contact_id,
    )
    .await?;
    let w = Actor { staff, client };
    if !portal::set_enabled(&mut tx.c(), contact_id, false, now).await? {
        return Err(AppError::NotFound);
    }
    let ended = portal::end_all_sessions(&mut tx.c(), contact_id, "access_disabled", now).await?;
    w.audit(
        &mut tx.c(),
        "contact.portal_disabled",
        RecordKind::Contact,
        contact_id,
        json!({ "sessions_ended": ended }),
        now,
    )
    .await?;
    tx.commit().await?;
    access(state, principal, contact_id).await
}

// ---- The portal's tickets ----

pub async fn tickets(state: &AppState, principal: &Principal) -> AppResult<Vec<PortalTicket>> {
    let me = authorize_portal(principal, Action::Read, Target::kind(RecordKind::Ticket))?;
    let mut h = state.db.handle().await?;
    Ok(tickets::portal_list(&mut h.c(), portal_scope(me)).await?)
}

/// A ticket in the portal user's scope, or 404 (the scope is part of the query).
async fn scoped(
    c: &mut Conn<'_>,
    principal: &Principal,
    action: Action,
    id: Uuid,
) -> AppResult<(PortalTicket, PortalUser)> {
    let me = authorize_portal(principal, Action::Read, Target::kind(RecordKind::Ticket))?.clone();
    let t = tickets::portal_get(c, portal_scope(&me), id)
        .await?
        .ok_or(AppError::NotFound)?;
    authorize_portal(principal, action, Target::kind(RecordKind::Ticket))?;
    Ok((t, me))
}

pub async fn ticket(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
) -> AppResult<PortalTicketDetail> {
    let mut h = state.db.handle().await?;
    let (ticket, _) = scoped(&mut h.c(), principal, Action::Read, id).await?;
    let comments: Vec<PortalComment> = tickets::portal_comments(&mut h.c(), id).await?;
    Ok(PortalTicketDetail { ticket, comments })
}

pub async fn open_ticket(
    state: &AppState,
    principal: &Principal,
    client: &ClientInfo,
    input: NewPortalTicket,
) -> AppResult<PortalTicketDetail> {
    let me = authorize_portal(principal, Action::Create, Target::kind(RecordKind::Ticket))?.clone();
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let new = NewTicket {
        subject: input.subject,
        description: input.description,
        // Account and contact come from the session, never from the request.
        account_id: me.account_id,
        contact_id: Some(me.contact_id),
        priority: input.priority.unwrap_or_default(),
        ..Default::default()
    };
    let t = insert_ticket(
        &mut tx.c(),
        new,
        TicketChannel::Portal,
        Opener::Contact(me.contact_id),
        now,
    )
    .await?;
    let entry = portal_entry(
        &me,
        client,
        "ticket.created",
        "ticket",
        t.id,
        json!({ "number": t.number, "subject": t.subject, "channel": "portal" }),
    );
    audit::insert(&mut tx.c(), &entry, now).await?;
    mailing::to_customer(state, &mut tx.c(), &t, TicketMail::Received, None, now).await?;
    tx.commit().await?;
    mail::wake(&state.mail_wake);
    ticket(state, principal, t.id).await
}

pub async fn reply(
    state: &AppState,
    principal: &Principal,
    client: &ClientInfo,
    id: Uuid,
    input: PortalReply,
) -> AppResult<PortalTicketDetail> {
    let body = input.body.trim().to_string();
    crate::domain::ticket::NewComment {
        body: body.clone(),
        public: true,
    }
    .validate()?;
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let (t, me) = scoped(&mut tx.c(), principal, Action::Update, id).await?;
    if t.status == TicketStatus::Closed {
        return Err(AppError::invalid(
            "body",
            "This ticket is closed. Open a new ticket instead.",
        ));
    }
    let comment = TicketComment {
        id: Uuid::now_v7(),
        ticket_id: id,
        author_user_id: None,
        author_contact_id: Some(me.contact_id),
        author_name: None,
        body,
        public: true,
        created_at: now,
    };
    tickets::insert_comment(&mut tx.c(), &comment).await?;
    tickets::customer_replied(&mut tx.c(), id, now).await?;
    let entry = portal_entry(
        &me,
        client,
        "ticket.customer_replied",
        "ticket",
        id,
        json!({ "comment_id": comment.id }),
    );
    audit::insert(&mut tx.c(), &entry, now).await?;
    tx.commit().await?;
    ticket(state, principal, id).await
}

/// The customer marks their ticket resolved (the only status they change).
pub async fn update_ticket(
    state: &AppState,
    principal: &Principal,
    client: &ClientInfo,
    id: Uuid,
    patch: PortalTicketPatch,
) -> AppResult<PortalTicketDetail> {
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let (_, me) = scoped(&mut tx.c(), principal, Action::Update, id).await?;
    let Some(to) = patch.status else {
        return ticket(state, principal, id).await;
    };
    if to != TicketStatus::Resolved {
        return Err(AppError::invalid(
            "status",
            "In the portal a ticket can only be marked resolved.",
        ));
    }
    let mut t = tickets::get(&mut tx.c(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    let version = t.version;
    let from = t.status;
    move_status(&mut t, to, now)?;
    t.updated_at = now;
    if from != to {
        if !tickets::update(&mut tx.c(), &t, version).await? {
            return Err(AppError::conflict(
                "The ticket changed while you were looking at it. Reload and try again.",
            ));
        }
        let entry = portal_entry(
            &me,
            client,
            "ticket.status_changed",
            "ticket",
            id,
            json!({ "changes": { "status": { "old": from, "new": to } } }),
        );
        audit::insert(&mut tx.c(), &entry, now).await?;
    }
    tx.commit().await?;
    ticket(state, principal, id).await
}
