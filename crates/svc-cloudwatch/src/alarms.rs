//! PutMetricAlarm, PutCompositeAlarm, DeleteAlarms, EnableAlarmActions/DisableAlarmActions:
//! the checks AWS makes, the record written with its ConfigurationUpdate history in one
//! transaction, then the book.

use nimbus_core::document::string_list_member;
use nimbus_core::{Document, RequestContext};
use nimbus_metrics_lang::alarm::{
    ComparisonOperator, CompositeRule, TreatMissingData, alarm_name_of, validate_evaluation_settings,
};
use nimbus_metrics_lang::math::{MathQuery, validate_alarm_metrics};
use nimbus_metrics_lang::stats::{ExtendedStatistic, Statistic, validate_alarm_period};
use nimbus_metrics_lang::ErrorKind;
use nimbus_store::StoreError;
use serde_json::{Value, json};

use crate::book::Book;
use crate::errors::{Res, limit_exceeded, resource_conflict, validation};
use crate::history::{self, Entry, HistoryItem};
use crate::metric::{self, MetricId};
use crate::metric_data::{Source, parse_queries};
use crate::records::{ALARM_SCOPE, AlarmKey, AlarmKind, AlarmRecord, CompositeConfig, MetricAlarmConfig};
use crate::tags::parse_tags;
use crate::CloudWatch;

/// AWS's quota of alarms per account and region.
const MAX_ALARMS_PER_REGION: usize = 10_000;

pub fn scope_of(ctx: &RequestContext) -> String {
    format!("{}/{}", ctx.account_id, ctx.region)
}

fn actions(input: &Document, member: &str) -> Res<Vec<String>> {
    let list = string_list_member(input, member);
    for arn in &list {
        if !arn.starts_with("arn:") || arn.split(':').count() < 6 {
            return Err(validation(format!("Invalid arn syntax: {arn}")));
        }
    }
    Ok(list)
}

/// The ConfigurationUpdate item for a created, updated or deleted alarm.
pub fn configuration_entry(before: Option<&AlarmRecord>, after: Option<&AlarmRecord>, now_ms: i64) -> Option<Entry> {
    let (alarm, summary, data) = match (before, after) {
        (None, Some(created)) => (
            created,
            format!("Alarm \"{}\" created", created.name),
            json!({"type": "Create", "createdAlarm": created.history_document()}),
        ),
        (Some(original), Some(updated)) => (
            updated,
            format!("Alarm \"{}\" updated", updated.name),
            json!({"type": "Update", "updatedAlarm": updated.history_document(), "originalAlarm": original.history_document()}),
        ),
        (Some(deleted), None) => (
            deleted,
            format!("Alarm \"{}\" deleted", deleted.name),
            json!({"type": "Delete", "deletedAlarm": deleted.history_document()}),
        ),
        (None, None) => return None,
    };
    Some(Entry {
        account: alarm.account.clone(),
        region: alarm.region.clone(),
        item: HistoryItem {
            alarm_name: alarm.name.clone(),
            alarm_type: alarm.alarm_type().to_owned(),
            time_ms: now_ms,
            item_type: "ConfigurationUpdate".into(),
            summary,
            data: data.to_string(),
        },
    })
}

impl CloudWatch {
    /// Commits alarm records, deletions and history items in one transaction.
    pub(crate) async fn commit_alarms(&self, puts: Vec<AlarmRecord>, deletes: Vec<String>, entries: Vec<Entry>) -> Res<()> {
        self.store
            .transaction_async(move |t| {
                for record in &puts {
                    t.put(ALARM_SCOPE, &record.store_key(), record)?;
                }
                for key in &deletes {
                    t.delete::<AlarmRecord>(ALARM_SCOPE, key)?;
                }
                history::write(t, &entries)?;
                Ok::<_, StoreError>(())
            })
            .await?;
        Ok(())
    }

