//! The trail operations: CreateTrail, UpdateTrail, DeleteTrail, GetTrail, DescribeTrails,
//! ListTrails, StartLogging/StopLogging, GetTrailStatus, Put/GetEventSelectors and tags.

use nimbus_core::{Delivery, Document, RequestContext};
use serde_json::{Value, json};

use crate::CloudTrail;
use crate::errors::{self, Res};
use crate::selectors::{AdvancedEventSelector, EventSelector, Selectors};
use crate::trails::{self, MAX_TAGS, MAX_TRAILS_PER_REGION, SCOPE, TrailRecord, TrailStatus};

fn text<'a>(input: &'a Document, member: &str) -> Option<&'a str> {
    input.get(member).and_then(Value::as_str)
}

fn flag(input: &Document, member: &str) -> Option<bool> {
    input.get(member).and_then(Value::as_bool)
}

fn timestamp(ms: Option<i64>) -> Option<Value> {
    ms.map(|ms| nimbus_core::document::timestamp(crate::time_of(ms)))
}

impl CloudTrail {
    /// Checks the settings CreateTrail and UpdateTrail share and applies them to `trail`.
    fn apply_settings(&self, trail: &mut TrailRecord, input: &Document) -> Res<()> {
        if flag(input, "IsOrganizationTrail") == Some(true) {
            return Err(errors::organizations_not_in_use());
        }
        if let Some(bucket) = text(input, "S3BucketName") {
            trails::validate_bucket(bucket)?;
            let probe = Delivery::Object { bucket: bucket.to_owned(), key: String::new(), body: Vec::new(), content_type: String::new(), content_encoding: None };
            if self.bus.as_ref().and_then(|bus| bus.target_exists(&probe)) == Some(false) {
                return Err(errors::bucket_missing(bucket));
            }
            trail.s3_bucket = bucket.to_owned();
        }
        if let Some(prefix) = text(input, "S3KeyPrefix") {
            if prefix.len() > 200 {
                return Err(errors::invalid_prefix());
            }
            trail.s3_key_prefix = (!prefix.is_empty()).then(|| prefix.to_owned());
        }
        if let Some(topic) = text(input, "SnsTopicName") {
            trail.sns_topic_name = (!topic.is_empty()).then(|| topic.to_owned());
        }
        if let Some(include) = flag(input, "IncludeGlobalServiceEvents") {
            trail.include_global = include;
        }
        if let Some(multi) = flag(input, "IsMultiRegionTrail") {
            trail.multi_region = multi;
        }
        if trail.multi_region && !trail.include_global {
            return Err(errors::invalid_combination("Multi-Region trail must include global service events."));
        }
        if let Some(validation) = flag(input, "EnableLogFileValidation") {
            trail.log_file_validation = validation;
        }
        let group = text(input, "CloudWatchLogsLogGroupArn").map(str::to_owned);
        let role = text(input, "CloudWatchLogsRoleArn").map(str::to_owned);
        if group.is_some() != role.is_some() {
            return Err(errors::invalid_combination("You must specify both a log group ARN and a role ARN for CloudWatch Logs."));
        }
        if group.is_some() {
            trail.cloudwatch_log_group_arn = group.filter(|g| !g.is_empty());
            trail.cloudwatch_role_arn = role.filter(|r| !r.is_empty());
        }
        if let Some(key) = text(input, "KmsKeyId") {
            trail.kms_key_id = (!key.is_empty()).then(|| key.to_owned());
        }
        Ok(())
    }

    pub(crate) fn create_trail(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        let name = text(input, "Name").unwrap_or_default();
        trails::validate_name(name)?;
        let mut trail = TrailRecord {
            id: nimbus_core::ids::uuid(),
            name: name.to_owned(),
            account: ctx.account_id.clone(),
            home_region: ctx.region.clone(),
            s3_bucket: String::new(),
            s3_key_prefix: None,
            sns_topic_name: None,
            include_global: true,
            multi_region: false,
            log_file_validation: false,
            cloudwatch_log_group_arn: None,
            cloudwatch_role_arn: None,
            kms_key_id: None,
            selectors: Selectors::default(),
            custom_selectors: false,
            // As AWS: a trail created through the API logs once StartLogging is called.
            logging: false,
            start_logging_ms: None,
            stop_logging_ms: None,
            tags: Default::default(),
            created_ms: self.clock.now_millis(),
        };
        self.apply_settings(&mut trail, input)?;
        if trail.s3_bucket.is_empty() {
            return Err(errors::invalid_bucket_name(""));
        }
        let tags = trails::parse_tags(input)?;
        if tags.len() > MAX_TAGS {
            return Err(errors::too_many_tags());
        }
        trail.tags = tags.into_iter().collect();
        let (account, region) = (ctx.account_id.clone(), ctx.region.clone());
        self.store.transaction(|t| {
            let in_region = t.list::<TrailRecord>(SCOPE, &format!("{account}/{region}/"), None, MAX_TRAILS_PER_REGION + 1)?;
            if in_region.iter().any(|(_, existing)| existing.name == trail.name) {
                return Err(errors::trail_exists(&trail.name, &account, &region));
            }
            if in_region.len() >= MAX_TRAILS_PER_REGION {
                return Err(errors::too_many_trails(&account, &region));
            }
            t.put(SCOPE, &trail.key(), &trail)?;
            Ok(())
        })?;
        self.refresh()?;
        Ok(Value::Object(trail.common()))
    }

