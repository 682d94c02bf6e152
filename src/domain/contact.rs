//! Contacts: the people at accounts, with their relationship to the business.

use super::error::AppError;
use super::records::{Check, CustomAnswers, clean, nullable};
use crate::choice_enum;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

choice_enum!(
    /// The customer's relationship: a lead may become a prospect, then a paying client.
    ContactRole {
        Lead = "lead" / "Lead",
        Prospect = "prospect" / "Prospect",
        Client = "client" / "Client",
    }
);

impl Default for ContactRole {
    fn default() -> Self {
        ContactRole::Lead
    }
}

fn yes() -> bool {
    true
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ContactFields {
    #[serde(default)]
    pub first_name: Option<String>,
    #[serde(default)]
    pub last_name: Option<String>,
    /// Unique case-insensitively among contacts when set.
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub account_id: Option<Uuid>,
    #[serde(default)]
    pub role: ContactRole,
    #[serde(default = "yes")]
    pub active: bool,
    #[serde(default)]
    pub is_test: bool,
}

impl Default for ContactFields {
    fn default() -> Self {
        ContactFields {
            first_name: None,
            last_name: None,
            email: None,
            phone: None,
            title: None,
            account_id: None,
            role: ContactRole::Lead,
            active: true,
            is_test: false,
        }
    }
}

impl ContactFields {
    pub fn normalize(&mut self) {
        self.first_name = clean(self.first_name.take());
        self.last_name = clean(self.last_name.take());
        self.email = clean(self.email.take()).map(|e| e.to_lowercase());
        self.phone = clean(self.phone.take());
        self.title = clean(self.title.take());
    }

    pub fn full_name(&self) -> String {
        let parts: Vec<&str> = [self.first_name.as_deref(), self.last_name.as_deref()]
            .into_iter()
            .flatten()
            .collect();
        parts.join(" ")
    }

    pub fn check(&self, c: &mut Check) {
        let nameless = self.first_name.as_deref().unwrap_or("").trim().is_empty()
            && self.last_name.as_deref().unwrap_or("").trim().is_empty();
        if nameless {
            c.fail("first_name", "Enter a first or last name.");
            c.fail("last_name", "Enter a first or last name.");
        }
        c.length("first_name", self.first_name.as_deref(), 100);
        c.length("last_name", self.last_name.as_deref(), 100);
        c.length("title", self.title.as_deref(), 120);
        c.email("email", self.email.as_deref());
        c.phone("phone", self.phone.as_deref());
    }

    pub fn validate(&self) -> Result<(), AppError> {
        let mut c = Check::new();
        self.check(&mut c);
        c.finish()
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Contact {
    pub id: Uuid,
    pub owner_id: Uuid,
    #[serde(default)]
    pub owner_name: Option<String>,
    #[serde(flatten)]
    pub fields: ContactFields,
    #[serde(default)]
    pub account_name: Option<String>,
    /// Answers beyond the standard fields (kickoff forms).
    #[serde(default, skip_serializing_if = "CustomAnswers::is_empty")]
    #[cfg_attr(feature = "ssr", schema(value_type = Object))]
    pub custom: CustomAnswers,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

impl Contact {
    /// A new contact as it is first stored (what the database adds is read back after).
    pub fn fresh(id: Uuid, owner_id: Uuid, fields: ContactFields, now: DateTime<Utc>) -> Contact {
        Contact {
            id,
            owner_id,
            owner_name: None,
            fields,
            account_name: None,
            custom: CustomAnswers::default(),
            created_at: now,
            updated_at: now,
            version: 1,
        }
    }

    pub fn name(&self) -> String {
        self.fields.full_name()
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NewContact {
    #[serde(flatten)]
    pub fields: ContactFields,
    #[serde(default)]
    pub owner_id: Option<Uuid>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ContactPatch {
    pub version: i64,
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Option::is_none"
    )]
    pub first_name: Option<Option<String>>,
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Option::is_none"
    )]
    pub last_name: Option<Option<String>>,
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
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Option::is_none"
    )]
    pub title: Option<Option<String>>,
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Option::is_none"
    )]
    pub account_id: Option<Option<Uuid>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<ContactRole>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_test: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_id: Option<Uuid>,
}

impl ContactPatch {
    pub fn apply(&self, f: &mut ContactFields) {
        macro_rules! set {
            ($($field:ident),*) => { $(if let Some(v) = &self.$field { f.$field = v.clone(); })* };
        }
        set!(first_name, last_name, email, phone, title, account_id);
        if let Some(r) = self.role {
            f.role = r;
        }
        if let Some(a) = self.active {
            f.active = a;
        }
        if let Some(t) = self.is_test {
            f.is_test = t;
        }
        f.normalize();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_contact_needs_a_first_or_last_name() {
        let mut f = ContactFields {
            first_name: Some("  ".into()),
            ..Default::default()
        };
        f.normalize();
        assert!(f.validate().unwrap_err().field("first_name").is_some());
        f.last_name = Some("Lovelace".into());
        assert!(f.validate().is_ok());
        assert_eq!(f.full_name(), "Lovelace");
    }

    #[test]
    fn new_contacts_default_to_active_leads() {
        let f: ContactFields = serde_json::from_str(r#"{"first_name":"Ada"}"#).unwrap();
        assert!(f.active && !f.is_test);
        assert_eq!(f.role, ContactRole::Lead);
    }
}
