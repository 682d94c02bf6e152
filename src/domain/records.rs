//! What every sales record shares: its kind, its custom answers, references to it, and patches
//! that can clear a field. Amounts of money (`amount`), list queries and pages (`listing`) and
//! the checks that build field errors (`checks`) have modules of their own and are named here
//! too, as the vocabulary every record kind uses.

use serde::{Deserialize, Deserializer, Serialize};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

pub use super::amount::{
    DEFAULT_CURRENCY, MAX_AMOUNT_UNITS, Money, compact_amount, decimal_minor, decimal_string,
    group_thousands, opt_decimal_minor, parse_decimal, patch_decimal_minor,
};
pub use super::checks::{
    Check, clean, domain_problem, email_domain, is_free_mail_domain, normalize_domain,
};
pub use super::listing::{DEFAULT_PAGE, ListQuery, MAX_PAGE, Page, Sort};

/// The kinds of record the CRM keeps. Activities and tasks link to any one of the first five.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RecordKind {
    Lead,
    Account,
    Contact,
    Opportunity,
    Ticket,
    Activity,
    Task,
    /// A kickoff form (administration, not a sales record).
    Form,
}

impl RecordKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RecordKind::Lead => "lead",
            RecordKind::Account => "account",
            RecordKind::Contact => "contact",
            RecordKind::Opportunity => "opportunity",
            RecordKind::Ticket => "ticket",
            RecordKind::Activity => "activity",
            RecordKind::Task => "task",
            RecordKind::Form => "form",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            RecordKind::Lead => "Lead",
            RecordKind::Account => "Account",
            RecordKind::Contact => "Contact",
            RecordKind::Opportunity => "Opportunity",
            RecordKind::Ticket => "Ticket",
            RecordKind::Activity => "Activity",
            RecordKind::Task => "Task",
            RecordKind::Form => "Form",
        }
    }

    /// The page that shows one record of this kind.
    pub fn path(self, id: Uuid) -> String {
        match self {
            RecordKind::Lead => format!("/leads/{id}"),
            RecordKind::Account => format!("/accounts/{id}"),
            RecordKind::Contact => format!("/contacts/{id}"),
            RecordKind::Opportunity => format!("/opportunities/{id}"),
            RecordKind::Ticket => format!("/tickets/{id}"),
            RecordKind::Activity | RecordKind::Task => "/tasks".to_string(),
            RecordKind::Form => "/admin/forms".to_string(),
        }
    }
}

impl fmt::Display for RecordKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for RecordKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "lead" => Ok(RecordKind::Lead),
            "account" => Ok(RecordKind::Account),
            "contact" => Ok(RecordKind::Contact),
            "opportunity" => Ok(RecordKind::Opportunity),
            "ticket" => Ok(RecordKind::Ticket),
            "activity" => Ok(RecordKind::Activity),
            "task" => Ok(RecordKind::Task),
            "form" => Ok(RecordKind::Form),
            other => Err(format!("unknown record kind `{other}`")),
        }
    }
}

/// Answers a record carries beyond its standard fields (from kickoff forms, kept imports):
/// key → value, shown on the record.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CustomAnswers(pub std::collections::BTreeMap<String, serde_json::Value>);

impl CustomAnswers {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `(key, shown value)` pairs: text as is, yes/no for checkboxes.
    pub fn shown(&self) -> Vec<(String, String)> {
        self.0
            .iter()
            .map(|(k, v)| {
                let text = match v {
                    serde_json::Value::String(s) => s.clone(),
                    serde_json::Value::Bool(true) => "Yes".into(),
                    serde_json::Value::Bool(false) => "No".into(),
                    serde_json::Value::Number(n) => match n.as_f64() {
                        Some(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", f as i64),
                        _ => n.to_string(),
                    },
                    other => other.to_string(),
                };
                (k.replace('_', " "), text)
            })
            .collect()
    }
}

/// The stored JSON text (null when none); text that does not read as an object is ignored.
impl TryFrom<Option<String>> for CustomAnswers {
    type Error = std::convert::Infallible;
    fn try_from(text: Option<String>) -> Result<Self, Self::Error> {
        Ok(text
            .and_then(|t| serde_json::from_str(&t).ok())
            .map(CustomAnswers)
            .unwrap_or_default())
    }
}

/// A link from an activity or task to the record it is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RecordRef {
    pub kind: RecordKind,
    pub id: Uuid,
}

