//! Leads.

use super::cells::{Cells, Decoded, custom_answers, rows_decoded};
use super::list::ListSpec;
use super::sql::Arg;
use super::sql::{SortColumn, SortType};
use super::{Conn, Db, on};
use crate::domain::lead::{Lead, LeadFields};
use chrono::{DateTime, Utc};
use uuid::Uuid;

pub const SELECT: &str =
    "select l.id, l.owner_id, u.name as owner_name, l.status, l.disqualify_reason,
        l.name, l.company, l.email, l.phone, l.source, l.utm_source, l.utm_medium, l.utm_campaign,
        l.converted_account_id, l.converted_contact_id, l.converted_opportunity_id,
        l.created_at, l.updated_at, l.version, l.custom
    from leads l left join users u on u.id = l.owner_id";

pub const LIST: ListSpec = ListSpec {
    select: SELECT,
    alias: "l",
    sorts: &[
        SortColumn {
            field: "created_at",
            expr: "l.created_at",
            kind: SortType::Time,
        },
        SortColumn {
            field: "updated_at",
            expr: "l.updated_at",
            kind: SortType::Time,
        },
        SortColumn {
            field: "name",
            expr: "l.name",
            kind: SortType::Text,
        },
        SortColumn {
            field: "company",
            expr: "coalesce(l.company, '')",
            kind: SortType::Text,
        },
        SortColumn {
            field: "email",
            expr: "coalesce(l.email, '')",
            kind: SortType::Text,
        },
        SortColumn {
            field: "status",
            expr: "l.status",
            kind: SortType::Text,
        },
    ],
    default_sort: "created_at",
    default_descending: true,
    fts_table: Some("leads_fts"),
    walk_sorts: &["created_at", "name"],
};

/// One lead by id, with its owner's name.
pub static BY_ID: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| format!("{SELECT} where l.id = $1"));

pub async fn get(c: &mut Conn<'_>, id: Uuid) -> Result<Option<Lead>, sqlx::Error> {
    on!(c, c => sqlx::query_as(BY_ID.as_str()).bind(id).fetch_optional(c).await)
}

/// The lead `id` outside any transaction, read on the request's thread where the backend
/// allows ([`Db::read_one`]).
pub async fn get_now(db: &Db, id: Uuid) -> Result<Option<Lead>, sqlx::Error> {
    db.read_one(&BY_ID, vec![Arg::Uuid(id)]).await
}

impl Decoded for Lead {
    fn decode(r: &impl Cells) -> Result<Self, sqlx::Error> {
        Ok(Lead {
            id: r.cell("id")?,
            owner_id: r.cell("owner_id")?,
            owner_name: r.cell("owner_name")?,
            status: r.cell("status")?,
            disqualify_reason: r.cell("disqualify_reason")?,
            fields: LeadFields {
                name: r.cell("name")?,
                company: r.cell("company")?,
                email: r.cell("email")?,
                phone: r.cell("phone")?,
                source: r.cell("source")?,
                utm_source: r.cell("utm_source")?,
                utm_medium: r.cell("utm_medium")?,
                utm_campaign: r.cell("utm_campaign")?,
            },
            converted_account_id: r.cell("converted_account_id")?,
            converted_contact_id: r.cell("converted_contact_id")?,
            converted_opportunity_id: r.cell("converted_opportunity_id")?,
            custom: custom_answers(r.cell("custom")?),
            created_at: r.cell("created_at")?,
            updated_at: r.cell("updated_at")?,
            version: r.cell("version")?,
        })
    }
}

rows_decoded!(Lead);

pub async fn insert(c: &mut Conn<'_>, l: &Lead) -> Result<(), sqlx::Error> {
    let sql = "insert into leads (id, owner_id, name, company, email, phone, source, utm_source, utm_medium,
                   utm_campaign, status, disqualify_reason, created_at, updated_at, version)
               values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13, 1)";
    let f = &l.fields;
    on!(c, c => sqlx::query(sql)
        .bind(l.id).bind(l.owner_id).bind(&f.name).bind(&f.company).bind(&f.email).bind(&f.phone)
        .bind(f.source).bind(&f.utm_source).bind(&f.utm_medium).bind(&f.utm_campaign)
        .bind(l.status).bind(&l.disqualify_reason).bind(l.created_at)
        .execute(c).await.map(|_| ()))
}

/// Writes `l` over the stored lead if it is still at `version`; false when someone else
/// changed it first.
pub async fn update(c: &mut Conn<'_>, l: &Lead, version: i64) -> Result<bool, sqlx::Error> {
    let sql = "update leads set owner_id = $3, name = $4, company = $5, email = $6, phone = $7, source = $8,
                   utm_source = $9, utm_medium = $10, utm_campaign = $11, status = $12, disqualify_reason = $13,
                   converted_account_id = $14, converted_contact_id = $15, converted_opportunity_id = $16,
                   updated_at = $17, version = version + 1
               where id = $1 and version = $2";
    let f = &l.fields;
    on!(c, c => sqlx::query(sql)
        .bind(l.id).bind(version).bind(l.owner_id).bind(&f.name).bind(&f.company).bind(&f.email)
        .bind(&f.phone).bind(f.source).bind(&f.utm_source).bind(&f.utm_medium).bind(&f.utm_campaign)
        .bind(l.status).bind(&l.disqualify_reason).bind(l.converted_account_id)
        .bind(l.converted_contact_id).bind(l.converted_opportunity_id).bind(l.updated_at)
        .execute(c).await.map(|r| r.rows_affected() == 1))
}

/// Open leads (new or contacted) with this email, other than `except`.
pub async fn open_with_email(
    c: &mut Conn<'_>,
    email: &str,
    except: Option<Uuid>,
) -> Result<Vec<(Uuid, String)>, sqlx::Error> {
    let sql = "select id, name from leads where email = $1 and status in ('new', 'contacted')
               and ($2 is null or id <> $2) order by created_at limit 5";
    on!(c, c => sqlx::query_as(sql).bind(email).bind(except).fetch_all(c).await)
}

pub async fn delete(c: &mut Conn<'_>, id: Uuid) -> Result<bool, sqlx::Error> {
    on!(c, c => sqlx::query("delete from leads where id = $1").bind(id).execute(c).await.map(|r| r.rows_affected() == 1))
}

pub async fn touch(c: &mut Conn<'_>, id: Uuid, now: DateTime<Utc>) -> Result<(), sqlx::Error> {
    on!(c, c => sqlx::query("update leads set updated_at = $2 where id = $1").bind(id).bind(now).execute(c).await.map(|_| ()))
}

/// The leads that became this account, contact or opportunity when qualified: (id, name).
pub async fn converted_into(
    c: &mut Conn<'_>,
    kind: crate::domain::records::RecordKind,
    id: Uuid,
) -> Result<Vec<(Uuid, String)>, sqlx::Error> {
    use crate::domain::records::RecordKind;
    let sql = match kind {
        RecordKind::Account => "select id, name from leads where converted_account_id = $1",
        RecordKind::Contact => "select id, name from leads where converted_contact_id = $1",
        RecordKind::Opportunity => "select id, name from leads where converted_opportunity_id = $1",
        _ => return Ok(Vec::new()),
    };
    on!(c, c => sqlx::query_as(sql).bind(id).fetch_all(c).await)
}
