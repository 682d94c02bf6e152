//! The one place that decides "may this principal do this to this record". Every server
//! function and REST handler asks here before it touches data, and the browser learns what it
//! may show from here too (`capabilities`, `me`, `user_actions`). The rules are split by what
//! they are about: records and roles here, whose records a staff member reaches and whether
//! they see money in `reach`, what may be done to people (users, impersonation) in `people`,
//! and which part of the HTTP API a request belongs to in `surface`.

mod people;
mod reach;
mod surface;
#[cfg(test)]
mod tests;

pub use people::*;
pub use reach::*;
pub use surface::*;

use crate::domain::error::AppError;
use crate::domain::records::RecordKind;
use crate::domain::team::{Reach, RoleReach, StaffReach};
use crate::domain::ticket::Ticket;
use crate::domain::user::{Area, CurrentUser, Me, Role};
use crate::server::db::Conn;
use crate::server::db::records::{self, RecordFacts};
use crate::server::db::teams;
use crate::server::db::tickets::Scope;
use crate::server::principal::{PortalUser, Principal, Staff};
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
    /// Admin-only settings: SLA policies, kickoff forms.
    Administer,
    /// Give a contact portal access (an invite, or a reset for one who has it), or take it away.
    ManagePortal,
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
    /// For tickets and contacts: the account and contact they belong to (what portal users
    /// are scoped by).
    pub account_id: Option<Uuid>,
    pub contact_id: Option<Uuid>,
    /// For contacts: who owns the account they work at.
    pub account_owner_id: Option<Uuid>,
    /// A particular record (rather than the kind, as for a listing or a create).
    pub particular: bool,
}

impl Target {
    pub fn kind(kind: RecordKind) -> Target {
        Target {
            kind,
            owner_id: None,
            assignee_id: None,
            about: None,
            account_id: None,
            contact_id: None,
            account_owner_id: None,
            particular: false,
        }
    }

    /// A particular ticket: sales see it through its account's owner, portal users through
    /// its account or contact.
    pub fn ticket(t: &Ticket) -> Target {
        Target {
            owner_id: t.account_owner_id,
            assignee_id: t.assignee_id,
            account_id: t.account_id,
            contact_id: t.contact_id,
            particular: true,
            ..Target::kind(RecordKind::Ticket)
        }
    }

    /// The asker's own contact record (the portal profile).
    pub fn own_contact(principal: &Principal) -> Target {
        Target {
            contact_id: principal.portal().map(|p| p.contact_id),
            particular: true,
            ..Target::kind(RecordKind::Contact)
        }
    }

