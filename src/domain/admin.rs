//! What administration and a user's own account page carry between server and browser:
//! staff users, sign-ins, API tokens, impersonations and audit entries.

use super::user::{CurrentUser, Role};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A staff user in the admin list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct StaffUser {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub last_login_at: Option<DateTime<Utc>>,
    /// False until the user has used their set-password link.
    pub has_password: bool,
    pub open_sessions: i64,
    /// What the person asking may do to this user (the policy's answers, so the page offers
    /// only what will work; each change is decided again).
    #[serde(default)]
    pub may: UserActions,
}

/// What an admin may do to one staff user.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct UserActions {
    /// Deactivate or reactivate them, end their sessions, issue a password link.
    pub access: bool,
    /// The roles they may be given, their own included; empty when their role is not the
    /// asker's to change.
    pub roles: Vec<Role>,
    /// View the CRM as them.
    pub view_as: bool,
}

/// A new staff user: they get a one-time link to choose their password.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NewUserInput {
    pub email: String,
    pub name: String,
    pub role: Option<Role>,
}

/// What an admin changes about a user; absent fields stay as they are.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct UserUpdate {
    pub name: Option<String>,
    pub role: Option<Role>,
    pub active: Option<bool>,
}

/// A user's one-time set-password link: mailed to them, or (without a mail server) shown to
/// the admin to hand over. A mailed link is never shown: only its owner holds it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct UserLink {
    pub id: Uuid,
    /// The link to hand over; none when it was mailed (or a password was given).
    pub link: Option<String>,
    /// The address the link was mailed to.
    #[serde(default)]
    pub mailed_to: Option<String>,
}

/// An open sign-in.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SessionInfo {
    pub id: Uuid,
    /// Browser and system, read from the user agent ("Firefox on Windows").
    pub device: String,
    pub ip: Option<String>,
    pub started_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    /// The sign-in this page was loaded with.
    pub current: bool,
}

/// An API token, without its secret (shown once, when created).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ApiTokenInfo {
    pub id: Uuid,
    pub label: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NewApiToken {
    pub id: Uuid,
    /// The token itself: shown this once, stored only as a hash.
    pub token: String,
}

/// A time an admin viewed the CRM as this user.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Viewing {
    pub admin_name: String,
    pub reason: String,
    pub started_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
}

/// Everything the "Your account" page shows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AccountOverview {
    pub me: CurrentUser,
    /// The time zone and locale chosen (none: the installation's default).
    #[serde(default)]
    pub regional: crate::domain::regional::RegionalChoice,
    /// What may be chosen, and the defaults.
    #[serde(default)]
    pub options: crate::domain::regional::RegionalOptions,
    pub sessions: Vec<SessionInfo>,
    pub tokens: Vec<ApiTokenInfo>,
    pub viewings: Vec<Viewing>,
}

/// A staff member's own name, time zone and locale (empty zone or locale: the default).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ProfileChange {
    pub name: String,
    #[serde(default)]
    pub time_zone: Option<String>,
    #[serde(default)]
    pub locale: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PasswordChange {
    pub current_password: String,
    pub new_password: String,
    /// Also revoke every API token (scripts using them stop working).
    #[serde(default, deserialize_with = "crate::domain::form::checkbox")]
    pub revoke_tokens: bool,
}

/// What a password change ended: the other sessions, and the API tokens when asked.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PasswordChanged {
    /// Other sessions ended.
    pub ended: u64,
    pub tokens_revoked: u64,
}

/// Whom an admin asks to view as: exactly one of the three ids, with a reason and their own
/// password again.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ImpersonationRequest {
    pub user_id: Option<Uuid>,
    pub contact_id: Option<Uuid>,
    pub account_id: Option<Uuid>,
    pub reason: String,
    pub password: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ImpersonationStarted {
    pub impersonation_id: Uuid,
    pub ends_at: DateTime<Utc>,
    /// Where to go next: `/pipeline` for a staff user, `/portal` for a customer.
    pub home: String,
    pub subject_name: String,
}

