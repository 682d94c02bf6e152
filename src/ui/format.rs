//! How values read on screen: in the reader's time zone and locale ([`Regional`]), which the
//! server sends with each page, so a server-rendered page and its hydrated copy agree.

use crate::domain::records::Money;
use crate::domain::regional::Regional;
use chrono::{DateTime, NaiveDate, Utc};
use leptos::prelude::*;
use std::sync::Arc;

#[derive(Clone)]
struct Reader(Arc<Regional>);

#[cfg(feature = "hydrate")]
thread_local! {
    /// In the browser there is one reader: kept here too, for code running outside any
    /// component (a fetch finishing, an event).
    static BROWSER_READER: std::cell::RefCell<Option<Arc<Regional>>> =
        const { std::cell::RefCell::new(None) };
}

/// Makes the reader's settings apply to everything rendered below (called once, by the root).
pub fn provide_regional(r: Regional) {
    let r = Arc::new(r);
    #[cfg(feature = "hydrate")]
    BROWSER_READER.with(|b| *b.borrow_mut() = Some(r.clone()));
    provide_context(Reader(r));
}

/// The reader's settings: UTC and US formats when none were given.
pub fn regional() -> Arc<Regional> {
    if let Some(Reader(r)) = use_context::<Reader>() {
        return r;
    }
    #[cfg(feature = "hydrate")]
    if let Some(r) = BROWSER_READER.with(|b| b.borrow().clone()) {
        return r;
    }
    Arc::new(Regional::default())
}

pub fn date(d: NaiveDate) -> String {
    regional().date(d)
}

/// The local calendar day of an instant.
pub fn day(t: DateTime<Utc>) -> String {
    let r = regional();
    r.date(r.local_date(t))
}

pub fn datetime(t: DateTime<Utc>) -> String {
    regional().datetime(t)
}

/// The local time of day, with the zone: `2:05 PM EST`.
pub fn time(t: DateTime<Utc>) -> String {
    regional().time(t)
}

/// `November 2026`.
pub fn month_year(d: NaiveDate) -> String {
    regional().month_year(d)
}

/// Today's date where the reader is.
pub fn today() -> NaiveDate {
    regional().today()
}

/// An amount in full: `$12,500.50`, `12.500,50 €`.
pub fn money(m: &Money) -> String {
    regional().money(m.minor, &m.currency)
}

/// A whole number, grouped: `12,345`.
pub fn count(n: u64) -> String {
    regional().count(n)
}

/// "in 3 days", "2 hours ago", "today": for due dates and ages.
pub fn relative(t: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let secs = (t - now).num_seconds();
    let (amount, future) = (secs.unsigned_abs(), secs > 0);
    let text = if amount < 60 {
        return "just now".into();
    } else if amount < 3_600 {
        plural(amount / 60, "minute")
    } else if amount < 86_400 {
        plural(amount / 3_600, "hour")
    } else {
        plural(amount / 86_400, "day")
    };
    if future {
        format!("in {text}")
    } else {
        format!("{text} ago")
    }
}

fn plural(n: u64, unit: &str) -> String {
    if n == 1 {
        format!("1 {unit}")
    } else {
        format!("{n} {unit}s")
    }
}

/// Whole days between two times (for "days in stage").
pub fn days_between(from: DateTime<Utc>, to: DateTime<Utc>) -> i64 {
    (to - from).num_days().max(0)
}

/// Money in a few characters, for column headers and cards: `$1.2M`, `$850K`, `$400`.
pub fn compact_money(minor: i64, currency: &str) -> String {
    regional().compact_money(minor, currency)
}

/// An id for one submission of a form: a retry of the same submission creates nothing new.
pub fn submission_key() -> String {
    uuid::Uuid::new_v4().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    #[test]
    fn relative_times_read_naturally() {
        let now = Utc::now();
        assert_eq!(
            relative(now + Duration::days(3) + Duration::minutes(1), now),
            "in 3 days"
        );
        assert_eq!(relative(now - Duration::hours(2), now), "2 hours ago");
        assert_eq!(relative(now - Duration::seconds(10), now), "just now");
        assert_eq!(relative(now - Duration::minutes(1), now), "1 minute ago");
    }

    #[test]
    fn money_in_headers_is_short() {
        assert_eq!(compact_money(123_456_789_00, "USD"), "$123.5M");
        assert_eq!(compact_money(12_345_678_00, "USD"), "$12.35M");
        assert_eq!(compact_money(71_050_000, "USD"), "$710.5K");
        assert_eq!(compact_money(1_197_000_000, "USD"), "$11.97M");
        assert_eq!(compact_money(85_000_000, "USD"), "$850K");
        assert_eq!(compact_money(40_000, "USD"), "$400");
        assert_eq!(compact_money(1_250_000, "CHF"), "CHF 12.5K");
    }

    #[test]
    fn dates_are_short_and_unambiguous() {
        assert_eq!(
            date(NaiveDate::from_ymd_opt(2026, 11, 3).unwrap()),
            "Nov 3, 2026"
        );
    }
}
