//! The customer portal: invites, sign-in of contacts, and a contact's own slice of tickets
//! and profile. Every read is scoped by the contact and account of the session, in the query.

use super::tickets::{Opener, insert as insert_ticket, move_status};
use crate::domain::admin::{PasswordChange, PasswordChanged};
use crate::domain::error::{AppError, AppResult};
use crate::domain::portal::{
    NewPortalTicket, PortalAccess, PortalComment, PortalInvite, PortalMe, PortalProfilePatch,
    PortalReply, PortalTicket, PortalTicketDetail, PortalTicketPatch,
};
use crate::domain::records::RecordKind;
use crate::domain::ticket::{NewTicket, TicketChannel, TicketComment, TicketStatus};
use crate::domain::user::{normalize_email, password_problem};
use crate::server::auth::service::{Limit, attach_session, audit_entry, check_throttle, email_key};
use crate::server::auth::{ClientInfo, PortalUser, Principal, SessionAuth, password, secret};
use crate::server::db::{Conn, audit, contacts, portal, throttle, tickets};
use crate::server::error::internal;
use crate::server::policy::{
    Action, Guarded, Target, authorize_portal, authorize_record, portal_scope,
    refuse_while_impersonating,
};
use crate::server::sales::Writer;
use crate::server::state::AppState;
use chrono::{DateTime, Duration, Utc};
use serde_json::json;
use tower_sessions::Session;
use uuid::Uuid;

pub const INVITE_VALID: Duration = Duration::hours(72);

