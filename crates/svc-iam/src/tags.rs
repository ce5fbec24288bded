//! Tags on users, roles, policies, instance profiles and identity providers: AWS's limits
//! (50 per resource, keys 1–128 characters, values up to 256, keys unique ignoring case).

use nimbus_core::Document;
use serde_json::json;

use crate::errors::{Res, invalid, limit};
use crate::records::Tag;

/// The `Tags` member of an input.
pub fn tags_in(input: &Document) -> Res<Vec<Tag>> {
    let mut out: Vec<Tag> = Vec::new();
    for item in input
        .get("Tags")
        .and_then(Document::as_array)
        .into_iter()
        .flatten()
    {
        let key = item
            .get("Key")
            .and_then(Document::as_str)
            .unwrap_or_default()
            .to_owned();
        let value = item
            .get("Value")
            .and_then(Document::as_str)
            .unwrap_or_default()
            .to_owned();
        if out.iter().any(|t| t.key.eq_ignore_ascii_case(&key)) {
            return Err(invalid(
                "Duplicate tag keys found. Please note that Tag keys are case insensitive.",
            ));
        }
        out.push(Tag { key, value });
    }
    Ok(out)
}

/// Sets the `Tags` member of an answer, which IAM leaves out when there are no tags.
pub fn put_tags(doc: &mut Document, tags: &[Tag]) {
    if !tags.is_empty() {
        doc["Tags"] = tags_out(tags);
    }
}

pub fn tags_out(tags: &[Tag]) -> Document {
    Document::Array(
        tags.iter()
            .map(|t| json!({"Key": t.key, "Value": t.value}))
            .collect(),
    )
}

/// Adds or replaces `new` tags (same key ignoring case replaces), within the 50-tag limit.
pub fn tag(tags: &mut Vec<Tag>, new: Vec<Tag>) -> Res<()> {
    for t in new {
        match tags
            .iter_mut()
            .find(|old| old.key.eq_ignore_ascii_case(&t.key))
        {
            Some(old) => *old = t,
            None => tags.push(t),
        }
    }
    if tags.len() > 50 {
        return Err(limit("The number of tags has reached the maximum limit."));
    }
    Ok(())
}

/// Removes the tags with the `TagKeys` of the input.
pub fn untag(tags: &mut Vec<Tag>, input: &Document) {
    let keys = crate::util::strings(input, "TagKeys");
    tags.retain(|t| !keys.iter().any(|k| k.eq_ignore_ascii_case(&t.key)));
}

/// What a TagX (add) or UntagX request does to a resource's tags. Read before the write, so
/// that a malformed `Tags` member is refused before the resource is looked up.
pub enum TagChange<'a> {
    Add(Vec<Tag>),
    Remove(&'a Document),
}

impl<'a> TagChange<'a> {
    pub fn read(input: &'a Document, add: bool) -> Res<TagChange<'a>> {
        Ok(if add {
            TagChange::Add(tags_in(input)?)
        } else {
            TagChange::Remove(input)
        })
    }

    pub fn apply(self, tags: &mut Vec<Tag>) -> Res<()> {
        match self {
            TagChange::Add(new) => tag(tags, new),
            TagChange::Remove(input) => {
                untag(tags, input);
                Ok(())
            }
        }
    }
}

/// `Tags` of a ListXTags answer, paginated.
pub fn list(input: &Document, tags: &[Tag]) -> Res<Document> {
    let items = tags
        .iter()
        .enumerate()
        .map(|(i, t)| (format!("{i:04}"), json!({"Key": t.key, "Value": t.value})))
        .collect();
    crate::paging::page(input, items, "Tags")
}
