//! Staff users as admins manage them: list, create, rename, change role, deactivate and
//! reactivate, end sessions, issue password-reset links.

use crate::domain::admin::{NewUserInput, StaffUser, UserLink, UserUpdate};
use crate::domain::error::{AppError, AppResult};
use crate::domain::user::{NewStaffUser, Role, name_problem};
use crate::server::auth::service::{self, SET_PASSWORD_LINK_VALID, audit_entry};
use crate::server::db::{audit, sessions, users};
use crate::server::mail::{self, letters, letters::LinkTo, letters::PasswordLink};
use crate::server::policy::{self, Guarded, UserChange};
use crate::server::principal::{ClientInfo, Principal, Staff};
use crate::server::state::AppState;
use serde_json::{Map, Value, json};
use uuid::Uuid;

/// The admin asking, outside any impersonation.
fn admin(principal: &Principal) -> AppResult<&Staff> {
    policy::refuse_while_impersonating(principal, Guarded::ManageUsers)?;
    policy::manage_users(principal.require_staff()?)
}

fn listed(actor: &Staff, u: users::ListedUser) -> StaffUser {
    let may = policy::user_actions(actor, u.id, u.role, u.active);
    StaffUser {
        may,
        id: u.id,
        email: u.email,
        name: u.name,
        role: u.role,
        active: u.active,
        created_at: u.created_at,
        last_login_at: u.last_login_at,
        has_password: u.has_password,
        open_sessions: u.open_sessions,
    }
}

pub async fn list(state: &AppState, principal: &Principal) -> AppResult<Vec<StaffUser>> {
    let staff = admin(principal)?;
    let mut h = state.db.handle().await?;
    Ok(users::list(&mut h.c(), state.now())
        .await?
        .into_iter()
        .map(|u| listed(staff, u))
        .collect())
}

async fn one(state: &AppState, staff: &Staff, id: Uuid) -> AppResult<StaffUser> {
    let mut h = state.db.handle().await?;
    users::list(&mut h.c(), state.now())
        .await?
        .into_iter()
        .find(|u| u.id == id)
        .map(|u| listed(staff, u))
        .ok_or(AppError::NotFound)
}

/// Creates a user, who chooses their password through the one-time link returned.
pub async fn create(
    state: &AppState,
    principal: &Principal,
    client: &ClientInfo,
    input: NewUserInput,
) -> AppResult<UserLink> {
    let staff = admin(principal)?;
    let role = input
        .role
        .ok_or_else(|| AppError::invalid("role", "Choose a role."))?;
    policy::user_create(staff, role)?;
    let created = service::create_staff_user(
        state,
        Some(staff.user.id),
        client,
        NewStaffUser {
            email: input.email,
            name: input.name,
            password: None,
        },
        role,
    )
    .await?;
    Ok(UserLink {
        id: created.id,
        link: created.set_password_link,
        mailed_to: created.mailed_to,
    })
}