    /// A particular record of `kind`, owned by `owner_id` (what a lead, account or
    /// opportunity is reached by).
    pub fn owned(kind: RecordKind, owner_id: Uuid) -> Target {
        Target {
            owner_id: Some(owner_id),
            particular: true,
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

    /// A particular record, from the facts read from its row.
    pub fn record(kind: RecordKind, facts: &RecordFacts) -> Target {
        Target {
            owner_id: facts.owner_id,
            assignee_id: facts.assignee_id,
            account_id: facts.account_id,
            contact_id: facts.contact_id,
            account_owner_id: facts.account_owner_id,
            particular: true,
            ..Target::kind(kind)
        }
    }
}

/// Authorizes `action` on the particular record `kind`/`id`, deciding from its own row (its
/// owner, account and contact), not from its kind. A record that does not exist, or that the
/// asker may not see, is not found. Used wherever a request reaches a record through another
/// (the activities, tasks and timeline of a record; an invite for a contact).
pub async fn authorize_record<'p>(
    c: &mut Conn<'_>,
    principal: &'p Principal,
    action: Action,
    kind: RecordKind,
    id: Uuid,
) -> Result<&'p Staff, AppError> {
    let staff = principal.require_staff()?;
    let facts = records::facts(c, kind, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let target = Target::record(kind, &facts);
    if action != Action::Read {
        // Whoever may not see the record must not learn that it exists by acting on it.
        decide(principal, Action::Read, target)?;
    }
    decide(principal, action, target)?;
    Ok(staff)
}

const SALES_RECORDS: [RecordKind; 4] = [
    RecordKind::Lead,
    RecordKind::Account,
    RecordKind::Contact,
    RecordKind::Opportunity,
];

/// Whether a staff member with `role` (and id `me`) may do `action` on `target`.
/// What a person may do at the level of record kinds, for the browser to show the controls
/// that will work: the same [`allows`] that decides each request.
pub fn capabilities(role: Role, me: Uuid, money: bool) -> crate::domain::user::Capabilities {
    use RecordKind::*;
    if !role.is_staff() {
        return Default::default();
    }
    let kinds = [Lead, Account, Contact, Opportunity, Activity, Task, Ticket];
    let may = |action: Action, kind: RecordKind| allows(role, me, action, Target::kind(kind));
    let names = |action: Action| {
        kinds
            .iter()
            .filter(|k| may(action, **k))
            .map(|k| k.as_str().to_string())
            .collect()
    };
    crate::domain::user::Capabilities {
        create: names(Action::Create),
        update: names(Action::Update),
        reopen: may(Action::Reopen, Opportunity),
        configure: may(Action::Configure, Opportunity),
        administer: may(Action::Administer, Form),
        areas: Area::ALL.into_iter().filter(|a| opens(role, *a)).collect(),
        grant: Role::STAFF
            .into_iter()
            .filter(|r| grant(role, *r).is_ok())
            .collect(),
        ticket_roles: Role::STAFF
            .into_iter()
            .filter(|r| takes_tickets(*r))
            .collect(),
        money,
    }
}

/// Whether `role` may open an area of the staff app (what the navigation offers; each request
/// in it is decided again by [`allows`]).
fn opens(role: Role, area: Area) -> bool {
    match area {
        Area::Admin => role.is_admin(),
        Area::Leads | Area::Pipeline => matches!(
            role,
            Role::SuperAdmin | Role::Admin | Role::Manager | Role::Sales
        ),
        Area::Tickets | Area::Opportunities | Area::Accounts | Area::Contacts | Area::Tasks => {
            role.is_staff()
        }
    }
}

pub fn allows(role: Role, me: Uuid, action: Action, target: Target) -> bool {
    use Action::*;
    use RecordKind::*;
    if action == Administer {
        return role.is_admin();
    }
    if target.kind == Form {
        return false;
    }
    match role {
        Role::SuperAdmin | Role::Admin | Role::Manager => true,
        Role::Sales => match (action, target.kind) {
            // The tickets of the accounts they own (a listing is filtered to those).
            (Read, Ticket) => !target.particular || target.owner_id == Some(me),
            (Read | Create | Update, k)
                if SALES_RECORDS.contains(&k) || matches!(k, Activity | Task) =>
            {
                true
            }
            (Qualify, Lead) => true,
            // Portal access is a customer's key: only the rep who owns the contact or its
            // account hands it out.
            (ManagePortal, Contact) => {
                target.particular
                    && (me_is(target.owner_id, me) || me_is(target.account_owner_id, me))
            }
            (Reassign, k) if SALES_RECORDS.contains(&k) => target.owner_id == Some(me),
            // A task is handed on by whoever does it or whoever set it.
            (Reassign, Task) => target.owner_id == Some(me) || target.assignee_id == Some(me),
            _ => false,
        },
        Role::Support => {
            let readable = |k: RecordKind| matches!(k, Account | Contact | Opportunity | Ticket);
            match (action, target.kind) {
                (Read | Create | Update, Ticket) => true,
                (ManagePortal, Contact) => true,
                (Read, k) if readable(k) => true,
                (Read | Create, Activity) => target.about.is_some_and(readable),
                (Read | Update, Task) => target.assignee_id == Some(me),
                _ => false,
            }
        }
        Role::Prospect | Role::Client => false,
    }
}

fn me_is(who: Option<Uuid>, me: Uuid) -> bool {
    who == Some(me)
}

/// Whether a portal user may do `action` on `target`: `Some(true)` yes, `Some(false)` not
/// theirs (answered as not found), `None` not a portal thing at all (forbidden).
pub fn portal_allows(p: &PortalUser, action: Action, target: Target) -> Option<bool> {
    use Action::*;
    match (target.kind, action) {
        (RecordKind::Ticket, Create) => Some(true),
        (RecordKind::Ticket, Read | Update) => {
            if !target.particular {
                return Some(true);
            }
            let own = target.contact_id == Some(p.contact_id);
            let account = p.role == Role::Client
                && p.account_id.is_some()
                && target.account_id == p.account_id;
            Some(own || account)
        }
        (RecordKind::Contact, Read | Update) => Some(target.contact_id == Some(p.contact_id)),
        _ => None,
    }
}

/// The one decision: may `principal` do `action` on `target`? 401 for nobody signed in; 404
/// for a record outside the asker's reach (so ids cannot be probed); 403 otherwise.
pub fn decide(principal: &Principal, action: Action, target: Target) -> Result<(), AppError> {
    match principal {
        Principal::Anonymous => Err(AppError::unauthorized()),
        Principal::Staff(s) => {
            let (role, me) = (s.user.role, s.user.id);
            if allows(role, me, action, target) {
                within_reach(s, action, target)
            } else if target.particular
                && action == Action::Read
                && allows(role, me, Action::Read, Target::kind(target.kind))
            {
                // A record of a kind they may see, but not this one: as if it did not exist.
                Err(AppError::NotFound)
            } else {
                Err(AppError::forbidden(denial(action, target.kind)))
            }
        }
        Principal::Portal(p) => match portal_allows(p, action, target) {
            Some(true) => Ok(()),
            Some(false) => Err(AppError::NotFound),
            None => Err(AppError::forbidden(
                "This part of the CRM is for staff. Your tickets are in the portal.",
            )),
        },
    }
}

/// The staff member asking, if they may do `action` on `target`.
pub fn authorize<'p>(
    principal: &'p Principal,
    action: Action,
    target: Target,
) -> Result<&'p Staff, AppError> {
    decide(principal, action, target)?;
    principal.require_staff()
}

