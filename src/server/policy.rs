//! The one place that decides "may this principal do this to this record". Every server
//! function and REST handler asks here before it touches data, and the browser learns what it
//! may show from here too (`capabilities`, `user_actions`). One file on purpose, over the usual
//! length: the rules read best side by side, and a third of it is their tests.

use super::auth::{PortalUser, Principal, Staff};
use super::db::Conn;
use super::db::records::{self, RecordFacts};
use super::db::teams;
use super::db::tickets::Scope;
use crate::domain::error::AppError;
use crate::domain::records::RecordKind;
use crate::domain::team::{Reach, RoleReach, StaffReach};
use crate::domain::ticket::Ticket;
use crate::domain::user::{Area, Role};
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

/// Whether a particular record is within the asker's reach for `action`: reading needs it in
/// sight (else it is not found), anything else in the role's edit reach (else forbidden, as the
/// record is there to see).
fn within_reach(s: &Staff, action: Action, target: Target) -> Result<(), AppError> {
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
fn reaches(s: &Staff, level: Reach, target: Target) -> bool {
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
fn people_within(s: &Staff, level: Reach) -> Option<&[Uuid]> {
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

/// What an admin may change about a staff user.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct UserChange {
    pub name: bool,
    pub role: Option<Role>,
    pub active: Option<bool>,
    /// End their sessions, or issue them a password-reset link.
    pub security: bool,
}

/// Whether `actor` may make `change` to the user `target_id` with role `target_role`.
/// Admins manage managers, sales and support, and may rename other admins; only a super admin
/// grants or removes `admin` and `super_admin`, or touches an admin's access. The "last
/// active super admin" rule needs the database and is checked where the change is made.
pub fn user_change(
    actor: &Staff,
    target_id: Uuid,
    target_role: Role,
    change: &UserChange,
) -> Result<(), AppError> {
    let role = actor.user.role;
    if !role.is_admin() {
        return Err(AppError::forbidden("Only admins manage users."));
    }
    let own = actor.user.id == target_id;
    if own && change.active == Some(false) {
        return Err(AppError::forbidden(
            "You cannot deactivate yourself; ask another admin.",
        ));
    }
    // A super admin may change anything, their own role included (the last active super
    // admin is kept by the check where the change is made).
    if role == Role::SuperAdmin {
        return Ok(());
    }
    if change
        .role
        .is_some_and(|r| r.is_admin() && r != target_role)
    {
        return Err(AppError::forbidden(
            "Only a super admin grants the admin and super admin roles.",
        ));
    }
    let touches_access =
        change.role.is_some_and(|r| r != target_role) || change.active.is_some() || change.security;
    if target_role.is_admin() && touches_access {
        return Err(AppError::forbidden(
            "Only a super admin changes an admin's role, access or sessions.",
        ));
    }
    Ok(())
}

/// Whether an admin may create a user with `role`.
pub fn user_create(actor: &Staff, role: Role) -> Result<(), AppError> {
    grant(actor.user.role, role)
}

fn grant(actor: Role, role: Role) -> Result<(), AppError> {
    match actor {
        Role::SuperAdmin => Ok(()),
        Role::Admin if !role.is_admin() => Ok(()),
        Role::Admin => Err(AppError::forbidden(
            "Only a super admin grants the admin and super admin roles.",
        )),
        _ => Err(AppError::forbidden("Only admins manage users.")),
    }
}

/// Who may be assigned a ticket: support, and the managers and admins who oversee it.
pub fn takes_tickets(role: Role) -> bool {
    matches!(
        role,
        Role::Support | Role::Manager | Role::Admin | Role::SuperAdmin
    )
}

/// Whether `staff` may create a record owned by someone else (managers and admins).
pub fn create_for_others(staff: &Staff) -> Result<(), AppError> {
    if matches!(
        staff.user.role,
        Role::Manager | Role::Admin | Role::SuperAdmin
    ) {
        Ok(())
    } else {
        Err(AppError::forbidden(
            "Only managers and admins create records for someone else.",
        ))
    }
}

/// The staff asking, if their role may view the CRM as someone at all (admins); whom exactly
/// is [`may_impersonate_user`] and [`may_impersonate_contact`].
pub fn impersonate(staff: &Staff) -> Result<&Staff, AppError> {
    admins_only(staff, "Only admins can view the CRM as someone else.")
}

/// The staff asking, if they may manage teams and what each role sees (admins).
pub fn manage_teams(staff: &Staff) -> Result<&Staff, AppError> {
    admins_only(
        staff,
        "Only admins manage teams and who sees which records.",
    )
}

/// The staff asking, if they may manage users at all (admins).
pub fn manage_users(staff: &Staff) -> Result<&Staff, AppError> {
    admins_only(staff, "Only admins manage users.")
}

fn admins_only<'s>(staff: &'s Staff, refusal: &'static str) -> Result<&'s Staff, AppError> {
    if staff.user.role.is_admin() {
        Ok(staff)
    } else {
        Err(AppError::forbidden(refusal))
    }
}

/// What `actor` may do to the staff user `id` (with `role`, active or not): the answers of
/// [`user_change`] and [`may_impersonate_user`], for the users page to offer.
pub fn user_actions(
    actor: &Staff,
    id: Uuid,
    role: Role,
    active: bool,
) -> crate::domain::admin::UserActions {
    let may = |change: UserChange| user_change(actor, id, role, &change).is_ok();
    let own = actor.user.id == id;
    let access = !own
        && may(UserChange {
            active: Some(!active),
            security: true,
            ..Default::default()
        });
    let others: Vec<Role> = Role::STAFF
        .into_iter()
        .filter(|r| {
            may(UserChange {
                role: Some(*r),
                ..Default::default()
            })
        })
        .collect();
    // Only their own role is "allowed": the role is not the asker's to change.
    let roles = if others.iter().any(|r| *r != role) {
        others
    } else {
        Vec::new()
    };
    crate::domain::admin::UserActions {
        access,
        roles,
        view_as: active && may_impersonate_user(actor.user.role, actor.user.id, role, id).is_ok(),
    }
}

/// Who may view the CRM as whom (seed 001): a super admin, anyone but another super admin; an
/// admin, managers, sales and support; nobody, themselves.
pub fn may_impersonate_user(
    role: Role,
    me: Uuid,
    subject_role: Role,
    subject: Uuid,
) -> Result<(), AppError> {
    let allowed = match role {
        Role::SuperAdmin => subject_role != Role::SuperAdmin,
        Role::Admin => matches!(subject_role, Role::Manager | Role::Sales | Role::Support),
        _ => {
            return Err(AppError::forbidden(
                "Only admins can view the CRM as someone else.",
            ));
        }
    };
    if me == subject {
        Err(AppError::forbidden("You are already yourself."))
    } else if allowed {
        Ok(())
    } else {
        Err(AppError::forbidden(format!(
            "Your role cannot view the CRM as a {}.",
            subject_role.label().to_lowercase()
        )))
    }
}

/// Admins and super admins may view the portal as a contact (or a company's primary contact).
pub fn may_impersonate_contact(role: Role) -> Result<(), AppError> {
    if role.is_admin() {
        Ok(())
    } else {
        Err(AppError::forbidden(
            "Only admins can view the portal as a customer.",
        ))
    }
}

/// What an admin may not do while viewing the CRM as someone else: anything that would act
/// on that person's security, reach beyond what they see, or carry their data away.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Guarded {
    ChangePassword,
    ChangeEmail,
    ManageApiTokens,
    ManageUsers,
    Export,
    Impersonate,
    EndOtherSessions,
    ChangeProfile,
}

/// Refuses a guarded action while the principal is an impersonation (403, saying why).
pub fn refuse_while_impersonating(principal: &Principal, what: Guarded) -> Result<(), AppError> {
    if principal.impersonator().is_none() {
        return Ok(());
    }
    let what = match what {
        Guarded::ChangePassword => "change a password",
        Guarded::ChangeEmail => "change an email address",
        Guarded::ManageApiTokens => "create or revoke API tokens",
        Guarded::ManageUsers => "manage users or roles",
        Guarded::Export => "export or download data",
        Guarded::Impersonate => "start another viewing",
        Guarded::EndOtherSessions => "end sessions",
        Guarded::ChangeProfile => "change their name, time zone or formats",
    };
    Err(AppError::forbidden(format!(
        "While viewing as someone else you cannot {what}. Stop viewing first."
    )))
}

/// The parts of the HTTP API, by who they serve.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Surface {
    /// Signing in and out, `me`, one-time links, public forms: anyone.
    Public,
    /// The CRM itself: staff only.
    Staff,
    /// `/api/portal/*` and the portal's server functions: prospects and clients only.
    Portal,
}

