//! A portal user's own account: accepting an invite, signing in, their profile, their
//! password and their other sign-ins. The staff side of portal access (invites, turning it
//! off) and the portal's tickets are in `support::portal`.

use super::service::{Limit, attach_session, audit_entry, check_throttle, email_key};
use super::{SessionAuth, password, secret};
use crate::domain::admin::{PasswordChange, PasswordChanged};
use crate::domain::error::{AppError, AppResult};
use crate::domain::portal::{PortalMe, PortalProfilePatch};
use crate::domain::user::{normalize_email, password_problem};
use crate::server::db::{Conn, audit, contacts, portal, throttle};
use crate::server::error::internal;
use crate::server::policy::{
    Action, Guarded, Target, authorize_portal, refuse_while_impersonating,
};
use crate::server::principal::{ClientInfo, PortalUser, Principal};
use crate::server::state::AppState;
use chrono::{DateTime, Duration, Utc};
use serde_json::json;
use tower_sessions::Session;
use uuid::Uuid;

/// An audit row written by a portal user.
pub fn portal_entry(
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

/// A new one-time portal link for a contact, valid for `valid` (inside the caller's
/// transaction): an invite, or for a contact with a password a reset. Only the newest link
/// works: earlier unused ones are retired.
pub(crate) async fn invite_link(
    state: &AppState,
    c: &mut Conn<'_>,
    contact_id: Uuid,
    by: Option<Uuid>,
    valid: Duration,
    now: DateTime<Utc>,
) -> AppResult<String> {
    let token = secret::generate("inv_");
    portal::insert_invite(c, &secret::digest(&token), contact_id, by, now, now + valid).await?;
    Ok(format!(
        "{}/portal/accept?token={token}",
        state.config.public_url()
    ))
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
