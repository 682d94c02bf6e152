//! SQLite's C API, for the two paths that step statements themselves: point reads on the
//! request's own thread (`direct`) and loading many rows at once (`bulk`). What both need is
//! here: reading a column as a Rust value the way sqlx stores it, binding values, and turning a
//! result code into an error; the `unsafe` these need lives in these three files only.

pub mod bulk;
pub mod direct;

use crate::server::db::sql::Arg;
use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use libsqlite3_sys as ffi;
use std::ffi::{CStr, CString, c_int};
use std::ptr::NonNull;
use uuid::Uuid;

pub(crate) fn error_from(db: NonNull<ffi::sqlite3>, code: c_int) -> sqlx::Error {
    // SAFETY: `db` is a live connection handle; the message is copied before any other call.
    let message = unsafe { CStr::from_ptr(ffi::sqlite3_errmsg(db.as_ptr())) }
        .to_string_lossy()
        .into_owned();
    sqlx::Error::Protocol(format!("sqlite error {code}: {message}"))
}

/// Binds `args` to the parameters of the live statement `s` of connection `db`: the n-th value
/// to `$n` where the SQL names its parameters so (as the repository's shared statements do),
/// else to the n-th `?`.
pub(crate) fn bind_args(
    db: NonNull<ffi::sqlite3>,
    s: *mut ffi::sqlite3_stmt,
    args: &[Arg],
) -> Result<(), sqlx::Error> {
    // SAFETY: `s` is live. `?` parameters have no name; `$n` ones do.
    let named = !unsafe { ffi::sqlite3_bind_parameter_name(s, 1) }.is_null();
    for (i, arg) in args.iter().enumerate() {
        let position = i as c_int + 1;
        let index = if named {
            let name = CString::new(format!("${position}")).unwrap_or_default();
            // SAFETY: `s` is live; the name is NUL-terminated.
            match unsafe { ffi::sqlite3_bind_parameter_index(s, name.as_ptr()) } {
                0 => position,
                found => found,
            }
        } else {
            position
        };
        // SAFETY: `s` is a live prepared statement; text and blobs are copied by SQLite
        // (SQLITE_TRANSIENT) before the call returns.
        let code = unsafe {
            match arg {
                Arg::Text(v) | Arg::OptText(Some(v)) => bind_text(s, index, v),
                Arg::Int(v) | Arg::OptInt(Some(v)) => ffi::sqlite3_bind_int64(s, index, *v),
                Arg::Bool(v) => ffi::sqlite3_bind_int64(s, index, i64::from(*v)),
                Arg::Uuid(v) | Arg::OptUuid(Some(v)) => {
                    let bytes = v.as_bytes();
                    ffi::sqlite3_bind_blob(
                        s,
                        index,
                        bytes.as_ptr().cast(),
                        bytes.len() as c_int,
                        ffi::SQLITE_TRANSIENT(),
                    )
                }
                // The same text sqlx writes, so reads and comparisons agree.
                Arg::Time(v) | Arg::OptTime(Some(v)) => {
                    bind_text(s, index, &v.to_rfc3339_opts(SecondsFormat::AutoSi, false))
                }
                Arg::Date(v) | Arg::OptDate(Some(v)) => {
                    bind_text(s, index, &v.format("%F").to_string())
                }
                Arg::OptText(None)
                | Arg::OptInt(None)
                | Arg::OptUuid(None)
                | Arg::OptTime(None)
                | Arg::OptDate(None) => ffi::sqlite3_bind_null(s, index),
            }
        };
        if code != ffi::SQLITE_OK {
            return Err(error_from(db, code));
        }
    }
    Ok(())
}

/// # Safety
/// `s` must be a live prepared statement.
unsafe fn bind_text(s: *mut ffi::sqlite3_stmt, index: c_int, text: &str) -> c_int {
    // SAFETY: the caller's statement; SQLite copies the bytes (SQLITE_TRANSIENT).
    unsafe {
        ffi::sqlite3_bind_text(
            s,
            index,
            text.as_ptr().cast(),
            text.len() as c_int,
            ffi::SQLITE_TRANSIENT(),
        )
    }
}

