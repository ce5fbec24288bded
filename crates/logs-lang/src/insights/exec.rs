//! Runs a plan over events. Commands up to the first one that needs every row (`stats`, `sort`,
//! `limit`, `dedup`) run event by event, so a `filter | stats` query never holds the events; the
//! rest run over the rows collected there.

use std::collections::{HashMap, HashSet};

use serde_json::Value as Json;

use super::ast::{Command, ParseCommand, StatsCommand};
use super::eval::{Context, Row, evaluate, truthy};
use super::functions::Clock;
use super::parser::{INGESTION_TIME, LOG, LOG_STREAM, MESSAGE, PTR, Plan, TIMESTAMP};
use super::stats::Accumulator;
use super::value::{Value, natural_order};
use super::{LogEvent, QueryStatistics, ResultField};

/// AWS extracts at most this many fields from one JSON event.
const MAX_DISCOVERED_FIELDS: usize = 200;

pub(crate) struct Outcome {
    pub(crate) rows: Vec<Vec<ResultField>>,
    pub(crate) statistics: QueryStatistics,
}

pub(crate) fn run<'a>(
    plan: &Plan,
    events: impl IntoIterator<Item = LogEvent<'a>>,
    clock: &Clock,
    limit: usize,
) -> Outcome {
    let context = Context { clock, aggregates: &[] };
    let barrier = plan.commands.iter().position(Command::is_barrier).unwrap_or(plan.commands.len());
    let streaming = &plan.commands[..barrier];
    let mut statistics = QueryStatistics::default();
    let mut rows: Vec<Row> = Vec::new();
    let mut next = barrier;
    let mut aggregation = match plan.commands.get(barrier) {
        Some(Command::Stats(stats)) => {
            next += 1;
            Some(Groups::new(stats))
        }
        _ => None,
    };
    let early_limit = match plan.commands.get(barrier) {
        Some(Command::Limit(n)) => {
            next += 1;
            Some(*n)
        }
        _ => None,
    };
    for event in events {
        statistics.records_scanned += 1;
        statistics.bytes_scanned += event.message.len() as u64;
        let mut row = event_row(plan, &event);
        if !streaming.iter().all(|command| apply_to_row(command, &mut row, &context)) {
            continue;
        }
        statistics.records_matched += 1;
        match (&mut aggregation, early_limit) {
            (Some(groups), _) => groups.add(&row, &context),
            (None, Some(n)) if rows.len() >= n => {}
            _ => rows.push(row),
        }
    }
    if let Some(groups) = aggregation {
        rows = groups.finish(plan.names.len(), &context);
    }
    for command in &plan.commands[next..] {
        rows = apply_to_rows(command, rows, plan.names.len(), &context);
    }
    rows.truncate(limit);
    Outcome { rows: rows.iter().map(|row| result_fields(plan, row)).collect(), statistics }
}

/// A row for an event: its system fields, and the fields of a JSON message the query names.
fn event_row(plan: &Plan, event: &LogEvent<'_>) -> Row {
    let mut row: Row = vec![None; plan.names.len()];
    row[TIMESTAMP] = Some(Value::Time(event.timestamp_ms));
    row[MESSAGE] = Some(Value::Str(event.message.to_owned()));
    row[LOG_STREAM] = Some(Value::Str(event.log_stream.to_owned()));
    row[LOG] = Some(Value::Str(event.log_group.to_owned()));
    row[INGESTION_TIME] = Some(Value::Time(event.ingestion_time_ms));
    row[PTR] = event.ptr.map(|ptr| Value::Str(ptr.to_owned()));
    if !plan.discoverable.is_empty()
        && event.message.trim_start().starts_with('{')
        && let Ok(Json::Object(map)) = serde_json::from_str::<Json>(event.message.trim_start())
    {
        let mut name = String::new();
        let mut budget = MAX_DISCOVERED_FIELDS;
        for (key, value) in &map {
            discover(plan, &mut row, &mut name, key, value, &mut budget);
        }
    }
    row
}

