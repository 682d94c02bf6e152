//! Teams and record visibility: who works together, and per role whose records its users see
//! and edit. Shared so the admin page validates what the server enforces.

use super::error::AppError;
use super::user::Role;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

/// Whose records a role reaches: the user's own, also their teams' (the records of everyone
/// in a team they are in or manage), or every record.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Reach {
    Own,
    Team,
    #[default]
    All,
}

impl Reach {
    pub const ALL: [Reach; 3] = [Reach::Own, Reach::Team, Reach::All];

    pub fn as_str(self) -> &'static str {
        match self {
            Reach::Own => "own",
            Reach::Team => "team",
            Reach::All => "all",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Reach::Own => "Their own records",
            Reach::Team => "Their teams' records",
            Reach::All => "All records",
        }
    }
}

impl fmt::Display for Reach {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Reach {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Reach::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| format!("Use own, team or all (not {s:?})."))
    }
}

/// What one role's users see and edit, and whether they see money: an opportunity's value,
/// an account's revenue, and every figure summed from them (totals, metrics, targets).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RoleReach {
    pub see: Reach,
    pub edit: Reach,
    /// Left out: shown (today's behaviour).
    #[serde(default = "shown")]
    pub money: bool,
}

fn shown() -> bool {
    true
}

impl RoleReach {
    /// Today's behaviour before an admin chooses: everyone sees every record of the kinds
    /// their role may read; sales edit their own and their teams' records.
    pub fn default_for(role: Role) -> RoleReach {
        // Admins are never narrowed (see CHOSEN_FOR); everyone else starts here.
        RoleReach {
            see: Reach::All,
            edit: if role == Role::Sales {
                Reach::Team
            } else {
                Reach::All
            },
            money: true,
        }
    }
}

/// Per staff role, what its users see and edit (`{"sales": {"see": "team", "edit": "own"}}`).
/// A role left out keeps what it has.
pub type Visibility = BTreeMap<Role, RoleReach>;

/// A change to one role's visibility: `money` left out keeps what the role has.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ReachChange {
    pub see: Reach,
    pub edit: Reach,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub money: Option<bool>,
}

impl ReachChange {
    /// The role's visibility after this change, from what it had.
    pub fn applied_to(self, before: RoleReach) -> RoleReach {
        RoleReach {
            see: self.see,
            edit: self.edit,
            money: self.money.unwrap_or(before.money),
        }
    }
}

impl From<RoleReach> for ReachChange {
    fn from(r: RoleReach) -> ReachChange {
        ReachChange {
            see: r.see,
            edit: r.edit,
            money: Some(r.money),
        }
    }
}

/// Per role, what an admin changes (`{"sales": {"see": "team", "edit": "own", "money": false}}`).
pub type VisibilityChange = BTreeMap<Role, ReachChange>;

/// The roles whose visibility an admin chooses. Admins and super admins always see and edit
/// every record: they run the CRM, and must not be able to hide records from themselves.
pub const CHOSEN_FOR: [Role; 3] = [Role::Manager, Role::Sales, Role::Support];

/// The visibility of every role an admin chooses for, with the defaults where `stored` is
/// silent.
pub fn complete(stored: &Visibility) -> Visibility {
    CHOSEN_FOR
        .into_iter()
        .map(|r| {
            (
                r,
                stored
                    .get(&r)
                    .copied()
                    .unwrap_or_else(|| RoleReach::default_for(r)),
            )
        })
        .collect()
}

/// Whose records one signed-in staff member reaches: what their role sees and edits, and the
/// people they share a team with (themselves included). Read once per request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StaffReach {
    pub see: Reach,
    pub edit: Reach,
    pub team: Vec<Uuid>,
    /// Whether they see (and may set) money amounts.
    pub money: bool,
}

impl Default for StaffReach {
    /// Every record (for work that is not a person's: the command line, tests of the rules).
    fn default() -> StaffReach {
        StaffReach {
            see: Reach::All,
            edit: Reach::All,
            team: Vec::new(),
            money: true,
        }
    }
}

