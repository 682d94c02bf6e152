//! CSV imports and exports: what can be imported, how a file's columns are guessed, and what
//! happened to each row. Shared by the wizard in the browser and the importer on the server.

use crate::choice_enum;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

choice_enum!(
    /// What a file holds.
    ImportKind {
        Leads = "leads" / "Leads",
        Contacts = "contacts" / "Contacts",
        Accounts = "accounts" / "Accounts",
    }
);

choice_enum!(
    /// What to do with a row that matches a record already in the CRM.
    DedupMode {
        Skip = "skip" / "Skip it",
        Fill = "fill" / "Fill in empty fields only",
        Overwrite = "overwrite" / "Overwrite with the file's values",
    }
);

impl Default for DedupMode {
    fn default() -> Self {
        DedupMode::Skip
    }
}

choice_enum!(
    /// Where an import is. `Analysing` is the dry run; `Queued` and `Running` the real one.
    ImportStatus {
        Uploaded = "uploaded" / "Uploaded",
        Analysing = "analysing" / "Checking",
        Analysed = "analysed" / "Checked",
        Queued = "queued" / "Queued",
        Running = "running" / "Importing",
        Cancelling = "cancelling" / "Cancelling",
        Cancelled = "cancelled" / "Cancelled",
        Done = "done" / "Done",
        Failed = "failed" / "Failed",
    }
);

impl ImportStatus {
    /// A background job is (or should be) working on it.
    pub fn is_working(self) -> bool {
        matches!(
            self,
            ImportStatus::Analysing
                | ImportStatus::Queued
                | ImportStatus::Running
                | ImportStatus::Cancelling
        )
    }

    /// The real run has been started (it may be over).
    pub fn has_run(self) -> bool {
        matches!(
            self,
            ImportStatus::Queued
                | ImportStatus::Running
                | ImportStatus::Cancelling
                | ImportStatus::Cancelled
                | ImportStatus::Done
                | ImportStatus::Failed
        )
    }
}

/// A field a column can fill. `custom` keeps the column as custom data on the record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TargetField {
    pub key: &'static str,
    pub label: &'static str,
}

const fn f(key: &'static str, label: &'static str) -> TargetField {
    TargetField { key, label }
}

/// Keep the column as custom data on the record (leads and contacts).
pub const CUSTOM: &str = "custom";

impl ImportKind {
    pub fn fields(self) -> &'static [TargetField] {
        match self {
            ImportKind::Leads => {
                const FIELDS: &[TargetField] = &[
                    f("id", "Record id (matches an existing lead)"),
                    f("name", "Name"),
                    f("first_name", "First name (joined into the name)"),
                    f("last_name", "Last name (joined into the name)"),
                    f("company", "Company"),
                    f("email", "Email"),
                    f("phone", "Phone"),
                    f("utm_source", "UTM source"),
                    f("utm_medium", "UTM medium"),
                    f("utm_campaign", "UTM campaign"),
                ];
                FIELDS
            }
            ImportKind::Contacts => {
                const FIELDS: &[TargetField] = &[
                    f("id", "Record id (matches an existing contact)"),
                    f("first_name", "First name"),
                    f("last_name", "Last name"),
                    f("name", "Full name (split into first and last)"),
                    f("email", "Email"),
                    f("phone", "Phone"),
                    f("title", "Job title"),
                    f("company", "Company (finds or creates the account)"),
                    f("role", "Role (lead, prospect, client)"),
                ];
                FIELDS
            }
            ImportKind::Accounts => {
                const FIELDS: &[TargetField] = &[
                    f("id", "Record id (matches an existing account)"),
                    f("name", "Name"),
                    f("domain", "Domain or website"),
                    f("industry", "Industry"),
                    f("phone", "Phone"),
                    f("city", "City"),
                    f("annual_revenue", "Annual revenue"),
                ];
                FIELDS
            }
        }
    }

    /// Whether columns can be kept as custom data (accounts have no custom fields).
    pub fn keeps_custom(self) -> bool {
        !matches!(self, ImportKind::Accounts)
    }

    /// What rows are matched on, in words.
    pub fn match_rule(self) -> &'static str {
        match self {
            ImportKind::Leads => "record id, then email (any case)",
            ImportKind::Contacts => "record id, then email (any case)",
            ImportKind::Accounts => "record id, then domain, then exact name",
        }
    }

    pub fn record_word(self) -> &'static str {
        match self {
            ImportKind::Leads => "lead",
            ImportKind::Contacts => "contact",
            ImportKind::Accounts => "account",
        }
    }

    /// The kind of record an import of this kind makes (what its permissions are about).
    pub fn record_kind(self) -> crate::domain::records::RecordKind {
        use crate::domain::records::RecordKind;
        match self {
            ImportKind::Leads => RecordKind::Lead,
            ImportKind::Contacts => RecordKind::Contact,
            ImportKind::Accounts => RecordKind::Account,
        }
    }
}

