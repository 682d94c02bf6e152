//! Who is asking: the principal behind each request, resolved once by a middleware from an
//! API token or the session cookie, and read by every server function and REST handler.

pub mod account;
pub mod impersonation;
pub mod password;
pub mod secret;
pub mod service;

use super::db::{impersonations, portal, sessions, tokens, users};
use super::state::AppState;
use crate::domain::contact::ContactRole;
use crate::domain::error::AppError;
use crate::domain::regional::RegionalChoice;
use crate::domain::user::{CurrentUser, Me, Role};
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::{HeaderMap, header, request::Parts};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use tower_sessions::Session;
use uuid::Uuid;

/// What the cookie session stores: only a pointer to the server-side sign-in row.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SessionAuth {
    pub session_id: Uuid,
    /// A portal sign-in (the row is in `portal_sessions`, for a contact).
    #[serde(default)]
    pub portal: bool,
    /// A staff sign-in whose admin is viewing the CRM as someone else (the row in
    /// `impersonations`). The sign-in row stays the admin's own.
    #[serde(default)]
    pub impersonation: Option<Uuid>,
}

impl SessionAuth {
    pub fn staff(session_id: Uuid) -> SessionAuth {
        SessionAuth {
            session_id,
            portal: false,
            impersonation: None,
        }
    }

    pub fn portal(session_id: Uuid) -> SessionAuth {
        SessionAuth {
            session_id,
            portal: true,
            impersonation: None,
        }
    }
}

/// The admin behind a principal while they view the CRM as someone else.
#[derive(Clone, Debug, PartialEq)]
pub struct Impersonator {
    pub impersonation_id: Uuid,
    pub admin: CurrentUser,
    /// The admin's own sign-in row.
    pub admin_session_id: Uuid,
    pub ends_at: DateTime<Utc>,
}

pub const SESSION_KEY: &str = "auth";

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

    pub fn me(&self) -> Option<Me> {
        let (user, by, money) = match self {
            Principal::Staff(s) => (
                s.user.clone(),
                s.impersonator.as_ref(),
                super::policy::sees_money(s),
            ),
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
            can: crate::server::policy::capabilities(user.role, user.id, money),
            user,
            impersonator: by.map(|i| i.admin.clone()),
            impersonation_ends_at: by.map(|i| i.ends_at),
        })
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

/// The bearer token in an `Authorization` header, if any.
pub fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|t| !t.is_empty())
}

/// How often a live session or token records that it was used (not on every request).
const TOUCH_EVERY: Duration = Duration::seconds(60);

/// Middleware: resolves the principal and stores it in the request's extensions.
pub async fn resolve_principal(
    State(state): State<AppState>,
    session: Session,
    mut req: Request,
    next: Next,
) -> Response {
    match principal_for(&state, &session, req.headers()).await {
        Ok((principal, choice)) => {
            // Staff get their choice or the company's default; the portal and visitors, whom
            // the installation knows less about, their browser's before that.
            let zone = browser_zone(req.headers());
            let browser = match principal {
                Principal::Staff(_) => None,
                _ => Some((
                    zone.as_deref(),
                    req.headers()
                        .get(header::ACCEPT_LANGUAGE)
                        .and_then(|v| v.to_str().ok()),
                )),
            };
            let reader = super::regional::reader(&state.config, &choice, browser);
            req.extensions_mut().insert(principal);
            req.extensions_mut().insert(reader);
            next.run(req).await
        }
        Err(e) => e.into_response(),
    }
}

/// Whose records `user` reaches, read for this request.
async fn reach_of(
    state: &AppState,
    user: &users::UserRow,
) -> Result<crate::domain::team::StaffReach, AppError> {
    let mut h = state.db.handle().await?;
    super::policy::reach(&mut h.c(), user.id, user.role).await
}

/// The zone the page's script found in the browser (the `crm_tz` cookie), if any.
fn browser_zone(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| {
            c.trim()
                .strip_prefix(super::regional::BROWSER_ZONE_COOKIE)
                .and_then(|rest| rest.strip_prefix('='))
        })
        .filter(|z| z.len() <= 64)
        .map(|z| {
            z.replace("%2F", "/")
                .replace("%2f", "/")
                .replace("%2B", "+")
        })
}

