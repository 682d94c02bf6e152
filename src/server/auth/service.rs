//! Signing in and out, first-run setup, set-password links, new users and API tokens.
//! Shared by the HTTP handlers, the server functions and the command line. A little over 600
//! lines on purpose: every way in shares one throttle and one audit shape, read best together.

use super::{ClientInfo, Principal, SESSION_KEY, SessionAuth, password, secret};
use crate::domain::error::{AppError, AppResult};
use crate::domain::user::{CurrentUser, NewStaffUser, Role, normalize_email, password_problem};
use crate::server::db::{self, Conn, audit, sessions, throttle, tokens, users};
use crate::server::error::internal;
use crate::server::mail::{self, letters, letters::LinkTo, letters::PasswordLink};
use crate::server::state::AppState;
use chrono::{DateTime, Duration, Utc};
use serde_json::json;
use tower_sessions::{Expiry, Session};
use uuid::Uuid;

/// Failed sign-ins allowed per account inside the window.
pub const MAX_FAILURES: i64 = 10;
/// Distinct accounts that may fail to sign in from one address inside the window: far above
/// what an office behind one address mistypes, far below what password spraying needs.
pub const MAX_ACCOUNTS_PER_ADDRESS: i64 = 30;
pub const FAILURE_WINDOW: Duration = Duration::minutes(15);
pub const SETUP_LINK_VALID: Duration = Duration::hours(24);
pub const SET_PASSWORD_LINK_VALID: Duration = Duration::hours(72);

pub(crate) fn email_key(email: &str) -> String {
    format!("email:{email}")
}

fn ip_key(ip: &str) -> String {
    format!("ip:{ip}")
}

