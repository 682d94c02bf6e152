//! One CSV row → the record it describes, validated by the same rules as a form, or the
//! reason it cannot be imported.

use crate::domain::account::AccountFields;
use crate::domain::contact::{ContactFields, ContactRole};
use crate::domain::error::AppError;
use crate::domain::import::{CUSTOM, ColumnMap, DedupMode, ImportKind, several, split_name};
use crate::domain::lead::{LeadFields, LeadSource};
use crate::domain::records::Check;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use uuid::Uuid;

/// The mapping, resolved to column positions once per import.
#[derive(Clone, Debug)]
pub struct Plan {
    pub kind: ImportKind,
    /// Columns in the header row.
    width: usize,
    fields: Vec<(usize, &'static str)>,
    custom: Vec<(usize, String)>,
}

impl Plan {
    pub fn new(kind: ImportKind, mapping: &[ColumnMap]) -> Plan {
        let mut fields = Vec::new();
        let mut custom = Vec::new();
        for (i, m) in mapping.iter().enumerate() {
            match m.field.as_deref() {
                Some(CUSTOM) if kind.keeps_custom() => custom.push((i, custom_key(&m.header, i))),
                Some(f) => {
                    if let Some(t) = kind.fields().iter().find(|t| t.key == f) {
                        fields.push((i, t.key));
                    }
                }
                None => {}
            }
        }
        Plan {
            kind,
            width: mapping.len(),
            fields,
            custom,
        }
    }
}

/// A custom column's key on the record: its header in snake case.
fn custom_key(header: &str, index: usize) -> String {
    let key: String = header
        .trim()
        .to_lowercase()
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { '_' })
        .collect();
    let key = key.trim_matches('_').to_string();
    if key.is_empty() {
        format!("column_{}", index + 1)
    } else {
        key
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Fields {
    Lead(LeadFields),
    Contact(ContactFields),
    Account(AccountFields),
}

/// A row that can be imported.
#[derive(Clone, Debug, PartialEq)]
pub struct Candidate {
    /// A record id this CRM gave (from one of its own exports).
    pub id: Option<Uuid>,
    pub fields: Fields,
    /// Contacts: the account to find or create by name.
    pub company: Option<String>,
    pub custom: BTreeMap<String, Value>,
    /// The record fields this row gives a value for: what "fill" and "overwrite" may change.
    pub given: Vec<&'static str>,
}

impl Candidate {
    /// What the row is matched on after its id: the email (leads, contacts) or the domain
    /// (accounts), and for accounts the exact name.
    pub fn email_or_domain(&self) -> Option<&str> {
        match &self.fields {
            Fields::Lead(f) => f.email.as_deref(),
            Fields::Contact(f) => f.email.as_deref(),
            Fields::Account(f) => f.domain.as_deref(),
        }
    }

    pub fn account_name(&self) -> Option<&str> {
        match &self.fields {
            Fields::Account(f) => Some(f.name.as_str()),
            _ => None,
        }
    }
}

/// The first value of a cell that holds several; the rest are kept as custom data.
fn first_of_several(
    cell: &str,
    extra_key: &str,
    custom: &mut BTreeMap<String, Value>,
    keeps_custom: bool,
    good: impl Fn(&str) -> bool,
) -> Option<String> {
    let values = several(cell);
    if values.len() <= 1 {
        return Some(cell.trim().to_string()).filter(|v| !v.is_empty());
    }
    let first = values
        .iter()
        .copied()
        .find(|v| good(v))
        .unwrap_or(values[0]);
    let rest: Vec<&str> = values.iter().copied().filter(|v| *v != first).collect();
    if keeps_custom && !rest.is_empty() {
        custom.insert(extra_key.to_string(), Value::String(rest.join("; ")));
    }
    Some(first.to_string())
}

/// The reason a validation error gives, as one line: `email: Enter a valid email address.`
pub fn reason(e: &AppError) -> String {
    match e {
        AppError::Validation { fields, message } if !fields.is_empty() => fields
            .iter()
            .map(|(f, m)| format!("{f}: {}", m.join(" ")))
            .collect::<Vec<_>>()
            .join("; "),
        AppError::Validation { message, .. } => message.clone(),
        other => other.message(),
    }
}

fn parse_amount(text: &str) -> Result<i64, String> {
    let digits: String = text
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == '.' || *c == '-')
        .collect();
    digits
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && v.abs() < 9.0e15)
        .map(|v| v.round() as i64)
        .ok_or_else(|| format!("annual_revenue: \"{text}\" is not an amount."))
}

