//! Accounts: the companies the business sells to or supports.

use super::error::AppError;
use super::records::{Check, clean, domain_problem, normalize_domain, nullable};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AccountFields {
    #[serde(default)]
    pub name: String,
    /// The company's web domain, unique case-insensitively when set.
    #[serde(default)]
    pub domain: Option<String>,
    #[serde(default)]
    pub industry: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub city: Option<String>,
    /// Yearly revenue in whole currency units.
    #[serde(default)]
    pub annual_revenue: Option<i64>,
    #[serde(default)]
    pub primary_contact_id: Option<Uuid>,
}

impl AccountFields {
    pub fn normalize(&mut self) {
        self.name = self.name.trim().to_string();
        self.domain = clean(self.domain.take())
            .map(|d| normalize_domain(&d))
            .filter(|d| !d.is_empty());
        self.industry = clean(self.industry.take());
        self.phone = clean(self.phone.take());
        self.city = clean(self.city.take());
    }

    pub fn check(&self, c: &mut Check) {
        c.when(
            self.name.trim().is_empty(),
            "name",
            "Enter the company name.",
        );
        c.length("name", Some(&self.name), 200);
        if let Some(p) = self.domain.as_deref().and_then(domain_problem) {
            c.fail("domain", p);
        }
        c.length("industry", self.industry.as_deref(), 100);
        c.length("city", self.city.as_deref(), 100);
        c.phone("phone", self.phone.as_deref());
        c.when(
            self.annual_revenue.is_some_and(|r| r < 0),
            "annual_revenue",
            "Revenue cannot be negative.",
        );
    }

    pub fn validate(&self) -> Result<(), AppError> {
        let mut c = Check::new();
        self.check(&mut c);
        c.finish()
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Account {
    pub id: Uuid,
    pub owner_id: Uuid,
    #[serde(default)]
    pub owner_name: Option<String>,
    #[serde(flatten)]
    pub fields: AccountFields,
    #[serde(default)]
    pub primary_contact_name: Option<String>,
    #[serde(default)]
    pub contact_count: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

impl Account {
    /// A new account as it is first stored (what the database adds is read back after).
    pub fn fresh(id: Uuid, owner_id: Uuid, fields: AccountFields, now: DateTime<Utc>) -> Account {
        Account {
            id,
            owner_id,
            owner_name: None,
            fields,
            primary_contact_name: None,
            contact_count: 0,
            created_at: now,
            updated_at: now,
            version: 1,
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NewAccount {
    #[serde(flatten)]
    pub fields: AccountFields,
    #[serde(default)]
    pub owner_id: Option<Uuid>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AccountPatch {
    pub version: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Option::is_none"
    )]
    pub domain: Option<Option<String>>,
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Option::is_none"
    )]
    pub industry: Option<Option<String>>,
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
    pub city: Option<Option<String>>,
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Option::is_none"
    )]
    pub annual_revenue: Option<Option<i64>>,
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Option::is_none"
    )]
    pub primary_contact_id: Option<Option<Uuid>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_id: Option<Uuid>,
}

impl AccountPatch {
    pub fn apply(&self, f: &mut AccountFields) {
        if let Some(v) = &self.name {
            f.name = v.clone();
        }
        macro_rules! set {
            ($($field:ident),*) => { $(if let Some(v) = &self.$field { f.$field = v.clone(); })* };
        }
        set!(
            domain,
            industry,
            phone,
            city,
            annual_revenue,
            primary_contact_id
        );
        f.normalize();
    }
}
