//! Log groups: CreateLogGroup, DeleteLogGroup, DescribeLogGroups, retention policies and KMS
//! key association.

use std::collections::BTreeMap;

use nimbus_core::document::string_map_member;
use nimbus_core::{Document, RequestContext};
use nimbus_store::Txn;
use serde_json::{Value, json};

use crate::errors::{self, Res};
use crate::input::{self, opt_str, req_str};
use crate::records::{
    GroupRecord, MARKER_SCOPE, MetricFilterRecord, RegionMarker, StreamRecord, SubscriptionFilterRecord, filter_key,
    region_scope, stream_scope,
};
use crate::{Logs, events};

/// The retention periods PutRetentionPolicy accepts, in days.
pub const RETENTION_DAYS: [u32; 22] =
    [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];

const GROUP_CLASSES: [&str; 4] = ["STANDARD", "INFREQUENT_ACCESS", "DELIVERY", "ESSENTIALS"];

/// Most tags a log group may carry.
pub const MAX_TAGS: usize = 50;

/// Reads a group inside a transaction, or says it does not exist.
pub fn group_in(t: &Txn, scope: &str, name: &str) -> Res<GroupRecord> {
    t.get::<GroupRecord>(scope, name)?.ok_or_else(errors::group_not_found)
}

impl Logs {
    pub(crate) fn group(&self, ctx: &RequestContext, name: &str) -> Res<GroupRecord> {
        self.store.get::<GroupRecord>(&region_scope(ctx), name)?.ok_or_else(errors::group_not_found)
    }

    pub(crate) fn create_log_group(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        let name = req_str(input, "logGroupName")?;
        input::check_group_name(name, "logGroupName")?;
        if name.len() >= 4 && name[..4].eq_ignore_ascii_case("aws/") {
            return Err(errors::invalid("Log groups starting with AWS/ are reserved for AWS."));
        }
        let class = opt_str(input, "logGroupClass").unwrap_or("STANDARD");
        if !GROUP_CLASSES.contains(&class) {
            return Err(errors::constraint(
                class,
                "logGroupClass",
                &format!("Member must satisfy enum value set: [{}]", GROUP_CLASSES.join(", ")),
            ));
        }
        let tags = string_map_member(input, "tags");
        check_tags(&tags)?;
        let record = GroupRecord {
            name: name.to_owned(),
            uid: nimbus_core::ids::uuid().replace('-', ""),
            created_ms: self.clock.now_millis(),
            retention_days: None,
            kms_key_id: opt_str(input, "kmsKeyId").map(str::to_owned),
            class: class.to_owned(),
            tags,
            stored_bytes: 0,
            next_seq: 1,
            next_stream_num: 1,
            metric_filter_count: 0,
        };
        let scope = region_scope(ctx);
        self.store.transaction(|t| {
            if !t.insert(&scope, name, &record)? {
                return Err(errors::group_exists());
            }
            t.put(MARKER_SCOPE, &scope, &RegionMarker {})?;
            Ok(())
        })?;
        Ok(json!({}))
    }

    pub(crate) fn delete_log_group(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        let name = req_str(input, "logGroupName")?;
        let scope = region_scope(ctx);
        self.store.transaction(|t| {
            let group = group_in(t, &scope, name)?;
            t.delete::<GroupRecord>(&scope, name)?;
            t.delete_scope::<StreamRecord>(&stream_scope(&scope, &group.uid))?;
            // The events go lazily: the space reads empty from this commit on.
            t.ordered_drop_space(&events::space(&group.uid))?;
            let prefix = filter_key(name, "");
            for (key, _) in t.list::<MetricFilterRecord>(&scope, &prefix, None, usize::MAX)? {
                t.delete::<MetricFilterRecord>(&scope, &key)?;
            }
            for (key, _) in t.list::<SubscriptionFilterRecord>(&scope, &prefix, None, usize::MAX)? {
                t.delete::<SubscriptionFilterRecord>(&scope, &key)?;
            }
            Ok::<_, errors::Fail>(())
        })?;
        self.metric_filters.forget(&scope, name);
        self.purge_in_background();
        Ok(json!({}))
    }

    /// Deletes dropped event spaces off the request path.
    pub(crate) fn purge_in_background(&self) {
        let store = self.store.clone();
        let purge = move || {
            if let Err(e) = store.purge_dropped_spaces(10_000) {
                tracing::warn!("logs: purging deleted events: {e}");
            }
        };
        match tokio::runtime::Handle::try_current() {
            Ok(handle) => drop(handle.spawn_blocking(purge)),
            Err(_) => purge(),
        }
    }

