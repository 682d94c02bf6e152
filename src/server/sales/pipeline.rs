//! The pipeline board, its stage moves and configuration, and its figures. Every figure is one
//! query computed by the database; the board's headers come from running totals.

use super::{Actor, opportunities as deals};
use crate::domain::error::{AppError, AppResult};
use crate::domain::opportunity::{Opportunity, OpportunityPatch, StageDef};
use crate::domain::pipeline::{
    Board, BoardColumn, BoardQuery, Coverage, CurrencyTotal, MonthlyWon, PipelineUpdate,
    ReasonCount, StageCount, StageDuration, StatsQuery, Summary, TargetInput, WinLoss, day_start,
    month_start, months_back, next_month, stage_key,
};
use crate::domain::records::{DEFAULT_CURRENCY, ListQuery, RecordKind};
use crate::server::db::pipeline::{self, BoardFilter, Owners, Total};
use crate::server::db::sql::{fts_query, search_words};
use crate::server::db::{Conn, opportunities, teams};
use crate::server::policy::{Action, Target, among, authorize, may_set_money, shown};
use crate::server::principal::{ClientInfo, Principal};
use crate::server::state::AppState;
use chrono::Datelike;
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};
use uuid::Uuid;

fn may_read(principal: &Principal) -> AppResult<&crate::server::principal::Staff> {
    authorize(
        principal,
        Action::Read,
        Target::kind(RecordKind::Opportunity),
    )
}

/// Whose deals the figures count: the owner filter, among those the asker sees and the
/// chosen team's people.
async fn owners(
    c: &mut Conn<'_>,
    staff: &crate::server::principal::Staff,
    one: Option<Uuid>,
    team: Option<Uuid>,
) -> AppResult<Owners> {
    let team = match team {
        Some(t) => Some(teams::people(c, t).await?),
        None => None,
    };
    Ok(Owners {
        one,
        among: among(staff, team),
    })
}

/// The board: every stage in order with its count, total and first page of cards by expected
/// close. Closed columns show the deals closed in the chosen window (this month by default).
pub async fn board(state: &AppState, principal: &Principal, q: &BoardQuery) -> AppResult<Board> {
    let staff = may_read(principal)?;
    let today = state.now().date_naive();
    let since = q.closed_window().since(today);
    let mut h = state.db.handle().await?;
    let c = &mut h.c();
    let stages = opportunities::stages(c).await?;
    let words = q.q.as_deref().map(search_words).unwrap_or_default();
    let filter = BoardFilter {
        owners: owners(c, staff, q.owner_id, q.team_id).await?,
        text: (!words.is_empty()).then(|| fts_query(c.backend(), &words)),
        close_from: q.close_from,
        close_to: q.close_to,
        closed_since: since.map(day_start),
    };
    let totals = board_totals(c, &filter, &stages).await?;
    drop(h);

    let mut columns = Vec::with_capacity(stages.len());
    for stage in stages {
        let query = ListQuery {
            stage: Some(stage.key.clone()),
            owner_id: q.owner_id,
            team_id: q.team_id,
            q: q.q.clone(),
            close_from: q.close_from,
            close_to: q.close_to,
            closed_from: since.filter(|_| stage.is_closed()),
            // Open columns by expected close; closed ones with the latest closes first.
            sort: Some(column_sort(&stage).into()),
            limit: q.limit,
            ..Default::default()
        };
        let page = super::record::list::<Opportunity>(state, principal, &query).await?;
        let (total, others) = column_totals(&totals, &stage.key);
        columns.push(BoardColumn {
            stage: stage.key.clone(),
            count: total.count + others.iter().map(|o| o.count).sum::<i64>(),
            total_value: Some(total.value),
            other_currencies: others,
            def: stage,
            opportunities: page.items,
            next_cursor: page.next_cursor,
        });
    }
    let board = Board {
        currency: DEFAULT_CURRENCY.into(),
        stages: columns,
    };
    Ok(shown(staff, board))
}

