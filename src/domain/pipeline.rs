//! The pipeline board, its configuration and its figures: shared by the board in the browser
//! and the server that computes them.

use super::error::{AppError, FieldErrors};
use super::opportunity::{GATE_FIELDS, Opportunity, StageDef, StageKind};
use super::records::Money;
use crate::choice_enum;
use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use uuid::Uuid;

choice_enum!(
    /// How far back the closed (won and lost) columns of the board reach: whole months, so
    /// the figures come from monthly running totals.
    ClosedWindow {
        Month = "month" / "This month",
        Quarter = "quarter" / "Last 3 months",
        Year = "year" / "Last 12 months",
        All = "all" / "All time",
    }
);

impl ClosedWindow {
    /// The first day whose closed deals are shown, `None` for all time.
    pub fn since(self, today: NaiveDate) -> Option<NaiveDate> {
        let period = match self {
            ClosedWindow::Month => Period::Month,
            ClosedWindow::Quarter => Period::Quarter,
            ClosedWindow::Year => Period::Year,
            ClosedWindow::All => return None,
        };
        Some(months_back(today, period.months_before()))
    }
}

/// The first day of the month `n` months before `day`'s month.
pub fn months_back(day: NaiveDate, n: u32) -> NaiveDate {
    let index = day.year() * 12 + day.month0() as i32 - n as i32;
    NaiveDate::from_ymd_opt(index.div_euclid(12), index.rem_euclid(12) as u32 + 1, 1).unwrap_or(day)
}

/// Midnight UTC at the start of `day`.
pub fn day_start(day: NaiveDate) -> DateTime<Utc> {
    day.and_time(chrono::NaiveTime::MIN).and_utc()
}

/// Midnight UTC on the first day of `now`'s month.
pub fn month_start(now: DateTime<Utc>) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(now.year(), now.month(), 1, 0, 0, 0)
        .single()
        .unwrap_or(now)
}

/// The first day of the month after the one `day` falls in.
pub fn next_month(day: NaiveDate) -> NaiveDate {
    let (y, m) = if day.month() == 12 {
        (day.year() + 1, 1)
    } else {
        (day.year(), day.month() + 1)
    };
    NaiveDate::from_ymd_opt(y, m, 1).unwrap_or(day)
}

/// What the board shows: filters kept in the address.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::IntoParams, utoipa::ToSchema))]
#[cfg_attr(feature = "ssr", into_params(parameter_in = Query))]
pub struct BoardQuery {
    /// Only this person's opportunities.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_id: Option<Uuid>,
    /// Only the opportunities of this team's members and manager.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team_id: Option<Uuid>,
    /// Words or word beginnings of the opportunity's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub q: Option<String>,
    /// Expected close on or after this day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub close_from: Option<NaiveDate>,
    /// Expected close on or before this day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub close_to: Option<NaiveDate>,
    /// How far back the won and lost columns reach (default: this month).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ssr", param(inline))]
    pub closed: Option<ClosedWindow>,
    /// Cards per column in the first page (default 50, at most 200).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
}

impl BoardQuery {
    pub fn closed_window(&self) -> ClosedWindow {
        self.closed.unwrap_or(ClosedWindow::Month)
    }
}

/// One column of the board.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct BoardColumn {
    /// The stage's key (`proposal`).
    pub stage: String,
    #[serde(rename = "definition")]
    pub def: StageDef,
    pub count: i64,
    /// The sum of the column's values in the reporting currency, as a decimal.
    #[serde(with = "super::records::opt_decimal_minor")]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<f64>))]
    pub total_value: Option<i64>,
    /// Totals in other currencies, when the column holds any (never added into `total_value`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub other_currencies: Vec<CurrencyTotal>,
    pub opportunities: Vec<Opportunity>,
    pub next_cursor: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CurrencyTotal {
    pub currency: String,
    pub count: i64,
    #[serde(with = "super::records::decimal_minor")]
    #[cfg_attr(feature = "ssr", schema(value_type = f64))]
    pub value: i64,
}

impl CurrencyTotal {
    pub fn money(&self) -> Money {
        Money::new(self.value, &self.currency)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Board {
    /// The reporting currency every total is in.
    pub currency: String,
    pub stages: Vec<BoardColumn>,
}

/// Opportunity counts by stage (`GET /api/crm/count`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct StageCount {
    pub stage: String,
    pub count: i64,
}

choice_enum!(
    /// The period a figure covers: whole months up to now.
    Period {
        Month = "month" / "This month",
        Quarter = "quarter" / "Last 3 months",
        Year = "year" / "Last 12 months",
    }
);

impl Period {
    /// The first moment of the period.
    pub fn since(self, now: DateTime<Utc>) -> DateTime<Utc> {
        day_start(months_back(now.date_naive(), self.months_before()))
    }