/// A header reduced to what matters for guessing: lower-case letters and digits, with
/// "e-mail" read as "email" and the object prefixes other CRMs put in front stripped
/// ("Person - Email - Work" → "emailwork").
pub fn header_key(header: &str) -> String {
    let lower = header.trim().trim_start_matches('\u{feff}').to_lowercase();
    let lower = lower.replace("e-mail", "email").replace("e mail", "email");
    let mut key: String = lower.chars().filter(|c| c.is_alphanumeric()).collect();
    for prefix in ["person", "contact", "lead", "member"] {
        if let Some(rest) = key.strip_prefix(prefix) {
            // Keep "contactname" style keys whole when nothing meaningful follows.
            if !rest.is_empty() && rest != "name" && rest != "owner" {
                key = rest.to_string();
            }
        }
    }
    key
}

/// The field a header names, with how sure the guess is (higher wins when two columns want
/// the same field).
pub fn guess_field(kind: ImportKind, header: &str) -> Option<(&'static str, u8)> {
    let k = header_key(header);
    let k = k.as_str();
    let has = |s: &str| k.contains(s);
    // Columns that only look like data: types, labels, flags and dates about another field.
    let about_other = [
        "type",
        "label",
        "optin",
        "status",
        "bounce",
        "unsub",
        "permission",
        "date",
        "verified",
        "optout",
    ];
    if about_other.iter().any(|w| has(w)) && !matches!(k, "leadstatus") {
        return None;
    }
    let guess: Option<(&'static str, u8)> =
        match k {
            // Only this CRM's own exports name its ids "id"; other systems' record ids
            // ("Record ID", "Contact ID", "Person - ID") are theirs, not ours.
            "id" if header
                .trim()
                .trim_start_matches('\u{feff}')
                .eq_ignore_ascii_case("id") =>
            {
                Some(("id", 2))
            }
            "email" | "emailaddress" | "email1" | "email1value" | "primaryemail" | "workemail"
            | "businessemail" | "emailwork" => Some(("email", 5)),
            "firstname" | "first" | "givenname" | "forename" | "fname" => Some(("first_name", 5)),
            "lastname" | "last" | "surname" | "familyname" | "lname" => Some(("last_name", 5)),
            "name" | "fullname" | "contactname" | "displayname" | "leadname" | "personname" => {
                Some(("name", 4))
            }
            "accountname" | "companyname" | "organizationname" | "organisationname"
            | "organization1name" => Some(("company", 5)),
            "company" | "organization" | "organisation" | "companyaccount" | "account"
            | "employer" => Some(("company", 4)),
            "jobtitle" | "organizationtitle" | "organization1title" | "position"
            | "designation" => Some(("title", 5)),
            // Outlook's "Title" is Mr./Ms.; only a file without a job title means the job by it.
            "title" => Some(("title", 1)),
            "phone" | "phonenumber" | "phone1value" | "telephone" | "tel" | "businessphone"
            | "workphone" | "primaryphone" | "phonework" | "officephone" => Some(("phone", 5)),
            "mobile" | "mobilephone" | "cell" | "cellphone" | "mobilenumber" | "phonemobile" => {
                Some(("phone", 3))
            }
            "homephone" | "phonehome" | "phoneother" | "otherphone" => Some(("phone", 2)),
            "domain" | "companydomain" | "companydomainname" | "website" | "web" | "webpage"
            | "websiteurl" | "homepage" => Some(("domain", 4)),
            "industry" | "sector" => Some(("industry", 5)),
            "city" | "town" | "billingcity" | "mailingcity" | "businesscity" | "locality" => {
                Some(("city", 4))
            }
            "annualrevenue" | "revenue" | "yearlyrevenue" => Some(("annual_revenue", 5)),
            "role" | "relationship" | "customertype" => Some(("role", 3)),
            "utmsource" => Some(("utm_source", 5)),
            "utmmedium" => Some(("utm_medium", 5)),
            "utmcampaign" | "campaign" => Some(("utm_campaign", 4)),
            _ if has("email") && !has("other") && !has("secondary") => Some(("email", 3)),
            _ if k.starts_with("phone") || k.ends_with("phone") => Some(("phone", 1)),
            _ if has("firstname") => Some(("first_name", 3)),
            _ if has("lastname") => Some(("last_name", 3)),
            _ if has("companyname") || has("organizationname") || has("accountname") => {
                Some(("company", 3))
            }
            _ if has("jobtitle") => Some(("title", 3)),
            _ => None,
        };
    // Accounts: a company column is the account's own name; an email's domain is its domain.
    let guess = match (kind, guess) {
        (ImportKind::Accounts, Some(("company", s))) => Some(("name", s)),
        (ImportKind::Accounts, Some(("name", s))) => Some(("name", s.saturating_sub(1))),
        (ImportKind::Leads, Some(("title", _))) => None,
        (_, g) => g,
    };
    guess.filter(|(field, _)| kind.fields().iter().any(|t| t.key == *field))
}

/// One column of the file and what it fills: a field's key, [`CUSTOM`], or nothing (ignored).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ColumnMap {
    pub header: String,
    #[serde(default)]
    pub field: Option<String>,
}

