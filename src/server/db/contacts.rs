//! Contacts.

use super::cells::{Cells, Decoded, custom_answers, rows_decoded};
use super::list::ListSpec;
use super::sql::Arg;
use super::sql::{SortColumn, SortType};
use super::{Conn, Db, on};
use crate::domain::contact::{Contact, ContactFields};
use uuid::Uuid;

pub const SELECT: &str = "select c.id, c.owner_id, u.name as owner_name, c.first_name, c.last_name, c.email, c.phone,
        c.title, c.account_id, c.role, c.active, c.is_test, a.name as account_name,
        c.created_at, c.updated_at, c.version, c.custom
    from contacts c left join users u on u.id = c.owner_id left join accounts a on a.id = c.account_id";

pub const LIST: ListSpec = ListSpec {
    select: SELECT,
    alias: "c",
    sorts: &[
        SortColumn {
            field: "created_at",
            expr: "c.created_at",
            kind: SortType::Time,
        },
        SortColumn {
            field: "updated_at",
            expr: "c.updated_at",
            kind: SortType::Time,
        },
        SortColumn {
            field: "last_name",
            expr: "coalesce(c.last_name, '')",
            kind: SortType::Text,
        },
        SortColumn {
            field: "first_name",
            expr: "coalesce(c.first_name, '')",
            kind: SortType::Text,
        },
        SortColumn {
            field: "email",
            expr: "coalesce(c.email, '')",
            kind: SortType::Text,
        },
        SortColumn {
            field: "role",
            expr: "c.role",
            kind: SortType::Text,
        },
    ],
    default_sort: "created_at",
    default_descending: true,
    fts_table: Some("contacts_fts"),
    walk_sorts: &["created_at"],
};

/// One contact by id.
pub static BY_ID: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| format!("{SELECT} where c.id = $1"));

pub async fn get(c: &mut Conn<'_>, id: Uuid) -> Result<Option<Contact>, sqlx::Error> {
    on!(c, c => sqlx::query_as(BY_ID.as_str()).bind(id).fetch_optional(c).await)
}

/// The contact `id` outside any transaction, read on the request's thread where the
/// backend allows ([`Db::read_one`]).
pub async fn get_now(db: &Db, id: Uuid) -> Result<Option<Contact>, sqlx::Error> {
    db.read_one(&BY_ID, vec![Arg::Uuid(id)]).await
}

impl Decoded for Contact {
    fn decode(r: &impl Cells) -> Result<Self, sqlx::Error> {
        Ok(Contact {
            id: r.cell("id")?,
            owner_id: r.cell("owner_id")?,
            owner_name: r.cell("owner_name")?,
            fields: ContactFields {
                first_name: r.cell("first_name")?,
                last_name: r.cell("last_name")?,
                email: r.cell("email")?,
                phone: r.cell("phone")?,
                title: r.cell("title")?,
                account_id: r.cell("account_id")?,
                role: r.cell("role")?,
                active: r.cell("active")?,
                is_test: r.cell("is_test")?,
            },
            account_name: r.cell("account_name")?,
            custom: custom_answers(r.cell("custom")?),
            created_at: r.cell("created_at")?,
            updated_at: r.cell("updated_at")?,
            version: r.cell("version")?,
        })
    }
}

rows_decoded!(Contact);

pub async fn insert(c: &mut Conn<'_>, k: &Contact) -> Result<(), sqlx::Error> {
    let sql = "insert into contacts (id, owner_id, first_name, last_name, email, phone, title, account_id, role,
                   active, is_test, created_at, updated_at, version)
               values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12, 1)";
    let f = &k.fields;
    on!(c, c => sqlx::query(sql)
        .bind(k.id).bind(k.owner_id).bind(&f.first_name).bind(&f.last_name).bind(&f.email).bind(&f.phone)
        .bind(&f.title).bind(f.account_id).bind(f.role).bind(f.active).bind(f.is_test).bind(k.created_at)
        .execute(c).await.map(|_| ()))
}

pub async fn update(c: &mut Conn<'_>, k: &Contact, version: i64) -> Result<bool, sqlx::Error> {
    let sql = "update contacts set owner_id = $3, first_name = $4, last_name = $5, email = $6, phone = $7,
                   title = $8, account_id = $9, role = $10, active = $11, is_test = $12, updated_at = $13,
                   version = version + 1
               where id = $1 and version = $2";
    let f = &k.fields;
    on!(c, c => sqlx::query(sql)
        .bind(k.id).bind(version).bind(k.owner_id).bind(&f.first_name).bind(&f.last_name).bind(&f.email)
        .bind(&f.phone).bind(&f.title).bind(f.account_id).bind(f.role).bind(f.active).bind(f.is_test)
        .bind(k.updated_at)
        .execute(c).await.map(|r| r.rows_affected() == 1))
}

pub async fn id_by_email(c: &mut Conn<'_>, email: &str) -> Result<Option<Uuid>, sqlx::Error> {
    on!(c, c => sqlx::query_scalar("select id from contacts where email = $1").bind(email).fetch_optional(c).await)
}

pub async fn delete(c: &mut Conn<'_>, id: Uuid) -> Result<bool, sqlx::Error> {
    on!(c, c => sqlx::query("delete from contacts where id = $1").bind(id).execute(c).await.map(|r| r.rows_affected() == 1))
}
