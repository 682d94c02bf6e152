//! The data layer: the backend is chosen once from the `DATABASE_URL` scheme, and every SQL
//! statement of the CRM lives in the repository modules below. One statement serves both
//! dialects wherever they agree (`$1` placeholders work in SQLite too); the [`on!`] macro
//! compiles the same body once per backend.

pub mod accounts;
pub mod activities;
pub mod audit;
pub mod cells;
pub mod contacts;
pub mod forms;
pub mod idempotency;
pub mod impersonations;
pub mod imports;
pub mod inbound;
pub mod leads;
pub mod list;
pub mod narrow;
pub mod opportunities;
pub mod outbox;
pub mod pipeline;
pub mod portal;
pub mod records;
pub mod search;
pub mod sessions;
pub mod sql;
pub mod sqlite;
pub mod teams;
pub mod throttle;
pub mod tickets;
pub mod tokens;
pub mod users;

pub use sqlite::{bulk, direct};

use sqlx::ConnectOptions;
use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgConnection, PgPool, Postgres, Sqlite, SqliteConnection, SqlitePool, Transaction};
use std::str::FromStr;
use std::time::Duration;

/// Runs the same body against whichever backend a [`Conn`] holds. Inside the body the
/// identifier is a `&mut SqliteConnection` or a `&mut PgConnection`, usable as an executor.
#[macro_export]
macro_rules! on {
    ($conn:expr, $c:ident => $body:expr) => {
        match $conn {
            $crate::server::db::Conn::Sqlite($c) => {
                let $c: &mut ::sqlx::SqliteConnection = &mut **$c;
                $body
            }
            $crate::server::db::Conn::Postgres($c) => {
                let $c: &mut ::sqlx::PgConnection = &mut **$c;
                $body
            }
        }
    };
}
pub use on;

/// Stores a domain enum as its snake_case text in either backend, so a column reads the
/// same words the API and the UI use (`super_admin`, `proposal`, …).
#[macro_export]
macro_rules! text_enum {
    ($t:ty) => {
        impl<DB: ::sqlx::Database> ::sqlx::Type<DB> for $t
        where
            String: ::sqlx::Type<DB>,
        {
            fn type_info() -> DB::TypeInfo {
                <String as ::sqlx::Type<DB>>::type_info()
            }
            fn compatible(ty: &DB::TypeInfo) -> bool {
                <String as ::sqlx::Type<DB>>::compatible(ty)
            }
        }
        impl<'r, DB: ::sqlx::Database> ::sqlx::Decode<'r, DB> for $t
        where
            String: ::sqlx::Decode<'r, DB>,
        {
            fn decode(
                value: <DB as ::sqlx::Database>::ValueRef<'r>,
            ) -> Result<Self, ::sqlx::error::BoxDynError> {
                let text = <String as ::sqlx::Decode<'r, DB>>::decode(value)?;
                text.parse::<$t>().map_err(|e| e.to_string().into())
            }
        }
        impl<'q, DB: ::sqlx::Database> ::sqlx::Encode<'q, DB> for $t
        where
            &'q str: ::sqlx::Encode<'q, DB>,
        {
            fn encode_by_ref(
                &self,
                buf: &mut <DB as ::sqlx::Database>::ArgumentBuffer<'q>,
            ) -> Result<::sqlx::encode::IsNull, ::sqlx::error::BoxDynError> {
                <&'q str as ::sqlx::Encode<'q, DB>>::encode_by_ref(&self.as_str(), buf)
            }
        }
        impl $crate::server::db::sqlite::Column for $t {
            fn read(value: $crate::server::db::sqlite::Value) -> Result<Self, &'static str> {
                <String as $crate::server::db::sqlite::Column>::read(value)?
                    .parse()
                    .map_err(|_| "not one of the known values")
            }
        }
    };
}
pub use text_enum;

text_enum!(crate::domain::user::Role);
text_enum!(crate::domain::records::RecordKind);
text_enum!(crate::domain::lead::LeadSource);
text_enum!(crate::domain::lead::LeadStatus);
text_enum!(crate::domain::contact::ContactRole);
text_enum!(crate::domain::opportunity::LostReason);
text_enum!(crate::domain::activity::ActivityKind);
text_enum!(crate::domain::ticket::TicketPriority);
text_enum!(crate::domain::ticket::TicketStatus);
text_enum!(crate::domain::ticket::TicketChannel);
text_enum!(crate::domain::team::Reach);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A pool on one of the two backends.
#[derive(Clone, Debug)]
pub enum Db {
    /// The pool, and what this process keeps beside it (see [`SqliteSide`]).
    Sqlite(SqlitePool, std::sync::Arc<SqliteSide>),
    Postgres(PgPool),
}