/// A sign-in limit: failures of one account, or distinct accounts failing from one address.
pub(crate) enum Limit<'a> {
    Account(&'a str),
    Address(&'a str),
}

/// Refuses with 429 while an account has too many recent failures, or an address has failed
/// for too many distinct accounts. The limit lifts as the failures age out of the window;
/// refused attempts are not counted, so an attacker hammering an account cannot keep its owner
/// out beyond the window, and one person's typos do not lock out their colleagues.
pub(crate) async fn check_throttle(
    c: &mut Conn<'_>,
    limits: &[Limit<'_>],
    now: DateTime<Utc>,
) -> AppResult<()> {
    let since = now - FAILURE_WINDOW;
    let mut retry_after: Option<i64> = None;
    for limit in limits {
        let lifts_at = match limit {
            Limit::Account(key) => {
                let (n, _) = throttle::failures_since(c, key, since).await?;
                if n < MAX_FAILURES {
                    continue;
                }
                throttle::nth_newest_since(c, key, since, MAX_FAILURES).await?
            }
            Limit::Address(key) => {
                let n = throttle::distinct_accounts_since(c, key, since).await?;
                if n < MAX_ACCOUNTS_PER_ADDRESS {
                    continue;
                }
                throttle::nth_newest_account_since(c, key, since, MAX_ACCOUNTS_PER_ADDRESS).await?
            }
        };
        let lifts_at = lifts_at.map_or(now + FAILURE_WINDOW, |t| t + FAILURE_WINDOW);
        let secs = (lifts_at - now).num_seconds().max(1);
        retry_after = Some(retry_after.map_or(secs, |r| r.max(secs)));
    }
    match retry_after {
        Some(secs) => Err(AppError::RateLimited {
            retry_after_secs: secs.unsigned_abs(),
        }),
        None => Ok(()),
    }
}

pub(crate) fn audit_entry(action: &str, client: &ClientInfo) -> audit::NewEntry {
    audit::NewEntry {
        action: action.into(),
        ip: Some(client.ip.clone()),
        user_agent: Some(client.user_agent.clone()),
        ..Default::default()
    }
}

/// Signs a staff user in with email and password.
pub async fn login(
    state: &AppState,
    session: &Session,
    client: &ClientInfo,
    email: &str,
    password_attempt: &str,
) -> AppResult<CurrentUser> {
    let email = normalize_email(email);
    let now = state.now();
    let (account_key, address_key) = (email_key(&email), ip_key(&client.ip));
    let limits = [Limit::Account(&account_key), Limit::Address(&address_key)];

    let found = {
        let mut h = state.db.handle().await?;
        if let Err(limited) = check_throttle(&mut h.c(), &limits, now).await {
            drop(h);
            let mut tx = state.db.begin().await?;
            let mut entry = audit_entry("auth.login_failed", client);
            entry.actor_label = Some(email.clone());
            entry.details = json!({ "reason": "throttled" });
            audit::insert(&mut tx.c(), &entry, now).await?;
            tx.commit().await?;
            return Err(limited);
        }
        users::by_email(&mut h.c(), &email).await?
    };

    // No staff member has this email: perhaps a prospect or client of the portal. Either way
    // a refusal gets the same message, and its reason goes only to the audit log.
    let mut portal_refusal = None;
    if found.is_none() {
        match super::portal::sign_in(state, client, &email, password_attempt).await? {
            Ok((session_id, k)) => {
                let mut tx = state.db.begin().await?;
                throttle::clear(&mut tx.c(), &account_key).await?;
                tx.commit().await?;
                attach_session(state, session, SessionAuth::portal(session_id)).await?;
                return Ok(CurrentUser {
                    id: k.id,
                    email,
                    name: k.name(),
                    role: match k.role {
                        crate::domain::contact::ContactRole::Client => Role::Client,
                        _ => Role::Prospect,
                    },
                });
            }
            Err(reason) => portal_refusal = Some(reason),
        }
    }

    let stored_hash = found.as_ref().and_then(|u| u.password_hash.as_deref());
    let password_ok = match &found {
        Some(_) => password::verify(password_attempt, stored_hash).await,
        None => false,
    };
    let failure = match &found {
        None => Some(portal_refusal.unwrap_or("unknown_email")),
        Some(u) if u.password_hash.is_none() => Some("no_password"),
        Some(_) if !password_ok => Some("bad_password"),
        Some(u) if !u.active => Some("inactive"),
        Some(_) => None,
    };

    let mut tx = state.db.begin().await?;
    let Some(user) = found.filter(|_| failure.is_none()) else {
        throttle::record_failure(&mut tx.c(), &account_key, now).await?;
        throttle::record_failure_for(&mut tx.c(), &address_key, Some(&email), now).await?;
        let mut entry = audit_entry("auth.login_failed", client);
        entry.actor_label = Some(email);
        entry.details = json!({ "reason": failure.unwrap_or("unknown") });
        audit::insert(&mut tx.c(), &entry, now).await?;
        tx.commit().await?;
        return Err(AppError::bad_credentials());
    };

    throttle::clear(&mut tx.c(), &account_key).await?;
    let session_id = open_session(state, &mut tx.c(), user.id, client, now).await?;
    let mut entry = audit_entry("auth.login", client);
    entry.actor_id = Some(user.id);
    entry.target_type = Some("user".into());
    entry.target_id = Some(user.id.to_string());
    audit::insert(&mut tx.c(), &entry, now).await?;
    tx.commit().await?;

    attach_session(state, session, SessionAuth::staff(session_id)).await?;
    Ok(user.current())
}

/// Writes the server-side sign-in row (inside the caller's transaction).
async fn open_session(
    state: &AppState,
    c: &mut Conn<'_>,
    user_id: Uuid,
    client: &ClientInfo,
    now: DateTime<Utc>,
) -> AppResult<Uuid> {
    let id = Uuid::now_v7();
    let max = Duration::hours(i64::from(state.config.session_max_hours));
    sessions::insert(
        c,
        &sessions::NewSession {
            id,
            user_id,
            now,
            expires_at: now + max,
            ip: &client.ip,
            user_agent: &client.user_agent,
        },
    )
    .await?;
    users::record_login(c, user_id, now).await?;
    Ok(id)
}

/// Points the cookie session at a sign-in row, under a fresh session id (no fixation).
pub(crate) async fn attach_session(
    state: &AppState,
    session: &Session,
    auth: SessionAuth,
) -> AppResult<()> {
    session.cycle_id().await?;
    session.insert(SESSION_KEY, auth).await?;
    // The store's own expiry is wall-clock time; the absolute limit the server enforces
    // lives on the sign-in row and follows the application clock.
    let max = time::Duration::hours(i64::from(state.config.session_max_hours));
    session.set_expiry(Some(Expiry::AtDateTime(
        time::OffsetDateTime::now_utc() + max,
    )));
    Ok(())
}

/// What signing out did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignedOut {
    /// The sign-in ended; the cookie session is cleared.
    Ended,
    /// An admin was viewing as someone: the viewing ended and the admin is themselves again.
    BackToAdmin,
}

/// Ends the current sign-in on the server and clears the cookie session; while an admin views
/// as someone, ends only the viewing.
pub async fn logout(
    state: &AppState,
    session: &Session,
    principal: &Principal,
    client: &ClientInfo,
) -> AppResult<SignedOut> {
    if super::impersonation::stop(state, session, principal, client, "signed_out").await? {
        return Ok(SignedOut::BackToAdmin);
    }
    let now = state.now();
    if let Some(auth) = session.get::<SessionAuth>(SESSION_KEY).await? {
        let mut tx = state.db.begin().await?;
        if auth.portal {
            db::portal::end_session(&mut tx.c(), auth.session_id, "logout", now).await?;
        } else {
            sessions::end(&mut tx.c(), auth.session_id, "logout", now).await?;
            db::impersonations::end_for_admin_session(
                &mut tx.c(),
                auth.session_id,
                "signed_out",
                now,
            )
            .await?;
        }
        let mut entry = audit_entry("auth.logout", client);
        entry.actor_id = principal.user_id();
        entry.actor_label = principal.portal().map(|p| format!("{} (portal)", p.email));
        audit::insert(&mut tx.c(), &entry, now).await?;
        tx.commit().await?;
    }
    session.flush().await?;
    Ok(SignedOut::Ended)
}

/// With no users yet, makes a fresh one-time setup link (retiring older ones) and returns it.
pub async fn ensure_setup_link(state: &AppState) -> AppResult<Option<String>> {
    let now = state.now();
    let mut tx = state.db.begin().await?;
    if users::count(&mut tx.c()).await? > 0 {
        return Ok(None);
    }
    let token = secret::generate("setup_");
    tokens::retire_one_time(&mut tx.c(), tokens::Purpose::Setup, None, now).await?;
    tokens::insert_one_time(
        &mut tx.c(),
        &secret::digest(&token),
        tokens::Purpose::Setup,
        None,
        now,
        now + SETUP_LINK_VALID,
    )
    .await?;
    tx.commit().await?;
    Ok(Some(format!(
        "{}/setup?token={token}",
        state.config.public_url()
    )))
}

fn link_problem(found: Option<&tokens::OneTime>, now: DateTime<Utc>) -> Option<AppError> {
    match found {
        Some(t) if t.used_at.is_none() && t.expires_at > now => None,
        Some(t) if t.used_at.is_some() => Some(AppError::invalid(
            "token",
            "This link has already been used.",
        )),
        Some(_) => Some(AppError::invalid("token", "This link has expired.")),
        None => Some(AppError::invalid("token", "This link is not valid.")),
    }
}

/// Whether a one-time link still works, for the page that shows its form.
pub async fn check_link(state: &AppState, token: &str, purpose: tokens::Purpose) -> AppResult<()> {
    let mut h = state.db.handle().await?;
    let found = tokens::find_one_time(&mut h.c(), &secret::digest(token), purpose).await?;
    match link_problem(found.as_ref(), state.now()) {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// First run: the person holding the setup link creates the first super admin, and is
/// signed in as them.
pub async fn complete_setup(
    state: &AppState,
    session: &Session,
    client: &ClientInfo,
    token: &str,
    input: NewStaffUser,
) -> AppResult<CurrentUser> {
    if input.password.is_none() {
        return Err(AppError::invalid("password", "Choose a password."));
    }
    input.validate()?;
    let token_hash = secret::digest(token);
    // The link is checked before the password is hashed: hashing costs memory and a core, and
    // nobody without the link may make the server spend them.
    {
        let mut h = state.db.handle().await?;
        let found = tokens::find_one_time(&mut h.c(), &token_hash, tokens::Purpose::Setup).await?;
        if let Some(problem) = link_problem(found.as_ref(), state.now()) {
            return Err(problem);
        }
    }
    let hash = password::hash(input.password.as_deref().unwrap_or_default())
        .await
        .map_err(internal)?;
    let now = state.now();
    let email = normalize_email(&input.email);

    let mut tx = state.db.begin().await?;
    let found = tokens::find_one_time(&mut tx.c(), &token_hash, tokens::Purpose::Setup).await?;
    if let Some(problem) = link_problem(found.as_ref(), now) {
        return Err(problem);
    }
    if users::count(&mut tx.c()).await? > 0 {
        return Err(AppError::invalid(
            "token",
            "Setup is already complete. Sign in instead.",
        ));
    }
    let id = Uuid::now_v7();
    let name = input.name.trim();
    users::insert(
        &mut tx.c(),
        &users::NewUser {
            id,
            email: &email,
            name,
            role: Role::SuperAdmin,
            password_hash: Some(&hash),
            now,
        },
    )
    .await?;
    tokens::use_one_time(&mut tx.c(), &token_hash, now).await?;
    let mut entry = audit_entry("setup.completed", client);
    entry.actor_id = Some(id);
    entry.target_type = Some("user".into());
    entry.target_id = Some(id.to_string());
    entry.details = json!({ "email": email, "role": Role::SuperAdmin });
    audit::insert(&mut tx.c(), &entry, now).await?;
    let session_id = open_session(state, &mut tx.c(), id, client, now).await?;
    tx.commit().await?;

    attach_session(state, session, SessionAuth::staff(session_id)).await?;
    Ok(CurrentUser {
        id,
        email,
        name: name.to_string(),
        role: Role::SuperAdmin,
    })
}

/// A new user (or one whose password was reset) sets a password through their link, and is
/// signed in.
pub async fn set_password_with_link(
    state: &AppState,
    session: &Session,
    client: &ClientInfo,
    token: &str,
    new_password: &str,
    revoke_tokens: bool,
) -> AppResult<CurrentUser> {
    if let Some(p) = password_problem(new_password) {
        return Err(AppError::invalid("password", p));
    }
    check_link(state, token, tokens::Purpose::SetPassword).await?;
    let hash = password::hash(new_password).await.map_err(internal)?;
    let now = state.now();
    let token_hash = secret::digest(token);

    let mut tx = state.db.begin().await?;
    let found =
        tokens::find_one_time(&mut tx.c(), &token_hash, tokens::Purpose::SetPassword).await?;
    if let Some(problem) = link_problem(found.as_ref(), now) {
        return Err(problem);
    }
    let user_id = found
        .and_then(|t| t.user_id)
        .ok_or_else(|| AppError::invalid("token", "This link is not valid."))?;
    let user = users::by_id(&mut tx.c(), user_id)
        .await?
        .filter(|u| u.active);
    let Some(user) = user else {
        return Err(AppError::invalid("token", "This account is not active."));
    };
    users::set_password(&mut tx.c(), user.id, &hash, now).await?;
    tokens::use_one_time(&mut tx.c(), &token_hash, now).await?;
    // A reset link is often sent because an account may be in the wrong hands.
    let ended = sessions::end_all_for_user(&mut tx.c(), user.id, "password_reset", now).await?;
    let revoked = if revoke_tokens {
        tokens::revoke_all_for_user(&mut tx.c(), user.id, now).await?
    } else {
        0
    };
    let mut entry = audit_entry("user.password_set", client);
    entry.actor_id = Some(user.id);
    entry.target_type = Some("user".into());
    entry.target_id = Some(user.id.to_string());
    entry.details = json!({ "sessions_ended": ended, "tokens_revoked": revoked });
    audit::insert(&mut tx.c(), &entry, now).await?;
    let session_id = open_session(state, &mut tx.c(), user.id, client, now).await?;
    tx.commit().await?;

    attach_session(state, session, SessionAuth::staff(session_id)).await?;
    Ok(user.current())
}

/// What creating a user produced: its id, and when no password was given, the set-password
/// link (without a mail server) or the address it was mailed to.
#[derive(Debug)]
pub struct CreatedUser {
    pub id: Uuid,
    pub set_password_link: Option<String>,
    pub mailed_to: Option<String>,
}

/// Creates a staff user. Without a password, returns a one-time set-password link.
pub async fn create_staff_user(
    state: &AppState,
    actor: Option<Uuid>,
    client: &ClientInfo,
    input: NewStaffUser,
    role: Role,
) -> AppResult<CreatedUser> {
    if !role.is_staff() {
        return Err(AppError::invalid(
            "role",
            "Choose a staff role: super_admin, admin, manager, sales or support.",
        ));
    }
    input.validate()?;
    let hash = match input.password.as_deref() {
        Some(p) => Some(password::hash(p).await.map_err(internal)?),
        None => None,
    };
    let now = state.now();
    let email = normalize_email(&input.email);
    let id = Uuid::now_v7();
    let mut tx = state.db.begin().await?;
    let inserted = users::insert(
        &mut tx.c(),
        &users::NewUser {
            id,
            email: &email,
            name: input.name.trim(),
            role,
            password_hash: hash.as_deref(),
            now,
        },
    )
    .await;
    if let Err(e) = inserted {
        if users::EMAIL_TAKEN.violated_by(&e) {
            // The failed insert aborted the transaction (on PostgreSQL): look up outside it.
            drop(tx);
            let mut h = state.db.handle().await?;
            let existing = users::by_email(&mut h.c(), &email)
                .await?
                .map(|u| u.id.to_string());
            return Err(AppError::Conflict {
                message: "A user with this email already exists.".into(),
                existing_id: existing,
                current: None,
            });
        }
        return Err(e.into());
    }
    let (link, mailed_to) = if hash.is_none() {
        let link = password_link(state, &mut tx.c(), id, SET_PASSWORD_LINK_VALID, now).await?;
        let letter = letters::staff_password(&LinkTo {
            business: &state.config.business_name,
            name: input.name.trim(),
            to: &email,
            url: &link,
            why: PasswordLink::NewUser,
            valid: SET_PASSWORD_LINK_VALID,
        });
        match mail::queue(state.mailer.as_ref(), &mut tx.c(), &letter, now).await? {
            Some(mailed) => (None, Some(mailed.to)),
            None => (Some(link), None),
        }
    } else {
        (None, None)
    };
    let mut entry = audit_entry("user.created", client);
    entry.actor_id = actor;
    entry.target_type = Some("user".into());
    entry.target_id = Some(id.to_string());
    entry.details = json!({ "email": email, "role": role, "name": input.name.trim() });
    audit::insert(&mut tx.c(), &entry, now).await?;
    tx.commit().await?;
    mail::wake(&state.mail_wake);
    Ok(CreatedUser {
        id,
        set_password_link: link,
        mailed_to,
    })
}

/// A new one-time set-password link for a user, valid for `valid` (inside the caller's
/// transaction). Only the newest link works: the user's earlier unused ones are retired.
pub(crate) async fn password_link(
    state: &AppState,
    c: &mut Conn<'_>,
    user_id: Uuid,
    valid: Duration,
    now: DateTime<Utc>,
) -> AppResult<String> {
    let token = secret::generate("pw_");
    tokens::retire_one_time(c, tokens::Purpose::SetPassword, Some(user_id), now).await?;
    tokens::insert_one_time(
        c,
        &secret::digest(&token),
        tokens::Purpose::SetPassword,
        Some(user_id),
        now,
        now + valid,
    )
    .await?;
    Ok(format!(
        "{}/set-password?token={token}",
        state.config.public_url()
    ))
}

/// What turning a user off does, inside the caller's transaction: every session of theirs
/// ends, and their API tokens are revoked for good, so turning them on again later does not
/// bring old credentials back to life. Returns (sessions ended, tokens revoked).
pub(crate) async fn cut_off(
    c: &mut Conn<'_>,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> AppResult<(u64, u64)> {
    let ended = sessions::end_all_for_user(c, user_id, "deactivated", now).await?;
    let revoked = tokens::revoke_all_for_user(c, user_id, now).await?;
    Ok((ended, revoked))
}

/// Turns a user on or off. Turning off ends every session of theirs at once.
pub async fn set_user_active(
    state: &AppState,
    actor: Option<Uuid>,
    client: &ClientInfo,
    user_id: Uuid,
    active: bool,
) -> AppResult<()> {
    let now = state.now();
    let mut tx = state.db.begin().await?;
    if !users::set_active(&mut tx.c(), user_id, active, now).await? {
        return Err(AppError::NotFound);
    }
    let (ended, revoked) = if active {
        (0, 0)
    } else {
        cut_off(&mut tx.c(), user_id, now).await?
    };
    let mut entry = audit_entry(
        if active {
            "user.reactivated"
        } else {
            "user.deactivated"
        },
        client,
    );
    entry.actor_id = actor;
    entry.target_type = Some("user".into());
    entry.target_id = Some(user_id.to_string());
    entry.details = json!({ "sessions_ended": ended, "tokens_revoked": revoked });
    audit::insert(&mut tx.c(), &entry, now).await?;
    tx.commit().await?;
    Ok(())
}

/// Creates an API token for the user with this email; returns the token (shown once).
pub async fn create_api_token(state: &AppState, email: &str, label: &str) -> AppResult<String> {
    let email = normalize_email(email);
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let user = users::by_email(&mut tx.c(), &email)
        .await?
        .filter(|u| u.active);
    let Some(user) = user else {
        return Err(AppError::invalid("email", "No active user has this email."));
    };
    let token = secret::generate("crm_");
    let id = Uuid::now_v7();
    tokens::insert_api_token(
        &mut tx.c(),
        id,
        user.id,
        label,
        &secret::digest(&token),
        now,
    )
    .await?;
    let entry = audit::NewEntry {
        actor_id: Some(user.id),
        action: "api_token.created".into(),
        target_type: Some("api_token".into()),
        target_id: Some(id.to_string()),
        details: json!({ "label": label, "via": "cli" }),
        ..Default::default()
    };
    audit::insert(&mut tx.c(), &entry, now).await?;
    tx.commit().await?;
    Ok(token)
}
