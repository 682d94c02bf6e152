//! Command line and configuration: every setting comes from a flag or the environment.

use clap::{Args, Parser, Subcommand};
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "crm",
    version,
    about = "An open-source CRM: run `crm` (or `crm serve`) to start the server"
)]
pub struct Cli {
    #[command(flatten)]
    pub config: Config,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start the web server (the default).
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Manage staff users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Manage API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Check the audit log.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Import leads, contacts or accounts from a CSV file: prints the counts and writes each
    /// row's outcome (created, updated, skipped_duplicate, invalid: reason) to a CSV file.
    Import {
        /// leads, contacts or accounts
        #[arg(long)]
        kind: String,
        /// The CSV file (UTF-8, UTF-16 or Windows-1252; comma, semicolon or tab).
        #[arg(long)]
        file: PathBuf,
        /// JSON object naming what columns fill, overriding the guess:
        /// {"E-mail": "email", "Notes": "custom", "Fax": null}
        #[arg(long)]
        mapping: Option<PathBuf>,
        /// What to do with a row matching an existing record: skip, fill or overwrite.
        #[arg(long, default_value = "skip")]
        dedup: String,
        /// Only count what would happen; change nothing.
        #[arg(long)]
        dry_run: bool,
        /// The staff user (email) the records belong to (default: the first super admin).
        #[arg(long = "as")]
        as_user: Option<String>,
        /// Where to write the per-row outcomes (default: next to the file, `.outcome.csv`).
        #[arg(long)]
        outcome: Option<PathBuf>,
    },
    /// Mail: send a test message through the outbox.
    Mail {
        #[command(subcommand)]
        command: MailCommand,
    },
    /// Fill the database with realistic, deterministic sample data.
    DemoData {
        /// Number of leads; contacts, accounts, opportunities, activities and tasks scale with it.
        #[arg(long)]
        leads: usize,
        /// Number of opportunities instead of a fifth of the leads (for the board benchmark).
        #[arg(long)]
        opportunities: Option<usize>,
        /// The same seed gives the same data.
        #[arg(long, default_value_t = 42)]
        seed: u64,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a staff user and print its id (and a one-time set-password link unless
    /// `--password-stdin` is given).
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// super_admin, admin, manager, sales or support
        #[arg(long)]
        role: String,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum MailCommand {
    /// Write a test mail to the outbox and send it now, through CRM_SMTP_URL as CRM_MAIL_FROM;
    /// prints the server's reply (exit 1 with its error when it was not accepted).
    Test {
        #[arg(long)]
        to: String,
    },
    /// Take one message (RFC 5322, on standard input) as the support mailbox would: it opens a
    /// ticket, is added to one, or is kept and ignored (an auto-reply, a bounce, a list).
    /// For a mail server's pipe delivery (a Postfix alias `|crm mail receive`). Prints what
    /// became of it; exit 1 with the reason when the message cannot be taken.
    Receive,
    /// Read the support mailbox (CRM_IMAP_URL) once: every message not taken before, then
    /// exit. Prints how many were taken, ignored, refused and seen before.
    Fetch,
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Walk the audit log's hash chain: exit 0 when intact; exit 2, naming the first bad
    /// entry, when an entry was changed, removed or inserted outside the application.
    Verify,
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create an API token for a user; the token is the last line printed.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "cli")]
        label: String,
    },
}

