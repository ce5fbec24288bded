//! State changes: the StateUpdate history item, composite alarms following their children,
//! and SetAlarmState.

use std::collections::BTreeSet;

use nimbus_core::{Document, RequestContext};
use nimbus_metrics_lang::alarm::{AlarmState, ChildState, CompositeRule, alarm_name_of};
use serde_json::{Value, json};

use crate::book::Book;
use crate::errors::{Res, alarm_not_found, invalid_format, validation};
use crate::history::{Entry, HistoryItem};
use crate::records::{AlarmKey, AlarmKind, AlarmRecord, alarm_arn};
use crate::CloudWatch;

/// Rounds of composite re-evaluation after a change (composites of composites); a cycle stops
/// here, as AWS stops evaluating a cycle.
const MAX_COMPOSITE_ROUNDS: usize = 16;

/// One alarm's state change, already applied to the book.
#[derive(Debug, Clone)]
pub struct Transition {
    pub before: AlarmRecord,
    pub after: AlarmRecord,
}

fn reason_data_value(data: &Option<String>) -> Option<Value> {
    data.as_ref().map(|d| serde_json::from_str(d).unwrap_or_else(|_| json!(d)))
}

fn state_value(record: &AlarmRecord) -> Value {
    let mut state = json!({"stateValue": record.state, "stateReason": record.state_reason});
    if let Some(data) = reason_data_value(&record.state_reason_data) {
        state["stateReasonData"] = data;
    }
    state
}

/// The StateUpdate history item of a transition.
pub fn state_update_entry(t: &Transition) -> Entry {
    let data = json!({"version": "1.0", "oldState": state_value(&t.before), "newState": state_value(&t.after)});
    Entry {
        account: t.after.account.clone(),
        region: t.after.region.clone(),
        item: HistoryItem {
            alarm_name: t.after.name.clone(),
            alarm_type: t.after.alarm_type().to_owned(),
            time_ms: t.after.state_updated_ms,
            item_type: "StateUpdate".into(),
            summary: format!("Alarm updated from {} to {}", t.before.state, t.after.state),
            data: data.to_string(),
        },
    }
}

/// The record after moving to `state`.
pub fn with_state(record: &AlarmRecord, state: &str, reason: String, reason_data: Option<String>, now_ms: i64) -> AlarmRecord {
    let mut after = record.clone();
    if after.state != state {
        after.state_transitioned_ms = now_ms;
    }
    after.state = state.to_owned();
    after.state_reason = reason;
    after.state_reason_data = reason_data;
    after.state_updated_ms = now_ms;
    after
}

/// Re-evaluates the composite alarms in `dirty` and, rounds after rounds, the parents of every
/// alarm that changed (those in `changed` to begin with). New transitions are applied to the
/// book and appended to `out`.
pub fn settle_composites(book: &mut Book, mut dirty: BTreeSet<AlarmKey>, changed: &[Transition], now_ms: i64, out: &mut Vec<Transition>) {
    for t in changed {
        let (scope, name) = t.after.key();
        dirty.extend(book.parents_of(&scope, &name));
    }
    for _ in 0..MAX_COMPOSITE_ROUNDS {
        if dirty.is_empty() {
            return;
        }
        let mut next = BTreeSet::new();
        for key in std::mem::take(&mut dirty) {
            let Some(record) = book.get(&key) else { continue };
            let Some(config) = record.composite_config() else { continue };
            let Ok(rule) = CompositeRule::parse(&config.rule) else { continue };
            let scope = key.0.clone();
            let lookup = |child: &str| -> Option<ChildState> {
                let child = book.get(&(scope.clone(), alarm_name_of(child).to_owned()))?;
                Some(ChildState { state: AlarmState::parse(&child.state)?, since_millis: child.state_updated_ms })
            };
            let arn_of = |child: &str| alarm_arn(&record.account, &record.region, child);
            let evaluation = rule.evaluate(&lookup, &arn_of);
            let new_state = evaluation.state.name();
            if new_state == record.state {
                continue;
            }
            let mut after = with_state(record, new_state, evaluation.reason, Some(evaluation.reason_data), now_ms);
            update_suppression(book, &mut after);
            let transition = Transition { before: record.clone(), after: after.clone() };
            next.extend(book.parents_of(&key.0, &key.1));
            book.insert(after, None);
            out.push(transition);
        }
        dirty = next;
    }
    if !dirty.is_empty() {
        tracing::warn!("cloudwatch: composite alarms refer to each other in a cycle; evaluation stopped");
    }
}

