//! AddTagsToResource, RemoveTagsFromResource, ListTagsForResource for ResourceType Parameter.

use nimbus_core::{Document, RequestContext, ServiceError};
use serde::Deserialize;
use serde_json::json;

use crate::errors::{self, Res};
use crate::names;
use crate::put::TagInput;
use crate::{Ssm, load_for_write};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AddTagsInput {
    resource_type: String,
    resource_id: String,
    tags: Vec<TagInput>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RemoveTagsInput {
    resource_type: String,
    resource_id: String,
    tag_keys: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListTagsInput {
    resource_type: String,
    resource_id: String,
}

/// Only parameters are taggable here; the other SSM resource types are not in Nimbus yet.
fn check_type(resource_type: &str) -> Res<()> {
    if resource_type == "Parameter" {
        Ok(())
    } else {
        Err(ServiceError::new(
            "NotImplemented",
            format!("Tagging resources of type {resource_type} is not implemented in Nimbus"),
        )
        .with_status(501)
        .into())
    }
}

impl Ssm {
    /// The stored names a ResourceId may refer to; an unusable id is InvalidResourceId.
    fn resource_candidates(ctx: &RequestContext, resource_id: &str) -> Res<Vec<String>> {
        match names::parse_resource(ctx, resource_id) {
            Ok(Some(candidates)) => Ok(candidates),
            Ok(None) | Err(_) => Err(errors::invalid_resource_id().into()),
        }
    }

    /// Runs `edit` on the tags of the parameter a ResourceId names, in one transaction.
    fn edit_tags(
        &self,
        ctx: &RequestContext,
        resource_id: &str,
        edit: impl FnOnce(&mut Vec<(String, String)>) -> Res<()>,
    ) -> Res<()> {
        let candidates = Self::resource_candidates(ctx, resource_id)?;
        let scope = Self::scope(ctx);
        let now = self.now_ms();
        self.store.transaction(|txn| -> Res<()> {
            for name in &candidates {
                if let Some(mut record) = load_for_write(txn, &scope, name, now)? {
                    edit(&mut record.tags)?;
                    txn.put(&scope, name, &record)?;
                    return Ok(());
                }
            }
            Err(errors::invalid_resource_id().into())
        })
    }

    pub(crate) fn add_tags(&self, ctx: &RequestContext, input: AddTagsInput) -> Res<Document> {
        check_type(&input.resource_type)?;
        let max = self.limits.tags;
        self.edit_tags(ctx, &input.resource_id, |tags| {
            for tag in input.tags {
                match tags.iter_mut().find(|(k, _)| *k == tag.key) {
                    Some(existing) => existing.1 = tag.value,
                    None => tags.push((tag.key, tag.value)),
                }
            }
            if tags.len() > max { Err(errors::too_many_tags(max).into()) } else { Ok(()) }
        })?;
        Ok(json!({}))
    }

    pub(crate) fn remove_tags(&self, ctx: &RequestContext, input: RemoveTagsInput) -> Res<Document> {
        check_type(&input.resource_type)?;
        self.edit_tags(ctx, &input.resource_id, |tags| {
            tags.retain(|(k, _)| !input.tag_keys.contains(k));
            Ok(())
        })?;
        Ok(json!({}))
    }

    pub(crate) fn list_tags(&self, ctx: &RequestContext, input: ListTagsInput) -> Res<Document> {
        check_type(&input.resource_type)?;
        let candidates = Self::resource_candidates(ctx, &input.resource_id)?;
        let Some(record) = self.find(&Self::scope(ctx), &candidates)? else {
            return Err(errors::invalid_resource_id().into());
        };
        let list: Vec<_> = record.tags.iter().map(|(k, v)| json!({"Key": k, "Value": v})).collect();
        Ok(json!({ "TagList": list }))
    }
}
