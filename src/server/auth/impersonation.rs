//! An admin viewing the CRM exactly as someone else sees it (seed 001): starting, with their
//! own password again and a reason on the record; stopping; and the end the server imposes
//! after [`LIMIT`]. The admin's sign-in row stays theirs throughout; the cookie session points
//! at it and at the impersonation, and its id is cycled at start and at stop.

use super::service::{Limit, attach_session, audit_entry, check_throttle, email_key};
use super::{ClientInfo, Principal, SESSION_KEY, SessionAuth, Staff, Via, password};
use crate::domain::admin::ImpersonationRequest;
use crate::domain::error::{AppError, AppResult};
use crate::server::db::impersonations::{self, ImpersonationRow, NewImpersonation};
use crate::server::db::{audit, portal, throttle, users};
use crate::server::policy::{self, Guarded};
use crate::server::state::AppState;
use chrono::{DateTime, Duration, Utc};
use serde_json::json;
use tower_sessions::Session;
use uuid::Uuid;

/// How long a viewing lasts before the server ends it.
pub const LIMIT: Duration = Duration::minutes(30);
pub const REASON_MAX_CHARS: usize = 500;

/// Whom to view as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Subject {
    User(Uuid),
    Contact(Uuid),
    /// A company: its primary contact, in the portal.
    Account(Uuid),
}

impl Subject {
    /// The one of the three ids a request names.
    pub fn of(r: &ImpersonationRequest) -> AppResult<Subject> {
        match (r.user_id, r.contact_id, r.account_id) {
            (Some(id), None, None) => Ok(Subject::User(id)),
            (None, Some(id), None) => Ok(Subject::Contact(id)),
            (None, None, Some(id)) => Ok(Subject::Account(id)),
            _ => Err(AppError::invalid(
                "user_id",
                "Name exactly one of user_id, contact_id or account_id.",
            )),
        }
    }
}

#[derive(Clone, Debug)]
pub struct Started {
    pub impersonation_id: Uuid,
    pub ends_at: DateTime<Utc>,
    /// Where the viewing begins: the staff app or the portal.
    pub home: &'static str,
    pub subject_name: String,
}

/// Who the viewing is of, once resolved.
struct Resolved {
    user_id: Option<Uuid>,
    contact_id: Option<Uuid>,
    account_id: Option<Uuid>,
    name: String,
}

impl Resolved {
    fn subject_id(&self) -> Option<Uuid> {
        self.user_id.or(self.contact_id)
    }
}

async fn resolve(state: &AppState, admin: &Staff, subject: Subject) -> AppResult<Resolved> {
    let mut h = state.db.handle().await?;
    let contact = |id: Uuid, account_id: Option<Uuid>| async move {
        let mut h = state.db.handle().await?;
        let k = portal::by_id(&mut h.c(), id)
            .await?
            .ok_or(AppError::NotFound)?;
        if let Some(refusal) = k.refusal() {
            return Err(AppError::invalid(
                "contact_id",
                format!("{refusal} Viewing the portal as a contact needs their portal access."),
            ));
        }
        Ok::<_, AppError>(Resolved {
            user_id: None,
            contact_id: Some(k.id),
            account_id: account_id.or(k.account_id),
            name: k.name(),
        })
    };
    match subject {
        Subject::User(id) => {
            let u = users::by_id(&mut h.c(), id)
                .await?
                .ok_or(AppError::NotFound)?;
            policy::may_impersonate_user(admin.user.role, admin.user.id, u.role, u.id)?;
            if !u.active {
                return Err(AppError::invalid(
                    "user_id",
                    "This user is deactivated; there is nothing they can see.",
                ));
            }
            Ok(Resolved {
                user_id: Some(u.id),
                contact_id: None,
                account_id: None,
                name: u.name,
            })
        }
        Subject::Contact(id) => {
            policy::may_impersonate_contact(admin.user.role)?;
            drop(h);
            contact(id, None).await
        }
        Subject::Account(id) => {
            policy::may_impersonate_contact(admin.user.role)?;
            let primary = impersonations::primary_contact_of(&mut h.c(), id)
                .await?
                .ok_or(AppError::NotFound)?;
            drop(h);
            let Some(contact_id) = primary else {
                return Err(AppError::invalid(
                    "account_id",
                    "This company has no primary contact to view the portal as. Set one first.",
                ));
            };
            contact(contact_id, Some(id)).await
        }
    }
}

