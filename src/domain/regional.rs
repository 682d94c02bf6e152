//! How times, dates and amounts read for one person: their time zone and their locale. A little
//! over 600 lines on purpose: the locales and the formatting that reads them go together, and a
//! quarter of the file is their tests.
//!
//! The browser gets no time-zone database (it would weigh more than the pages that use it).
//! The server, which has one, sends each page the offsets of the reader's zone around today
//! ([`Regional::shifts`]); the same code turns an instant into local time on both sides, so a
//! server-rendered page and its hydrated copy always agree. Only formats change with the
//! locale; the words of the interface stay English.

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, Timelike, Utc};
use serde::{Deserialize, Serialize};

/// The locales dates and amounts can follow.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum Locale {
    #[default]
    #[serde(rename = "en-US")]
    EnUs,
    #[serde(rename = "en-GB")]
    EnGb,
    #[serde(rename = "de-DE")]
    DeDe,
    #[serde(rename = "fr-FR")]
    FrFr,
    #[serde(rename = "es-ES")]
    EsEs,
    #[serde(rename = "pt-BR")]
    PtBr,
}

const EN_MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DE_MONTHS: [&str; 12] = [
    "Januar",
    "Februar",
    "März",
    "April",
    "Mai",
    "Juni",
    "Juli",
    "August",
    "September",
    "Oktober",
    "November",
    "Dezember",
];
const FR_MONTHS: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];
const ES_MONTHS: [&str; 12] = [
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "octubre",
    "noviembre",
    "diciembre",
];
const PT_MONTHS: [&str; 12] = [
    "janeiro",
    "fevereiro",
    "março",
    "abril",
    "maio",
    "junho",
    "julho",
    "agosto",
    "setembro",
    "outubro",
    "novembro",
    "dezembro",
];
const FR_SHORT: [&str; 12] = [
    "janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.",
    "déc.",
];
const DE_SHORT: [&str; 12] = [
    "Jan.", "Feb.", "März", "Apr.", "Mai", "Juni", "Juli", "Aug.", "Sept.", "Okt.", "Nov.", "Dez.",
];

