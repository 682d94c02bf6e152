//! A file's columns: how a header is guessed to be a field, the mapping the wizard offers and
//! the checks it must pass, and how a cell is read (several values, a full name, a formula
//! made harmless).

use super::*;

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
