//! Opportunities, their stage history, and the pipeline stages.

use super::cells::{Cells, Decoded, rows_decoded};
use super::list::ListSpec;
use super::sql::Arg;
use super::sql::{SortColumn, SortType};
use super::{Conn, Db, on};
use crate::domain::opportunity::{
    Opportunity, OpportunityFields, StageChange, StageDef, StageKind,
};
use chrono::{DateTime, Utc};
use uuid::Uuid;

pub const SELECT: &str = "select o.id, o.owner_id, u.name as owner_name, o.name, o.account_id, o.primary_contact_id,
        o.value_minor, o.currency, o.expected_close, o.lost_reason, o.stage, st.label as stage_label, o.probability,
        a.name as account_name,
        case when pc.id is null then null
             else trim(coalesce(pc.first_name, '') || ' ' || coalesce(pc.last_name, '')) end as primary_contact_name,
        o.stage_entered_at, o.closed_at, o.lead_id, o.created_at, o.updated_at, o.version
    from opportunities o left join users u on u.id = o.owner_id left join accounts a on a.id = o.account_id
        left join contacts pc on pc.id = o.primary_contact_id
        left join pipeline_stages st on st.key = o.stage";

pub const LIST: ListSpec = ListSpec {
    select: SELECT,
    alias: "o",
    sorts: &[
        SortColumn {
            field: "created_at",
            expr: "o.created_at",
            kind: SortType::Time,
        },
        SortColumn {
            field: "updated_at",
            expr: "o.updated_at",
            kind: SortType::Time,
        },
        SortColumn {
            field: "name",
            expr: "o.name",
            kind: SortType::Text,
        },
        SortColumn {
            field: "value",
            expr: "coalesce(o.value_minor, -1)",
            kind: SortType::Int,
        },
        SortColumn {
            field: "expected_close",
            expr: "coalesce(o.expected_close, '9999-12-31')",
            kind: SortType::Date,
        },
        SortColumn {
            field: "stage",
            expr: "o.stage",
            kind: SortType::Text,
        },
        // Only closed deals have a close time: sorting by it lists those (see the service).
        SortColumn {
            field: "closed_at",
            expr: "o.closed_at",
            kind: SortType::Time,
        },
        SortColumn {
            field: "probability",
            expr: "o.probability",
            kind: SortType::Int,
        },
    ],
    default_sort: "created_at",
    default_descending: true,
    fts_table: Some("opportunities_fts"),
    walk_sorts: &["created_at"],
};

/// One opportunity by id.
pub static BY_ID: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| format!("{SELECT} where o.id = $1"));

pub async fn get(c: &mut Conn<'_>, id: Uuid) -> Result<Option<Opportunity>, sqlx::Error> {
    on!(c, c => sqlx::query_as(BY_ID.as_str()).bind(id).fetch_optional(c).await)
}

/// The opportunity `id` outside any transaction, read on the request's thread where the
/// backend allows ([`Db::read_one`]).
pub async fn get_now(db: &Db, id: Uuid) -> Result<Option<Opportunity>, sqlx::Error> {
    db.read_one(&BY_ID, vec![Arg::Uuid(id)]).await
}

impl Decoded for Opportunity {
    fn decode(r: &impl Cells) -> Result<Self, sqlx::Error> {
        Ok(Opportunity {
            id: r.cell("id")?,
            owner_id: r.cell("owner_id")?,
            owner_name: r.cell("owner_name")?,
            fields: OpportunityFields {
                name: r.cell("name")?,
                account_id: r.cell("account_id")?,
                primary_contact_id: r.cell("primary_contact_id")?,
                value: r.cell("value_minor")?,
                currency: r.cell("currency")?,
                expected_close: r.cell("expected_close")?,
                lost_reason: r.cell("lost_reason")?,
            },
            stage: r.cell("stage")?,
            stage_label: r.cell("stage_label")?,
            probability: r.cell("probability")?,
            account_name: r.cell("account_name")?,
            primary_contact_name: r.cell("primary_contact_name")?,
            stage_entered_at: r.cell("stage_entered_at")?,
            closed_at: r.cell("closed_at")?,
            lead_id: r.cell("lead_id")?,
            created_at: r.cell("created_at")?,
            updated_at: r.cell("updated_at")?,
            version: r.cell("version")?,
        })
    }
}

