//! Support tickets: their lifecycle, their SLA clock and their comments. Shared by the staff
//! queue, the portal and the REST API, so all three enforce the same transitions.

use super::error::AppError;
use super::records::{Check, clean, nullable};
use crate::choice_enum;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

choice_enum!(
    TicketPriority {
        Low = "low" / "Low",
        Normal = "normal" / "Normal",
        High = "high" / "High",
        Urgent = "urgent" / "Urgent",
    }
);

choice_enum!(
    TicketStatus {
        New = "new" / "New",
        Open = "open" / "Open",
        Pending = "pending" / "Pending",
        Resolved = "resolved" / "Resolved",
        Closed = "closed" / "Closed",
    }
);

choice_enum!(
    TicketChannel {
        Portal = "portal" / "Portal",
        Email = "email" / "Email",
        Phone = "phone" / "Phone",
        Web = "web" / "Web",
    }
);

impl Default for TicketPriority {
    fn default() -> Self {
        TicketPriority::Normal
    }
}

impl TicketStatus {
    /// Statuses the support queue shows by default: still work to do.
    pub const WORKING: [TicketStatus; 3] =
        [TicketStatus::New, TicketStatus::Open, TicketStatus::Pending];

    pub fn is_done(self) -> bool {
        matches!(self, TicketStatus::Resolved | TicketStatus::Closed)
    }

    /// Where a ticket may go from here. A resolved ticket may be reopened; a closed one is
    /// final (the customer opens a new ticket instead).
    pub fn next(self) -> &'static [TicketStatus] {
        use TicketStatus::*;
        match self {
            New => &[Open, Pending, Resolved, Closed],
            Open => &[Pending, Resolved, Closed],
            Pending => &[Open, Resolved, Closed],
            Resolved => &[Open, Closed],
            Closed => &[],
        }
    }

    pub fn can_move_to(self, to: TicketStatus) -> bool {
        self == to || self.next().contains(&to)
    }

    /// The error for a move that is not allowed, naming the field.
    pub fn refuse(self, to: TicketStatus) -> AppError {
        let why = if self == TicketStatus::Closed {
            "A closed ticket cannot change; open a new ticket instead.".to_string()
        } else {
            format!(
                "A {} ticket cannot become {}.",
                self.label().to_lowercase(),
                to.label().to_lowercase()
            )
        };
        AppError::invalid("status", why)
    }
}

/// The targets for one priority, in hours.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema, sqlx::FromRow))]
pub struct SlaPolicy {
    pub priority: TicketPriority,
    pub first_response_hours: i64,
    pub resolution_hours: i64,
}

impl SlaPolicy {
    pub fn validate(&self) -> Result<(), AppError> {
        let mut c = Check::new();
        let sane = |h: i64| (1..=24 * 365).contains(&h);
        c.when(
            !sane(self.first_response_hours),
            "first_response_hours",
            "Use between 1 and 8760 hours.",
        );
        c.when(
            !sane(self.resolution_hours),
            "resolution_hours",
            "Use between 1 and 8760 hours.",
        );
        c.when(
            self.resolution_hours < self.first_response_hours,
            "resolution_hours",
            "Resolution cannot be due before the first response.",
        );
        c.finish()
    }

    /// The two due times for a ticket whose clock starts at `from`.
    pub fn due_from(&self, from: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
        (
            from + Duration::hours(self.first_response_hours),
            from + Duration::hours(self.resolution_hours),
        )
    }
}