/// A row whose cells do not line up with the header: one lone cell in a wide file (a note or
/// a footer such as a report's "Confidential Information" line), or values beyond the last
/// column (an unquoted delimiter). Either would otherwise fill the wrong fields or lose data.
fn shape_problem(width: usize, cells: &[String]) -> Result<(), String> {
    let plural = |n: usize| if n == 1 { "" } else { "s" };
    let filled = cells
        .iter()
        .rposition(|c| !c.trim().is_empty())
        .map_or(0, |i| i + 1);
    if filled > width {
        return Err(format!(
            "The row has {filled} column{} where the header has {width}; a value with the delimiter in it may need quotes.",
            plural(filled)
        ));
    }
    if cells.len() == 1 && width >= 3 {
        return Err(format!(
            "The row has 1 column where the header has {width}; it looks like a note, not a record."
        ));
    }
    Ok(())
}

/// Turns a row's cells into a record, or says why it cannot be imported.
pub fn candidate(plan: &Plan, cells: &[String]) -> Result<Candidate, String> {
    if cells.iter().all(|c| c.trim().is_empty()) {
        return Err("The row is empty.".into());
    }
    shape_problem(plan.width, cells)?;
    let keeps = plan.kind.keeps_custom();
    let mut custom = BTreeMap::new();
    let mut value: BTreeMap<&'static str, String> = BTreeMap::new();
    for (i, field) in &plan.fields {
        let Some(cell) = cells.get(*i).map(|c| c.trim()).filter(|c| !c.is_empty()) else {
            continue;
        };
        let cell = match *field {
            "email" => first_of_several(cell, "other_emails", &mut custom, keeps, |v| {
                crate::domain::user::email_problem(v).is_none()
            }),
            "phone" => first_of_several(cell, "other_phones", &mut custom, keeps, |_| true),
            _ => Some(cell.to_string()),
        };
        if let Some(cell) = cell {
            value.insert(field, cell);
        }
    }
    for (i, key) in &plan.custom {
        if let Some(cell) = cells.get(*i).map(|c| c.trim()).filter(|c| !c.is_empty()) {
            custom.insert(key.clone(), Value::String(cell.to_string()));
        }
    }
    let take = |f: &str| value.get(f).cloned();
    let id = take("id").and_then(|v| Uuid::parse_str(&v).ok());
    let mut check = Check::new();
    let mut given: Vec<&'static str> = Vec::new();
    let mut company = None;
    let fields = match plan.kind {
        ImportKind::Leads => {
            let name = take("name").or_else(|| {
                let joined = [take("first_name"), take("last_name")]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" ");
                Some(joined).filter(|j| !j.is_empty())
            });
            let mut f = LeadFields {
                name: name.unwrap_or_default(),
                company: take("company"),
                email: take("email"),
                phone: take("phone"),
                source: LeadSource::Import,
                utm_source: take("utm_source"),
                utm_medium: take("utm_medium"),
                utm_campaign: take("utm_campaign"),
            };
            f.normalize();
            f.check(&mut check);
            for (k, set) in [
                ("name", !f.name.is_empty()),
                ("company", f.company.is_some()),
                ("email", f.email.is_some()),
                ("phone", f.phone.is_some()),
                ("utm_source", f.utm_source.is_some()),
                ("utm_medium", f.utm_medium.is_some()),
                ("utm_campaign", f.utm_campaign.is_some()),
            ] {
                if set {
                    given.push(k);
                }
            }
            Fields::Lead(f)
        }
        ImportKind::Contacts => {
            let (mut first, mut last) = (take("first_name"), take("last_name"));
            if first.is_none() && last.is_none() {
                (first, last) = take("name").map(|n| split_name(&n)).unwrap_or((None, None));
            }
            let role = match take("role") {
                Some(r) => r
                    .trim()
                    .to_lowercase()
                    .parse::<ContactRole>()
                    .map_err(|e| format!("role: {e}"))?,
                None => ContactRole::Lead,
            };
            let mut f = ContactFields {
                first_name: first,
                last_name: last,
                email: take("email"),
                phone: take("phone"),
                title: take("title"),
                role,
                ..ContactFields::default()
            };
            f.normalize();
            f.check(&mut check);
            company = take("company");
            for (k, set) in [
                ("first_name", f.first_name.is_some()),
                ("last_name", f.last_name.is_some()),
                ("email", f.email.is_some()),
                ("phone", f.phone.is_some()),
                ("title", f.title.is_some()),
                ("role", value.contains_key("role")),
                ("account_id", company.is_some()),
            ] {
                if set {
                    given.push(k);
                }
            }
            Fields::Contact(f)
        }
        ImportKind::Accounts => {
            let revenue = take("annual_revenue")
                .map(|r| parse_amount(&r))
                .transpose()?;
            let mut f = AccountFields {
                name: take("name").unwrap_or_default(),
                domain: take("domain"),
                industry: take("industry"),
                phone: take("phone"),
                city: take("city"),
                annual_revenue: revenue,
                primary_contact_id: None,
            };
            f.normalize();
            f.check(&mut check);
            for (k, set) in [
                ("name", !f.name.is_empty()),
                ("domain", f.domain.is_some()),
                ("industry", f.industry.is_some()),
                ("phone", f.phone.is_some()),
                ("city", f.city.is_some()),
                ("annual_revenue", f.annual_revenue.is_some()),
            ] {
                if set {
                    given.push(k);
                }
            }
            Fields::Account(f)
        }
    };
    // A row that names an existing record by id may leave out what the record already has.
    if let Err(e) = check.finish() {
        if id.is_none() {
            return Err(reason(&e));
        }
    }
    Ok(Candidate {
        id,
        fields,
        company,
        custom,
        given,
    })
}

