//! The metric math functions, with the argument types AWS's function table gives them.
//! Where the table is silent Nimbus chooses, and says so here:
//! - AVG/SUM/MIN/MAX/STDDEV/DATAPOINT_COUNT of an array give one series over every timestamp
//!   any element has; AVG counts a missing value as 0 (documented), the others use the values
//!   present. STDDEV is the population standard deviation.
//! - Of an empty series, SUM and DATAPOINT_COUNT are 0 and the others have no value (a NaN
//!   scalar, whose points are then dropped).
//! - FILL with REPEAT or LINEAR leaves missing the points before the first value (and, for
//!   LINEAR, after the last), having nothing to repeat or interpolate from.
//! - SORT puts series without data last whatever the order.

use super::eval::Evaluator;
use super::parser::Expr;
use super::value::{Series, Value, all_timestamps};
use time::OffsetDateTime;

pub(crate) fn call(ev: &mut Evaluator, name: &str, args: &[Expr]) -> Result<Value, String> {
    match name {
        "METRICS" => metrics(ev, args),
        "ABS" => pointwise(ev, &args[0], f64::abs),
        "CEIL" => pointwise(ev, &args[0], f64::ceil),
        "FLOOR" => pointwise(ev, &args[0], f64::floor),
        "LOG" => pointwise(ev, &args[0], f64::ln),
        "LOG10" => pointwise(ev, &args[0], f64::log10),
        "AVG" | "SUM" | "MIN" | "MAX" | "STDDEV" | "DATAPOINT_COUNT" => {
            let value = ev.eval(&args[0])?;
            aggregate(ev, name, value)
        }
        "DIFF" | "DIFF_TIME" | "RATE" | "RUNNING_SUM" => {
            let value = ev.eval(&args[0])?;
            each_series(name, value, |s| sequential(name, s))
        }
        "FILL" => fill(ev, args),
        "FIRST" | "LAST" => match ev.eval(&args[0])? {
            Value::Array(items) => {
                let picked = if name == "FIRST" { items.into_iter().next() } else { items.into_iter().last() };
                picked.map(Value::Series).ok_or_else(|| format!("{name} was given an empty array."))
            }
            Value::Series(s) => Ok(Value::Series(s)),
            other => Err(wrong_type(name, &other)),
        },
        "IF" => if_function(ev, args),
        "METRIC_COUNT" => match ev.eval(&args[0])? {
            Value::Array(items) => Ok(Value::Scalar(items.len() as f64)),
            Value::Series(_) => Ok(Value::Scalar(1.0)),
            other => Err(wrong_type(name, &other)),
        },
        "PERIOD" => match ev.eval(&args[0])? {
            Value::Series(Series { period: Some(period), .. }) => Ok(Value::Scalar(period as f64)),
            Value::Series(_) => Err("PERIOD takes a metric, not the result of another expression.".into()),
            other => Err(wrong_type(name, &other)),
        },
        "REMOVE_EMPTY" => match ev.eval(&args[0])? {
            Value::Array(items) => Ok(Value::Array(items.into_iter().filter(|s| !s.points.is_empty()).collect())),
            Value::Series(s) => Ok(Value::Array(if s.points.is_empty() { vec![] } else { vec![s] })),
            other => Err(wrong_type(name, &other)),
        },
        "SLICE" => slice(ev, args),
        "SORT" => sort(ev, args),
        "TIME_SERIES" => match ev.eval(&args[0])? {
            Value::Scalar(v) => {
                let mut points = Vec::new();
                for t in ev.context.timestamps() {
                    ev.keep(t, v, &mut points);
                }
                Ok(Value::Series(Series::computed(points)))
            }
            other => Err(wrong_type(name, &other)),
        },
        "MINUTE" | "HOUR" | "DAY" | "DATE" | "MONTH" | "YEAR" | "EPOCH" => {
            let value = ev.eval(&args[0])?;
            let timestamps = ev.context.timestamps();
            each_series(name, value, |s| s.with_points(timestamps.iter().map(|&t| (t, calendar(name, t))).collect()))
        }
        other => Err(format!("Unrecognized function {other}.")),
    }
}