/// A ticket as staff see it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema, sqlx::FromRow))]
pub struct Ticket {
    pub id: Uuid,
    pub number: i64,
    pub subject: String,
    pub description: String,
    pub account_id: Option<Uuid>,
    pub contact_id: Option<Uuid>,
    pub opportunity_id: Option<Uuid>,
    pub priority: TicketPriority,
    pub status: TicketStatus,
    pub assignee_id: Option<Uuid>,
    pub channel: TicketChannel,
    pub first_response_due_at: DateTime<Utc>,
    pub resolution_due_at: DateTime<Utc>,
    pub first_response_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub first_response_breached_at: Option<DateTime<Utc>>,
    pub resolution_breached_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
    #[serde(default)]
    pub account_name: Option<String>,
    #[serde(default)]
    pub contact_name: Option<String>,
    #[serde(default)]
    pub assignee_name: Option<String>,
    /// The owner of the ticket's account: sales people read the tickets of their accounts.
    #[serde(default)]
    pub account_owner_id: Option<Uuid>,
    /// Opened by mail from someone the CRM did not know: support places it (gives it an
    /// assignee) before anything else.
    #[serde(default)]
    pub triage: bool,
}

/// Where a ticket stands against its SLA at a moment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SlaState {
    /// Nothing due any more (resolved or closed in time, or the breach is recorded).
    Met,
    /// The next target is this far away.
    Due { target: SlaTarget, left: Duration },
    /// A target was missed.
    Breached(SlaTarget),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SlaTarget {
    FirstResponse,
    Resolution,
}

impl Ticket {
    pub fn label(&self) -> String {
        format!("#{} {}", self.number, self.subject)
    }

    /// Missed now or before: a breach once recorded stays a breach.
    pub fn breached(&self, now: DateTime<Utc>) -> Option<SlaTarget> {
        let first_missed = self.first_response_breached_at.is_some()
            || (self.first_response_at.is_none()
                && !self.status.is_done()
                && now > self.first_response_due_at);
        let resolution_missed = self.resolution_breached_at.is_some()
            || (!self.status.is_done() && now > self.resolution_due_at);
        if resolution_missed {
            Some(SlaTarget::Resolution)
        } else if first_missed {
            Some(SlaTarget::FirstResponse)
        } else {
            None
        }
    }

    pub fn sla(&self, now: DateTime<Utc>) -> SlaState {
        if let Some(t) = self.breached(now) {
            return SlaState::Breached(t);
        }
        if self.status.is_done() {
            return SlaState::Met;
        }
        if self.first_response_at.is_none() {
            SlaState::Due {
                target: SlaTarget::FirstResponse,
                left: self.first_response_due_at - now,
            }
        } else {
            SlaState::Due {
                target: SlaTarget::Resolution,
                left: self.resolution_due_at - now,
            }
        }
    }
}

/// "2 h 15 min", "3 d 4 h", "12 min": a duration for the queue.
pub fn short_duration(d: Duration) -> String {
    let mins = d.num_minutes().abs();
    let (days, hours, minutes) = (mins / 1440, (mins % 1440) / 60, mins % 60);
    if days > 0 {
        format!("{days} d {hours} h")
    } else if hours > 0 {
        format!("{hours} h {minutes} min")
    } else {
        format!("{minutes} min")
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NewTicket {
    pub subject: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub account_id: Option<Uuid>,
    #[serde(default)]
    pub contact_id: Option<Uuid>,
    #[serde(default)]
    pub opportunity_id: Option<Uuid>,
    #[serde(default)]
    pub priority: TicketPriority,
    #[serde(default)]
    pub assignee_id: Option<Uuid>,
    /// How the customer reached us; staff default to phone, the portal is always portal.
    #[serde(default)]
    pub channel: Option<TicketChannel>,
}

impl NewTicket {
    pub fn normalize(&mut self) {
        self.subject = self.subject.trim().to_string();
        self.description = self.description.trim().to_string();
    }

    pub fn validate(&self) -> Result<(), AppError> {
        let mut c = Check::new();
        check_text(&mut c, &self.subject, &self.description);
        c.finish()
    }
}

fn check_text(c: &mut Check, subject: &str, description: &str) {
    c.when(subject.is_empty(), "subject", "Enter a subject.");
    c.length("subject", Some(subject), 200);
    c.length("description", Some(description), 20_000);
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TicketPatch {
    pub version: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<TicketPriority>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<TicketStatus>,
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Option::is_none"
    )]
    pub assignee_id: Option<Option<Uuid>>,
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Option::is_none"
    )]
    pub opportunity_id: Option<Option<Uuid>>,
}

