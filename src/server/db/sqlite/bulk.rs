//! Loading many rows at once (demo data, imports).
//!
//! SQLite: one prepared statement, bound and stepped per row through SQLite's C API on the
//! connection sqlx already holds (inside the same transaction). Going through sqlx row by row
//! costs a round trip to its worker thread per row, and multi-row statements cost more in
//! binding than in inserting; this path runs at the speed of SQLite itself.
//! PostgreSQL: multi-row `values` lists.

use super::{Column, Value, bind_args, error_from};
use crate::bind_all;
use crate::server::db::sql::{Arg, Sql};
use crate::server::db::{Conn, on};
use libsqlite3_sys as ffi;
use std::ffi::{CString, c_int};
use std::ptr::NonNull;

/// From this many rows on, SQLite inserts are staged through a temporary table.
const STAGE_FROM: usize = 16;

/// Most values one PostgreSQL statement may carry (its limit is 65,535).
const MAX_VALUES: usize = 30_000;

/// Inserts `rows` (each holding one value per column, in order) into `table`.
pub async fn insert_rows(
    c: &mut Conn<'_>,
    table: &str,
    columns: &[&str],
    rows: Vec<Vec<Arg>>,
) -> Result<u64, sqlx::Error> {
    match c {
        Conn::Sqlite(conn) => {
            let list = columns.join(", ");
            let marks = vec!["?"; columns.len()].join(", ");
            let mut handle = conn.lock_handle().await?;
            let db = handle.as_raw_handle();
            if rows.len() < STAGE_FROM {
                let sql = format!("insert into {table} ({list}) values ({marks})");
                let mut statement = Prepared::new(db, &sql)?;
                for row in &rows {
                    statement.run(row)?;
                }
                return Ok(rows.len() as u64);
            }
            // Staged: the rows go into a bare temporary table, then into the real one in a
            // single statement. Each insert statement into a table whose triggers feed a
            // full-text index makes FTS5 flush its pending terms (a statement savepoint), so
            // row-by-row inserts wrote one tiny index segment per row and spent most of their
            // time merging them; one statement flushes once. Tables without a full-text index
            // gain too (measured on the audit log and outcome rows): each statement into a
            // table with unique indexes opens its own statement journal.
            let stage = format!("temp.bulk_{table}");
            Prepared::new(db, &format!("drop table if exists {stage}"))?.run(&[])?;
            Prepared::new(
                db,
                &format!("create table {stage} as select {list} from main.{table} where 0"),
            )?
            .run(&[])?;
            let result = (|| {
                let mut statement = Prepared::new(
                    db,
                    &format!("insert into {stage} ({list}) values ({marks})"),
                )?;
                for row in &rows {
                    statement.run(row)?;
                }
                drop(statement);
                Prepared::new(
                    db,
                    &format!("insert into main.{table} ({list}) select {list} from {stage} order by rowid"),
                )?
                .run(&[])
            })();
            Prepared::new(db, &format!("drop table {stage}"))?.run(&[])?;
            result.map(|()| rows.len() as u64)
        }
        Conn::Postgres(_) => insert_values(c, table, columns, rows).await,
    }
}

/// A prepared SQLite statement, finalized when dropped.
pub struct Prepared {
    db: NonNull<ffi::sqlite3>,
    statement: NonNull<ffi::sqlite3_stmt>,
}

impl Prepared {
    /// Prepares `sql` on the connection `db`, which the caller keeps locked for as long as
    /// this statement lives.
    pub fn new(db: NonNull<ffi::sqlite3>, sql: &str) -> Result<Prepared, sqlx::Error> {
        let text = CString::new(sql).map_err(|e| sqlx::Error::Protocol(e.to_string()))?;
        let mut statement = std::ptr::null_mut();
        // SAFETY: valid connection, NUL-terminated SQL, out-pointer to a local.
        let code = unsafe {
            ffi::sqlite3_prepare_v2(
                db.as_ptr(),
                text.as_ptr(),
                -1,
                &mut statement,
                std::ptr::null_mut(),
            )
        };
        match NonNull::new(statement) {
            Some(statement) if code == ffi::SQLITE_OK => Ok(Prepared { db, statement }),
            _ => Err(error_from(db, code)),
        }
    }

    /// Binds `row` to the statement's parameters in order, runs it, and resets it.
    pub fn run(&mut self, row: &[Arg]) -> Result<(), sqlx::Error> {
        let s = self.statement.as_ptr();
        if let Err(e) = bind_args(self.db, s, row) {
            return Err(self.fail_with(e));
        }
        // SAFETY: as above.
        let code = unsafe { ffi::sqlite3_step(s) };
        if code != ffi::SQLITE_DONE {
            return Err(self.fail(code));
        }
        // SAFETY: as above.
        unsafe {
            ffi::sqlite3_reset(s);
        }
        Ok(())
    }