/// Flattens a JSON value the way Logs Insights names its fields: nested keys joined with `.`,
/// array elements by index (`requestParameters.instancesSet.items.0.instanceId`).
fn discover(plan: &Plan, row: &mut Row, name: &mut String, key: &str, value: &Json, budget: &mut usize) {
    let mark = name.len();
    if !name.is_empty() {
        name.push('.');
    }
    name.push_str(key);
    match value {
        Json::Object(map) => {
            for (child, value) in map {
                discover(plan, row, name, child, value, budget);
            }
        }
        Json::Array(items) => {
            for (i, value) in items.iter().enumerate() {
                discover(plan, row, name, &i.to_string(), value, budget);
            }
        }
        // A null is no value: the field is absent.
        Json::Null => {}
        leaf if *budget > 0 => {
            *budget -= 1;
            if let Some(slot) = plan.discoverable.get(name.as_str()) {
                row[*slot] = Some(json_value(leaf));
            }
        }
        _ => {}
    }
    name.truncate(mark);
}

fn json_value(leaf: &Json) -> Value {
    match leaf {
        Json::String(s) => Value::Str(s.clone()),
        // Integers past 2^53 would lose digits as floating point: keep their text.
        Json::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) if i.unsigned_abs() > (1 << 53) => Value::Str(i.to_string()),
            (None, _) if n.is_u64() => Value::Str(n.to_string()),
            (_, Some(f)) => Value::Num(f),
            _ => Value::Str(n.to_string()),
        },
        // Shown as the JSON wrote them; computed booleans show as 1 and 0 instead.
        Json::Bool(b) => Value::Str(b.to_string()),
        other => Value::Str(other.to_string()),
    }
}

/// Applies a row-by-row command; `false` drops the row.
fn apply_to_row(command: &Command, row: &mut Row, context: &Context<'_>) -> bool {
    match command {
        Command::Fields(projections) | Command::Display(projections) => {
            for projection in projections {
                row[projection.slot] = evaluate(&projection.expr, row, context);
            }
            true
        }
        Command::Filter(condition) => truthy(evaluate(condition, row, context).as_ref()),
        Command::Parse(parse) => {
            apply_parse(parse, row, context);
            true
        }
        Command::Stats(_) | Command::Sort(_) | Command::Limit(_) | Command::Dedup(_) => true,
    }
}

/// Sets the fields a `parse` extracts; a value that does not match leaves them as they were.
fn apply_parse(parse: &ParseCommand, row: &mut Row, context: &Context<'_>) {
    let Some(source) = evaluate(&parse.source, row, context) else { return };
    let text = source.text();
    let Some(captures) = parse.regex.captures(&text) else { return };
    for (group, slot) in &parse.captures {
        if let Some(found) = captures.get(*group) {
            row[*slot] = Some(Value::Str(found.as_str().to_owned()));
        }
    }
}

fn apply_to_rows(command: &Command, mut rows: Vec<Row>, width: usize, context: &Context<'_>) -> Vec<Row> {
    match command {
        Command::Stats(stats) => {
            let mut groups = Groups::new(stats);
            for row in &rows {
                groups.add(row, context);
            }
            groups.finish(width, context)
        }
        Command::Sort(keys) => {
            let mut keyed: Vec<(Vec<Option<Value>>, Row)> = rows
                .into_iter()
                .map(|row| (keys.iter().map(|(expr, _)| evaluate(expr, &row, context)).collect(), row))
                .collect();
            keyed.sort_by(|(a, _), (b, _)| {
                for ((left, right), (_, descending)) in a.iter().zip(b).zip(keys) {
                    // Rows without the value go last, whichever the direction.
                    let ordering = match (left, right) {
                        (Some(l), Some(r)) if *descending => natural_order(r, l),
                        (Some(l), Some(r)) => natural_order(l, r),
                        (Some(_), None) => std::cmp::Ordering::Less,
                        (None, Some(_)) => std::cmp::Ordering::Greater,
                        (None, None) => std::cmp::Ordering::Equal,
                    };
                    if ordering.is_ne() {
                        return ordering;
                    }
                }
                std::cmp::Ordering::Equal
            });
            keyed.into_iter().map(|(_, row)| row).collect()
        }
        Command::Limit(n) => {
            rows.truncate(*n);
            rows
        }
        Command::Dedup(fields) => {
            let mut seen = HashSet::new();
            rows.retain(|row| {
                let key: Option<Vec<String>> =
                    fields.iter().map(|f| evaluate(f, row, context).map(|v| v.text().into_owned())).collect();
                // AWS keeps every row with a missing dedup field: nulls are not duplicates.
                key.is_none_or(|key| seen.insert(key))
            });
            rows
        }
        _ => {
            rows.retain_mut(|row| apply_to_row(command, row, context));
            rows
        }
    }
}

