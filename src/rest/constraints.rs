//! The input rules the server enforces, written into the OpenAPI document where JSON Schema
//! can say them: required text that may not be blank, lengths, email and phone shapes, ranges,
//! and which roles or record kinds an input takes. The rules themselves live in `domain`
//! (its `check`/`validate` functions); the numbers here are theirs, and schemathesis runs both
//! ways over the document (valid input accepted, invalid refused), so the two cannot drift
//! apart unnoticed. What JSON Schema cannot say (one date after another, one field's value
//! bounding another) is written in the operation's description and excluded from the
//! positive check by name in `scripts/schemathesis.toml`.

use crate::domain::user::{PASSWORD_MAX_CHARS, PASSWORD_MIN_CHARS};
use serde_json::{Value, json};

/// Unicode `White_Space`, which Rust's `trim` and `is_whitespace` use (spelled out: a regex's
/// `\s` differs between engines).
const WS: &str =
    "\\t\\n\\u000b\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";

fn non_blank() -> String {
    format!("[^{WS}]")
}

/// Text that must hold something besides white space, of at most `max` characters.
fn named(max: usize) -> Value {
    json!({"pattern": non_blank(), "maxLength": max})
}

fn at_most(max: usize) -> Value {
    json!({"maxLength": max})
}

/// An email address as `user::email_problem` reads it; blank means none where it is optional.
fn email(optional: bool) -> Value {
    let address = format!("[{WS}]*[^{WS}@]+@[^{WS}@.]+(\\.[^{WS}@.]+)+[{WS}]*");
    let pattern = if optional {
        format!("^([{WS}]*|{address})$")
    } else {
        format!("^{address}$")
    };
    json!({"pattern": pattern, "maxLength": 254})
}

/// A phone number as `records::Check::phone` reads it: digits and ` +-().x/`, 5 to 20 digits.
fn phone() -> Value {
    let sep = "[ +\\-().x/]*";
    json!({"pattern": format!("^[{WS}]*(({sep}[0-9]){{5,20}}{sep})?[{WS}]*$")})
}

/// A web domain as `records::normalize_domain` and `domain_problem` read it: a scheme, `www.`,
/// a path and trailing dots are dropped; what is left is dotted letters, digits and dashes.
fn web_domain() -> Value {
    let host = "([Hh][Tt][Tt][Pp][Ss]?://)?([Ww][Ww][Ww]\\.)?[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)+\\.*([/?#][\\s\\S]*)?";
    json!({"pattern": format!("^[{WS}]*({host})?[{WS}]*$")})
}

/// A locale as `regional::Locale::parse` reads it: one of ours, or a language it falls back on.
fn locale() -> Value {
    let langs: Vec<String> = crate::domain::regional::Locale::ALL
        .iter()
        .map(|l| {
            l.code()[..2]
                .chars()
                .map(|c| format!("[{}{}]", c.to_ascii_uppercase(), c.to_ascii_lowercase()))
                .collect()
        })
        .collect();
    json!({"pattern": format!("^[{WS}]*(({})([-_][\\s\\S]*)?)?[{WS}]*$", langs.join("|"))})
}

/// A zone name chrono-tz knows (white space around it is trimmed; blank means the default).
fn time_zone() -> Value {
    let names: Vec<String> = chrono_tz::TZ_VARIANTS
        .iter()
        .map(|z| z.name().replace('+', "\\+"))
        .collect();
    json!({"pattern": format!("^[{WS}]*({})?[{WS}]*$", names.join("|"))})
}

fn password() -> Value {
    json!({"minLength": PASSWORD_MIN_CHARS, "maxLength": PASSWORD_MAX_CHARS})
}

fn range(min: i64, max: i64) -> Value {
    json!({"minimum": min, "maximum": max})
}

/// An amount in currency units with at most two decimals, never negative.
fn amount() -> Value {
    json!({"minimum": 0, "maximum": crate::domain::records::MAX_AMOUNT_UNITS, "multipleOf": 0.01})
}

fn one_of(values: &[&str]) -> Value {
    json!({"type": "string", "enum": values})
}

const LINKABLE: &[&str] = &["lead", "account", "contact", "opportunity", "ticket"];

fn staff_roles() -> Vec<&'static str> {
    crate::domain::user::Role::STAFF
        .iter()
        .map(|r| r.as_str())
        .collect()
}

