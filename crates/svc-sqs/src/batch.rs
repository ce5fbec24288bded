//! The rules every batch call shares: 1 to 10 entries, distinct well-formed ids.

use std::collections::HashSet;

use nimbus_core::ServiceError;
use serde_json::Value;

use crate::errors::Res;

pub const MAX_ENTRIES: usize = 10;

/// The entries of a batch request, checked. `entry_shape` names the entry in AWS's messages
/// (`SendMessageBatchRequestEntry`).
pub fn entries<'a>(input: &'a Value, entry_shape: &str) -> Res<&'a [Value]> {
    let entries = input.get("Entries").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    if entries.is_empty() {
        return Err(ServiceError::new("EmptyBatchRequest", format!("There should be at least one {entry_shape} in the request.")));
    }
    if entries.len() > MAX_ENTRIES {
        return Err(ServiceError::new(
            "TooManyEntriesInBatchRequest",
            format!("Maximum number of entries per request are {MAX_ENTRIES}. You have sent {}.", entries.len()),
        ));
    }
    let mut seen = HashSet::new();
    for entry in entries {
        let id = entry.get("Id").and_then(Value::as_str).unwrap_or_default();
        if id.is_empty() || id.len() > 80 || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
            return Err(ServiceError::new(
                "InvalidBatchEntryId",
                "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.",
            ));
        }
        if !seen.insert(id) {
            return Err(ServiceError::new("BatchEntryIdsNotDistinct", format!("Id {id} repeated.")));
        }
    }
    Ok(entries)
}

pub fn id(entry: &Value) -> &str {
    entry.get("Id").and_then(Value::as_str).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn batch_rules() {
        let code = |v: Value| entries(&v, "E").unwrap_err().code.into_owned();
        assert_eq!(code(json!({"Entries": []})), "EmptyBatchRequest");
        assert_eq!(code(json!({})), "EmptyBatchRequest");
        let eleven: Vec<Value> = (0..11).map(|i| json!({"Id": i.to_string()})).collect();
        assert_eq!(code(json!({ "Entries": eleven })), "TooManyEntriesInBatchRequest");
        assert_eq!(code(json!({"Entries": [{"Id": "a"}, {"Id": "a"}]})), "BatchEntryIdsNotDistinct");
        assert_eq!(code(json!({"Entries": [{"Id": "a b"}]})), "InvalidBatchEntryId");
        assert_eq!(entries(&json!({"Entries": [{"Id": "a-1_"}, {"Id": "b"}]}), "E").unwrap().len(), 2);
    }
}
