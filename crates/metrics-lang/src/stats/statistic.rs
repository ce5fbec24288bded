//! Statistic names: the five basic statistics and the extended ones (`p99`, `tm90`,
//! `TM(10%:90%)`, `IQM`, `PR(:300)`, ...), parsed with the grammar of the model's
//! `AnomalyDetectorMetricStat` pattern (the only place AWS writes it down exactly).

use crate::error::{Error, ErrorKind, Result};
use serde::{Deserialize, Serialize};

/// SampleCount, Sum, Average, Minimum, Maximum: answerable from any data, raw or statistic sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Statistic {
    SampleCount,
    Average,
    Sum,
    Minimum,
    Maximum,
}

impl Statistic {
    pub const ALL: [Statistic; 5] =
        [Statistic::SampleCount, Statistic::Average, Statistic::Sum, Statistic::Minimum, Statistic::Maximum];

    /// The exact API name (case-sensitive, as the model's enum).
    pub fn parse(name: &str) -> Option<Statistic> {
        Statistic::ALL.into_iter().find(|s| s.name() == name)
    }

    pub fn name(self) -> &'static str {
        match self {
            Statistic::SampleCount => "SampleCount",
            Statistic::Average => "Average",
            Statistic::Sum => "Sum",
            Statistic::Minimum => "Minimum",
            Statistic::Maximum => "Maximum",
        }
    }

    /// The upper-case form an alarm notification's `Trigger.Statistic` carries (`MAXIMUM`).
    pub fn notification_name(self) -> &'static str {
        match self {
            Statistic::SampleCount => "SAMPLE_COUNT",
            Statistic::Average => "AVERAGE",
            Statistic::Sum => "SUM",
            Statistic::Minimum => "MINIMUM",
            Statistic::Maximum => "MAXIMUM",
        }
    }
}

/// What a trimmed statistic reports about the values inside its range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrimmedAggregate {
    /// TM: their mean.
    Mean,
    /// TC: how many there are.
    Count,
    /// TS: their sum.
    Sum,
    /// WM: the mean of all values, those outside the range counted as the range's edge.
    WinsorizedMean,
}

/// The range a trimmed statistic or percentile rank keeps. A missing bound is open.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Range {
    /// `TM(10%:90%)`, `tm99`: between two percentiles of the period's values.
    Percent { lower: Option<f64>, upper: Option<f64> },
    /// `TM(150:1000)`, `PR(:300)`: values above `lower` (exclusive) up to `upper` (inclusive).
    Value { lower: Option<f64>, upper: Option<f64> },
}

/// What an extended statistic computes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ExtendedKind {
    /// `p99.9`: the value below which that percentage of the data lies.
    Percentile(f64),
    Trimmed {
        aggregate: TrimmedAggregate,
        range: Range,
    },
    /// `PR(100:2000)`: the percentage of values inside the value range.
    PercentileRank {
        lower: Option<f64>,
        upper: Option<f64>,
    },
}

/// An extended statistic and the name the caller wrote (GetMetricStatistics answers under it).
#[derive(Debug, Clone, PartialEq)]
pub struct ExtendedStatistic {
    name: String,
    kind: ExtendedKind,
}

impl ExtendedStatistic {
    /// Parses one of the documented forms; `None` for anything else.
    pub fn parse(text: &str) -> Option<ExtendedStatistic> {
        parse_extended(text).map(|kind| ExtendedStatistic { name: text.to_owned(), kind })
    }

    /// As GetMetricStatistics checks `ExtendedStatistics` (and PutMetricData-era clients
    /// `ExtendedStatistic`): refusal names the parameter.
    pub fn parse_for(text: &str, parameter: &str) -> Result<ExtendedStatistic> {
        ExtendedStatistic::parse(text).ok_or_else(|| {
            Error::invalid_value(format!("The value {text} for parameter {parameter} is not supported."))
        })
    }

