//! Teams, their members, and what each role sees and edits.

use super::{Conn, on};
use crate::domain::team::{Reach, RoleReach, Team, TeamMember, Visibility};
use crate::domain::user::Role;
use chrono::{DateTime, Utc};
use uuid::Uuid;

#[derive(sqlx::FromRow)]
struct TeamRow {
    id: Uuid,
    name: String,
    manager_id: Option<Uuid>,
    manager_name: Option<String>,
}

#[derive(sqlx::FromRow)]
struct MemberRow {
    team_id: Uuid,
    id: Uuid,
    name: String,
}

/// Every team by name, with its members by name.
pub async fn list(c: &mut Conn<'_>) -> Result<Vec<Team>, sqlx::Error> {
    let teams: Vec<TeamRow> = on!(c, c => sqlx::query_as(
        "select t.id, t.name, t.manager_id, u.name as manager_name
         from teams t left join users u on u.id = t.manager_id
         order by lower(t.name), t.id",
    )
    .fetch_all(c)
    .await)?;
    let members: Vec<MemberRow> = on!(c, c => sqlx::query_as(
        "select m.team_id, u.id, u.name from team_members m join users u on u.id = m.user_id
         order by lower(u.name), u.id",
    )
    .fetch_all(c)
    .await)?;
    Ok(teams
        .into_iter()
        .map(|t| {
            let members: Vec<TeamMember> = members
                .iter()
                .filter(|m| m.team_id == t.id)
                .map(|m| TeamMember {
                    id: m.id,
                    name: m.name.clone(),
                })
                .collect();
            Team {
                id: t.id,
                name: t.name,
                manager_id: t.manager_id,
                manager_name: t.manager_name,
                member_ids: members.iter().map(|m| m.id).collect(),
                members,
            }
        })
        .collect())
}

pub async fn get(c: &mut Conn<'_>, id: Uuid) -> Result<Option<Team>, sqlx::Error> {
    Ok(list(c).await?.into_iter().find(|t| t.id == id))
}

/// Team names are unique, in any case.
pub const NAME_TAKEN: super::Unique = super::Unique {
    postgres: "teams_name_key",
    sqlite: "teams.name",
};

/// Inserts a team; a name already taken (in any case) fails on [`NAME_TAKEN`].
pub async fn insert(
    c: &mut Conn<'_>,
    id: Uuid,
    name: &str,
    manager_id: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let sql = "insert into teams (id, name, manager_id, created_at, updated_at)
               values ($1, $2, $3, $4, $4)";
    on!(c, c => sqlx::query(sql).bind(id).bind(name).bind(manager_id).bind(now)
        .execute(c).await.map(|_| ()))?;
    moved(c).await
}

pub async fn update(
    c: &mut Conn<'_>,
    id: Uuid,
    name: &str,
    manager_id: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let sql = "update teams set name = $2, manager_id = $3, updated_at = $4 where id = $1";
    let found = on!(c, c => sqlx::query(sql).bind(id).bind(name).bind(manager_id).bind(now)
        .execute(c).await.map(|r| r.rows_affected() == 1))?;
    moved(c).await?;
    Ok(found)
}

/// Makes `members` the team's whole membership.
pub async fn set_members(c: &mut Conn<'_>, id: Uuid, members: &[Uuid]) -> Result<(), sqlx::Error> {
    on!(c, c => sqlx::query("delete from team_members where team_id = $1").bind(id)
        .execute(c).await.map(|_| ()))?;
    for user in members {
        on!(c, c => sqlx::query("insert into team_members (team_id, user_id) values ($1, $2)")
            .bind(id).bind(user).execute(c).await.map(|_| ()))?;
    }
    moved(c).await
}

pub async fn delete(c: &mut Conn<'_>, id: Uuid) -> Result<bool, sqlx::Error> {
    on!(c, c => sqlx::query("delete from team_members where team_id = $1").bind(id)
        .execute(c).await.map(|_| ()))?;
    let found = on!(c, c => sqlx::query("delete from teams where id = $1").bind(id).execute(c).await
        .map(|r| r.rows_affected() == 1))?;
    moved(c).await?;
    Ok(found)
}

/// Moves the reach generation on, in the transaction of the change that moved reach: every
/// server then reads reach afresh at its next request (see `state::ReachMemo`).
async fn moved(c: &mut Conn<'_>) -> Result<(), sqlx::Error> {
    on!(c, c => sqlx::query("update reach_generation set n = n + 1 where id = 1")
        .execute(c).await.map(|_| ()))
}

/// Everyone who shares a team with `user` (as a member or its manager), `user` included.
pub async fn teammates(c: &mut Conn<'_>, user: Uuid) -> Result<Vec<Uuid>, sqlx::Error> {
    let sql = "with mine as (
                   select team_id from team_members where user_id = $1
                   union select id from teams where manager_id = $1)
               select user_id from team_members where team_id in (select team_id from mine)
               union select manager_id from teams
                     where manager_id is not null and id in (select team_id from mine)";
    let mut ids: Vec<Uuid> = on!(c, c => sqlx::query_scalar(sql).bind(user).fetch_all(c).await)?;
    ids.push(user);
    ids.sort();
    ids.dedup();
    Ok(ids)
}

/// The members of one team and its manager (what a "filter by team" means).
pub async fn people(c: &mut Conn<'_>, team: Uuid) -> Result<Vec<Uuid>, sqlx::Error> {
    let sql = "select user_id from team_members where team_id = $1
               union select manager_id from teams where id = $1 and manager_id is not null";
    on!(c, c => sqlx::query_scalar(sql).bind(team).fetch_all(c).await)
}

/// What an admin has chosen per role (roles not chosen are absent).
pub async fn visibility(c: &mut Conn<'_>) -> Result<Visibility, sqlx::Error> {
    let rows: Vec<(Role, Reach, Reach, bool)> = on!(c, c => sqlx::query_as(
        "select role, see, edit, money from role_visibility",
    )
    .fetch_all(c)
    .await)?;
    Ok(rows
        .into_iter()
        .map(|(role, see, edit, money)| (role, RoleReach { see, edit, money }))
        .collect())
}

/// What one role sees and edits, if an admin has chosen.
pub async fn role_reach(c: &mut Conn<'_>, role: Role) -> Result<Option<RoleReach>, sqlx::Error> {
    let row: Option<(Reach, Reach, bool)> = on!(c, c => sqlx::query_as(
        "select see, edit, money from role_visibility where role = $1",
    )
    .bind(role)
    .fetch_optional(c)
    .await)?;
    Ok(row.map(|(see, edit, money)| RoleReach { see, edit, money }))
}

pub async fn set_role_reach(
    c: &mut Conn<'_>,
    role: Role,
    reach: RoleReach,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let sql = "insert into role_visibility (role, see, edit, money, updated_at)
               values ($1, $2, $3, $4, $5)
               on conflict (role) do update set see = excluded.see, edit = excluded.edit,
                                                money = excluded.money,
                                                updated_at = excluded.updated_at";
    on!(c, c => sqlx::query(sql).bind(role).bind(reach.see).bind(reach.edit).bind(reach.money)
        .bind(now).execute(c).await.map(|_| ()))?;
    moved(c).await
}