    /// Binds `args`, steps through every row the statement answers (reading each row's
    /// columns by position with `read`), and resets it.
    pub fn rows<R>(
        &mut self,
        args: &[Arg],
        mut read: impl FnMut(&Cells) -> Result<R, &'static str>,
    ) -> Result<Vec<R>, sqlx::Error> {
        let s = self.statement.as_ptr();
        if let Err(e) = bind_args(self.db, s, args) {
            return Err(self.fail_with(e));
        }
        let mut out = Vec::new();
        loop {
            // SAFETY: a live, bound statement.
            match unsafe { ffi::sqlite3_step(s) } {
                ffi::SQLITE_ROW => match read(&Cells(s)) {
                    Ok(r) => out.push(r),
                    Err(problem) => {
                        return Err(self.fail_with(sqlx::Error::Decode(problem.into())));
                    }
                },
                ffi::SQLITE_DONE => break,
                code => return Err(self.fail(code)),
            }
        }
        // SAFETY: resetting a live statement is always allowed.
        unsafe {
            ffi::sqlite3_reset(s);
        }
        Ok(out)
    }

    /// The error for `code`, leaving the statement ready for the next row.
    fn fail(&mut self, code: c_int) -> sqlx::Error {
        let error = error_from(self.db, code);
        self.fail_with(error)
    }

    /// `error`, leaving the statement ready for the next use.
    fn fail_with(&mut self, error: sqlx::Error) -> sqlx::Error {
        // SAFETY: resetting a live statement is always allowed.
        unsafe {
            ffi::sqlite3_reset(self.statement.as_ptr());
            ffi::sqlite3_clear_bindings(self.statement.as_ptr());
        }
        error
    }
}

/// The row a statement is positioned on, read by column position.
pub struct Cells(*mut ffi::sqlite3_stmt);

impl Cells {
    pub fn get<T: Column>(&self, index: c_int) -> Result<T, &'static str> {
        // SAFETY: `Cells` exists only while its statement is positioned on a row.
        T::read(unsafe { Value::at(self.0, index) })
    }
}

impl Drop for Prepared {
    fn drop(&mut self) {
        // SAFETY: finalizing our own statement once.
        unsafe {
            ffi::sqlite3_finalize(self.statement.as_ptr());
        }
    }
}

async fn insert_values(
    c: &mut Conn<'_>,
    table: &str,
    columns: &[&str],
    rows: Vec<Vec<Arg>>,
) -> Result<u64, sqlx::Error> {
    let per_statement = (MAX_VALUES / columns.len().max(1)).max(1);
    let mut inserted = 0;
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let mut sql = Sql::new(
            c.backend(),
            &format!("insert into {table} ({}) values ", columns.join(", ")),
        );
        for (i, row) in rows.by_ref().take(per_statement).enumerate() {
            sql.push(if i == 0 { "(" } else { ", (" });
            for (j, value) in row.into_iter().enumerate() {
                if j > 0 {
                    sql.push(", ");
                }
                sql.bind(value);
            }
            sql.push(")");
        }
        let text = sql.text;
        let args = sql.args;
        inserted += on!(c, c => bind_all!(sqlx::query(&text).persistent(false), &args).execute(c).await.map(|r| r.rows_affected()))?;
    }
    Ok(inserted)
}

/// The secondary indexes and full-text triggers a bulk load dropped, to be put back.
pub struct Dropped(Vec<(String, String, String)>);

/// SQLite: drops the secondary indexes and the full-text triggers of `tables` (inside the
/// load's transaction), keeping their definitions. Building an index once over a million
/// sorted rows is several times faster than a million scattered inserts.
pub async fn drop_secondary_structures(
    c: &mut Conn<'_>,
    tables: &[&str],
) -> Result<Dropped, sqlx::Error> {
    let names = tables
        .iter()
        .map(|t| format!("'{}'", t.replace('\'', "")))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "select type, name, sql from sqlite_master
         where type in ('index', 'trigger') and sql is not null and tbl_name in ({names})"
    );
    let saved: Vec<(String, String, String)> =
        on!(c, c => sqlx::query_as(&sql).fetch_all(&mut *c).await)?;
    on!(c, c => {
        sqlx::query("pragma cache_size = -131072").execute(&mut *c).await?;
        // Index builds sort with a helper thread.
        sqlx::query("pragma threads = 2").execute(&mut *c).await?;
        for (kind, name, _) in &saved {
            sqlx::query(&format!("drop {kind} \"{name}\"")).execute(&mut *c).await?;
        }
    });
    Ok(Dropped(saved))
}

/// Puts back what [`drop_secondary_structures`] took away, and rebuilds the search indexes.
pub async fn restore_secondary_structures(
    c: &mut Conn<'_>,
    saved: Dropped,
) -> Result<(), sqlx::Error> {
    on!(c, c => {
        for (_, _, sql) in &saved.0 {
            sqlx::query(sql).execute(&mut *c).await?;
        }
        for fts in ["leads_fts", "accounts_fts", "contacts_fts", "opportunities_fts"] {
            sqlx::query(&format!("insert into {fts} ({fts}) values ('rebuild')")).execute(&mut *c).await?;
        }
        sqlx::query("pragma cache_size = -16000").execute(&mut *c).await?;
        sqlx::query("pragma threads = 0").execute(&mut *c).await?;
    });
    Ok(())
}
