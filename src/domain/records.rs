//! What every sales record shares: its kind, money, list queries and pages, patches that can
//! clear a field, and the checks that build field errors.

use super::error::{AppError, FieldErrors};
use serde::{Deserialize, Deserializer, Serialize};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

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

/// An amount of money: integer minor units (cents) and an ISO currency code. Sent and shown as
/// a decimal.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Money {
    pub minor: i64,
    pub currency: String,
}

pub const DEFAULT_CURRENCY: &str = "USD";

impl Money {
    pub fn new(minor: i64, currency: &str) -> Money {
        Money {
            minor,
            currency: currency.to_string(),
        }
    }

    /// The decimal form, e.g. `12500.50`.
    pub fn decimal(&self) -> String {
        decimal_string(self.minor)
    }

    /// For people: `$12,500.50`, `€900.00`, `CHF 1,200.00`.
    pub fn display(&self) -> String {
        let sign = if self.minor < 0 { "-" } else { "" };
        let abs = self.minor.unsigned_abs();
        let units = group_thousands(abs / 100);
        let cents = abs % 100;
        let symbol = match self.currency.as_str() {
            "USD" => "$",
            "EUR" => "€",
            "GBP" => "£",
            "JPY" => "¥",
            _ => "",
        };
        if symbol.is_empty() {
            format!("{sign}{} {units}.{cents:02}", self.currency)
        } else {
            format!("{sign}{symbol}{units}.{cents:02}")
        }
    }
}

/// Minor units → `"1234.50"`.
pub fn decimal_string(minor: i64) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let abs = minor.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

/// A short human amount for dense places such as board columns: `$1.2M`, `$950K`, `$120`.
pub fn compact_amount(minor: i64, currency: &str) -> String {
    let units = minor as f64 / 100.0;
    let symbol = match currency {
        "USD" => "$",
        "EUR" => "€",
        "GBP" => "£",
        _ => "",
    };
    let (value, suffix) = if units.abs() >= 1e9 {
        (units / 1e9, "B")
    } else if units.abs() >= 1e6 {
        (units / 1e6, "M")
    } else if units.abs() >= 1e3 {
        (units / 1e3, "K")
    } else {
        (units, "")
    };
    let number = if suffix.is_empty() || value.abs() >= 100.0 {
        format!("{value:.0}")
    } else {
        format!("{value:.1}")
    };
    if symbol.is_empty() {
        format!("{currency} {number}{suffix}")
    } else {
        format!("{symbol}{number}{suffix}")
    }
}

pub fn group_thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// The largest amount, in currency units, any money field takes: ten trillion, far beyond any
/// deal, and small enough that every amount is exact as a JSON number (a double).
pub const MAX_AMOUNT_UNITS: i64 = 10_000_000_000_000;

/// Parses a decimal amount (`1234`, `1,234.5`, `1234.56`) into minor units; more than two
/// decimals, letters or a second point are refused.
pub fn parse_decimal(text: &str) -> Result<i64, String> {
    let cleaned: String = text
        .trim()
        .chars()
        .filter(|c| *c != ',' && *c != '_' && *c != ' ')
        .collect();
    let (negative, digits) = match cleaned.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, cleaned.as_str()),
    };
    let (units, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let valid = !units.is_empty() || !fraction.is_empty();
    if !valid
        || !units.chars().all(|c| c.is_ascii_digit())
        || !fraction.chars().all(|c| c.is_ascii_digit())
    {
        return Err("Enter an amount such as 1250 or 1250.50.".into());
    }
    if fraction.len() > 2 {
        return Err("Use at most two decimals.".into());
    }
    let units: i64 = if units.is_empty() {
        0
    } else {
        units
            .parse()
            .map_err(|_| "The amount is too large.".to_string())?
    };
    let cents: i64 = format!("{fraction:0<2}").parse().unwrap_or(0);
    let minor = units
        .checked_mul(100)
        .and_then(|u| u.checked_add(cents))
        .filter(|m| *m <= MAX_AMOUNT_UNITS * 100)
        .ok_or("The amount is too large.")?;
    Ok(if negative { -minor } else { minor })
}

/// Money fields accept a JSON number or a decimal string, and are sent as a number.
pub mod decimal_minor {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(minor: &i64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(*minor as f64 / 100.0)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
        let value = serde_json::Value::deserialize(d)?;
        super::minor_from_json(&value).map_err(serde::de::Error::custom)
    }
}