/// Refuses a change that names a portal role, or edits beyond what it sees (an edit needs the
/// record in sight).
pub fn check_visibility(change: &VisibilityChange) -> Result<(), AppError> {
    for (role, reach) in change {
        if !role.is_staff() {
            return Err(AppError::invalid(
                role.as_str(),
                "Portal users see only their own tickets; choose a staff role.",
            ));
        }
        if !CHOSEN_FOR.contains(role) {
            return Err(AppError::invalid(
                role.as_str(),
                "Admins always see and edit every record.",
            ));
        }
        if reach.edit > reach.see {
            return Err(AppError::invalid(
                role.as_str(),
                "A role cannot edit records it does not see.",
            ));
        }
    }
    Ok(())
}

/// A member of a team, as lists show them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TeamMember {
    pub id: Uuid,
    pub name: String,
}

/// A team: its name, its manager and its members.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Team {
    pub id: Uuid,
    pub name: String,
    pub manager_id: Option<Uuid>,
    pub manager_name: Option<String>,
    pub member_ids: Vec<Uuid>,
    pub members: Vec<TeamMember>,
}

/// A new team, or the whole of a changed one.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TeamInput {
    pub name: String,
    #[serde(default)]
    pub manager_id: Option<Uuid>,
    #[serde(default)]
    pub member_ids: Vec<Uuid>,
}

pub const TEAM_NAME_MAX: usize = 80;

impl TeamInput {
    /// Trims the name and drops repeated members.
    pub fn normalize(&mut self) {
        self.name = self.name.trim().to_string();
        let mut seen = Vec::new();
        self.member_ids.retain(|id| {
            let new = !seen.contains(id);
            seen.push(*id);
            new
        });
    }

    pub fn validate(&self) -> Result<(), AppError> {
        if self.name.is_empty() {
            return Err(AppError::invalid("name", "Give the team a name."));
        }
        if self.name.chars().count() > TEAM_NAME_MAX {
            return Err(AppError::invalid(
                "name",
                format!("Use at most {TEAM_NAME_MAX} characters."),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_keep_sight_and_keep_sales_to_their_teams_edits() {
        let all = complete(&Visibility::new());
        assert_eq!(all.len(), CHOSEN_FOR.len());
        assert_eq!(all[&Role::Sales].see, Reach::All);
        assert_eq!(all[&Role::Sales].edit, Reach::Team);
        assert_eq!(all[&Role::Support].edit, Reach::All);
        let json = serde_json::json!({"sales": {"see": "team", "edit": "own"}});
        let v: Visibility = serde_json::from_value(json.clone()).expect("parses");
        let change: VisibilityChange = serde_json::from_value(json).expect("parses");
        assert!(check_visibility(&change).is_ok());
        assert_eq!(complete(&v)[&Role::Sales].see, Reach::Team);
    }

    #[test]
    fn money_shows_until_an_admin_hides_it_and_a_change_without_it_keeps_it() {
        assert!(complete(&Visibility::new()).values().all(|r| r.money));
        let hidden = RoleReach {
            money: false,
            ..RoleReach::default_for(Role::Sales)
        };
        let change: ReachChange =
            serde_json::from_value(serde_json::json!({"see": "team", "edit": "own"}))
                .expect("parses");
        assert!(!change.applied_to(hidden).money);
        let shown: ReachChange = serde_json::from_value(
            serde_json::json!({"see": "team", "edit": "own", "money": true}),
        )
        .expect("parses");
        assert!(shown.applied_to(hidden).money);
    }

    #[test]
    fn a_role_cannot_edit_beyond_what_it_sees_and_portal_roles_are_refused() {
        let wide = VisibilityChange::from([(
            Role::Sales,
            ReachChange {
                see: Reach::Own,
                edit: Reach::Team,
                money: None,
            },
        )]);
        assert!(check_visibility(&wide).is_err());
        let portal =
            VisibilityChange::from([(Role::Client, RoleReach::default_for(Role::Client).into())]);
        assert!(check_visibility(&portal).is_err());
        let admin =
            VisibilityChange::from([(Role::Admin, RoleReach::default_for(Role::Admin).into())]);
        assert!(check_visibility(&admin).is_err());
        let mut t = TeamInput {
            name: "  East ".into(),
            manager_id: None,
            member_ids: vec![Uuid::nil(), Uuid::nil()],
        };
        t.normalize();
        assert_eq!((t.name.as_str(), t.member_ids.len()), ("East", 1));
        assert!(TeamInput::default().validate().is_err());
    }
}
