//! Kickoff forms and their submissions.

use super::{Conn, on};
use crate::domain::form::{CustomField, FormCreates, FormDef, FormInput, StandardField};
use chrono::{DateTime, Utc};
use uuid::Uuid;

#[derive(sqlx::FromRow)]
struct FormRow {
    id: Uuid,
    slug: String,
    title: String,
    intro: String,
    standard_fields: String,
    custom_fields: String,
    creates: String,
    owner_id: Uuid,
    active: bool,
    submissions: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    version: i64,
}

impl FormRow {
    /// A stored definition that no longer reads (hand-edited JSON) shows as a form without
    /// those questions rather than failing every page that lists forms.
    fn def(self) -> FormDef {
        let standard: Vec<StandardField> =
            serde_json::from_str(&self.standard_fields).unwrap_or_default();
        let custom: Vec<CustomField> =
            serde_json::from_str(&self.custom_fields).unwrap_or_default();
        FormDef {
            id: self.id,
            input: FormInput {
                slug: self.slug,
                title: self.title,
                intro: self.intro,
                standard_fields: standard,
                custom_fields: custom,
                creates: self.creates.parse().unwrap_or(FormCreates::Lead),
                active: self.active,
            },
            owner_id: self.owner_id,
            submissions: self.submissions,
            created_at: self.created_at,
            updated_at: self.updated_at,
            version: self.version,
        }
    }
}

const SELECT: &str = "select f.id, f.slug, f.title, f.intro, f.standard_fields, f.custom_fields, f.creates,
        f.owner_id, f.active, (select count(*) from form_submissions s where s.form_id = f.id) as submissions,
        f.created_at, f.updated_at, f.version
    from forms f";

pub async fn list(c: &mut Conn<'_>) -> Result<Vec<FormDef>, sqlx::Error> {
    let sql = format!("{SELECT} order by f.title, f.id");
    let rows: Vec<FormRow> = on!(c, c => sqlx::query_as(&sql).fetch_all(c).await)?;
    Ok(rows.into_iter().map(FormRow::def).collect())
}

pub async fn by_slug(c: &mut Conn<'_>, slug: &str) -> Result<Option<FormDef>, sqlx::Error> {
    let sql = format!("{SELECT} where f.slug = $1");
    let row: Option<FormRow> =
        on!(c, c => sqlx::query_as(&sql).bind(slug).fetch_optional(c).await)?;
    Ok(row.map(FormRow::def))
}

pub async fn by_id(c: &mut Conn<'_>, id: Uuid) -> Result<Option<FormDef>, sqlx::Error> {
    let sql = format!("{SELECT} where f.id = $1");
    let row: Option<FormRow> = on!(c, c => sqlx::query_as(&sql).bind(id).fetch_optional(c).await)?;
    Ok(row.map(FormRow::def))
}

fn json(v: &impl serde::Serialize) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "[]".into())
}

pub async fn insert(
    c: &mut Conn<'_>,
    id: Uuid,
    f: &FormInput,
    owner_id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let sql = "insert into forms (id, slug, title, intro, standard_fields, custom_fields, creates, owner_id,
                   active, created_at, updated_at, version)
               values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, 1)";
    on!(c, c => sqlx::query(sql).bind(id).bind(&f.slug).bind(&f.title).bind(&f.intro)
        .bind(json(&f.standard_fields)).bind(json(&f.custom_fields)).bind(f.creates.as_str()).bind(owner_id)
        .bind(f.active).bind(now).execute(c).await.map(|_| ()))
}

pub async fn update(
    c: &mut Conn<'_>,
    id: Uuid,
    version: i64,
    f: &FormInput,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let sql = "update forms set slug = $3, title = $4, intro = $5, standard_fields = $6, custom_fields = $7,
                   creates = $8, active = $9, updated_at = $10, version = version + 1
               where id = $1 and version = $2";
    on!(c, c => sqlx::query(sql).bind(id).bind(version).bind(&f.slug).bind(&f.title).bind(&f.intro)
        .bind(json(&f.standard_fields)).bind(json(&f.custom_fields)).bind(f.creates.as_str())
        .bind(f.active).bind(now).execute(c).await.map(|r| r.rows_affected() == 1))
}

/// The record an earlier submission with this key created, if any.
pub async fn submission(
    c: &mut Conn<'_>,
    form_id: Uuid,
    key: &str,
) -> Result<Option<(String, Uuid)>, sqlx::Error> {
    let sql = "select record_type, record_id from form_submissions where form_id = $1 and submission_key = $2";
    on!(c, c => sqlx::query_as(sql).bind(form_id).bind(key).fetch_optional(c).await)
}

/// One record per form and submission key: the same post twice creates one record.
pub const SUBMISSION_SEEN: super::Unique = super::Unique {
    postgres: "form_submissions_key",
    sqlite: "form_submissions.form_id",
};

/// Remembers a submission; the same key again fails on [`SUBMISSION_SEEN`].
pub async fn insert_submission(
    c: &mut Conn<'_>,
    form_id: Uuid,
    key: &str,
    record_type: &str,
    record_id: Uuid,
    ip: &str,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let sql = "insert into form_submissions (id, form_id, submission_key, record_type, record_id, ip, created_at)
               values ($1, $2, $3, $4, $5, $6, $7)";
    on!(c, c => sqlx::query(sql).bind(Uuid::now_v7()).bind(form_id).bind(key).bind(record_type)
        .bind(record_id).bind(ip).bind(now).execute(c).await.map(|_| ()))
}

/// Stores a record's custom answers (JSON text) on a lead or a contact.
pub async fn set_custom(
    c: &mut Conn<'_>,
    table: &str,
    id: Uuid,
    custom: &serde_json::Value,
) -> Result<(), sqlx::Error> {
    let table = if table == "contacts" {
        "contacts"
    } else {
        "leads"
    };
    let sql = format!("update {table} set custom = $2 where id = $1");
    on!(c, c => sqlx::query(&sql).bind(id).bind(custom.to_string()).execute(c).await.map(|_| ()))
}
