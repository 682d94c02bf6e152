//! Point reads on the request's own thread (SQLite files).
//!
//! Every query through sqlx's SQLite driver is a round trip to the connection's own thread,
//! and one more when the connection goes back to the pool (sqlx pings it on release): on two
//! cores those four thread switches cost more than the two index lookups an API read makes
//! (its token, then its record). Reads that are one index lookup returning at most one row —
//! the token behind a request, a record by id — run here instead: on a small set of read-only
//! connections of our own, stepped through SQLite's C API where the request already runs. In
//! WAL mode a reader sees every committed write and never waits for writers.
//!
//! Only such bounded reads belong here (they take microseconds, so running them on an async
//! worker is fine); anything that may scan goes through the pool. Any failure here (a busy
//! database, a value that does not decode) makes the caller use the pool instead, so this path
//! can only make a read faster, never make it fail.

use super::{Column, Value, bind_args, error_from};
use crate::server::db::sql::Arg;
use libsqlite3_sys as ffi;
use std::collections::HashMap;
use std::ffi::{CStr, CString, c_int};
use std::ptr::NonNull;
use std::sync::Mutex;

/// Idle readers kept open; more are opened while more requests read at once.
const KEEP_IDLE: usize = 8;
/// Statements kept prepared per reader.
const KEEP_STATEMENTS: usize = 64;

/// The read-only connections for one database file.
pub struct Direct {
    path: Option<CString>,
    idle: Mutex<Vec<Reader>>,
}

impl std::fmt::Debug for Direct {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Direct").field("path", &self.path).finish()
    }
}

impl Direct {
    /// Readers for the file at `path`; none for an in-memory database (sqlx names those
    /// `file:sqlx-in-memory-…`, and a connection of ours would see a database of its own) or
    /// any other URI-style name.
    pub fn new(path: &std::path::Path) -> Direct {
        let text = path.to_string_lossy();
        let usable = !text.is_empty() && text != ":memory:" && !text.starts_with("file:");
        Direct {
            path: usable.then(|| CString::new(text.as_bytes()).ok()).flatten(),
            idle: Mutex::new(Vec::new()),
        }
    }

    /// Whether reads can run here at all.
    pub fn available(&self) -> bool {
        self.path.is_some()
    }

    /// The one row `sql` returns for `args`, decoded, or `None` when there is no row.
    pub fn one<T: FromDirect>(&self, sql: &str, args: &[Arg]) -> Result<Option<T>, DirectError> {
        let mut rows = self.rows(sql, args, u32::MAX, T::from_direct)?;
        match rows.len() {
            0 | 1 => Ok(rows.pop()),
            _ => Err(DirectError::TooMany),
        }
    }

    /// Every row `sql` returns for `args`, each read by `read`; gives up with
    /// [`DirectError::OverBudget`] after about `budget` thousand SQLite steps, so a read that
    /// turns out to scan goes back to the pool instead of holding this thread.
    pub fn rows<R>(
        &self,
        sql: &str,
        args: &[Arg],
        budget: u32,
        read: impl FnMut(&Row<'_>) -> Result<R, DirectError>,
    ) -> Result<Vec<R>, DirectError> {
        let mut reader = self.take()?;
        let result = reader.rows(sql, args, budget, read);
        self.put(reader);
        result
    }

    fn take(&self) -> Result<Reader, DirectError> {
        let idle = self.idle.lock().ok().and_then(|mut idle| idle.pop());
        match idle {
            Some(reader) => Ok(reader),
            None => Reader::open(self.path.as_deref().ok_or(DirectError::Unavailable)?),
        }
    }

    fn put(&self, reader: Reader) {
        if let Ok(mut idle) = self.idle.lock()
            && idle.len() < KEEP_IDLE
        {
            idle.push(reader);
        }
    }
}

/// Why a direct read did not answer (the caller then reads through the pool).
#[derive(Debug, thiserror::Error)]
pub enum DirectError {
    #[error("direct reads are not available for this database")]
    Unavailable,
    #[error("{0}")]
    Sqlite(#[from] sqlx::Error),
    #[error("more than one row")]
    TooMany,
    #[error("the read went over its budget of steps")]
    OverBudget,
    #[error("column {column}: {problem}")]
    Decode {
        column: String,
        problem: &'static str,
    },
}

/// One read-only connection and its prepared statements.
struct Reader {
    db: NonNull<ffi::sqlite3>,
    statements: HashMap<String, Statement>,
}

// SAFETY: the connection is opened with SQLITE_OPEN_NOMUTEX (SQLite's multi-thread mode): it
// may move between threads as long as one thread uses it at a time, which owning the
// `Reader` guarantees.
unsafe impl Send for Reader {}

struct Statement {
    raw: NonNull<ffi::sqlite3_stmt>,
    columns: HashMap<String, c_int>,
}

/// SQLite's progress callback: counts down the budget, then interrupts the statement.
unsafe extern "C" fn count_down(left: *mut std::ffi::c_void) -> c_int {
    // SAFETY: `left` is the `u32` that `Reader::rows` registered, alive for the whole step loop.
    let left = unsafe { &mut *left.cast::<u32>() };
    if *left == 0 {
        1
    } else {
        *left -= 1;
        0
    }
}

impl Reader {
    fn open(path: &CStr) -> Result<Reader, DirectError> {
        let mut db = std::ptr::null_mut();
        let flags = ffi::SQLITE_OPEN_READONLY | ffi::SQLITE_OPEN_NOMUTEX;
        // SAFETY: NUL-terminated path, out-pointer to a local, no VFS name.
        let code = unsafe { ffi::sqlite3_open_v2(path.as_ptr(), &mut db, flags, std::ptr::null()) };
        let Some(db) = NonNull::new(db) else {
            return Err(DirectError::Unavailable);
        };
        let reader = Reader {
            db,
            statements: HashMap::new(),
        };
        if code != ffi::SQLITE_OK {
            return Err(error_from(db, code).into());
        }
        // SAFETY: a live connection. A reader in WAL mode only waits in rare moments (the WAL
        // being reset); it gives up quickly and the caller uses the pool.
        unsafe {
            ffi::sqlite3_busy_timeout(db.as_ptr(), 20);
        }
        Ok(reader)
    }