/// The guessed mapping for a header row: each field goes to its best-named column; the
/// rest are ignored.
pub fn guess_mapping(kind: ImportKind, headers: &[String]) -> Vec<ColumnMap> {
    let guesses: Vec<Option<(&str, u8)>> = headers.iter().map(|h| guess_field(kind, h)).collect();
    headers
        .iter()
        .enumerate()
        .map(|(i, header)| {
            let field = guesses[i].and_then(|(field, score)| {
                // Loses to a better-named column for the same field, or to an earlier equal one.
                let beaten = guesses.iter().enumerate().any(|(j, g)| {
                    j != i
                        && g.is_some_and(|(other, s)| {
                            other == field && (s > score || (s == score && j < i))
                        })
                });
                (!beaten).then(|| field.to_string())
            });
            ColumnMap {
                header: header.clone(),
                field,
            }
        })
        .collect()
}

/// Checks a mapping the user adjusted: known fields, each at most once, and something that
/// can match or create a record.
pub fn check_mapping(kind: ImportKind, mapping: &[ColumnMap]) -> Result<(), String> {
    let mut seen: Vec<&str> = Vec::new();
    for m in mapping {
        let Some(field) = m.field.as_deref() else {
            continue;
        };
        if field == CUSTOM {
            if !kind.keeps_custom() {
                return Err(format!(
                    "{} cannot keep custom columns; ignore \"{}\" instead.",
                    kind.label(),
                    m.header
                ));
            }
            continue;
        }
        if !kind.fields().iter().any(|t| t.key == field) {
            return Err(format!("\"{field}\" is not a field of {}.", kind.as_str()));
        }
        if seen.contains(&field) {
            return Err(format!("Two columns fill \"{field}\"; keep one."));
        }
        seen.push(field);
    }
    let has = |f: &str| seen.contains(&f);
    let enough = match kind {
        ImportKind::Leads => has("name") || has("first_name") || has("last_name") || has("id"),
        ImportKind::Contacts => has("name") || has("first_name") || has("last_name") || has("id"),
        ImportKind::Accounts => has("name") || has("id"),
    };
    if !enough {
        return Err(match kind {
            ImportKind::Accounts => "Map a column to the account's name.".into(),
            _ => "Map a column to a name (full, first or last).".into(),
        });
    }
    Ok(())
}

