//! The pipeline's figures and configuration: running totals for the board, the summary and
//! chart figures (one aggregate query each, computed by the database), monthly targets, and
//! saving the stage list.

use super::sql::{Arg, Sql};
use super::{Backend, Conn, on};
use crate::bind_all;
use crate::domain::opportunity::StageDef;
use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

/// Whose opportunities a figure counts: one owner (the owner filter) and among whom (the
/// asker's sight and the chosen team, when either narrows it), each optional.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Owners {
    pub one: Option<Uuid>,
    pub among: Option<Vec<Uuid>>,
}

impl Owners {
    /// `and <column> in (…)` for `among`, with the ids written as literals (they are uuids,
    /// formatted here, so the statement's numbered parameters stay as they are).
    fn among_sql(&self, backend: Backend, column: &str) -> String {
        match &self.among {
            None => String::new(),
            Some(ids) => format!(" and {}", super::sql::uuid_in(backend, column, ids)),
        }
    }
}

/// Count and value of a group of opportunities in one currency.
#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
pub struct Total {
    pub stage: String,
    pub currency: String,
    pub count: i64,
    pub value: i64,
}

/// Every stage's count and value from the running totals (optionally one owner's): constant
/// time however many opportunities there are.
pub async fn running_totals(c: &mut Conn<'_>, owners: &Owners) -> Result<Vec<Total>, sqlx::Error> {
    let among = owners.among_sql(c.backend(), "owner_id");
    let sql = format!(
        "select stage, currency, cast(sum(count) as bigint) as count,
                cast(sum(value_minor) as bigint) as value
         from pipeline_totals where ($1 is null or owner_id = $1){among}
         group by stage, currency having sum(count) > 0"
    );
    on!(c, c => sqlx::query_as(&sql).bind(owners.one).fetch_all(c).await)
}

/// Closed deals' counts and values by stage, from the monthly running totals: closes in
/// `since_month` (`YYYY-MM`) and after, or all.
pub async fn closed_totals(
    c: &mut Conn<'_>,
    owners: &Owners,
    since_month: Option<&str>,
) -> Result<Vec<Total>, sqlx::Error> {
    let among = owners.among_sql(c.backend(), "owner_id");
    let sql = format!(
        "select stage, currency, cast(sum(count) as bigint) as count,
                cast(sum(value_minor) as bigint) as value
         from pipeline_closed_totals
         where ($1 is null or owner_id = $1){among} and ($2 is null or month >= $2)
         group by stage, currency having sum(count) > 0"
    );
    on!(c, c => sqlx::query_as(&sql).bind(owners.one).bind(since_month).fetch_all(c).await)
}

/// The board's filters, as SQL over `opportunities o` (the same the column pages use).
pub struct BoardFilter {
    pub owners: Owners,
    /// The full-text query (already in the backend's syntax), if any.
    pub text: Option<String>,
    pub close_from: Option<NaiveDate>,
    pub close_to: Option<NaiveDate>,
    /// Closed opportunities count only when closed at or after this.
    pub closed_since: Option<DateTime<Utc>>,
}

/// Counts and values by stage under the board's filters: an aggregate over the rows that
/// match (used when a text or date filter is set, and for the closed columns' window).
pub async fn filtered_totals(
    c: &mut Conn<'_>,
    f: &BoardFilter,
    closed_only: bool,
) -> Result<Vec<Total>, sqlx::Error> {
    let mut sql = Sql::new(
        c.backend(),
        "select o.stage, o.currency, count(*) as count,
                cast(coalesce(sum(o.value_minor), 0) as bigint) as value
         from opportunities o where 1 = 1",
    );
    for (filter, args) in board_conditions(c.backend(), f) {
        sql.push(" and ");
        sql.push_bound(&filter, args);
    }
    if closed_only {
        // By stage, so each closed stage's (stage, closed_at) index range is read, not all rows.
        sql.push(
            " and o.stage in (select key from pipeline_stages where kind <> 'open') and o.closed_at is not null",
        );
    }
    sql.push(" group by o.stage, o.currency");
    let text = sql.text.clone();
    on!(c, c => bind_all!(sqlx::query_as(&text), &sql.args).fetch_all(c).await)
}

