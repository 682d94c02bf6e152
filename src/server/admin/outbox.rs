//! The outbox as admins see it: every mail the CRM wrote, where it is (queued, sent, failed
//! with the server's error), a retry for a failed one, and a test mail.

use crate::domain::error::{AppError, AppResult};
use crate::domain::mail::{Outbox, OutboxMail, STATES, TestMail};
use crate::server::auth::service::audit_entry;
use crate::server::db::{audit, outbox};
use crate::server::mail::{self, Outgoing};
use crate::server::policy::{self, Guarded};
use crate::server::principal::{ClientInfo, Principal, Staff};
use crate::server::state::AppState;
use serde_json::json;
use uuid::Uuid;

/// Mails listed at once, newest first.
const SHOWN: i64 = 200;

fn admin(principal: &Principal) -> AppResult<&Staff> {
    policy::refuse_while_impersonating(principal, Guarded::ManageUsers)?;
    policy::manage_mail(principal.require_staff()?)
}

/// The newest mails, in one state when `only` names one.
pub async fn list(
    state: &AppState,
    principal: &Principal,
    only: Option<&str>,
) -> AppResult<Outbox> {
    admin(principal)?;
    let only = only.map(str::trim).filter(|s| !s.is_empty() && *s != "all");
    if let Some(s) = only
        && !STATES.contains(&s)
    {
        return Err(AppError::invalid(
            "state",
            "Choose queued, sending, sent or failed.",
        ));
    }
    let mut h = state.db.handle().await?;
    let mails = outbox::list(&mut h.c(), only, SHOWN).await?;
    Ok(Outbox {
        sending: state.sends_mail(),
        server: state.mailer.as_ref().map(|m| m.server.clone()),
        mails,
    })
}

/// Sends a failed mail again, now (404 for no such mail, 409 when it has not failed).
pub async fn retry(
    state: &AppState,
    principal: &Principal,
    client: &ClientInfo,
    id: Uuid,
) -> AppResult<OutboxMail> {
    let staff = admin(principal)?;
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let found = outbox::get(&mut tx.c(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    if !outbox::retry(&mut tx.c(), id, now).await? {
        return Err(AppError::conflict(format!(
            "Only a failed mail is sent again; this one is {}.",
            found.state
        )));
    }
    let mut entry = audit_entry("outbox.retried", client);
    entry.actor_id = Some(staff.user.id);
    entry.target_type = Some("mail".into());
    entry.target_id = Some(id.to_string());
    entry.details = json!({ "to": found.to_address, "purpose": found.purpose });
    audit::insert(&mut tx.c(), &entry, now).await?;
    let again = outbox::get(&mut tx.c(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    tx.commit().await?;
    state.mail_wake.notify_one();
    Ok(again)
}

/// Writes a test mail to `to` and wakes the worker; the mail's state shows how it went.
pub async fn send_test(
    state: &AppState,
    principal: &Principal,
    client: &ClientInfo,
    input: TestMail,
) -> AppResult<OutboxMail> {
    let staff = admin(principal)?;
    test_mail(state, Some((staff, client)), &input.to).await
}

/// Writes a test mail to `to` (the outbox page, `crm mail test`), audited as the admin who
/// asked when there is one.
pub async fn test_mail(
    state: &AppState,
    by: Option<(&Staff, &ClientInfo)>,
    to: &str,
) -> AppResult<OutboxMail> {
    let to = to.trim().to_lowercase();
    if let Some(problem) = crate::domain::user::email_problem(&to) {
        return Err(AppError::invalid("to", problem));
    }
    let business = &state.config.business_name;
    let mail = Outgoing {
        purpose: "test",
        to_address: to.clone(),
        subject: format!("{business}: a test mail"),
        text: format!(
            "This is a test mail from {business}.\n\nIf you can read it, mail from the CRM reaches people."
        ),
        automatic: true,
        ..Default::default()
    };
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let (id, _) = mail::enqueue(&mut tx.c(), &mail, &state.mail_domain(), now).await?;
    if let Some((staff, client)) = by {
        let mut entry = audit_entry("outbox.test_sent", client);
        entry.actor_id = Some(staff.user.id);
        entry.target_type = Some("mail".into());
        entry.target_id = Some(id.to_string());
        entry.details = json!({ "to": to });
        audit::insert(&mut tx.c(), &entry, now).await?;
    }
    let written = outbox::get(&mut tx.c(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    tx.commit().await?;
    state.mail_wake.notify_one();
    Ok(written)
}