/// The same for optional amounts.
pub mod opt_decimal_minor {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(minor: &Option<i64>, s: S) -> Result<S::Ok, S::Error> {
        match minor {
            Some(m) => s.serialize_f64(*m as f64 / 100.0),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
        let value = serde_json::Value::deserialize(d)?;
        if value.is_null() {
            return Ok(None);
        }
        super::minor_from_json(&value)
            .map(Some)
            .map_err(serde::de::Error::custom)
    }
}

/// And for patches, where a missing amount and a cleared one differ.
pub mod patch_decimal_minor {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(minor: &Option<Option<i64>>, s: S) -> Result<S::Ok, S::Error> {
        match minor {
            Some(Some(m)) => s.serialize_f64(*m as f64 / 100.0),
            _ => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<i64>>, D::Error> {
        let value = serde_json::Value::deserialize(d)?;
        if value.is_null() {
            return Ok(Some(None));
        }
        super::minor_from_json(&value)
            .map(|m| Some(Some(m)))
            .map_err(serde::de::Error::custom)
    }
}

fn minor_from_json(value: &serde_json::Value) -> Result<i64, String> {
    match value {
        // Parse the number's own text, so 0.1 + 0.2 style float noise never creeps in.
        serde_json::Value::Number(n) => parse_decimal(&n.to_string()),
        serde_json::Value::String(s) => parse_decimal(s),
        _ => Err("Enter an amount such as 1250 or 1250.50.".into()),
    }
}

/// A field in a patch: absent (leave alone), `null` (clear), or a value.
pub fn nullable<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// A list request: filters, sort, page size and the cursor of the previous page.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "ssr", into_params(parameter_in = Query))]
pub struct ListQuery {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_id: Option<Uuid>,
    /// Only the records owned by this team's members and manager.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub q: Option<String>,
    /// Activities and tasks: the record they are about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub related_type: Option<RecordKind>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub related_id: Option<Uuid>,
    /// Tasks: who does them, and whether only open ones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignee_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open: Option<bool>,
    /// Opportunities: expected close from / to (inclusive days).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub close_from: Option<chrono::NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub close_to: Option<chrono::NaiveDate>,
    /// Opportunities: closed (won or lost) from / to (inclusive days, UTC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_from: Option<chrono::NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_to: Option<chrono::NaiveDate>,
    /// Opportunities: why they were lost (`unknown` for none recorded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lost_reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sort: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
}

pub const DEFAULT_PAGE: u32 = 50;
pub const MAX_PAGE: u32 = 200;

impl ListQuery {
    pub fn page_size(&self) -> u32 {
        self.limit.unwrap_or(DEFAULT_PAGE).clamp(1, MAX_PAGE)
    }

    /// The query without its cursor: the first page of the same list.
    pub fn first_page(&self) -> ListQuery {
        ListQuery {
            cursor: None,
            ..self.clone()
        }
    }

    /// As URL query parameters (for links and exports).
    pub fn to_query_string(&self) -> String {
        use super::links::urlencode;
        let mut parts = Vec::new();
        let mut push = |k: &str, v: String| parts.push(format!("{k}={}", urlencode(&v)));
        if let Some(v) = &self.status {
            push("status", v.clone());
        }
        if let Some(v) = &self.stage {
            push("stage", v.clone());
        }
        if let Some(v) = self.owner_id {
            push("owner_id", v.to_string());
        }
        if let Some(v) = self.account_id {
            push("account_id", v.to_string());
        }
        if let Some(v) = &self.q {
            push("q", v.clone());
        }
        if let Some(v) = self.related_type {
            push("related_type", v.as_str().to_string());
        }
        if let Some(v) = self.related_id {
            push("related_id", v.to_string());
        }
        if let Some(v) = self.assignee_id {
            push("assignee_id", v.to_string());
        }
        if let Some(v) = self.open {
            push("open", v.to_string());
        }
        for (k, v) in [
            ("close_from", self.close_from),
            ("close_to", self.close_to),
            ("closed_from", self.closed_from),
            ("closed_to", self.closed_to),
        ] {
            if let Some(v) = v {
                push(k, v.format("%Y-%m-%d").to_string());
            }
        }
        if let Some(v) = &self.lost_reason {
            push("lost_reason", v.clone());
        }
        if let Some(v) = &self.sort {
            push("sort", v.clone());
        }
        if let Some(v) = self.limit {
            push("limit", v.to_string());
        }
        if let Some(v) = &self.cursor {
            push("cursor", v.clone());
        }
        parts.join("&")
    }
}

/// A sort order parsed from `sort=name` or `sort=-created_at`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sort<'a> {
    pub field: &'a str,
    pub descending: bool,
}

impl<'a> Sort<'a> {
    /// Parses `sort` against the fields a list allows; `default` when absent.
    pub fn parse(
        sort: Option<&'a str>,
        allowed: &[&str],
        default: Sort<'a>,
    ) -> Result<Sort<'a>, AppError> {
        let Some(raw) = sort.map(str::trim).filter(|s| !s.is_empty()) else {
            return Ok(default);
        };
        let (field, descending) = match raw.strip_prefix('-') {
            Some(f) => (f, true),
            None => (raw, false),
        };
        if allowed.contains(&field) {
            Ok(Sort { field, descending })
        } else {
            Err(AppError::invalid(
                "sort",
                format!("Sort by one of: {}.", allowed.join(", ")),
            ))
        }
    }
}

/// One page of a list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

/// Collects field errors as checks run, then answers all of them at once.
#[derive(Default)]
pub struct Check(FieldErrors);

impl Check {
    pub fn new() -> Check {
        Check::default()
    }