/// `(schema, property, rule)`: the rule's keywords are merged into the property's schema.
fn rules() -> Vec<(&'static str, &'static str, Value)> {
    let roles = staff_roles();
    let role = json!({"oneOf": [{"type": "null"}, one_of(&roles)]});
    let mut r = vec![
        ("LeadFields", "name", named(200)),
        ("LeadFields", "company", at_most(200)),
        ("LeadFields", "email", email(true)),
        ("LeadFields", "phone", phone()),
        ("LeadFields", "utm_source", at_most(200)),
        ("LeadFields", "utm_medium", at_most(200)),
        ("LeadFields", "utm_campaign", at_most(200)),
        ("LeadPatch", "name", named(200)),
        ("LeadPatch", "company", at_most(200)),
        ("LeadPatch", "email", email(true)),
        ("LeadPatch", "phone", phone()),
        ("AccountFields", "name", named(200)),
        ("AccountFields", "domain", web_domain()),
        ("AccountPatch", "domain", web_domain()),
        ("AccountFields", "industry", at_most(100)),
        ("AccountFields", "city", at_most(100)),
        ("AccountFields", "phone", phone()),
        ("AccountFields", "annual_revenue", range(0, i64::MAX)),
        ("AccountPatch", "name", named(200)),
        ("AccountPatch", "industry", at_most(100)),
        ("AccountPatch", "city", at_most(100)),
        ("AccountPatch", "phone", phone()),
        ("AccountPatch", "annual_revenue", range(0, i64::MAX)),
        ("ContactFields", "first_name", at_most(100)),
        ("ContactFields", "last_name", at_most(100)),
        ("ContactFields", "title", at_most(120)),
        ("ContactFields", "email", email(true)),
        ("ContactFields", "phone", phone()),
        ("ContactPatch", "first_name", at_most(100)),
        ("ContactPatch", "last_name", at_most(100)),
        ("ContactPatch", "title", at_most(120)),
        ("ContactPatch", "email", email(true)),
        ("ContactPatch", "phone", phone()),
        ("OpportunityFields", "name", named(200)),
        ("OpportunityFields", "value", amount()),
        ("OpportunityPatch", "name", named(200)),
        ("OpportunityPatch", "value", amount()),
        ("QualifyInput", "value", amount()),
        ("QualifyInput", "opportunity_name", at_most(200)),
        ("NewActivity", "subject", at_most(200)),
        ("NewActivity", "body", at_most(20_000)),
        ("NewActivity", "related_type", one_of(LINKABLE)),
        ("NewTask", "title", named(200)),
        (
            "NewTask",
            "related_type",
            json!({"oneOf": [{"type": "null"}, one_of(LINKABLE)]}),
        ),
        ("NewTicket", "subject", named(200)),
        ("NewTicket", "description", at_most(20_000)),
        ("NewComment", "body", named(20_000)),
        ("SlaPolicy", "first_response_hours", range(1, 24 * 365)),
        ("SlaPolicy", "resolution_hours", range(1, 24 * 365)),
        ("NewUserInput", "email", email(false)),
        ("NewUserInput", "name", named(120)),
        ("NewUserInput", "role", one_of(&roles)),
        ("UserUpdate", "name", named(120)),
        ("UserUpdate", "role", role),
        ("ProfileChange", "name", named(120)),
        ("ProfileChange", "locale", locale()),
        ("ProfileChange", "time_zone", time_zone()),
        ("TargetInput", "target", amount()),
        ("PasswordChange", "new_password", password()),
        ("SetupInput", "password", password()),
        ("SetupInput", "name", named(120)),
        ("SetupInput", "email", email(false)),
        ("SetPasswordInput", "password", password()),
        ("TokenInput", "label", named(100)),
    ];
    r.extend(["first_name", "last_name"].map(|p| ("PortalProfilePatch", p, at_most(100))));
    r.push(("PortalProfilePatch", "title", at_most(120)));
    r.push(("PortalProfilePatch", "phone", phone()));
    r
}

/// Properties that must be sent although serde would default them (the default is refused).
const REQUIRED: &[(&str, &[&str])] = &[
    ("LeadFields", &["name"]),
    ("AccountFields", &["name"]),
    ("OpportunityFields", &["name"]),
    ("NewTask", &["title"]),
    ("NewTicket", &["subject"]),
    ("SetupInput", &["email", "name", "password"]),
    ("SetPasswordInput", &["token", "password"]),
    ("NewUserInput", &["role"]),
    ("TargetInput", &["target"]),
];