/// What a SQLite database needs beside its pool, shared by every clone of the [`Db`].
#[derive(Debug)]
pub struct SqliteSide {
    /// Read-only connections for point reads on the request's thread.
    pub direct: direct::Direct,
    /// SQLite has one writer at a time. Writers wait here, in the order they came (tokio's
    /// mutex is fair), before they begin: racing on the busy timeout instead lets a writer
    /// lose again and again while others get in, and the slowest write grows without bound.
    writers: std::sync::Arc<tokio::sync::Mutex<()>>,
}

/// A borrowed connection: a pooled one for reads, or the inside of a transaction.
pub enum Conn<'c> {
    Sqlite(&'c mut SqliteConnection),
    Postgres(&'c mut PgConnection),
}

/// A connection taken from the pool: for reads ([`Db::handle`]), or for single writes that
/// need no transaction ([`Db::write_handle`], which on SQLite also holds the turn to write).
pub enum Handle {
    Sqlite(
        PoolConnection<Sqlite>,
        Option<tokio::sync::OwnedMutexGuard<()>>,
    ),
    Postgres(PoolConnection<Postgres>),
}

/// A write transaction. On SQLite it holds this process's turn to write (see
/// [`SqliteSide::writers`]) and begins `IMMEDIATE`, so it never fails half-way with
/// `SQLITE_BUSY`; the turn passes on when the transaction commits or is dropped.
pub enum Tx {
    Sqlite(
        Transaction<'static, Sqlite>,
        tokio::sync::OwnedMutexGuard<()>,
    ),
    Postgres(Transaction<'static, Postgres>),
}

impl Handle {
    pub fn c(&mut self) -> Conn<'_> {
        match self {
            Handle::Sqlite(h, _) => Conn::Sqlite(&mut **h),
            Handle::Postgres(h) => Conn::Postgres(&mut **h),
        }
    }
}

impl Tx {
    pub fn c(&mut self) -> Conn<'_> {
        match self {
            Tx::Sqlite(t, _) => Conn::Sqlite(&mut **t),
            Tx::Postgres(t) => Conn::Postgres(&mut **t),
        }
    }

    pub async fn commit(self) -> Result<(), sqlx::Error> {
        match self {
            Tx::Sqlite(t, _turn) => t.commit().await,
            Tx::Postgres(t) => t.commit().await,
        }
    }
}

impl Conn<'_> {
    pub fn backend(&self) -> Backend {
        match self {
            Conn::Sqlite(_) => Backend::Sqlite,
            Conn::Postgres(_) => Backend::Postgres,
        }
    }
}

/// Which backend a URL asks for, or why it is not one we serve.
/// A time as both backends store it: to the microsecond, so a value read back compares
/// equal to the value written.
pub fn truncate_micros(t: chrono::DateTime<chrono::Utc>) -> chrono::DateTime<chrono::Utc> {
    use chrono::{SubsecRound, Timelike};
    let micros = t.nanosecond() / 1_000;
    t.trunc_subsecs(0) + chrono::Duration::microseconds(i64::from(micros))
}

pub fn backend_of(url: &str) -> Result<Backend, String> {
    if url.starts_with("sqlite:") {
        Ok(Backend::Sqlite)
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Backend::Postgres)
    } else {
        Err("DATABASE_URL must start with sqlite:// or postgres://".into())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("{0}")]
    BadUrl(String),
    #[error("cannot create the directory for the database file {path}: {source}")]
    Directory {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot open the database: {0}")]
    Open(#[from] sqlx::Error),
    #[error("cannot apply migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// Turns off SQLite's memory statistics, once per process and before its first connection.
/// Kept on (SQLite's default), every allocation SQLite makes takes one process-wide mutex to
/// count it, and the eight connections' threads queue on that lock; nothing here reads the
/// statistics.
fn sqlite_without_memory_statistics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // SAFETY: `sqlite3_config` is documented as callable before SQLite initialises; called
        // later it changes nothing and answers SQLITE_MISUSE, which is harmless here.
        let rc = unsafe {
            libsqlite3_sys::sqlite3_config(
                libsqlite3_sys::SQLITE_CONFIG_MEMSTATUS,
                0 as std::ffi::c_int,
            )
        };
        if rc != libsqlite3_sys::SQLITE_OK {
            tracing::debug!(
                rc,
                "SQLite memory statistics stay on (SQLite was already initialised)"
            );
        }
    });
}

