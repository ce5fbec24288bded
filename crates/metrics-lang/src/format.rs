//! How CloudWatch writes numbers and times in the text it generates (state reasons, reason data,
//! notifications). CloudWatch is a Java service: numbers follow `Double.toString`, times use a
//! few fixed patterns, always in UTC.

use time::OffsetDateTime;

/// A double as Java's `Double.toString` writes it: `95.0`, `0.0666851903306472`, `1.0E7`,
/// `1.5E-4`. Digits are the shortest that read back to the same double.
pub fn java_double(value: f64) -> String {
    if value.is_nan() {
        return "NaN".to_owned();
    }
    if value.is_infinite() {
        return if value > 0.0 { "Infinity" } else { "-Infinity" }.to_owned();
    }
    if value == 0.0 {
        return if value.is_sign_negative() { "-0.0" } else { "0.0" }.to_owned();
    }
    let magnitude = value.abs();
    if (1e-3..1e7).contains(&magnitude) {
        let text = format!("{value}");
        return if text.contains('.') { text } else { format!("{text}.0") };
    }
    // Rust's `{:e}` gives the same shortest digits as `d.ddde-n`; Java wants `d.dddE-n` with at
    // least one fractional digit.
    let text = format!("{value:e}");
    let (mantissa, exponent) = text.split_once('e').unwrap_or((&text, "0"));
    let mantissa = if mantissa.contains('.') { mantissa.to_owned() } else { format!("{mantissa}.0") };
    format!("{mantissa}E{exponent}")
}

fn datetime(seconds: i64, nanos: u32) -> OffsetDateTime {
    // Timestamps outside the calendar `time` supports cannot come from a valid request;
    // they print as the epoch rather than panic.
    OffsetDateTime::from_unix_timestamp(seconds)
        .map(|t| t.replace_nanosecond(nanos).unwrap_or(t))
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

fn split_millis(millis: i64) -> (i64, u32) {
    (millis.div_euclid(1000), (millis.rem_euclid(1000) as u32) * 1_000_000)
}

/// `2019-10-01T13:56:40.985+0000`: the timestamps inside StateReasonData and notifications.
pub fn iso_millis(millis: i64) -> String {
    let (seconds, nanos) = split_millis(millis);
    let t = datetime(seconds, nanos);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}+0000",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    )
}

/// `05/12/26 10:00:00` (day/month/two-digit year): a datapoint's time inside a state reason.
pub fn reason_time(seconds: i64) -> String {
    let t = datetime(seconds, 0);
    format!(
        "{:02}/{:02}/{:02} {:02}:{:02}:{:02}",
        t.day(),
        u8::from(t.month()),
        t.year().rem_euclid(100),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// `Friday 04 August, 2023 12:54:46 UTC`: when a composite alarm's child changed state.
pub fn long_time(millis: i64) -> String {
    let (seconds, nanos) = split_millis(millis);
    let t = datetime(seconds, nanos);
    format!(
        "{} {:02} {}, {} {:02}:{:02}:{:02} UTC",
        t.weekday(),
        t.day(),
        t.month(),
        t.year(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_as_java_writes_them() {
        assert_eq!(java_double(95.0), "95.0");
        assert_eq!(java_double(0.0666851903306472), "0.0666851903306472");
        assert_eq!(java_double(-2.5), "-2.5");
        assert_eq!(java_double(0.0), "0.0");
        assert_eq!(java_double(1e7), "1.0E7");
        assert_eq!(java_double(12345678.9), "1.23456789E7");
        assert_eq!(java_double(0.00015), "1.5E-4");
        assert_eq!(java_double(0.001), "0.001");
        assert_eq!(java_double(9999999.0), "9999999.0");
    }

    #[test]
    fn timestamps_in_cloudwatch_patterns() {
        // 2019-10-01T13:56:40.985Z
        let millis = 1_569_938_200_985;
        assert_eq!(iso_millis(millis), "2019-10-01T13:56:40.985+0000");
        assert_eq!(reason_time(millis / 1000), "01/10/19 13:56:40");
        // 2023-08-04T12:54:46Z was a Friday.
        assert_eq!(long_time(1_691_153_686_138), "Friday 04 August, 2023 12:54:46 UTC");
    }
}
