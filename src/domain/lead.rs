//! Leads: people or companies still being qualified, and the rules of their status.

use super::error::AppError;
use super::records::{Check, CustomAnswers, clean, nullable};
use crate::choice_enum;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

choice_enum!(
    /// Where a lead came from.
    LeadSource {
        Web = "web" / "Web",
        Referral = "referral" / "Referral",
        Event = "event" / "Event",
        Import = "import" / "Import",
        Manual = "manual" / "Manual",
        Other = "other" / "Other",
    }
);

choice_enum!(
    LeadStatus {
        New = "new" / "New",
        Contacted = "contacted" / "Contacted",
        Qualified = "qualified" / "Qualified",
        Disqualified = "disqualified" / "Disqualified",
    }
);

impl Default for LeadSource {
    fn default() -> Self {
        LeadSource::Manual
    }
}

impl LeadStatus {
    pub fn is_open(self) -> bool {
        matches!(self, LeadStatus::New | LeadStatus::Contacted)
    }
}

/// The fields a person edits on a lead.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct LeadFields {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub company: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub source: LeadSource,
    #[serde(default)]
    pub utm_source: Option<String>,
    #[serde(default)]
    pub utm_medium: Option<String>,
    #[serde(default)]
    pub utm_campaign: Option<String>,
}

impl LeadFields {
    /// Trims text, empties to nothing, lower-cases the email.
    pub fn normalize(&mut self) {
        self.name = self.name.trim().to_string();
        self.company = clean(self.company.take());
        self.email = clean(self.email.take()).map(|e| e.to_lowercase());
        self.phone = clean(self.phone.take());
        self.utm_source = clean(self.utm_source.take());
        self.utm_medium = clean(self.utm_medium.take());
        self.utm_campaign = clean(self.utm_campaign.take());
    }

    pub fn check(&self, c: &mut Check) {
        c.when(
            self.name.trim().is_empty(),
            "name",
            "Enter the lead's name.",
        );
        c.length("name", Some(&self.name), 200);
        c.length("company", self.company.as_deref(), 200);
        c.email("email", self.email.as_deref());
        c.phone("phone", self.phone.as_deref());
        for (field, value) in [
            ("utm_source", &self.utm_source),
            ("utm_medium", &self.utm_medium),
            ("utm_campaign", &self.utm_campaign),
        ] {
            c.length(field, value.as_deref(), 200);
        }
    }

    pub fn validate(&self) -> Result<(), AppError> {
        let mut c = Check::new();
        self.check(&mut c);
        c.finish()
    }
}

/// A lead as lists, detail pages and the API show it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Lead {
    pub id: Uuid,
    pub owner_id: Uuid,
    #[serde(default)]
    pub owner_name: Option<String>,
    pub status: LeadStatus,
    pub disqualify_reason: Option<String>,
    #[serde(flatten)]
    pub fields: LeadFields,
    pub converted_account_id: Option<Uuid>,
    pub converted_contact_id: Option<Uuid>,
    pub converted_opportunity_id: Option<Uuid>,
    /// Answers beyond the standard fields (kickoff forms).
    #[serde(default, skip_serializing_if = "CustomAnswers::is_empty")]
    #[cfg_attr(feature = "ssr", schema(value_type = Object))]
    pub custom: CustomAnswers,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

impl Lead {
    /// A new lead as it is first stored (what the database adds is read back after).
    pub fn fresh(
        id: Uuid,
        owner_id: Uuid,
        fields: LeadFields,
        status: LeadStatus,
        now: DateTime<Utc>,
    ) -> Lead {
        Lead {
            id,
            owner_id,
            owner_name: None,
            status,
            disqualify_reason: None,
            fields,
            converted_account_id: None,
            converted_contact_id: None,
            converted_opportunity_id: None,
            custom: CustomAnswers::default(),
            created_at: now,
            updated_at: now,
            version: 1,
        }
    }
}

/// What creating a lead takes.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NewLead {
    #[serde(flatten)]
    pub fields: LeadFields,
    #[serde(default)]
    pub owner_id: Option<Uuid>,
    #[serde(default)]
    pub status: Option<LeadStatus>,
}

impl NewLead {
    pub fn validate(&self) -> Result<(), AppError> {
        let mut c = Check::new();
        self.fields.check(&mut c);
        if let Some(s) = self.status {
            c.when(
                !s.is_open(),
                "status",
                "A new lead starts as new or contacted; qualify it afterwards.",
            );
        }
        c.finish()
    }
}

/// A change to a lead: only the fields present change; `null` clears a field.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct LeadPatch {
    pub version: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Option::is_none"
    )]
    pub company: Option<Option<String>>,
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Option::is_none"
    )]
    pub email: Option<Option<String>>,
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Option::is_none"
    )]
    pub phone: Option<Option<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<LeadSource>,
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Option::is_none"
    )]
    pub utm_source: Option<Option<String>>,
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Option::is_none"
    )]
    pub utm_medium: Option<Option<String>>,
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Option::is_none"
    )]
    pub utm_campaign: Option<Option<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<LeadStatus>,
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Option::is_none"
    )]
    pub disqualify_reason: Option<Option<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_id: Option<Uuid>,
}

impl LeadPatch {
    pub fn apply(&self, f: &mut LeadFields) {
        if let Some(v) = &self.name {
            f.name = v.clone();
        }
        macro_rules! set {
            ($($field:ident),*) => { $(if let Some(v) = &self.$field { f.$field = v.clone(); })* };
        }
        set!(company, email, phone, utm_source, utm_medium, utm_campaign);
        if let Some(s) = self.source {
            f.source = s;
        }
        f.normalize();
    }
}