fn wrong_type(function: &str, value: &Value) -> String {
    format!("{function} does not take {} here.", value.kind())
}

fn metrics(ev: &mut Evaluator, args: &[Expr]) -> Result<Value, String> {
    let filter = match args.first() {
        None => None,
        Some(Expr::Text(text)) => Some(text.as_str()),
        Some(_) => return Err("METRICS takes a string, such as METRICS(\"errors\").".into()),
    };
    let picked =
        ev.metrics.iter().filter(|(id, _)| filter.is_none_or(|f| id.contains(f))).map(|(_, s)| s.clone()).collect();
    Ok(Value::Array(picked))
}

fn pointwise(ev: &mut Evaluator, arg: &Expr, f: fn(f64) -> f64) -> Result<Value, String> {
    let value = ev.eval(arg)?;
    Ok(ev.map(value, f))
}

fn each_series(name: &str, value: Value, mut f: impl FnMut(&Series) -> Series) -> Result<Value, String> {
    match value {
        Value::Series(s) => Ok(Value::Series(f(&s))),
        Value::Array(items) => Ok(Value::Array(items.iter().map(&mut f).collect())),
        other => Err(wrong_type(name, &other)),
    }
}

fn sequential(name: &str, series: &Series) -> Series {
    let points = match name {
        "RUNNING_SUM" => series
            .points
            .iter()
            .scan(0.0, |total, &(t, v)| {
                *total += v;
                Some((t, *total))
            })
            .collect(),
        _ => series
            .points
            .windows(2)
            .map(|pair| {
                let ((t0, v0), (t1, v1)) = (pair[0], pair[1]);
                let value = match name {
                    "DIFF" => v1 - v0,
                    "DIFF_TIME" => (t1 - t0) as f64,
                    _ => (v1 - v0) / (t1 - t0) as f64,
                };
                (t1, value)
            })
            .collect(),
    };
    series.with_points(points)
}

