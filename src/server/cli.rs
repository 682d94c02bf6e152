//! What each `crm` subcommand does.

use super::auth::service;
use super::config::{AuditCommand, Cli, Command, Config, MailCommand, TokenCommand, UserCommand};
use super::db::Db;
use super::principal::ClientInfo;
use super::router::{app_state, router};
use super::session_store::CrmSessionStore;
use super::state::{AppState, Clock};
use crate::domain::error::AppError;
use crate::domain::user::{NewStaffUser, Role};
use std::io::BufRead;
use std::net::SocketAddr;
use std::process::ExitCode;
use tower_sessions::session_store::ExpiredDeletion;

pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new("info,sqlx=warn,tower_sessions=warn")
    });
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// A failure the command line reports in one sentence.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("{0}")]
    Connect(#[from] super::db::ConnectError),
    #[error("{0}")]
    App(String),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The audit log's chain is broken (its own exit code, 2).
    #[error("{0}")]
    AuditBroken(String),
}

impl From<AppError> for CliError {
    fn from(e: AppError) -> Self {
        match &e {
            AppError::Validation { fields, .. } if !fields.is_empty() => CliError::App(
                fields
                    .iter()
                    .map(|(f, m)| format!("{f}: {}", m.join(" ")))
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
            _ => CliError::App(e.message()),
        }
    }
}

impl From<sqlx::Error> for CliError {
    fn from(e: sqlx::Error) -> Self {
        CliError::App(format!("database: {e}"))
    }
}

pub async fn run(cli: Cli) -> ExitCode {
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(cli.config).await,
        Command::Migrate => migrate(cli.config).await,
        Command::DemoData {
            leads,
            opportunities,
            seed,
        } => demo_data(cli.config, leads, opportunities, seed).await,
        Command::User {
            command:
                UserCommand::Create {
                    email,
                    name,
                    role,
                    password_stdin,
                },
        } => create_user(cli.config, email, name, role, password_stdin).await,
        Command::Token {
            command: TokenCommand::Create { email, label },
        } => create_token(cli.config, email, label).await,
        Command::Audit {
            command: AuditCommand::Verify,
        } => verify_audit(cli.config).await,
        Command::Mail {
            command: MailCommand::Test { to },
        } => mail_test(cli.config, to).await,
        Command::Mail {
            command: MailCommand::Receive,
        } => mail_receive(cli.config).await,
        Command::Mail {
            command: MailCommand::Fetch,
        } => mail_fetch(cli.config).await,
        Command::Import {
            kind,
            file,
            mapping,
            dedup,
            dry_run,
            as_user,
            outcome,
        } => {
            let args = ImportArgs {
                kind,
                file,
                mapping,
                dedup,
                dry_run,
                as_user,
                outcome,
            };
            import_file(cli.config, args).await
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(CliError::AuditBroken(e)) => {
            eprintln!("audit log BROKEN: {e}");
            ExitCode::from(2)
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Opens the database and applies migrations: every command starts here.
pub async fn open(config: &Config) -> Result<Db, CliError> {
    let db = Db::connect(&config.database_url).await?;
    db.migrate().await?;
    Ok(db)
}

async fn migrate(config: Config) -> Result<(), CliError> {
    let db = open(&config).await?;
    println!("migrations applied ({:?})", db.backend());
    db.close().await;
    Ok(())
}

/// The mailer the settings name; a setting that cannot be used is the command's error.
fn mailer_for(config: &Config) -> Result<Option<super::mail::smtp::Mailer>, CliError> {
    super::mail::smtp::Mailer::from_settings(config).map_err(CliError::App)
}

/// `crm mail test --to ADDRESS`: a test mail through the outbox, sent at once.
async fn mail_test(config: Config, to: String) -> Result<(), CliError> {
    let mailer = mailer_for(&config)?.ok_or_else(|| {
        CliError::App("no mail server: set CRM_SMTP_URL and CRM_MAIL_FROM first".into())
    })?;
    let state = state_for(config).await?;
    let id = super::admin::outbox::test_mail(&state, None, &to).await?.id;
    let now = chrono::Utc::now;
    super::mail::worker::drain(&state.db, &mailer, &now).await?;
    let mut h = state.db.handle().await?;
    let mail = super::db::outbox::get(&mut h.c(), id)
        .await?
        .ok_or_else(|| CliError::App("the test mail left the outbox".into()))?;
    drop(h);
    state.db.close().await;
    match mail.state.as_str() {
        "sent" => {
            println!(
                "sent to {to} through {}: {}",
                mailer.server,
                mail.server_reply.unwrap_or_default()
            );
            Ok(())
        }
        _ => Err(CliError::App(format!(
            "not sent through {} ({}): {}",
            mailer.server,
            mail.state,
            mail.last_error.unwrap_or_default()
        ))),
    }
}

/// `crm mail receive`: one message from standard input.
async fn mail_receive(config: Config) -> Result<(), CliError> {
    use super::support::inbound::{Received, receive};
    use std::io::Read;
    let mut raw = Vec::new();
    let limit = super::mail::inbound::MAX_BYTES as u64 + 1;
    std::io::stdin()
        .take(limit)
        .read_to_end(&mut raw)
        .map_err(|e| CliError::App(format!("reading the message: {e}")))?;
    let state = state_for(config).await?;
    let outcome = receive(&state, &raw).await;
    state.db.close().await;
    match outcome? {
        Received::Opened { number, .. } => println!("opened ticket #{number}"),
        Received::Replied { number, .. } => println!("added to ticket #{number}"),
        Received::Logged { records } => println!("logged to {records} timeline(s)"),
        Received::Ignored(why) => println!("kept, no ticket: {why}"),
        Received::Refused(why) => return Err(CliError::App(format!("refused: {why}"))),
        Received::Again => println!("received before; nothing changed"),
    }
    Ok(())
}

/// `crm mail fetch`: the support mailbox, read once.
async fn mail_fetch(config: Config) -> Result<(), CliError> {
    use super::support::mailbox;
    let mb = mailbox::from_settings(&config)
        .map_err(CliError::App)?
        .ok_or_else(|| CliError::App("no mailbox: set CRM_IMAP_URL first".into()))?;
    let state = state_for(config).await?;
    let done = mailbox::fetch_once(&state, &mb).await;
    state.db.close().await;
    let done = done.map_err(|e| CliError::App(format!("{mb:?}: {e}")))?;
    println!(
        "{mb:?}: {} taken, {} ignored, {} refused, {} read before",
        done.taken, done.ignored, done.refused, done.again
    );
    Ok(())
}

/// `crm audit verify`: streams the chain once, in order.
async fn verify_audit(config: Config) -> Result<(), CliError> {
    use super::db::audit::{Verdict, verify};
    let db = open(&config).await?;
    let started = std::time::Instant::now();
    let mut h = db.handle().await?;
    let verdict = verify(&mut h.c()).await?;
    drop(h);
    db.close().await;
    match verdict {
        Verdict::Intact { entries, head } => {
            println!(
                "audit log intact: {entries} entries checked in {:.1?}; head {head}",
                started.elapsed()
            );
            Ok(())
        }
        Verdict::Broken {
            seq,
            id,
            checked,
            problem,
        } => Err(CliError::AuditBroken(format!(
            "entry #{seq} (id {id}): {}. {checked} entries before it check out.",
            problem.describe()
        ))),
    }
}

async fn state_for(config: Config) -> Result<AppState, CliError> {
    let db = open(&config).await?;
    Ok(app_state(config, db, Clock::system()).await)
}

async fn create_user(
    config: Config,
    email: String,
    name: String,
    role: String,
    password_stdin: bool,
) -> Result<(), CliError> {
    let role: Role = role.parse().map_err(CliError::App)?;
    let password = if password_stdin {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        Some(line.trim_end_matches(['\r', '\n']).to_string())
    } else {
        None
    };
    let state = state_for(config).await?;
    let client = ClientInfo {
        ip: "cli".into(),
        user_agent: "crm user create".into(),
    };
    let created = service::create_staff_user(
        &state,
        None,
        &client,
        NewStaffUser {
            email,
            name,
            password,
        },
        role,
    )
    .await?;
    println!("{}", created.id);
    if let Some(link) = created.set_password_link {
        println!("{link}");
    }
    if let Some(to) = created.mailed_to {
        println!("a set-password link is in the outbox for {to} (the server sends it)");
    }
    state.db.close().await;
    Ok(())
}

async fn create_token(config: Config, email: String, label: String) -> Result<(), CliError> {
    let state = state_for(config).await?;
    let token = service::create_api_token(&state, &email, &label).await?;
    println!("API token for {email} (shown once; keep it secret):");
    println!("{token}");
    state.db.close().await;
    Ok(())
}

async fn demo_data(
    config: Config,
    leads: usize,
    opportunities: Option<usize>,
    seed: u64,
) -> Result<(), CliError> {
    let db = open(&config).await?;
    let started = std::time::Instant::now();
    let loaded =
        super::demo::load_sized(&db, leads, opportunities, seed, chrono::Utc::now()).await?;
    println!(
        "loaded {} leads, {} contacts, {} accounts, {} opportunities ({} stage changes), {} activities, {} tasks, {} demo users in {:.1}s",
        loaded.leads,
        loaded.contacts,
        loaded.accounts,
        loaded.opportunities,
        loaded.stage_history,
        loaded.activities,
        loaded.tasks,
        loaded.users,
        started.elapsed().as_secs_f64()
    );
    db.close().await;
    Ok(())
}

async fn serve(config: Config) -> Result<(), CliError> {
    tracing::info!(?config, "starting");
    super::regional::check_defaults(&config).map_err(CliError::App)?;
    let mailer = mailer_for(&config)?;
    let mailbox = super::support::mailbox::from_settings(&config).map_err(CliError::App)?;
    super::auth::password::warm_up();
    let addr = config.site_addr;
    let state = state_for(config).await?;
    let store = CrmSessionStore::for_db(&state.db).await?;

    let cleanup = store.clone();
    tokio::spawn(async move {
        if let Err(e) = cleanup
            .continuously_delete_expired(tokio::time::Duration::from_secs(600))
            .await
        {
            tracing::warn!(error = %e, "expired-session cleanup stopped");
        }
    });

    // SLA breaches are recorded as they happen (a minute's resolution), not computed away later.
    let sweeper = state.clone();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(tokio::time::Duration::from_secs(60));
        loop {
            every.tick().await;
            match super::support::tickets::record_breaches(&sweeper).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(breaches = n, "SLA breaches recorded"),
                Err(e) => tracing::warn!(error = %e, "SLA breach sweep failed"),
            }
        }
    });

    // Uploaded files nobody imported are not kept forever.
    let sweeper = state.clone();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(tokio::time::Duration::from_secs(3600));
        loop {
            every.tick().await;
            match super::import::job::expire_unstarted(&sweeper).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(uploads = n, "unstarted uploads removed after 24 hours"),
                Err(e) => tracing::warn!(error = %e, "upload sweep failed"),
            }
        }
    });

    // Mail written to the outbox goes out, also what a previous run left unsent.
    match mailer {
        Some(mailer) => {
            tracing::info!(server = %mailer.server, "sending mail");
            let clock = state.clock.clone();
            tokio::spawn(super::mail::worker::run(
                state.db.clone(),
                mailer,
                state.mail_wake.clone(),
                Box::new(move || clock.now()),
            ));
        }
        None => tracing::info!("no CRM_SMTP_URL: mail is kept in the outbox, not sent"),
    }

    // The support mailbox is read as mail arrives (IDLE), or polled.
    if let Some(mb) = mailbox {
        tokio::spawn(super::support::mailbox::run(state.clone(), mb));
    }

    // Imports a previous run of the server left unfinished carry on from their last batch.
    super::import::job::resume_all(&state).await;

    if let Some(link) = service::ensure_setup_link(&state).await? {
        println!(
            "No users yet. To create the first super admin, open this one-time link (valid 24 hours):"
        );
        println!("  {link}");
    }

    let app = router(state.clone(), store);
    let listener = tokio::net::TcpListener::bind(addr).await?;
    println!("CRM listening on {}", state.config.public_url());
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await?;
    state.db.close().await;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}

