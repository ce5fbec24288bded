//! Subscription filters: PutSubscriptionFilter, DescribeSubscriptionFilters,
//! DeleteSubscriptionFilter. Recorded and validated as AWS does; nothing is delivered yet (no
//! Lambda, Kinesis or Firehose in Nimbus).

use nimbus_core::{Document, RequestContext};
use nimbus_logs_lang::filter::{FilterPattern, PatternUse};
use serde_json::{Value, json};

use crate::errors::{self, Res};
use crate::groups::group_in;
use crate::input::{self, opt_str, req_str};
use crate::records::{SubscriptionFilterRecord, filter_key, region_scope};
use crate::Logs;

/// Most subscription filters a log group may have.
const MAX_FILTERS_PER_GROUP: usize = 2;

/// The services a subscription may deliver to (the ARN's service).
const DESTINATION_SERVICES: [&str; 4] = ["lambda", "kinesis", "firehose", "logs"];

impl Logs {
    pub(crate) fn put_subscription_filter(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        let group_name = req_str(input, "logGroupName")?;
        let name = req_str(input, "filterName")?;
        input::check_no_colon_or_star(name, "filterName")?;
        let pattern = req_str(input, "filterPattern")?;
        FilterPattern::parse(pattern).map_err(|e| errors::invalid(e.message(PatternUse::SubscriptionFilter)))?;
        let destination = req_str(input, "destinationArn")?;
        let service = destination.split(':').nth(2).unwrap_or_default();
        if !destination.starts_with("arn:") || !DESTINATION_SERVICES.contains(&service) {
            return Err(errors::invalid(format!("Invalid destinationArn: {destination}")));
        }
        let distribution = opt_str(input, "distribution").unwrap_or("ByLogStream");
        if !["Random", "ByLogStream"].contains(&distribution) {
            return Err(errors::constraint(distribution, "distribution", "Member must satisfy enum value set: [Random, ByLogStream]"));
        }
        let record = SubscriptionFilterRecord {
            group: group_name.to_owned(),
            name: name.to_owned(),
            pattern: pattern.to_owned(),
            destination_arn: destination.to_owned(),
            role_arn: opt_str(input, "roleArn").map(str::to_owned),
            distribution: distribution.to_owned(),
            created_ms: self.clock.now_millis(),
            apply_on_transformed_logs: input::opt_bool(input, "applyOnTransformedLogs").unwrap_or(false),
        };
        let scope = region_scope(ctx);
        self.store.transaction(|t| {
            group_in(t, &scope, group_name)?;
            let key = filter_key(group_name, name);
            if t.get::<SubscriptionFilterRecord>(&scope, &key)?.is_none() {
                let existing = t.list::<SubscriptionFilterRecord>(&scope, &filter_key(group_name, ""), None, usize::MAX)?;
                if existing.len() >= MAX_FILTERS_PER_GROUP {
                    return Err(errors::limit_exceeded());
                }
            }
            t.put(&scope, &key, &record)?;
            Ok(())
        })?;
        Ok(json!({}))
    }

    pub(crate) fn delete_subscription_filter(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        let group_name = req_str(input, "logGroupName")?;
        let name = req_str(input, "filterName")?;
        let scope = region_scope(ctx);
        self.store.transaction(|t| {
            group_in(t, &scope, group_name)?;
            if !t.delete::<SubscriptionFilterRecord>(&scope, &filter_key(group_name, name))? {
                return Err(errors::subscription_filter_not_found());
            }
            Ok(())
        })?;
        Ok(json!({}))
    }

    pub(crate) fn describe_subscription_filters(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        let group_name = req_str(input, "logGroupName")?;
        self.group(ctx, group_name)?;
        let prefix = filter_key(group_name, opt_str(input, "filterNamePrefix").unwrap_or(""));
        let limit = input::page_limit(input, "limit", 50);
        let after = input::next_token(input)?;
        let mut page = self.store.list::<SubscriptionFilterRecord>(&region_scope(ctx), &prefix, after.as_deref(), limit + 1)?;
        let more = page.len() > limit;
        page.truncate(limit);
        let mut out = json!({"subscriptionFilters": page.iter().map(|(_, f)| filter_document(f)).collect::<Vec<_>>()});
        if more && let Some((key, _)) = page.last() {
            out["nextToken"] = json!(input::encode_token(key));
        }
        Ok(out)
    }
}

fn filter_document(filter: &SubscriptionFilterRecord) -> Value {
    let mut doc = json!({
        "filterName": filter.name,
        "logGroupName": filter.group,
        "filterPattern": filter.pattern,
        "destinationArn": filter.destination_arn,
        "distribution": filter.distribution,
        "creationTime": filter.created_ms,
        "applyOnTransformedLogs": filter.apply_on_transformed_logs,
    });
    if let Some(role) = &filter.role_arn {
        doc["roleArn"] = json!(role);
    }
    doc
}
