//! Typed condition values: numbers, dates (W3C ISO 8601 profiles or epoch seconds), IP
//! ranges (IPv4 and IPv6 CIDR), base64 binaries. Policy values are parsed once at compile time,
//! request values when a condition compares them.

use std::net::IpAddr;

/// A number as IAM compares them (integers and decimals).
pub(crate) fn number(text: &str) -> Option<f64> {
    let text = text.trim();
    let valid = !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E'));
    if !valid {
        return None;
    }
    text.parse::<f64>().ok().filter(|n| n.is_finite())
}

/// A point in time as nanoseconds since the Unix epoch.
pub(crate) fn date(text: &str) -> Option<i128> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let digits_only = text.bytes().all(|b| b.is_ascii_digit());
    // Four digits are a year (`YYYY`); any other run of digits is epoch seconds.
    if digits_only && text.len() != 4 {
        let seconds: i64 = text.parse().ok()?;
        return Some(i128::from(seconds) * 1_000_000_000);
    }
    if let Some(rest) = text.strip_prefix('-')
        && rest.bytes().all(|b| b.is_ascii_digit())
    {
        let seconds: i64 = rest.parse().ok()?;
        return Some(-i128::from(seconds) * 1_000_000_000);
    }
    iso8601(text)
}

/// `YYYY`, `YYYY-MM`, `YYYY-MM-DD`, `YYYY-MM-DDThh:mm[:ss[.s+]]TZD` with TZD `Z`, `±hh:mm` or
/// `±hhmm` (absent: UTC); the compact `YYYYMMDDThhmmssZ` too.
fn iso8601(text: &str) -> Option<i128> {
    let (date_part, time_part) = match text.find(['T', 't']) {
        Some(i) => (&text[..i], Some(&text[i + 1..])),
        None => (text, None),
    };
    let (year, month, day) = calendar_date(date_part)?;
    let days = days_from_civil(year, month, day);
    let (seconds_of_day, nanos, offset) = match time_part {
        None => (0, 0, 0),
        Some(t) => clock_time(t)?,
    };
    let seconds = days * 86_400 + seconds_of_day - offset;
    Some(i128::from(seconds) * 1_000_000_000 + i128::from(nanos))
}

fn calendar_date(text: &str) -> Option<(i64, u32, u32)> {
    let field = |s: &str, len: usize| -> Option<u32> {
        (s.len() == len && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse().ok()).flatten()
    };
    let (year, month, day) = if text.contains('-') {
        let mut parts = text.split('-');
        let year = field(parts.next()?, 4)?;
        let month = parts.next().map(|m| field(m, 2)).unwrap_or(Some(1))?;
        let day = parts.next().map(|d| field(d, 2)).unwrap_or(Some(1))?;
        if parts.next().is_some() {
            return None;
        }
        (year, month, day)
    } else if text.len() == 8 && text.is_ascii() {
        (field(&text[..4], 4)?, field(&text[4..6], 2)?, field(&text[6..], 2)?)
    } else {
        (field(text, 4)?, 1, 1)
    };
    let year = i64::from(year);
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    Some((year, month, day))
}

/// Seconds of the day, nanoseconds and the offset east of UTC in seconds.
fn clock_time(text: &str) -> Option<(i64, u32, i64)> {
    let (clock, offset) = if let Some(clock) = text.strip_suffix(['Z', 'z']) {
        (clock, 0)
    } else if let Some(i) = text.rfind(['+', '-']) {
        let zone = &text[i + 1..];
        let (h, m) = match zone.split_once(':') {
            Some((h, m)) => (h, m),
            None if zone.len() == 4 && zone.is_ascii() => zone.split_at(2),
            None if zone.len() == 2 => (zone, "00"),
            None => return None,
        };
        let (h, m) = (two_digits(h)?, two_digits(m)?);
        if h > 23 || m > 59 {
            return None;
        }
        let sign = if text.as_bytes()[i] == b'-' { -1 } else { 1 };
        (&text[..i], sign * i64::from(h * 3600 + m * 60))
    } else {
        (text, 0)
    };
    let (whole, fraction) = match clock.split_once(['.', ',']) {
        Some((w, f)) => (w, Some(f)),
        None => (clock, None),
    };
    let fields: Vec<&str> = if whole.contains(':') {
        whole.split(':').collect()
    } else if whole.len() == 6 || whole.len() == 4 {
        whole.as_bytes().chunks(2).map(|c| std::str::from_utf8(c).unwrap_or("x")).collect()
    } else {
        return None;
    };
    let (hour, minute, second) = match fields.as_slice() {
        [h, m] => (two_digits(h)?, two_digits(m)?, 0),
        [h, m, s] => (two_digits(h)?, two_digits(m)?, two_digits(s)?),
        _ => return None,
    };
    if fraction.is_some() && fields.len() != 3 {
        return None;
    }
    // 24:00:00 is the end of the day; 60 seconds a leap second.
    let valid = (hour < 24 || (hour == 24 && minute == 0 && second == 0)) && minute < 60 && second <= 60;
    if !valid {
        return None;
    }
    let nanos = match fraction {
        None => 0,
        Some(f) if !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()) => {
            let digits: String = f.chars().chain(std::iter::repeat('0')).take(9).collect();
            digits.parse().ok()?
        }
        Some(_) => return None,
    };
    Some((i64::from(hour * 3600 + minute * 60 + second), nanos, offset))
}

