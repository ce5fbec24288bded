//! Tags: TagResource, UntagResource, ListResourceTags, and the tag rules of CreateKey.

use nimbus_core::RequestContext;
use serde_json::{Value, json};

use crate::errors::{Res, limit_exceeded, tag_error};
use crate::input::{Input, Out, page, with_page};
use crate::lookup::check_not_pending_deletion;
use crate::Inner;

pub const MAX_TAGS: usize = 50;

/// Characters AWS allows in tag keys and values: letters, digits, spaces and `_ . : / = + - @`.
fn valid_tag_text(text: &str) -> bool {
    text.chars().all(|c| c.is_alphanumeric() || c.is_whitespace() || "_.:/=+-@".contains(c))
}

/// The `Tags` member of the input merged into `existing` (a key already present gets the new
/// value), checked against AWS's tag rules.
pub fn parse_tags(input: &Input, existing: &[(String, String)]) -> Res<Vec<(String, String)>> {
    let mut merged = existing.to_vec();
    let Some(items) = input.0.get("Tags").and_then(Value::as_array) else { return Ok(merged) };
    let mut seen = Vec::new();
    for item in items {
        let key = item.get("TagKey").and_then(Value::as_str).unwrap_or_default();
        let value = item.get("TagValue").and_then(Value::as_str).unwrap_or_default();
        if key.to_ascii_lowercase().starts_with("aws:") {
            return Err(tag_error("Tags beginning with aws: are reserved and cannot be set."));
        }
        if !valid_tag_text(key) || !valid_tag_text(value) {
            return Err(tag_error(format!(
                "Tag {key} contains characters that are not allowed. Use letters, numbers, spaces and _ . : / = + - @."
            )));
        }
        if seen.contains(&key) {
            return Err(tag_error(format!("Duplicate tag key {key} in the request.")));
        }
        seen.push(key);
        match merged.iter_mut().find(|(k, _)| k == key) {
            Some(entry) => entry.1 = value.to_owned(),
            None => merged.push((key.to_owned(), value.to_owned())),
        }
    }
    if merged.len() > MAX_TAGS {
        return Err(limit_exceeded(format!("A KMS key can have at most {MAX_TAGS} tags.")));
    }
    Ok(merged)
}

pub fn tags_doc(tags: &[(String, String)]) -> Vec<Value> {
    tags.iter().map(|(k, v)| json!({ "TagKey": k, "TagValue": v })).collect()
}

impl Inner {
    pub(crate) fn tag_resource(&self, ctx: &RequestContext, input: &Input) -> Res<Value> {
        let key = self.customer_key(ctx, input, "TagResource")?;
        check_not_pending_deletion(&key)?;
        if !input.has("Tags") {
            return Err(crate::errors::missing("tags"));
        }
        self.update_key(&key, |k| {
            check_not_pending_deletion(k)?;
            k.tags = parse_tags(input, &k.tags)?;
            Ok(())
        })?;
        Ok(json!({}))
    }

    pub(crate) fn untag_resource(&self, ctx: &RequestContext, input: &Input) -> Res<Value> {
        let key = self.customer_key(ctx, input, "UntagResource")?;
        if !input.has("TagKeys") {
            return Err(crate::errors::missing("tagKeys"));
        }
        let remove = input.strings("TagKeys");
        if remove.iter().any(|k| k.to_ascii_lowercase().starts_with("aws:")) {
            return Err(tag_error("Tags beginning with aws: are reserved and cannot be removed."));
        }
        self.update_key(&key, |k| {
            check_not_pending_deletion(k)?;
            k.tags.retain(|(tag, _)| !remove.contains(tag));
            Ok(())
        })?;
        Ok(json!({}))
    }

    pub(crate) fn list_resource_tags(&self, ctx: &RequestContext, input: &Input) -> Res<Value> {
        let key = self.find_key(ctx, input.required_str("KeyId")?, false)?;
        let limit = input.limit(MAX_TAGS).min(MAX_TAGS);
        let after = input.marker()?;
        let mut sorted = key.tags.clone();
        sorted.sort();
        let keyed: Vec<(String, (String, String))> = sorted
            .into_iter()
            .filter(|(k, _)| after.as_ref().is_none_or(|a| k > a))
            .map(|tag| (tag.0.clone(), tag))
            .collect();
        let (shown, next) = page(keyed, limit);
        let tags: Vec<(String, String)> = shown.into_iter().map(|(_, t)| t).collect();
        Ok(with_page(Out::new().set("Tags", tags_doc(&tags)), next).done())
    }
}
