//! The checks that build field errors, and the small text rules they share: blank means
//! absent, an email's domain, which domains are free mail, how a company domain is written.

use super::error::{AppError, FieldErrors};

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
