//! Who is asking: the principal behind each request, resolved once by a middleware from an
//! API token or the session cookie, and read by every server function and REST handler.

pub mod forgot;
pub mod impersonation;
pub mod password;
pub mod portal;
pub mod profile;
pub mod secret;
pub mod service;

use super::db::{impersonations, portal as portal_rows, sessions, tokens, users};
use super::principal::{ClientInfo, Impersonator, PortalUser, Principal, Staff, Via};
use super::state::AppState;
use crate::domain::contact::ContactRole;
use crate::domain::error::AppError;
use crate::domain::regional::RegionalChoice;
use crate::domain::user::Role;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::Duration;
use serde::{Deserialize, Serialize};
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

pub const SESSION_KEY: &str = "auth";

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

/// Whose records `user` reaches: as this server last read it, while the reach generation read
/// with the sign-in row says nothing it depends on has changed; else read afresh.
async fn reach_of(
    state: &AppState,
    user: &users::UserRow,
    generation: i64,
) -> Result<crate::domain::team::StaffReach, AppError> {
    if let Some(known) = state.reach.get(user.id, user.role, generation) {
        return Ok(known);
    }
    let mut h = state.db.handle().await?;
    let reach = super::policy::reach(&mut h.c(), user.id, user.role).await?;
    state.reach.put(user.id, user.role, generation, &reach);
    Ok(reach)
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
        let reach = reach_of(state, &found.user, found.reach_generation).await?;
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
                reach: reach_of(state, &s.user, s.reach_generation).await?,
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
    let found = portal_rows::session(&mut h.c(), session_id).await?;
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
                portal_rows::touch_session(&mut w.c(), s.session_id, now).await?;
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
                portal_rows::end_session(&mut w.c(), s.session_id, reason.unwrap_or("ended"), now)
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
        (None, Some(contact_id)) => portal_rows::by_id(&mut h.c(), contact_id)
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