    pub(crate) fn update_trail(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        let mut trail = trails::find(&self.store, ctx, text(input, "Name").unwrap_or_default(), false)?;
        self.apply_settings(&mut trail, input)?;
        self.store.put(SCOPE, &trail.key(), &trail)?;
        self.refresh()?;
        Ok(Value::Object(trail.common()))
    }

    pub(crate) fn delete_trail(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        let trail = trails::find(&self.store, ctx, text(input, "Name").unwrap_or_default(), false)?;
        self.store.transaction(|t| {
            t.delete::<TrailRecord>(SCOPE, &trail.key())?;
            t.delete::<TrailStatus>(SCOPE, &trail.id)
        })?;
        self.refresh()?;
        crate::delivery::discard(&self.store, &trail.id)?;
        Ok(json!({}))
    }

    pub(crate) fn get_trail(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        let trail = trails::find(&self.store, ctx, text(input, "Name").unwrap_or_default(), true)?;
        Ok(json!({"Trail": trail.describe()}))
    }

    /// The region's trails, and multi-region trails of other regions unless
    /// `includeShadowTrails` is false; or the trails `trailNameList` names.
    pub(crate) fn describe_trails(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        let shadows = flag(input, "includeShadowTrails").unwrap_or(true);
        let names = nimbus_core::document::string_list_member(input, "trailNameList");
        let account = trails::account_trails(&self.store, &ctx.account_id)?;
        let visible = |t: &TrailRecord| t.home_region == ctx.region || (shadows && t.multi_region);
        let listed: Vec<Value> = if names.is_empty() {
            account.iter().filter(|t| visible(t)).map(TrailRecord::describe).collect()
        } else {
            // Named trails that do not exist are left out, as AWS does.
            account.iter().filter(|t| visible(t) && names.iter().any(|n| *n == t.name || *n == t.arn())).map(TrailRecord::describe).collect()
        };
        Ok(json!({"trailList": listed}))
    }

    pub(crate) fn list_trails(&self, ctx: &RequestContext) -> Res<Document> {
        let listed: Vec<Value> = trails::account_trails(&self.store, &ctx.account_id)?
            .iter()
            .map(|t| json!({"TrailARN": t.arn(), "Name": t.name, "HomeRegion": t.home_region}))
            .collect();
        Ok(json!({"Trails": listed}))
    }

    pub(crate) fn set_logging(&self, ctx: &RequestContext, input: &Document, logging: bool) -> Res<Document> {
        let mut trail = trails::find(&self.store, ctx, text(input, "Name").unwrap_or_default(), false)?;
        if trail.logging != logging {
            let now = Some(self.clock.now_millis());
            trail.logging = logging;
            if logging {
                trail.start_logging_ms = now;
            } else {
                trail.stop_logging_ms = now;
            }
            self.store.put(SCOPE, &trail.key(), &trail)?;
            self.refresh()?;
        }
        Ok(json!({}))
    }