/// How a column's cards are ordered (the same for its later pages).
pub fn column_sort(stage: &StageDef) -> &'static str {
    if stage.is_closed() {
        "-closed_at"
    } else {
        "expected_close"
    }
}

/// Counts and values per stage and currency under the board's filters: from the running
/// totals when only the owner filter is set (closed columns still aggregate their window).
async fn board_totals(
    c: &mut Conn<'_>,
    filter: &BoardFilter,
    stages: &[StageDef],
) -> AppResult<Vec<Total>> {
    let filtered =
        filter.text.is_some() || filter.close_from.is_some() || filter.close_to.is_some();
    if filtered {
        return Ok(pipeline::filtered_totals(c, filter, false).await?);
    }
    let closed: BTreeSet<&str> = stages
        .iter()
        .filter(|s| s.is_closed())
        .map(|s| s.key.as_str())
        .collect();
    let mut totals: Vec<Total> = pipeline::running_totals(c, &filter.owners)
        .await?
        .into_iter()
        .filter(|t| !closed.contains(t.stage.as_str()))
        .collect();
    let since_month = filter.closed_since.map(|d| d.format("%Y-%m").to_string());
    totals.extend(
        pipeline::closed_totals(c, &filter.owners, since_month.as_deref())
            .await?
            .into_iter()
            .filter(|t| closed.contains(t.stage.as_str())),
    );
    Ok(totals)
}

/// A stage's total in the reporting currency, and those in other currencies.
fn column_totals(totals: &[Total], stage: &str) -> (Total, Vec<CurrencyTotal>) {
    let mut main = Total {
        stage: stage.into(),
        currency: DEFAULT_CURRENCY.into(),
        count: 0,
        value: 0,
    };
    let mut others = Vec::new();
    for t in totals.iter().filter(|t| t.stage == stage) {
        if t.currency == DEFAULT_CURRENCY {
            main.count += t.count;
            main.value += t.value;
        } else {
            others.push(CurrencyTotal {
                currency: t.currency.clone(),
                count: t.count,
                value: t.value,
            });
        }
    }
    (main, others)
}

/// Opportunity counts by stage, in board order (`GET /api/crm/count`).
pub async fn counts(state: &AppState, principal: &Principal) -> AppResult<Vec<StageCount>> {
    let staff = may_read(principal)?;
    let mut h = state.db.handle().await?;
    let c = &mut h.c();
    let stages = opportunities::stages(c).await?;
    let who = owners(c, staff, None, None).await?;
    let counts: BTreeMap<String, i64> = pipeline::counts(c, &who).await?.into_iter().collect();
    Ok(stages
        .into_iter()
        .map(|s| StageCount {
            count: counts.get(&s.key).copied().unwrap_or(0),
            stage: s.key,
        })
        .collect())
}

/// Moves an opportunity to another stage with whatever fields the stage's gate asks for, in
/// one request: the same rules as any edit (`stage` is required here).
pub async fn move_stage(
    state: &AppState,
    principal: &Principal,
    client: &ClientInfo,
    id: Uuid,
    patch: OpportunityPatch,
) -> AppResult<Opportunity> {
    if patch.stage.as_deref().is_none_or(|s| s.trim().is_empty()) {
        return Err(AppError::invalid("stage", "Say which stage to move to."));
    }
    deals::update(state, principal, client, id, patch).await
}

pub async fn summary(
    state: &AppState,
    principal: &Principal,
    q: &StatsQuery,
) -> AppResult<Summary> {
    let staff = may_read(principal)?;
    let now = state.now();
    let period = q.period();
    let since = period.since(now);
    let mut h = state.db.handle().await?;
    let this_month = now.format("%Y-%m").to_string();
    let who = owners(&mut h.c(), staff, q.owner_id, q.team_id).await?;
    let row = pipeline::summary(&mut h.c(), &who, DEFAULT_CURRENCY, since, &this_month).await?;
    let summary = Summary {
        currency: DEFAULT_CURRENCY.into(),
        period,
        since,
        total_pipeline_value: Some(row.open_value),
        open_count: row.open_count,
        conversion_rate: if row.leads > 0 {
            row.leads_won as f64 / row.leads as f64
        } else {
            0.0
        },
        leads_in_period: row.leads,
        leads_won: row.leads_won,
        avg_deal_size: Some(if row.won_count > 0 {
            row.won_value / row.won_count
        } else {
            0
        }),
        won_in_period: row.won_count,
        won_this_month: Some(row.month_value),
        won_this_month_count: row.month_count,
    };
    Ok(shown(staff, summary))
}

