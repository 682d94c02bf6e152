//! "Forgot password": anyone may ask for a link for an address. The answer is the same whether
//! or not an account uses it; only the address's owner learns, from their mailbox. A staff
//! user gets a set-password link, a portal user a portal one, each valid for an hour and once.

use super::ClientInfo;
use super::portal::invite_link;
use super::service::{audit_entry, password_link};
use crate::domain::error::{AppError, AppResult};
use crate::domain::user::{email_problem, normalize_email};
use crate::server::db::{audit, portal, throttle, users};
use crate::server::mail::{self, letters, letters::LinkTo, letters::PasswordLink};
use crate::server::state::AppState;
use chrono::Duration;
use serde_json::json;

/// How long a link asked for this way works.
pub const LINK_VALID: Duration = Duration::hours(1);
/// The window the limits below count in.
pub const WINDOW: Duration = Duration::minutes(15);
/// Links one address is sent per window; more requests get the same answer and send nothing,
/// so nobody can fill a person's mailbox through us.
pub const PER_ADDRESS: i64 = 3;
/// Requests one network address may make per window before it is told to wait (429): far
/// above an office's forgetful people, far below a scan of addresses.
pub const PER_IP: i64 = 20;

pub use crate::domain::user::FORGOT_ANSWER as ANSWER;

/// Sends a link to the account (staff, portal, or both) that uses `email`, if any.
pub async fn request(state: &AppState, client: &ClientInfo, email: &str) -> AppResult<()> {
    let email = normalize_email(email);
    if let Some(problem) = email_problem(&email) {
        return Err(AppError::invalid("email", problem));
    }
    let now = state.now();
    let since = now - WINDOW;
    let mut tx = state.db.begin().await?;
    let from_ip = format!("forgot-ip:{}", client.ip);
    let (asked, oldest) = throttle::failures_since(&mut tx.c(), &from_ip, since).await?;
    if asked >= PER_IP {
        let lifts = oldest.map_or(now + WINDOW, |t| t + WINDOW);
        return Err(AppError::RateLimited {
            retry_after_secs: (lifts - now).num_seconds().max(1).unsigned_abs(),
        });
    }
    throttle::record_failure(&mut tx.c(), &from_ip, now).await?;
    let for_address = format!("forgot:{email}");
    let (sent, _) = throttle::failures_since(&mut tx.c(), &for_address, since).await?;
    if sent >= PER_ADDRESS || !state.sends_mail() {
        tx.commit().await?;
        return Ok(());
    }
    let business = &state.config.business_name;
    let mut any = false;
    let staff = users::by_email(&mut tx.c(), &email)
        .await?
        .filter(|u| u.active && u.role.is_staff());
    if let Some(user) = staff {
        let link = password_link(state, &mut tx.c(), user.id, LINK_VALID, now).await?;
        let letter = letters::staff_password(&LinkTo {
            business,
            name: &user.name,
            to: &user.email,
            url: &link,
            why: PasswordLink::Forgot,
            valid: LINK_VALID,
        });
        let mailed = mail::queue(state.mailer.as_ref(), &mut tx.c(), &letter, now).await?;
        let mut entry = audit_entry("user.password_reset_requested", client);
        entry.target_type = Some("user".into());
        entry.target_id = Some(user.id.to_string());
        entry.details = json!({ "mailed": mailed.map(|m| m.id) });
        audit::insert(&mut tx.c(), &entry, now).await?;
        any = true;
    }
    let customer = portal::by_email(&mut tx.c(), &email)
        .await?
        .filter(|k| k.refusal().is_none());
    if let Some(k) = customer {
        let url = invite_link(state, &mut tx.c(), k.id, None, LINK_VALID, now).await?;
        let letter = letters::portal_invite(&LinkTo {
            business,
            name: &k.name(),
            to: &email,
            url: &url,
            why: PasswordLink::Forgot,
            valid: LINK_VALID,
        });
        let mailed = mail::queue(state.mailer.as_ref(), &mut tx.c(), &letter, now).await?;
        let mut entry = audit_entry("contact.portal_reset_requested", client);
        entry.actor_label = Some(format!("{email} (portal)"));
        entry.target_type = Some("contact".into());
        entry.target_id = Some(k.id.to_string());
        entry.details = json!({ "mailed": mailed.map(|m| m.id) });
        audit::insert(&mut tx.c(), &entry, now).await?;
        any = true;
    }
    if any {
        throttle::record_failure(&mut tx.c(), &for_address, now).await?;
    }
    tx.commit().await?;
    mail::wake(&state.mail_wake);
    Ok(())
}
