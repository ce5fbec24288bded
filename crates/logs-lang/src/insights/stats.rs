//! The aggregation functions of `stats`: each group of rows feeds one accumulator per aggregate.

use std::cmp::Ordering;
use std::collections::HashSet;

use super::value::{Value, natural_order};

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum AggregateFunction {
    /// `count(*)` / `count()` count rows; `count(field)` counts rows where the field is present.
    Count,
    CountDistinct,
    Sum,
    Avg,
    Min,
    Max,
    /// `pct(field, 95)`.
    Percentile(f64),
    StdDev,
    Earliest,
    Latest,
    SortsFirst,
    SortsLast,
}

impl AggregateFunction {
    /// The aggregate a function name denotes, if any (`pct` takes its percent separately).
    pub(crate) fn named(name: &str) -> Option<AggregateFunction> {
        Some(match name.to_ascii_lowercase().as_str() {
            "count" => AggregateFunction::Count,
            "count_distinct" => AggregateFunction::CountDistinct,
            "sum" => AggregateFunction::Sum,
            "avg" => AggregateFunction::Avg,
            "min" => AggregateFunction::Min,
            "max" => AggregateFunction::Max,
            "pct" => AggregateFunction::Percentile(0.0),
            "stddev" => AggregateFunction::StdDev,
            "earliest" => AggregateFunction::Earliest,
            "latest" => AggregateFunction::Latest,
            "sortsfirst" => AggregateFunction::SortsFirst,
            "sortslast" => AggregateFunction::SortsLast,
            _ => return None,
        })
    }

