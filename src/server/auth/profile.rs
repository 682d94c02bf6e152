//! A staff user's own profile (what the "Your account" page shows; not a CRM account record):
//! their name and formats, their password, their open sign-ins, their API tokens, and the
//! times an admin viewed the CRM as them.

use super::service::{Limit, audit_entry, check_throttle, email_key};
use super::{ClientInfo, Principal, Staff, Via, password, secret};
use crate::domain::admin::{
    AccountOverview, ApiTokenInfo, NewApiToken, PasswordChange, PasswordChanged, ProfileChange,
    SessionInfo, Viewing, device_label,
};
use crate::domain::error::{AppError, AppResult};
use crate::domain::regional::RegionalChoice;
use crate::domain::user::{name_problem, password_problem};
use crate::server::db::{audit, impersonations, sessions, throttle, tokens, users};
use crate::server::error::internal;
use crate::server::policy::{Guarded, refuse_while_impersonating};
use crate::server::state::AppState;
use serde_json::json;
use uuid::Uuid;

fn current_session(staff: &Staff) -> Option<Uuid> {
    match (&staff.impersonator, &staff.via) {
        (Some(by), _) => Some(by.admin_session_id),
        (None, Via::Session { session_id }) => Some(*session_id),
        (None, Via::Token { .. } | Via::CommandLine) => None,
    }
}

/// An audit entry about the asker's own account.
fn own_entry(
    action: &str,
    client: &ClientInfo,
    staff: &Staff,
    details: serde_json::Value,
) -> audit::NewEntry {
    let mut entry = audit_entry(action, client);
    entry.actor_id = Some(staff.actor_id());
    entry.subject_id = staff.subject_id();
    entry.target_type = Some("user".into());
    entry.target_id = Some(staff.user.id.to_string());
    entry.details = details;
    entry
}

pub fn session_info(s: sessions::OpenSession, current: Option<Uuid>) -> SessionInfo {
    SessionInfo {
        id: s.id,
        device: device_label(s.user_agent.as_deref().unwrap_or_default()),
        ip: s.ip,
        started_at: s.created_at,
        last_seen_at: s.last_seen_at,
        current: current == Some(s.id),
    }
}

/// Everything the account page shows, for the person asking.
pub async fn overview(state: &AppState, principal: &Principal) -> AppResult<AccountOverview> {
    let staff = principal.require_staff()?;
    let me = staff.user.id;
    let current = current_session(staff).filter(|_| staff.impersonator.is_none());
    let mut h = state.db.handle().await?;
    let sessions = sessions::open_for_user(&mut h.c(), me, state.now())
        .await?
        .into_iter()
        .map(|s| session_info(s, current))
        .collect();
    let tokens = tokens::live_for_user(&mut h.c(), me)
        .await?
        .into_iter()
        .map(|t| ApiTokenInfo {
            id: t.id,
            label: t.label,
            created_at: t.created_at,
            last_used_at: t.last_used_at,
        })
        .collect();
    let viewings = impersonations::of_user(&mut h.c(), me, 50)
        .await?
        .into_iter()
        .map(|v| Viewing {
            admin_name: v.admin_name,
            reason: v.reason,
            started_at: v.started_at,
            ended_at: v.ended_at,
        })
        .collect();
    let me_row = users::by_id(&mut h.c(), me).await?;
    Ok(AccountOverview {
        me: staff.user.clone(),
        regional: me_row
            .map(|u| RegionalChoice {
                time_zone: u.time_zone,
                locale: u.locale,
            })
            .unwrap_or_default(),
        options: crate::server::regional::options(&state.config),
        sessions,
        tokens,
        viewings,
    })
}