fn one_value(name: &str, values: &[f64]) -> f64 {
    if values.is_empty() {
        return match name {
            "SUM" | "DATAPOINT_COUNT" => 0.0,
            _ => f64::NAN,
        };
    }
    let n = values.len() as f64;
    let sum: f64 = values.iter().sum();
    match name {
        "SUM" => sum,
        "AVG" => sum / n,
        "MIN" => values.iter().copied().fold(f64::INFINITY, f64::min),
        "MAX" => values.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        "DATAPOINT_COUNT" => n,
        _ => {
            let mean = sum / n;
            (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt()
        }
    }
}

fn aggregate(ev: &mut Evaluator, name: &str, value: Value) -> Result<Value, String> {
    match value {
        Value::Series(s) => Ok(Value::Scalar(one_value(name, &s.values().collect::<Vec<_>>()))),
        Value::Array(items) => {
            let mut points = Vec::new();
            for t in all_timestamps(&items) {
                let present: Vec<f64> = items.iter().filter_map(|s| s.value_at(t)).collect();
                let value = if name == "AVG" {
                    // Documented: missing values count as 0, so divide by every series.
                    present.iter().sum::<f64>() / items.len() as f64
                } else {
                    one_value(name, &present)
                };
                ev.keep(t, value, &mut points);
            }
            Ok(Value::Series(Series::computed(points)))
        }
        other => Err(wrong_type(name, &other)),
    }
}

enum Filler {
    Constant(f64),
    Series(Series),
    Repeat,
    Linear,
}

fn fill(ev: &mut Evaluator, args: &[Expr]) -> Result<Value, String> {
    let target = ev.eval(&args[0])?;
    let filler = match &args[1] {
        Expr::Keyword(word) if word == "REPEAT" => Filler::Repeat,
        Expr::Keyword(word) if word == "LINEAR" => Filler::Linear,
        other => match ev.eval(other)? {
            Value::Scalar(v) => Filler::Constant(v),
            Value::Series(s) => Filler::Series(s),
            Value::Array(_) => return Err("FILL cannot fill with an array of time series.".into()),
        },
    };
    let grid = ev.context.timestamps();
    let mut dropped = false;
    let result = each_series("FILL", target, |s| {
        let (series, any_dropped) = fill_series(s, &grid, &filler);
        dropped |= any_dropped;
        series
    });
    ev.dropped |= dropped;
    result
}

fn fill_series(series: &Series, grid: &[i64], filler: &Filler) -> (Series, bool) {
    let mut timestamps: Vec<i64> = grid.iter().copied().chain(series.points.iter().map(|(t, _)| *t)).collect();
    timestamps.sort_unstable();
    timestamps.dedup();
    let mut points = Vec::with_capacity(timestamps.len());
    let mut dropped = false;
    for t in timestamps {
        let value = series.value_at(t).or_else(|| match filler {
            Filler::Constant(v) => Some(*v),
            Filler::Series(f) => f.value_at(t),
            Filler::Repeat => series.points.iter().rev().find(|(pt, _)| *pt < t).map(|(_, v)| *v),
            Filler::Linear => {
                let before = series.points.iter().rev().find(|(pt, _)| *pt < t);
                let after = series.points.iter().find(|(pt, _)| *pt > t);
                match (before, after) {
                    (Some(&(t0, v0)), Some(&(t1, v1))) => Some(v0 + (v1 - v0) * (t - t0) as f64 / (t1 - t0) as f64),
                    _ => None,
                }
            }
        });
        match value {
            Some(v) if v.is_finite() => points.push((t, v)),
            Some(_) => dropped = true,
            None => {}
        }
    }
    (series.with_points(points), dropped)
}

/// IF as documented: the condition decides per timestamp where it is a series; a true point
/// takes the second argument's value (0 where that series has none), a false point the
/// third's (dropped where it has none or there is no third argument); timestamps without a
/// condition point are dropped.
fn if_function(ev: &mut Evaluator, args: &[Expr]) -> Result<Value, String> {
    let condition = ev.eval(&args[0])?;
    let when_true = ev.eval(&args[1])?;
    let when_false = args.get(2).map(|e| ev.eval(e)).transpose()?;
    for branch in std::iter::once(&when_true).chain(&when_false) {
        if let Value::Array(_) = branch {
            return Err("IF cannot return an array of time series.".into());
        }
    }
    match condition {
        Value::Scalar(c) => Ok(if c != 0.0 {
            when_true
        } else {
            when_false.unwrap_or_else(|| Value::Series(Series::computed(Vec::new())))
        }),
        Value::Series(condition) => {
            let mut points = Vec::new();
            for &(t, c) in &condition.points {
                let value = if c != 0.0 {
                    match &when_true {
                        Value::Scalar(v) => Some(*v),
                        Value::Series(s) => Some(s.value_at(t).unwrap_or(0.0)),
                        Value::Array(_) => None,
                    }
                } else {
                    match &when_false {
                        Some(Value::Scalar(v)) => Some(*v),
                        Some(Value::Series(s)) => s.value_at(t),
                        _ => None,
                    }
                };
                if let Some(v) = value {
                    ev.keep(t, v, &mut points);
                }
            }
            Ok(Value::Series(Series::computed(points)))
        }
        Value::Array(_) => Err("IF needs a time series or a scalar as its condition.".into()),
    }
}

fn scalar_arg(ev: &mut Evaluator, function: &str, arg: &Expr) -> Result<f64, String> {
    match ev.eval(arg)? {
        Value::Scalar(v) if v.is_finite() => Ok(v),
        Value::Scalar(_) => Err(format!("{function} needs a finite number.")),
        other => Err(wrong_type(function, &other)),
    }
}

fn array_arg(ev: &mut Evaluator, function: &str, arg: &Expr) -> Result<Vec<Series>, String> {
    match ev.eval(arg)? {
        Value::Array(items) => Ok(items),
        Value::Series(s) => Ok(vec![s]),
        other => Err(wrong_type(function, &other)),
    }
}

/// SLICE(array, start[, end]): zero-based, end exclusive.
fn slice(ev: &mut Evaluator, args: &[Expr]) -> Result<Value, String> {
    let items = array_arg(ev, "SLICE", &args[0])?;
    let index = |v: f64| (v.max(0.0).floor() as usize).min(items.len());
    let start = index(scalar_arg(ev, "SLICE", &args[1])?);
    let end = match args.get(2) {
        Some(arg) => index(scalar_arg(ev, "SLICE", arg)?),
        None => items.len(),
    };
    Ok(Value::Array(if start < end { items[start..end].to_vec() } else { Vec::new() }))
}

/// SORT(array, AVG|MIN|MAX|SUM, ASC|DESC[, limit]).
fn sort(ev: &mut Evaluator, args: &[Expr]) -> Result<Value, String> {
    let mut items = array_arg(ev, "SORT", &args[0])?;
    let Expr::Keyword(statistic) = &args[1] else {
        return Err("SORT sorts by AVG, MIN, MAX or SUM.".into());
    };
    if !matches!(statistic.as_str(), "AVG" | "MIN" | "MAX" | "SUM") {
        return Err("SORT sorts by AVG, MIN, MAX or SUM.".into());
    }
    let descending = match &args[2] {
        Expr::Keyword(order) if order == "ASC" => false,
        Expr::Keyword(order) if order == "DESC" => true,
        _ => return Err("SORT's order is ASC or DESC.".into()),
    };
    let limit = match args.get(3) {
        Some(arg) => Some(scalar_arg(ev, "SORT", arg)?.max(0.0).floor() as usize),
        None => None,
    };
    let key = |s: &Series| {
        let values: Vec<f64> = s.values().collect();
        if values.is_empty() { None } else { Some(one_value(statistic, &values)) }
    };
    items.sort_by(|a, b| match (key(a), key(b)) {
        (Some(x), Some(y)) => {
            let order = x.total_cmp(&y);
            if descending { order.reverse() } else { order }
        }
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => std::cmp::Ordering::Equal,
    });
    if let Some(limit) = limit {
        items.truncate(limit);
    }
    Ok(Value::Array(items))
}

/// MINUTE (0-59), HOUR (0-23), DAY (1-7, Monday first), DATE (1-31), MONTH (1-12), YEAR,
/// EPOCH (seconds) of a timestamp, in UTC.
fn calendar(name: &str, timestamp: i64) -> f64 {
    let Ok(t) = OffsetDateTime::from_unix_timestamp(timestamp) else {
        return f64::NAN;
    };
    f64::from(match name {
        "MINUTE" => i32::from(t.minute()),
        "HOUR" => i32::from(t.hour()),
        "DAY" => i32::from(t.weekday().number_from_monday()),
        "DATE" => i32::from(t.day()),
        "MONTH" => i32::from(u8::from(t.month())),
        "YEAR" => t.year(),
        _ => return timestamp as f64,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calendar_values() {
        // 2021-06-15T09:30:00Z, a Tuesday.
        let t = 1_623_749_400;
        assert_eq!(calendar("MINUTE", t), 30.0);
        assert_eq!(calendar("HOUR", t), 9.0);
        assert_eq!(calendar("DAY", t), 2.0);
        assert_eq!(calendar("DATE", t), 15.0);
        assert_eq!(calendar("MONTH", t), 6.0);
        assert_eq!(calendar("YEAR", t), 2021.0);
        assert_eq!(calendar("EPOCH", t), t as f64);
    }
}