#[derive(Clone, Args)]
pub struct Config {
    /// Where the data lives: sqlite://path/to/file.db or postgres://user@host/db
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite://data/crm.db",
        global = true
    )]
    pub database_url: String,

    /// Address the server listens on.
    #[arg(
        long = "addr",
        env = "LEPTOS_SITE_ADDR",
        default_value = "127.0.0.1:3000",
        global = true
    )]
    pub site_addr: SocketAddr,

    /// The address people open in their browser, used in printed links (default: http://<addr>).
    #[arg(long, env = "CRM_PUBLIC_URL", global = true)]
    pub public_url: Option<String>,

    /// Mark the session cookie Secure and send HSTS (default: when CRM_PUBLIC_URL is https://;
    /// without one, on unless the site address is loopback).
    #[arg(long, env = "CRM_COOKIE_SECURE", global = true)]
    pub cookie_secure: Option<bool>,

    /// Minutes of inactivity after which a session ends.
    #[arg(
        long,
        env = "CRM_SESSION_IDLE_MINUTES",
        default_value_t = 30,
        global = true
    )]
    pub session_idle_minutes: u32,

    /// Hours after sign-in at which a session ends, however active.
    #[arg(
        long,
        env = "CRM_SESSION_MAX_HOURS",
        default_value_t = 12,
        global = true
    )]
    pub session_max_hours: u32,

    /// Trust X-Forwarded-For for the client address (only behind a reverse proxy you run).
    #[arg(long, env = "CRM_TRUST_PROXY", default_value_t = false, global = true)]
    pub trust_proxy: bool,

    /// Directory holding the built site (pkg/ with the WASM, JS and CSS).
    #[arg(
        long,
        env = "LEPTOS_SITE_ROOT",
        default_value = "target/site",
        global = true
    )]
    pub site_root: PathBuf,

    /// Seconds a request may take before the server answers 408.
    #[arg(
        long,
        env = "CRM_REQUEST_TIMEOUT_SECS",
        default_value_t = 30,
        global = true
    )]
    pub request_timeout_secs: u64,

    /// The business name shown on the portal and in page titles.
    #[arg(long, env = "CRM_BUSINESS_NAME", default_value = "CRM", global = true)]
    pub business_name: String,

    /// Where uploaded import files are kept while they are imported (shared storage when
    /// several servers share one PostgreSQL database).
    #[arg(
        long,
        env = "CRM_UPLOAD_DIR",
        default_value = "data/uploads",
        global = true
    )]
    pub upload_dir: PathBuf,

    /// Largest import file accepted, in bytes (default 1 GiB).
    #[arg(
        long,
        env = "CRM_IMPORT_MAX_BYTES",
        default_value_t = 1 << 30,
        global = true
    )]
    pub import_max_bytes: u64,

    /// Imports (dry runs included) worked on at once by this server; more wait their turn, and
    /// each person's imports run one at a time. Each holds its file's duplicate keys in memory
    /// (about 28 bytes a row).
    #[arg(long, env = "CRM_IMPORTS_AT_ONCE", default_value_t = 2, global = true)]
    pub imports_at_once: usize,

    /// The time zone times are shown in for staff who chose none (an IANA name such as
    /// Europe/Berlin); portal users who chose none get their browser's.
    #[arg(long, env = "CRM_TIME_ZONE", default_value = "UTC", global = true)]
    pub time_zone: String,

    /// How dates and amounts are written for people who chose nothing: en-US, en-GB, de-DE,
    /// fr-FR, es-ES or pt-BR (portal users who chose none get their browser's language).
    #[arg(long, env = "CRM_LOCALE", default_value = "en-US", global = true)]
    pub locale: String,

    /// The SMTP server mail is sent through: smtp://user:pass@host:587 (STARTTLS),
    /// smtps://user:pass@host:465 (TLS), or smtp://127.0.0.1:2525?tls=off (this machine only).
    /// Without it no mail is sent, and the pages say so where a person expects one.
    #[arg(long, env = "CRM_SMTP_URL", global = true)]
    pub smtp_url: Option<String>,

    /// Who mail comes from: "Acme Support" <support@acme.example>.
    #[arg(long, env = "CRM_MAIL_FROM", global = true)]
    pub mail_from: Option<String>,

    /// Where customers' replies to ticket mail go, when not to CRM_MAIL_FROM: the support
    /// mailbox the CRM reads ("Acme Support" <support@acme.example>).
    #[arg(long, env = "CRM_MAIL_REPLY_TO", global = true)]
    pub mail_reply_to: Option<String>,

    /// The support mailbox read over IMAP: imaps://user:pass@host/INBOX (TLS),
    /// imap://user:pass@host/INBOX (STARTTLS), or imap://…@127.0.0.1:1143/INBOX?tls=off (this
    /// machine only). A user name with an @ is written %40. Without it no mail is read, but
    /// `crm mail receive` still takes messages a mail server pipes to it.
    #[arg(long, env = "CRM_IMAP_URL", global = true)]
    pub imap_url: Option<String>,

    /// The address staff put in BCC to log a mail they send from their own mail client to the
    /// timelines of the people it names (delivered to the support mailbox or read from it).
    #[arg(long, env = "CRM_BCC_ADDRESS", global = true)]
    pub bcc_address: Option<String>,

    /// The largest attachment of a received mail stored as a file with its ticket, in bytes
    /// (larger ones are listed on the ticket and stay in the stored message).
    #[arg(long, env = "CRM_ATTACHMENT_MAX_BYTES", default_value_t = 10 << 20, global = true)]
    pub attachment_max_bytes: u64,
}