    /// A new alarm's base record, or the existing one's state carried over (an update leaves
    /// the state alone and overwrites the configuration, tags excepted).
    fn base_record(&self, book: &Book, ctx: &RequestContext, input: &Document, kind: AlarmKind, now_ms: i64) -> Res<(Option<AlarmRecord>, AlarmRecord)> {
        let name = input.get("AlarmName").and_then(Value::as_str).unwrap_or_default().to_owned();
        let existing = book.get(&(scope_of(ctx), name.clone())).cloned();
        if let Some(existing) = &existing
            && existing.is_composite() != matches!(kind, AlarmKind::Composite(_))
        {
            return Err(validation(format!(
                "The alarm {name} already exists as a {}.",
                if existing.is_composite() { "composite alarm" } else { "metric alarm" }
            )));
        }
        if existing.is_none() && book.count(&scope_of(ctx)) >= MAX_ALARMS_PER_REGION {
            return Err(limit_exceeded(format!("The maximum number of alarms ({MAX_ALARMS_PER_REGION}) has been reached.")));
        }
        let tags = match &existing {
            Some(e) => e.tags.clone(),
            None => parse_tags(input)?,
        };
        let mut record = AlarmRecord {
            account: ctx.account_id.clone(),
            region: ctx.region.clone(),
            name,
            description: input.get("AlarmDescription").and_then(Value::as_str).map(str::to_owned),
            actions_enabled: input.get("ActionsEnabled").and_then(Value::as_bool).unwrap_or(true),
            ok_actions: actions(input, "OKActions")?,
            alarm_actions: actions(input, "AlarmActions")?,
            insufficient_data_actions: actions(input, "InsufficientDataActions")?,
            config_updated_ms: now_ms,
            state: "INSUFFICIENT_DATA".into(),
            state_reason: "Unchecked: Initial alarm creation".into(),
            state_reason_data: None,
            state_updated_ms: now_ms,
            state_transitioned_ms: now_ms,
            tags,
            kind,
        };
        if let Some(e) = &existing {
            record.state = e.state.clone();
            record.state_reason = e.state_reason.clone();
            record.state_reason_data = e.state_reason_data.clone();
            record.state_updated_ms = e.state_updated_ms;
            record.state_transitioned_ms = e.state_transitioned_ms;
        }
        Ok((existing, record))
    }

    pub(crate) async fn put_metric_alarm(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        let config = parse_metric_alarm(input)?;
        let now_ms = self.clock.now_millis();
        let mut book = self.book.lock().await;
        book.ensure_loaded(&self.store)?;
        let (existing, record) = self.base_record(&book, ctx, input, AlarmKind::Metric(Box::new(config)), now_ms)?;
        let entry = configuration_entry(existing.as_ref(), Some(&record), now_ms);
        self.commit_alarms(vec![record.clone()], Vec::new(), entry.into_iter().collect()).await?;
        book.insert(record, Some(now_ms));
        Ok(json!({}))
    }