    /// How many whole months before the current one the period reaches back.
    pub fn months_before(self) -> u32 {
        match self {
            Period::Month => 0,
            Period::Quarter => 2,
            Period::Year => 11,
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::IntoParams, utoipa::ToSchema))]
#[cfg_attr(feature = "ssr", into_params(parameter_in = Query))]
pub struct StatsQuery {
    /// The period for conversion, average deal size and win/loss (default: the last 3 months).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period: Option<Period>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_id: Option<Uuid>,
    /// Only the figures of this team's members and manager.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team_id: Option<Uuid>,
}

impl StatsQuery {
    pub fn period(&self) -> Period {
        self.period.unwrap_or(Period::Quarter)
    }
}

/// The strip above the board (seed 004).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Summary {
    pub currency: String,
    pub period: Period,
    pub since: DateTime<Utc>,
    /// The value of every open opportunity.
    #[serde(with = "super::records::opt_decimal_minor")]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<f64>))]
    pub total_pipeline_value: Option<i64>,
    pub open_count: i64,
    /// Of the leads created in the period, the share whose opportunity was won (0–1).
    pub conversion_rate: f64,
    pub leads_in_period: i64,
    pub leads_won: i64,
    /// The average value of the opportunities won in the period.
    #[serde(with = "super::records::opt_decimal_minor")]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<f64>))]
    pub avg_deal_size: Option<i64>,
    pub won_in_period: i64,
    /// The value won since the first of this month.
    #[serde(with = "super::records::opt_decimal_minor")]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<f64>))]
    pub won_this_month: Option<i64>,
    pub won_this_month_count: i64,
}

/// Lost deals by reason, and the won ones, in the period.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct WinLoss {
    pub since: DateTime<Utc>,
    pub won: i64,
    #[serde(with = "super::records::opt_decimal_minor")]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<f64>))]
    pub won_value: Option<i64>,
    pub lost: Vec<ReasonCount>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ReasonCount {
    /// A lost reason, or `unknown` for deals lost before reasons were required.
    pub reason: String,
    pub count: i64,
    #[serde(with = "super::records::opt_decimal_minor")]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<f64>))]
    pub value: Option<i64>,
}

/// How long opportunities stayed in each stage they left in the period.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct StageDuration {
    pub stage: String,
    pub avg_days: f64,
    /// How many stays the average is over.
    pub count: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct MonthlyWon {
    /// `2026-11`.
    pub month: String,
    pub count: i64,
    #[serde(with = "super::records::opt_decimal_minor")]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<f64>))]
    pub value: Option<i64>,
}

/// Open value expected to close in a month, against the target set for it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Coverage {
    /// The first day of the month.
    pub month: NaiveDate,
    #[serde(with = "super::records::opt_decimal_minor")]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<f64>))]
    pub open_value: Option<i64>,
    pub open_count: i64,
    #[serde(with = "super::records::opt_decimal_minor")]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<f64>))]
    pub target: Option<i64>,
}

impl Coverage {
    /// Open value over target (1.0 = exactly covered), when a target is set.
    pub fn ratio(&self) -> Option<f64> {
        self.target
            .filter(|t| *t > 0)
            .zip(self.open_value)
            .map(|(t, open)| open as f64 / t as f64)
    }
}

/// A manager's revenue target for a month.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TargetInput {
    /// Any day of the month (its first day is stored).
    pub month: NaiveDate,
    #[serde(with = "super::records::opt_decimal_minor")]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<f64>))]
    pub target: Option<i64>,
}

/// One stage as an admin edits it. A stage without `key` is new (its key is made from the
/// label); an existing stage keeps its key, so history and the API stay valid.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct StageInput {
    #[serde(default)]
    pub key: Option<String>,
    pub label: String,
    #[serde(default)]
    pub probability: i32,
    #[serde(default = "open_kind")]
    pub kind: StageKind,
    #[serde(default)]
    pub required_fields: Vec<String>,
    #[serde(default)]
    pub aging_days: Option<i32>,
}

fn open_kind() -> StageKind {
    StageKind::Open
}

/// The whole pipeline, in order, as the admin wants it. Stages left out are removed; those
/// still holding opportunities must name where they go in `moves` (`{"trial": "contacted"}`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PipelineUpdate {
    pub stages: Vec<StageInput>,
    #[serde(default)]
    pub moves: BTreeMap<String, String>,
}

/// A stage key from a label: `Trial Started` → `trial_started`.
pub fn stage_key(label: &str) -> String {
    let mut key = String::new();
    for ch in label.trim().chars() {
        if ch.is_ascii_alphanumeric() {
            key.push(ch.to_ascii_lowercase());
        } else if !key.ends_with('_') && !key.is_empty() {
            key.push('_');
        }
    }
    let key = key.trim_end_matches('_').to_string();
    if key.is_empty() { "stage".into() } else { key }
}

