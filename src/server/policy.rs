//! The one place that decides "may this principal do this to this record". Every server
//! function and REST handler asks here before it touches data.

use super::auth::{Principal, Staff};
use crate::domain::error::AppError;
use crate::domain::records::RecordKind;
use crate::domain::user::Role;
use uuid::Uuid;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Read,
    Create,
    Update,
    Delete,
    /// Give a record to another owner.
    Reassign,
    /// Turn a lead into account, contact and opportunity.
    Qualify,
    /// Move a closed (won or lost) opportunity back to an open stage.
    Reopen,
    /// Change how the CRM works for everyone (the pipeline's stages, targets).
    Configure,
}

/// What is being acted on: a kind of record, and what about the particular record matters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Target {
    pub kind: RecordKind,
    pub owner_id: Option<Uuid>,
    /// For tasks: who does it.
    pub assignee_id: Option<Uuid>,
    /// For activities and tasks: the kind of record they are about.
    pub about: Option<RecordKind>,
}

impl Target {
    pub fn kind(kind: RecordKind) -> Target {
        Target {
            kind,
            owner_id: None,
            assignee_id: None,
            about: None,
        }
    }

    pub fn owned(kind: RecordKind, owner_id: Uuid) -> Target {
        Target {
            owner_id: Some(owner_id),
            ..Target::kind(kind)
        }
    }

    pub fn activity_on(about: RecordKind) -> Target {
        Target {
            about: Some(about),
            ..Target::kind(RecordKind::Activity)
        }
    }

    pub fn task(assignee_id: Option<Uuid>, about: Option<RecordKind>) -> Target {
        Target {
            assignee_id,
            about,
            ..Target::kind(RecordKind::Task)
        }
    }
}

const SALES_RECORDS: [RecordKind; 4] = [
    RecordKind::Lead,
    RecordKind::Account,
    RecordKind::Contact,
    RecordKind::Opportunity,
];

/// Whether a staff member with `role` (and id `me`) may do `action` on `target`.
pub fn allows(role: Role, me: Uuid, action: Action, target: Target) -> bool {
    use Action::*;
    use RecordKind::*;
    let everything = matches!(role, Role::SuperAdmin | Role::Admin | Role::Manager);
    match role {
        _ if everything => true,
        Role::Sales => match (action, target.kind) {
            (Read | Create | Update, k)
                if SALES_RECORDS.contains(&k) || matches!(k, Activity | Task) =>
            {
                true
            }
            (Qualify, Lead) => true,
            (Reassign, k) if SALES_RECORDS.contains(&k) || k == Task => target.owner_id == Some(me),
            _ => false,
        },
        Role::Support => {
            let readable = |k: RecordKind| matches!(k, Account | Contact | Opportunity);
            match (action, target.kind) {
                (Read, k) if readable(k) => true,
                (Read | Create, Activity) => target.about.is_some_and(readable),
                (Read | Update, Task) => target.assignee_id == Some(me),
                _ => false,
            }
        }
        Role::Prospect | Role::Client => false,
        _ => false,
    }
}

/// The staff member asking, if they may do `action` on `target`: 401 for nobody signed in,
/// 403 otherwise.
pub fn authorize<'p>(
    principal: &'p Principal,
    action: Action,
    target: Target,
) -> Result<&'p Staff, AppError> {
    let staff = principal.require_staff()?;
    if allows(staff.user.role, staff.user.id, action, target) {
        Ok(staff)
    } else {
        Err(AppError::forbidden(denial(action, target.kind)))
    }
}

fn denial(action: Action, kind: RecordKind) -> String {
    if action == Action::Configure {
        return "Only managers and admins change how the pipeline works.".into();
    }
    let what = match kind {
        RecordKind::Opportunity => "opportunities",
        RecordKind::Activity => "activities",
        other => return format!("Your role cannot {} {}s.", verb(action), other.as_str()),
    };
    format!("Your role cannot {} {what}.", verb(action))
}

fn verb(action: Action) -> &'static str {
    match action {
        Action::Read => "see",
        Action::Create => "create",
        Action::Update => "edit",
        Action::Delete => "delete",
        Action::Reassign => "reassign",
        Action::Qualify => "qualify",
        Action::Reopen => "reopen",
        Action::Configure => "configure",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Action::*;
    use RecordKind::*;

    #[test]
    fn the_sales_records_rules() {
        let me = Uuid::now_v7();
        let other = Uuid::now_v7();
        for role in [Role::SuperAdmin, Role::Admin, Role::Manager] {
            assert!(allows(role, me, Delete, Target::kind(Lead)));
            assert!(allows(role, me, Reassign, Target::owned(Account, other)));
            assert!(allows(role, me, Reopen, Target::kind(Opportunity)));
        }
        assert!(allows(Role::Sales, me, Create, Target::kind(Lead)));
        assert!(allows(Role::Sales, me, Update, Target::kind(Opportunity)));
        assert!(allows(Role::Sales, me, Reassign, Target::owned(Lead, me)));
        assert!(!allows(
            Role::Sales,
            me,
            Reassign,
            Target::owned(Lead, other)
        ));
        assert!(!allows(Role::Sales, me, Delete, Target::kind(Contact)));
        assert!(!allows(Role::Sales, me, Reopen, Target::kind(Opportunity)));

        assert!(allows(Role::Support, me, Read, Target::kind(Account)));
        assert!(!allows(Role::Support, me, Read, Target::kind(Lead)));
        assert!(!allows(Role::Support, me, Update, Target::kind(Contact)));
        assert!(allows(
            Role::Support,
            me,
            Create,
            Target::activity_on(Opportunity)
        ));
        assert!(!allows(
            Role::Support,
            me,
            Create,
            Target::activity_on(Lead)
        ));
        assert!(allows(
            Role::Support,
            me,
            Update,
            Target::task(Some(me), None)
        ));
        assert!(!allows(
            Role::Support,
            me,
            Update,
            Target::task(Some(other), None)
        ));
        assert!(!allows(Role::Client, me, Read, Target::kind(Account)));
    }

    #[test]
    fn nobody_signed_in_is_401_and_a_refusal_is_403() {
        let err = authorize(&Principal::Anonymous, Read, Target::kind(Lead)).unwrap_err();
        assert_eq!(err.status(), 401);
    }
}