    fn statement(&mut self, sql: &str) -> Result<&Statement, DirectError> {
        if !self.statements.contains_key(sql) {
            if self.statements.len() >= KEEP_STATEMENTS {
                self.statements.clear();
            }
            let text = CString::new(sql).map_err(|e| sqlx::Error::Protocol(e.to_string()))?;
            let mut raw = std::ptr::null_mut();
            // SAFETY: live connection, NUL-terminated SQL, out-pointer to a local.
            let code = unsafe {
                ffi::sqlite3_prepare_v3(
                    self.db.as_ptr(),
                    text.as_ptr(),
                    -1,
                    ffi::SQLITE_PREPARE_PERSISTENT as u32,
                    &mut raw,
                    std::ptr::null_mut(),
                )
            };
            let Some(raw) = NonNull::new(raw).filter(|_| code == ffi::SQLITE_OK) else {
                return Err(error_from(self.db, code).into());
            };
            let mut columns = HashMap::new();
            // SAFETY: a live statement; column names are copied before the next call.
            let count = unsafe { ffi::sqlite3_column_count(raw.as_ptr()) };
            for i in 0..count {
                let name = unsafe { ffi::sqlite3_column_name(raw.as_ptr(), i) };
                if !name.is_null() {
                    let name = unsafe { CStr::from_ptr(name) }
                        .to_string_lossy()
                        .into_owned();
                    columns.entry(name).or_insert(i);
                }
            }
            self.statements
                .insert(sql.to_string(), Statement { raw, columns });
        }
        self.statements.get(sql).ok_or(DirectError::Unavailable)
    }

    fn rows<R>(
        &mut self,
        sql: &str,
        args: &[Arg],
        budget: u32,
        mut read: impl FnMut(&Row<'_>) -> Result<R, DirectError>,
    ) -> Result<Vec<R>, DirectError> {
        let db = self.db;
        let statement = self.statement(sql)?;
        let s = statement.raw.as_ptr();
        struct Reset(NonNull<ffi::sqlite3>, *mut ffi::sqlite3_stmt);
        impl Drop for Reset {
            fn drop(&mut self) {
                // SAFETY: a live statement and connection this thread holds; the progress
                // handler is removed before its counter goes out of scope.
                unsafe {
                    ffi::sqlite3_progress_handler(self.0.as_ptr(), 0, None, std::ptr::null_mut());
                    ffi::sqlite3_reset(self.1);
                    ffi::sqlite3_clear_bindings(self.1);
                }
            }
        }
        let mut left: u32 = budget;
        // SAFETY: `left` outlives the handler, which `Reset` removes on every way out.
        unsafe {
            ffi::sqlite3_progress_handler(
                db.as_ptr(),
                1000,
                Some(count_down),
                (&raw mut left).cast(),
            );
        }
        let _reset = Reset(db, s);
        bind_args(db, s, args)?;
        let mut out = Vec::new();
        loop {
            // SAFETY: a live, bound statement.
            match unsafe { ffi::sqlite3_step(s) } {
                ffi::SQLITE_ROW => out.push(read(&Row {
                    statement: s,
                    columns: &statement.columns,
                })?),
                ffi::SQLITE_DONE => return Ok(out),
                ffi::SQLITE_INTERRUPT => return Err(DirectError::OverBudget),
                code => return Err(error_from(db, code).into()),
            }
        }
    }
}

impl Drop for Reader {
    fn drop(&mut self) {
        for (_, statement) in self.statements.drain() {
            // SAFETY: finalizing each of our statements once, before the connection closes.
            unsafe {
                ffi::sqlite3_finalize(statement.raw.as_ptr());
            }
        }
        // SAFETY: closing our own connection once; its statements are finalized.
        unsafe {
            ffi::sqlite3_close(self.db.as_ptr());
        }
    }
}

/// The current row of a stepped statement, read by column name.
pub struct Row<'a> {
    statement: *mut ffi::sqlite3_stmt,
    columns: &'a HashMap<String, c_int>,
}

impl Row<'_> {
    /// The value of column `name`.
    pub fn get<T: Column>(&self, name: &str) -> Result<T, DirectError> {
        let index = *self.columns.get(name).ok_or_else(|| DirectError::Decode {
            column: name.to_string(),
            problem: "no such column",
        })?;
        let value = Value {
            statement: self.statement,
            index,
        };
        T::read(value).map_err(|problem| DirectError::Decode {
            column: name.to_string(),
            problem,
        })
    }
}

/// A row type read by column name, like sqlx's `FromRow`.
pub trait FromDirect: Sized {
    fn from_direct(row: &Row<'_>) -> Result<Self, DirectError>;
}
