//! CSV imports and exports: what can be imported, how a file's columns are guessed, and what
//! happened to each row. Shared by the wizard in the browser and the importer on the server.

mod columns;

use crate::choice_enum;
use chrono::{DateTime, Utc};
pub use columns::*;
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