/// The portal user asking, if they may do `action` on `target`. Staff are refused: the
/// portal's answers are shaped for customers (staff see tickets in the queue).
pub fn authorize_portal<'p>(
    principal: &'p Principal,
    action: Action,
    target: Target,
) -> Result<&'p PortalUser, AppError> {
    if principal.staff().is_some() {
        return Err(AppError::forbidden(
            "The portal is for customers; staff work tickets in the support queue.",
        ));
    }
    decide(principal, action, target)?;
    principal.portal().ok_or_else(AppError::unauthorized)
}

/// Whether the asker may see an import (and its outcome file): whoever started it, managers
/// and admins; to anyone else it does not exist.
pub fn may_see_import(
    principal: &Principal,
    kind: RecordKind,
    started_by: Uuid,
) -> Result<&Staff, AppError> {
    let staff = authorize(principal, Action::Read, Target::kind(kind))?;
    let oversees = matches!(
        staff.user.role,
        Role::Manager | Role::Admin | Role::SuperAdmin
    );
    if staff.user.id == started_by || oversees {
        Ok(staff)
    } else {
        Err(AppError::NotFound)
    }
}

/// Which tickets a staff member's listings show.
pub fn ticket_scope(staff: &Staff) -> Scope {
    match staff.user.role {
        Role::Sales => Scope::AccountsOwnedBy(staff.user.id),
        _ => Scope::All,
    }
}

/// Which tickets a portal user sees: a client, every ticket of their account; a prospect
/// (or a client without an account), the tickets they opened.
pub fn portal_scope(p: &PortalUser) -> Scope {
    match (p.role, p.account_id) {
        (Role::Client, Some(account)) => Scope::Account(account),
        _ => Scope::Contact(p.contact_id),
    }
}

fn denial(action: Action, kind: RecordKind) -> String {
    if action == Action::Configure {
        return "Only managers and admins change how the pipeline works.".into();
    }
    if action == Action::ManagePortal {
        return "Portal access is given by the contact's owner, the owner of its account, \
                support, managers and admins."
            .into();
    }
    if action == Action::Administer || kind == RecordKind::Form {
        return "Only admins change this setting.".into();
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
        Action::Administer => "administer",
        Action::ManagePortal => "give portal access to",
    }
}

/// What the browser is told about who is signed in, with what the policy lets them do.
pub fn me(principal: &Principal) -> Option<Me> {
    let (user, by, money) = match principal {
        Principal::Staff(s) => (s.user.clone(), s.impersonator.as_ref(), sees_money(s)),
        Principal::Portal(p) => (
            CurrentUser {
                id: p.contact_id,
                email: p.email.clone(),
                name: p.name.clone(),
                role: p.role,
            },
            p.impersonator.as_ref(),
            false,
        ),
        Principal::Anonymous => return None,
    };
    Some(Me {
        can: capabilities(user.role, user.id, money),
        user,
        impersonator: by.map(|i| i.admin.clone()),
        impersonation_ends_at: by.map(|i| i.ends_at),
    })
}
