//! What prospects and clients see in the portal: their own slice of a ticket and of their
//! profile. These types carry no internal field (notes, owners, assignees, values, SLA
//! internals), so nothing internal can cross to the portal by accident of serialization.

use super::error::AppError;
use super::records::{Check, clean};
use super::ticket::{TicketPriority, TicketStatus};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The signed-in portal user.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PortalMe {
    pub contact_id: Uuid,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: String,
    pub phone: Option<String>,
    pub title: Option<String>,
    /// `prospect` or `client`.
    pub role: String,
    pub account_name: Option<String>,
    /// The business running the portal, shown on top of every page.
    pub business_name: String,
    /// The time zone chosen (an IANA name); none follows the browser.
    #[serde(default)]
    pub time_zone: Option<String>,
    /// The locale chosen (`en-GB`); none follows the browser's language.
    #[serde(default)]
    pub locale: Option<String>,
}

impl PortalMe {
    pub fn name(&self) -> String {
        [self.first_name.as_deref(), self.last_name.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// What a portal user may change about themselves.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PortalProfilePatch {
    #[serde(default)]
    pub first_name: Option<String>,
    #[serde(default)]
    pub last_name: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub title: Option<String>,
    /// An IANA time zone; empty or missing: the browser's.
    #[serde(default)]
    pub time_zone: Option<String>,
    /// `en-US`, `en-GB`, `de-DE`, `fr-FR`, `es-ES` or `pt-BR`; empty or missing: the browser's.
    #[serde(default)]
    pub locale: Option<String>,
}

impl PortalProfilePatch {
    pub fn normalize(&mut self) {
        self.first_name = clean(self.first_name.take());
        self.last_name = clean(self.last_name.take());
        self.phone = clean(self.phone.take());
        self.title = clean(self.title.take());
    }

    pub fn validate(&self) -> Result<(), AppError> {
        let mut c = Check::new();
        if self.first_name.is_none() && self.last_name.is_none() {
            c.fail("first_name", "Enter a first or last name.");
        }
        c.length("first_name", self.first_name.as_deref(), 100);
        c.length("last_name", self.last_name.as_deref(), 100);
        c.length("title", self.title.as_deref(), 120);
        c.phone("phone", self.phone.as_deref());
        c.finish()
    }
}

/// A ticket as its customer sees it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema, sqlx::FromRow))]
pub struct PortalTicket {
    pub id: Uuid,
    pub number: i64,
    pub subject: String,
    pub description: String,
    pub status: TicketStatus,
    pub priority: TicketPriority,
    /// Who at the customer opened it (clients see their colleagues' tickets too).
    pub opened_by: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
}

/// A public reply, from the customer's side or from support.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema, sqlx::FromRow))]
pub struct PortalComment {
    pub id: Uuid,
    pub body: String,
    /// True when support wrote it.
    pub from_support: bool,
    pub author_name: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PortalTicketDetail {
    #[serde(flatten)]
    pub ticket: PortalTicket,
    pub comments: Vec<PortalComment>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NewPortalTicket {
    pub subject: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub priority: Option<TicketPriority>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PortalReply {
    pub body: String,
}

/// What a portal user may do to a ticket's status: mark it resolved.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PortalTicketPatch {
    pub status: Option<TicketStatus>,
}

/// A contact's invite link: mailed to them, or (without a mail server) shown to the staff
/// member to hand over. A mailed link is never shown: only the contact holds it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PortalInvite {
    /// The link to hand over; none when it was mailed.
    pub invite_url: Option<String>,
    /// The address the invite was mailed to.
    #[serde(default)]
    pub mailed_to: Option<String>,
    pub expires_at: DateTime<Utc>,
    /// The contact already uses the portal: the link lets them choose a new password, and
    /// ends their other portal sessions when used.
    #[serde(default)]
    pub reset: bool,
}

/// Portal access of a contact, for the staff contact page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PortalAccess {
    pub enabled: bool,
    pub has_password: bool,
    pub last_login_at: Option<DateTime<Utc>>,
    /// Why this contact could not sign in now, if they could not.
    pub blocked_because: Option<String>,
    /// Whether the asker may invite this contact or turn their access off.
    #[serde(default)]
    pub may_manage: bool,
}

/// Who may invite a contact to the portal (what the policy allows, in words for the page).
pub const WHO_MAY_INVITE: &str =
    "Support, managers, admins and the sales owner of the contact or its account can invite.";