/// Merges a row into the record it matched: `fill` sets only what is empty, `overwrite` sets
/// everything the row gives. Returns whether anything changed.
pub fn merge<T: serde::Serialize + serde::de::DeserializeOwned>(
    current: &mut T,
    row: &T,
    given: &[&str],
    mode: DedupMode,
) -> bool {
    let (Ok(Value::Object(mut cur)), Ok(Value::Object(new))) =
        (serde_json::to_value(&*current), serde_json::to_value(row))
    else {
        return false;
    };
    let mut changed = false;
    for field in given {
        let Some(v) = new.get(*field) else { continue };
        let old = cur.get(*field).cloned().unwrap_or(Value::Null);
        let empty = matches!(&old, Value::Null) || old.as_str().is_some_and(str::is_empty);
        let take = match mode {
            DedupMode::Skip => false,
            DedupMode::Fill => empty,
            DedupMode::Overwrite => true,
        };
        if take && &old != v {
            cur.insert((*field).to_string(), v.clone());
            changed = true;
        }
    }
    if changed {
        match serde_json::from_value(Value::Object(cur)) {
            Ok(merged) => *current = merged,
            Err(_) => return false,
        }
    }
    changed
}

/// Merges custom columns the same way.
pub fn merge_custom(
    current: &mut BTreeMap<String, Value>,
    row: &BTreeMap<String, Value>,
    mode: DedupMode,
) -> bool {
    let mut changed = false;
    for (k, v) in row {
        let take = match mode {
            DedupMode::Skip => false,
            DedupMode::Fill => !current.contains_key(k),
            DedupMode::Overwrite => current.get(k) != Some(v),
        };
        if take {
            current.insert(k.clone(), v.clone());
            changed = true;
        }
    }
    changed
}