    pub(crate) async fn put_composite_alarm(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        let rule_text = input.get("AlarmRule").and_then(Value::as_str).unwrap_or_default();
        let rule = CompositeRule::parse(rule_text)?;
        let name = input.get("AlarmName").and_then(Value::as_str).unwrap_or_default();
        let now_ms = self.clock.now_millis();
        let mut book = self.book.lock().await;
        book.ensure_loaded(&self.store)?;
        let scope = scope_of(ctx);
        let mut children = Vec::new();
        for child in rule.children() {
            let child_name = alarm_name_of(child);
            if child.starts_with("arn:") && !child.contains(&format!(":{}:{}:alarm:", ctx.region, ctx.account_id)) {
                return Err(validation(format!("Could not find alarm with ARN {child} in this account and region.")));
            }
            if child_name == name {
                return Err(validation("A composite alarm cannot refer to itself in its AlarmRule."));
            }
            if book.get(&(scope.clone(), child_name.to_owned())).is_none() {
                return Err(validation(format!("Could not save the composite alarm as alarms [{child_name}] in the alarm rule do not exist")));
            }
            children.push(child_name.to_owned());
        }
        let suppressor = input.get("ActionsSuppressor").and_then(Value::as_str).map(str::to_owned);
        let wait = input.get("ActionsSuppressorWaitPeriod").and_then(Value::as_i64);
        let extension = input.get("ActionsSuppressorExtensionPeriod").and_then(Value::as_i64);
        if suppressor.is_none() && (wait.is_some() || extension.is_some()) {
            return Err(validation(
                "ActionsSuppressorWaitPeriod and ActionsSuppressorExtensionPeriod require ActionsSuppressor to be specified.",
            ));
        }
        if let Some(s) = &suppressor
            && book.get(&(scope.clone(), alarm_name_of(s).to_owned())).is_none()
        {
            return Err(validation(format!("Could not find the ActionsSuppressor alarm {s}.")));
        }
        let config = CompositeConfig {
            rule: rule_text.to_owned(),
            children,
            actions_suppressor: suppressor.clone(),
            actions_suppressor_wait_period: wait.or(suppressor.as_ref().map(|_| 60)),
            actions_suppressor_extension_period: extension.or(suppressor.as_ref().map(|_| 60)),
            actions_suppressed_by: "None".into(),
            actions_suppressed_reason: None,
        };
        let (existing, record) = self.base_record(&book, ctx, input, AlarmKind::Composite(config), now_ms)?;
        let entry = configuration_entry(existing.as_ref(), Some(&record), now_ms);
        self.commit_alarms(vec![record.clone()], Vec::new(), entry.into_iter().collect()).await?;
        book.insert(record, Some(now_ms));
        Ok(json!({}))
    }

    pub(crate) async fn delete_alarms(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        let names = string_list_member(input, "AlarmNames");
        let now_ms = self.clock.now_millis();
        let mut book = self.book.lock().await;
        book.ensure_loaded(&self.store)?;
        let scope = scope_of(ctx);
        // Names that do not exist are skipped; the others are still deleted.
        let found: Vec<AlarmRecord> = names.iter().filter_map(|n| book.get(&(scope.clone(), n.clone())).cloned()).collect();
        if found.iter().filter(|a| a.is_composite()).count() > 1 {
            return Err(validation("You can delete at most one composite alarm in one DeleteAlarms call."));
        }
        for alarm in found.iter().filter(|a| a.is_composite()) {
            let parents: Vec<AlarmKey> =
                book.parents_of(&scope, &alarm.name).into_iter().filter(|(_, p)| !names.contains(p)).collect();
            if let Some((_, parent)) = parents.first() {
                return Err(resource_conflict(format!(
                    "The composite alarm {} cannot be deleted because composite alarm {parent} refers to it in its AlarmRule.",
                    alarm.name
                )));
            }
        }
        let entries = found.iter().filter_map(|a| configuration_entry(Some(a), None, now_ms)).collect();
        self.commit_alarms(Vec::new(), found.iter().map(AlarmRecord::store_key).collect(), entries).await?;
        for alarm in &found {
            book.remove(&alarm.key());
        }
        Ok(json!({}))
    }

    pub(crate) async fn set_actions_enabled(&self, ctx: &RequestContext, input: &Document, enabled: bool) -> Res<Document> {
        let names = string_list_member(input, "AlarmNames");
        let now_ms = self.clock.now_millis();
        let mut book = self.book.lock().await;
        book.ensure_loaded(&self.store)?;
        let scope = scope_of(ctx);
        let mut changed = Vec::new();
        let mut entries = Vec::new();
        for name in &names {
            let Some(before) = book.get(&(scope.clone(), name.clone())) else { continue };
            if before.actions_enabled == enabled {
                continue;
            }
            let mut after = before.clone();
            after.actions_enabled = enabled;
            after.config_updated_ms = now_ms;
            entries.extend(configuration_entry(Some(before), Some(&after), now_ms));
            changed.push(after);
        }
        self.commit_alarms(changed.clone(), Vec::new(), entries).await?;
        for record in changed {
            book.insert(record, None);
        }
        Ok(json!({}))
    }
}