/// Renames a user, changes their role, or turns their access off or on. Deactivating ends
/// every sign-in of theirs (and any viewing of the CRM as them) at once.
pub async fn update(
    state: &AppState,
    principal: &Principal,
    client: &ClientInfo,
    id: Uuid,
    change: UserUpdate,
) -> AppResult<StaffUser> {
    let staff = admin(principal)?;
    if let Some(p) = change.name.as_deref().and_then(name_problem) {
        return Err(AppError::invalid("name", p));
    }
    if change.role.is_some_and(|r| !r.is_staff()) {
        return Err(AppError::invalid(
            "role",
            "Choose a staff role: super_admin, admin, manager, sales or support.",
        ));
    }
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let user = users::by_id(&mut tx.c(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    let name = change
        .name
        .as_deref()
        .map(str::trim)
        .unwrap_or(&user.name)
        .to_string();
    let role = change.role.unwrap_or(user.role);
    let active = change.active.unwrap_or(user.active);
    policy::user_change(
        staff,
        id,
        user.role,
        &UserChange {
            name: name != user.name,
            role: change.role,
            active: change.active.filter(|a| *a != user.active),
            security: false,
        },
    )?;
    let loses_super =
        user.role == Role::SuperAdmin && user.active && (role != Role::SuperAdmin || !active);
    if loses_super && users::active_super_admins(&mut tx.c()).await? <= 1 {
        return Err(AppError::conflict(
            "This is the last active super admin: make someone else super admin first.",
        ));
    }

    let mut changes = Map::new();
    let mut note = |field: &str, old: Value, new: Value| {
        if old != new {
            changes.insert(field.into(), json!({ "old": old, "new": new }));
        }
    };
    note("name", json!(user.name), json!(name));
    note("role", json!(user.role), json!(role));
    note("active", json!(user.active), json!(active));
    if changes.is_empty() {
        drop(tx);
        return one(state, staff, id).await;
    }
    users::update_profile(&mut tx.c(), id, &name, role, now).await?;
    let (mut ended, mut revoked) = (0, 0);
    if active != user.active {
        users::set_active(&mut tx.c(), id, active, now).await?;
        if !active {
            (ended, revoked) = crate::server::auth::service::cut_off(&mut tx.c(), id, now).await?;
        }
    }
    let action = match (user.active, active) {
        (true, false) => "user.deactivated",
        (false, true) => "user.reactivated",
        _ if role != user.role => "user.role_changed",
        _ => "user.updated",
    };
    let mut entry = audit_entry(action, client);
    entry.actor_id = Some(staff.user.id);
    entry.target_type = Some("user".into());
    entry.target_id = Some(id.to_string());
    entry.details =
        json!({ "changes": changes, "sessions_ended": ended, "tokens_revoked": revoked });
    audit::insert(&mut tx.c(), &entry, now).await?;
    tx.commit().await?;
    one(state, staff, id).await
}

/// The user being acted on, if the admin may touch their security.
async fn security_target(state: &AppState, staff: &Staff, id: Uuid) -> AppResult<users::UserRow> {
    let mut h = state.db.handle().await?;
    let user = users::by_id(&mut h.c(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    policy::user_change(
        staff,
        id,
        user.role,
        &UserChange {
            security: true,
            ..Default::default()
        },
    )?;
    Ok(user)
}

/// Ends every sign-in of a user (and any viewing of the CRM as them).
pub async fn end_sessions(
    state: &AppState,
    principal: &Principal,
    client: &ClientInfo,
    id: Uuid,
) -> AppResult<u64> {
    policy::refuse_while_impersonating(principal, Guarded::EndOtherSessions)?;
    let staff = admin(principal)?;
    security_target(state, staff, id).await?;
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let ended = sessions::end_all_for_user(&mut tx.c(), id, "ended_by_admin", now).await?;
    let mut entry = audit_entry("user.sessions_ended", client);
    entry.actor_id = Some(staff.user.id);
    entry.target_type = Some("user".into());
    entry.target_id = Some(id.to_string());
    entry.details = json!({ "sessions_ended": ended });
    audit::insert(&mut tx.c(), &entry, now).await?;
    tx.commit().await?;
    Ok(ended)
}

/// A one-time link for the user to choose a new password (earlier unused links stop working;
/// using it ends the user's other sign-ins).
pub async fn password_reset_link(
    state: &AppState,
    principal: &Principal,
    client: &ClientInfo,
    id: Uuid,
) -> AppResult<UserLink> {
    let staff = admin(principal)?;
    let user = security_target(state, staff, id).await?;
    if !user.active {
        return Err(AppError::invalid(
            "active",
            "Reactivate this user before sending them a password link.",
        ));
    }
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let link = service::password_link(state, &mut tx.c(), id, SET_PASSWORD_LINK_VALID, now).await?;
    let letter = letters::staff_password(&LinkTo {
        business: &state.config.business_name,
        name: &user.name,
        to: &user.email,
        url: &link,
        why: PasswordLink::Reset,
        valid: SET_PASSWORD_LINK_VALID,
    });
    let mailed = mail::queue(state.mailer.as_ref(), &mut tx.c(), &letter, now).await?;
    let mut entry = audit_entry("user.password_reset_issued", client);
    entry.actor_id = Some(staff.user.id);
    entry.target_type = Some("user".into());
    entry.target_id = Some(id.to_string());
    entry.details = json!({ "mailed": mailed.as_ref().map(|m| m.id) });
    audit::insert(&mut tx.c(), &entry, now).await?;
    tx.commit().await?;
    mail::wake(&state.mail_wake);
    Ok(UserLink {
        id,
        link: mailed.is_none().then_some(link),
        mailed_to: mailed.map(|m| m.to),
    })
}