impl TicketPatch {
    /// Applies the plain fields (status is checked and applied by the server, with its times).
    pub fn apply(&self, t: &mut Ticket) {
        if let Some(s) = &self.subject {
            t.subject = s.trim().to_string();
        }
        if let Some(d) = &self.description {
            t.description = d.trim().to_string();
        }
        if let Some(p) = self.priority {
            t.priority = p;
        }
        if let Some(a) = self.assignee_id {
            t.assignee_id = a;
        }
        if let Some(o) = self.opportunity_id {
            t.opportunity_id = o;
        }
    }

    pub fn validate_result(t: &Ticket) -> Result<(), AppError> {
        let mut c = Check::new();
        check_text(&mut c, &t.subject, &t.description);
        c.finish()
    }
}

/// A reply or an internal note.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema, sqlx::FromRow))]
pub struct TicketComment {
    pub id: Uuid,
    pub ticket_id: Uuid,
    pub author_user_id: Option<Uuid>,
    pub author_contact_id: Option<Uuid>,
    #[serde(default)]
    pub author_name: Option<String>,
    pub body: String,
    /// Public replies reach the customer; internal notes never leave the staff side.
    pub public: bool,
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NewComment {
    pub body: String,
    /// `true` for a reply the customer sees; `false` (the default) for an internal note.
    #[serde(default)]
    pub public: bool,
}

impl NewComment {
    pub fn validate(&self) -> Result<(), AppError> {
        let mut c = Check::new();
        c.when(
            self.body.trim().is_empty(),
            "body",
            "Write something first.",
        );
        c.length("body", Some(&self.body), 20_000);
        c.finish()
    }
}

/// The support queue's filters.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "ssr", into_params(parameter_in = Query))]
pub struct TicketQuery {
    /// `mine`, `unassigned`, or empty for everyone.
    #[serde(default, deserialize_with = "empty_none")]
    pub assigned: Option<String>,
    #[serde(default, deserialize_with = "empty_none")]
    pub priority: Option<TicketPriority>,
    /// A status, `all`, or empty for the working ones (new, open, pending).
    #[serde(default, deserialize_with = "empty_none")]
    pub status: Option<String>,
    /// Only tickets whose SLA is breached.
    #[serde(default)]
    pub breached: Option<bool>,
    #[serde(default, deserialize_with = "empty_none")]
    pub account_id: Option<Uuid>,
    #[serde(default, deserialize_with = "empty_none")]
    pub contact_id: Option<Uuid>,
    /// Words in the subject, or a ticket number.
    #[serde(default, deserialize_with = "empty_none")]
    pub q: Option<String>,
    #[serde(default)]
    pub limit: Option<u32>,
    /// Tickets after this many (the queue is ordered by due time, then number).
    #[serde(default)]
    pub offset: Option<u32>,
}

impl TicketQuery {
    /// The queue's filters name things that exist: a status (or `all`), and `mine` or
    /// `unassigned`.
    pub fn check(&self) -> Result<(), AppError> {
        let mut c = Check::new();
        if let Some(s) = self.status.as_deref().filter(|s| *s != "all")
            && let Err(e) = s.parse::<TicketStatus>()
        {
            c.fail("status", e);
        }
        if let Some(a) = self.assigned.as_deref()
            && !Self::ASSIGNED.contains(&a)
        {
            c.fail(
                "assigned",
                "Use `mine`, `unassigned`, or leave it out for everyone.",
            );
        }
        c.finish()
    }