/// Starts viewing as `subject`. Refused while already viewing, through an API token, for a
/// subject the admin's role may not view as, without a reason, or with the wrong password
/// (which counts toward the sign-in throttle, like any wrong password). Every refusal of a
/// staff member is on the record too, with why.
pub async fn start(
    state: &AppState,
    session: &Session,
    principal: &Principal,
    client: &ClientInfo,
    subject: Subject,
    reason: &str,
    password_attempt: &str,
) -> AppResult<Started> {
    let result = try_start(
        state,
        session,
        principal,
        client,
        subject,
        reason,
        password_attempt,
    )
    .await;
    if let (Err(refusal), Some(staff)) = (&result, principal.staff())
        && !matches!(
            refusal,
            AppError::Internal { .. } | AppError::Unauthorized { .. }
        )
    {
        let (user_id, contact_id) = match subject {
            Subject::User(id) => (Some(id), None),
            Subject::Contact(id) => (None, Some(id)),
            Subject::Account(_) => (None, None),
        };
        let mut entry = audit_entry("impersonation.refused", client);
        entry.actor_id = Some(staff.actor_id());
        entry.subject_id = user_id.or(contact_id);
        entry.details = json!({
            "why": refusal.code(),
            "message": refusal.message(),
            "reason": reason.trim(),
            "subject": format!("{subject:?}"),
        });
        let now = state.now();
        let mut tx = state.db.begin().await?;
        audit::insert(&mut tx.c(), &entry, now).await?;
        tx.commit().await?;
    }
    result
}

async fn try_start(
    state: &AppState,
    session: &Session,
    principal: &Principal,
    client: &ClientInfo,
    subject: Subject,
    reason: &str,
    password_attempt: &str,
) -> AppResult<Started> {
    policy::refuse_while_impersonating(principal, Guarded::Impersonate)?;
    let admin = policy::impersonate(principal.require_staff()?)?;
    let Via::Session { session_id } = admin.via else {
        return Err(AppError::forbidden(
            "Viewing as someone needs a browser sign-in, not an API token.",
        ));
    };
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(AppError::invalid(
            "reason",
            "Say why you need to view as them; it goes on the record.",
        ));
    }
    if reason.chars().count() > REASON_MAX_CHARS {
        return Err(AppError::invalid(
            "reason",
            format!("Keep the reason under {REASON_MAX_CHARS} characters."),
        ));
    }
    let who = resolve(state, admin, subject).await?;

    let now = state.now();
    let key = email_key(&admin.user.email);
    let stored = {
        let mut h = state.db.handle().await?;
        check_throttle(&mut h.c(), &[Limit::Account(&key)], now).await?;
        users::by_id(&mut h.c(), admin.user.id)
            .await?
            .and_then(|u| u.password_hash)
    };
    // Verified before the write begins: hashing takes a while, and nobody else may write
    // meanwhile on SQLite.
    if !password::verify(password_attempt, stored.as_deref()).await {
        let mut tx = state.db.begin().await?;
        throttle::record_failure(&mut tx.c(), &key, now).await?;
        tx.commit().await?;
        return Err(AppError::invalid(
            "password",
            "That is not your password. Enter your own password to confirm.",
        ));
    }
    let mut tx = state.db.begin().await?;
    let id = Uuid::now_v7();
    let ends_at = now + LIMIT;
    impersonations::insert(
        &mut tx.c(),
        &NewImpersonation {
            id,
            admin_id: admin.user.id,
            admin_session_id: session_id,
            subject_user_id: who.user_id,
            subject_contact_id: who.contact_id,
            via_account_id: who
                .account_id
                .filter(|_| matches!(subject, Subject::Account(_))),
            reason,
            now,
            expires_at: ends_at,
        },
    )
    .await?;
    let mut entry = audit_entry("impersonation.started", client);
    entry.actor_id = Some(admin.user.id);
    entry.subject_id = who.subject_id();
    entry.target_type = Some(
        if who.user_id.is_some() {
            "user"
        } else {
            "contact"
        }
        .into(),
    );
    entry.target_id = who.subject_id().map(|id| id.to_string());
    entry.details = json!({
        "impersonation_id": id,
        "reason": reason,
        "subject_name": who.name,
        "account_id": who.account_id,
        "ends_at": ends_at,
    });
    audit::insert(&mut tx.c(), &entry, now).await?;
    tx.commit().await?;

    attach_session(
        state,
        session,
        SessionAuth {
            session_id,
            portal: false,
            impersonation: Some(id),
        },
    )
    .await?;
    Ok(Started {
        impersonation_id: id,
        ends_at,
        // A staff member's own first page follows their role ("/" sends each to theirs).
        home: if who.user_id.is_some() {
            "/"
        } else {
            "/portal"
        },
        subject_name: who.name,
    })
}