impl PipelineUpdate {
    /// Checks the stages themselves (names, probabilities, gates, at least one open stage);
    /// what depends on the stored pipeline (removals, moves) is checked by the server.
    pub fn validate(&self) -> Result<(), AppError> {
        let mut errors = FieldErrors::new();
        let mut add = |field: String, message: String| {
            errors.entry(field).or_default().push(message);
        };
        if self.stages.is_empty() {
            add("stages".into(), "Keep at least one stage.".into());
        }
        if !self.stages.iter().any(|s| s.kind == StageKind::Open) {
            add(
                "stages".into(),
                "Keep at least one open stage: deals need somewhere to start.".into(),
            );
        }
        if self.stages.len() > 30 {
            add("stages".into(), "Use at most 30 stages.".into());
        }
        let mut labels = std::collections::BTreeSet::new();
        for (i, s) in self.stages.iter().enumerate() {
            let label = s.label.trim();
            if label.is_empty() {
                add(format!("stages.{i}.label"), "Name the stage.".into());
            } else if label.chars().count() > 60 {
                add(
                    format!("stages.{i}.label"),
                    "Use at most 60 characters.".into(),
                );
            } else if !labels.insert(label.to_lowercase()) {
                add(
                    format!("stages.{i}.label"),
                    "Two stages have this name.".into(),
                );
            }
            if !(0..=100).contains(&s.probability) {
                add(
                    format!("stages.{i}.probability"),
                    "Use a probability from 0 to 100.".into(),
                );
            }
            if s.aging_days.is_some_and(|d| !(1..=3650).contains(&d)) {
                add(
                    format!("stages.{i}.aging_days"),
                    "Use an aging limit from 1 to 3650 days, or none.".into(),
                );
            }
            for f in &s.required_fields {
                if !GATE_FIELDS.iter().any(|(g, _)| g == f) {
                    add(
                        format!("stages.{i}.required_fields"),
                        format!("{f} is not a field a stage can require."),
                    );
                }
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(AppError::Validation {
                message: "Some stages need attention.".into(),
                fields: errors,
            })
        }
    }
}

/// Whole days from `since` to `now` (for "days in stage").
pub fn days_since(since: DateTime<Utc>, now: DateTime<Utc>) -> i64 {
    (now - since).num_days().max(0)
}

/// Whether an opportunity has stayed in its stage past the stage's aging limit.
pub fn is_aging(o: &Opportunity, stage: &StageDef, now: DateTime<Utc>) -> bool {
    !stage.is_closed()
        && stage
            .aging_days
            .is_some_and(|limit| days_since(o.stage_entered_at, now) > i64::from(limit))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_come_from_labels() {
        assert_eq!(stage_key("Trial Started"), "trial_started");
        assert_eq!(stage_key("  Paid!! "), "paid");
        assert_eq!(stage_key("Repeat-buyer (2+)"), "repeat_buyer_2");
        assert_eq!(stage_key("✓"), "stage");
    }

    #[test]
    fn seed_002s_consumer_flow_is_a_valid_pipeline() {
        let stage = |label: &str, kind| StageInput {
            label: label.into(),
            kind,
            ..Default::default()
        };
        let update = PipelineUpdate {
            stages: vec![
                stage("Contacted", StageKind::Open),
                stage("Trial Started", StageKind::Open),
                stage("Active User", StageKind::Open),
                stage("Paid", StageKind::Won),
                stage("Repeat Buyer", StageKind::Won),
            ],
            moves: BTreeMap::new(),
        };
        assert!(update.validate().is_ok());
    }

    #[test]
    fn bad_stage_lists_name_the_field() {
        let update = PipelineUpdate {
            stages: vec![
                StageInput {
                    label: "Won".into(),
                    kind: StageKind::Won,
                    probability: 140,
                    required_fields: vec!["colour".into()],
                    ..Default::default()
                },
                StageInput {
                    label: "won".into(),
                    kind: StageKind::Won,
                    ..Default::default()
                },
            ],
            moves: BTreeMap::new(),
        };
        let err = update.validate().unwrap_err();
        for field in [
            "stages",
            "stages.0.probability",
            "stages.0.required_fields",
            "stages.1.label",
        ] {
            assert!(err.field(field).is_some(), "{field}: {err:?}");
        }
    }

    #[test]
    fn windows_are_whole_months() {
        let d = NaiveDate::from_ymd_opt(2026, 2, 14).unwrap();
        assert_eq!(
            months_back(d, 2),
            NaiveDate::from_ymd_opt(2025, 12, 1).unwrap()
        );
        assert_eq!(
            months_back(d, 11),
            NaiveDate::from_ymd_opt(2025, 3, 1).unwrap()
        );
        assert_eq!(
            ClosedWindow::Month.since(d),
            NaiveDate::from_ymd_opt(2026, 2, 1)
        );
    }

    #[test]
    fn months_roll_over() {
        let d = NaiveDate::from_ymd_opt(2026, 12, 14).unwrap();
        assert_eq!(next_month(d), NaiveDate::from_ymd_opt(2027, 1, 1).unwrap());
        let now = Utc.with_ymd_and_hms(2026, 11, 23, 17, 0, 0).unwrap();
        assert_eq!(
            month_start(now),
            Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap()
        );
    }
}
