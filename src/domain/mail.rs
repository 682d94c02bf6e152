//! Mail as admins see it on the outbox page: where each message is, never its body.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// One mail in the outbox.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema, sqlx::FromRow))]
pub struct OutboxMail {
    pub id: Uuid,
    /// What it is for: `test`, `portal_invite`, `set_password`, …
    pub purpose: String,
    pub to_address: String,
    pub subject: String,
    pub message_id: String,
    /// `queued`, `sending`, `sent` or `failed`.
    pub state: String,
    pub attempts: i64,
    pub next_attempt_at: DateTime<Utc>,
    /// The last SMTP error, for a mail that is waiting to be tried again or failed.
    pub last_error: Option<String>,
    /// What the SMTP server answered when it took the mail.
    pub server_reply: Option<String>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

/// The outbox page: whether mail leaves this server at all, and the newest mails.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Outbox {
    /// False without `CRM_SMTP_URL`: mail is kept here and not sent.
    pub sending: bool,
    /// The SMTP server mail goes to (scheme, host and port; never a password).
    pub server: Option<String>,
    pub mails: Vec<OutboxMail>,
}

/// The states a mail can be in, for the page's filter.
pub const STATES: [&str; 4] = ["queued", "sending", "sent", "failed"];

/// A test mail to send.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TestMail {
    pub to: String,
}

/// The outbox page's filter.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema, utoipa::IntoParams))]
pub struct OutboxFilter {
    /// `queued`, `sending`, `sent` or `failed`; none or `all`: every mail.
    #[serde(default)]
    pub state: Option<String>,
}