    /// As PutMetricAlarm checks `ExtendedStatistic`. Its documentation also limits the
    /// two-percentage forms `TM(X%:X%)` (and TC, TS, WM) to X between 10 and 90; one-sided
    /// forms are left alone since the documentation only states the two-sided one.
    pub fn parse_for_alarm(text: &str) -> Result<ExtendedStatistic> {
        let refusal = || {
            Error::new(
                ErrorKind::Validation,
                format!("The value {text} for parameter ExtendedStatistic is not supported."),
            )
        };
        let statistic = ExtendedStatistic::parse(text).ok_or_else(refusal)?;
        if let ExtendedKind::Trimmed { range: Range::Percent { lower: Some(lower), upper: Some(upper) }, .. } =
            statistic.kind
            && text.contains('(')
            && !((10.0..=90.0).contains(&lower) && (10.0..=90.0).contains(&upper))
        {
            return Err(refusal());
        }
        Ok(statistic)
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn kind(&self) -> ExtendedKind {
        self.kind
    }

    /// The percentile of a `pNN` statistic (0..=100), which alarms need for the
    /// low-sample-count rule.
    pub fn percentile(&self) -> Option<f64> {
        match self.kind {
            ExtendedKind::Percentile(p) => Some(p),
            _ => None,
        }
    }
}

/// `MetricStat.Stat`: any basic or extended statistic.
#[derive(Debug, Clone, PartialEq)]
pub enum Stat {
    Basic(Statistic),
    Extended(ExtendedStatistic),
}

impl Stat {
    pub fn parse(text: &str) -> Option<Stat> {
        Statistic::parse(text).map(Stat::Basic).or_else(|| ExtendedStatistic::parse(text).map(Stat::Extended))
    }

    /// GetMetricData's check of `MetricDataQueries.member.N.MetricStat.Stat`.
    pub fn parse_for(text: &str, parameter: &str) -> Result<Stat> {
        Stat::parse(text)
            .ok_or_else(|| Error::validation(format!("The value for parameter {parameter} is not a valid statistic.")))
    }