/// Changes the asker's own name, time zone and locale. Refused while an admin views the CRM
/// as them: a person's settings are theirs to change.
pub async fn update_profile(
    state: &AppState,
    principal: &Principal,
    client: &ClientInfo,
    input: &ProfileChange,
) -> AppResult<()> {
    refuse_while_impersonating(principal, Guarded::ChangeProfile)?;
    let staff = principal.require_staff()?;
    let name = input.name.trim();
    let checked = crate::server::regional::checked(&RegionalChoice {
        time_zone: input.time_zone.clone(),
        locale: input.locale.clone(),
    });
    AppError::all_valid([
        checked.as_ref().map(|_| ()).map_err(Clone::clone),
        name_problem(name).map_or(Ok(()), |p| Err(AppError::invalid("name", p))),
    ])?;
    let choice = checked?;
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let before = users::by_id(&mut tx.c(), staff.user.id)
        .await?
        .ok_or(AppError::NotFound)?;
    users::set_profile(
        &mut tx.c(),
        staff.user.id,
        name,
        choice.time_zone.as_deref(),
        choice.locale.as_deref(),
        now,
    )
    .await?;
    let mut changes = serde_json::Map::new();
    let pairs = [
        ("name", Some(before.name.as_str()), Some(name)),
        (
            "time_zone",
            before.time_zone.as_deref(),
            choice.time_zone.as_deref(),
        ),
        ("locale", before.locale.as_deref(), choice.locale.as_deref()),
    ];
    for (field, old, new) in pairs {
        if old != new {
            changes.insert(field.into(), json!({ "old": old, "new": new }));
        }
    }
    if !changes.is_empty() {
        let entry = own_entry(
            "user.profile_changed",
            client,
            staff,
            json!({ "changes": changes }),
        );
        audit::insert(&mut tx.c(), &entry, now).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Changes the asker's password: the current one must be right (wrong guesses count toward
/// the sign-in throttle), and every other sign-in of theirs ends.
pub async fn change_password(
    state: &AppState,
    principal: &Principal,
    client: &ClientInfo,
    input: &PasswordChange,
) -> AppResult<PasswordChanged> {
    refuse_while_impersonating(principal, Guarded::ChangePassword)?;
    let staff = principal.require_staff()?;
    if let Some(p) = password_problem(&input.new_password) {
        return Err(AppError::invalid("new_password", p));
    }
    let now = state.now();
    let key = email_key(&staff.user.email);
    let stored = {
        let mut h = state.db.handle().await?;
        check_throttle(&mut h.c(), &[Limit::Account(&key)], now).await?;
        users::by_id(&mut h.c(), staff.user.id)
            .await?
            .and_then(|u| u.password_hash)
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
    users::set_password(&mut tx.c(), staff.user.id, &hash, now).await?;
    let ended = match current_session(staff) {
        Some(keep) => {
            sessions::end_others(&mut tx.c(), staff.user.id, keep, "password_changed", now).await?
        }
        None => {
            sessions::end_all_for_user(&mut tx.c(), staff.user.id, "password_changed", now).await?
        }
    };
    let tokens_revoked = if input.revoke_tokens {
        tokens::revoke_all_for_user(&mut tx.c(), staff.user.id, now).await?
    } else {
        0
    };
    let entry = own_entry(
        "user.password_changed",
        client,
        staff,
        json!({ "sessions_ended": ended, "tokens_revoked": tokens_revoked }),
    );
    audit::insert(&mut tx.c(), &entry, now).await?;
    tx.commit().await?;
    Ok(PasswordChanged {
        ended,
        tokens_revoked,
    })
}

/// Ends one of the asker's own sign-ins (another device, or this one).
pub async fn end_session(
    state: &AppState,
    principal: &Principal,
    client: &ClientInfo,
    id: Uuid,
) -> AppResult<()> {
    refuse_while_impersonating(principal, Guarded::EndOtherSessions)?;
    let staff = principal.require_staff()?;
    let now = state.now();
    let mut tx = state.db.begin().await?;
    if !sessions::end_own(&mut tx.c(), id, staff.user.id, "ended_by_user", now).await? {
        return Err(AppError::NotFound);
    }
    let entry = own_entry("session.ended", client, staff, json!({ "session_id": id }));
    audit::insert(&mut tx.c(), &entry, now).await?;
    tx.commit().await?;
    Ok(())
}

/// Ends every sign-in of the asker's but the one they are using.
pub async fn end_other_sessions(
    state: &AppState,
    principal: &Principal,
    client: &ClientInfo,
) -> AppResult<u64> {
    refuse_while_impersonating(principal, Guarded::EndOtherSessions)?;
    let staff = principal.require_staff()?;
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let ended = match current_session(staff) {
        Some(keep) => {
            sessions::end_others(&mut tx.c(), staff.user.id, keep, "ended_by_user", now).await?
        }
        None => {
            sessions::end_all_for_user(&mut tx.c(), staff.user.id, "ended_by_user", now).await?
        }
    };
    let entry = own_entry(
        "session.others_ended",
        client,
        staff,
        json!({ "sessions_ended": ended }),
    );
    audit::insert(&mut tx.c(), &entry, now).await?;
    tx.commit().await?;
    Ok(ended)
}

pub const TOKEN_LABEL_MAX_CHARS: usize = 80;

/// Creates an API token for the asker; the token is in the answer once and never again.
pub async fn create_token(
    state: &AppState,
    principal: &Principal,
    client: &ClientInfo,
    label: &str,
) -> AppResult<NewApiToken> {
    refuse_while_impersonating(principal, Guarded::ManageApiTokens)?;
    let staff = principal.require_staff()?;
    let label = label.trim();
    if label.is_empty() || label.chars().count() > TOKEN_LABEL_MAX_CHARS {
        return Err(AppError::invalid(
            "label",
            format!(
                "Name the token (what uses it), in at most {TOKEN_LABEL_MAX_CHARS} characters."
            ),
        ));
    }
    let now = state.now();
    let token = secret::generate("crm_");
    let id = Uuid::now_v7();
    let mut tx = state.db.begin().await?;
    tokens::insert_api_token(
        &mut tx.c(),
        id,
        staff.user.id,
        label,
        &secret::digest(&token),
        now,
    )
    .await?;
    let mut entry = audit_entry("api_token.created", client);
    entry.actor_id = Some(staff.user.id);
    entry.target_type = Some("api_token".into());
    entry.target_id = Some(id.to_string());
    entry.details = json!({ "label": label, "via": "web" });
    audit::insert(&mut tx.c(), &entry, now).await?;
    tx.commit().await?;
    Ok(NewApiToken { id, token })
}

/// Revokes one of the asker's API tokens; it stops working at once.
pub async fn revoke_token(
    state: &AppState,
    principal: &Principal,
    client: &ClientInfo,
    id: Uuid,
) -> AppResult<()> {
    refuse_while_impersonating(principal, Guarded::ManageApiTokens)?;
    let staff = principal.require_staff()?;
    let now = state.now();
    let mut tx = state.db.begin().await?;
    if !tokens::revoke(&mut tx.c(), id, staff.user.id, now).await? {
        return Err(AppError::NotFound);
    }
    let mut entry = audit_entry("api_token.revoked", client);
    entry.actor_id = Some(staff.actor_id());
    entry.subject_id = staff.subject_id();
    entry.target_type = Some("api_token".into());
    entry.target_id = Some(id.to_string());
    audit::insert(&mut tx.c(), &entry, now).await?;
    tx.commit().await?;
    Ok(())
}