impl Locale {
    pub const ALL: [Locale; 6] = [
        Locale::EnUs,
        Locale::EnGb,
        Locale::DeDe,
        Locale::FrFr,
        Locale::EsEs,
        Locale::PtBr,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Locale::EnUs => "en-US",
            Locale::EnGb => "en-GB",
            Locale::DeDe => "de-DE",
            Locale::FrFr => "fr-FR",
            Locale::EsEs => "es-ES",
            Locale::PtBr => "pt-BR",
        }
    }

    /// The name people pick it by, with an example of its dates.
    pub fn label(self) -> &'static str {
        match self {
            Locale::EnUs => "English (United States) · Nov 3, 2026 · 2:05 PM · $1,234.50",
            Locale::EnGb => "English (United Kingdom) · 3 Nov 2026 · 14:05 · $1,234.50",
            Locale::DeDe => "Deutsch (Deutschland) · 3. Nov. 2026 · 14:05 · 1.234,50 $",
            Locale::FrFr => "Français (France) · 3 nov. 2026 · 14:05 · 1 234,50 $",
            Locale::EsEs => "Español (España) · 3 nov 2026 · 14:05 · 1.234,50 $",
            Locale::PtBr => "Português (Brasil) · 3 de nov. de 2026 · 14:05 · $ 1.234,50",
        }
    }

    /// A locale from its code, as people and browsers write it: `de-DE`, `de_de`, `pt-br`;
    /// a bare language picks its first country here (`de` → de-DE, `en` → en-US).
    pub fn parse(text: &str) -> Option<Locale> {
        let t = text.trim().replace('_', "-").to_ascii_lowercase();
        if t.is_empty() {
            return None;
        }
        Locale::ALL
            .into_iter()
            .find(|l| l.code().eq_ignore_ascii_case(&t))
            .or_else(|| {
                let lang = t.split('-').next().unwrap_or_default();
                Locale::ALL
                    .into_iter()
                    .find(|l| l.code()[..2].eq_ignore_ascii_case(lang))
            })
    }

    /// The browser's preference (`Accept-Language: fr-CH, fr;q=0.9, en;q=0.8`), by weight.
    pub fn from_accept_language(header: &str) -> Option<Locale> {
        let mut wanted: Vec<(f32, &str)> = header
            .split(',')
            .filter_map(|part| {
                let mut bits = part.split(';');
                let tag = bits.next()?.trim();
                let q = bits
                    .find_map(|b| b.trim().strip_prefix("q="))
                    .and_then(|q| q.parse::<f32>().ok())
                    .unwrap_or(1.0);
                (q > 0.0 && !tag.is_empty() && tag != "*").then_some((q, tag))
            })
            .collect();
        // Stable: equal weights keep the order the browser sent.
        wanted.sort_by(|a, b| b.0.total_cmp(&a.0));
        wanted.into_iter().find_map(|(_, tag)| Locale::parse(tag))
    }

    fn months(self) -> &'static [&'static str; 12] {
        match self {
            Locale::EnUs | Locale::EnGb => &EN_MONTHS,
            Locale::DeDe => &DE_MONTHS,
            Locale::FrFr => &FR_MONTHS,
            Locale::EsEs => &ES_MONTHS,
            Locale::PtBr => &PT_MONTHS,
        }
    }

    /// A month's short name: `Nov`, `Nov.`, `nov.`, `nov`.
    pub fn short_month(self, month0: usize) -> String {
        let m = month0.min(11);
        match self {
            Locale::EnUs | Locale::EnGb => EN_MONTHS[m][..3].to_string(),
            Locale::DeDe => DE_SHORT[m].to_string(),
            Locale::FrFr => FR_SHORT[m].to_string(),
            Locale::EsEs => ES_MONTHS[m].chars().take(3).collect(),
            Locale::PtBr => format!("{}.", PT_MONTHS[m].chars().take(3).collect::<String>()),
        }
    }

    /// (thousands separator, decimal mark).
    fn separators(self) -> (&'static str, char) {
        match self {
            Locale::EnUs | Locale::EnGb => (",", '.'),
            Locale::DeDe | Locale::EsEs | Locale::PtBr => (".", ','),
            // A narrow no-break space, as French typography groups digits.
            Locale::FrFr => ("\u{202f}", ','),
        }
    }

    fn twelve_hour(self) -> bool {
        self == Locale::EnUs
    }
}

/// From `from` (seconds since 1970, UTC) on, local time is `offset` seconds ahead of UTC and
/// the zone is called `abbr` (`EST`, `CEST`, `+03`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Shift {
    pub from: i64,
    pub offset: i32,
    pub abbr: String,
}

/// One reader's settings, with what is needed to apply them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Regional {
    /// The IANA name (`Europe/Berlin`).
    pub zone: String,
    pub locale: Locale,
    /// The zone's offsets, oldest first, from some years back to some years ahead. Before the
    /// first the first applies, after the last the last: records decades old or far ahead may
    /// read an hour off in zones that changed their rules.
    pub shifts: Vec<Shift>,
}

impl Default for Regional {
    fn default() -> Regional {
        Regional::utc(Locale::EnUs)
    }
}

impl Regional {
    pub fn utc(locale: Locale) -> Regional {
        Regional {
            zone: "UTC".into(),
            locale,
            shifts: vec![Shift {
                from: i64::MIN,
                offset: 0,
                abbr: "UTC".into(),
            }],
        }
    }

    fn shift_at(&self, t: DateTime<Utc>) -> Option<&Shift> {
        let secs = t.timestamp();
        let after = self.shifts.partition_point(|s| s.from <= secs);
        self.shifts.get(after.saturating_sub(1))
    }

    /// Local wall-clock time, and the zone's short name then.
    pub fn local(&self, t: DateTime<Utc>) -> (NaiveDateTime, &str) {
        match self.shift_at(t) {
            Some(s) => (
                t.naive_utc() + chrono::Duration::seconds(i64::from(s.offset)),
                s.abbr.as_str(),
            ),
            None => (t.naive_utc(), "UTC"),
        }
    }