fn two_digits(s: &str) -> Option<u32> {
    (s.len() == 2 && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse().ok()).flatten()
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (the inverse of
/// [`days_from_civil`]).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// `aws:CurrentTime`'s form: ISO 8601 UTC with milliseconds (`2026-12-05T09:16:43.123Z`).
pub(crate) fn iso8601_millis(epoch_millis: i64) -> String {
    let (days, ms) = (epoch_millis.div_euclid(86_400_000), epoch_millis.rem_euclid(86_400_000));
    let (year, month, day) = civil_from_days(days);
    let (h, m, s, milli) = (ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000);
    format!("{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}.{milli:03}Z")
}

/// An IP range: `203.0.113.0/24`, `2001:DB8::/64`, or one address (`/32`, `/128`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cidr {
    V4 { network: u32, prefix: u8 },
    V6 { network: u128, prefix: u8 },
}

impl Cidr {
    pub(crate) fn parse(text: &str) -> Option<Cidr> {
        let text = text.trim();
        let (address, prefix) = match text.split_once('/') {
            Some((a, p)) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => (a, Some(p.parse::<u8>().ok()?)),
            Some(_) => return None,
            None => (text, None),
        };
        match normalize(address.parse::<IpAddr>().ok()?) {
            IpAddr::V4(v4) => {
                let prefix = prefix.unwrap_or(32);
                (prefix <= 32).then(|| Cidr::V4 { network: u32::from(v4) & mask32(prefix), prefix })
            }
            IpAddr::V6(v6) => {
                let prefix = prefix.unwrap_or(128);
                (prefix <= 128).then(|| Cidr::V6 { network: u128::from(v6) & mask128(prefix), prefix })
            }
        }
    }

    pub(crate) fn contains(&self, address: IpAddr) -> bool {
        match (self, normalize(address)) {
            (Cidr::V4 { network, prefix }, IpAddr::V4(a)) => u32::from(a) & mask32(*prefix) == *network,
            (Cidr::V6 { network, prefix }, IpAddr::V6(a)) => u128::from(a) & mask128(*prefix) == *network,
            _ => false,
        }
    }
}

/// A request's address (a bare address, or one written as a CIDR).
pub(crate) fn ip_address(text: &str) -> Option<IpAddr> {
    let text = text.trim();
    let address = text.split_once('/').map_or(text, |(a, _)| a);
    address.parse().ok()
}

/// IPv4-mapped IPv6 addresses (`::ffff:203.0.113.5`) compare as the IPv4 address.
fn normalize(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    }
}

fn mask32(prefix: u8) -> u32 {
    if prefix == 0 { 0 } else { u32::MAX << (32 - u32::from(prefix)) }
}

fn mask128(prefix: u8) -> u128 {
    if prefix == 0 { 0 } else { u128::MAX << (128 - u32::from(prefix)) }
}