/// The board's filters as conditions on `opportunities o`, with `?` for their values.
pub fn board_conditions(backend: Backend, f: &BoardFilter) -> Vec<(String, Vec<Arg>)> {
    let mut out = Vec::new();
    if let Some(owner) = f.owners.one {
        out.push(("o.owner_id = ?".to_string(), vec![Arg::Uuid(owner)]));
    }
    if let Some(among) = &f.owners.among {
        out.push((
            super::sql::uuid_in(backend, "o.owner_id", among),
            Vec::new(),
        ));
    }
    if let Some(from) = f.close_from {
        out.push(("o.expected_close >= ?".to_string(), vec![Arg::Date(from)]));
    }
    if let Some(to) = f.close_to {
        out.push(("o.expected_close <= ?".to_string(), vec![Arg::Date(to)]));
    }
    if let Some(since) = f.closed_since {
        out.push((
            "(o.closed_at is null or o.closed_at >= ?)".to_string(),
            vec![Arg::Time(since)],
        ));
    }
    if let Some(text) = &f.text {
        let condition = match backend {
            Backend::Sqlite => {
                "o.seq in (select rowid from opportunities_fts where opportunities_fts match ?)"
            }
            Backend::Postgres => "o.search @@ to_tsquery('simple', ?)",
        };
        out.push((condition.to_string(), vec![Arg::Text(text.clone())]));
    }
    out
}

/// The summary strip's figures, in one query each (from the running totals, but for
/// conversion, which follows leads).
pub struct SummaryRow {
    pub open_value: i64,
    pub open_count: i64,
    pub leads: i64,
    pub leads_won: i64,
    pub won_count: i64,
    pub won_value: i64,
    pub month_value: i64,
    pub month_count: i64,
}

pub async fn summary(
    c: &mut Conn<'_>,
    owners: &Owners,
    currency: &str,
    since: DateTime<Utc>,
    this_month: &str,
) -> Result<SummaryRow, sqlx::Error> {
    let owner = owners.one;
    let (t_among, l_among) = (
        owners.among_sql(c.backend(), "t.owner_id"),
        owners.among_sql(c.backend(), "l.owner_id"),
    );
    let open = format!("select cast(coalesce(sum(t.value_minor), 0) as bigint), cast(coalesce(sum(t.count), 0) as bigint)
                from pipeline_totals t join pipeline_stages s on s.key = t.stage
                where s.kind = 'open' and t.currency = $2 and ($1 is null or t.owner_id = $1){t_among}");
    // A lead converts when an opportunity it became (by qualify, import or by hand) is won.
    let conversion = format!("select count(*), coalesce(sum(case when exists (
                          select 1 from opportunities o where o.lead_id = l.id
                              and o.stage in (select key from pipeline_stages where kind = 'won')
                      ) then 1 else 0 end), 0)
                      from leads l where l.created_at >= $2 and ($1 is null or l.owner_id = $1){l_among}");
    let won = format!("select cast(coalesce(sum(t.count), 0) as bigint), cast(coalesce(sum(t.value_minor), 0) as bigint)
               from pipeline_closed_totals t join pipeline_stages s on s.key = t.stage
               where s.kind = 'won' and t.month >= $2 and t.currency = $3 and ($1 is null or t.owner_id = $1){t_among}");
    let (open_value, open_count): (i64, i64) =
        on!(c, c => sqlx::query_as(&open).bind(owner).bind(currency).fetch_one(c).await)?;
    let (leads, leads_won): (i64, i64) =
        on!(c, c => sqlx::query_as(&conversion).bind(owner).bind(since).fetch_one(c).await)?;
    let since_month = since.format("%Y-%m").to_string();
    let (won_count, won_value): (i64, i64) = on!(c, c => sqlx::query_as(&won)
        .bind(owner).bind(&since_month).bind(currency).fetch_one(c).await)?;
    let (month_count, month_value): (i64, i64) = on!(c, c => sqlx::query_as(&won)
        .bind(owner).bind(this_month).bind(currency).fetch_one(c).await)?;
    Ok(SummaryRow {
        open_value,
        open_count,
        leads,
        leads_won,
        won_count,
        won_value,
        month_value,
        month_count,
    })
}

