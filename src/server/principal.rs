//! Who is asking: the principal behind a request (a staff member, a portal user or nobody)
//! and where the request came from. The auth module resolves them once per request; the
//! policy decides what they may do; every service reads them. Nothing here depends on either.

use super::state::AppState;
use crate::domain::error::AppError;
use crate::domain::user::{CurrentUser, Role};
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::{header, request::Parts};
use chrono::{DateTime, Utc};
use std::net::SocketAddr;
use uuid::Uuid;

/// The admin behind a principal while they view the CRM as someone else.
#[derive(Clone, Debug, PartialEq)]
pub struct Impersonator {
    pub impersonation_id: Uuid,
    pub admin: CurrentUser,
    /// The admin's own sign-in row.
    pub admin_session_id: Uuid,
    pub ends_at: DateTime<Utc>,
}

/// How a staff principal proved who they are.
#[derive(Clone, Debug, PartialEq)]
pub enum Via {
    Session {
        session_id: Uuid,
    },
    Token {
        token_id: Uuid,
    },
    /// A `crm` command run by whoever has the server's configuration.
    CommandLine,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Staff {
    pub user: CurrentUser,
    pub via: Via,
    /// Set when an admin is viewing the CRM as this user.
    pub impersonator: Option<Impersonator>,
    /// Whose records they see and edit (their role's visibility and their teams).
    pub reach: crate::domain::team::StaffReach,
}

impl Staff {
    /// Who the audit log names as having acted: the admin while impersonating, else the user.
    pub fn actor_id(&self) -> Uuid {
        self.impersonator
            .as_ref()
            .map_or(self.user.id, |i| i.admin.id)
    }

    /// Whom the audit log names as acted for: the user, while an admin impersonates them.
    pub fn subject_id(&self) -> Option<Uuid> {
        self.impersonator.as_ref().map(|_| self.user.id)
    }
}

/// A prospect or client signed in to the portal. Everything they may see is scoped by these
/// ids, which come from their sign-in row, never from a request.
#[derive(Clone, Debug, PartialEq)]
pub struct PortalUser {
    pub contact_id: Uuid,
    pub account_id: Option<Uuid>,
    /// `Prospect` or `Client`.
    pub role: Role,
    pub name: String,
    pub email: String,
    /// The portal sign-in row; while an admin impersonates the contact, the admin's own
    /// staff sign-in row.
    pub session_id: Uuid,
    pub impersonator: Option<Impersonator>,
}

/// The one answer to "who is asking", attached to every request.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Principal {
    #[default]
    Anonymous,
    Staff(Staff),
    Portal(PortalUser),
}

impl Principal {
    pub fn staff(&self) -> Option<&Staff> {
        match self {
            Principal::Staff(s) => Some(s),
            _ => None,
        }
    }

    pub fn portal(&self) -> Option<&PortalUser> {
        match self {
            Principal::Portal(p) => Some(p),
            _ => None,
        }
    }

    /// The staff member asking: 401 for nobody, 403 for a portal user.
    pub fn require_staff(&self) -> Result<&Staff, AppError> {
        match self {
            Principal::Staff(s) => Ok(s),
            Principal::Portal(_) => Err(AppError::forbidden(
                "This part of the CRM is for staff. Your tickets are in the portal.",
            )),
            Principal::Anonymous => Err(AppError::unauthorized()),
        }
    }

    /// The admin viewing the CRM as this principal, if one is.
    pub fn impersonator(&self) -> Option<&Impersonator> {
        match self {
            Principal::Staff(s) => s.impersonator.as_ref(),
            Principal::Portal(p) => p.impersonator.as_ref(),
            Principal::Anonymous => None,
        }
    }

    pub fn user_id(&self) -> Option<Uuid> {
        self.staff().map(|s| s.user.id)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Principal {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<Principal>()
            .cloned()
            .unwrap_or_default())
    }
}

/// Where a request came from, for the audit log and the per-address sign-in limit.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ClientInfo {
    pub ip: String,
    pub user_agent: String,
}

impl ClientInfo {
    pub fn from_parts(parts: &Parts, trust_proxy: bool) -> ClientInfo {
        let forwarded = trust_proxy
            .then(|| parts.headers.get("x-forwarded-for"))
            .flatten()
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty());
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip().to_string());
        let user_agent = parts
            .headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .chars()
            .take(400)
            .collect();
        ClientInfo {
            ip: forwarded.or(peer).unwrap_or_else(|| "unknown".into()),
            user_agent,
        }
    }
}

impl FromRequestParts<AppState> for ClientInfo {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(ClientInfo::from_parts(parts, state.config.trust_proxy))
    }
}