/// The values in a cell that holds several ("a@x.com ::: b@y.com", "a@x.com; b@y.com").
pub fn several(cell: &str) -> Vec<&str> {
    cell.split(":::")
        .flat_map(|p| p.split([';', ',', '\n', '|']))
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect()
}

/// "Ada Lovelace" → ("Ada", "Lovelace"); "Lovelace, Ada" → ("Ada", "Lovelace"); one word is
/// a last name.
pub fn split_name(full: &str) -> (Option<String>, Option<String>) {
    let full = full.trim();
    if let Some((last, first)) = full.split_once(',') {
        let (first, last) = (first.trim(), last.trim());
        if !first.is_empty() && !last.is_empty() {
            return (Some(first.to_string()), Some(last.to_string()));
        }
    }
    match full.rsplit_once(char::is_whitespace) {
        Some((first, last)) if !first.trim().is_empty() => (
            Some(first.trim().to_string()),
            Some(last.trim().to_string()),
        ),
        _ if full.is_empty() => (None, None),
        _ => (None, Some(full.to_string())),
    }
}

/// A cell made safe to open in a spreadsheet: one that a spreadsheet would read as a formula
/// (`=`, `+`, `-`, `@`, tab, carriage return first) gets a leading apostrophe.
pub fn neutralise(cell: &str) -> std::borrow::Cow<'_, str> {
    // OWASP's CSV-injection list (`= + - @`, tab, carriage return), line feed, `;` (the
    // argument separator of locales that write decimals with a comma: LibreOffice and Excel
    // there read `;…` cells of a semicolon-separated file as the start of a formula), and the
    // full-width forms of the formula signs that spreadsheets also accept.
    let lead = cell.trim_start_matches(' ');
    match lead.chars().next() {
        Some(
            '=' | '+' | '-' | '@' | '\t' | '\r' | '\n' | ';' | '\u{FF1D}' | '\u{FF0B}' | '\u{FF0D}'
            | '\u{FF20}',
        ) => format!("'{cell}").into(),
        _ => cell.into(),
    }
}

/// How many rows went which way. The five always add up to the rows read.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ImportCounts {
    pub created: i64,
    pub updated: i64,
    /// Matched a record already in the CRM and left it (skip mode, or nothing to fill).
    pub skipped_duplicate: i64,
    /// The same record as an earlier row of this file.
    pub duplicate_in_file: i64,
    pub invalid: i64,
}

impl ImportCounts {
    pub fn rows(&self) -> i64 {
        self.created + self.updated + self.skipped_duplicate + self.duplicate_in_file + self.invalid
    }

    pub fn add(&mut self, o: &Outcome) {
        match o {
            Outcome::Created => self.created += 1,
            Outcome::Updated => self.updated += 1,
            Outcome::SkippedDuplicate => self.skipped_duplicate += 1,
            Outcome::DuplicateInFile => self.duplicate_in_file += 1,
            Outcome::Invalid(_) => self.invalid += 1,
        }
    }
}

/// What happened to one row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Created,
    Updated,
    SkippedDuplicate,
    DuplicateInFile,
    Invalid(String),
}

impl Outcome {
    /// As the outcome file writes it: `created`, `updated`, `skipped_duplicate` (also for a
    /// duplicate inside the file, which the message names) or `invalid: reason`.
    pub fn label(&self) -> String {
        match self {
            Outcome::Created => "created".into(),
            Outcome::Updated => "updated".into(),
            Outcome::SkippedDuplicate | Outcome::DuplicateInFile => "skipped_duplicate".into(),
            Outcome::Invalid(reason) => format!("invalid: {reason}"),
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            Outcome::Created => "created",
            Outcome::Updated => "updated",
            Outcome::SkippedDuplicate => "skipped_duplicate",
            Outcome::DuplicateInFile => "duplicate_in_file",
            Outcome::Invalid(_) => "invalid",
        }
    }
}

/// One row's outcome as the result page shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RowOutcome {
    pub row: i64,
    pub outcome: String,
    pub record_id: Option<Uuid>,
    pub message: Option<String>,
}