    /// The instant a local wall-clock time names (in the hour a clock skips or repeats, one of
    /// the instants around it).
    pub fn instant(&self, local: NaiveDateTime) -> DateTime<Utc> {
        let at = |offset: i32| local.and_utc() - chrono::Duration::seconds(i64::from(offset));
        let offset_at = |t: DateTime<Utc>| self.shift_at(t).map_or(0, |s| s.offset);
        // The offset in force at the guess decides; a second step settles a guess that
        // landed on the other side of a change.
        let first = at(offset_at(local.and_utc()));
        let second = at(offset_at(first));
        if self.local(second).0 == local {
            second
        } else {
            first.min(second)
        }
    }

    /// The start and the end of a local calendar day, as instants (the end: its last minute).
    pub fn day_start(&self, d: NaiveDate) -> DateTime<Utc> {
        self.instant(d.and_time(chrono::NaiveTime::MIN))
    }

    pub fn day_end(&self, d: NaiveDate) -> DateTime<Utc> {
        let last = chrono::NaiveTime::from_hms_opt(23, 59, 0).unwrap_or(chrono::NaiveTime::MIN);
        self.instant(d.and_time(last))
    }

    /// The local calendar day of an instant.
    pub fn local_date(&self, t: DateTime<Utc>) -> NaiveDate {
        self.local(t).0.date()
    }

    /// Today, where the reader is.
    pub fn today(&self) -> NaiveDate {
        self.local_date(Utc::now())
    }

    /// A calendar date: `Nov 3, 2026`, `3 Nov 2026`, `3. Nov. 2026`, `3 de nov. de 2026`.
    pub fn date(&self, d: NaiveDate) -> String {
        let l = self.locale;
        let (day, year) = (d.day(), d.year());
        let month = l.short_month(d.month0() as usize);
        match l {
            Locale::EnUs => format!("{month} {day}, {year}"),
            Locale::EnGb | Locale::FrFr | Locale::EsEs => format!("{day} {month} {year}"),
            Locale::DeDe => format!("{day}. {month} {year}"),
            Locale::PtBr => format!("{day} de {month} de {year}"),
        }
    }

    /// `November 2026`, `novembre 2026`, `noviembre de 2026`.
    pub fn month_year(&self, d: NaiveDate) -> String {
        let month = self.locale.months()[d.month0() as usize];
        match self.locale {
            Locale::EsEs | Locale::PtBr => format!("{month} de {}", d.year()),
            _ => format!("{month} {}", d.year()),
        }
    }

    /// A time of day: `2:05 PM`, `14:05`.
    pub fn clock(&self, t: NaiveDateTime) -> String {
        let (h, m) = (t.hour(), t.minute());
        if self.locale.twelve_hour() {
            let half = if h < 12 { "AM" } else { "PM" };
            let h12 = match h % 12 {
                0 => 12,
                n => n,
            };
            format!("{h12}:{m:02} {half}")
        } else {
            format!("{h:02}:{m:02}")
        }
    }

    /// The local time of day of an instant, with the zone: `2:05 PM EST`.
    pub fn time(&self, t: DateTime<Utc>) -> String {
        let (local, abbr) = self.local(t);
        format!("{} {abbr}", self.clock(local))
    }

    /// An instant, in local time: `Nov 3, 2026, 2:05 PM EST`.
    pub fn datetime(&self, t: DateTime<Utc>) -> String {
        let (local, abbr) = self.local(t);
        format!("{}, {} {abbr}", self.date(local.date()), self.clock(local))
    }

    /// A whole number with the locale's grouping: `12,345`, `12.345`.
    pub fn count(&self, n: u64) -> String {
        group(n, self.locale.separators().0)
    }

    /// An amount of money: `$12,500.50`, `12.500,50 €`, `CHF 1,200.00`.
    pub fn money(&self, minor: i64, currency: &str) -> String {
        let (sep, mark) = self.locale.separators();
        let sign = if minor < 0 { "-" } else { "" };
        let abs = minor.unsigned_abs();
        let number = format!("{}{mark}{:02}", group(abs / 100, sep), abs % 100);
        self.place_symbol(sign, &number, currency)
    }