rows_decoded!(Opportunity);

pub async fn insert(c: &mut Conn<'_>, o: &Opportunity) -> Result<(), sqlx::Error> {
    let sql = "insert into opportunities (id, owner_id, name, account_id, primary_contact_id, value_minor, currency,
                   stage, probability, expected_close, lost_reason, stage_entered_at, closed_at, lead_id,
                   created_at, updated_at, version)
               values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15, 1)";
    let f = &o.fields;
    on!(c, c => sqlx::query(sql)
        .bind(o.id).bind(o.owner_id).bind(&f.name).bind(f.account_id).bind(f.primary_contact_id).bind(f.value)
        .bind(&f.currency).bind(&o.stage).bind(o.probability).bind(f.expected_close).bind(f.lost_reason)
        .bind(o.stage_entered_at).bind(o.closed_at).bind(o.lead_id).bind(o.created_at)
        .execute(c).await.map(|_| ()))
}

pub async fn update(c: &mut Conn<'_>, o: &Opportunity, version: i64) -> Result<bool, sqlx::Error> {
    let sql = "update opportunities set owner_id = $3, name = $4, account_id = $5, primary_contact_id = $6,
                   value_minor = $7, currency = $8, stage = $9, probability = $10, expected_close = $11,
                   lost_reason = $12, stage_entered_at = $13, closed_at = $14, updated_at = $15,
                   version = version + 1
               where id = $1 and version = $2";
    let f = &o.fields;
    on!(c, c => sqlx::query(sql)
        .bind(o.id).bind(version).bind(o.owner_id).bind(&f.name).bind(f.account_id).bind(f.primary_contact_id)
        .bind(f.value).bind(&f.currency).bind(&o.stage).bind(o.probability).bind(f.expected_close)
        .bind(f.lost_reason).bind(o.stage_entered_at).bind(o.closed_at).bind(o.updated_at)
        .execute(c).await.map(|r| r.rows_affected() == 1))
}

pub async fn delete(c: &mut Conn<'_>, id: Uuid) -> Result<bool, sqlx::Error> {
    on!(c, c => sqlx::query("delete from opportunities where id = $1").bind(id).execute(c).await.map(|r| r.rows_affected() == 1))
}

pub async fn record_stage_change(
    c: &mut Conn<'_>,
    opportunity_id: Uuid,
    from: Option<&str>,
    to: &str,
    at: DateTime<Utc>,
    by: Option<Uuid>,
) -> Result<(), sqlx::Error> {
    let sql = "insert into stage_history (id, opportunity_id, from_stage, to_stage, at, by_user_id)
               values ($1, $2, $3, $4, $5, $6)";
    on!(c, c => sqlx::query(sql).bind(Uuid::now_v7()).bind(opportunity_id).bind(from).bind(to).bind(at).bind(by)
        .execute(c).await.map(|_| ()))
}

pub async fn stage_history(
    c: &mut Conn<'_>,
    opportunity_id: Uuid,
) -> Result<Vec<StageChange>, sqlx::Error> {
    let sql = "select id, opportunity_id, from_stage, to_stage, at, by_user_id from stage_history
               where opportunity_id = $1 order by at desc, id desc";
    on!(c, c => sqlx::query_as(sql).bind(opportunity_id).fetch_all(c).await)
}

#[derive(sqlx::FromRow)]
struct StageRow {
    key: String,
    label: String,
    position: i32,
    probability: i32,
    kind: String,
    required_fields: String,
    aging_days: Option<i32>,
}

/// The pipeline stages in board order.
pub async fn stages(c: &mut Conn<'_>) -> Result<Vec<StageDef>, sqlx::Error> {
    let sql = "select key, label, position, probability, kind, required_fields, aging_days
               from pipeline_stages where archived_at is null order by position, key";
    let rows: Vec<StageRow> = on!(c, c => sqlx::query_as(sql).fetch_all(c).await)?;
    Ok(rows
        .into_iter()
        .map(|r| StageDef {
            kind: r.kind.parse().unwrap_or(StageKind::Open),
            required_fields: serde_json::from_str(&r.required_fields).unwrap_or_default(),
            key: r.key,
            label: r.label,
            position: r.position,
            probability: r.probability,
            aging_days: r.aging_days,
        })
        .collect())
}
