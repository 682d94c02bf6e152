//! Activities (what happened) and tasks (what still needs doing), each linked to a record.

use super::error::AppError;
use super::records::{Check, RecordKind, clean, nullable};
use crate::choice_enum;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

choice_enum!(
    ActivityKind {
        Call = "call" / "Call",
        Meeting = "meeting" / "Meeting",
        Note = "note" / "Note",
        Email = "email" / "Email",
    }
);

/// The record kinds an activity or task can be about.
pub fn linkable(kind: RecordKind) -> bool {
    matches!(
        kind,
        RecordKind::Lead
            | RecordKind::Account
            | RecordKind::Contact
            | RecordKind::Opportunity
            | RecordKind::Ticket
    )
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct Activity {
    pub id: Uuid,
    pub owner_id: Uuid,
    #[serde(default)]
    pub owner_name: Option<String>,
    pub kind: ActivityKind,
    pub subject: String,
    pub body: Option<String>,
    pub occurred_at: DateTime<Utc>,
    pub related_type: RecordKind,
    pub related_id: Uuid,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
    /// The received mail it was logged from (a mail sent with the CRM in BCC).
    #[serde(default)]
    pub mail_id: Option<Uuid>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NewActivity {
    pub kind: ActivityKind,
    #[serde(default)]
    pub subject: String,
    #[serde(default)]
    pub body: Option<String>,
    /// When it happened; now when not given.
    #[serde(default)]
    pub occurred_at: Option<DateTime<Utc>>,
    pub related_type: RecordKind,
    pub related_id: Uuid,
}

impl NewActivity {
    pub fn normalize(&mut self) {
        self.subject = self.subject.trim().to_string();
        self.body = clean(self.body.take());
        if self.subject.is_empty() {
            // A quick note often has only a body: its first line becomes the subject.
            if let Some(first) = self.body.as_deref().and_then(|b| b.lines().next()) {
                self.subject = first.chars().take(120).collect();
            }
        }
    }

    pub fn validate(&self) -> Result<(), AppError> {
        let mut c = Check::new();
        c.when(self.subject.is_empty(), "subject", "Say what happened.");
        c.length("subject", Some(&self.subject), 200);
        c.length("body", self.body.as_deref(), 20_000);
        c.when(
            !linkable(self.related_type),
            "related_type",
            "Link the activity to a lead, account, contact, opportunity or ticket.",
        );
        c.finish()
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct Task {
    pub id: Uuid,
    pub owner_id: Uuid,
    pub title: String,
    pub due_at: Option<DateTime<Utc>>,
    pub assignee_id: Uuid,
    #[serde(default)]
    pub assignee_name: Option<String>,
    pub done_at: Option<DateTime<Utc>>,
    pub related_type: Option<RecordKind>,
    pub related_id: Option<Uuid>,
    #[serde(default)]
    pub related_title: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

impl Task {
    pub fn is_overdue(&self, now: DateTime<Utc>) -> bool {
        self.done_at.is_none() && self.due_at.is_some_and(|d| d < now)
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NewTask {
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub due_at: Option<DateTime<Utc>>,
    /// Who does it; the creator when not given.
    #[serde(default)]
    pub assignee_id: Option<Uuid>,
    #[serde(default)]
    pub related_type: Option<RecordKind>,
    #[serde(default)]
    pub related_id: Option<Uuid>,
}

impl NewTask {
    pub fn validate(&self) -> Result<(), AppError> {
        let mut c = Check::new();
        c.when(
            self.title.trim().is_empty(),
            "title",
            "Say what needs doing.",
        );
        c.length("title", Some(&self.title), 200);
        c.when(
            self.related_type.is_some() != self.related_id.is_some(),
            "related_id",
            "Give both the record kind and its id.",
        );
        c.when(
            self.related_type.is_some_and(|k| !linkable(k)),
            "related_type",
            "Tasks link to leads, accounts, contacts, opportunities or tickets.",
        );
        c.finish()
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TaskPatch {
    pub version: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Option::is_none"
    )]
    pub due_at: Option<Option<DateTime<Utc>>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignee_id: Option<Uuid>,
    /// true marks the task done (now), false reopens it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub done: Option<bool>,
}

/// One line of a record's history, newest first on its page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TimelineEntry {
    pub at: DateTime<Utc>,
    pub kind: TimelineKind,
    pub actor_name: Option<String>,
    pub title: String,
    pub body: Option<String>,
    #[serde(default)]
    pub changes: Vec<FieldChange>,
    /// Where the entry happened when not on this record: "lead Jane Doe" (the lead this
    /// became), with its page.
    #[serde(default)]
    pub source: Option<String>,
    #[serde(default)]
    pub source_link: Option<String>,
    /// The received message a logged mail came from, to download (`/api/crm/mail/{id}`).
    #[serde(default)]
    pub mail_link: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TimelineKind {
    Activity,
    StageChange,
    Change,
}

/// A field that changed: shown as old → new.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct FieldChange {
    pub field: String,
    pub old: Option<String>,
    pub new: Option<String>,
}

/// One result of the global search box.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SearchResult {
    pub kind: RecordKind,
    pub id: Uuid,
    pub title: String,
    pub subtitle: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_note_without_subject_takes_its_first_line() {
        let mut a = NewActivity {
            kind: ActivityKind::Note,
            subject: " ".into(),
            body: Some("Called back\nThey want a demo".into()),
            occurred_at: None,
            related_type: RecordKind::Lead,
            related_id: Uuid::nil(),
        };
        a.normalize();
        assert_eq!(a.subject, "Called back");
        assert!(a.validate().is_ok());
        a.related_type = RecordKind::Task;
        assert!(a.validate().unwrap_err().field("related_type").is_some());
    }

    #[test]
    fn tasks_link_with_both_kind_and_id() {
        let t = NewTask {
            title: "Send quote".into(),
            related_type: Some(RecordKind::Lead),
            ..Default::default()
        };
        assert!(t.validate().unwrap_err().field("related_id").is_some());
    }
}