/// Declares a snake_case enum with its labels, parsing and display in one place.
#[macro_export]
macro_rules! choice_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident = $text:literal / $label:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        #[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub fn as_str(self) -> &'static str { match self { $($name::$variant => $text),+ } }
            pub fn label(self) -> &'static str { match self { $($name::$variant => $label),+ } }
            /// `(value, label)` pairs for a select box.
            pub fn options() -> Vec<(&'static str, &'static str)> { vec![$(($text, $label)),+] }
        }

        impl std::str::FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)+
                    other => Err(format!(
                        "`{}` is not one of: {}", other, [$($text),+].join(", ")
                    )),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { f.write_str(self.as_str()) }
        }
    };
}

/// A field in a patch: absent (leave alone), `null` (clear), or a value.
pub fn nullable<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::amount::minor_from_json;

    #[test]
    fn money_parses_and_prints_without_float_noise() {
        assert_eq!(parse_decimal("1250"), Ok(125_000));
        assert_eq!(parse_decimal("1,250.5"), Ok(125_050));
        assert_eq!(parse_decimal(".75"), Ok(75));
        assert_eq!(parse_decimal("-3.10"), Ok(-310));
        assert_eq!(parse_decimal("10000000000000"), Ok(MAX_AMOUNT_UNITS * 100));
        for bad in [
            "",
            "abc",
            "1.2.3",
            "1.234",
            "12e3",
            "-",
            "10000000000000.01",
        ] {
            assert!(parse_decimal(bad).is_err(), "{bad}");
        }
        assert_eq!(decimal_string(125_050), "1250.50");
        assert_eq!(Money::new(123_456_789, "USD").display(), "$1,234,567.89");
        assert_eq!(Money::new(90_000, "CHF").display(), "CHF 900.00");
        assert_eq!(compact_amount(123_000_000, "USD"), "$1.2M");
        assert_eq!(compact_amount(95_000_000, "EUR"), "€950K");
        let v: i64 = minor_from_json(&serde_json::json!(0.3)).unwrap();
        assert_eq!(v, 30);
        assert_eq!(minor_from_json(&serde_json::json!("19.99")), Ok(1999));
    }

    #[test]
    fn sorts_are_checked_against_the_allowed_fields() {
        let default = Sort {
            field: "created_at",
            descending: true,
        };
        assert_eq!(
            Sort::parse(Some("-name"), &["name"], default).unwrap(),
            Sort {
                field: "name",
                descending: true
            }
        );
        assert_eq!(Sort::parse(None, &["name"], default).unwrap(), default);
        assert!(Sort::parse(Some("password_hash"), &["name"], default).is_err());
    }

    #[test]
    fn domains_are_normalised() {
        assert_eq!(normalize_domain(" https://www.Acme.com/about "), "acme.com");
        assert_eq!(email_domain("Ada@Acme.COM").as_deref(), Some("acme.com"));
        assert!(is_free_mail_domain("gmail.com"));
        assert!(domain_problem("acme").is_some());
        assert!(domain_problem("acme.com").is_none());
    }

    #[test]
    fn checks_collect_every_problem() {
        let mut c = Check::new();
        c.email("email", Some("nope"));
        c.phone("phone", Some("call me"));
        c.length("name", Some(&"x".repeat(300)), 200);
        c.email("other", Some(""));
        let err = c.finish().unwrap_err();
        for f in ["email", "phone", "name"] {
            assert!(err.field(f).is_some(), "{f}");
        }
        assert!(err.field("other").is_none());
    }

    #[test]
    fn list_queries_round_trip_to_links() {
        let q = ListQuery {
            status: Some("new".into()),
            q: Some("a b".into()),
            limit: Some(20),
            ..Default::default()
        };
        assert_eq!(q.to_query_string(), "status=new&q=a%20b&limit=20");
        assert_eq!(q.page_size(), 20);
        assert_eq!(
            ListQuery {
                limit: Some(5000),
                ..Default::default()
            }
            .page_size(),
            200
        );
    }
}
