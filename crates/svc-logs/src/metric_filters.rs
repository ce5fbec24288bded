//! Metric filters: PutMetricFilter, DescribeMetricFilters, DeleteMetricFilter, TestMetricFilter,
//! and the datapoints uploads publish to CloudWatch through the event bus.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, PoisonError};

use nimbus_core::{Delivery, Document, MetricDatum, MetricValue, RequestContext};
use nimbus_logs_lang::filter::{FilterPattern, PatternKind, PatternUse};
use serde_json::{Value, json};

use crate::errors::{self, Res};
use crate::events::InputEvent;
use crate::groups::group_in;
use crate::input::{self, opt_str, req_str};
use crate::records::{MetricFilterRecord, Transformation, filter_key, region_scope};
use crate::Logs;

/// Most metric filters a log group may have.
const MAX_FILTERS_PER_GROUP: usize = 100;
/// Most dimensions one metric filter may publish.
const MAX_DIMENSIONS: usize = 3;

const UNITS: [&str; 27] = [
    "Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes", "Gigabytes", "Terabytes", "Bits",
    "Kilobits", "Megabits", "Gigabits", "Terabits", "Percent", "Count", "Bytes/Second", "Kilobytes/Second",
    "Megabytes/Second", "Gigabytes/Second", "Terabytes/Second", "Bits/Second", "Kilobits/Second", "Megabits/Second",
    "Gigabits/Second", "Terabits/Second", "Count/Second", "None",
];

/// A metric filter with its pattern compiled.
pub struct CompiledFilter {
    pattern: FilterPattern,
    transformation: Transformation,
}

/// The compiled metric filters of each group, so an upload parses no pattern. Emptied for a
/// group by every change to its filters (and by its deletion).
#[derive(Default)]
pub struct FilterCache {
    groups: Mutex<HashMap<GroupKey, Arc<Vec<CompiledFilter>>>>,
}

/// (region scope, group name).
type GroupKey = (String, String);

impl FilterCache {
    pub fn forget(&self, scope: &str, group: &str) {
        self.groups.lock().unwrap_or_else(PoisonError::into_inner).remove(&(scope.to_owned(), group.to_owned()));
    }

    fn get(&self, scope: &str, group: &str) -> Option<Arc<Vec<CompiledFilter>>> {
        self.groups.lock().unwrap_or_else(PoisonError::into_inner).get(&(scope.to_owned(), group.to_owned())).cloned()
    }

    fn put(&self, scope: &str, group: &str, filters: Arc<Vec<CompiledFilter>>) {
        self.groups.lock().unwrap_or_else(PoisonError::into_inner).insert((scope.to_owned(), group.to_owned()), filters);
    }
}

fn parse_pattern(text: &str) -> Res<FilterPattern> {
    FilterPattern::parse(text).map_err(|e| errors::invalid(e.message(PatternUse::MetricFilter)))
}

/// A metricValue is a number or a `$` selector.
fn valid_metric_value(value: &str) -> bool {
    let value = value.trim();
    (value.starts_with('$') && value.len() > 1) || value.parse::<f64>().is_ok_and(f64::is_finite)
}

fn parse_transformation(input: &Document, pattern: &FilterPattern) -> Res<Transformation> {
    let Some(t) = input.get("metricTransformations").and_then(Value::as_array).and_then(|list| list.first()) else {
        return Err(errors::invalid("metricTransformations is required"));
    };
    let metric_name = req_str(t, "metricName")?;
    let metric_namespace = req_str(t, "metricNamespace")?;
    for (member, value) in [("metricName", metric_name), ("metricNamespace", metric_namespace)] {
        if value.contains([':', '*', '$']) {
            return Err(errors::constraint(
                value,
                &format!("metricTransformations.1.member.{member}"),
                "Member must satisfy regular expression pattern: [^:*$]*",
            ));
        }
    }
    let metric_value = req_str(t, "metricValue")?;
    if !valid_metric_value(metric_value) {
        return Err(errors::invalid(format!("Invalid metric value: {metric_value}")));
    }
    let dimensions = nimbus_core::document::string_map_member(t, "dimensions");
    if dimensions.len() > MAX_DIMENSIONS {
        return Err(errors::limit_exceeded());
    }
    if !dimensions.is_empty() && !matches!(pattern.kind(), PatternKind::Json | PatternKind::SpaceDelimited) {
        return Err(errors::invalid("The specified filter pattern does not support dimensions"));
    }
    if let Some(bad) = dimensions.values().find(|v| !v.trim().starts_with('$')) {
        return Err(errors::invalid(format!("Invalid dimension value: {bad}")));
    }
    let unit = opt_str(t, "unit");
    if let Some(unit) = unit
        && !UNITS.contains(&unit)
    {
        return Err(errors::constraint(
            unit,
            "metricTransformations.1.member.unit",
            &format!("Member must satisfy enum value set: [{}]", UNITS.join(", ")),
        ));
    }
    Ok(Transformation {
        metric_name: metric_name.to_owned(),
        metric_namespace: metric_namespace.to_owned(),
        metric_value: metric_value.to_owned(),
        default_value: t.get("defaultValue").and_then(Value::as_f64),
        dimensions,
        unit: unit.map(str::to_owned),
    })
}