/// PutMetricAlarm's input, checked.
pub fn parse_metric_alarm(input: &Document) -> Res<MetricAlarmConfig> {
    let str_member = |name: &str| input.get(name).and_then(Value::as_str).map(str::to_owned);
    let metric_name = str_member("MetricName");
    let metrics = input.get("Metrics").and_then(Value::as_array).cloned();
    let comparison_operator = str_member("ComparisonOperator")
        .ok_or_else(|| validation("ComparisonOperator is a required parameter."))?;
    let comparison = ComparisonOperator::parse(&comparison_operator).ok_or_else(|| {
        validation(format!("The value {comparison_operator} for parameter ComparisonOperator is not valid."))
    })?;
    let evaluation_periods = input
        .get("EvaluationPeriods")
        .and_then(Value::as_i64)
        .ok_or_else(|| validation("EvaluationPeriods is a required parameter."))?;
    let evaluation_periods = u32::try_from(evaluation_periods).ok().filter(|n| *n >= 1).ok_or_else(|| {
        validation(format!(
            "1 validation error detected: Value '{evaluation_periods}' at 'evaluationPeriods' failed to satisfy constraint: \
             Member must have value greater than or equal to 1"
        ))
    })?;
    let datapoints_to_alarm = input.get("DatapointsToAlarm").and_then(Value::as_i64).map(|m| m.clamp(0, i64::from(u32::MAX)) as u32);
    let threshold = input.get("Threshold").and_then(Value::as_f64);
    let threshold_metric_id = str_member("ThresholdMetricId");
    if comparison.uses_band() {
        if threshold_metric_id.is_none() {
            return Err(validation(
                "ThresholdMetricId must be specified when ComparisonOperator is LessThanLowerOrGreaterThanUpperThreshold, \
                 LessThanLowerThreshold or GreaterThanUpperThreshold.",
            ));
        }
    } else if threshold.is_none() {
        return Err(validation("Threshold must be specified for a ComparisonOperator other than the anomaly detection ones."));
    }
    let treat_missing_data = str_member("TreatMissingData");
    if let Some(t) = &treat_missing_data {
        TreatMissingData::parse_for_alarm(t)?;
    }
    let evaluate_low = str_member("EvaluateLowSampleCountPercentile");
    if let Some(e) = &evaluate_low
        && e != "evaluate"
        && e != "ignore"
    {
        return Err(validation(format!(
            "Option {e} is not supported. Supported options for parameter EvaluateLowSampleCountPercentile are evaluate and ignore."
        )));
    }
    let unit = str_member("Unit");
    if let Some(u) = &unit
        && metric::unit_index(u).is_none()
    {
        return Err(validation(format!("The value {u} for parameter Unit is not a valid unit.")));
    }
    let mut config = MetricAlarmConfig {
        metric: None,
        statistic: None,
        extended_statistic: None,
        period: None,
        unit,
        evaluation_periods,
        datapoints_to_alarm,
        threshold: if comparison.uses_band() { None } else { threshold },
        comparison_operator,
        treat_missing_data,
        evaluate_low_sample_count_percentile: evaluate_low,
        metrics: None,
        threshold_metric_id,
    };
    let period;
    match (metric_name, metrics) {
        (Some(_), Some(_)) => {
            return Err(validation(
                "The parameters MetricName and Metrics are mutually exclusive and you have specified both.",
            ));
        }
        (None, None) => return Err(validation("Either MetricName or Metrics must be specified.")),
        (Some(name), None) => {
            let namespace = str_member("Namespace").ok_or_else(|| validation("Namespace is a required parameter when MetricName is specified."))?;
            metric::check_namespace(&namespace, "Namespace").map_err(|crate::errors::Fail(e)| validation(e.message))?;
            let dimensions = metric::parse_dimensions(input.get("Dimensions"), "Dimensions")
                .map_err(|crate::errors::Fail(e)| validation(e.message))?;
            match (str_member("Statistic"), str_member("ExtendedStatistic")) {
                (Some(_), Some(_)) => {
                    return Err(validation(
                        "The parameters Statistic and ExtendedStatistic are mutually exclusive and you have specified both.",
                    ));
                }
                (None, None) => return Err(validation("Either Statistic or ExtendedStatistic must be specified.")),
                (Some(s), None) => {
                    Statistic::parse(&s).ok_or_else(|| validation(format!("The value {s} for parameter Statistic is not supported.")))?;
                    config.statistic = Some(s);
                }
                (None, Some(e)) => {
                    ExtendedStatistic::parse_for_alarm(&e)?;
                    config.extended_statistic = Some(e);
                }
            }
            let p = input.get("Period").and_then(Value::as_i64).ok_or_else(|| validation("Period is a required parameter when MetricName is specified."))?;
            validate_alarm_period(p)?;
            config.period = Some(p);
            period = p;
            config.metric = Some(MetricId { namespace, name, dimensions });
        }
        (None, Some(list)) => {
            for member in ["Namespace", "Statistic", "ExtendedStatistic", "Dimensions", "Period"] {
                if input.get(member).is_some() {
                    return Err(validation(format!(
                        "The parameters Metrics and {member} are mutually exclusive and you have specified both."
                    )));
                }
            }
            let parsed = parse_queries(&list, "Metrics").map_err(|crate::errors::Fail(e)| validation(e.message))?;
            let math: Vec<MathQuery> = parsed
                .iter()
                .map(|q| {
                    let mut query = match &q.source {
                        Source::Stat(s) => MathQuery::metric(&q.id, Vec::new(), s.period),
                        Source::Expression(e) => MathQuery::expression(&q.id, e),
                    };
                    query.return_data = q.return_data;
                    query
                })
                .collect();
            validate_alarm_metrics(&math)?;
            let watched = parsed.iter().find(|q| q.return_data);
            period = watched
                .and_then(|q| match &q.source {
                    Source::Stat(s) => Some(s.period),
                    Source::Expression(_) => q.period,
                })
                .or_else(|| parsed.iter().find_map(|q| if let Source::Stat(s) = &q.source { Some(s.period) } else { None }))
                .unwrap_or(60);
            validate_alarm_period(period)?;
            if let Some(id) = &config.threshold_metric_id
                && !parsed.iter().any(|q| q.id == *id)
            {
                return Err(validation(format!("ThresholdMetricId {id} does not name a query of Metrics.")));
            }
            config.metrics = Some(Value::Array(list));
        }
    }
    validate_evaluation_settings(period, evaluation_periods, datapoints_to_alarm)
        .map_err(|e| e.with_kind(ErrorKind::Validation))?;
    Ok(config)
}

/// The period a metric alarm evaluates at.
pub fn alarm_period(config: &MetricAlarmConfig) -> i64 {
    if let Some(p) = config.period {
        return p;
    }
    let Some(list) = config.metrics.as_ref().and_then(Value::as_array) else { return 60 };
    let watched = list.iter().find(|q| q.get("ReturnData").and_then(Value::as_bool).unwrap_or(true)).or(list.first());
    let period_of = |q: &Value| {
        q.get("MetricStat").and_then(|s| s.get("Period")).and_then(Value::as_i64).or_else(|| q.get("Period").and_then(Value::as_i64))
    };
    watched.and_then(period_of).or_else(|| list.iter().find_map(period_of)).unwrap_or(60)
}