/// An import as the wizard and the API show it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ImportView {
    pub id: Uuid,
    pub kind: ImportKind,
    pub status: ImportStatus,
    pub file_name: String,
    pub file_bytes: i64,
    pub encoding: String,
    pub delimiter: String,
    pub dedup: DedupMode,
    pub mapping: Vec<ColumnMap>,
    /// The first data rows as read, for the mapping step.
    pub sample: Vec<Vec<String>>,
    /// Data rows in the file (known once a pass has read it all).
    pub total_rows: Option<i64>,
    pub rows_done: i64,
    pub counts: ImportCounts,
    /// The dry run's counts, once it has run.
    pub dry_run: Option<ImportCounts>,
    /// Some rows with problems or duplicates (from the dry run or the run).
    pub examples: Vec<RowOutcome>,
    /// Rows a second, over the run so far.
    pub rate: Option<f64>,
    pub error: Option<String>,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    /// Records of this import deleted by an admin's undo.
    pub undone: i64,
    /// Waiting for the person's earlier import, or for the server's others, to finish.
    #[serde(default)]
    pub waiting: bool,
}

impl ImportView {
    /// Percent done, 0–100.
    pub fn percent(&self) -> u32 {
        match self.total_rows {
            Some(t) if t > 0 => ((self.rows_done * 100) / t).clamp(0, 100) as u32,
            Some(_) if self.status == ImportStatus::Done => 100,
            _ => 0,
        }
    }
}