/// Stops the viewing this principal is, returning the admin to their own session (new id).
/// False when the principal is not an impersonation. `why` is `stopped` or `signed_out`.
pub async fn stop(
    state: &AppState,
    session: &Session,
    principal: &Principal,
    client: &ClientInfo,
    why: &str,
) -> AppResult<bool> {
    let Some(by) = principal.impersonator() else {
        return Ok(false);
    };
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let row = impersonations::by_id(&mut tx.c(), by.impersonation_id).await?;
    if let Some(row) = &row {
        end_on_record(&mut tx, row, why, client, now).await?;
    }
    tx.commit().await?;
    attach_session(state, session, SessionAuth::staff(by.admin_session_id)).await?;
    Ok(true)
}

/// Ends an impersonation the server found no longer good (expired, its subject gone or out of
/// reach), and points the cookie back at the admin alone.
pub(super) async fn forget(
    state: &AppState,
    session: &Session,
    admin: &Staff,
    row: Option<&ImpersonationRow>,
    why: &str,
) -> AppResult<()> {
    if let Some(row) = row.filter(|r| r.ended_at.is_none()) {
        let mut tx = state.db.begin().await?;
        end_on_record(&mut tx, row, why, &ClientInfo::default(), state.now()).await?;
        tx.commit().await?;
    }
    let Via::Session { session_id } = admin.via else {
        return Ok(());
    };
    attach_session(state, session, SessionAuth::staff(session_id)).await
}

async fn end_on_record(
    tx: &mut crate::server::db::Tx,
    row: &ImpersonationRow,
    why: &str,
    client: &ClientInfo,
    now: DateTime<Utc>,
) -> AppResult<()> {
    if !impersonations::end(&mut tx.c(), row.id, why, now).await? {
        return Ok(());
    }
    let mut entry = audit_entry("impersonation.ended", client);
    entry.actor_id = Some(row.admin_id);
    entry.subject_id = row.subject_user_id.or(row.subject_contact_id);
    entry.target_type = Some(
        if row.subject_user_id.is_some() {
            "user"
        } else {
            "contact"
        }
        .into(),
    );
    entry.target_id = entry.subject_id.map(|id| id.to_string());
    entry.details = json!({
        "impersonation_id": row.id,
        "why": why,
        "reason": row.reason,
        "minutes": (now.min(row.expires_at) - row.started_at).num_minutes(),
    });
    audit::insert(&mut tx.c(), &entry, now).await?;
    Ok(())
}

/// Whether the cookie session carries an impersonation (for sign-out).
pub async fn in_session(session: &Session) -> AppResult<bool> {
    Ok(session
        .get::<SessionAuth>(SESSION_KEY)
        .await?
        .is_some_and(|a| a.impersonation.is_some()))
}