    pub(crate) fn describe_log_groups(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        let scope = region_scope(ctx);
        let prefix = opt_str(input, "logGroupNamePrefix");
        let pattern = opt_str(input, "logGroupNamePattern");
        if prefix.is_some() && pattern.is_some() {
            return Err(errors::invalid(
                "LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters.",
            ));
        }
        if let Some(p) = prefix {
            input::check_group_name(p, "logGroupNamePrefix")?;
        }
        let class = opt_str(input, "logGroupClass");
        let limit = input::page_limit(input, "limit", 50);
        let identifiers = nimbus_core::document::string_list_member(input, "logGroupIdentifiers");
        if !identifiers.is_empty() {
            if prefix.is_some() || pattern.is_some() {
                return Err(errors::invalid(
                    "logGroupIdentifiers cannot be combined with logGroupNamePrefix or logGroupNamePattern.",
                ));
            }
            let mut names: Vec<String> = identifiers
                .iter()
                .filter_map(|id| input::identifier_to_name(ctx, id).ok())
                .collect();
            names.sort();
            names.dedup();
            let mut groups = Vec::new();
            for name in names {
                if let Some(group) = self.store.get::<GroupRecord>(&scope, &name)?
                    && class.is_none_or(|c| c == group.class)
                {
                    groups.push(group_document(ctx, &group));
                }
            }
            return Ok(json!({"logGroups": groups}));
        }
        let needle = pattern.map(str::to_ascii_lowercase);
        let mut after = input::next_token(input)?;
        let mut page = Vec::new();
        let mut more = false;
        'pages: loop {
            let batch = self.store.list::<GroupRecord>(&scope, prefix.unwrap_or(""), after.as_deref(), 500)?;
            let full = batch.len() == 500;
            for (key, group) in batch {
                after = Some(key);
                let wanted = needle.as_deref().is_none_or(|n| group.name.to_ascii_lowercase().contains(n))
                    && class.is_none_or(|c| c == group.class);
                if !wanted {
                    continue;
                }
                if page.len() == limit {
                    more = true;
                    break 'pages;
                }
                page.push(group);
            }
            if !full {
                break;
            }
        }
        let mut out = json!({"logGroups": page.iter().map(|g| group_document(ctx, g)).collect::<Vec<_>>()});
        if more && let Some(last) = page.last() {
            out["nextToken"] = json!(input::encode_token(&last.name));
        }
        Ok(out)
    }

    /// Changes one group inside a transaction.
    pub(crate) fn update_group(
        &self,
        ctx: &RequestContext,
        name: &str,
        change: impl FnOnce(&mut GroupRecord) -> Res<()>,
    ) -> Res<GroupRecord> {
        let scope = region_scope(ctx);
        self.store.transaction(|t| {
            let mut group = group_in(t, &scope, name)?;
            change(&mut group)?;
            t.put(&scope, name, &group)?;
            Ok(group)
        })
    }

    pub(crate) fn put_retention_policy(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        let name = req_str(input, "logGroupName")?;
        let days = input::opt_i64(input, "retentionInDays").unwrap_or_default();
        let Some(days) = u32::try_from(days).ok().filter(|d| RETENTION_DAYS.contains(d)) else {
            let allowed = RETENTION_DAYS.iter().map(u32::to_string).collect::<Vec<_>>().join(", ");
            return Err(errors::constraint(
                &days.to_string(),
                "retentionInDays",
                &format!("Member must satisfy enum value set: [{allowed}]"),
            ));
        };
        self.update_group(ctx, name, |g| {
            g.retention_days = Some(days);
            Ok(())
        })?;
        Ok(json!({}))
    }

    pub(crate) fn delete_retention_policy(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        let name = req_str(input, "logGroupName")?;
        self.update_group(ctx, name, |g| {
            g.retention_days = None;
            Ok(())
        })?;
        Ok(json!({}))
    }

    /// The group AssociateKmsKey/DisassociateKmsKey name: `logGroupName` or a group ARN as
    /// `resourceIdentifier` (query-result identifiers are not kept: Nimbus does not encrypt them).
    fn kms_target(&self, ctx: &RequestContext, input: &Document) -> Res<String> {
        match (opt_str(input, "logGroupName"), opt_str(input, "resourceIdentifier")) {
            (Some(_), Some(_)) => Err(errors::invalid("logGroupName and resourceIdentifier are mutually exclusive parameters.")),
            (Some(name), None) => Ok(name.to_owned()),
            (None, Some(id)) => input::group_from_arn(ctx, id)
                .map(str::to_owned)
                .ok_or_else(|| errors::invalid(format!("Invalid resourceIdentifier: {id}"))),
            (None, None) => Err(errors::invalid("Either logGroupName or resourceIdentifier must be specified.")),
        }
    }

    pub(crate) fn associate_kms_key(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        let name = self.kms_target(ctx, input)?;
        let key = req_str(input, "kmsKeyId")?.to_owned();
        self.update_group(ctx, &name, |g| {
            g.kms_key_id = Some(key);
            Ok(())
        })?;
        Ok(json!({}))
    }

    pub(crate) fn disassociate_kms_key(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        let name = self.kms_target(ctx, input)?;
        self.update_group(ctx, &name, |g| {
            g.kms_key_id = None;
            Ok(())
        })?;
        Ok(json!({}))
    }
}

/// A group as DescribeLogGroups lists it.
pub fn group_document(ctx: &RequestContext, group: &GroupRecord) -> Value {
    let arn = input::group_arn(ctx, &group.name);
    let mut doc = json!({
        "logGroupName": group.name,
        "creationTime": group.created_ms,
        "metricFilterCount": group.metric_filter_count,
        "arn": format!("{arn}:*"),
        "logGroupArn": arn,
        "storedBytes": group.stored_bytes,
        "logGroupClass": group.class,
    });
    if let Some(days) = group.retention_days {
        doc["retentionInDays"] = json!(days);
    }
    if let Some(key) = &group.kms_key_id {
        doc["kmsKeyId"] = json!(key);
    }
    doc
}

/// Tag rules the model's lengths do not say: keys may not use the `aws:` prefix.
pub fn check_tags(tags: &BTreeMap<String, String>) -> Res<()> {
    if tags.len() > MAX_TAGS {
        return Err(errors::too_many_tags());
    }
    if let Some(key) = tags.keys().find(|k| k.to_ascii_lowercase().starts_with("aws:")) {
        return Err(errors::invalid(format!("Tag keys starting with 'aws:' are reserved for AWS use: {key}")));
    }
    Ok(())
}