pub async fn win_loss(
    state: &AppState,
    principal: &Principal,
    q: &StatsQuery,
) -> AppResult<WinLoss> {
    let staff = may_read(principal)?;
    let since = q.period().since(state.now());
    let mut h = state.db.handle().await?;
    let since_month = since.format("%Y-%m").to_string();
    let who = owners(&mut h.c(), staff, q.owner_id, q.team_id).await?;
    let rows = pipeline::win_loss(&mut h.c(), &who, DEFAULT_CURRENCY, &since_month).await?;
    let mut out = WinLoss {
        since,
        won: 0,
        won_value: Some(0),
        lost: vec![],
    };
    for (kind, reason, count, value) in rows {
        if kind == "won" {
            out.won += count;
            out.won_value = out.won_value.map(|v| v + value);
        } else {
            let reason = if reason.is_empty() {
                "unknown".to_string()
            } else {
                reason
            };
            out.lost.push(ReasonCount {
                reason,
                count,
                value: Some(value),
            });
        }
    }
    out.lost
        .sort_by(|a, b| b.count.cmp(&a.count).then(a.reason.cmp(&b.reason)));
    Ok(shown(staff, out))
}

/// Average days per stay, in board order (stages nobody left in the period are left out).
pub async fn stage_durations(
    state: &AppState,
    principal: &Principal,
    q: &StatsQuery,
) -> AppResult<Vec<StageDuration>> {
    let staff = may_read(principal)?;
    let since = q.period().since(state.now());
    let mut h = state.db.handle().await?;
    let c = &mut h.c();
    let stages = opportunities::stages(c).await?;
    let who = owners(c, staff, q.owner_id, q.team_id).await?;
    let rows = pipeline::stage_durations(c, &who, since).await?;
    let mut out: Vec<StageDuration> = rows
        .into_iter()
        .map(|(stage, avg_days, count)| StageDuration {
            stage,
            avg_days: (avg_days * 10.0).round() / 10.0,
            count,
        })
        .collect();
    let position = |key: &str| {
        stages
            .iter()
            .position(|s| s.key == key)
            .unwrap_or(usize::MAX)
    };
    out.sort_by_key(|d| position(&d.stage));
    Ok(out)
}

/// Won value per month for the last twelve months (months without a win included, as zero).
pub async fn monthly_won(
    state: &AppState,
    principal: &Principal,
    q: &StatsQuery,
) -> AppResult<Vec<MonthlyWon>> {
    let staff = may_read(principal)?;
    let now = state.now();
    let first = months_back(now.date_naive(), 11);
    let mut h = state.db.handle().await?;
    let since_month = first.format("%Y-%m").to_string();
    let who = owners(&mut h.c(), staff, q.owner_id, q.team_id).await?;
    let rows = pipeline::monthly_won(&mut h.c(), &who, DEFAULT_CURRENCY, &since_month).await?;
    let found: BTreeMap<String, (i64, i64)> =
        rows.into_iter().map(|(m, n, v)| (m, (n, v))).collect();
    let mut out = Vec::with_capacity(12);
    let mut month = first;
    for _ in 0..12 {
        let key = month.format("%Y-%m").to_string();
        let (count, value) = found.get(&key).copied().unwrap_or((0, 0));
        out.push(MonthlyWon {
            month: key,
            count,
            value: Some(value),
        });
        month = next_month(month);
    }
    Ok(shown(staff, out))
}

