//! GetMetricData: MetricStat queries read from storage, expressions evaluated by metric-math
//! (metrics-lang), results ordered by ScanBy and paged by MaxDatapoints.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use nimbus_core::document::timestamp;
use nimbus_core::{Document, RequestContext};
use nimbus_metrics_lang::ErrorKind;
use nimbus_metrics_lang::math::{MathContext, MathQuery, QuerySource, evaluate_queries};
use nimbus_metrics_lang::stats::{Stat, round_start_time, validate_query_period, validate_time_range};
use serde_json::{Value, json};

use crate::errors::{Res, invalid_next_token, validation};
use crate::metric::{self, MetricId};
use crate::statistics::{periods, seconds_member, stat_value};
use crate::{CloudWatch, time_of_seconds};

const MAX_QUERIES: usize = 500;
const DEFAULT_MAX_DATAPOINTS: usize = 100_800;

/// A query's MetricStat, checked.
#[derive(Debug, Clone)]
pub struct MetricStatQuery {
    pub metric: MetricId,
    pub period: i64,
    pub stat: Stat,
    pub unit: Option<u8>,
}

/// Parses `MetricStat` of a MetricDataQuery (also an alarm's `Metrics`); `parameter` is the
/// query's path (`MetricDataQueries.member.1`).
pub fn parse_metric_stat(stat: &Document, parameter: &str) -> Res<MetricStatQuery> {
    let metric_doc = stat.get("Metric").cloned().unwrap_or(Value::Null);
    let namespace = metric_doc.get("Namespace").and_then(Value::as_str).unwrap_or_default();
    let name = metric_doc.get("MetricName").and_then(Value::as_str).unwrap_or_default();
    if namespace.is_empty() || name.is_empty() {
        return Err(validation(format!(
            "The parameters {parameter}.MetricStat.Metric.Namespace and {parameter}.MetricStat.Metric.MetricName are required."
        )));
    }
    let dimensions = metric::parse_dimensions(metric_doc.get("Dimensions"), &format!("{parameter}.MetricStat.Metric.Dimensions"))?;
    let period = stat.get("Period").and_then(Value::as_i64).unwrap_or(0);
    validate_query_period(period).map_err(|e| e.with_kind(ErrorKind::Validation))?;
    let stat_name = stat.get("Stat").and_then(Value::as_str).unwrap_or_default();
    let parsed = Stat::parse_for(stat_name, &format!("{parameter}.MetricStat.Stat"))?;
    let unit = metric::parse_unit(stat, "Unit", &format!("{parameter}.MetricStat.Unit"))?;
    Ok(MetricStatQuery {
        metric: MetricId { namespace: namespace.to_owned(), name: name.to_owned(), dimensions },
        period,
        stat: parsed,
        unit,
    })
}

/// One MetricDataQuery before its data is read.
pub enum Source {
    Stat(MetricStatQuery),
    Expression(String),
}

pub struct ParsedQuery {
    pub id: String,
    pub label: Option<String>,
    pub return_data: bool,
    pub period: Option<i64>,
    pub source: Source,
}

/// Parses a `MetricDataQueries` list (`parameter` names it in messages).
pub fn parse_queries(list: &[Document], parameter: &str) -> Res<Vec<ParsedQuery>> {
    let mut out = Vec::with_capacity(list.len());
    for (i, query) in list.iter().enumerate() {
        let path = format!("{parameter}.member.{}", i + 1);
        let id = query.get("Id").and_then(Value::as_str).unwrap_or_default().to_owned();
        let source = match (query.get("MetricStat"), query.get("Expression").and_then(Value::as_str)) {
            (Some(stat), None) => Source::Stat(parse_metric_stat(stat, &path)?),
            (None, Some(expression)) => Source::Expression(expression.to_owned()),
            (Some(_), Some(_)) => {
                return Err(validation(format!(
                    "The parameters {path}.MetricStat and {path}.Expression are mutually exclusive and you have specified both."
                )));
            }
            (None, None) => {
                return Err(validation(format!("Exactly one of {path}.MetricStat and {path}.Expression must be specified.")));
            }
        };
        let period = query.get("Period").and_then(Value::as_i64);
        if let Some(p) = period {
            validate_query_period(p).map_err(|e| e.with_kind(ErrorKind::Validation))?;
        }
        out.push(ParsedQuery {
            id,
            label: query.get("Label").and_then(Value::as_str).map(str::to_owned),
            return_data: query.get("ReturnData").and_then(Value::as_bool).unwrap_or(true),
            period,
            source,
        });
    }
    Ok(out)
}

/// The period expressions are evaluated at: the smallest the request's metrics use.
pub fn expression_period(queries: &[ParsedQuery]) -> i64 {
    queries
        .iter()
        .filter_map(|q| match &q.source {
            Source::Stat(s) => Some(s.period),
            Source::Expression(_) => q.period,
        })
        .min()
        .unwrap_or(60)
}