/// Custom data as the JSON text the records keep.
pub fn custom_text(custom: &BTreeMap<String, Value>) -> Option<String> {
    (!custom.is_empty())
        .then(|| Value::Object(custom.clone().into_iter().collect::<Map<_, _>>()).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(kind: ImportKind, fields: &[Option<&str>]) -> Plan {
        let mapping: Vec<ColumnMap> = fields
            .iter()
            .enumerate()
            .map(|(i, f)| ColumnMap {
                header: format!("Column {i}"),
                field: f.map(str::to_string),
            })
            .collect();
        Plan::new(kind, &mapping)
    }

    fn row(cells: &[&str]) -> Vec<String> {
        cells.iter().map(|c| c.to_string()).collect()
    }

    #[test]
    fn contacts_split_names_and_keep_extra_emails() {
        let p = plan(
            ImportKind::Contacts,
            &[Some("name"), Some("email"), Some("company"), Some(CUSTOM)],
        );
        let c = candidate(
            &p,
            &row(&[
                "Ada Lovelace",
                "ADA@Example.com ::: ada@work.example",
                "Acme",
                "VIP",
            ]),
        )
        .expect("valid");
        let Fields::Contact(f) = &c.fields else {
            panic!("a contact")
        };
        assert_eq!(f.first_name.as_deref(), Some("Ada"));
        assert_eq!(f.last_name.as_deref(), Some("Lovelace"));
        assert_eq!(f.email.as_deref(), Some("ada@example.com"));
        assert_eq!(c.company.as_deref(), Some("Acme"));
        assert_eq!(
            c.custom["other_emails"],
            Value::String("ada@work.example".into())
        );
        assert_eq!(c.custom["column_3"], Value::String("VIP".into()));
        assert!(c.given.contains(&"account_id"));
    }

    #[test]
    fn invalid_rows_say_why() {
        let p = plan(ImportKind::Contacts, &[Some("first_name"), Some("email")]);
        let e = candidate(&p, &row(&["Ada", "not-an-email"])).expect_err("bad email");
        assert!(e.starts_with("email: "), "{e}");
        assert_eq!(
            candidate(&p, &row(&["", " "])).expect_err("empty"),
            "The row is empty."
        );
        let e = candidate(&p, &row(&["", "x@example.com"])).expect_err("nameless");
        assert!(e.contains("first_name"), "{e}");
        let p = plan(
            ImportKind::Accounts,
            &[Some("name"), Some("annual_revenue")],
        );
        assert!(
            candidate(&p, &row(&["Acme", "lots"]))
                .expect_err("amount")
                .starts_with("annual_revenue")
        );
        let a = candidate(&p, &row(&["Acme", "$1,250,000"])).expect("amount");
        assert!(matches!(
            a.fields,
            Fields::Account(AccountFields {
                annual_revenue: Some(1_250_000),
                ..
            })
        ));
    }

    #[test]
    fn rows_that_do_not_line_up_with_the_header_say_so() {
        let p = plan(
            ImportKind::Contacts,
            &[Some("first_name"), Some("last_name"), Some("email")],
        );
        let e = candidate(&p, &row(&["Confidential Information - Do Not Distribute"]))
            .expect_err("a footer");
        assert_eq!(
            e,
            "The row has 1 column where the header has 3; it looks like a note, not a record."
        );
        let e = candidate(&p, &row(&["Ada", "Lovelace", "ada@example.com", " Ltd"]))
            .expect_err("an unquoted comma");
        assert!(
            e.starts_with("The row has 4 columns where the header has 3"),
            "{e}"
        );
        // Empty cells past the last column, and missing trailing cells, are harmless.
        assert!(candidate(&p, &row(&["Ada", "Lovelace", "ada@example.com", "", " "])).is_ok());
        assert!(candidate(&p, &row(&["Ada", "Lovelace"])).is_ok());
        // A one-column file is one column wide on every row.
        let p = plan(ImportKind::Accounts, &[Some("name")]);
        assert!(candidate(&p, &row(&["Acme"])).is_ok());
    }

    #[test]
    fn leads_join_first_and_last_and_come_from_import() {
        let p = plan(
            ImportKind::Leads,
            &[Some("first_name"), Some("last_name"), None],
        );
        let c = candidate(&p, &row(&["Ada", "Lovelace", "ignored"])).expect("valid");
        let Fields::Lead(f) = &c.fields else {
            panic!("a lead")
        };
        assert_eq!(f.name, "Ada Lovelace");
        assert_eq!(f.source, LeadSource::Import);
    }

    #[test]
    fn fill_sets_only_empty_fields_and_overwrite_sets_all_given() {
        let current = ContactFields {
            first_name: Some("Ada".into()),
            phone: None,
            ..ContactFields::default()
        };
        let incoming = ContactFields {
            first_name: Some("Augusta".into()),
            phone: Some("+44 20 7946 0000".into()),
            ..ContactFields::default()
        };
        let mut filled = current.clone();
        assert!(merge(
            &mut filled,
            &incoming,
            &["first_name", "phone"],
            DedupMode::Fill
        ));
        assert_eq!(filled.first_name.as_deref(), Some("Ada"));
        assert_eq!(filled.phone.as_deref(), Some("+44 20 7946 0000"));
        let mut over = current.clone();
        assert!(merge(
            &mut over,
            &incoming,
            &["first_name", "phone"],
            DedupMode::Overwrite
        ));
        assert_eq!(over.first_name.as_deref(), Some("Augusta"));
        let mut same = incoming.clone();
        assert!(!merge(
            &mut same,
            &incoming,
            &["first_name", "phone"],
            DedupMode::Overwrite
        ));
    }
}
