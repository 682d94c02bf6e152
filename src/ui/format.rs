//! How values read on screen. Times are shown in UTC on both the server and the browser, so a
//! server-rendered page and its hydrated copy always agree.

use chrono::{DateTime, NaiveDate, Utc};

pub fn date(d: NaiveDate) -> String {
    d.format("%b %-d, %Y").to_string()
}

pub fn day(t: DateTime<Utc>) -> String {
    date(t.date_naive())
}

pub fn datetime(t: DateTime<Utc>) -> String {
    t.format("%b %-d, %Y %H:%M UTC").to_string()
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

/// Money in a few characters, for column headers: `$1.2M`, `$850K`, `$400`.
pub fn compact_money(minor: i64, currency: &str) -> String {
    let units = minor as f64 / 100.0;
    let symbol = match currency {
        "USD" => "$".to_string(),
        "EUR" => "€".to_string(),
        "GBP" => "£".to_string(),
        "JPY" => "¥".to_string(),
        other => format!("{other} "),
    };
    let abs = units.abs();
    let sign = if units < 0.0 { "-" } else { "" };
    let (n, unit) = if abs >= 1e9 {
        (abs / 1e9, "B")
    } else if abs >= 1e6 {
        (abs / 1e6, "M")
    } else if abs >= 1e4 {
        (abs / 1e3, "K")
    } else {
        return format!(
            "{sign}{symbol}{}",
            crate::domain::records::group_thousands(abs.round() as u64)
        );
    };
    // Four significant digits at most ($710.5K, $11.97M), trailing zeros dropped ($850K).
    let digits = if n >= 100.0 {
        1
    } else if n >= 10.0 {
        2
    } else {
        3
    };
    let text = format!("{n:.digits$}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    format!("{sign}{symbol}{text}{unit}")
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