    pub fn name(&self) -> &str {
        match self {
            Stat::Basic(s) => s.name(),
            Stat::Extended(e) => e.name(),
        }
    }
}

fn parse_extended(text: &str) -> Option<ExtendedKind> {
    if text == "IQM" {
        return Some(ExtendedKind::Trimmed {
            aggregate: TrimmedAggregate::Mean,
            range: Range::Percent { lower: Some(25.0), upper: Some(75.0) },
        });
    }
    // One number, lower-case prefix: `p99`, `tm99` (= TM(:99%)), `tc90`, `ts90`, `wm98`.
    for (prefix, aggregate) in [
        ("tm", Some(TrimmedAggregate::Mean)),
        ("tc", Some(TrimmedAggregate::Count)),
        ("ts", Some(TrimmedAggregate::Sum)),
        ("wm", Some(TrimmedAggregate::WinsorizedMean)),
        ("p", None),
    ] {
        if let Some(rest) = text.strip_prefix(prefix) {
            let value = short_percent(rest)?;
            return Some(match aggregate {
                None => ExtendedKind::Percentile(value),
                Some(aggregate) => {
                    ExtendedKind::Trimmed { aggregate, range: Range::Percent { lower: None, upper: Some(value) } }
                }
            });
        }
    }
    // A range in parentheses, upper-case prefix: `TM(10%:90%)`, `TC(80:500)`, `PR(:300)`.
    let open = text.find('(')?;
    let inner = text[open + 1..].strip_suffix(')')?;
    let (lower, upper) = inner.split_once(':')?;
    if lower.is_empty() && upper.is_empty() {
        return None;
    }
    let aggregate = match &text[..open] {
        "TM" => Some(TrimmedAggregate::Mean),
        "TC" => Some(TrimmedAggregate::Count),
        "TS" => Some(TrimmedAggregate::Sum),
        "WM" => Some(TrimmedAggregate::WinsorizedMean),
        "PR" => None,
        _ => return None,
    };
    let percent_form = lower.ends_with('%') || upper.ends_with('%');
    if percent_form {
        // PR takes values only; a percent range must be percentages on both present sides.
        let aggregate = aggregate?;
        let lower = optional(lower, |s| s.strip_suffix('%').and_then(long_percent))?;
        let upper = optional(upper, |s| s.strip_suffix('%').and_then(long_percent))?;
        return Some(ExtendedKind::Trimmed { aggregate, range: Range::Percent { lower, upper } });
    }
    let lower = optional(lower, bound_value)?;
    let upper = optional(upper, bound_value)?;
    Some(match aggregate {
        Some(aggregate) => ExtendedKind::Trimmed { aggregate, range: Range::Value { lower, upper } },
        None => ExtendedKind::PercentileRank { lower, upper },
    })
}

/// An empty side is an open bound; a non-empty one must parse.
fn optional(text: &str, parse: impl Fn(&str) -> Option<f64>) -> Option<Option<f64>> {
    if text.is_empty() { Some(None) } else { parse(text).map(Some) }
}

/// `\d{1,2}(\.\d{0,10})?|100` (the one-number forms).
fn short_percent(text: &str) -> Option<f64> {
    if text == "100" {
        return Some(100.0);
    }
    let (whole, fraction) = split_decimal(text)?;
    (1..=2).contains(&whole.len()).then_some(())?;
    fraction.is_none_or(|f| f.len() <= 10).then(|| text.parse().ok())?
}

/// `\d{1,2}(\.\d{0,10})?|100(\.0{0,10})?` (percentages inside parentheses).
fn long_percent(text: &str) -> Option<f64> {
    let (whole, fraction) = split_decimal(text)?;
    if fraction.is_some_and(|f| f.len() > 10) {
        return None;
    }
    match whole.len() {
        1 | 2 => text.parse().ok(),
        3 if whole == "100" && fraction.is_none_or(|f| f.bytes().all(|b| b == b'0')) => Some(100.0),
        _ => None,
    }
}

/// `\d+(\.\d{0,10})?` optionally followed by `[Ee][+-]?\d+` (absolute bounds).
fn bound_value(text: &str) -> Option<f64> {
    let (number, exponent) = match text.find(['e', 'E']) {
        Some(at) => (&text[..at], Some(&text[at + 1..])),
        None => (text, None),
    };
    let (_, fraction) = split_decimal(number)?;
    if fraction.is_some_and(|f| f.len() > 10) {
        return None;
    }
    if let Some(exponent) = exponent {
        let digits = exponent.strip_prefix(['+', '-']).unwrap_or(exponent);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
    }
    text.parse().ok().filter(|v: &f64| v.is_finite())
}

/// Digits, then optionally a dot and (possibly no) digits: `99`, `99.`, `99.9`.
fn split_decimal(text: &str) -> Option<(&str, Option<&str>)> {
    let (whole, fraction) = match text.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (text, None),
    };
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    (!whole.is_empty() && digits(whole) && fraction.is_none_or(digits)).then_some((whole, fraction))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(text: &str) -> ExtendedKind {
        ExtendedStatistic::parse(text).unwrap_or_else(|| panic!("{text} should parse")).kind()
    }