/// Running statistics of one metric in one minute.
#[derive(Debug, Clone, Copy)]
struct Stats {
    count: f64,
    sum: f64,
    min: f64,
    max: f64,
}

impl Stats {
    fn new(value: f64) -> Stats {
        Stats { count: 1.0, sum: value, min: value, max: value }
    }

    fn add(&mut self, value: f64) {
        self.count += 1.0;
        self.sum += value;
        self.min = self.min.min(value);
        self.max = self.max.max(value);
    }

    fn value(self) -> MetricValue {
        if self.count == 1.0 {
            MetricValue::Single { value: self.sum }
        } else {
            MetricValue::StatisticSet { sample_count: self.count, sum: self.sum, minimum: self.min, maximum: self.max }
        }
    }
}

/// (namespace, metric, dimensions, unit, minute) → statistics.
type Aggregate = BTreeMap<(String, String, Vec<(String, String)>, Option<String>, i64), Stats>;

/// The datapoints `filters` make of `events`, one per metric, dimension set and minute
/// (a statistic set when several events fall in it), grouped by namespace.
pub fn datapoints(filters: &[CompiledFilter], events: &[InputEvent]) -> BTreeMap<String, Vec<MetricDatum>> {
    let mut aggregate = Aggregate::new();
    for filter in filters {
        let t = &filter.transformation;
        for event in events {
            let minute = event.timestamp - event.timestamp.rem_euclid(60_000);
            let (value, dimensions) = match filter.pattern.extract(&event.message) {
                Some(extracted) => {
                    let Some(value) = extracted.metric_value(&t.metric_value) else { continue };
                    let dimensions: Option<Vec<(String, String)>> = t
                        .dimensions
                        .iter()
                        .map(|(name, selector)| Some((name.clone(), extracted.get(selector.trim())?.to_text())))
                        .collect();
                    // An event lacking a dimension's field publishes nothing.
                    let Some(dimensions) = dimensions else { continue };
                    (value, dimensions)
                }
                None => match t.default_value {
                    Some(default) if t.dimensions.is_empty() => (default, Vec::new()),
                    _ => continue,
                },
            };
            let key = (t.metric_namespace.clone(), t.metric_name.clone(), dimensions, t.unit.clone(), minute);
            aggregate.entry(key).and_modify(|s| s.add(value)).or_insert_with(|| Stats::new(value));
        }
    }
    let mut by_namespace: BTreeMap<String, Vec<MetricDatum>> = BTreeMap::new();
    for ((namespace, metric_name, dimensions, unit, minute), stats) in aggregate {
        by_namespace.entry(namespace).or_default().push(MetricDatum {
            metric_name,
            dimensions,
            timestamp_ms: minute,
            value: stats.value(),
            unit: unit.filter(|u| u != "None"),
            storage_resolution: 60,
        });
    }
    by_namespace
}

impl Logs {
    fn compiled_filters(&self, scope: &str, group: &str) -> Res<Arc<Vec<CompiledFilter>>> {
        if let Some(filters) = self.metric_filters.get(scope, group) {
            return Ok(filters);
        }
        let records = self.store.list::<MetricFilterRecord>(scope, &filter_key(group, ""), None, usize::MAX)?;
        let filters: Vec<CompiledFilter> = records
            .into_iter()
            .filter_map(|(_, r)| Some(CompiledFilter { pattern: FilterPattern::parse(&r.pattern).ok()?, transformation: r.transformation }))
            .collect();
        let filters = Arc::new(filters);
        self.metric_filters.put(scope, group, filters.clone());
        Ok(filters)
    }

    /// Hands the datapoints of committed events to CloudWatch; a failure is logged, never
    /// returned (the events are stored either way).
    pub(crate) async fn publish_metrics(&self, ctx: &RequestContext, scope: &str, group: &str, events: &[InputEvent]) {
        let Some(bus) = &self.bus else { return };
        let filters = match self.compiled_filters(scope, group) {
            Ok(filters) => filters,
            Err(errors::Fail(e)) => {
                tracing::warn!("logs: loading metric filters of {group}: {e}");
                return;
            }
        };
        for (namespace, data) in datapoints(&filters, events) {
            let delivery = Delivery::Metrics { account_id: ctx.account_id.clone(), region: ctx.region.clone(), namespace, data };
            if let Err(e) = bus.deliver(&delivery).await {
                tracing::warn!("logs: metric filter datapoints of {group} to {}: {e}", delivery.target());
            }
        }
    }