    /// Money in a few characters, for dense places: `$710.5K`, `710,5K €`, `$11.97M`.
    pub fn compact_money(&self, minor: i64, currency: &str) -> String {
        let units = minor as f64 / 100.0;
        let abs = units.abs();
        let sign = if units < 0.0 { "-" } else { "" };
        let (n, unit) = if abs >= 1e9 {
            (abs / 1e9, "B")
        } else if abs >= 1e6 {
            (abs / 1e6, "M")
        } else if abs >= 1e4 {
            (abs / 1e3, "K")
        } else {
            let whole = group(abs.round() as u64, self.locale.separators().0);
            return self.place_symbol(sign, &whole, currency);
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
        let text = text.replace('.', &self.locale.separators().1.to_string());
        self.place_symbol(sign, &format!("{text}{unit}"), currency)
    }

    fn place_symbol(&self, sign: &str, number: &str, currency: &str) -> String {
        let symbol = match currency {
            "USD" => Some("$"),
            "EUR" => Some("€"),
            "GBP" => Some("£"),
            "JPY" => Some("¥"),
            _ => None,
        };
        match (self.locale, symbol) {
            (_, None) => format!("{sign}{currency} {number}"),
            (Locale::EnUs | Locale::EnGb, Some(s)) => format!("{sign}{s}{number}"),
            (Locale::PtBr, Some(s)) => format!("{sign}{s} {number}"),
            (_, Some(s)) => format!("{sign}{number} {s}"),
        }
    }
}

fn group(n: u64, sep: &str) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 * sep.len());
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push_str(sep);
        }
        out.push(ch);
    }
    out
}

/// What a person chose (or left to the installation's default), as stored and as sent.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RegionalChoice {
    /// An IANA time zone name (`Europe/Berlin`), or none for the installation's default.
    pub time_zone: Option<String>,
    /// A locale code (`de-DE`), or none for the installation's default.
    pub locale: Option<String>,
}