impl Db {
    /// Opens a pool for `url`. For SQLite the file and its directory are created on first
    /// use, with WAL, `synchronous=FULL`, foreign keys and a busy timeout on every connection.
    pub async fn connect(url: &str) -> Result<Db, ConnectError> {
        match backend_of(url).map_err(ConnectError::BadUrl)? {
            Backend::Sqlite => {
                sqlite_without_memory_statistics();
                let options = SqliteConnectOptions::from_str(url)?
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Full)
                    .foreign_keys(true)
                    .busy_timeout(Duration::from_secs(10))
                    .pragma("temp_store", "memory")
                    // 4 MB of page cache per connection (8 connections): the operating system
                    // caches the file as well, and the server stays inside its memory budget.
                    .pragma("cache_size", "-4000")
                    // Checkpoint the write-ahead log at 40 MB instead of 4 MB: a bulk write
                    // (import, demo data) commits a few MB per batch, and checkpointing after
                    // nearly every batch copied the same hot index pages into the file again
                    // each time (a million-row import: 39 s → 34 s).
                    .pragma("wal_autocheckpoint", "10000")
                    // Slow statements are logged at debug level: a bulk insert's text is huge.
                    .log_slow_statements(log::LevelFilter::Debug, Duration::from_secs(1));
                let path = options.get_filename().to_path_buf();
                let side = std::sync::Arc::new(SqliteSide {
                    direct: direct::Direct::new(&path),
                    writers: std::sync::Arc::new(tokio::sync::Mutex::new(())),
                });
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).map_err(|source| ConnectError::Directory {
                        path: path.display().to_string(),
                        source,
                    })?;
                }
                let pool = SqlitePoolOptions::new()
                    .max_connections(8)
                    .min_connections(1)
                    // A local file does not drop connections: skip the ping (a round trip to
                    // the connection's worker thread) that would precede every query.
                    .test_before_acquire(false)
                    .acquire_timeout(Duration::from_secs(15))
                    .connect_with(options)
                    .await?;
                Ok(Db::Sqlite(pool, side))
            }
            Backend::Postgres => {
                let options = PgConnectOptions::from_str(url)?
                    .log_slow_statements(log::LevelFilter::Debug, Duration::from_secs(1));
                let pool = PgPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(Duration::from_secs(15))
                    .connect_with(options)
                    .await?;
                Ok(Db::Postgres(pool))
            }
        }
    }

    pub fn backend(&self) -> Backend {
        match self {
            Db::Sqlite(..) => Backend::Sqlite,
            Db::Postgres(_) => Backend::Postgres,
        }
    }

    /// Applies the migrations of this backend (`migrations/sqlite` or `migrations/postgres`),
    /// then seals any audit entries written before the audit log became a hash chain.
    pub async fn migrate(&self) -> Result<(), ConnectError> {
        match self {
            Db::Sqlite(pool, _) => sqlx::migrate!("migrations/sqlite").run(pool).await?,
            Db::Postgres(pool) => sqlx::migrate!("migrations/postgres").run(pool).await?,
        }
        let mut tx = self.begin().await?;
        audit::seal_unhashed(&mut tx.c()).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The one row `sql` returns for `args`, for statements that look up one unique key (a
    /// token, a record by id). On a SQLite file it is read on the calling thread (see
    /// [`direct`]); otherwise, or if that fails, through the pool.
    pub async fn read_one<T>(
        &self,
        sql: &str,
        args: Vec<sql::Arg>,
    ) -> Result<Option<T>, sqlx::Error>
    where
        T: direct::FromDirect
            + for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>
            + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>
            + Send
            + Unpin,
    {
        if let Db::Sqlite(_, side) = self
            && side.direct.available()
        {
            match side.direct.one(sql, &args) {
                Ok(found) => return Ok(found),
                Err(e) => {
                    tracing::warn!(error = %e, "direct read failed; reading through the pool")
                }
            }
        }
        let mut h = self.handle().await?;
        let mut c = h.c();
        on!(&mut c, c => crate::bind_all!(sqlx::query_as(sql), &args).fetch_optional(c).await)
    }

    /// The direct readers, on SQLite (tests compare what they read with the pool's answer).
    pub fn direct(&self) -> Option<&direct::Direct> {
        match self {
            Db::Sqlite(_, side) if side.direct.available() => Some(&side.direct),
            _ => None,
        }
    }

    /// A connection for reads. Never write through it on SQLite: a write that has not waited
    /// its turn (see [`SqliteSide`]) can lose the lock to queued writers until it times out.
    pub async fn handle(&self) -> Result<Handle, sqlx::Error> {
        Ok(match self {
            Db::Sqlite(pool, _) => Handle::Sqlite(pool.acquire().await?, None),
            Db::Postgres(pool) => Handle::Postgres(pool.acquire().await?),
        })
    }

    /// A connection for writes that need no transaction (one statement: touching a session,
    /// an import's progress): on SQLite it waits its turn among the writers first.
    pub async fn write_handle(&self) -> Result<Handle, sqlx::Error> {
        Ok(match self {
            Db::Sqlite(pool, side) => {
                let turn = side.writers.clone().lock_owned().await;
                Handle::Sqlite(pool.acquire().await?, Some(turn))
            }
            Db::Postgres(pool) => Handle::Postgres(pool.acquire().await?),
        })
    }

    /// The turn to write on SQLite (for writers outside this module: the session store);
    /// nothing to wait for on PostgreSQL.
    pub async fn write_turn(&self) -> Option<tokio::sync::OwnedMutexGuard<()>> {
        match self {
            Db::Sqlite(_, side) => Some(side.writers.clone().lock_owned().await),
            Db::Postgres(_) => None,
        }
    }

    pub async fn begin(&self) -> Result<Tx, sqlx::Error> {
        Ok(match self {
            Db::Sqlite(pool, side) => {
                // The turn first, then a connection: a queue of writers holds no connections
                // the readers need.
                let turn = side.writers.clone().lock_owned().await;
                Tx::Sqlite(pool.begin_with("BEGIN IMMEDIATE").await?, turn)
            }
            Db::Postgres(pool) => Tx::Postgres(pool.begin().await?),
        })
    }

    /// Runs `work` (a write) to completion on the writer thread when the database is SQLite,
    /// else right here. On a busy machine a write's many short trips to SQLite's connection
    /// thread each wait for the request threads to come round; on a thread of its own the
    /// critical section stays short. It also runs to the end if the client goes away.
    pub async fn on_writer<T: Send + 'static>(
        &self,
        work: impl Future<Output = T> + Send + 'static,
    ) -> T {
        match (self, writer_runtime()) {
            (Db::Sqlite(..), Some(rt)) => {
                let id = crate::server::error::current_request_id();
                let span = tracing::Span::current();
                let task = rt.spawn(tracing::Instrument::instrument(
                    crate::server::error::with_request_id(id, work),
                    span,
                ));
                match task.await {
                    Ok(out) => out,
                    Err(e) => std::panic::resume_unwind(e.into_panic()),
                }
            }
            _ => work.await,
        }
    }

    pub async fn close(&self) {
        match self {
            Db::Sqlite(pool, _) => pool.close().await,
            Db::Postgres(pool) => pool.close().await,
        }
    }
}

