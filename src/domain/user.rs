//! Who uses the CRM: staff users and their roles, and the rules their inputs must meet.

use super::error::{AppError, FieldErrors};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

/// Every role a principal can hold. Staff roles belong to `users`; the portal roles
/// (`prospect`, `client`) belong to contacts and are used by the portal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    SuperAdmin,
    Admin,
    Manager,
    Sales,
    Support,
    Prospect,
    Client,
}

impl Role {
    /// The first page of someone with this role: their own work, in their own menu (support
    /// the ticket queue; everyone else in sales the board; customers the portal).
    pub fn home(self) -> &'static str {
        match self {
            Role::Support => "/tickets",
            Role::Prospect | Role::Client => "/portal",
            Role::SuperAdmin | Role::Admin | Role::Manager | Role::Sales => "/pipeline",
        }
    }

    pub const STAFF: [Role; 5] = [
        Role::SuperAdmin,
        Role::Admin,
        Role::Manager,
        Role::Sales,
        Role::Support,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::SuperAdmin => "super_admin",
            Role::Admin => "admin",
            Role::Manager => "manager",
            Role::Sales => "sales",
            Role::Support => "support",
            Role::Prospect => "prospect",
            Role::Client => "client",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::SuperAdmin => "Super admin",
            Role::Admin => "Admin",
            Role::Manager => "Manager",
            Role::Sales => "Sales",
            Role::Support => "Support",
            Role::Prospect => "Prospect",
            Role::Client => "Client",
        }
    }

    pub fn is_staff(self) -> bool {
        !matches!(self, Role::Prospect | Role::Client)
    }

    pub fn is_admin(self) -> bool {
        matches!(self, Role::SuperAdmin | Role::Admin)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "super_admin" => Ok(Role::SuperAdmin),
            "admin" => Ok(Role::Admin),
            "manager" => Ok(Role::Manager),
            "sales" => Ok(Role::Sales),
            "support" => Ok(Role::Support),
            "prospect" => Ok(Role::Prospect),
            "client" => Ok(Role::Client),
            other => Err(format!(
                "unknown role `{other}` (expected super_admin, admin, manager, sales or support)"
            )),
        }
    }
}

/// The signed-in person as the browser and `/api/auth/me` see them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CurrentUser {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub role: Role,
}

/// The answer of `GET /api/auth/me`: the subject, and the admin behind them when impersonating.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Me {
    pub user: CurrentUser,
    pub impersonator: Option<CurrentUser>,
    /// While impersonating: when the viewing ends on its own.
    #[serde(default)]
    pub impersonation_ends_at: Option<chrono::DateTime<chrono::Utc>>,
    /// What this person may do, decided by the server's one policy and sent once with the
    /// page, so the browser shows only the controls that will work.
    #[serde(default)]
    pub can: Capabilities,
}

impl Me {
    /// Someone signed in as themselves.
    pub fn own(user: CurrentUser, can: Capabilities) -> Me {
        Me {
            user,
            impersonator: None,
            impersonation_ends_at: None,
            can,
        }
    }
}

/// The kind-level answers of the policy that decide which controls a page shows. The server
/// still decides every request, record by record.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Capabilities {
    /// Record kinds (`lead`, `ticket`…) this person may create.
    pub create: Vec<String>,
    /// Record kinds this person may edit.
    pub update: Vec<String>,
    /// Move a closed deal back to an open stage; reopen a disqualified lead.
    pub reopen: bool,
    /// Change the pipeline's stages and targets.
    pub configure: bool,
    /// Admin settings: users, forms, SLAs, the audit log, viewing as someone.
    pub administer: bool,
    /// The areas of the staff app this person may open, in menu order.
    #[serde(default)]
    pub areas: Vec<Area>,
    /// The roles this person may give a new staff user (admins only).
    #[serde(default)]
    pub grant: Vec<Role>,
    /// The roles whose holders may be assigned a ticket.
    #[serde(default)]
    pub ticket_roles: Vec<Role>,
    /// Whether money shows: opportunity values, account revenue, totals and metrics of money
    /// (the server leaves them blank otherwise, and refuses to set them).
    #[serde(default)]
    pub money: bool,
}

impl Capabilities {
    pub fn may_create(&self, kind: &str) -> bool {
        self.create.iter().any(|k| k == kind)
    }

    pub fn may_update(&self, kind: &str) -> bool {
        self.update.iter().any(|k| k == kind)
    }
}

pub const PASSWORD_MIN_CHARS: usize = 10;
pub const PASSWORD_MAX_CHARS: usize = 256;

/// What "forgot password" answers, whatever the address (so it tells nobody whether an
/// account uses it).
pub const FORGOT_ANSWER: &str = "If an account uses that address, a link to choose a new password is on its way. It works once, for 1 hour.";

/// Trims and lower-cases an email address; emails are unique case-insensitively.
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// A pragmatic check: one `@`, a non-empty local part, a dotted domain, no spaces.
pub fn email_problem(email: &str) -> Option<&'static str> {
    let email = email.trim();
    if email.is_empty() {
        return Some("Enter an email address.");
    }
    if email.chars().count() > 254 || email.chars().any(char::is_whitespace) {
        return Some("Enter a valid email address.");
    }
    match email.split_once('@') {
        Some((local, domain))
            if !local.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains("..") =>
        {
            None
        }
        _ => Some("Enter a valid email address."),
    }
}

