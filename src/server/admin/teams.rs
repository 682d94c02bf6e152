//! Teams and record visibility as admins manage them: who works together, and per role whose
//! records its users see and edit. Every change is audited in its own transaction.

use crate::domain::error::{AppError, AppResult};
use crate::domain::team::{
    RoleReach, Team, TeamInput, TeamMember, Visibility, VisibilityChange, check_visibility,
    complete,
};
use crate::server::auth::service::audit_entry;
use crate::server::db::{Conn, audit, teams};
use crate::server::policy::{self, Guarded};
use crate::server::principal::{ClientInfo, Principal, Staff};
use crate::server::sales::require_active_staff;
use crate::server::state::AppState;
use serde_json::{Value, json};
use uuid::Uuid;

/// The admin asking, outside any impersonation (a viewing admin must not widen what the
/// person they view as sees).
fn admin(principal: &Principal) -> AppResult<&Staff> {
    policy::refuse_while_impersonating(principal, Guarded::ManageUsers)?;
    policy::manage_teams(principal.require_staff()?)
}

pub async fn list(state: &AppState, principal: &Principal) -> AppResult<Vec<Team>> {
    admin(principal)?;
    let mut h = state.db.handle().await?;
    Ok(teams::list(&mut h.c()).await?)
}

/// The teams by name, for any staff member's filters (the board, metrics, lists).
pub async fn options(state: &AppState, principal: &Principal) -> AppResult<Vec<TeamMember>> {
    principal.require_staff()?;
    let mut h = state.db.handle().await?;
    Ok(teams::list(&mut h.c())
        .await?
        .into_iter()
        .map(|t| TeamMember {
            id: t.id,
            name: t.name,
        })
        .collect())
}

/// Tidies and checks a team's input: a name, and a manager and members who are active staff
/// (naming the field that is not).
async fn checked(c: &mut Conn<'_>, input: &mut TeamInput) -> AppResult<()> {
    input.normalize();
    input.validate()?;
    if let Some(manager) = input.manager_id {
        require_active_staff(c, manager, "manager_id").await?;
    }
    for member in &input.member_ids {
        require_active_staff(c, *member, "member_ids").await?;
    }
    Ok(())
}

fn taken(e: sqlx::Error, name: &str) -> AppError {
    if teams::NAME_TAKEN.violated_by(&e) {
        AppError::Conflict {
            message: format!("A team named {name} already exists."),
            existing_id: None,
            current: None,
        }
    } else {
        e.into()
    }
}

async fn record(
    c: &mut Conn<'_>,
    staff: &Staff,
    client: &ClientInfo,
    action: &str,
    id: Uuid,
    details: Value,
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<()> {
    let mut entry = audit_entry(action, client);
    entry.actor_id = Some(staff.user.id);
    entry.target_type = Some("team".into());
    entry.target_id = Some(id.to_string());
    entry.details = details;
    audit::insert(c, &entry, now).await?;
    Ok(())
}

pub async fn create(
    state: &AppState,
    principal: &Principal,
    client: &ClientInfo,
    mut input: TeamInput,
) -> AppResult<Team> {
    let staff = admin(principal)?;
    let id = Uuid::now_v7();
    let now = state.now();
    let mut tx = state.db.begin().await?;
    checked(&mut tx.c(), &mut input).await?;
    teams::insert(&mut tx.c(), id, &input.name, input.manager_id, now)
        .await
        .map_err(|e| taken(e, &input.name))?;
    teams::set_members(&mut tx.c(), id, &input.member_ids).await?;
    let details = json!({ "name": &input.name, "manager_id": input.manager_id, "member_ids": &input.member_ids });
    record(&mut tx.c(), staff, client, "team.created", id, details, now).await?;
    let team = teams::get(&mut tx.c(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    tx.commit().await?;
    Ok(team)
}

/// Replaces a team's name, manager and members with `input`.
pub async fn update(
    state: &AppState,
    principal: &Principal,
    client: &ClientInfo,
    id: Uuid,
    mut input: TeamInput,
) -> AppResult<Team> {
    let staff = admin(principal)?;
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let before = teams::get(&mut tx.c(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    checked(&mut tx.c(), &mut input).await?;
    teams::update(&mut tx.c(), id, &input.name, input.manager_id, now)
        .await
        .map_err(|e| taken(e, &input.name))?;
    teams::set_members(&mut tx.c(), id, &input.member_ids).await?;
    let after = teams::get(&mut tx.c(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    let details = json!({ "changes": crate::server::sales::changes(&before, &after) });
    record(&mut tx.c(), staff, client, "team.updated", id, details, now).await?;
    tx.commit().await?;
    Ok(after)
}

pub async fn delete(
    state: &AppState,
    principal: &Principal,
    client: &ClientInfo,
    id: Uuid,
) -> AppResult<()> {
    let staff = admin(principal)?;
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let before = teams::get(&mut tx.c(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    teams::delete(&mut tx.c(), id).await?;
    let details = json!({ "name": before.name, "member_ids": before.member_ids });
    record(&mut tx.c(), staff, client, "team.deleted", id, details, now).await?;
    tx.commit().await?;
    Ok(())
}

/// What each role an admin chooses for sees and edits (the defaults where none was chosen).
pub async fn visibility(state: &AppState, principal: &Principal) -> AppResult<Visibility> {
    admin(principal)?;
    let mut h = state.db.handle().await?;
    Ok(complete(&teams::visibility(&mut h.c()).await?))
}

/// Sets what the roles named in `change` see and edit, and whether they see money (kept when
/// left out); the others keep theirs. Takes effect on
/// each person's next request.
pub async fn set_visibility(
    state: &AppState,
    principal: &Principal,
    client: &ClientInfo,
    change: VisibilityChange,
) -> AppResult<Visibility> {
    let staff = admin(principal)?;
    check_visibility(&change)?;
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let before = complete(&teams::visibility(&mut tx.c()).await?);
    let mut changed = serde_json::Map::new();
    for (role, asked) in &change {
        let old: Option<&RoleReach> = before.get(role);
        let reach = asked.applied_to(
            old.copied()
                .unwrap_or_else(|| RoleReach::default_for(*role)),
        );
        if old != Some(&reach) {
            changed.insert(role.as_str().into(), json!({ "old": old, "new": reach }));
        }
        teams::set_role_reach(&mut tx.c(), *role, reach, now).await?;
    }
    if !changed.is_empty() {
        let mut entry = audit_entry("visibility.changed", client);
        entry.actor_id = Some(staff.user.id);
        entry.target_type = Some("visibility".into());
        entry.details = json!({ "changes": changed });
        audit::insert(&mut tx.c(), &entry, now).await?;
    }
    let after = complete(&teams::visibility(&mut tx.c()).await?);
    tx.commit().await?;
    Ok(after)
}