/// Whether a lead may move from `from` to `to` by an edit. Qualifying has its own action;
/// disqualifying needs a reason; reopening a disqualified lead needs `may_reopen` (the
/// policy's answer: managers and admins).
pub fn check_status_change(
    from: LeadStatus,
    to: LeadStatus,
    reason: Option<&str>,
    may_reopen: bool,
) -> Result<(), AppError> {
    use LeadStatus::*;
    let problem = match (from, to) {
        (a, b) if a == b => None,
        (_, Qualified) => Some("Use Qualify to turn a lead into an opportunity."),
        (New, Contacted) => None,
        (Contacted, New) => None,
        (New | Contacted, Disqualified) if reason.is_some_and(|r| !r.trim().is_empty()) => None,
        (New | Contacted, Disqualified) => {
            return Err(AppError::invalid(
                "disqualify_reason",
                "Say why the lead is disqualified.",
            ));
        }
        (Disqualified, New | Contacted) if may_reopen => None,
        (Disqualified, _) => Some("Only a manager or admin can reopen a disqualified lead."),
        (Qualified, _) => {
            Some("A qualified lead has become an opportunity and cannot change status.")
        }
        _ => Some("That status change is not allowed."),
    };
    match problem {
        Some(p) => Err(AppError::invalid("status", p)),
        None => Ok(()),
    }
}

/// Optional details for the opportunity a qualification creates.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct QualifyInput {
    #[serde(default)]
    pub opportunity_name: Option<String>,
    #[serde(
        default,
        with = "super::records::opt_decimal_minor",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<f64>))]
    pub value: Option<i64>,
    #[serde(default)]
    pub expected_close: Option<chrono::NaiveDate>,
}

/// What qualifying produced (the same on every later call).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct QualifyResult {
    pub lead: Lead,
    pub account_id: Uuid,
    pub contact_id: Uuid,
    pub opportunity_id: Uuid,
    pub account_created: bool,
    pub contact_created: bool,
}

/// A possible duplicate found when a lead is created.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DuplicateWarning {
    pub kind: super::records::RecordKind,
    pub id: Uuid,
    pub title: String,
    pub message: String,
}

/// A created lead, with any possible duplicates it matched.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CreatedLead {
    #[serde(flatten)]
    pub lead: Lead,
    #[serde(default)]
    pub warnings: Vec<DuplicateWarning>,
}

/// Splits "Ada King Lovelace" into ("Ada", "King Lovelace").
pub fn split_name(name: &str) -> (Option<String>, Option<String>) {
    let name = name.trim();
    match name.split_once(char::is_whitespace) {
        Some((first, rest)) => (Some(first.to_string()), clean(Some(rest.to_string()))),
        None if name.is_empty() => (None, None),
        None => (Some(name.to_string()), None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use LeadStatus::*;

    #[test]
    fn status_changes_follow_the_rules() {
        assert!(check_status_change(New, Contacted, None, false).is_ok());
        assert!(check_status_change(New, Qualified, None, true).is_err());
        let no_reason = check_status_change(Contacted, Disqualified, None, false).unwrap_err();
        assert!(no_reason.field("disqualify_reason").is_some());
        assert!(check_status_change(Contacted, Disqualified, Some("no budget"), false).is_ok());
        assert!(check_status_change(Disqualified, New, None, false).is_err());
        assert!(check_status_change(Disqualified, New, None, true).is_ok());
        assert!(check_status_change(Qualified, Contacted, None, true).is_err());
    }

    #[test]
    fn fields_are_cleaned_and_checked() {
        let mut f = LeadFields {
            name: "  Ada ".into(),
            email: Some(" ADA@X.COM ".into()),
            company: Some("  ".into()),
            ..Default::default()
        };
        f.normalize();
        assert_eq!(
            (f.name.as_str(), f.email.as_deref(), f.company.as_deref()),
            ("Ada", Some("ada@x.com"), None)
        );
        assert!(f.validate().is_ok());
        let bad = LeadFields {
            name: "".into(),
            email: Some("x@".into()),
            phone: Some("abc".into()),
            ..Default::default()
        };
        let e = bad.validate().unwrap_err();
        for field in ["name", "email", "phone"] {
            assert!(e.field(field).is_some(), "{field}");
        }
    }

    #[test]
    fn patches_distinguish_missing_from_cleared() {
        let p: LeadPatch =
            serde_json::from_str(r#"{"version":2,"company":null,"phone":"+1 555 0100"}"#).unwrap();
        assert_eq!(p.company, Some(None));
        assert_eq!(p.email, None);
        let mut f = LeadFields {
            name: "Ada".into(),
            company: Some("Acme".into()),
            email: Some("a@b.co".into()),
            ..Default::default()
        };
        p.apply(&mut f);
        assert_eq!(
            (f.company, f.email.as_deref(), f.phone.as_deref()),
            (None, Some("a@b.co"), Some("+1 555 0100"))
        );
    }

    #[test]
    fn names_split_into_first_and_last() {
        assert_eq!(
            split_name("Ada King Lovelace"),
            (Some("Ada".into()), Some("King Lovelace".into()))
        );
        assert_eq!(split_name("Cher"), (Some("Cher".into()), None));
    }
}
