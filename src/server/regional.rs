//! Time zones and locales on the server: which apply to a request's reader, what they may be
//! set to, and the zone offsets a page sends the browser (which has no zone database).

use super::config::Config;
use crate::domain::error::AppError;
use crate::domain::regional::{Locale, Regional, RegionalChoice, RegionalOptions, Shift};
use chrono::{DateTime, Datelike, Offset, TimeZone, Utc};
use chrono_tz::{OffsetName, Tz};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

/// The cookie a page's small script sets to the browser's own zone, for readers who chose none.
pub const BROWSER_ZONE_COOKIE: &str = "crm_tz";

/// Whose settings a request is read with: stored in the request's extensions beside the
/// principal.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Reader {
    pub zone: Tz,
    pub locale: Locale,
}

impl Default for Reader {
    fn default() -> Reader {
        Reader {
            zone: Tz::UTC,
            locale: Locale::EnUs,
        }
    }
}

/// A zone by its IANA name, in any letter case (`europe/berlin`).
pub fn zone(name: &str) -> Option<Tz> {
    let name = name.trim();
    if name.is_empty() {
        return None;
    }
    Tz::from_str_insensitive(name).ok()
}

/// The installation's defaults must name a real zone and a supported locale: checked at start.
pub fn check_defaults(config: &Config) -> Result<(), String> {
    if zone(&config.time_zone).is_none() {
        return Err(format!(
            "CRM_TIME_ZONE `{}` is not a time zone: use an IANA name such as Europe/Berlin or America/New_York",
            config.time_zone
        ));
    }
    if Locale::parse(&config.locale).is_none() {
        return Err(format!(
            "CRM_LOCALE `{}` is not one of: {}",
            config.locale,
            Locale::ALL.map(|l| l.code()).join(", ")
        ));
    }
    Ok(())
}

fn defaults(config: &Config) -> Reader {
    Reader {
        zone: zone(&config.time_zone).unwrap_or(Tz::UTC),
        locale: Locale::parse(&config.locale).unwrap_or_default(),
    }
}

/// What applies: the person's choice, else (for portal users and visitors, whom the
/// installation does not know) what their browser says, else the installation's default.
pub fn reader(
    config: &Config,
    choice: &RegionalChoice,
    browser: Option<(Option<&str>, Option<&str>)>,
) -> Reader {
    let fallback = defaults(config);
    let (browser_zone, browser_locale) = browser.unwrap_or((None, None));
    Reader {
        zone: choice
            .time_zone
            .as_deref()
            .and_then(zone)
            .or_else(|| browser_zone.and_then(zone))
            .unwrap_or(fallback.zone),
        locale: choice
            .locale
            .as_deref()
            .and_then(Locale::parse)
            .or_else(|| browser_locale.and_then(Locale::from_accept_language))
            .unwrap_or(fallback.locale),
    }
}

/// A person's new choice, checked: a known zone (stored by its canonical name) and a
/// supported locale; empty means "the default".
pub fn checked(choice: &RegionalChoice) -> Result<RegionalChoice, AppError> {
    let mut problems = crate::domain::error::FieldErrors::new();
    let time_zone = match choice.time_zone.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(name) => match zone(name) {
            Some(tz) => Some(tz.name().to_string()),
            None => {
                problems.insert(
                    "time_zone".into(),
                    vec!["Choose a time zone from the list.".into()],
                );
                None
            }
        },
    };
    let locale = match choice.locale.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(code) => match Locale::parse(code) {
            Some(l) => Some(l.code().to_string()),
            None => {
                problems.insert(
                    "locale".into(),
                    vec!["Choose a format from the list.".into()],
                );
                None
            }
        },
    };
    if problems.is_empty() {
        Ok(RegionalChoice { time_zone, locale })
    } else {
        Err(AppError::validation(problems))
    }
}

/// The zones and defaults a settings form offers.
pub fn options(config: &Config) -> RegionalOptions {
    let d = defaults(config);
    let mut zones: Vec<String> = chrono_tz::TZ_VARIANTS
        .iter()
        .map(|z| z.name())
        // Region/City names, and UTC; the legacy aliases (US/Eastern, EST5EDT) stay accepted.
        .filter(|n| {
            (n.contains('/') && !n.starts_with("Etc/") && !n.starts_with("US/")) || *n == "UTC"
        })
        .map(str::to_string)
        .collect();
    zones.sort();
    RegionalOptions {
        zones,
        default_zone: d.zone.name().to_string(),
        default_locale: d.locale,
    }
}

/// The settings a page is rendered with, offsets included.
pub fn regional(reader: Reader, now: DateTime<Utc>) -> Regional {
    Regional {
        zone: reader.zone.name().to_string(),
        locale: reader.locale,
        shifts: shifts(reader.zone, now.year()).as_ref().clone(),
    }
}

/// Years of offsets a page carries: enough for records of the last decade and dates ahead.
const YEARS_BACK: i32 = 10;
const YEARS_AHEAD: i32 = 6;

type ShiftCache = Mutex<HashMap<(Tz, i32), Arc<Vec<Shift>>>>;

/// A zone's offsets from `YEARS_BACK` before `year` to `YEARS_AHEAD` after, worked out once
/// per zone and year by this process.
fn shifts(tz: Tz, year: i32) -> Arc<Vec<Shift>> {
    static CACHE: OnceLock<ShiftCache> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(found) = cache.lock().ok().and_then(|c| c.get(&(tz, year)).cloned()) {
        return found;
    }
    let computed = Arc::new(compute_shifts(tz, year - YEARS_BACK, year + YEARS_AHEAD));
    if let Ok(mut c) = cache.lock() {
        c.insert((tz, year), computed.clone());
    }
    computed
}