/// This month and the next two: open value expected to close in each, against its target.
pub async fn coverage(
    state: &AppState,
    principal: &Principal,
    q: &StatsQuery,
) -> AppResult<Vec<Coverage>> {
    let staff = may_read(principal)?;
    let mut month = month_start(state.now()).date_naive();
    let mut h = state.db.handle().await?;
    let who = owners(&mut h.c(), staff, q.owner_id, q.team_id).await?;
    let mut out = Vec::with_capacity(3);
    for _ in 0..3 {
        let end = next_month(month);
        let (open_value, open_count, target) =
            pipeline::coverage(&mut h.c(), &who, DEFAULT_CURRENCY, month, end).await?;
        out.push(Coverage {
            month,
            open_value: Some(open_value),
            open_count,
            target,
        });
        month = end;
    }
    Ok(shown(staff, out))
}

/// Sets a month's target (managers and admins), audited.
pub async fn set_target(
    state: &AppState,
    principal: &Principal,
    client: &ClientInfo,
    input: TargetInput,
) -> AppResult<()> {
    let staff = authorize(
        principal,
        Action::Configure,
        Target::kind(RecordKind::Opportunity),
    )?;
    may_set_money(staff, true)?;
    if input.target.is_some_and(|t| t < 0) {
        return Err(AppError::invalid("target", "Use a target of zero or more."));
    }
    let month = input.month.with_day(1).unwrap_or(input.month);
    let now = state.now();
    let w = Actor { staff, client };
    let mut tx = state.db.begin().await?;
    pipeline::set_target(
        &mut tx.c(),
        month,
        input.target,
        DEFAULT_CURRENCY,
        staff.user.id,
        now,
    )
    .await?;
    let mut entry = w.entry(
        "pipeline.target_set",
        RecordKind::Opportunity,
        Uuid::nil(),
        json!({ "month": month, "target_minor": input.target, "currency": DEFAULT_CURRENCY }),
    );
    entry.target_type = Some("pipeline".into());
    entry.target_id = Some(month.to_string());
    crate::server::db::audit::insert(&mut tx.c(), &entry, now).await?;
    tx.commit().await?;
    Ok(())
}