    pub(crate) fn put_metric_filter(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        let group_name = req_str(input, "logGroupName")?;
        let name = req_str(input, "filterName")?;
        input::check_no_colon_or_star(name, "filterName")?;
        let pattern_text = req_str(input, "filterPattern")?;
        let pattern = parse_pattern(pattern_text)?;
        let transformation = parse_transformation(input, &pattern)?;
        let scope = region_scope(ctx);
        let record = MetricFilterRecord {
            group: group_name.to_owned(),
            name: name.to_owned(),
            pattern: pattern_text.to_owned(),
            transformation,
            created_ms: self.clock.now_millis(),
            apply_on_transformed_logs: input::opt_bool(input, "applyOnTransformedLogs").unwrap_or(false),
        };
        self.store.transaction(|t| {
            let mut group = group_in(t, &scope, group_name)?;
            let key = filter_key(group_name, name);
            if t.get::<MetricFilterRecord>(&scope, &key)?.is_none() {
                let existing = t.list::<MetricFilterRecord>(&scope, &filter_key(group_name, ""), None, usize::MAX)?.len();
                if existing >= MAX_FILTERS_PER_GROUP {
                    return Err(errors::limit_exceeded());
                }
                group.metric_filter_count = u32::try_from(existing + 1).unwrap_or(u32::MAX);
                t.put(&scope, group_name, &group)?;
            }
            t.put(&scope, &key, &record)?;
            Ok(())
        })?;
        self.metric_filters.forget(&scope, group_name);
        Ok(json!({}))
    }

    pub(crate) fn delete_metric_filter(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        let group_name = req_str(input, "logGroupName")?;
        let name = req_str(input, "filterName")?;
        let scope = region_scope(ctx);
        self.store.transaction(|t| {
            let mut group = group_in(t, &scope, group_name)?;
            if !t.delete::<MetricFilterRecord>(&scope, &filter_key(group_name, name))? {
                return Err(errors::metric_filter_not_found());
            }
            group.metric_filter_count = group.metric_filter_count.saturating_sub(1);
            t.put(&scope, group_name, &group)?;
            Ok(())
        })?;
        self.metric_filters.forget(&scope, group_name);
        Ok(json!({}))
    }

    pub(crate) fn describe_metric_filters(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        let scope = region_scope(ctx);
        let group = opt_str(input, "logGroupName");
        let name_prefix = opt_str(input, "filterNamePrefix");
        let metric_name = opt_str(input, "metricName");
        let namespace = opt_str(input, "metricNamespace");
        if name_prefix.is_some() && group.is_none() {
            return Err(errors::invalid("If you specify filterNamePrefix, you must also specify logGroupName."));
        }
        if metric_name.is_some() != namespace.is_some() {
            return Err(errors::invalid("If you specify metricName or metricNamespace, you must specify both."));
        }
        if let Some(group) = group {
            self.group(ctx, group)?;
        }
        let prefix = match group {
            Some(group) => filter_key(group, name_prefix.unwrap_or("")),
            None => String::new(),
        };
        let limit = input::page_limit(input, "limit", 50);
        let after = input::next_token(input)?;
        let mut page = Vec::new();
        let mut more = false;
        let mut cursor = after;
        'pages: loop {
            let batch = self.store.list::<MetricFilterRecord>(&scope, &prefix, cursor.as_deref(), 500)?;
            let full = batch.len() == 500;
            for (key, filter) in batch {
                cursor = Some(key.clone());
                let t = &filter.transformation;
                if metric_name.is_some_and(|m| m != t.metric_name) || namespace.is_some_and(|n| n != t.metric_namespace) {
                    continue;
                }
                if page.len() == limit {
                    more = true;
                    break 'pages;
                }
                page.push((key, filter));
            }
            if !full {
                break;
            }
        }
        let mut out = json!({"metricFilters": page.iter().map(|(_, f)| filter_document(f)).collect::<Vec<_>>()});
        if more && let Some((key, _)) = page.last() {
            out["nextToken"] = json!(input::encode_token(key));
        }
        Ok(out)
    }

    pub(crate) fn test_metric_filter(&self, input: &Document) -> Res<Document> {
        let pattern = parse_pattern(req_str(input, "filterPattern")?)?;
        let messages = nimbus_core::document::string_list_member(input, "logEventMessages");
        let matches: Vec<Value> = messages
            .iter()
            .enumerate()
            .filter_map(|(i, message)| {
                let extracted = pattern.extract(message)?;
                let values: serde_json::Map<String, Value> =
                    extracted.values().into_iter().map(|(k, v)| (k, Value::String(v))).collect();
                Some(json!({"eventNumber": i + 1, "eventMessage": message, "extractedValues": values}))
            })
            .collect();
        Ok(json!({"matches": matches}))
    }
}

fn filter_document(filter: &MetricFilterRecord) -> Value {
    let t = &filter.transformation;
    let mut transformation = json!({
        "metricName": t.metric_name,
        "metricNamespace": t.metric_namespace,
        "metricValue": t.metric_value,
    });
    if let Some(default) = t.default_value {
        transformation["defaultValue"] = json!(default);
    }
    if !t.dimensions.is_empty() {
        transformation["dimensions"] = json!(t.dimensions);
    }
    if let Some(unit) = &t.unit {
        transformation["unit"] = json!(unit);
    }
    json!({
        "filterName": filter.name,
        "filterPattern": filter.pattern,
        "metricTransformations": [transformation],
        "creationTime": filter.created_ms,
        "logGroupName": filter.group,
        "applyOnTransformedLogs": filter.apply_on_transformed_logs,
    })
}
