//! One decoder per row type, whichever way the row was read: through sqlx on SQLite, through
//! sqlx on PostgreSQL, or stepped directly on the request's thread ([`super::direct`]). A
//! type says once, in [`Decoded`], which column fills which field; [`rows_decoded!`] turns
//! that into sqlx's `FromRow` for both backends, and every `Decoded` type is read directly
//! too. There is no second decoder to forget a column in.

use super::direct::{DirectError, FromDirect, Row as DirectRow};
use super::sqlite::Column;
use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;
use sqlx::{Decode, Postgres, Row, Sqlite, Type};

/// A value every read path decodes the same way (sqlx on both backends, and the direct path
/// reading what sqlx stored in SQLite).
pub trait Cell:
    Column + Type<Sqlite> + for<'r> Decode<'r, Sqlite> + Type<Postgres> + for<'r> Decode<'r, Postgres>
{
}

impl<T> Cell for T where
    T: Column
        + Type<Sqlite>
        + for<'r> Decode<'r, Sqlite>
        + Type<Postgres>
        + for<'r> Decode<'r, Postgres>
{
}

/// A row whose columns are read by name.
pub trait Cells {
    fn cell<T: Cell>(&self, name: &str) -> Result<T, sqlx::Error>;
}

impl Cells for SqliteRow {
    fn cell<T: Cell>(&self, name: &str) -> Result<T, sqlx::Error> {
        self.try_get(name)
    }
}

impl Cells for PgRow {
    fn cell<T: Cell>(&self, name: &str) -> Result<T, sqlx::Error> {
        self.try_get(name)
    }
}

impl Cells for DirectRow<'_> {
    fn cell<T: Cell>(&self, name: &str) -> Result<T, sqlx::Error> {
        self.get(name).map_err(|e| sqlx::Error::ColumnDecode {
            index: name.to_string(),
            source: Box::new(e),
        })
    }
}

/// A row type read by column name from any [`Cells`].
pub trait Decoded: Sized {
    fn decode(r: &impl Cells) -> Result<Self, sqlx::Error>;
}

impl<T: Decoded> FromDirect for T {
    fn from_direct(r: &DirectRow<'_>) -> Result<Self, DirectError> {
        T::decode(r).map_err(DirectError::from)
    }
}

/// sqlx's `FromRow` on both backends for [`Decoded`] types.
macro_rules! rows_decoded {
    ($($t:ty),+ $(,)?) => {
        $(
            impl<'r> ::sqlx::FromRow<'r, ::sqlx::sqlite::SqliteRow> for $t {
                fn from_row(r: &'r ::sqlx::sqlite::SqliteRow) -> Result<Self, ::sqlx::Error> {
                    <$t as $crate::server::db::cells::Decoded>::decode(r)
                }
            }
            impl<'r> ::sqlx::FromRow<'r, ::sqlx::postgres::PgRow> for $t {
                fn from_row(r: &'r ::sqlx::postgres::PgRow) -> Result<Self, ::sqlx::Error> {
                    <$t as $crate::server::db::cells::Decoded>::decode(r)
                }
            }
        )+
    };
}
pub(crate) use rows_decoded;

/// Custom answers as they are kept: JSON text, NULL when there are none.
pub fn custom_answers(text: Option<String>) -> crate::domain::records::CustomAnswers {
    let Ok(answers) = crate::domain::records::CustomAnswers::try_from(text);
    answers
}