/// The groups of a `stats` command, in the order their first row came.
struct Groups<'p> {
    stats: &'p StatsCommand,
    index: HashMap<Vec<Option<String>>, usize>,
    groups: Vec<(Vec<Option<Value>>, Vec<Accumulator>)>,
}

impl<'p> Groups<'p> {
    fn new(stats: &'p StatsCommand) -> Groups<'p> {
        Groups { stats, index: HashMap::new(), groups: Vec::new() }
    }

    fn add(&mut self, row: &Row, context: &Context<'_>) {
        let keys: Vec<Option<Value>> = self.stats.groups.iter().map(|g| evaluate(&g.expr, row, context)).collect();
        let key_text: Vec<Option<String>> = keys.iter().map(|k| k.as_ref().map(|v| v.text().into_owned())).collect();
        let position = match self.index.get(&key_text) {
            Some(position) => *position,
            None => {
                let accumulators = self.stats.aggregates.iter().map(|a| a.function.accumulator()).collect();
                self.groups.push((keys, accumulators));
                self.index.insert(key_text, self.groups.len() - 1);
                self.groups.len() - 1
            }
        };
        let timestamp = row.get(TIMESTAMP).cloned().flatten().and_then(|t| t.as_time());
        let accumulators = &mut self.groups[position].1;
        for (aggregate, accumulator) in self.stats.aggregates.iter().zip(accumulators.iter_mut()) {
            match &aggregate.argument {
                None => accumulator.add(Some(&Value::Bool(true)), timestamp),
                Some(argument) => accumulator.add(evaluate(argument, row, context).as_ref(), timestamp),
            }
        }
    }

    fn finish(mut self, width: usize, context: &Context<'_>) -> Vec<Row> {
        // Without `by`, the one group exists even with no rows: `count(*)` is then 0.
        if self.groups.is_empty() && self.stats.groups.is_empty() {
            let accumulators = self.stats.aggregates.iter().map(|a| a.function.accumulator()).collect();
            self.groups.push((Vec::new(), accumulators));
        }
        self.groups
            .into_iter()
            .map(|(keys, accumulators)| {
                let results: Vec<Option<Value>> = accumulators.into_iter().map(Accumulator::finish).collect();
                let mut row: Row = vec![None; width];
                for (group, key) in self.stats.groups.iter().zip(keys) {
                    row[group.slot] = key;
                }
                let with_results = Context { clock: context.clock, aggregates: &results };
                for output in &self.stats.outputs {
                    row[output.slot] = evaluate(&output.expr, &row, &with_results);
                }
                row
            })
            .collect()
    }
}

/// A result row as GetQueryResults lists it: the shown fields that have a value, in order, then
/// `@ptr` for rows that are events.
fn result_fields(plan: &Plan, row: &Row) -> Vec<ResultField> {
    let mut fields: Vec<ResultField> = plan
        .columns
        .iter()
        .filter_map(|slot| {
            let value = row[*slot].as_ref()?;
            Some(ResultField { field: plan.names[*slot].clone(), value: value.text().into_owned() })
        })
        .collect();
    if plan.rows_are_events
        && !plan.columns.contains(&PTR)
        && let Some(ptr) = &row[PTR]
    {
        fields.push(ResultField { field: "@ptr".to_owned(), value: ptr.text().into_owned() });
    }
    fields
}
