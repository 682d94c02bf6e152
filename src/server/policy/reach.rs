//! Whose records a staff member reaches (their role's visibility, their teams), read once
//! per request, and whether they see money.

use super::*;

/// Whether a particular record is within the asker's reach for `action`: reading needs it in
/// sight (else it is not found), anything else in the role's edit reach (else forbidden, as the
/// record is there to see).
pub(super) fn within_reach(s: &Staff, action: Action, target: Target) -> Result<(), AppError> {
    if !target.particular {
        return Ok(());
    }
    if !reaches(s, s.reach.see, target) {
        return Err(AppError::NotFound);
    }
    if action != Action::Read && !reaches(s, s.reach.edit, target) {
        return Err(AppError::forbidden(match s.reach.edit {
            Reach::Own => "You can see this record, but your role edits only your own records.",
            _ => "You can see this record, but your role edits only your teams' records.",
        }));
    }
    Ok(())
}

/// Refuses a change to a record the asker sees (by whatever path) when it is outside their
/// role's edit reach.
pub fn edit_within(s: &Staff, target: Target) -> Result<(), AppError> {
    if reaches(s, s.reach.edit, target) {
        Ok(())
    } else {
        Err(AppError::forbidden(match s.reach.edit {
            Reach::Own => {
                "You can see this task, but your role edits only the tasks you set or do."
            }
            _ => "You can see this task, but your role edits only the tasks your teams set or do.",
        }))
    }
}

/// Whether `target` belongs to someone within `level` of `s`: its owner (a ticket's, the owner
/// of its account), or whoever does it (a task's or ticket's assignee), or for a contact the
/// owner of its account. The rule [`listed`] writes into a list's query, where notes and tasks
/// are also listed with the records they are about (one reached through its record is checked
/// where it is reached: a timeline, a task's record).
pub(super) fn reaches(s: &Staff, level: Reach, target: Target) -> bool {
    let Some(people) = people_within(s, level) else {
        return true;
    };
    let has = |who: Option<Uuid>| who.is_some_and(|w| people.contains(&w));
    match target.kind {
        RecordKind::Contact => has(target.owner_id) || has(target.account_owner_id),
        RecordKind::Ticket | RecordKind::Task => has(target.owner_id) || has(target.assignee_id),
        _ => has(target.owner_id),
    }
}

/// The people whose records `level` reaches for `s`; `None` for every record.
pub(super) fn people_within(s: &Staff, level: Reach) -> Option<&[Uuid]> {
    match level {
        Reach::All => None,
        Reach::Own => Some(std::slice::from_ref(&s.user.id)),
        Reach::Team => Some(&s.reach.team),
    }
}

/// Whether `staff` sees the record `kind` with these facts (read from its row).
pub fn sees(staff: &Staff, kind: RecordKind, facts: &RecordFacts) -> bool {
    reaches(staff, staff.reach.see, Target::record(kind, facts))
}

/// The people whose records `staff` sees; `None` for every record.
pub fn sight(staff: &Staff) -> Option<&[Uuid]> {
    people_within(staff, staff.reach.see)
}

/// The owners whose deals the pipeline's figures may count for `staff`: those they see, and
/// of those the members of the chosen team (`team`); `None` for everyone's.
pub fn among(staff: &Staff, team: Option<Vec<Uuid>>) -> Option<Vec<Uuid>> {
    match (people_within(staff, staff.reach.see), team) {
        (None, team) => team,
        (Some(seen), None) => Some(seen.to_vec()),
        (Some(seen), Some(team)) => Some(team.into_iter().filter(|p| seen.contains(p)).collect()),
    }
}

/// Whose records `user` (with `role`) sees and edits: what an admin chose for the role (or the
/// defaults), and everyone they share a team with when that matters.
pub async fn reach(c: &mut Conn<'_>, user: Uuid, role: Role) -> Result<StaffReach, AppError> {
    let chosen = if crate::domain::team::CHOSEN_FOR.contains(&role) {
        teams::role_reach(c, role)
            .await?
            .unwrap_or_else(|| RoleReach::default_for(role))
    } else {
        RoleReach::default_for(role)
    };
    let team = if chosen.see == Reach::Team || chosen.edit == Reach::Team {
        teams::teammates(c, user).await?
    } else {
        vec![user]
    };
    Ok(StaffReach {
        see: chosen.see,
        edit: chosen.edit,
        team,
        money: chosen.money,
    })
}

/// Whether the asker sees money: opportunity values, account revenue and every figure summed
/// from them. Anyone else gets those fields blank (`null`), wherever a record or figure leaves
/// the server.
pub fn sees_money(staff: &Staff) -> bool {
    staff.reach.money
}

/// A list sorted by a money field would rank what the asker may not see (and carry the amount
/// in its cursor): only for those who see money.
pub fn may_sort_by(staff: &Staff, sort: Option<&str>) -> Result<(), AppError> {
    let by = sort.map(|s| s.trim_start_matches('-'));
    if by.is_some_and(crate::domain::money::is_money) && !sees_money(staff) {
        return Err(AppError::forbidden(
            "Your role does not see money amounts, so lists cannot be sorted by them.",
        ));
    }
    Ok(())
}

/// `value` as the asker may read it: with its money blank unless they see money.
pub fn shown<T: crate::domain::money::HidesMoney>(staff: &Staff, mut value: T) -> T {
    if !sees_money(staff) {
        value.hide_money();
    }
    value
}

/// A write that sets a money field (`touches`) needs the money in sight: a role that does not
/// see values cannot overwrite one it cannot read.
pub fn may_set_money(staff: &Staff, touches: bool) -> Result<(), AppError> {
    if touches && !sees_money(staff) {
        return Err(AppError::forbidden(
            "Your role does not see money amounts, so it cannot set them. Leave the value out.",
        ));
    }
    Ok(())
}