    #[test]
    fn documented_forms_parse() {
        assert_eq!(kind("p99"), ExtendedKind::Percentile(99.0));
        assert_eq!(kind("p99.9"), ExtendedKind::Percentile(99.9));
        assert_eq!(kind("p0"), ExtendedKind::Percentile(0.0));
        assert_eq!(kind("p100"), ExtendedKind::Percentile(100.0));
        assert_eq!(
            kind("tm99"),
            ExtendedKind::Trimmed {
                aggregate: TrimmedAggregate::Mean,
                range: Range::Percent { lower: None, upper: Some(99.0) }
            }
        );
        assert_eq!(kind("IQM"), kind("TM(25%:75%)"));
        assert_eq!(
            kind("TC(0.005:0.030)"),
            ExtendedKind::Trimmed {
                aggregate: TrimmedAggregate::Count,
                range: Range::Value { lower: Some(0.005), upper: Some(0.03) }
            }
        );
        assert_eq!(
            kind("TS(80%:)"),
            ExtendedKind::Trimmed {
                aggregate: TrimmedAggregate::Sum,
                range: Range::Percent { lower: Some(80.0), upper: None }
            }
        );
        assert_eq!(kind("PR(:300)"), ExtendedKind::PercentileRank { lower: None, upper: Some(300.0) });
        assert_eq!(kind("PR(100:2000)"), ExtendedKind::PercentileRank { lower: Some(100.0), upper: Some(2000.0) });
        assert_eq!(
            kind("WM(10%:90%)"),
            ExtendedKind::Trimmed {
                aggregate: TrimmedAggregate::WinsorizedMean,
                range: Range::Percent { lower: Some(10.0), upper: Some(90.0) }
            }
        );
        assert_eq!(
            kind("TM(1e3:2E+3)"),
            ExtendedKind::Trimmed {
                aggregate: TrimmedAggregate::Mean,
                range: Range::Value { lower: Some(1000.0), upper: Some(2000.0) }
            }
        );
        assert_eq!(
            kind("TM(:100.000%)"),
            ExtendedKind::Trimmed {
                aggregate: TrimmedAggregate::Mean,
                range: Range::Percent { lower: None, upper: Some(100.0) }
            }
        );
    }

    #[test]
    fn malformed_forms_refused() {
        for text in [
            "",
            "p",
            "p101",
            "p100.5",
            "p999",
            "P99",
            "p-1",
            "p99.12345678901",
            "tm",
            "TM99",
            "tm(10%:90%)",
            "TM()",
            "TM(:)",
            "TM(10%:500)",
            "PR(10%:90%)",
            "TM(101%:)",
            "TX(1:2)",
            "TM(-1:5)",
            "TM(.5:1)",
            "IQM ",
            "iqm",
            "Average",
            "TM(1e:2)",
        ] {
            assert!(ExtendedStatistic::parse(text).is_none(), "{text:?} should be refused");
        }
    }

    #[test]
    fn refusal_messages_name_the_parameter() {
        let error = ExtendedStatistic::parse_for("p101", "ExtendedStatistics").unwrap_err();
        assert_eq!(error.message, "The value p101 for parameter ExtendedStatistics is not supported.");
        assert_eq!(error.code(), "InvalidParameterValue");
        let error = Stat::parse_for("P99", "MetricDataQueries.member.1.MetricStat.Stat").unwrap_err();
        assert_eq!(
            error.message,
            "The value for parameter MetricDataQueries.member.1.MetricStat.Stat is not a valid statistic."
        );
        assert_eq!(error.code(), "ValidationError");
    }

    #[test]
    fn alarms_limit_two_sided_percent_ranges() {
        assert!(ExtendedStatistic::parse_for_alarm("TM(10%:90%)").is_ok());
        assert!(ExtendedStatistic::parse_for_alarm("tm99").is_ok());
        let error = ExtendedStatistic::parse_for_alarm("TM(5%:95%)").unwrap_err();
        assert_eq!(error.message, "The value TM(5%:95%) for parameter ExtendedStatistic is not supported.");
    }

    #[test]
    fn stat_covers_both() {
        assert_eq!(Stat::parse("Average"), Some(Stat::Basic(Statistic::Average)));
        assert!(matches!(Stat::parse("p90"), Some(Stat::Extended(_))));
        assert_eq!(Statistic::parse("average"), None);
        assert_eq!(Statistic::SampleCount.notification_name(), "SAMPLE_COUNT");
    }
}
