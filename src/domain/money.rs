//! Money kept from the roles that must not see it: per role, an admin chooses whether its
//! users see opportunity values and account revenue. For everyone else the server leaves those
//! fields, and every figure summed from them, blank (`null`) in whatever it sends, and the UI
//! leaves them out. One trait, so each record or figure says once what in it is money.

use super::account::Account;
use super::activity::TimelineEntry;
use super::opportunity::Opportunity;
use super::pipeline::{Board, BoardColumn, Coverage, MonthlyWon, Summary, WinLoss};
use super::records::Page;

/// The record fields that hold money, by the names their JSON and their audited changes use.
pub const MONEY_FIELDS: [&str; 2] = ["value", "annual_revenue"];

/// Whether a field (as JSON, an export column or a timeline change names it) holds money.
pub fn is_money(field: &str) -> bool {
    let field = field.replace(' ', "_");
    MONEY_FIELDS.contains(&field.as_str())
}

/// A record or figure that can be read without its money.
pub trait HidesMoney {
    /// Blanks every amount in it.
    fn hide_money(&mut self);
}

impl HidesMoney for Opportunity {
    fn hide_money(&mut self) {
        self.fields.value = None;
    }
}

impl HidesMoney for Account {
    fn hide_money(&mut self) {
        self.fields.annual_revenue = None;
    }
}

impl<T: HidesMoney> HidesMoney for Vec<T> {
    fn hide_money(&mut self) {
        self.iter_mut().for_each(T::hide_money);
    }
}

impl<T: HidesMoney> HidesMoney for Page<T> {
    fn hide_money(&mut self) {
        self.items.hide_money();
    }
}

impl HidesMoney for BoardColumn {
    fn hide_money(&mut self) {
        self.total_value = None;
        self.other_currencies.clear();
        self.opportunities.hide_money();
    }
}

impl HidesMoney for Board {
    fn hide_money(&mut self) {
        self.stages.hide_money();
    }
}

impl HidesMoney for Summary {
    fn hide_money(&mut self) {
        self.total_pipeline_value = None;
        self.avg_deal_size = None;
        self.won_this_month = None;
    }
}

impl HidesMoney for WinLoss {
    fn hide_money(&mut self) {
        self.won_value = None;
        for reason in &mut self.lost {
            reason.value = None;
        }
    }
}

impl HidesMoney for MonthlyWon {
    fn hide_money(&mut self) {
        self.value = None;
    }
}

impl HidesMoney for Coverage {
    fn hide_money(&mut self) {
        self.open_value = None;
        self.target = None;
    }
}

impl HidesMoney for TimelineEntry {
    /// An audited change of a value is left out (the entry stays, saying what else changed).
    fn hide_money(&mut self) {
        self.changes.retain(|c| !is_money(&c.field));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::activity::{FieldChange, TimelineKind};

    #[test]
    fn the_timeline_forgets_value_changes_and_keeps_the_rest() {
        let change = |field: &str| FieldChange {
            field: field.into(),
            old: Some("100.00".into()),
            new: Some("200.00".into()),
        };
        let mut entry = TimelineEntry {
            at: chrono::Utc::now(),
            kind: TimelineKind::Change,
            actor_name: None,
            title: "Edited".into(),
            body: None,
            changes: vec![change("value"), change("annual revenue"), change("name")],
            source: None,
            source_link: None,
            mail_link: None,
        };
        entry.hide_money();
        let left: Vec<&str> = entry.changes.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(left, ["name"]);
    }

    #[test]
    fn figures_go_blank_and_so_does_their_ratio() {
        let mut c = Coverage {
            month: chrono::NaiveDate::from_ymd_opt(2026, 12, 1).expect("day"),
            open_value: Some(5_000),
            open_count: 2,
            target: Some(10_000),
        };
        assert_eq!(c.ratio(), Some(0.5));
        c.hide_money();
        assert_eq!((c.open_value, c.target, c.ratio()), (None, None, None));
        assert_eq!(c.open_count, 2, "counts are not money");
    }
}
