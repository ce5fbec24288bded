//! Tags on log groups: TagResource/UntagResource/ListTagsForResource (by ARN) and the legacy
//! TagLogGroup/UntagLogGroup/ListTagsLogGroup (by name).

use nimbus_core::document::{string_list_member, string_map_member};
use nimbus_core::{Document, RequestContext};
use serde_json::json;

use crate::errors::{self, Res};
use crate::groups::{MAX_TAGS, check_tags};
use crate::input::{self, req_str};
use crate::Logs;

impl Logs {
    /// The group a tagging ARN names (log groups are the only taggable resource Nimbus keeps).
    fn tagged_group(&self, ctx: &RequestContext, input: &Document) -> Res<String> {
        let arn = req_str(input, "resourceArn")?;
        if !input::is_arn(arn) {
            return Err(errors::invalid(format!("Invalid ARN: {arn}")));
        }
        input::group_from_arn(ctx, arn).map(str::to_owned).ok_or_else(errors::group_not_found)
    }

    fn add_tags(&self, ctx: &RequestContext, group: &str, input: &Document) -> Res<Document> {
        let tags = string_map_member(input, "tags");
        check_tags(&tags)?;
        self.update_group(ctx, group, |g| {
            let mut merged = g.tags.clone();
            merged.extend(tags);
            if merged.len() > MAX_TAGS {
                return Err(errors::too_many_tags());
            }
            g.tags = merged;
            Ok(())
        })?;
        Ok(json!({}))
    }

    fn remove_tags(&self, ctx: &RequestContext, group: &str, keys: Vec<String>) -> Res<Document> {
        self.update_group(ctx, group, |g| {
            for key in &keys {
                g.tags.remove(key);
            }
            Ok(())
        })?;
        Ok(json!({}))
    }

    pub(crate) fn tag_resource(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        let group = self.tagged_group(ctx, input)?;
        self.add_tags(ctx, &group, input)
    }

    pub(crate) fn untag_resource(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        let group = self.tagged_group(ctx, input)?;
        self.remove_tags(ctx, &group, string_list_member(input, "tagKeys"))
    }

    pub(crate) fn list_tags_for_resource(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        let group = self.tagged_group(ctx, input)?;
        Ok(json!({"tags": self.group(ctx, &group)?.tags}))
    }

    pub(crate) fn tag_log_group(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        let group = req_str(input, "logGroupName")?.to_owned();
        self.add_tags(ctx, &group, input)
    }

    pub(crate) fn untag_log_group(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        let group = req_str(input, "logGroupName")?.to_owned();
        self.remove_tags(ctx, &group, string_list_member(input, "tags"))
    }

    pub(crate) fn list_tags_log_group(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        let group = req_str(input, "logGroupName")?;
        Ok(json!({"tags": self.group(ctx, group)?.tags}))
    }
}
