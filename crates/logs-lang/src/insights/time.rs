//! Time in Logs Insights: periods (`5m`, `1h`, `2days`), truncating and rounding up timestamps to
//! them (`bin`, `datefloor`, `dateceil`), and the text GetQueryResults shows for a timestamp.

use time::{Date, Month, OffsetDateTime};

const SECOND: i64 = 1000;
const MINUTE: i64 = 60 * SECOND;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;
const WEEK: i64 = 7 * DAY;
/// 1970-01-05, the first Monday after the epoch: weeks start on Monday (ISO 8601).
const FIRST_MONDAY: i64 = 4 * DAY;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unit {
    Millisecond,
    Second,
    Minute,
    Hour,
    Day,
    Week,
    Month,
    Quarter,
    Year,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Period {
    amount: i64,
    unit: Unit,
}

impl Period {
    /// Reads a period as the query writes it (`5m`, `300s`, `1hr`, `2weeks`). AWS caps the amount
    /// at the next unit (1000 ms, 60 s, 60 m, 24 h): `bin(300s)` is a 60-second bin.
    pub(crate) fn parse(text: &str) -> Option<Period> {
        let split = text.find(|c: char| !c.is_ascii_digit())?;
        let amount: i64 = text[..split].parse().ok()?;
        let unit_text = text[split..].to_ascii_lowercase();
        let unit = unit_named(&unit_text).or_else(|| {
            // Units of more than one character take a plural `s` (`hrs`, `mins`).
            let singular = unit_text.strip_suffix('s')?;
            if singular.len() > 1 { unit_named(singular) } else { None }
        })?;
        if amount < 1 {
            return None;
        }
        let cap = match unit {
            Unit::Millisecond => 1000,
            Unit::Second | Unit::Minute => 60,
            Unit::Hour => 24,
            _ => i64::MAX,
        };
        Some(Period { amount: amount.min(cap), unit })
    }

    /// The start of the period that contains `ms`.
    pub(crate) fn floor(self, ms: i64) -> i64 {
        match self.fixed_length() {
            Some(length) => {
                let origin = if self.unit == Unit::Week { FIRST_MONDAY } else { 0 };
                origin + (ms - origin).div_euclid(length) * length
            }
            None => {
                let (year, month) = year_month(ms);
                let months = year * 12 + month - 1;
                let step = self.months();
                let floored = months.div_euclid(step) * step;
                month_start(floored.div_euclid(12), floored.rem_euclid(12) + 1)
            }
        }
    }

    /// The end of the period that contains `ms` (`ms` itself when it starts a period).
    pub(crate) fn ceil(self, ms: i64) -> i64 {
        let floor = self.floor(ms);
        if floor == ms {
            return ms;
        }
        match self.fixed_length() {
            Some(length) => floor + length,
            None => {
                let (year, month) = year_month(floor);
                let months = year * 12 + month - 1 + self.months();
                month_start(months.div_euclid(12), months.rem_euclid(12) + 1)
            }
        }
    }

    fn fixed_length(self) -> Option<i64> {
        let unit = match self.unit {
            Unit::Millisecond => 1,
            Unit::Second => SECOND,
            Unit::Minute => MINUTE,
            Unit::Hour => HOUR,
            Unit::Day => DAY,
            Unit::Week => WEEK,
            Unit::Month | Unit::Quarter | Unit::Year => return None,
        };
        Some(self.amount * unit)
    }

    fn months(self) -> i64 {
        match self.unit {
            Unit::Quarter => 3 * self.amount,
            Unit::Year => 12 * self.amount,
            _ => self.amount,
        }
    }
}

fn unit_named(name: &str) -> Option<Unit> {
    Some(match name {
        "millisecond" | "ms" | "msec" => Unit::Millisecond,
        "second" | "s" | "sec" => Unit::Second,
        "minute" | "m" | "min" => Unit::Minute,
        "hour" | "h" | "hr" => Unit::Hour,
        "day" | "d" => Unit::Day,
        "week" | "w" => Unit::Week,
        "month" | "mo" | "mon" => Unit::Month,
        "quarter" | "q" | "qtr" => Unit::Quarter,
        "year" | "y" | "yr" => Unit::Year,
        _ => return None,
    })
}

fn date_time(ms: i64) -> Option<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).ok()
}

fn year_month(ms: i64) -> (i64, i64) {
    date_time(ms).map_or((1970, 1), |t| (i64::from(t.year()), i64::from(u8::from(t.month()))))
}

fn month_start(year: i64, month: i64) -> i64 {
    let date = i32::try_from(year)
        .ok()
        .zip(u8::try_from(month).ok().and_then(|m| Month::try_from(m).ok()))
        .and_then(|(y, m)| Date::from_calendar_date(y, m, 1).ok());
    date.map_or(0, |d| (d.midnight().assume_utc().unix_timestamp_nanos() / 1_000_000) as i64)
}

/// A timestamp as GetQueryResults shows it: `2026-12-05 10:00:00.000` (UTC).
pub(crate) fn format_timestamp(ms: i64) -> String {
    match date_time(ms) {
        Some(t) => format!(
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:03}",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second(),
            t.millisecond()
        ),
        None => ms.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-12-05 10:37:12.345 UTC
    const SAMPLE: i64 = 1_796_467_032_345;

    #[test]
    fn formats_like_aws() {
        assert_eq!(format_timestamp(SAMPLE), "2026-12-05 10:37:12.345");
        assert_eq!(format_timestamp(0), "1970-01-01 00:00:00.000");
    }

    #[test]
    fn units_and_caps() {
        let p = |text: &str| Period::parse(text).map(|p| format_timestamp(p.floor(SAMPLE)));
        assert_eq!(p("5m").as_deref(), Some("2026-12-05 10:35:00.000"));
        assert_eq!(p("1h").as_deref(), Some("2026-12-05 10:00:00.000"));
        assert_eq!(p("2hrs").as_deref(), Some("2026-12-05 10:00:00.000"));
        assert_eq!(p("300s"), p("60s"), "seconds are capped at 60");
        assert_eq!(p("1d").as_deref(), Some("2026-12-05 00:00:00.000"));
        assert_eq!(p("1w").as_deref(), Some("2026-11-30 00:00:00.000"), "weeks start on Monday");
        assert_eq!(p("1mo").as_deref(), Some("2026-12-01 00:00:00.000"));
        assert_eq!(p("1q").as_deref(), Some("2026-10-01 00:00:00.000"));
        assert_eq!(p("1y").as_deref(), Some("2026-01-01 00:00:00.000"));
        assert_eq!(p("100ms").as_deref(), Some("2026-12-05 10:37:12.300"));
        assert_eq!(Period::parse("5x"), None);
        assert_eq!(Period::parse("0m"), None);
    }

    #[test]
    fn ceil_rounds_up_unless_aligned() {
        let hour = Period::parse("1h").unwrap();
        assert_eq!(format_timestamp(hour.ceil(SAMPLE)), "2026-12-05 11:00:00.000");
        assert_eq!(hour.ceil(hour.floor(SAMPLE)), hour.floor(SAMPLE));
        let month = Period::parse("1mo").unwrap();
        assert_eq!(format_timestamp(month.ceil(SAMPLE)), "2027-01-01 00:00:00.000");
    }
}