fn at(tz: Tz, secs: i64) -> (i32, String) {
    let t = DateTime::<Utc>::from_timestamp(secs, 0).unwrap_or_default();
    let off = tz.offset_from_utc_datetime(&t.naive_utc());
    let abbr = off.abbreviation().map(str::to_string).unwrap_or_default();
    let seconds = off.fix().local_minus_utc();
    let abbr = if abbr.is_empty() {
        utc_label(seconds)
    } else {
        abbr
    };
    (seconds, abbr)
}

/// `UTC+5:30` for a zone without a short name.
fn utc_label(seconds: i32) -> String {
    let sign = if seconds < 0 { '-' } else { '+' };
    let (h, m) = (seconds.abs() / 3600, seconds.abs() % 3600 / 60);
    if m == 0 {
        format!("UTC{sign}{h}")
    } else {
        format!("UTC{sign}{h}:{m:02}")
    }
}

/// Steps through the years a day at a time; where a day's offset differs from the day before,
/// finds the second it changed.
fn compute_shifts(tz: Tz, from_year: i32, to_year: i32) -> Vec<Shift> {
    let start = Utc
        .with_ymd_and_hms(from_year, 1, 1, 0, 0, 0)
        .single()
        .map_or(0, |t| t.timestamp());
    let end = Utc
        .with_ymd_and_hms(to_year, 1, 1, 0, 0, 0)
        .single()
        .map_or(start, |t| t.timestamp());
    let (offset, abbr) = at(tz, start);
    let mut out = vec![Shift {
        from: i64::MIN,
        offset,
        abbr,
    }];
    const DAY: i64 = 86_400;
    let mut prev = start;
    let mut current = at(tz, start);
    let mut t = start + DAY;
    while t <= end {
        let here = at(tz, t);
        if here != current {
            let (mut lo, mut hi) = (prev, t);
            while hi - lo > 1 {
                let mid = lo + (hi - lo) / 2;
                if at(tz, mid) == current {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            out.push(Shift {
                from: hi,
                offset: here.0,
                abbr: here.1.clone(),
            });
            current = here;
        }
        prev = t;
        t += DAY;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_match_the_zone_database_at_every_moment() {
        for name in [
            "Europe/Berlin",
            "America/New_York",
            "Asia/Kolkata",
            "Australia/Lord_Howe",
        ] {
            let tz = zone(name).unwrap();
            let r = regional(
                Reader {
                    zone: tz,
                    locale: Locale::EnGb,
                },
                Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0).unwrap(),
            );
            // Every 37 minutes through two years, and around each change.
            let mut moments: Vec<i64> = (0..(2 * 365 * 24 * 60 / 37))
                .map(|i| 1_767_225_600 + i * 37 * 60)
                .collect();
            for s in r.shifts.iter().skip(1) {
                moments.extend([s.from - 1, s.from, s.from + 1]);
            }
            for secs in moments {
                let t = DateTime::<Utc>::from_timestamp(secs, 0).unwrap();
                let want = t.with_timezone(&tz).naive_local();
                assert_eq!(r.local(t).0, want, "{name} at {t}");
            }
        }
        let berlin = regional(
            Reader {
                zone: zone("europe/berlin").unwrap(),
                locale: Locale::DeDe,
            },
            Utc::now(),
        );
        assert!(
            berlin.shifts.len() > 20 && berlin.shifts.len() < 40,
            "{}",
            berlin.shifts.len()
        );
        assert_eq!(utc_label(19_800), "UTC+5:30");
    }

    #[test]
    fn choices_are_checked_and_stored_by_their_canonical_names() {
        let ok = checked(&RegionalChoice {
            time_zone: Some(" america/new_york ".into()),
            locale: Some("de_de".into()),
        })
        .unwrap();
        assert_eq!(ok.time_zone.as_deref(), Some("America/New_York"));
        assert_eq!(ok.locale.as_deref(), Some("de-DE"));
        let empty = checked(&RegionalChoice {
            time_zone: Some(String::new()),
            locale: None,
        })
        .unwrap();
        assert_eq!(empty, RegionalChoice::default());
        assert!(
            checked(&RegionalChoice {
                time_zone: Some("Mars/Olympus".into()),
                locale: Some("tlh".into()),
            })
            .is_err()
        );
    }

    #[test]
    fn a_choice_wins_then_the_browser_then_the_installation() {
        let mut config = Config::for_database("sqlite::memory:");
        config.time_zone = "Europe/Paris".into();
        config.locale = "fr-FR".into();
        let nothing = RegionalChoice::default();
        assert_eq!(reader(&config, &nothing, None).zone.name(), "Europe/Paris");
        let browser = Some((Some("Asia/Tokyo"), Some("de-CH,de;q=0.9")));
        let r = reader(&config, &nothing, browser);
        assert_eq!((r.zone.name(), r.locale), ("Asia/Tokyo", Locale::DeDe));
        let chose = RegionalChoice {
            time_zone: Some("America/Chicago".into()),
            locale: Some("en-GB".into()),
        };
        let r = reader(&config, &chose, browser);
        assert_eq!((r.zone.name(), r.locale), ("America/Chicago", Locale::EnGb));
        // A browser cookie naming no zone changes nothing.
        let r = reader(&config, &nothing, Some((Some("nowhere"), None)));
        assert_eq!((r.zone.name(), r.locale), ("Europe/Paris", Locale::FrFr));
        config.time_zone = "Nowhere/Else".into();
        assert!(check_defaults(&config).is_err());
    }
}