/// A composite alarm's actions are suppressed while its ActionsSuppressor alarm is in ALARM.
fn update_suppression(book: &Book, record: &mut AlarmRecord) {
    let scope = format!("{}/{}", record.account, record.region);
    let AlarmKind::Composite(config) = &mut record.kind else { return };
    let suppressor = config.actions_suppressor.as_deref().and_then(|s| book.get(&(scope.clone(), alarm_name_of(s).to_owned())));
    match suppressor {
        Some(s) if s.state == "ALARM" => {
            config.actions_suppressed_by = "Alarm".into();
            config.actions_suppressed_reason = Some(format!("Alarm {} is in ALARM state", s.arn()));
        }
        _ => {
            config.actions_suppressed_by = "None".into();
            config.actions_suppressed_reason = None;
        }
    }
}

impl CloudWatch {
    /// Persists transitions already applied to the book (records and StateUpdate items in one
    /// transaction); on failure the book reloads from the store at next use.
    pub(crate) async fn persist_transitions(&self, book: &mut Book, transitions: &[Transition]) -> Res<()> {
        if transitions.is_empty() {
            return Ok(());
        }
        let records = transitions.iter().map(|t| t.after.clone()).collect();
        let entries = transitions.iter().map(state_update_entry).collect();
        let committed = self.commit_alarms(records, Vec::new(), entries).await;
        if committed.is_err() {
            book.invalidate();
        }
        committed
    }

    pub(crate) async fn set_alarm_state(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        let name = input.get("AlarmName").and_then(Value::as_str).unwrap_or_default();
        let state = input.get("StateValue").and_then(Value::as_str).unwrap_or_default();
        if AlarmState::parse(state).is_none() {
            return Err(validation(format!(
                "The value {state} for parameter StateValue is not valid. Valid values are OK, ALARM and INSUFFICIENT_DATA."
            )));
        }
        let reason = input.get("StateReason").and_then(Value::as_str).unwrap_or_default().to_owned();
        let reason_data = input.get("StateReasonData").and_then(Value::as_str).map(str::to_owned);
        if let Some(data) = &reason_data
            && serde_json::from_str::<Value>(data).is_err()
        {
            return Err(invalid_format("The value for parameter StateReasonData must be valid JSON."));
        }
        let now_ms = self.clock.now_millis();
        let mut book = self.book.lock().await;
        book.ensure_loaded(&self.store)?;
        let key = (crate::alarms::scope_of(ctx), name.to_owned());
        let Some(before) = book.get(&key).cloned() else { return Err(alarm_not_found(name)) };
        if before.state == state {
            // Nothing changes (AWS leaves the alarm and its history alone).
            return Ok(json!({}));
        }
        let after = with_state(&before, state, reason, reason_data, now_ms);
        let mut after = after;
        if after.is_composite() {
            update_suppression(&book, &mut after);
        }
        book.insert(after.clone(), None);
        let mut transitions = vec![Transition { before, after }];
        let first = transitions.clone();
        settle_composites(&mut book, BTreeSet::new(), &first, now_ms, &mut transitions);
        self.persist_transitions(&mut book, &transitions).await?;
        drop(book);
        self.run_actions(&transitions).await;
        Ok(json!({}))
    }
}
