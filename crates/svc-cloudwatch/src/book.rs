//! Every alarm in memory, beside its durable record: what DescribeAlarms filters, what the
//! evaluation loop schedules, and the composite alarms' parent links.
//!
//! The store stays the truth. The book is loaded from it on first use and written through by
//! every alarm change (the store commits first, then the book changes, under one lock). A
//! `POST /_nimbus/reset` empties the store behind the service's back; the book notices because
//! the token it wrote into the settings at load is gone, and loads again.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use nimbus_store::Store;

use crate::errors::Res;
use crate::records::{ALARM_SCOPE, AlarmKey, AlarmRecord};

const TOKEN_SETTING: &str = "cloudwatch.alarm-book";

#[derive(Default)]
pub struct Book {
    token: Option<String>,
    pub alarms: BTreeMap<AlarmKey, AlarmRecord>,
    /// (due time in ms, alarm): metric alarms every minute, composite alarms when something
    /// they depend on changed.
    schedule: BTreeSet<(i64, AlarmKey)>,
    due_at: HashMap<AlarmKey, i64>,
    /// (scope, child name) → the composite alarms whose rule names it.
    parents: HashMap<AlarmKey, BTreeSet<AlarmKey>>,
    /// Alarms per scope (the per-region quota).
    counts: HashMap<String, usize>,
}

impl Book {
    /// Loads the alarms if the book is not the store's current view.
    pub fn ensure_loaded(&mut self, store: &Store) -> Res<()> {
        let stored = store.setting(TOKEN_SETTING)?;
        if stored.is_some() && stored == self.token {
            return Ok(());
        }
        let all = store.list_all::<AlarmRecord>(ALARM_SCOPE)?;
        self.alarms.clear();
        self.schedule.clear();
        self.due_at.clear();
        self.parents.clear();
        self.counts.clear();
        for (_, record) in all {
            self.insert(record, Some(0));
        }
        let token = nimbus_core::ids::uuid();
        store.set_setting(TOKEN_SETTING, &token)?;
        self.token = Some(token);
        Ok(())
    }

    /// Forces a reload at next use (after a failed commit left memory ahead of the store).
    pub fn invalidate(&mut self) {
        self.token = None;
    }

    pub fn get(&self, key: &AlarmKey) -> Option<&AlarmRecord> {
        self.alarms.get(key)
    }

    /// Adds or replaces an alarm; `due` schedules its next evaluation.
    pub fn insert(&mut self, record: AlarmRecord, due: Option<i64>) {
        let key = record.key();
        self.link(&record);
        if let Some(old) = self.alarms.insert(key.clone(), record) {
            self.unlink(&old);
            if let Some(current) = self.alarms.get(&key).cloned() {
                self.link(&current);
            }
        } else {
            *self.counts.entry(key.0.clone()).or_default() += 1;
        }
        if let Some(due) = due {
            self.schedule(key, due);
        }
    }

    pub fn remove(&mut self, key: &AlarmKey) -> Option<AlarmRecord> {
        self.unschedule(key);
        let removed = self.alarms.remove(key);
        if let Some(old) = &removed {
            self.unlink(old);
            if let Some(count) = self.counts.get_mut(&key.0) {
                *count = count.saturating_sub(1);
            }
        }
        removed
    }

    /// Records a composite alarm's children in the parent index.
    fn link(&mut self, record: &AlarmRecord) {
        let Some(config) = record.composite_config() else { return };
        let (scope, _) = record.key();
        for child in &config.children {
            self.parents.entry((scope.clone(), child.clone())).or_default().insert(record.key());
        }
    }

    fn unlink(&mut self, record: &AlarmRecord) {
        let Some(config) = record.composite_config() else { return };
        let (scope, _) = record.key();
        for child in &config.children {
            let edge = (scope.clone(), child.clone());
            if let Some(parents) = self.parents.get_mut(&edge) {
                parents.remove(&record.key());
                if parents.is_empty() {
                    self.parents.remove(&edge);
                }
            }
        }
    }

    pub fn schedule(&mut self, key: AlarmKey, due: i64) {
        self.unschedule(&key);
        self.schedule.insert((due, key.clone()));
        self.due_at.insert(key, due);
    }

    fn unschedule(&mut self, key: &AlarmKey) {
        if let Some(due) = self.due_at.remove(key) {
            self.schedule.remove(&(due, key.clone()));
        }
    }

    /// Takes every alarm due at `now_ms` off the schedule.
    pub fn take_due(&mut self, now_ms: i64) -> Vec<AlarmKey> {
        let mut due = Vec::new();
        while let Some(first) = self.schedule.first() {
            if first.0 > now_ms {
                break;
            }
            let (_, key) = self.schedule.pop_first().expect("first exists");
            self.due_at.remove(&key);
            if self.alarms.contains_key(&key) {
                due.push(key);
            }
        }
        due
    }

    /// The alarms of one account and region (`<account>/<region>`), by name.
    pub fn in_scope<'a>(&'a self, scope: &'a str) -> impl Iterator<Item = &'a AlarmRecord> + 'a {
        self.alarms.range((scope.to_owned(), String::new())..).take_while(move |((s, _), _)| s == scope).map(|(_, r)| r)
    }

    /// How many alarms the scope has.
    pub fn count(&self, scope: &str) -> usize {
        self.counts.get(scope).copied().unwrap_or(0)
    }

    /// The composite alarms whose rule refers to `name`.
    pub fn parents_of(&self, scope: &str, name: &str) -> Vec<AlarmKey> {
        self.parents.get(&(scope.to_owned(), name.to_owned())).map(|p| p.iter().cloned().collect()).unwrap_or_default()
    }
}