/// One column of the current row.
#[derive(Clone, Copy)]
pub struct Value {
    statement: *mut ffi::sqlite3_stmt,
    index: c_int,
}

impl Value {
    /// Column `index` of the row `statement` is positioned on.
    ///
    /// # Safety
    /// `statement` must be live and positioned on a row (its last step answered a row), and
    /// stay so while the value is read.
    pub(crate) unsafe fn at(statement: *mut ffi::sqlite3_stmt, index: c_int) -> Value {
        Value { statement, index }
    }

    fn kind(self) -> c_int {
        // SAFETY: a live statement positioned on a row; the index comes from its columns.
        unsafe { ffi::sqlite3_column_type(self.statement, self.index) }
    }

    fn int(self) -> Result<i64, &'static str> {
        match self.kind() {
            // SAFETY: as in `kind`.
            ffi::SQLITE_INTEGER => {
                Ok(unsafe { ffi::sqlite3_column_int64(self.statement, self.index) })
            }
            _ => Err("not an integer"),
        }
    }

    fn text(self) -> Result<String, &'static str> {
        if self.kind() != ffi::SQLITE_TEXT {
            return Err("not text");
        }
        // SAFETY: as in `kind`; the bytes are copied before the statement moves on.
        let bytes = unsafe {
            let data = ffi::sqlite3_column_text(self.statement, self.index);
            let len = ffi::sqlite3_column_bytes(self.statement, self.index);
            if data.is_null() {
                return Ok(String::new());
            }
            std::slice::from_raw_parts(data, len.max(0) as usize)
        };
        String::from_utf8(bytes.to_vec()).map_err(|_| "not UTF-8")
    }

    fn blob(self) -> Result<Vec<u8>, &'static str> {
        if self.kind() != ffi::SQLITE_BLOB {
            return Err("not a blob");
        }
        // SAFETY: as in `text`.
        let bytes = unsafe {
            let data = ffi::sqlite3_column_blob(self.statement, self.index);
            let len = ffi::sqlite3_column_bytes(self.statement, self.index);
            if data.is_null() {
                return Ok(Vec::new());
            }
            std::slice::from_raw_parts(data.cast::<u8>(), len.max(0) as usize)
        };
        Ok(bytes.to_vec())
    }

    fn is_null(self) -> bool {
        self.kind() == ffi::SQLITE_NULL
    }
}

/// A Rust value read from one column, the way sqlx stores it in SQLite.
pub trait Column: Sized {
    fn read(value: Value) -> Result<Self, &'static str>;
}

impl Column for i64 {
    fn read(value: Value) -> Result<Self, &'static str> {
        value.int()
    }
}

impl Column for i32 {
    fn read(value: Value) -> Result<Self, &'static str> {
        i32::try_from(value.int()?).map_err(|_| "out of range")
    }
}

impl Column for bool {
    fn read(value: Value) -> Result<Self, &'static str> {
        value.int().map(|n| n != 0)
    }
}

impl Column for String {
    fn read(value: Value) -> Result<Self, &'static str> {
        value.text()
    }
}

impl Column for Uuid {
    fn read(value: Value) -> Result<Self, &'static str> {
        Uuid::from_slice(&value.blob()?).map_err(|_| "not a 16-byte id")
    }
}

impl Column for DateTime<Utc> {
    fn read(value: Value) -> Result<Self, &'static str> {
        DateTime::parse_from_rfc3339(&value.text()?)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|_| "not an RFC 3339 time")
    }
}

impl Column for NaiveDate {
    fn read(value: Value) -> Result<Self, &'static str> {
        NaiveDate::parse_from_str(&value.text()?, "%F").map_err(|_| "not a date")
    }
}

impl<T: Column> Column for Option<T> {
    fn read(value: Value) -> Result<Self, &'static str> {
        if value.is_null() {
            Ok(None)
        } else {
            T::read(value).map(Some)
        }
    }
}