/// Saves the whole stage list (managers and admins): renames, new stages, order, gates,
/// probabilities and aging limits. A removed stage is retired, not deleted; its opportunities
/// move to the stage `moves` names (of the same outcome), each with a history row.
pub async fn save_stages(
    state: &AppState,
    principal: &Principal,
    client: &ClientInfo,
    update: PipelineUpdate,
) -> AppResult<Vec<StageDef>> {
    let staff = authorize(
        principal,
        Action::Configure,
        Target::kind(RecordKind::Opportunity),
    )?;
    update.validate()?;
    let now = state.now();
    let w = Actor { staff, client };
    let mut tx = state.db.begin().await?;
    let c = &mut tx.c();
    let before = opportunities::stages(c).await?;
    let known: BTreeMap<String, bool> = pipeline::all_stage_keys(c).await?.into_iter().collect();
    // Every deal counts here, seen or not: a stage that holds any cannot simply vanish.
    let counts: BTreeMap<String, i64> = pipeline::counts(c, &Owners::default())
        .await?
        .into_iter()
        .collect();
    let held = |key: &str| counts.get(key).copied().unwrap_or(0);

    // The new list, with keys: existing ones kept, new ones made from labels.
    let mut taken: BTreeSet<String> = known.keys().cloned().collect();
    let mut after: Vec<StageDef> = Vec::with_capacity(update.stages.len());
    let mut errors: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (i, s) in update.stages.iter().enumerate() {
        let key = match s.key.as_deref().map(str::trim).filter(|k| !k.is_empty()) {
            Some(k) if known.contains_key(k) => k.to_string(),
            Some(k) => {
                errors
                    .entry(format!("stages.{i}.key"))
                    .or_default()
                    .push(format!(
                        "There is no stage `{k}`; leave the key out for a new one."
                    ));
                continue;
            }
            None => {
                let base = stage_key(&s.label);
                let mut key = base.clone();
                let mut n = 2;
                while taken.contains(&key) {
                    key = format!("{base}_{n}");
                    n += 1;
                }
                taken.insert(key.clone());
                key
            }
        };
        if after.iter().any(|a| a.key == key) {
            errors
                .entry(format!("stages.{i}.key"))
                .or_default()
                .push("This stage is listed twice.".into());
            continue;
        }
        if let Some(old) = before.iter().find(|b| b.key == key)
            && old.kind != s.kind
            && held(&key) > 0
        {
            errors
                .entry(format!("stages.{i}.kind"))
                .or_default()
                .push(format!(
                    "{} holds {} opportunities: move them before making it a {} stage.",
                    old.label,
                    held(&key),
                    s.kind.label().to_lowercase()
                ));
        }
        let mut required: Vec<String> = s.required_fields.clone();
        required.dedup();
        after.push(StageDef {
            key,
            label: s.label.trim().to_string(),
            position: i as i32 + 1,
            probability: s.probability,
            kind: s.kind,
            required_fields: required,
            aging_days: s.aging_days,
        });
    }

    // Removed stages: empty ones retire; others need somewhere of the same outcome to go.
    let removed: Vec<&StageDef> = before
        .iter()
        .filter(|b| !after.iter().any(|a| a.key == b.key))
        .collect();
    let mut moves: Vec<(&StageDef, StageDef)> = Vec::new();
    for old in &removed {
        if held(&old.key) == 0 {
            continue;
        }
        let field = format!("moves.{}", old.key);
        match update
            .moves
            .get(&old.key)
            .and_then(|to| after.iter().find(|a| &a.key == to))
        {
            Some(to) if to.kind == old.kind => moves.push((old, to.clone())),
            Some(to) => errors.entry(field).or_default().push(format!(
                "{}'s deals are {}: move them to another {} stage, not {}.",
                old.label,
                old.kind.label().to_lowercase(),
                old.kind.label().to_lowercase(),
                to.label
            )),
            None => errors.entry(field).or_default().push(format!(
                "{} holds {} opportunities: choose the stage they move to.",
                old.label,
                held(&old.key)
            )),
        }
    }
    if !errors.is_empty() {
        return Err(AppError::Validation {
            message: "The pipeline was not changed.".into(),
            fields: errors,
        });
    }

    for stage in &after {
        pipeline::upsert_stage(c, stage, now).await?;
    }
    let mut moved = BTreeMap::new();
    for (from, to) in &moves {
        let n = pipeline::move_all(c, &from.key, to, staff.user.id, now).await?;
        moved.insert(
            from.key.clone(),
            json!({ "to": to.key, "opportunities": n }),
        );
    }
    for old in &removed {
        pipeline::retire_stage(c, &old.key, now).await?;
    }
    let mut entry = w.entry(
        "pipeline.stages_changed",
        RecordKind::Opportunity,
        Uuid::nil(),
        json!({ "before": before, "after": after, "moved": moved }),
    );
    entry.target_type = Some("pipeline".into());
    entry.target_id = Some("stages".into());
    crate::server::db::audit::insert(c, &entry, now).await?;
    let saved = opportunities::stages(c).await?;
    tx.commit().await?;
    Ok(saved)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn other_currencies_are_listed_not_added() {
        let t = |stage: &str, currency: &str, count, value| Total {
            stage: stage.into(),
            currency: currency.into(),
            count,
            value,
        };
        let totals = vec![
            t("won", "USD", 2, 500),
            t("won", "EUR", 1, 900),
            t("won", "USD", 1, 100),
            t("lost", "USD", 4, 1),
        ];
        let (main, others) = column_totals(&totals, "won");
        assert_eq!((main.count, main.value), (3, 600));
        assert_eq!(others.len(), 1);
        assert_eq!((others[0].currency.as_str(), others[0].value), ("EUR", 900));
    }
}