impl Config {
    /// Whether the site is reached over TLS (the session cookie is `Secure`, HSTS is sent):
    /// as configured; else the public URL's scheme (behind a TLS proxy the app itself listens
    /// on plain loopback); else on unless the site address is loopback.
    pub fn cookie_secure(&self) -> bool {
        self.cookie_secure
            .unwrap_or_else(|| match &self.public_url {
                Some(url) => url.trim().to_ascii_lowercase().starts_with("https://"),
                None => !self.site_addr.ip().is_loopback(),
            })
    }

    pub fn public_url(&self) -> String {
        match &self.public_url {
            Some(url) => url.trim_end_matches('/').to_string(),
            None => format!("http://{}", self.site_addr),
        }
    }

    /// Settings for tests and tools: an explicit database, everything else default.
    pub fn for_database(database_url: &str) -> Config {
        let mut cli = Cli::parse_from(["crm"]);
        cli.config.database_url = database_url.to_string();
        cli.config
    }
}

/// Hides the password part of a database URL.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let Some((userinfo, host)) = rest.split_once('@') else {
        return url.to_string();
    };
    match userinfo.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_string(),
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("database_url", &redact_url(&self.database_url))
            .field("site_addr", &self.site_addr)
            .field("public_url", &self.public_url())
            .field("cookie_secure", &self.cookie_secure())
            .field("session_idle_minutes", &self.session_idle_minutes)
            .field("session_max_hours", &self.session_max_hours)
            .field("trust_proxy", &self.trust_proxy)
            .field("site_root", &self.site_root)
            .field("request_timeout_secs", &self.request_timeout_secs)
            .field("business_name", &self.business_name)
            .field("upload_dir", &self.upload_dir)
            .field("import_max_bytes", &self.import_max_bytes)
            .field("imports_at_once", &self.imports_at_once)
            .field("smtp_url", &self.smtp_url.as_deref().map(redact_url))
            .field("mail_from", &self.mail_from)
            .field("mail_reply_to", &self.mail_reply_to)
            .field("imap_url", &self.imap_url.as_deref().map(redact_url))
            .field("bcc_address", &self.bcc_address)
            .field("attachment_max_bytes", &self.attachment_max_bytes)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_prints_the_database_password() {
        let mut config = Config::for_database("postgres://crm:s3cret-pw@db.internal:5432/crm");
        config.smtp_url = Some("smtps://mailer:m4il-pw@smtp.example.com".into());
        let shown = format!("{config:?}");
        assert!(!shown.contains("s3cret-pw"), "{shown}");
        assert!(!shown.contains("m4il-pw"), "{shown}");
        assert!(shown.contains("crm:***@db.internal"), "{shown}");
    }

    #[test]
    fn defaults_follow_the_issue() {
        let config = Config::for_database("sqlite://data/crm.db");
        assert_eq!(config.site_addr.to_string(), "127.0.0.1:3000");
        assert_eq!(config.session_idle_minutes, 30);
        assert_eq!(config.session_max_hours, 12);
        assert!(!config.cookie_secure(), "loopback serves plain http");
        let mut public = config.clone();
        public.site_addr = "0.0.0.0:3000".parse().unwrap();
        assert!(public.cookie_secure());
        assert_eq!(config.public_url(), "http://127.0.0.1:3000");
        // Behind a TLS proxy the app listens on loopback; the public URL says https.
        let mut proxied = config.clone();
        proxied.public_url = Some("https://crm.example.com".into());
        assert!(proxied.cookie_secure());
        proxied.public_url = Some("http://crm.internal".into());
        public.public_url = Some("http://crm.internal".into());
        assert!(!proxied.cookie_secure() && !public.cookie_secure());
    }

    #[test]
    fn redaction_leaves_urls_without_passwords_alone() {
        assert_eq!(redact_url("sqlite://data/crm.db"), "sqlite://data/crm.db");
        assert_eq!(
            redact_url("postgres://postgres@127.0.0.1/x"),
            "postgres://postgres@127.0.0.1/x"
        );
    }
}