/// The writer thread's runtime (see [`Db::on_writer`]), started on first use.
fn writer_runtime() -> Option<&'static tokio::runtime::Handle> {
    static WRITER: std::sync::LazyLock<Option<tokio::runtime::Handle>> =
        std::sync::LazyLock::new(|| {
            let (sender, receiver) = std::sync::mpsc::channel();
            let started = std::thread::Builder::new()
                .name("crm-writer".into())
                .spawn(move || {
                    match tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                    {
                        Ok(rt) => {
                            let _ = sender.send(Some(rt.handle().clone()));
                            rt.block_on(std::future::pending::<()>());
                        }
                        Err(e) => {
                            tracing::error!(error = %e, "cannot start the writer thread");
                            let _ = sender.send(None);
                        }
                    }
                });
            match started {
                Ok(_) => receiver.recv().ok().flatten(),
                Err(e) => {
                    tracing::error!(error = %e, "cannot start the writer thread");
                    None
                }
            }
        });
    WRITER.as_ref()
}

/// A unique constraint a caller acts on when it is violated, named once beside the queries of
/// its table: PostgreSQL reports the constraint's name, SQLite the first column it covers.
#[derive(Clone, Copy, Debug)]
pub struct Unique {
    pub postgres: &'static str,
    pub sqlite: &'static str,
}

impl Unique {
    /// Whether `err` is a violation of this constraint (and not of another).
    pub fn violated_by(self, err: &sqlx::Error) -> bool {
        match err {
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                // SQLite names the columns, or the index for an expression (`lower(name)`).
                let (constraint, message) = (db.constraint().unwrap_or_default(), db.message());
                [self.postgres, self.sqlite]
                    .iter()
                    .any(|n| constraint == *n || message.contains(n))
            }
            _ => false,
        }
    }
}
