//! TagResource, UntagResource, ListTagsOfResource. Tags live in the table's record.

use nimbus_core::{Document, RequestContext, ServiceError};
use serde_json::{Value, json};

use crate::definition;
use crate::errors::{Fail, Res, invalid, invalid_parameter};
use crate::records::TableRecord;
use crate::DynamoDb;

impl DynamoDb {
    /// The table a `ResourceArn` names, checked as AWS checks it: a DynamoDB table (or its
    /// stream, which carries the table's tags; chosen) of this account and region.
    fn tagged_table(&self, ctx: &RequestContext, input: &Document) -> Res<(String, String)> {
        let arn = input.get("ResourceArn").and_then(Value::as_str).unwrap_or_default();
        if !arn.starts_with("arn:") {
            return invalid_parameter(format!("ARNs must start with 'arn:': {arn}"));
        }
        if arn.split(':').nth(2) != Some("dynamodb") {
            return invalid_parameter(format!("Provided Arn is not a DynamoDB resource arn: {arn}"));
        }
        let place = Self::place(ctx);
        let Some(path) = arn.strip_prefix(&place.table_arn("")) else {
            return invalid(format!("Invalid TableArn: Invalid ResourceArn provided as input {arn}"));
        };
        let name = match path.split_once('/') {
            None => path,
            Some((name, rest)) if rest.starts_with("stream/") => name,
            Some(_) => {
                return invalid_parameter(format!("Invalid resource arn provided, only table or stream is accepted. Provided resource arn: {arn}"));
            }
        };
        Ok((place.scope(), name.to_owned()))
    }

    fn resource_not_found(arn: &str) -> Fail {
        // AWS's text, "ResourcArn" included.
        Fail(ServiceError::new("ResourceNotFoundException", format!("Requested resource not found: ResourcArn: {arn} not found")))
    }

    pub(crate) fn tag_resource(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        let (scope, name) = self.tagged_table(ctx, input)?;
        let arn = input["ResourceArn"].as_str().unwrap_or_default();
        let tags = definition::tags(input.get("Tags"))?;
        if tags.is_empty() {
            return invalid("Atleast one Tag needs to be provided as Input.");
        }
        self.store.transaction(|t| {
            let mut table = t.get::<TableRecord>(&scope, &name)?.ok_or_else(|| Self::resource_not_found(arn))?;
            definition::merge_tags(&mut table.tags, tags)?;
            t.put(&scope, &name, &table)?;
            Ok::<_, Fail>(())
        })?;
        Ok(json!({}))
    }

    pub(crate) fn untag_resource(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        let (scope, name) = self.tagged_table(ctx, input)?;
        let arn = input["ResourceArn"].as_str().unwrap_or_default();
        let keys = nimbus_core::document::string_list_member(input, "TagKeys");
        if keys.is_empty() {
            return invalid("Atleast one Tag Key needs to be provided as Input.");
        }
        self.store.transaction(|t| {
            let mut table = t.get::<TableRecord>(&scope, &name)?.ok_or_else(|| Self::resource_not_found(arn))?;
            for key in &keys {
                table.tags.remove(key);
            }
            t.put(&scope, &name, &table)?;
            Ok::<_, Fail>(())
        })?;
        Ok(json!({}))
    }

    /// All tags in one page: a table has at most 50.
    pub(crate) fn list_tags(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        let (scope, name) = self.tagged_table(ctx, input)?;
        let arn = input["ResourceArn"].as_str().unwrap_or_default();
        let table = self.store.get::<TableRecord>(&scope, &name)?.ok_or_else(|| Self::resource_not_found(arn))?;
        let tags: Vec<Value> = table.tags.iter().map(|(k, v)| json!({"Key": k, "Value": v})).collect();
        Ok(json!({"Tags": tags}))
    }
}
