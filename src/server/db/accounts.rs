//! Accounts (companies).

use super::cells::{Cells, Decoded, rows_decoded};
use super::list::ListSpec;
use super::sql::Arg;
use super::sql::{SortColumn, SortType};
use super::{Conn, Db, on};
use crate::domain::account::{Account, AccountFields};
use uuid::Uuid;

pub const SELECT: &str = "select a.id, a.owner_id, u.name as owner_name, a.name, a.domain, a.industry, a.phone,
        a.city, a.annual_revenue, a.primary_contact_id,
        case when pc.id is null then null
             else trim(coalesce(pc.first_name, '') || ' ' || coalesce(pc.last_name, '')) end as primary_contact_name,
        (select count(*) from contacts cc where cc.account_id = a.id) as contact_count,
        a.created_at, a.updated_at, a.version
    from accounts a left join users u on u.id = a.owner_id left join contacts pc on pc.id = a.primary_contact_id";

pub const LIST: ListSpec = ListSpec {
    select: SELECT,
    alias: "a",
    sorts: &[
        SortColumn {
            field: "name",
            expr: "a.name",
            kind: SortType::Text,
        },
        SortColumn {
            field: "created_at",
            expr: "a.created_at",
            kind: SortType::Time,
        },
        SortColumn {
            field: "updated_at",
            expr: "a.updated_at",
            kind: SortType::Time,
        },
        SortColumn {
            field: "domain",
            expr: "coalesce(a.domain, '')",
            kind: SortType::Text,
        },
        SortColumn {
            field: "industry",
            expr: "coalesce(a.industry, '')",
            kind: SortType::Text,
        },
        SortColumn {
            field: "city",
            expr: "coalesce(a.city, '')",
            kind: SortType::Text,
        },
        SortColumn {
            field: "annual_revenue",
            expr: "coalesce(a.annual_revenue, -1)",
            kind: SortType::Int,
        },
    ],
    default_sort: "name",
    default_descending: false,
    fts_table: Some("accounts_fts"),
    walk_sorts: &["created_at", "name"],
};

/// One account by id.
pub static BY_ID: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| format!("{SELECT} where a.id = $1"));

pub async fn get(c: &mut Conn<'_>, id: Uuid) -> Result<Option<Account>, sqlx::Error> {
    on!(c, c => sqlx::query_as(BY_ID.as_str()).bind(id).fetch_optional(c).await)
}

/// The account `id` outside any transaction, read on the request's thread where the
/// backend allows ([`Db::read_one`]).
pub async fn get_now(db: &Db, id: Uuid) -> Result<Option<Account>, sqlx::Error> {
    db.read_one(&BY_ID, vec![Arg::Uuid(id)]).await
}

impl Decoded for Account {
    fn decode(r: &impl Cells) -> Result<Self, sqlx::Error> {
        Ok(Account {
            id: r.cell("id")?,
            owner_id: r.cell("owner_id")?,
            owner_name: r.cell("owner_name")?,
            fields: AccountFields {
                name: r.cell("name")?,
                domain: r.cell("domain")?,
                industry: r.cell("industry")?,
                phone: r.cell("phone")?,
                city: r.cell("city")?,
                annual_revenue: r.cell("annual_revenue")?,
                primary_contact_id: r.cell("primary_contact_id")?,
            },
            primary_contact_name: r.cell("primary_contact_name")?,
            contact_count: r.cell("contact_count")?,
            created_at: r.cell("created_at")?,
            updated_at: r.cell("updated_at")?,
            version: r.cell("version")?,
        })
    }
}

rows_decoded!(Account);

pub async fn insert(c: &mut Conn<'_>, a: &Account) -> Result<(), sqlx::Error> {
    let sql =
        "insert into accounts (id, owner_id, name, domain, industry, phone, city, annual_revenue,
                   primary_contact_id, created_at, updated_at, version)
               values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, 1)";
    let f = &a.fields;
    on!(c, c => sqlx::query(sql)
        .bind(a.id).bind(a.owner_id).bind(&f.name).bind(&f.domain).bind(&f.industry).bind(&f.phone)
        .bind(&f.city).bind(f.annual_revenue).bind(f.primary_contact_id).bind(a.created_at)
        .execute(c).await.map(|_| ()))
}

pub async fn update(c: &mut Conn<'_>, a: &Account, version: i64) -> Result<bool, sqlx::Error> {
    let sql = "update accounts set owner_id = $3, name = $4, domain = $5, industry = $6, phone = $7, city = $8,
                   annual_revenue = $9, primary_contact_id = $10, updated_at = $11, version = version + 1
               where id = $1 and version = $2";
    let f = &a.fields;
    on!(c, c => sqlx::query(sql)
        .bind(a.id).bind(version).bind(a.owner_id).bind(&f.name).bind(&f.domain).bind(&f.industry)
        .bind(&f.phone).bind(&f.city).bind(f.annual_revenue).bind(f.primary_contact_id).bind(a.updated_at)
        .execute(c).await.map(|r| r.rows_affected() == 1))
}

pub async fn id_by_domain(c: &mut Conn<'_>, domain: &str) -> Result<Option<Uuid>, sqlx::Error> {
    on!(c, c => sqlx::query_scalar("select id from accounts where domain = $1").bind(domain).fetch_optional(c).await)
}

/// An account whose name equals `name`, ignoring case and surrounding spaces.
pub async fn id_by_name(c: &mut Conn<'_>, name: &str) -> Result<Option<Uuid>, sqlx::Error> {
    let sql = "select id from accounts where lower(name) = lower($1) order by created_at limit 1";
    on!(c, c => sqlx::query_scalar(sql).bind(name.trim()).fetch_optional(c).await)
}

pub async fn delete(c: &mut Conn<'_>, id: Uuid) -> Result<bool, sqlx::Error> {
    on!(c, c => sqlx::query("delete from accounts where id = $1").bind(id).execute(c).await.map(|r| r.rows_affected() == 1))
}