    pub const ASSIGNED: [&'static str; 2] = ["mine", "unassigned"];
}

fn empty_none<'de, T: std::str::FromStr, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<T>, D::Error>
where
    T::Err: std::fmt::Display,
{
    let raw: Option<String> = Option::deserialize(d)?;
    match clean(raw) {
        None => Ok(None),
        Some(s) => s.parse().map(Some).map_err(serde::de::Error::custom),
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TicketList {
    pub items: Vec<Ticket>,
    /// How many tickets match, for "showing 50 of 1,204".
    pub total: i64,
    /// The server's now, so every row's time left is computed against the same moment.
    pub now: DateTime<Utc>,
}

/// A ticket with everything the detail page shows beside it, in one answer (so the page has
/// one resource, not a chain of them).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TicketDetail {
    pub ticket: Ticket,
    pub comments: Vec<TicketComment>,
    /// The account's open opportunities (the first few), when the asker may see them.
    #[serde(default)]
    pub opportunities: Vec<super::opportunity::Opportunity>,
    /// The account's latest activity, when the asker may see it.
    #[serde(default)]
    pub recent: Vec<super::activity::TimelineEntry>,
    /// Files that came with the ticket's mail.
    #[serde(default)]
    pub attachments: Vec<MailAttachment>,
    pub now: DateTime<Utc>,
}

/// A file that came with a received mail. `stored` is false when it was larger than the
/// installation keeps as a file (`CRM_ATTACHMENT_MAX_BYTES`): it is then only in the stored
/// message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct MailAttachment {
    pub id: Uuid,
    pub ticket_id: Option<Uuid>,
    pub comment_id: Option<Uuid>,
    pub mail_id: Uuid,
    pub name: String,
    pub content_type: String,
    pub size: i64,
    pub stored: bool,
    pub created_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use TicketStatus::*;

    #[test]
    fn closed_is_final_and_resolved_can_reopen() {
        assert!(Resolved.can_move_to(Open));
        assert!(!Closed.can_move_to(Open));
        assert!(!Closed.can_move_to(Resolved));
        assert!(New.can_move_to(Resolved));
        assert!(!Open.can_move_to(New));
        assert!(Closed.refuse(Open).field("status").is_some());
    }

    #[test]
    fn a_recorded_breach_stays_a_breach() {
        let t0 = Utc::now();
        let mut t = Ticket {
            id: Uuid::nil(),
            number: 1,
            subject: "x".into(),
            description: String::new(),
            account_id: None,
            contact_id: None,
            opportunity_id: None,
            priority: TicketPriority::Normal,
            status: Open,
            assignee_id: None,
            channel: TicketChannel::Phone,
            first_response_due_at: t0 + Duration::hours(1),
            resolution_due_at: t0 + Duration::hours(8),
            first_response_at: None,
            resolved_at: None,
            closed_at: None,
            first_response_breached_at: None,
            resolution_breached_at: None,
            created_at: t0,
            updated_at: t0,
            version: 1,
            account_name: None,
            contact_name: None,
            assignee_name: None,
            account_owner_id: None,
            triage: false,
        };
        assert!(matches!(
            t.sla(t0),
            SlaState::Due {
                target: SlaTarget::FirstResponse,
                ..
            }
        ));
        assert_eq!(
            t.sla(t0 + Duration::hours(2)),
            SlaState::Breached(SlaTarget::FirstResponse)
        );
        t.first_response_at = Some(t0 + Duration::hours(2));
        t.first_response_breached_at = Some(t0 + Duration::hours(1));
        t.status = Resolved;
        assert_eq!(
            t.sla(t0 + Duration::hours(3)),
            SlaState::Breached(SlaTarget::FirstResponse)
        );
        assert_eq!(short_duration(Duration::minutes(135)), "2 h 15 min");
    }

    #[test]
    fn sla_targets_are_checked() {
        let p = SlaPolicy {
            priority: TicketPriority::High,
            first_response_hours: 8,
            resolution_hours: 4,
        };
        assert!(
            p.validate()
                .unwrap_err()
                .field("resolution_hours")
                .is_some()
        );
    }
}
