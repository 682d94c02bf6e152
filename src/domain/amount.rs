//! Amounts of money: integer minor units (cents) with a currency, read from and written as
//! decimals, and shown compactly.

/// An amount of money: integer minor units (cents) and an ISO currency code. Sent and shown as
/// a decimal.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Money {
    pub minor: i64,
    pub currency: String,
}

pub const DEFAULT_CURRENCY: &str = "USD";

impl Money {
    pub fn new(minor: i64, currency: &str) -> Money {
        Money {
            minor,
            currency: currency.to_string(),
        }
    }

    /// The decimal form, e.g. `12500.50`.
    pub fn decimal(&self) -> String {
        decimal_string(self.minor)
    }

    /// For people: `$12,500.50`, `€900.00`, `CHF 1,200.00`.
    pub fn display(&self) -> String {
        let sign = if self.minor < 0 { "-" } else { "" };
        let abs = self.minor.unsigned_abs();
        let units = group_thousands(abs / 100);
        let cents = abs % 100;
        let symbol = match self.currency.as_str() {
            "USD" => "$",
            "EUR" => "€",
            "GBP" => "£",
            "JPY" => "¥",
            _ => "",
        };
        if symbol.is_empty() {
            format!("{sign}{} {units}.{cents:02}", self.currency)
        } else {
            format!("{sign}{symbol}{units}.{cents:02}")
        }
    }
}

/// Minor units → `"1234.50"`.
pub fn decimal_string(minor: i64) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let abs = minor.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

/// A short human amount for dense places such as board columns: `$1.2M`, `$950K`, `$120`.
pub fn compact_amount(minor: i64, currency: &str) -> String {
    let units = minor as f64 / 100.0;
    let symbol = match currency {
        "USD" => "$",
        "EUR" => "€",
        "GBP" => "£",
        _ => "",
    };
    let (value, suffix) = if units.abs() >= 1e9 {
        (units / 1e9, "B")
    } else if units.abs() >= 1e6 {
        (units / 1e6, "M")
    } else if units.abs() >= 1e3 {
        (units / 1e3, "K")
    } else {
        (units, "")
    };
    let number = if suffix.is_empty() || value.abs() >= 100.0 {
        format!("{value:.0}")
    } else {
        format!("{value:.1}")
    };
    if symbol.is_empty() {
        format!("{currency} {number}{suffix}")
    } else {
        format!("{symbol}{number}{suffix}")
    }
}

pub fn group_thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// The largest amount, in currency units, any money field takes: ten trillion, far beyond any
/// deal, and small enough that every amount is exact as a JSON number (a double).
pub const MAX_AMOUNT_UNITS: i64 = 10_000_000_000_000;

/// Parses a decimal amount (`1234`, `1,234.5`, `1234.56`) into minor units; more than two
/// decimals, letters or a second point are refused.
pub fn parse_decimal(text: &str) -> Result<i64, String> {
    let cleaned: String = text
        .trim()
        .chars()
        .filter(|c| *c != ',' && *c != '_' && *c != ' ')
        .collect();
    let (negative, digits) = match cleaned.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, cleaned.as_str()),
    };
    let (units, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let valid = !units.is_empty() || !fraction.is_empty();
    if !valid
        || !units.chars().all(|c| c.is_ascii_digit())
        || !fraction.chars().all(|c| c.is_ascii_digit())
    {
        return Err("Enter an amount such as 1250 or 1250.50.".into());
    }
    if fraction.len() > 2 {
        return Err("Use at most two decimals.".into());
    }
    let units: i64 = if units.is_empty() {
        0
    } else {
        units
            .parse()
            .map_err(|_| "The amount is too large.".to_string())?
    };
    let cents: i64 = format!("{fraction:0<2}").parse().unwrap_or(0);
    let minor = units
        .checked_mul(100)
        .and_then(|u| u.checked_add(cents))
        .filter(|m| *m <= MAX_AMOUNT_UNITS * 100)
        .ok_or("The amount is too large.")?;
    Ok(if negative { -minor } else { minor })
}

/// Money fields accept a JSON number or a decimal string, and are sent as a number.
pub mod decimal_minor {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(minor: &i64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(*minor as f64 / 100.0)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
        let value = serde_json::Value::deserialize(d)?;
        super::minor_from_json(&value).map_err(serde::de::Error::custom)
    }
}

/// The same for optional amounts.
pub mod opt_decimal_minor {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(minor: &Option<i64>, s: S) -> Result<S::Ok, S::Error> {
        match minor {
            Some(m) => s.serialize_f64(*m as f64 / 100.0),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
        let value = serde_json::Value::deserialize(d)?;
        if value.is_null() {
            return Ok(None);
        }
        super::minor_from_json(&value)
            .map(Some)
            .map_err(serde::de::Error::custom)
    }
}

/// And for patches, where a missing amount and a cleared one differ.
pub mod patch_decimal_minor {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(minor: &Option<Option<i64>>, s: S) -> Result<S::Ok, S::Error> {
        match minor {
            Some(Some(m)) => s.serialize_f64(*m as f64 / 100.0),
            _ => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<i64>>, D::Error> {
        let value = serde_json::Value::deserialize(d)?;
        if value.is_null() {
            return Ok(Some(None));
        }
        super::minor_from_json(&value)
            .map(|m| Some(Some(m)))
            .map_err(serde::de::Error::custom)
    }
}

pub(crate) fn minor_from_json(value: &serde_json::Value) -> Result<i64, String> {
    match value {
        // Parse the number's own text, so 0.1 + 0.2 style float noise never creeps in.
        serde_json::Value::Number(n) => parse_decimal(&n.to_string()),
        serde_json::Value::String(s) => parse_decimal(s),
        _ => Err("Enter an amount such as 1250 or 1250.50.".into()),
    }
}