/// The wizard's choices after the upload.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ImportOptions {
    pub mapping: Vec<ColumnMap>,
    #[serde(default)]
    pub dedup: DedupMode,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mapped(kind: ImportKind, headers: &[&str]) -> Vec<(String, String)> {
        let headers: Vec<String> = headers.iter().map(|h| h.to_string()).collect();
        guess_mapping(kind, &headers)
            .into_iter()
            .filter_map(|m| m.field.map(|f| (m.header, f)))
            .collect()
    }

    fn field_of(kind: ImportKind, headers: &[&str], header: &str) -> Option<String> {
        mapped(kind, headers)
            .into_iter()
            .find(|(h, _)| h == header)
            .map(|(_, f)| f)
    }

    #[test]
    fn english_header_names_are_guessed() {
        let h = [
            "E-mail",
            "Email Address",
            "Company Name",
            "First",
            "Phone Number",
        ];
        let m = mapped(ImportKind::Contacts, &h);
        // Two email columns: the exact "Email Address" and "E-mail" tie; the first wins.
        assert_eq!(
            field_of(ImportKind::Contacts, &h, "E-mail").as_deref(),
            Some("email")
        );
        assert_eq!(field_of(ImportKind::Contacts, &h, "Email Address"), None);
        assert!(m.contains(&("Company Name".into(), "company".into())));
        assert!(m.contains(&("First".into(), "first_name".into())));
        assert!(m.contains(&("Phone Number".into(), "phone".into())));
    }

    #[test]
    fn outlook_title_is_not_the_job_title() {
        let h = [
            "First Name",
            "Last Name",
            "Title",
            "Job Title",
            "E-mail Address",
            "Business Phone",
            "Mobile Phone",
            "Company",
        ];
        assert_eq!(
            field_of(ImportKind::Contacts, &h, "Job Title").as_deref(),
            Some("title")
        );
        assert_eq!(field_of(ImportKind::Contacts, &h, "Title"), None);
        assert_eq!(
            field_of(ImportKind::Contacts, &h, "Business Phone").as_deref(),
            Some("phone")
        );
        assert_eq!(field_of(ImportKind::Contacts, &h, "Mobile Phone"), None);
        assert_eq!(
            field_of(ImportKind::Contacts, &h, "E-mail Address").as_deref(),
            Some("email")
        );
    }

    #[test]
    fn other_systems_prefixes_and_labels() {
        let pipedrive = [
            "Person - Name",
            "Person - Email - Work",
            "Person - Phone - Work",
            "Person - Organization",
        ];
        assert_eq!(
            field_of(ImportKind::Contacts, &pipedrive, "Person - Name").as_deref(),
            Some("name")
        );
        assert_eq!(
            field_of(ImportKind::Contacts, &pipedrive, "Person - Email - Work").as_deref(),
            Some("email")
        );
        assert_eq!(
            field_of(ImportKind::Contacts, &pipedrive, "Person - Organization").as_deref(),
            Some("company")
        );
        let google = [
            "Name",
            "Given Name",
            "Family Name",
            "E-mail 1 - Type",
            "E-mail 1 - Value",
            "Organization 1 - Name",
        ];
        assert_eq!(
            field_of(ImportKind::Contacts, &google, "E-mail 1 - Value").as_deref(),
            Some("email")
        );
        assert_eq!(
            field_of(ImportKind::Contacts, &google, "E-mail 1 - Type"),
            None
        );
        assert_eq!(
            field_of(ImportKind::Contacts, &google, "Given Name").as_deref(),
            Some("first_name")
        );
        assert_eq!(
            field_of(ImportKind::Contacts, &google, "Organization 1 - Name").as_deref(),
            Some("company")
        );
        let accounts = ["Account Name", "Website", "Billing City"];
        assert_eq!(
            field_of(ImportKind::Accounts, &accounts, "Account Name").as_deref(),
            Some("name")
        );
        assert_eq!(
            field_of(ImportKind::Accounts, &accounts, "Website").as_deref(),
            Some("domain")
        );
        assert_eq!(
            field_of(ImportKind::Accounts, &accounts, "Billing City").as_deref(),
            Some("city")
        );
    }

    #[test]
    fn mapping_checks() {
        let m = |f: &[Option<&str>]| -> Vec<ColumnMap> {
            f.iter()
                .enumerate()
                .map(|(i, f)| ColumnMap {
                    header: format!("c{i}"),
                    field: f.map(str::to_string),
                })
                .collect()
        };
        assert!(
            check_mapping(
                ImportKind::Contacts,
                &m(&[Some("email"), Some("last_name")])
            )
            .is_ok()
        );
        assert!(check_mapping(ImportKind::Contacts, &m(&[Some("email")])).is_err());
        assert!(
            check_mapping(
                ImportKind::Contacts,
                &m(&[Some("email"), Some("email"), Some("name")])
            )
            .is_err()
        );
        assert!(check_mapping(ImportKind::Accounts, &m(&[Some("name"), Some(CUSTOM)])).is_err());
        assert!(check_mapping(ImportKind::Leads, &m(&[Some("name"), Some(CUSTOM), None])).is_ok());
        assert!(check_mapping(ImportKind::Leads, &m(&[Some("name"), Some("shoe_size")])).is_err());
    }

    #[test]
    fn names_and_several_values() {
        assert_eq!(
            split_name("Ada Lovelace"),
            (Some("Ada".into()), Some("Lovelace".into()))
        );
        assert_eq!(
            split_name("Lovelace, Ada"),
            (Some("Ada".into()), Some("Lovelace".into()))
        );
        assert_eq!(split_name("Cher"), (None, Some("Cher".into())));
        assert_eq!(several("a@x.com ::: b@y.com"), vec!["a@x.com", "b@y.com"]);
        assert_eq!(
            several("a@x.com; b@y.com,c@z.com"),
            vec!["a@x.com", "b@y.com", "c@z.com"]
        );
    }

    #[test]
    fn formulas_are_neutralised() {
        for bad in [
            "=1+1",
            "+1",
            "-2",
            "@SUM(A1)",
            "\tx",
            "\rx",
            "\nx",
            ";=1+1",
            ";HYPERLINK(\"http://evil\")",
            "  =1+1",
            "\u{FF1D}1+1",
            "\u{FF20}SUM(A1)",
        ] {
            assert!(neutralise(bad).starts_with('\''), "{bad:?}");
        }
        assert_eq!(neutralise("Ada"), "Ada");
        assert_eq!(neutralise(""), "");
    }

    #[test]
    fn counts_add_up() {
        let mut c = ImportCounts::default();
        for o in [
            Outcome::Created,
            Outcome::Updated,
            Outcome::SkippedDuplicate,
            Outcome::DuplicateInFile,
            Outcome::Invalid("x".into()),
        ] {
            c.add(&o);
        }
        assert_eq!(c.rows(), 5);
    }
}
