//! Kickoff forms: public pages (`/forms/:slug`) that create a lead or a prospect contact.
//! The definition and the reading of a submission are shared, so the admin's preview and
//! the server accept exactly the same answers.

use super::error::{AppError, FieldErrors};
use super::records::Check;
use crate::choice_enum;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use uuid::Uuid;

choice_enum!(
    /// The standard fields a form can ask for; each maps onto the created record.
    StandardField {
        Name = "name" / "Name",
        Email = "email" / "Email",
        Company = "company" / "Company",
        Phone = "phone" / "Phone",
    }
);

choice_enum!(
    FieldKind {
        Text = "text" / "Text",
        Number = "number" / "Number",
        Choice = "choice" / "Choice",
        Checkbox = "checkbox" / "Checkbox",
    }
);

choice_enum!(
    FormCreates {
        Lead = "lead" / "A lead",
        Contact = "contact" / "A prospect contact",
    }
);

/// A question of the form's own.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CustomField {
    /// The answer's key on the record (`team_size`); letters, digits and `_`.
    pub key: String,
    pub label: String,
    pub kind: FieldKind,
    #[serde(default)]
    pub required: bool,
    /// For `choice`: the options offered.
    #[serde(default)]
    pub choices: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct FormInput {
    pub slug: String,
    pub title: String,
    #[serde(default)]
    pub intro: String,
    #[serde(default)]
    pub standard_fields: Vec<StandardField>,
    #[serde(default)]
    pub custom_fields: Vec<CustomField>,
    pub creates: FormCreates,
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct FormDef {
    pub id: Uuid,
    #[serde(flatten)]
    pub input: FormInput,
    pub owner_id: Uuid,
    pub submissions: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

/// The fields of the honeypot and the double-submit key: not answers.
pub const HONEYPOT: &str = "website";
pub const SUBMISSION_KEY: &str = "_key";
pub const UTM_FIELDS: [&str; 3] = ["utm_source", "utm_medium", "utm_campaign"];

impl FormInput {
    pub fn normalize(&mut self) {
        self.slug = self.slug.trim().to_lowercase();
        self.title = self.title.trim().to_string();
        self.intro = self.intro.trim().to_string();
        let mut seen = Vec::new();
        self.standard_fields.retain(|f| {
            let new = !seen.contains(f);
            seen.push(*f);
            new
        });
        for f in &mut self.custom_fields {
            f.key = f.key.trim().to_lowercase();
            f.label = f.label.trim().to_string();
            f.choices = f
                .choices
                .iter()
                .map(|c| c.trim().to_string())
                .filter(|c| !c.is_empty())
                .collect();
        }
    }

    pub fn validate(&self) -> Result<(), AppError> {
        let mut c = Check::new();
        let slug_ok = !self.slug.is_empty()
            && self.slug.len() <= 60
            && self
                .slug
                .chars()
                .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '-');
        c.when(
            !slug_ok,
            "slug",
            "Use 1 to 60 lower-case letters, digits and dashes.",
        );
        c.when(self.title.is_empty(), "title", "Enter a title.");
        c.length("title", Some(&self.title), 120);
        c.length("intro", Some(&self.intro), 2_000);
        let asks_name = self.standard_fields.contains(&StandardField::Name);
        c.when(!asks_name, "standard_fields", "A form must ask for a name.");
        if self.creates == FormCreates::Contact {
            c.when(
                !self.standard_fields.contains(&StandardField::Email),
                "standard_fields",
                "A form that creates contacts must ask for an email.",
            );
        }
        let mut keys = Vec::new();
        for (i, f) in self.custom_fields.iter().enumerate() {
            let field = format!("custom_fields.{i}");
            let key_ok = !f.key.is_empty()
                && f.key.len() <= 40
                && f.key
                    .chars()
                    .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '_');
            let reserved = StandardField::ALL.iter().any(|s| s.as_str() == f.key)
                || UTM_FIELDS.contains(&f.key.as_str())
                || f.key == HONEYPOT;
            c.when(
                !key_ok,
                &field,
                "Give each question a key of lower-case letters, digits and _.",
            );
            c.when(reserved, &field, "This key is taken by a standard field.");
            c.when(
                keys.contains(&&f.key),
                &field,
                "Two questions share this key.",
            );
            c.when(f.label.is_empty(), &field, "Give each question a label.");
            c.when(
                f.kind == FieldKind::Choice && f.choices.is_empty(),
                &field,
                "A choice question needs at least one choice.",
            );
            keys.push(&f.key);
        }
        if self.custom_fields.len() > 30 {
            c.fail("custom_fields", "Use at most 30 questions.");
        }
        c.finish()
    }

    /// Reads a submission (the posted form fields) into the standard answers and the custom
    /// answers, or names every field that is wrong.
    pub fn read(&self, posted: &BTreeMap<String, String>) -> Result<Answers, FieldErrors> {
        let mut c = Check::new();
        let get = |k: &str| {
            posted
                .get(k)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let mut a = Answers::default();
        for f in &self.standard_fields {
            let v = get(f.as_str());
            match f {
                StandardField::Name => {
                    c.when(v.is_none(), "name", "Enter your name.");
                    c.length("name", v.as_deref(), 200);
                    a.name = v;
                }
                StandardField::Email => {
                    let required = self.creates == FormCreates::Contact;
                    c.when(
                        required && v.is_none(),
                        "email",
                        "Enter your email address.",
                    );
                    c.email("email", v.as_deref());
                    a.email = v.map(|e| e.to_lowercase());
                }
                StandardField::Company => {
                    c.length("company", v.as_deref(), 200);
                    a.company = v;
                }
                StandardField::Phone => {
                    c.phone("phone", v.as_deref());
                    a.phone = v;
                }
            }
        }
        for f in &self.custom_fields {
            let v = get(&f.key);
            let value = match (f.kind, v) {
                (FieldKind::Checkbox, v) => {
                    let on = v.is_some_and(|v| v != "false" && v != "0" && v != "off");
                    c.when(f.required && !on, &f.key, "Please tick this box.");
                    Some(serde_json::Value::Bool(on))
                }
                (_, None) => {
                    c.when(f.required, &f.key, "Please answer this question.");
                    None
                }
                (FieldKind::Number, Some(v)) => match v.replace(',', "").parse::<f64>() {
                    Ok(n) if n.is_finite() => serde_json::Number::from_f64(n).map(Into::into),
                    _ => {
                        c.fail(&f.key, "Enter a number.");
                        None
                    }
                },
                (FieldKind::Choice, Some(v)) => {
                    if f.choices.contains(&v) {
                        Some(v.into())
                    } else {
                        c.fail(&f.key, "Choose one of the options.");
                        None
                    }
                }
                (FieldKind::Text, Some(v)) => {
                    c.length(&f.key, Some(&v), 2_000);
                    Some(v.into())
                }
            };
            if let Some(value) = value {
                a.custom.insert(f.key.clone(), value);
            }
        }
        for utm in UTM_FIELDS {
            if let Some(v) = get(utm) {
                a.utm.insert(utm.to_string(), v.chars().take(200).collect());
            }
        }
        match c.finish() {
            Ok(()) => Ok(a),
            Err(AppError::Validation { fields, .. }) => Err(fields),
            Err(_) => Err(FieldErrors::new()),
        }
    }
}

/// A read submission.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Answers {
    pub name: Option<String>,
    pub email: Option<String>,
    pub company: Option<String>,
    pub phone: Option<String>,
    pub custom: serde_json::Map<String, serde_json::Value>,
    pub utm: BTreeMap<String, String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> FormInput {
        FormInput {
            slug: "trial".into(),
            title: "Start a trial".into(),
            intro: String::new(),
            standard_fields: vec![StandardField::Name, StandardField::Email],
            custom_fields: vec![
                CustomField {
                    key: "team_size".into(),
                    label: "Team size".into(),
                    kind: FieldKind::Number,
                    required: true,
                    choices: vec![],
                },
                CustomField {
                    key: "plan".into(),
                    label: "Plan".into(),
                    kind: FieldKind::Choice,
                    required: false,
                    choices: vec!["Basic".into(), "Pro".into()],
                },
            ],
            creates: FormCreates::Lead,
            active: true,
        }
    }

    #[test]
    fn answers_are_read_and_checked() {
        let f = form();
        assert!(f.validate().is_ok());
        let posted: BTreeMap<String, String> = [
            ("name", "Ada"),
            ("email", "ADA@x.example"),
            ("team_size", "12"),
            ("plan", "Pro"),
            ("utm_source", "newsletter"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let a = f.read(&posted).unwrap();
        assert_eq!(a.email.as_deref(), Some("ada@x.example"));
        assert_eq!(a.custom["team_size"], serde_json::json!(12.0));
        assert_eq!(a.utm["utm_source"], "newsletter");

        let mut bad = posted.clone();
        bad.insert("team_size".into(), "many".into());
        bad.insert("plan".into(), "Gold".into());
        bad.remove("name");
        let errors = f.read(&bad).unwrap_err();
        assert!(errors.contains_key("team_size") && errors.contains_key("plan"));
        assert!(errors.contains_key("name"));
    }

    #[test]
    fn definitions_are_checked() {
        let mut f = form();
        f.custom_fields[1].key = "email".into();
        f.slug = "Not OK".into();
        let e = f.validate().unwrap_err();
        assert!(e.field("slug").is_some() && e.field("custom_fields.1").is_some());
    }
}

/// Reads a yes/no field sent either as JSON (`true`) or by a plain HTML form, where a ticked
/// checkbox arrives as `on` (or its `value`) and an unticked one not at all.
pub fn checkbox<'de, D: serde::Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Either {
        Bool(bool),
        Text(String),
    }
    Ok(match Either::deserialize(d)? {
        Either::Bool(b) => b,
        Either::Text(t) => matches!(
            t.trim().to_ascii_lowercase().as_str(),
            "on" | "true" | "1" | "yes"
        ),
    })
}

#[cfg(test)]
mod checkbox_tests {
    #[derive(serde::Deserialize)]
    struct F {
        #[serde(default, deserialize_with = "super::checkbox")]
        b: bool,
    }

    #[test]
    fn ticked_boxes_read_as_true_whatever_the_encoding() {
        let read = |j: &str| serde_json::from_str::<F>(j).unwrap().b;
        assert!(read(r#"{"b": true}"#) && read(r#"{"b": "on"}"#));
        assert!(!read(r#"{"b": false}"#) && !read(r#"{}"#) && !read(r#"{"b": "off"}"#));
    }
}