/// Whole-object rules: both halves of a link, and (in words only) one of two fields holding
/// text. The latter is `anyOf` in JSON Schema, which the coverage phase of schemathesis 4.32
/// crashed on here (a Hypothesis recursion error, now and then); the operations are listed in
/// `scripts/schemathesis.toml` instead.
fn object_rules() -> Vec<(&'static str, Value)> {
    let either = |a: &str, b: &str| json!({"description": format!("`{a}` or `{b}` must hold more than white space.")});
    vec![
        ("ContactFields", either("first_name", "last_name")),
        ("PortalProfilePatch", either("first_name", "last_name")),
        ("NewActivity", either("subject", "body")),
        (
            "NewTask",
            // Both spellings: `dependencies` is the one older generators know.
            json!({
                "dependentRequired": {"related_id": ["related_type"], "related_type": ["related_id"]},
                "dependencies": {"related_id": ["related_type"], "related_type": ["related_id"]}
            }),
        ),
    ]
}

/// Request bodies whose operation asks more than their shared schema says.
fn operation_bodies(doc: &mut Value) -> Vec<String> {
    use crate::domain::import::{DedupMode, ImportKind};
    let kinds: Vec<&str> = ImportKind::options().into_iter().map(|(v, _)| v).collect();
    let dedups: Vec<&str> = DedupMode::options().into_iter().map(|(v, _)| v).collect();
    let bodies = [
        (
            "/paths/~1api~1crm~1opportunity~1{id}~1stage/post/requestBody/content/application~1json/schema",
            json!({"allOf": [
                {"$ref": "#/components/schemas/OpportunityPatch"},
                {"type": "object", "required": ["stage", "version"],
                 "properties": {"stage": {"type": "string", "pattern": non_blank()}}}
            ]}),
        ),
        (
            "/paths/~1api~1crm~1imports/post/requestBody/content/multipart~1form-data/schema",
            json!({"type": "object", "required": ["file"], "properties": {
                "file": {"type": "string", "format": "binary", "description": "The CSV file, UTF-8 or a legacy encoding"},
                "kind": {"type": "string", "enum": kinds},
                "dedup": {"type": "string", "enum": dedups},
                "mapping": {"type": "string", "description": "JSON: [{\"header\": …, \"field\": …}], one per column"},
                "action": {"type": "string", "enum": ["run", "dry_run", "upload"]}
            }}),
        ),
    ];
    let mut missing = Vec::new();
    for (pointer, schema) in bodies {
        let parent = pointer.rsplit_once('/').map(|(p, _)| p).unwrap_or(pointer);
        match doc.pointer_mut(parent).and_then(Value::as_object_mut) {
            Some(content) => {
                content.insert("schema".into(), schema);
            }
            None => missing.push(pointer.to_string()),
        }
    }
    missing
}

/// The object schema of a component that carries `property` (itself, or a member of its
/// `allOf`).
fn object_with<'a>(schema: &'a mut Value, property: &str) -> Option<&'a mut Value> {
    if schema["properties"].get(property).is_some() {
        return Some(schema);
    }
    schema
        .get_mut("allOf")?
        .as_array_mut()?
        .iter_mut()
        .find(|m| m["properties"].get(property).is_some())
}

fn merge(target: &mut Value, rule: &Value) {
    if let (Some(t), Some(r)) = (target.as_object_mut(), rule.as_object()) {
        for (k, v) in r {
            t.insert(k.clone(), v.clone());
        }
    }
}