/// Which audit entries to show; every field narrows.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema, utoipa::IntoParams))]
#[cfg_attr(feature = "ssr", into_params(parameter_in = Query))]
#[serde(default)]
pub struct AuditFilter {
    /// The admin or user who acted.
    pub actor: Option<Uuid>,
    /// The user or contact acted as (impersonations).
    pub subject: Option<Uuid>,
    /// A record: `lead`, `contact`, `user`, … and its id.
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    /// An action, or its prefix ending in a dot (`impersonation.`).
    pub action: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    /// Entries older than this sequence number (the next page).
    pub before: Option<i64>,
}

/// One field's change in an audit entry.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct FieldChange {
    pub field: String,
    pub old: String,
    pub new: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AuditEntry {
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub action: String,
    pub actor_id: Option<Uuid>,
    /// The actor's name, or what identified an anonymous one (the email tried).
    pub actor: String,
    pub subject_id: Option<Uuid>,
    pub subject: Option<String>,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    /// What the target is called today (a person's or record's name), when it has one.
    #[serde(default)]
    pub target_name: Option<String>,
    /// Where the record lives in the app, when it has a page.
    pub target_link: Option<String>,
    pub ip: Option<String>,
    pub changes: Vec<FieldChange>,
    /// The rest of the entry's details, as compact JSON.
    pub details: String,
    /// The same details as "name: value" lines, for reading.
    #[serde(default)]
    pub facts: Vec<AuditFact>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AuditFact {
    pub name: String,
    pub value: String,
}

/// The details that are not field changes, one line each: strings as they are, anything else
/// as compact JSON; names read as words ("lost_reason" → "lost reason").
pub fn audit_facts(details: &serde_json::Value) -> Vec<AuditFact> {
    let Some(map) = details.as_object() else {
        return Vec::new();
    };
    map.iter()
        .map(|(k, v)| AuditFact {
            name: k.replace('_', " "),
            value: match v {
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Null => "—".into(),
                other => other.to_string(),
            },
        })
        .collect()
}

/// An action in words: "user.deactivated" → "User deactivated". Known actions read as a
/// sentence; any other falls back to its noun and verb, so a new action never shows raw.
pub fn action_label(action: &str) -> String {
    let known = match action {
        "auth.login" => "Signed in",
        "auth.login_failed" => "Sign-in refused",
        "auth.logout" => "Signed out",
        "portal.login" => "Signed in to the portal",
        "portal.invite_accepted" => "Portal invitation accepted",
        "portal.password_changed" => "Portal password changed",
        "portal.password_reset" => "Portal password reset",
        "portal.sessions_ended" => "Portal sessions ended",
        "impersonation.started" => "Started viewing as",
        "impersonation.ended" => "Stopped viewing as",
        "impersonation.refused" => "Viewing as refused",
        "session.ended" => "Session ended",
        "session.others_ended" => "Other sessions ended",
        "user.role_changed" => "Role changed",
        "user.password_reset_issued" => "Password reset link issued",
        "contact.portal_invited" => "Invited to the portal",
        "contact.portal_disabled" => "Portal access turned off",
        "contact.portal_reset_issued" => "Portal reset link issued",
        "contact.updated_in_portal" => "Contact updated in the portal",
        "lead.qualified" => "Lead qualified",
        "ticket.noted" => "Internal note added",
        "ticket.replied" => "Reply sent to the customer",
        "ticket.customer_replied" => "Customer replied",
        "form.submitted_existing" => "Form submitted by a known person",
        "pipeline.stages_changed" => "Pipeline stages changed",
        "pipeline.target_set" => "Sales target set",
        _ => "",
    };
    if !known.is_empty() {
        return known.to_string();
    }
    let (noun, verb) = action.split_once('.').unwrap_or((action, ""));
    let verb = match verb {
        "create" => "created",
        other => other,
    };
    let noun = noun.replace('_', " ").replace("api token", "API token");
    let mut out = String::with_capacity(action.len() + 1);
    let mut chars = noun.chars();
    if let Some(first) = chars.next() {
        out.extend(first.to_uppercase());
        out.push_str(chars.as_str());
    }
    if !verb.is_empty() {
        out.push(' ');
        out.push_str(&verb.replace('_', " "));
    }
    out
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    /// Pass as `before` for the next (older) page; absent on the last.
    pub next_before: Option<i64>,
}

/// A short name for the browser and system in a user agent: "Firefox on Windows".
pub fn device_label(user_agent: &str) -> String {
    let ua = user_agent;
    let browser = if ua.contains("Edg/") {
        "Edge"
    } else if ua.contains("OPR/") {
        "Opera"
    } else if ua.contains("Firefox/") {
        "Firefox"
    } else if ua.contains("Chrome/") || ua.contains("Chromium/") {
        "Chrome"
    } else if ua.contains("Safari/") {
        "Safari"
    } else if ua.starts_with("curl/") {
        "curl"
    } else {
        "Unknown browser"
    };
    let system = if ua.contains("iPhone") || ua.contains("iPad") {
        "iOS"
    } else if ua.contains("Android") {
        "Android"
    } else if ua.contains("Windows") {
        "Windows"
    } else if ua.contains("Mac OS X") || ua.contains("Macintosh") {
        "macOS"
    } else if ua.contains("CrOS") {
        "ChromeOS"
    } else if ua.contains("Linux") {
        "Linux"
    } else {
        ""
    };
    if system.is_empty() {
        browser.to_string()
    } else {
        format!("{browser} on {system}")
    }
}

/// The field changes an audit entry's details hold, in either shape the CRM writes:
/// `{"changes": {"field": {"old": …, "new": …}}}` or `{"field": {"old": …, "new": …}}`.
pub fn field_changes(details: &serde_json::Value) -> Vec<FieldChange> {
    let source = details
        .get("changes")
        .and_then(|c| c.as_object())
        .or_else(|| details.as_object());
    let Some(map) = source else {
        return Vec::new();
    };
    let show = |v: Option<&serde_json::Value>| match v {
        None | Some(serde_json::Value::Null) => "—".to_string(),
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    };
    map.iter()
        .filter_map(|(field, v)| {
            let o = v.as_object()?;
            (o.contains_key("old") || o.contains_key("new")).then(|| FieldChange {
                field: field.clone(),
                old: show(o.get("old")),
                new: show(o.get("new")),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_are_named_from_user_agents() {
        let firefox =
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0";
        let chrome = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Safari/537.36";
        let safari = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1";
        assert_eq!(device_label(firefox), "Firefox on Windows");
        assert_eq!(device_label(chrome), "Chrome on Linux");
        assert_eq!(device_label(safari), "Safari on iOS");
        assert_eq!(device_label("curl/8.0"), "curl");
        assert_eq!(device_label(""), "Unknown browser");
    }

    #[test]
    fn actions_read_as_words() {
        assert_eq!(action_label("user.deactivated"), "User deactivated");
        assert_eq!(action_label("auth.login_failed"), "Sign-in refused");
        assert_eq!(action_label("api_token.revoked"), "API token revoked");
        assert_eq!(action_label("lead.create"), "Lead created");
        assert_eq!(action_label("odd"), "Odd");
        let facts = audit_facts(&serde_json::json!({ "lost_reason": "price", "n": 3 }));
        assert_eq!(
            facts,
            vec![
                AuditFact {
                    name: "lost reason".into(),
                    value: "price".into()
                },
                AuditFact {
                    name: "n".into(),
                    value: "3".into()
                },
            ]
        );
    }

    #[test]
    fn field_changes_read_both_shapes() {
        let nested = serde_json::json!({ "changes": { "name": { "old": "A", "new": "B" } } });
        let flat = serde_json::json!({ "stage": { "old": null, "new": "won" }, "note": "x" });
        assert_eq!(
            field_changes(&nested),
            vec![FieldChange {
                field: "name".into(),
                old: "A".into(),
                new: "B".into()
            }]
        );
        assert_eq!(
            field_changes(&flat),
            vec![FieldChange {
                field: "stage".into(),
                old: "—".into(),
                new: "won".into()
            }]
        );
        assert!(field_changes(&serde_json::json!("text")).is_empty());
    }
}