struct ImportArgs {
    kind: String,
    file: std::path::PathBuf,
    mapping: Option<std::path::PathBuf>,
    dedup: String,
    dry_run: bool,
    as_user: Option<String>,
    outcome: Option<std::path::PathBuf>,
}

/// `crm import`: the same importer as the wizard, run to the end in this process, with the
/// file read where it lies.
async fn import_file(config: Config, args: ImportArgs) -> Result<(), CliError> {
    use super::db::{imports, users};
    use super::import::{self, NewImport};
    use super::principal::{Principal, Staff, Via};
    use crate::domain::import::{ColumnMap, DedupMode, ImportKind, ImportOptions};
    use crate::domain::user::CurrentUser;

    let kind: ImportKind = args.kind.parse().map_err(CliError::App)?;
    let dedup: DedupMode = args.dedup.parse().map_err(CliError::App)?;
    let path = std::fs::canonicalize(&args.file)
        .map_err(|e| CliError::App(format!("{}: {e}", args.file.display())))?;
    let bytes = std::fs::metadata(&path)?.len();
    let overrides: Option<serde_json::Map<String, serde_json::Value>> = match &args.mapping {
        Some(m) => Some(
            serde_json::from_str(&std::fs::read_to_string(m)?)
                .map_err(|e| CliError::App(format!("{}: {e}", m.display())))?,
        ),
        None => None,
    };
    let state = state_for(config).await?;
    let user = {
        let mut h = state.db.handle().await?;
        match &args.as_user {
            Some(email) => users::by_email(&mut h.c(), &email.to_lowercase()).await?,
            None => users::first_super_admin(&mut h.c()).await?,
        }
    }
    .filter(|u| u.active)
    .ok_or_else(|| {
        CliError::App(match &args.as_user {
            Some(email) => format!(
                "no active staff user {email}: pass `--as EMAIL` of an active user who may import \
                 (an admin, manager or sales user; `crm user create` adds one)"
            ),
            None => "without `--as EMAIL` the import is done as the first active super admin, and \
                     there is none: pass `--as EMAIL` of an active admin, manager or sales user \
                     (`crm user create` adds one)"
                .into(),
        })
    })?;
    let principal = Principal::Staff(Staff {
        user: CurrentUser {
            id: user.id,
            email: user.email.clone(),
            name: user.name.clone(),
            role: user.role,
        },
        via: Via::CommandLine,
        impersonator: None,
        reach: {
            let mut h = state.db.handle().await?;
            crate::server::policy::reach(&mut h.c(), user.id, user.role).await?
        },
    });
    let input = NewImport {
        kind: Some(kind),
        file_name: path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        dedup,
        mapping: None,
    };
    let id = uuid::Uuid::now_v7();
    let mut view = import::create(&state, &principal, id, &path, bytes, None, input).await?;
    if let Some(overrides) = overrides {
        let mapping: Vec<ColumnMap> = view
            .mapping
            .iter()
            .map(|m| match overrides.get(&m.header) {
                Some(serde_json::Value::String(f)) => ColumnMap {
                    header: m.header.clone(),
                    field: Some(f.clone()),
                },
                Some(_) => ColumnMap {
                    header: m.header.clone(),
                    field: None,
                },
                None => m.clone(),
            })
            .collect();
        view =
            import::set_options(&state, &principal, id, ImportOptions { mapping, dedup }).await?;
    }
    eprintln!(
        "{}: {} encoding, {} separated; columns: {}",
        view.file_name,
        view.encoding,
        view.delimiter,
        view.mapping
            .iter()
            .map(|m| format!(
                "{} → {}",
                m.header,
                m.field.as_deref().unwrap_or("(ignored)")
            ))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let started = std::time::Instant::now();
    let client = ClientInfo {
        ip: "command line".into(),
        user_agent: "crm import".into(),
    };
    if args.dry_run {
        import::dry_run(&state, &principal, id).await?;
    } else {
        import::start(&state, &principal, &client, id).await?;
    }
    let view = loop {
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        let v = import::view(&state, &principal, id).await?;
        if !v.status.is_working() {
            break v;
        }
        if let Some(total) = v.total_rows {
            eprint!("\r{} / {} rows", v.rows_done, total);
        }
    };
    eprintln!();
    if let Some(error) = &view.error {
        return Err(CliError::App(error.clone()));
    }
    let counts = if args.dry_run {
        view.dry_run.clone().unwrap_or_default()
    } else {
        view.counts.clone()
    };
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{}{} rows in {secs:.1} s: {} created, {} updated, {} skipped (already in the CRM), {} duplicates in the file, {} invalid",
        if args.dry_run { "dry run: " } else { "" },
        counts.rows(),
        counts.created,
        counts.updated,
        counts.skipped_duplicate,
        counts.duplicate_in_file,
        counts.invalid
    );
    if args.dry_run {
        for e in &view.examples {
            println!(
                "  row {}: {} {}",
                e.row,
                e.outcome,
                e.message.as_deref().unwrap_or("")
            );
        }
    } else {
        let out = args
            .outcome
            .unwrap_or_else(|| path.with_extension("outcome.csv"));
        let mut file = std::io::BufWriter::new(std::fs::File::create(&out)?);
        use std::io::Write;
        file.write_all(b"row,outcome,record_id,message\n")?;
        let mut after = 0;
        loop {
            let mut h = state.db.handle().await?;
            let page = imports::rows(&mut h.c(), id, after, 10_000, false).await?;
            let Some(last) = page.last() else { break };
            after = last.row;
            for r in page {
                let record = r.record_id.map(|i| i.to_string()).unwrap_or_default();
                let line = super::export::csv_line(&[
                    &r.row.to_string(),
                    &r.outcome,
                    &record,
                    r.message.as_deref().unwrap_or(""),
                ]);
                file.write_all(line.as_bytes())?;
            }
        }
        file.flush()?;
        println!("outcome of every row: {}", out.display());
    }
    state.db.close().await;
    Ok(())
}