/// The choices a settings form offers.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RegionalOptions {
    /// Every time zone the server knows, by name.
    pub zones: Vec<String>,
    /// What applies when a person chooses nothing.
    pub default_zone: String,
    pub default_locale: Locale,
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn local_days_start_and_end_where_the_reader_is() {
        let b = berlin(Locale::DeDe);
        let utc = |y, m, d, h, min| Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap();
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert_eq!(b.day_start(day(2026, 1, 15)), utc(2026, 1, 14, 23, 0));
        assert_eq!(b.day_end(day(2026, 7, 1)), utc(2026, 7, 1, 21, 59));
        assert_eq!(b.local_date(b.day_end(day(2026, 7, 1))), day(2026, 7, 1));
        // 02:30 on the morning clocks skip to 03:00 lands within the hour around the jump.
        let skipped = b.instant(day(2026, 3, 29).and_hms_opt(2, 30, 0).unwrap());
        assert!(
            skipped >= utc(2026, 3, 29, 0, 30) && skipped <= utc(2026, 3, 29, 1, 30),
            "{skipped}"
        );
        let u = Regional::utc(Locale::EnUs);
        assert_eq!(u.day_end(day(2026, 7, 1)), utc(2026, 7, 1, 23, 59));
    }

    fn berlin(locale: Locale) -> Regional {
        // 2026: CET until Mar 29 01:00 UTC, CEST until Oct 25 01:00 UTC.
        Regional {
            zone: "Europe/Berlin".into(),
            locale,
            shifts: vec![
                Shift {
                    from: 1_761_440_400,
                    offset: 3_600,
                    abbr: "CET".into(),
                },
                Shift {
                    from: 1_774_746_000,
                    offset: 7_200,
                    abbr: "CEST".into(),
                },
                Shift {
                    from: 1_792_890_000,
                    offset: 3_600,
                    abbr: "CET".into(),
                },
            ],
        }
    }

    #[test]
    fn an_instant_reads_in_the_readers_zone_across_daylight_saving() {
        let r = berlin(Locale::DeDe);
        let summer = Utc.with_ymd_and_hms(2026, 7, 1, 12, 0, 0).unwrap();
        let winter = Utc.with_ymd_and_hms(2026, 12, 1, 12, 0, 0).unwrap();
        assert_eq!(r.datetime(summer), "1. Juli 2026, 14:00 CEST");
        assert_eq!(r.datetime(winter), "1. Dez. 2026, 13:00 CET");
        // The moment the clocks go back.
        let before = Utc.timestamp_opt(1_792_890_000 - 1, 0).unwrap();
        let after = Utc.timestamp_opt(1_792_890_000, 0).unwrap();
        assert_eq!(r.time(before), "02:59 CEST");
        assert_eq!(r.time(after), "02:00 CET");
        // Late evening UTC is already tomorrow in Berlin.
        let late = Utc.with_ymd_and_hms(2026, 12, 1, 23, 30, 0).unwrap();
        assert_eq!(
            r.local_date(late),
            NaiveDate::from_ymd_opt(2026, 12, 2).unwrap()
        );
        // Before the first shift known, the first applies.
        let old = Utc.with_ymd_and_hms(2001, 1, 1, 0, 0, 0).unwrap();
        assert_eq!(r.time(old), "01:00 CET");
    }

    #[test]
    fn dates_times_and_money_follow_the_locale() {
        let d = NaiveDate::from_ymd_opt(2026, 11, 3).unwrap();
        let t = Utc.with_ymd_and_hms(2026, 11, 3, 14, 5, 0).unwrap();
        let cases = [
            (
                Locale::EnUs,
                "Nov 3, 2026",
                "Nov 3, 2026, 2:05 PM UTC",
                "$1,234.50",
                "November 2026",
            ),
            (
                Locale::EnGb,
                "3 Nov 2026",
                "3 Nov 2026, 14:05 UTC",
                "$1,234.50",
                "November 2026",
            ),
            (
                Locale::DeDe,
                "3. Nov. 2026",
                "3. Nov. 2026, 14:05 UTC",
                "1.234,50 $",
                "November 2026",
            ),
            (
                Locale::FrFr,
                "3 nov. 2026",
                "3 nov. 2026, 14:05 UTC",
                "1\u{202f}234,50 $",
                "novembre 2026",
            ),
            (
                Locale::EsEs,
                "3 nov 2026",
                "3 nov 2026, 14:05 UTC",
                "1.234,50 $",
                "noviembre de 2026",
            ),
            (
                Locale::PtBr,
                "3 de nov. de 2026",
                "3 de nov. de 2026, 14:05 UTC",
                "$ 1.234,50",
                "novembro de 2026",
            ),
        ];
        for (locale, date, datetime, money, month) in cases {
            let r = Regional::utc(locale);
            assert_eq!(r.date(d), date, "{locale:?}");
            assert_eq!(r.datetime(t), datetime, "{locale:?}");
            assert_eq!(r.money(123_450, "USD"), money, "{locale:?}");
            assert_eq!(r.month_year(d), month, "{locale:?}");
        }
        let us = Regional::utc(Locale::EnUs);
        assert_eq!(us.clock(d.and_hms_opt(0, 7, 0).unwrap()), "12:07 AM");
        assert_eq!(us.clock(d.and_hms_opt(12, 0, 0).unwrap()), "12:00 PM");
        assert_eq!(us.money(-90_000, "CHF"), "-CHF 900.00");
        assert_eq!(us.compact_money(71_050_000, "USD"), "$710.5K");
        assert_eq!(
            Regional::utc(Locale::DeDe).compact_money(71_050_000, "EUR"),
            "710,5K €"
        );
        assert_eq!(Regional::utc(Locale::DeDe).count(1_234_567), "1.234.567");
    }

    #[test]
    fn locales_are_read_as_people_and_browsers_write_them() {
        assert_eq!(Locale::parse("de_de"), Some(Locale::DeDe));
        assert_eq!(Locale::parse("pt-br"), Some(Locale::PtBr));
        assert_eq!(Locale::parse("en"), Some(Locale::EnUs));
        assert_eq!(Locale::parse("xx-YY"), None);
        assert_eq!(Locale::parse(""), None);
        assert_eq!(
            Locale::from_accept_language("nl-NL, fr-CH;q=0.9, en;q=0.8"),
            Some(Locale::FrFr)
        );
        assert_eq!(
            Locale::from_accept_language("en-GB;q=0.5, de;q=0.7"),
            Some(Locale::DeDe)
        );
        assert_eq!(Locale::from_accept_language("*"), None);
        let json = serde_json::to_string(&Locale::PtBr).unwrap();
        assert_eq!(json, "\"pt-BR\"");
    }
}