    pub(crate) fn accumulator(self) -> Accumulator {
        match self {
            AggregateFunction::Count => Accumulator::Count(0),
            AggregateFunction::CountDistinct => Accumulator::Distinct(HashSet::new()),
            AggregateFunction::Sum => Accumulator::Sum(None),
            AggregateFunction::Avg => Accumulator::Mean { sum: 0.0, count: 0 },
            AggregateFunction::StdDev => Accumulator::Spread { count: 0, mean: 0.0, squares: 0.0 },
            AggregateFunction::Percentile(percent) => Accumulator::Percentile { percent, values: Vec::new() },
            AggregateFunction::Min | AggregateFunction::SortsFirst => {
                Accumulator::Extreme { keep: Ordering::Less, best: None }
            }
            AggregateFunction::Max | AggregateFunction::SortsLast => {
                Accumulator::Extreme { keep: Ordering::Greater, best: None }
            }
            AggregateFunction::Earliest => Accumulator::AtTime { later: false, best: None },
            AggregateFunction::Latest => Accumulator::AtTime { later: true, best: None },
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) enum Accumulator {
    Count(u64),
    Distinct(HashSet<String>),
    Sum(Option<f64>),
    Mean {
        sum: f64,
        count: u64,
    },
    /// Welford's running mean and sum of squared deviations.
    Spread {
        count: u64,
        mean: f64,
        squares: f64,
    },
    Percentile {
        percent: f64,
        values: Vec<f64>,
    },
    /// The value that sorts first (`keep: Less`) or last (`keep: Greater`).
    Extreme {
        keep: Ordering,
        best: Option<Value>,
    },
    /// The value from the row with the earliest or latest `@timestamp`.
    AtTime {
        later: bool,
        best: Option<(i64, Value)>,
    },
}

impl Accumulator {
    /// Adds one row's value (`None`: the field is missing there; for `count(*)` the caller
    /// passes `Some`). `timestamp` is the row's `@timestamp`.
    pub(crate) fn add(&mut self, value: Option<&Value>, timestamp: Option<i64>) {
        let Some(value) = value else { return };
        match self {
            Accumulator::Count(count) => *count += 1,
            Accumulator::Distinct(seen) => {
                if !seen.contains(value.text().as_ref()) {
                    seen.insert(value.text().into_owned());
                }
            }
            Accumulator::Sum(sum) => {
                if let Some(n) = value.as_number() {
                    *sum = Some(sum.unwrap_or(0.0) + n);
                }
            }
            Accumulator::Mean { sum, count } => {
                if let Some(n) = value.as_number() {
                    *sum += n;
                    *count += 1;
                }
            }
            Accumulator::Spread { count, mean, squares } => {
                if let Some(n) = value.as_number() {
                    *count += 1;
                    let delta = n - *mean;
                    *mean += delta / *count as f64;
                    *squares += delta * (n - *mean);
                }
            }
            Accumulator::Percentile { values, .. } => values.extend(value.as_number()),
            Accumulator::Extreme { keep, best } => {
                if best.as_ref().is_none_or(|b| natural_order(value, b) == *keep) {
                    *best = Some(value.clone());
                }
            }
            Accumulator::AtTime { later, best } => {
                let Some(at) = timestamp else { return };
                let replaces = best.as_ref().is_none_or(|(t, _)| if *later { at > *t } else { at < *t });
                if replaces {
                    *best = Some((at, value.clone()));
                }
            }
        }
    }

    pub(crate) fn finish(self) -> Option<Value> {
        match self {
            Accumulator::Count(count) => Some(Value::Num(count as f64)),
            Accumulator::Distinct(seen) => Some(Value::Num(seen.len() as f64)),
            Accumulator::Sum(sum) => sum.map(Value::Num),
            Accumulator::Mean { sum, count } => (count > 0).then(|| Value::Num(sum / count as f64)),
            // The sample standard deviation; a single value has none to speak of, so 0.
            Accumulator::Spread { count, squares, .. } => match count {
                0 => None,
                1 => Some(Value::Num(0.0)),
                n => Some(Value::Num((squares / (n - 1) as f64).sqrt())),
            },
            Accumulator::Percentile { percent, mut values } => {
                if values.is_empty() {
                    return None;
                }
                values.sort_by(f64::total_cmp);
                // Nearest rank: the smallest value with at least `percent`% of values at or below.
                let rank = ((percent / 100.0) * values.len() as f64).ceil() as usize;
                Some(Value::Num(values[rank.clamp(1, values.len()) - 1]))
            }
            Accumulator::Extreme { best, .. } => best,
            // Observed on AWS: `earliest(@timestamp)` answers epoch milliseconds, not a date.
            Accumulator::AtTime { best, .. } => best.map(|(_, value)| match value {
                Value::Time(ms) => Value::Num(ms as f64),
                other => other,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(function: AggregateFunction, values: &[f64]) -> Option<String> {
        let mut accumulator = function.accumulator();
        for (i, v) in values.iter().enumerate() {
            accumulator.add(Some(&Value::Num(*v)), Some(i as i64));
        }
        accumulator.finish().map(|v| v.text().into_owned())
    }

    #[test]
    fn aggregates() {
        let values = [4.0, 1.0, 3.0, 2.0];
        assert_eq!(run(AggregateFunction::Sum, &values).as_deref(), Some("10"));
        assert_eq!(run(AggregateFunction::Avg, &values).as_deref(), Some("2.5"));
        assert_eq!(run(AggregateFunction::Min, &values).as_deref(), Some("1"));
        assert_eq!(run(AggregateFunction::Max, &values).as_deref(), Some("4"));
        assert_eq!(run(AggregateFunction::Percentile(50.0), &values).as_deref(), Some("2"));
        assert_eq!(run(AggregateFunction::Percentile(99.0), &values).as_deref(), Some("4"));
        assert_eq!(run(AggregateFunction::Earliest, &values).as_deref(), Some("4"));
        assert_eq!(run(AggregateFunction::Latest, &values).as_deref(), Some("2"));
        assert_eq!(
            run(AggregateFunction::StdDev, &[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0])
                .map(|s| s[..6].to_owned())
                .as_deref(),
            Some("2.1380")
        );
        assert_eq!(run(AggregateFunction::Sum, &[]), None);
        assert_eq!(run(AggregateFunction::Count, &[]).as_deref(), Some("0"));
    }
}