pub fn password_problem(password: &str) -> Option<String> {
    let n = password.chars().count();
    if n < PASSWORD_MIN_CHARS {
        Some(format!("Use at least {PASSWORD_MIN_CHARS} characters."))
    } else if n > PASSWORD_MAX_CHARS {
        Some(format!("Use at most {PASSWORD_MAX_CHARS} characters."))
    } else {
        None
    }
}

pub fn name_problem(name: &str) -> Option<&'static str> {
    let name = name.trim();
    if name.is_empty() {
        Some("Enter a name.")
    } else if name.chars().count() > 120 {
        Some("Use at most 120 characters.")
    } else {
        None
    }
}

/// What a new staff user must provide; checked in the browser and again on the server.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NewStaffUser {
    pub email: String,
    pub name: String,
    pub password: Option<String>,
}

impl NewStaffUser {
    pub fn validate(&self) -> Result<(), AppError> {
        let mut fields = FieldErrors::new();
        if let Some(p) = email_problem(&self.email) {
            fields.entry("email".into()).or_default().push(p.into());
        }
        if let Some(p) = name_problem(&self.name) {
            fields.entry("name".into()).or_default().push(p.into());
        }
        if let Some(p) = self.password.as_deref().and_then(password_problem) {
            fields.entry("password".into()).or_default().push(p);
        }
        if fields.is_empty() {
            Ok(())
        } else {
            Err(AppError::validation(fields))
        }
    }
}

/// The staff app's areas. Which of them a person may open is the policy's answer, sent with
/// their capabilities (`Capabilities::areas`); the navigation shows only those.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Area {
    Pipeline,
    Leads,
    Opportunities,
    Accounts,
    Contacts,
    Tasks,
    Tickets,
    Admin,
}

impl Area {
    pub const ALL: [Area; 8] = [
        Area::Pipeline,
        Area::Leads,
        Area::Opportunities,
        Area::Accounts,
        Area::Contacts,
        Area::Tasks,
        Area::Tickets,
        Area::Admin,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Area::Pipeline => "Pipeline",
            Area::Leads => "Leads",
            Area::Opportunities => "Opportunities",
            Area::Accounts => "Accounts",
            Area::Contacts => "Contacts",
            Area::Tasks => "My tasks",
            Area::Tickets => "Tickets",
            Area::Admin => "Admin",
        }
    }

    pub fn path(self) -> &'static str {
        match self {
            Area::Pipeline => "/pipeline",
            Area::Leads => "/leads",
            Area::Opportunities => "/opportunities",
            Area::Accounts => "/accounts",
            Area::Contacts => "/contacts",
            Area::Tasks => "/tasks",
            Area::Tickets => "/tickets",
            Area::Admin => "/admin",
        }
    }
}

/// Every page a person may jump to from the command palette: their areas and the pages inside
/// them, as (label, path). The same rules as the navigation; the server still decides.
pub fn destinations(can: &Capabilities) -> Vec<(&'static str, &'static str)> {
    let mut out: Vec<(&'static str, &'static str)> = Vec::new();
    for &area in &can.areas {
        out.push((area.label(), area.path()));
        let inside: &[(&'static str, &'static str)] = match area {
            Area::Pipeline if can.configure => &[
                ("Pipeline metrics", "/pipeline/metrics"),
                ("Pipeline stages", "/pipeline/stages"),
            ],
            Area::Pipeline => &[("Pipeline metrics", "/pipeline/metrics")],
            Area::Leads => &[("Imports", "/imports")],
            Area::Admin => &[
                ("Users", "/admin/users"),
                ("Teams and visibility", "/admin/teams"),
                ("Kickoff forms", "/admin/forms"),
                ("SLA policies", "/admin/sla"),
                ("Audit log", "/admin/audit"),
            ],
            _ => &[],
        };
        out.extend_from_slice(inside);
    }
    out.push(("Your account", "/account"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_through_their_names() {
        for role in [
            Role::SuperAdmin,
            Role::Admin,
            Role::Manager,
            Role::Sales,
            Role::Support,
            Role::Prospect,
            Role::Client,
        ] {
            assert_eq!(role.as_str().parse::<Role>().unwrap(), role);
            assert_eq!(serde_json::to_value(role).unwrap(), role.as_str());
        }
        assert!("root".parse::<Role>().is_err());
    }

    #[test]
    fn emails_are_checked_pragmatically() {
        assert_eq!(email_problem("ada@example.com"), None);
        assert_eq!(email_problem(" Ada@Example.COM "), None);
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "a da@example.com",
            "a@b@c.com",
            "ada@.com",
            "ada@example..com",
        ] {
            assert!(email_problem(bad).is_some(), "{bad} should be refused");
        }
        assert_eq!(normalize_email(" Ada@Example.COM "), "ada@example.com");
    }

    #[test]
    fn passwords_need_ten_characters() {
        assert!(password_problem("short").is_some());
        assert!(password_problem("long enough pw").is_none());
        assert!(password_problem(&"x".repeat(300)).is_some());
    }

    #[test]
    fn new_user_validation_names_each_field() {
        let err = NewStaffUser {
            email: "nope".into(),
            name: " ".into(),
            password: Some("x".into()),
        }
        .validate()
        .unwrap_err();
        for f in ["email", "name", "password"] {
            assert!(err.field(f).is_some(), "{f} missing from {err:?}");
        }
    }
}

/// What a one-time link is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum LinkPurpose {
    Setup,
    SetPassword,
    PortalInvite,
}

/// A person to pick as owner or assignee.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct UserOption {
    pub id: Uuid,
    pub name: String,
    pub role: Role,
}