impl CloudWatch {
    /// The queries as metric math sees them: MetricStat data read and reduced to one value per
    /// period of `[start, end)`.
    pub(crate) fn math_queries(
        &self,
        account: &str,
        region: &str,
        queries: &[ParsedQuery],
        start: i64,
        end: i64,
        now: i64,
    ) -> Res<Vec<MathQuery>> {
        let mut out = Vec::with_capacity(queries.len());
        for query in queries {
            let source = match &query.source {
                Source::Stat(stat) => {
                    let from = round_start_time(start, now, stat.period);
                    let buckets = self.read_metric(account, region, &stat.metric, from, end)?;
                    let points = periods(&buckets, stat.unit, from, end, stat.period)
                        .into_iter()
                        .filter_map(|(t, data)| stat_value(&data.samples, &stat.stat).map(|v| (t, v)))
                        .collect();
                    QuerySource::Metric { points, period: stat.period }
                }
                Source::Expression(text) => QuerySource::Expression(text.clone()),
            };
            let label = match (&query.label, &query.source) {
                (Some(label), _) => Some(label.clone()),
                (None, Source::Stat(stat)) => Some(stat.metric.name.clone()),
                (None, Source::Expression(_)) => None,
            };
            out.push(MathQuery { id: query.id.clone(), label, source, return_data: query.return_data });
        }
        Ok(out)
    }

    pub(crate) fn get_metric_data(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        let now = self.clock.now().unix_timestamp();
        let list = input.get("MetricDataQueries").and_then(Value::as_array).cloned().unwrap_or_default();
        if list.is_empty() {
            return Err(validation("The collection MetricDataQueries must not be empty."));
        }
        if list.len() > MAX_QUERIES {
            return Err(validation(format!("The collection MetricDataQueries must not have a size greater than {MAX_QUERIES}.")));
        }
        let start = seconds_member(input, "StartTime").unwrap_or(0);
        let end = seconds_member(input, "EndTime").unwrap_or(0);
        validate_time_range(start, end).map_err(|e| e.with_kind(ErrorKind::Validation))?;
        let descending = match input.get("ScanBy").and_then(Value::as_str) {
            None | Some("TimestampDescending") => true,
            Some("TimestampAscending") => false,
            Some(other) => {
                return Err(validation(format!(
                    "The value {other} for parameter ScanBy is not valid. Valid values are TimestampDescending and TimestampAscending."
                )));
            }
        };
        let max_datapoints = match input.get("MaxDatapoints").and_then(Value::as_i64) {
            None => DEFAULT_MAX_DATAPOINTS,
            Some(n) if n > 0 => n as usize,
            Some(n) => return Err(validation(format!("The value {n} for parameter MaxDatapoints must be greater than 0."))),
        };
        let parsed = parse_queries(&list, "MetricDataQueries")?;
        let period = expression_period(&parsed);
        let math = self.math_queries(&ctx.account_id, &ctx.region, &parsed, start, end, now)?;
        let context = MathContext::new(round_start_time(start, now, period), end, period);
        let results = evaluate_queries(&math, &context).map_err(|e| e.with_kind(ErrorKind::Validation))?;

        let fingerprint = format!("{start}|{end}|{}|{descending}|{max_datapoints}", list.len());
        let offset = match input.get("NextToken").and_then(Value::as_str) {
            None => 0,
            Some(token) => decode_token(token, &fingerprint)?,
        };
        let page_end = offset.saturating_add(max_datapoints);
        let mut seen = 0usize;
        let mut documents = Vec::new();
        for result in results.iter().filter(|r| r.return_data) {
            for series in &result.series {
                let mut points = series.points.clone();
                if descending {
                    points.reverse();
                }
                let from = offset.saturating_sub(seen).min(points.len());
                let to = page_end.saturating_sub(seen).min(points.len());
                seen += points.len();
                let page = if from < to { &points[from..to] } else { &[][..] };
                let complete = seen <= page_end;
                let messages: Vec<Value> =
                    result.messages.iter().map(|m| json!({"Code": m.code, "Value": m.value})).collect();
                let mut doc = json!({
                    "Id": result.id,
                    "Label": series.label,
                    "Timestamps": page.iter().map(|(t, _)| timestamp(time_of_seconds(*t))).collect::<Vec<_>>(),
                    "Values": page.iter().map(|(_, v)| json!(v)).collect::<Vec<_>>(),
                    "StatusCode": if complete { "Complete" } else { "PartialData" },
                });
                if !messages.is_empty() {
                    doc["Messages"] = Value::Array(messages);
                }
                documents.push(doc);
            }
        }
        let mut out = json!({"MetricDataResults": documents, "Messages": []});
        if seen > page_end {
            out["NextToken"] = json!(encode_token(page_end, &fingerprint));
        }
        Ok(out)
    }
}

fn encode_token(offset: usize, fingerprint: &str) -> String {
    B64.encode(json!({"o": offset, "f": fingerprint}).to_string())
}

fn decode_token(token: &str, fingerprint: &str) -> Res<usize> {
    let bytes = B64.decode(token).map_err(|_| invalid_next_token())?;
    let doc: Value = serde_json::from_slice(&bytes).map_err(|_| invalid_next_token())?;
    if doc.get("f").and_then(Value::as_str) != Some(fingerprint) {
        return Err(invalid_next_token());
    }
    doc.get("o").and_then(Value::as_u64).map(|o| o as usize).ok_or_else(invalid_next_token)
}