/// Won and lost (by reason) since `since_month`: `(outcome, reason, count, value)`.
pub async fn win_loss(
    c: &mut Conn<'_>,
    owners: &Owners,
    currency: &str,
    since_month: &str,
) -> Result<Vec<(String, String, i64, i64)>, sqlx::Error> {
    let among = owners.among_sql(c.backend(), "t.owner_id");
    let sql = format!("select s.kind, t.lost_reason, cast(sum(t.count) as bigint), cast(sum(t.value_minor) as bigint)
               from pipeline_closed_totals t join pipeline_stages s on s.key = t.stage
               where s.kind in ('won', 'lost') and t.month >= $2 and t.currency = $3
                 and ($1 is null or t.owner_id = $1){among}
               group by s.kind, t.lost_reason having sum(t.count) > 0");
    on!(c, c => sqlx::query_as(&sql).bind(owners.one).bind(since_month).bind(currency).fetch_all(c).await)
}

/// Average days of the stays in each stage that ended since `since` (a stay ends at the next
/// stage change of the same opportunity): `(stage, avg_days, count)`.
pub async fn stage_durations(
    c: &mut Conn<'_>,
    owners: &Owners,
    since: DateTime<Utc>,
) -> Result<Vec<(String, f64, i64)>, sqlx::Error> {
    let among = owners.among_sql(c.backend(), "o.owner_id");
    let days = match c.backend() {
        Backend::Sqlite => "julianday(left_at) - julianday(entered)",
        Backend::Postgres => "extract(epoch from (left_at - entered)) / 86400.0",
    };
    let sql = format!(
        "select stage, cast(avg({days}) as double precision), count(*) from (
             select h.to_stage as stage, h.at as entered,
                    lead(h.at) over (partition by h.opportunity_id order by h.at, h.id) as left_at
             from stage_history h
             where h.opportunity_id in (
                 select sh.opportunity_id from stage_history sh join opportunities o on o.id = sh.opportunity_id
                 where sh.at >= $1 and ($2 is null or o.owner_id = $2){among})
         ) stays
         where left_at is not null and left_at >= $1
         group by stage"
    );
    on!(c, c => sqlx::query_as(&sql).bind(since).bind(owners.one).fetch_all(c).await)
}