/// An audit row written by a portal user.
fn portal_entry(
    me: &PortalUser,
    client: &ClientInfo,
    action: &str,
    kind: &str,
    id: Uuid,
    details: serde_json::Value,
) -> audit::NewEntry {
    audit::NewEntry {
        actor_label: Some(format!("{} (portal)", me.email)),
        // An admin viewing the portal as this contact acted; the contact is the subject.
        actor_id: me.impersonator.as_ref().map(|i| i.admin.id),
        subject_id: me.impersonator.as_ref().map(|_| me.contact_id),
        action: action.into(),
        target_type: Some(kind.into()),
        target_id: Some(id.to_string()),
        ip: Some(client.ip.clone()),
        user_agent: Some(client.user_agent.clone()),
        details,
        ..Default::default()
    }
}

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
    let w = Writer { staff, client };
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
    let token = secret::generate("inv_");
    let expires_at = now + INVITE_VALID;
    portal::insert_invite(
        &mut tx.c(),
        &secret::digest(&token),
        contact_id,
        staff.user.id,
        now,
        expires_at,
    )
    .await?;
    let reset = k.portal_password_hash.is_some();
    w.audit(
        &mut tx.c(),
        if reset {
            "contact.portal_reset_issued"
        } else {
            "contact.portal_invited"
        },
        RecordKind::Contact,
        contact_id,
        json!({ "expires_at": expires_at }),
        now,
    )
    .await?;
    tx.commit().await?;
    let invite_url = format!("{}/portal/accept?token={token}", state.config.public_url());
    Ok(PortalInvite {
        invite_url,
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
    let w = Writer { staff, client };
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

// ---- Signing in ----

fn invite_problem(found: Option<&portal::Invite>, now: DateTime<Utc>) -> Option<AppError> {
    match found {
        Some(i) if i.used_at.is_none() && i.expires_at > now => None,
        Some(i) if i.used_at.is_some() => Some(AppError::invalid(
            "token",
            "This invite has already been used. Ask for a new one.",
        )),
        Some(_) => Some(AppError::invalid(
            "token",
            "This invite has expired. Ask for a new one.",
        )),
        None => Some(AppError::invalid("token", "This invite link is not valid.")),
    }
}

/// Whether an invite still works, for the page that shows its form.
pub async fn check_invite(state: &AppState, token: &str) -> AppResult<()> {
    let mut h = state.db.handle().await?;
    let found = portal::find_invite(&mut h.c(), &secret::digest(token)).await?;
    invite_problem(found.as_ref(), state.now()).map_or(Ok(()), Err)
}

/// The contact sets a password through their invite and is signed in to the portal.
pub async fn accept_invite(
    state: &AppState,
    session: &Session,
    client: &ClientInfo,
    token: &str,
    new_password: &str,
) -> AppResult<PortalMe> {
    if let Some(p) = password_problem(new_password) {
        return Err(AppError::invalid("password", p));
    }
    check_invite(state, token).await?;
    let hash = password::hash(new_password).await.map_err(internal)?;
    let now = state.now();
    let token_hash = secret::digest(token);
    let mut tx = state.db.begin().await?;
    let found = portal::find_invite(&mut tx.c(), &token_hash).await?;
    if let Some(problem) = invite_problem(found.as_ref(), now) {
        return Err(problem);
    }
    let contact_id = found
        .map(|i| i.contact_id)
        .ok_or_else(|| AppError::invalid("token", "This invite link is not valid."))?;
    let k = portal::by_id(&mut tx.c(), contact_id)
        .await?
        .ok_or_else(|| AppError::invalid("token", "This invite link is not valid."))?;
    if let Some(why) = k.refusal() {
        return Err(AppError::invalid(
            "token",
            format!("This invite can no longer be used. {why}"),
        ));
    }
    if !portal::use_invite(&mut tx.c(), &token_hash, now).await? {
        return Err(AppError::invalid(
            "token",
            "This invite has already been used. Ask for a new one.",
        ));
    }
    let reset = k.portal_password_hash.is_some();
    portal::set_password(&mut tx.c(), contact_id, &hash).await?;
    // A reset is often asked for because someone else may know the old password.
    let ended = portal::end_all_sessions(&mut tx.c(), contact_id, "password_reset", now).await?;
    let session_id = open(state, &mut tx.c(), contact_id, client, now).await?;
    let mut entry = audit_entry(
        if reset {
            "portal.password_reset"
        } else {
            "portal.invite_accepted"
        },
        client,
    );
    entry.details = json!({ "sessions_ended": ended });
    entry.actor_label = Some(format!("{} (portal)", k.email.clone().unwrap_or_default()));
    entry.target_type = Some("contact".into());
    entry.target_id = Some(contact_id.to_string());
    audit::insert(&mut tx.c(), &entry, now).await?;
    tx.commit().await?;
    attach_session(state, session, SessionAuth::portal(session_id)).await?;
    Ok(me_of(state, &k))
}

async fn open(
    state: &AppState,
    c: &mut Conn<'_>,
    contact_id: Uuid,
    client: &ClientInfo,
    now: DateTime<Utc>,
) -> AppResult<Uuid> {
    let id = Uuid::now_v7();
    let max = Duration::hours(i64::from(state.config.session_max_hours));
    portal::insert_session(
        c,
        id,
        contact_id,
        now,
        now + max,
        &client.ip,
        &client.user_agent,
    )
    .await?;
    Ok(id)
}

/// The portal half of signing in: a contact that may use the portal and whose password
/// matches. `None` for every kind of refusal, so the caller answers with the one generic
/// message (the reason goes to the audit log).
pub async fn sign_in(
    state: &AppState,
    client: &ClientInfo,
    email: &str,
    password_attempt: &str,
) -> AppResult<Result<(Uuid, portal::PortalContact), &'static str>> {
    let email = normalize_email(email);
    let found = {
        let mut h = state.db.handle().await?;
        portal::by_email(&mut h.c(), &email).await?
    };
    let ok = password::verify(
        password_attempt,
        found
            .as_ref()
            .and_then(|k| k.portal_password_hash.as_deref()),
    )
    .await;
    let refusal = match &found {
        None => Some("unknown_email"),
        Some(k) if k.portal_password_hash.is_none() => Some("no_password"),
        Some(_) if !ok => Some("bad_password"),
        Some(k) => k.refusal().map(|_| "portal_refused"),
    };
    match (found, refusal) {
        (Some(k), None) => {
            let now = state.now();
            let mut tx = state.db.begin().await?;
            let session_id = open(state, &mut tx.c(), k.id, client, now).await?;
            let mut entry = audit_entry("portal.login", client);
            entry.actor_label = Some(format!("{email} (portal)"));
            entry.target_type = Some("contact".into());
            entry.target_id = Some(k.id.to_string());
            audit::insert(&mut tx.c(), &entry, now).await?;
            tx.commit().await?;
            Ok(Ok((session_id, k)))
        }
        (_, reason) => Ok(Err(reason.unwrap_or("unknown"))),
    }
}

fn me_of(state: &AppState, k: &portal::PortalContact) -> PortalMe {
    PortalMe {
        contact_id: k.id,
        first_name: k.first_name.clone(),
        last_name: k.last_name.clone(),
        email: k.email.clone().unwrap_or_default(),
        phone: k.phone.clone(),
        title: k.title.clone(),
        role: k.role.as_str().to_string(),
        account_name: k.account_name.clone(),
        business_name: state.config.business_name.clone(),
        time_zone: k.time_zone.clone(),
        locale: k.locale.clone(),
    }
}

// ---- The portal user's own data ----

pub async fn me(state: &AppState, principal: &Principal) -> AppResult<PortalMe> {
    let me = authorize_portal(principal, Action::Read, Target::own_contact(principal))?;
    let mut h = state.db.handle().await?;
    let k = portal::by_id(&mut h.c(), me.contact_id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(me_of(state, &k))
}

pub async fn update_me(
    state: &AppState,
    principal: &Principal,
    client: &ClientInfo,
    mut patch: PortalProfilePatch,
) -> AppResult<PortalMe> {
    let me = authorize_portal(principal, Action::Update, Target::own_contact(principal))?;
    patch.normalize();
    let regional = crate::server::regional::checked(&crate::domain::regional::RegionalChoice {
        time_zone: patch.time_zone.take(),
        locale: patch.locale.take(),
    });
    AppError::all_valid([
        patch.validate(),
        regional.as_ref().map(|_| ()).map_err(Clone::clone),
    ])?;
    let regional = regional?;
    patch.time_zone = regional.time_zone;
    patch.locale = regional.locale;
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let before = contacts::get(&mut tx.c(), me.contact_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let before_regional = portal::by_id(&mut tx.c(), me.contact_id)
        .await?
        .ok_or(AppError::NotFound)?;
    portal::update_profile(&mut tx.c(), me.contact_id, &patch, now).await?;
    let entry = portal_entry(
        me,
        client,
        "contact.updated_in_portal",
        "contact",
        me.contact_id,
        json!({
            "changes": {
                "first_name": { "old": before.fields.first_name, "new": patch.first_name },
                "last_name": { "old": before.fields.last_name, "new": patch.last_name },
                "phone": { "old": before.fields.phone, "new": patch.phone },
                "title": { "old": before.fields.title, "new": patch.title },
                "time_zone": { "old": before_regional.time_zone, "new": patch.time_zone },
                "locale": { "old": before_regional.locale, "new": patch.locale },
            }
        }),
    );
    audit::insert(&mut tx.c(), &entry, now).await?;
    let k = portal::by_id(&mut tx.c(), me.contact_id)
        .await?
        .ok_or(AppError::NotFound)?;
    tx.commit().await?;
    Ok(me_of(state, &k))
}

/// A portal user changes their own password: the current one must be right (wrong guesses
/// count toward the sign-in limit of their email), and their other portal sessions end.
pub async fn change_password(
    state: &AppState,
    principal: &Principal,
    client: &ClientInfo,
    input: &PasswordChange,
) -> AppResult<PasswordChanged> {
    refuse_while_impersonating(principal, Guarded::ChangePassword)?;
    let me = authorize_portal(principal, Action::Update, Target::own_contact(principal))?;
    if let Some(p) = password_problem(&input.new_password) {
        return Err(AppError::invalid("new_password", p));
    }
    let now = state.now();
    let key = email_key(&normalize_email(&me.email));
    let stored = {
        let mut h = state.db.handle().await?;
        check_throttle(&mut h.c(), &[Limit::Account(&key)], now).await?;
        portal::by_id(&mut h.c(), me.contact_id)
            .await?
            .and_then(|k| k.portal_password_hash)
    };
    if !password::verify(&input.current_password, stored.as_deref()).await {
        let mut tx = state.db.begin().await?;
        throttle::record_failure(&mut tx.c(), &key, now).await?;
        tx.commit().await?;
        return Err(AppError::invalid(
            "current_password",
            "That is not your current password.",
        ));
    }
    let hash = password::hash(&input.new_password)
        .await
        .map_err(internal)?;
    let mut tx = state.db.begin().await?;
    portal::set_password(&mut tx.c(), me.contact_id, &hash).await?;
    let ended = portal::end_other_sessions(
        &mut tx.c(),
        me.contact_id,
        me.session_id,
        "password_changed",
        now,
    )
    .await?;
    let entry = portal_entry(
        me,
        client,
        "portal.password_changed",
        "contact",
        me.contact_id,
        json!({ "sessions_ended": ended }),
    );
    audit::insert(&mut tx.c(), &entry, now).await?;
    tx.commit().await?;
    Ok(PasswordChanged {
        ended,
        tokens_revoked: 0,
    })
}

/// A portal user signs out everywhere but here.
pub async fn end_other_sessions(
    state: &AppState,
    principal: &Principal,
    client: &ClientInfo,
) -> AppResult<u64> {
    refuse_while_impersonating(principal, Guarded::EndOtherSessions)?;
    let me = authorize_portal(principal, Action::Update, Target::own_contact(principal))?;
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let ended = portal::end_other_sessions(
        &mut tx.c(),
        me.contact_id,
        me.session_id,
        "ended_by_user",
        now,
    )
    .await?;
    let entry = portal_entry(
        me,
        client,
        "portal.sessions_ended",
        "contact",
        me.contact_id,
        json!({ "sessions_ended": ended }),
    );
    audit::insert(&mut tx.c(), &entry, now).await?;
    tx.commit().await?;
    Ok(ended)
}

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
    tx.commit().await?;
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