    pub fn fail(&mut self, field: &str, message: impl Into<String>) {
        self.0
            .entry(field.to_string())
            .or_default()
            .push(message.into());
    }

    pub fn when(&mut self, broken: bool, field: &str, message: &str) {
        if broken {
            self.fail(field, message);
        }
    }

    /// A free-text field: at most `max` characters.
    pub fn length(&mut self, field: &str, value: Option<&str>, max: usize) {
        if value.is_some_and(|v| v.chars().count() > max) {
            self.fail(field, format!("Use at most {max} characters."));
        }
    }

    pub fn email(&mut self, field: &str, value: Option<&str>) {
        if let Some(p) = value
            .filter(|v| !v.trim().is_empty())
            .and_then(super::user::email_problem)
        {
            self.fail(field, p);
        }
    }

    pub fn phone(&mut self, field: &str, value: Option<&str>) {
        if let Some(v) = value.map(str::trim).filter(|v| !v.is_empty()) {
            let digits = v.chars().filter(char::is_ascii_digit).count();
            let allowed = v
                .chars()
                .all(|c| c.is_ascii_digit() || " +-().x/".contains(c));
            if !allowed || !(5..=20).contains(&digits) {
                self.fail(field, "Enter a phone number such as +1 415 555 0100.");
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn finish(self) -> Result<(), AppError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(AppError::validation(self.0))
        }
    }
}

/// Trims a text field and turns an empty one into nothing.
pub fn clean(value: Option<String>) -> Option<String> {
    value
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// The domain of an email address, lower-cased.
pub fn email_domain(email: &str) -> Option<String> {
    email
        .trim()
        .rsplit_once('@')
        .map(|(_, d)| d.to_lowercase())
        .filter(|d| d.contains('.'))
}

/// Mail providers whose domain says nothing about the company a person works for.
pub fn is_free_mail_domain(domain: &str) -> bool {
    const FREE: &[&str] = &[
        "gmail.com",
        "googlemail.com",
        "yahoo.com",
        "yahoo.co.uk",
        "hotmail.com",
        "outlook.com",
        "live.com",
        "msn.com",
        "aol.com",
        "icloud.com",
        "me.com",
        "mac.com",
        "proton.me",
        "protonmail.com",
        "gmx.com",
        "gmx.de",
        "gmx.net",
        "web.de",
        "mail.com",
        "yandex.com",
        "yandex.ru",
        "zoho.com",
        "fastmail.com",
        "hey.com",
        "qq.com",
        "163.com",
    ];
    FREE.contains(&domain)
}

/// A company web domain as stored: lower-case, without scheme, `www.` or path.
pub fn normalize_domain(input: &str) -> String {
    let s = input.trim().to_lowercase();
    let s = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"))
        .unwrap_or(&s);
    let s = s.strip_prefix("www.").unwrap_or(s);
    s.split(['/', '?', '#'])
        .next()
        .unwrap_or_default()
        .trim_end_matches('.')
        .to_string()
}

pub fn domain_problem(domain: &str) -> Option<&'static str> {
    let valid = domain.contains('.')
        && !domain.starts_with('.')
        && !domain.contains("..")
        && domain
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.');
    (!valid).then_some("Enter a domain such as acme.com.")
}

#[cfg(test)]
mod tests {
    use super::*;

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