/// Standard base64 (padding optional; the URL-safe alphabet accepted too).
pub(crate) fn base64(text: &str) -> Option<Vec<u8>> {
    let text = text.trim().trim_end_matches('=');
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut buffer = 0u32;
    let mut bits = 0u32;
    for b in text.bytes() {
        let v = match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        };
        buffer = (buffer << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    // A lone leftover character cannot encode a byte.
    (bits < 6).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: i128 = 1_000_000_000;

    #[test]
    fn current_time_round_trips_through_date_parsing() {
        for ms in [0, 951_782_400_000, 1_767_225_600_123, 4_107_542_399_999] {
            assert_eq!(date(&iso8601_millis(ms)), Some(i128::from(ms) * 1_000_000), "{ms}");
        }
        assert_eq!(iso8601_millis(951_782_400_000), "2000-02-29T00:00:00.000Z");
        assert_eq!(iso8601_millis(1_767_225_600_123), "2026-01-01T00:00:00.123Z");
        assert_eq!(iso8601_millis(4_107_542_399_999), "2100-02-28T23:59:59.999Z");
    }

    #[test]
    fn dates() {
        assert_eq!(date("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(date("2020-01-01T00:00:01Z"), Some(1_577_836_801 * SECOND));
        assert_eq!(date("1577836801"), Some(1_577_836_801 * SECOND));
        assert_eq!(date("2020"), date("2020-01-01T00:00:00Z"));
        assert_eq!(date("2020-02"), date("2020-02-01T00:00:00Z"));
        assert_eq!(date("2020-02-29"), date("2020-02-29T00:00:00Z"));
        assert_eq!(date("2020-01-01T01:00+01:00"), date("2020-01-01T00:00:00Z"));
        assert_eq!(date("2019-12-31T19:00:00-05:00"), date("2020-01-01T00:00:00Z"));
        assert_eq!(date("2020-01-01T00:00:00.5Z"), Some(1_577_836_800 * SECOND + SECOND / 2));
        assert_eq!(date("2024-05-01T12:00:00.123Z"), date("2024-05-01T12:00:00.123000Z"));
        assert_eq!(date("20200101T000000Z"), date("2020-01-01T00:00:00Z"));
        assert_eq!(date("1969-12-31T23:59:59Z"), Some(-SECOND));
        for bad in ["", "2019-02-29", "2020-13-01", "2020-01-01T25:00Z", "yesterday", "2020-1-1", "2020-01-01T00:00:00+99:00", "2020é111", "2020-01-01T00:00+aé1", "2020-01-01Té"] {
            assert_eq!(date(bad), None, "{bad}");
        }
    }

    #[test]
    fn numbers() {
        assert_eq!(number("10"), Some(10.0));
        assert_eq!(number(" -1.5 "), Some(-1.5));
        assert_eq!(number("1e3"), Some(1000.0));
        assert_eq!(number("ten"), None);
        assert_eq!(number("inf"), None);
        assert_eq!(number(""), None);
    }

    #[test]
    fn cidrs() {
        let net = Cidr::parse("203.0.113.0/24").unwrap();
        assert!(net.contains("203.0.113.200".parse().unwrap()));
        assert!(!net.contains("203.0.114.1".parse().unwrap()));
        assert!(net.contains("::ffff:203.0.113.9".parse().unwrap()));
        let one = Cidr::parse("192.0.2.7").unwrap();
        assert!(one.contains("192.0.2.7".parse().unwrap()));
        assert!(!one.contains("192.0.2.8".parse().unwrap()));
        let v6 = Cidr::parse("2001:DB8:1234:5678::/64").unwrap();
        assert!(v6.contains("2001:db8:1234:5678:abcd::1".parse().unwrap()));
        assert!(!v6.contains("2001:db8:1234:5679::1".parse().unwrap()));
        assert!(!v6.contains("203.0.113.1".parse().unwrap()));
        assert!(Cidr::parse("0.0.0.0/0").unwrap().contains("8.8.8.8".parse().unwrap()));
        for bad in ["203.0.113.0/33", "300.1.1.1", "::/129", "1.2.3.4/", "1.2.3.4/x", "host"] {
            assert_eq!(Cidr::parse(bad), None, "{bad}");
        }
        assert_eq!(ip_address("10.0.0.1/32"), Some("10.0.0.1".parse().unwrap()));
    }

    #[test]
    fn base64_decoding() {
        assert_eq!(base64("QmluYXJ5VmFsdWVJbkJhc2U2NA==").unwrap(), b"BinaryValueInBase64");
        assert_eq!(base64("YQ").unwrap(), b"a");
        assert_eq!(base64("").unwrap(), b"");
        assert_eq!(base64("Y"), None);
        assert_eq!(base64("a b"), None);
    }
}
