//! What may be done to people: creating and changing staff users, granting roles,
//! impersonation, and what an admin may not do while viewing as someone else.

use super::*;

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

pub(super) fn grant(actor: Role, role: Role) -> Result<(), AppError> {
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

/// The staff asking, if they may see the outbox and resend or test mail (admins).
pub fn manage_mail(staff: &Staff) -> Result<&Staff, AppError> {
    admins_only(staff, "Only admins see the outbox.")
}

/// The staff asking, if they may manage users at all (admins).
pub fn manage_users(staff: &Staff) -> Result<&Staff, AppError> {
    admins_only(staff, "Only admins manage users.")
}

pub(super) fn admins_only<'s>(
    staff: &'s Staff,
    refusal: &'static str,
) -> Result<&'s Staff, AppError> {
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