fn choice_of(user: &users::UserRow) -> RegionalChoice {
    RegionalChoice {
        time_zone: user.time_zone.clone(),
        locale: user.locale.clone(),
    }
}

/// The principal, and the time zone and locale they chose (the viewing admin's own while an
/// admin views the CRM as someone: the admin is the one reading).
async fn principal_for(
    state: &AppState,
    session: &Session,
    headers: &HeaderMap,
) -> Result<(Principal, RegionalChoice), AppError> {
    let now = state.now();
    if let Some(token) = bearer_token(headers) {
        let Some(found) = tokens::api_token_user_now(&state.db, &secret::digest(token)).await?
        else {
            return Ok(Default::default());
        };
        if !found.user.active {
            return Ok(Default::default());
        }
        if found.last_used_at.is_none_or(|t| now - t > TOUCH_EVERY) {
            let mut h = state.db.write_handle().await?;
            tokens::touch_api_token(&mut h.c(), found.token_id, now).await?;
        }
        let reach = reach_of(state, &found.user).await?;
        return Ok((
            Principal::Staff(Staff {
                user: found.user.current(),
                via: Via::Token {
                    token_id: found.token_id,
                },
                impersonator: None,
                reach,
            }),
            choice_of(&found.user),
        ));
    }

    let Some(auth) = session.get::<SessionAuth>(SESSION_KEY).await? else {
        return Ok(Default::default());
    };
    if auth.portal {
        return portal_principal(state, session, auth.session_id).await;
    }
    let found = sessions::with_user_now(&state.db, auth.session_id).await?;
    let idle = Duration::minutes(i64::from(state.config.session_idle_minutes));
    let ended = match &found {
        None => Some("missing"),
        Some(s) if s.ended_at.is_some() => Some("ended"),
        Some(s) if !s.user.active => Some("deactivated"),
        Some(s) if now >= s.expires_at => Some("expired"),
        Some(s) if now - s.last_seen_at > idle => Some("idle"),
        Some(_) => None,
    };
    match (found, ended) {
        (Some(s), None) => {
            if now - s.last_seen_at > TOUCH_EVERY {
                let mut h = state.db.write_handle().await?;
                sessions::touch(&mut h.c(), s.session_id, now).await?;
            }
            let admin = Staff {
                user: s.user.current(),
                via: Via::Session {
                    session_id: s.session_id,
                },
                impersonator: None,
                reach: reach_of(state, &s.user).await?,
            };
            let choice = choice_of(&s.user);
            match auth.impersonation {
                Some(id) => Ok((impersonated(state, session, admin, id).await?, choice)),
                None => Ok((Principal::Staff(admin), choice)),
            }
        }
        (found, reason) => {
            let mut h = state.db.write_handle().await?;
            if let Some(s) = found.filter(|s| s.ended_at.is_none()) {
                sessions::end(&mut h.c(), s.session_id, reason.unwrap_or("ended"), now).await?;
            }
            if auth.impersonation.is_some() {
                impersonations::end_for_admin_session(
                    &mut h.c(),
                    auth.session_id,
                    "signed_out",
                    now,
                )
                .await?;
            }
            // The write turn goes before the session store takes its own (it is not reentrant).
            drop(h);
            session.flush().await?;
            Ok(Default::default())
        }
    }
}