/// Value and count won per month (`YYYY-MM`) since `since_month`.
pub async fn monthly_won(
    c: &mut Conn<'_>,
    owners: &Owners,
    currency: &str,
    since_month: &str,
) -> Result<Vec<(String, i64, i64)>, sqlx::Error> {
    let among = owners.among_sql(c.backend(), "t.owner_id");
    let sql = format!("select t.month, cast(sum(t.count) as bigint), cast(sum(t.value_minor) as bigint)
               from pipeline_closed_totals t join pipeline_stages s on s.key = t.stage
               where s.kind = 'won' and t.month >= $2 and t.currency = $3 and ($1 is null or t.owner_id = $1){among}
               group by t.month order by t.month");
    on!(c, c => sqlx::query_as(&sql).bind(owners.one).bind(since_month).bind(currency).fetch_all(c).await)
}

/// Open value and count expected to close in `[from, to)`, with the target of `from`'s month.
pub async fn coverage(
    c: &mut Conn<'_>,
    owners: &Owners,
    currency: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<(i64, i64, Option<i64>), sqlx::Error> {
    let among = owners.among_sql(c.backend(), "o.owner_id");
    let sql = format!("select cast(coalesce(sum(o.value_minor), 0) as bigint), count(*),
                      (select target_minor from sales_targets where month = $2)
               from opportunities o join pipeline_stages s on s.key = o.stage
               where s.kind = 'open' and o.currency = $4 and o.expected_close >= $2 and o.expected_close < $3
                 and ($1 is null or o.owner_id = $1){among}");
    on!(c, c => sqlx::query_as(&sql).bind(owners.one).bind(from).bind(to).bind(currency).fetch_one(c).await)
}

/// Sets (or with `None` clears) the target of the month starting `month`.
pub async fn set_target(
    c: &mut Conn<'_>,
    month: NaiveDate,
    target: Option<i64>,
    currency: &str,
    by: Uuid,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    match target {
        Some(t) => {
            let sql = "insert into sales_targets (month, target_minor, currency, set_by, updated_at)
                       values ($1, $2, $3, $4, $5)
                       on conflict (month) do update set target_minor = excluded.target_minor,
                           currency = excluded.currency, set_by = excluded.set_by, updated_at = excluded.updated_at";
            on!(c, c => sqlx::query(sql).bind(month).bind(t).bind(currency).bind(by).bind(now).execute(c).await.map(|_| ()))
        }
        None => {
            on!(c, c => sqlx::query("delete from sales_targets where month = $1").bind(month).execute(c).await.map(|_| ()))
        }
    }
}

/// How many opportunities each stage holds (every stage, retired ones included).
pub async fn counts(c: &mut Conn<'_>, owners: &Owners) -> Result<Vec<(String, i64)>, sqlx::Error> {
    let among = owners.among_sql(c.backend(), "owner_id");
    let sql = format!(
        "select stage, cast(sum(count) as bigint) from pipeline_totals
         where ($1 is null or owner_id = $1){among} group by stage"
    );
    on!(c, c => sqlx::query_as(&sql).bind(owners.one).fetch_all(c).await)
}

/// Every stage ever configured, retired ones too (their keys stay taken).
pub async fn all_stage_keys(c: &mut Conn<'_>) -> Result<Vec<(String, bool)>, sqlx::Error> {
    let sql = "select key, archived_at is not null from pipeline_stages";
    on!(c, c => sqlx::query_as(sql).fetch_all(c).await)
}

/// Writes one stage (new, changed or brought back from retirement) at `position`.
pub async fn upsert_stage(
    c: &mut Conn<'_>,
    s: &StageDef,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let required = serde_json::to_string(&s.required_fields).unwrap_or_else(|_| "[]".into());
    let sql = "insert into pipeline_stages (key, label, position, probability, kind, required_fields, aging_days,
                   created_at, updated_at, archived_at)
               values ($1, $2, $3, $4, $5, $6, $7, $8, $8, null)
               on conflict (key) do update set label = excluded.label, position = excluded.position,
                   probability = excluded.probability, kind = excluded.kind,
                   required_fields = excluded.required_fields, aging_days = excluded.aging_days,
                   updated_at = excluded.updated_at, archived_at = null";
    on!(c, c => sqlx::query(sql).bind(&s.key).bind(&s.label).bind(s.position).bind(s.probability)
        .bind(s.kind.as_str()).bind(&required).bind(s.aging_days).bind(now).execute(c).await.map(|_| ()))
}

pub async fn retire_stage(
    c: &mut Conn<'_>,
    key: &str,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let sql = "update pipeline_stages set archived_at = $2, updated_at = $2 where key = $1 and archived_at is null";
    on!(c, c => sqlx::query(sql).bind(key).bind(now).execute(c).await.map(|_| ()))
}

/// Moves every opportunity of stage `from` to `to` (a removed stage's deals), recording a
/// history row for each: two statements, however many opportunities.
pub async fn move_all(
    c: &mut Conn<'_>,
    from: &str,
    to: &StageDef,
    by: Uuid,
    now: DateTime<Utc>,
) -> Result<u64, sqlx::Error> {
    let id = match c.backend() {
        Backend::Sqlite => "randomblob(16)",
        Backend::Postgres => "gen_random_uuid()",
    };
    let history = format!(
        "insert into stage_history (id, opportunity_id, from_stage, to_stage, at, by_user_id)
         select {id}, id, stage, $2, $3, $4 from opportunities where stage = $1"
    );
    let closed_at = if to.is_closed() { "$3" } else { "null" };
    let update = format!(
        "update opportunities set stage = $2, stage_entered_at = $3, probability = $4,
             closed_at = {closed_at}, updated_at = $3, version = version + 1
         where stage = $1"
    );
    on!(c, c => {
        sqlx::query(&history).bind(from).bind(&to.key).bind(now).bind(by).execute(&mut *c).await?;
        sqlx::query(&update).bind(from).bind(&to.key).bind(now).bind(to.probability)
            .execute(&mut *c).await.map(|r| r.rows_affected())
    })
}

/// Recomputes the running totals from the opportunities (after a bulk load that bypassed the
/// triggers).
pub async fn rebuild_totals(c: &mut Conn<'_>) -> Result<(), sqlx::Error> {
    let month = match c.backend() {
        Backend::Sqlite => "substr(closed_at, 1, 7)",
        Backend::Postgres => "to_char(closed_at at time zone 'UTC', 'YYYY-MM')",
    };
    let closed = format!(
        "insert into pipeline_closed_totals (month, stage, owner_id, currency, lost_reason, count, value_minor)
         select {month}, stage, owner_id, currency, coalesce(lost_reason, ''), count(*), coalesce(sum(value_minor), 0)
         from opportunities where closed_at is not null
         group by {month}, stage, owner_id, currency, coalesce(lost_reason, '')"
    );
    on!(c, c => {
        sqlx::query("delete from pipeline_totals").execute(&mut *c).await?;
        sqlx::query("insert into pipeline_totals (stage, owner_id, currency, count, value_minor)
                     select stage, owner_id, currency, count(*), coalesce(sum(value_minor), 0)
                     from opportunities group by stage, owner_id, currency")
            .execute(&mut *c).await?;
        sqlx::query("delete from pipeline_closed_totals").execute(&mut *c).await?;
        sqlx::query(&closed).execute(&mut *c).await.map(|_| ())
    })
}