/// Which surface a request path belongs to. Server functions live under `/api/fn/`; the
/// portal's under `/api/fn/portal/`.
pub fn surface(method: &http::Method, path: &str) -> Surface {
    const PUBLIC: [&str; 5] = [
        "/api/auth/",
        "/api/openapi.json",
        "/api/fn/current_user",
        "/api/fn/link_status",
        // Staff and portal users alike (it refuses visitors itself).
        "/api/fn/regional_options",
    ];
    // Stopping an impersonation must work while viewing the portal as a customer; its
    // handlers decide for themselves (start: an admin; stop: someone impersonating).
    // Starting one is for staff (an admin), like the rest of `/api/admin`.
    let impersonation = (path == "/api/admin/impersonation" && method != http::Method::POST)
        || path == "/api/admin/impersonation/stop";
    if impersonation || PUBLIC.iter().any(|p| path.starts_with(p)) || !path.starts_with("/api/") {
        Surface::Public
    } else if path.starts_with("/api/portal/") || path.starts_with("/api/fn/portal/") {
        Surface::Portal
    } else {
        Surface::Staff
    }
}

/// The first check of every API request, before its body is read: nobody signed in gets 401
/// outside the public surface, and staff and portal users each get 403 on the other's.
/// The per-record decisions follow in [`decide`].
pub fn enter(principal: &Principal, surface: Surface) -> Result<(), AppError> {
    match (surface, principal) {
        (Surface::Public, _) => Ok(()),
        (_, Principal::Anonymous) => Err(AppError::unauthorized()),
        (Surface::Staff, Principal::Staff(_)) | (Surface::Portal, Principal::Portal(_)) => Ok(()),
        (Surface::Staff, Principal::Portal(_)) => Err(AppError::forbidden(
            "This part of the CRM is for staff. Your tickets are in the portal.",
        )),
        (Surface::Portal, Principal::Staff(_)) => Err(AppError::forbidden(
            "The portal is for customers; staff work tickets in the support queue.",
        )),
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

#[cfg(test)]
mod tests {
    use super::*;
    use Action::*;
    use RecordKind::*;

    #[test]
    fn navigation_follows_roles() {
        assert!(opens(Role::Admin, Area::Admin));
        assert!(!opens(Role::Manager, Area::Admin));
        assert!(!opens(Role::Support, Area::Leads));
        assert!(opens(Role::Support, Area::Tickets));
        assert!(!opens(Role::Client, Area::Pipeline));
    }

    #[test]
    fn the_palette_offers_only_what_the_role_may_open() {
        let pages = |role: Role| -> Vec<&'static str> {
            crate::domain::user::destinations(&capabilities(role, Uuid::nil(), true))
                .into_iter()
                .map(|d| d.1)
                .collect()
        };
        let support = pages(Role::Support);
        assert!(support.contains(&"/tickets") && support.contains(&"/account"));
        assert!(
            !support
                .iter()
                .any(|p| p.starts_with("/admin") || p.starts_with("/pipeline"))
        );
        let sales = pages(Role::Sales);
        assert!(sales.contains(&"/pipeline/metrics") && !sales.contains(&"/pipeline/stages"));
        let admin = pages(Role::Admin);
        assert!(admin.contains(&"/admin/audit") && admin.contains(&"/pipeline/stages"));
        assert_eq!(pages(Role::Client), ["/account"]);
    }

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

    fn staff(role: Role) -> Staff {
        Staff {
            user: crate::domain::user::CurrentUser {
                id: Uuid::now_v7(),
                email: "a@example.com".into(),
                name: "A".into(),
                role,
            },
            via: crate::server::auth::Via::Session {
                session_id: Uuid::now_v7(),
            },
            impersonator: None,
            reach: StaffReach::default(),
        }
    }

    #[test]
    fn a_record_outside_sight_is_not_found_and_outside_edit_reach_is_forbidden() {
        let mut rep = staff(Role::Sales);
        let mate = Uuid::now_v7();
        let stranger = Uuid::now_v7();
        rep.reach = StaffReach {
            see: Reach::Team,
            edit: Reach::Own,
            team: vec![rep.user.id, mate],
            money: true,
        };
        let p = Principal::Staff(rep.clone());
        let me = rep.user.id;
        assert!(decide(&p, Read, Target::owned(Lead, mate)).is_ok());
        assert!(decide(&p, Update, Target::owned(Lead, me)).is_ok());
        assert_eq!(
            decide(&p, Update, Target::owned(Lead, mate))
                .unwrap_err()
                .status(),
            403
        );
        for action in [Read, Update] {
            assert_eq!(
                decide(&p, action, Target::owned(Opportunity, stranger))
                    .unwrap_err()
                    .status(),
                404
            );
        }
        // Kinds and listings are not particular records: the listing's query narrows them.
        assert!(decide(&p, Read, Target::kind(Lead)).is_ok());
        assert!(sight(&rep).is_some());
        // A contact is reached through the owner of its account too; a task through whoever does it.
        let contact = Target {
            account_owner_id: Some(mate),
            ..Target::owned(Contact, stranger)
        };
        assert!(decide(&p, Read, contact).is_ok());
        let task = Target {
            particular: true,
            ..Target::task(Some(me), None)
        };
        assert!(
            decide(
                &p,
                Update,
                Target {
                    owner_id: Some(stranger),
                    ..task
                }
            )
            .is_ok()
        );
        // Seeing every record adds nothing to a listing.
        assert!(sight(&staff(Role::Sales)).is_none());
    }

    #[test]
    fn the_users_page_offers_what_the_policy_allows() {
        use crate::domain::admin::UserActions;
        let other = Uuid::now_v7();
        let admin = staff(Role::Admin);
        let sup = staff(Role::SuperAdmin);
        let nothing = UserActions::default();
        let everything = UserActions {
            access: true,
            roles: Role::STAFF.to_vec(),
            view_as: true,
        };
        assert_eq!(user_actions(&sup, other, Role::Admin, true), everything);
        // A super admin may change their own role; nobody deactivates or views as themselves.
        assert_eq!(
            user_actions(&sup, sup.user.id, Role::SuperAdmin, true),
            UserActions {
                roles: Role::STAFF.to_vec(),
                ..nothing.clone()
            }
        );
        assert_eq!(
            user_actions(&admin, other, Role::Sales, true),
            UserActions {
                access: true,
                roles: vec![Role::Manager, Role::Sales, Role::Support],
                view_as: true,
            }
        );
        assert_eq!(user_actions(&admin, other, Role::Admin, true), nothing);
        assert_eq!(
            user_actions(&admin, admin.user.id, Role::Admin, true),
            nothing
        );
        assert!(!user_actions(&admin, other, Role::Sales, false).view_as);
        let grant = |role: Role| capabilities(role, Uuid::nil(), true).grant;
        assert_eq!(grant(Role::SuperAdmin), Role::STAFF.to_vec());
        assert_eq!(
            grant(Role::Admin),
            [Role::Manager, Role::Sales, Role::Support]
        );
        assert!(grant(Role::Manager).is_empty() && grant(Role::Sales).is_empty());
        let takes = capabilities(Role::Sales, Uuid::nil(), true).ticket_roles;
        assert!(takes.contains(&Role::Support) && !takes.contains(&Role::Sales));
    }

    #[test]
    fn who_manages_whom() {
        let other = Uuid::now_v7();
        let admin = staff(Role::Admin);
        let sup = staff(Role::SuperAdmin);
        let to = |r: Role| UserChange {
            role: Some(r),
            ..Default::default()
        };
        let off = UserChange {
            active: Some(false),
            ..Default::default()
        };
        let rename = UserChange {
            name: true,
            ..Default::default()
        };
        let security = UserChange {
            security: true,
            ..Default::default()
        };
        assert!(user_change(&admin, other, Role::Sales, &to(Role::Manager)).is_ok());
        assert!(user_change(&admin, other, Role::Sales, &off).is_ok());
        assert!(user_change(&admin, other, Role::Sales, &to(Role::Admin)).is_err());
        assert!(user_change(&admin, other, Role::Admin, &rename).is_ok());
        assert!(user_change(&admin, other, Role::Admin, &off).is_err());
        assert!(user_change(&admin, other, Role::Admin, &security).is_err());
        assert!(user_change(&admin, other, Role::SuperAdmin, &to(Role::Sales)).is_err());
        assert!(user_change(&admin, admin.user.id, Role::Admin, &to(Role::Sales)).is_err());
        assert!(user_change(&sup, other, Role::Admin, &to(Role::SuperAdmin)).is_ok());
        assert!(user_change(&sup, sup.user.id, Role::SuperAdmin, &to(Role::Admin)).is_ok());
        assert!(user_change(&sup, sup.user.id, Role::SuperAdmin, &off).is_err());
        assert!(user_change(&staff(Role::Manager), other, Role::Sales, &rename).is_err());
        assert!(user_create(&admin, Role::Support).is_ok());
        assert!(user_create(&admin, Role::Admin).is_err());
        assert!(user_create(&sup, Role::SuperAdmin).is_ok());
    }

    #[test]
    fn who_may_view_as_whom() {
        let (me, them) = (Uuid::now_v7(), Uuid::now_v7());
        let may = |r: Role, s: Role| may_impersonate_user(r, me, s, them).is_ok();
        for s in [Role::Manager, Role::Sales, Role::Support] {
            assert!(may(Role::Admin, s) && may(Role::SuperAdmin, s));
        }
        assert!(!may(Role::Admin, Role::Admin));
        assert!(!may(Role::Admin, Role::SuperAdmin));
        assert!(may(Role::SuperAdmin, Role::Admin));
        assert!(!may(Role::SuperAdmin, Role::SuperAdmin));
        assert!(!may(Role::Manager, Role::Sales));
        assert!(may_impersonate_user(Role::SuperAdmin, me, Role::Admin, me).is_err());
        assert!(may_impersonate_contact(Role::Admin).is_ok());
        assert!(may_impersonate_contact(Role::Manager).is_err());
    }

    #[test]
    fn nobody_signed_in_is_401_and_a_refusal_is_403() {
        let err = authorize(&Principal::Anonymous, Read, Target::kind(Lead)).unwrap_err();
        assert_eq!(err.status(), 401);
    }
}