/// A portal sign-in is good while its row is live and the contact may still use the portal
/// (access, role and active are checked on every request, so turning any off ends it).
async fn portal_principal(
    state: &AppState,
    session: &Session,
    session_id: Uuid,
) -> Result<(Principal, RegionalChoice), AppError> {
    let now = state.now();
    let mut h = state.db.handle().await?;
    let found = portal::session(&mut h.c(), session_id).await?;
    let idle = Duration::minutes(i64::from(state.config.session_idle_minutes));
    let ended = match &found {
        None => Some("missing"),
        Some(s) if s.ended_at.is_some() => Some("ended"),
        Some(s) if s.contact.refusal().is_some() => Some("access_removed"),
        Some(s) if now >= s.expires_at => Some("expired"),
        Some(s) if now - s.last_seen_at > idle => Some("idle"),
        Some(_) => None,
    };
    match (found, ended) {
        (Some(s), None) => {
            if now - s.last_seen_at > TOUCH_EVERY {
                drop(h);
                let mut w = state.db.write_handle().await?;
                portal::touch_session(&mut w.c(), s.session_id, now).await?;
            }
            let k = s.contact;
            let choice = RegionalChoice {
                time_zone: k.time_zone.clone(),
                locale: k.locale.clone(),
            };
            let principal = Principal::Portal(PortalUser {
                contact_id: k.id,
                account_id: k.account_id,
                role: match k.role {
                    ContactRole::Client => Role::Client,
                    _ => Role::Prospect,
                },
                name: k.name(),
                email: k.email.clone().unwrap_or_default(),
                session_id: s.session_id,
                impersonator: None,
            });
            Ok((principal, choice))
        }
        (found, reason) => {
            if let Some(s) = found.filter(|s| s.ended_at.is_none()) {
                drop(h);
                let mut w = state.db.write_handle().await?;
                portal::end_session(&mut w.c(), s.session_id, reason.unwrap_or("ended"), now)
                    .await?;
            }
            session.flush().await?;
            Ok(Default::default())
        }
    }
}

/// The principal of an admin's sign-in that is viewing the CRM as someone: that someone, with
/// the admin beside them, while the impersonation is live and still allowed. Otherwise the
/// impersonation ends here (on expiry, say), and the admin is back as themselves.
async fn impersonated(
    state: &AppState,
    session: &Session,
    admin: Staff,
    impersonation_id: Uuid,
) -> Result<Principal, AppError> {
    let now = state.now();
    let mut h = state.db.handle().await?;
    let row = impersonations::by_id(&mut h.c(), impersonation_id).await?;
    let Some(row) = row.filter(|r| r.admin_id == admin.user.id) else {
        drop(h);
        impersonation::forget(state, session, &admin, None, "missing").await?;
        return Ok(Principal::Staff(admin));
    };
    let by = Impersonator {
        impersonation_id,
        admin: admin.user.clone(),
        admin_session_id: row.admin_session_id,
        ends_at: row.expires_at,
    };
    let subject = match (row.subject_user_id, row.subject_contact_id) {
        (Some(user_id), _) => {
            let user = users::by_id(&mut h.c(), user_id)
                .await?
                .filter(|u| u.active)
                .filter(|u| {
                    super::policy::may_impersonate_user(
                        admin.user.role,
                        admin.user.id,
                        u.role,
                        u.id,
                    )
                    .is_ok()
                });
            match user {
                // The admin sees what the person sees: the person's own reach.
                Some(u) => Some(Principal::Staff(Staff {
                    user: u.current(),
                    via: admin.via.clone(),
                    impersonator: Some(by.clone()),
                    reach: super::policy::reach(&mut h.c(), u.id, u.role).await?,
                })),
                None => None,
            }
        }
        (None, Some(contact_id)) => portal::by_id(&mut h.c(), contact_id)
            .await?
            .filter(|k| k.refusal().is_none())
            .filter(|_| super::policy::may_impersonate_contact(admin.user.role).is_ok())
            .map(|k| {
                Principal::Portal(PortalUser {
                    contact_id: k.id,
                    account_id: k.account_id,
                    role: match k.role {
                        ContactRole::Client => Role::Client,
                        _ => Role::Prospect,
                    },
                    name: k.name(),
                    email: k.email.clone().unwrap_or_default(),
                    session_id: row.admin_session_id,
                    impersonator: Some(by.clone()),
                })
            }),
        (None, None) => None,
    };
    drop(h);
    let ended = if row.ended_at.is_some() {
        Some("ended")
    } else if now >= row.expires_at {
        Some("expired")
    } else if subject.is_none() {
        Some("no_longer_allowed")
    } else {
        None
    };
    match (subject, ended) {
        (Some(subject), None) => Ok(subject),
        (_, reason) => {
            let reason = reason.unwrap_or("ended");
            impersonation::forget(state, session, &admin, Some(&row), reason).await?;
            Ok(Principal::Staff(admin))
        }
    }
}