/// Writes the rules into the document's component schemas. A rule naming a schema or property
/// the document lacks is a mistake here: the unit test below fails on it.
pub fn apply(doc: &mut Value) -> Vec<String> {
    let mut missing = operation_bodies(doc);
    let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    else {
        return vec!["components.schemas".into()];
    };
    for (name, property, rule) in rules() {
        let found = schemas
            .get_mut(name)
            .and_then(|s| object_with(s, property))
            .and_then(|o| o["properties"].get_mut(property));
        match found {
            Some(p) => {
                // A nullable `oneOf` is replaced whole; other rules add keywords.
                if (rule.get("oneOf").is_some() || rule.get("enum").is_some())
                    && let Some(o) = p.as_object_mut()
                {
                    o.remove("oneOf");
                    o.remove("$ref");
                }
                merge(p, &rule);
            }
            None => missing.push(format!("{name}.{property}")),
        }
    }
    for (name, required) in REQUIRED {
        for property in *required {
            match schemas
                .get_mut(*name)
                .and_then(|s| object_with(s, property))
            {
                Some(o) => {
                    let list = o
                        .as_object_mut()
                        .map(|o| o.entry("required").or_insert_with(|| json!([])));
                    if let Some(Value::Array(list)) = list
                        && !list.iter().any(|v| v == property)
                    {
                        list.push(json!(property));
                    }
                }
                None => missing.push(format!("{name}.{property} (required)")),
            }
        }
    }
    for (name, rule) in object_rules() {
        match schemas.get_mut(name) {
            Some(s) => merge(s, &rule),
            None => missing.push(name.to_string()),
        }
    }
    missing
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_rule_names_a_schema_property_of_the_document() {
        let mut doc = serde_json::to_value(super::super::openapi()).unwrap_or_default();
        assert_eq!(super::apply(&mut doc), Vec::<String>::new());
    }

    #[test]
    fn the_phone_and_email_patterns_agree_with_the_checks() {
        use crate::domain::records::Check;
        let phone = regex_lite(&super::phone()["pattern"]);
        for (v, ok) in [
            ("+1 415 555 0100", true),
            ("  ", true),
            ("12345", true),
            ("1234", false),
            ("415-555-0100 x12", true),
            ("call me", false),
            ("123456789012345678901", false),
        ] {
            let mut c = Check::new();
            c.phone("phone", Some(v));
            assert_eq!(c.is_empty(), ok, "{v}");
            assert_eq!(phone(v), ok, "pattern on {v}");
        }
        let email = regex_lite(&super::email(true)["pattern"]);
        for (v, ok) in [
            ("ada@example.com", true),
            (" ada@example.com ", true),
            ("", true),
            ("ada@example", false),
            ("ada@@example.com", false),
            ("ada@.example.com", false),
            ("ada@example..com", false),
            ("a da@example.com", false),
        ] {
            let mut c = Check::new();
            c.email("email", Some(v));
            assert_eq!(c.is_empty(), ok, "{v}");
            assert_eq!(email(v), ok, "pattern on {v}");
        }
    }

    #[test]
    fn the_time_zone_and_locale_patterns_agree_with_the_checks() {
        use crate::domain::regional::RegionalChoice;
        let zone = regex_lite(&super::time_zone()["pattern"]);
        let locale = regex_lite(&super::locale()["pattern"]);
        for (z, ok) in [
            ("Europe/Paris", true),
            (" ", true),
            ("Etc/GMT+5", true),
            ("Mars/Olympus", false),
        ] {
            let choice = RegionalChoice {
                time_zone: Some(z.into()),
                locale: None,
            };
            assert_eq!(crate::server::regional::checked(&choice).is_ok(), ok, "{z}");
            assert_eq!(zone(z), ok, "pattern on {z}");
        }
        for (l, ok) in [
            ("de-DE", true),
            ("en", true),
            ("", true),
            ("pt_BR", true),
            ("xx", false),
        ] {
            let choice = RegionalChoice {
                time_zone: None,
                locale: Some(l.into()),
            };
            assert_eq!(crate::server::regional::checked(&choice).is_ok(), ok, "{l}");
            assert_eq!(locale(l), ok, "pattern on {l}");
        }
    }

    /// The document's patterns, tried with the `regex` crate the server already links
    /// (its syntax covers what they use: classes, groups, counted repeats, `\uXXXX`).
    fn regex_lite(pattern: &serde_json::Value) -> impl Fn(&str) -> bool + use<> {
        let text = pattern.as_str().unwrap_or("").replace("\\u", "\\x");
        let text = text
            .split("\\x")
            .enumerate()
            .map(|(i, part)| {
                if i == 0 {
                    part.to_string()
                } else {
                    format!("\\x{{{}}}{}", &part[..4], &part[4..])
                }
            })
            .collect::<String>();
        let re = regex::Regex::new(&text).expect("a pattern regex understands");
        move |s| re.is_match(s)
    }
}