    pub(crate) fn trail_status(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        let trail = trails::find(&self.store, ctx, text(input, "Name").unwrap_or_default(), true)?;
        let status = self.store.get::<TrailStatus>(SCOPE, &trail.id)?.unwrap_or_default();
        let iso = |ms: Option<i64>| ms.map(|ms| json!(nimbus_core::document::iso8601_millis(ms)));
        let mut doc = json!({"IsLogging": trail.logging});
        for (member, value) in [
            ("StartLoggingTime", timestamp(trail.start_logging_ms)),
            ("StopLoggingTime", timestamp(trail.stop_logging_ms)),
            ("LatestDeliveryTime", timestamp(status.latest_delivery_ms)),
            ("TimeLoggingStarted", iso(trail.start_logging_ms)),
            ("TimeLoggingStopped", iso(trail.stop_logging_ms)),
            ("LatestDeliveryAttemptTime", iso(status.latest_attempt_ms)),
            ("LatestDeliveryError", status.latest_delivery_error.clone().map(Value::from)),
            ("LatestDeliveryAttemptSucceeded", iso(status.latest_delivery_ms)),
        ] {
            if let Some(value) = value {
                doc[member] = value;
            }
        }
        Ok(doc)
    }

    pub(crate) fn put_event_selectors(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        let mut trail = trails::find(&self.store, ctx, text(input, "TrailName").unwrap_or_default(), false)?;
        let selectors = match (input.get("EventSelectors"), input.get("AdvancedEventSelectors")) {
            (Some(_), Some(_)) => return Err(errors::invalid_combination("You can use either EventSelectors or AdvancedEventSelectors, but not both.")),
            (Some(basic), None) => Selectors::Basic(parse_selectors::<EventSelector>(basic)?),
            (None, Some(advanced)) => Selectors::Advanced(parse_selectors::<AdvancedEventSelector>(advanced)?),
            (None, None) => return Err(errors::invalid_selectors("Specify EventSelectors or AdvancedEventSelectors.")),
        };
        selectors.validate()?;
        trail.selectors = selectors;
        trail.custom_selectors = true;
        self.store.put(SCOPE, &trail.key(), &trail)?;
        self.refresh()?;
        Ok(selectors_document(&trail))
    }

    pub(crate) fn get_event_selectors(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        let trail = trails::find(&self.store, ctx, text(input, "TrailName").unwrap_or_default(), true)?;
        Ok(selectors_document(&trail))
    }

    pub(crate) fn add_tags(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        let mut trail = self.tagged_trail(ctx, text(input, "ResourceId").unwrap_or_default())?;
        trail.tags.extend(trails::parse_tags(input)?);
        if trail.tags.len() > MAX_TAGS {
            return Err(errors::too_many_tags());
        }
        self.store.put(SCOPE, &trail.key(), &trail)?;
        Ok(json!({}))
    }

    pub(crate) fn remove_tags(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        let mut trail = self.tagged_trail(ctx, text(input, "ResourceId").unwrap_or_default())?;
        for tag in input.get("TagsList").and_then(Value::as_array).into_iter().flatten() {
            if let Some(key) = tag.get("Key").and_then(Value::as_str) {
                trail.tags.remove(key);
            }
        }
        self.store.put(SCOPE, &trail.key(), &trail)?;
        Ok(json!({}))
    }

    pub(crate) fn list_tags(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        if input.get("NextToken").is_some_and(|t| !t.is_null()) {
            return Err(errors::invalid_token());
        }
        let mut listed = Vec::new();
        for arn in nimbus_core::document::string_list_member(input, "ResourceIdList") {
            let trail = self.tagged_trail(ctx, &arn)?;
            let tags: Vec<Value> = trail.tags.iter().map(|(k, v)| json!({"Key": k, "Value": v})).collect();
            listed.push(json!({"ResourceId": arn, "TagsList": tags}));
        }
        Ok(json!({"ResourceTagList": listed}))
    }

    /// The trail a tagging call names by ARN.
    fn tagged_trail(&self, ctx: &RequestContext, arn: &str) -> Res<TrailRecord> {
        let (region, account, name) = trails::parse_arn(arn)?;
        if account != ctx.account_id {
            return Err(errors::resource_not_found(arn));
        }
        self.store.get::<TrailRecord>(SCOPE, &trails::key(&account, &region, &name))?.ok_or_else(|| errors::resource_not_found(arn))
    }
}

fn parse_selectors<T: serde::de::DeserializeOwned>(value: &Value) -> Res<Vec<T>> {
    serde_json::from_value(value.clone()).map_err(|e| errors::invalid_selectors(format!("Invalid event selectors: {e}")))
}

/// PutEventSelectors' and GetEventSelectors' answer.
fn selectors_document(trail: &TrailRecord) -> Value {
    match &trail.selectors {
        Selectors::Basic(selectors) => json!({"TrailARN": trail.arn(), "EventSelectors": selectors}),
        Selectors::Advanced(selectors) => json!({"TrailARN": trail.arn(), "AdvancedEventSelectors": selectors}),
    }
}
