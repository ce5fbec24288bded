//! UpdateItem: an `UpdateExpression` (SET, REMOVE, ADD, DELETE) or legacy `AttributeUpdates`
//! applied to the stored item, or to nothing when it is absent (the item is then created from
//! its key, as AWS does), under an optional condition, in one store transaction.

use nimbus_core::{Document, RequestContext};
use nimbus_dynamodb_lang::{Item, item_size, item_to_json, project_paths, write_capacity_units};
use serde_json::{Map, Value};

use crate::DynamoDb;
use crate::collections;
use crate::actions::{Decision, WriteAction};
use crate::capacity::report_one;
use crate::errors::{Res, invalid};
use crate::items::members;

/// What UpdateItem returns of the item (`ReturnValues`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Returned {
    None,
    AllOld,
    UpdatedOld,
    AllNew,
    UpdatedNew,
}

impl Returned {
    fn parse(input: &Document) -> Res<Returned> {
        Ok(match input.get("ReturnValues").and_then(Value::as_str) {
            None | Some("NONE") => Returned::None,
            Some("ALL_OLD") => Returned::AllOld,
            Some("UPDATED_OLD") => Returned::UpdatedOld,
            Some("ALL_NEW") => Returned::AllNew,
            Some("UPDATED_NEW") => Returned::UpdatedNew,
            Some(other) => {
                return invalid(format!(
                    "1 validation error detected: Value '{other}' at 'returnValues' failed to satisfy constraint: Member must satisfy enum value set: [ALL_NEW, UPDATED_OLD, ALL_OLD, NONE, UPDATED_NEW]"
                ));
            }
        })
    }

    /// The `Attributes` to answer with, if any: the `UPDATED_*` forms keep only the paths the
    /// update wrote (that exist in the old or new item).
    fn attributes(self, old: Option<&Item>, decision: &Decision) -> Option<Item> {
        let chosen = match self {
            Returned::None => None,
            Returned::AllOld => old.cloned(),
            Returned::AllNew => decision.new.clone(),
            Returned::UpdatedOld => old.map(|item| project_paths(item, &decision.updated_paths)),
            Returned::UpdatedNew => decision.new.as_ref().map(|item| project_paths(item, &decision.updated_paths)),
        };
        chosen.filter(|item| !item.is_empty())
    }
}

impl DynamoDb {
    pub(crate) async fn update_item(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        let returned = Returned::parse(input)?;
        let (place, table) = self.table_for_items(ctx, input)?;
        let action = WriteAction::update(&table, members(input))?;
        let collection = collections::wanted(input, &action);
        let (old, decision) = self.apply_one_async(&place, action).await?;
        let mut out = Map::new();
        if let Some(attributes) = returned.attributes(old.as_ref(), &decision) {
            out.insert("Attributes".into(), item_to_json(&attributes));
        }
        let size = old.as_ref().map_or(0, item_size).max(decision.new.as_ref().map_or(0, item_size));
        report_one(&mut out, input, &table.name, write_capacity_units(size));
        collections::report_one(&mut out, &self.store, &table, collection.as_ref())?;
        Ok(Value::Object(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nimbus_dynamodb_lang::{Path, parse_item};
    use serde_json::json;

    fn item(j: Value) -> Item {
        parse_item(&j).unwrap()
    }

    #[test]
    fn updated_forms_keep_only_the_written_paths() {
        let old = item(json!({"pk": {"S": "a"}, "n": {"N": "1"}, "m": {"M": {"x": {"S": "1"}, "y": {"S": "2"}}}}));
        let new = item(json!({"pk": {"S": "a"}, "n": {"N": "2"}, "m": {"M": {"x": {"S": "9"}, "y": {"S": "2"}}}, "fresh": {"BOOL": true}}));
        let x = Path { elements: vec![nimbus_dynamodb_lang::PathElement::Attribute("m".into()), nimbus_dynamodb_lang::PathElement::Attribute("x".into())] };
        let decision = Decision { new: Some(new.clone()), updated_paths: vec![Path::attribute("n"), x, Path::attribute("fresh")], writes: true };
        assert_eq!(
            item_to_json(&Returned::UpdatedOld.attributes(Some(&old), &decision).unwrap()),
            json!({"n": {"N": "1"}, "m": {"M": {"x": {"S": "1"}}}})
        );
        assert_eq!(
            item_to_json(&Returned::UpdatedNew.attributes(Some(&old), &decision).unwrap()),
            json!({"n": {"N": "2"}, "m": {"M": {"x": {"S": "9"}}}, "fresh": {"BOOL": true}})
        );
        assert_eq!(Returned::AllNew.attributes(Some(&old), &decision), Some(new));
        assert_eq!(Returned::None.attributes(Some(&old), &decision), None);
        // A new item has no old attributes: nothing is returned rather than an empty map.
        assert_eq!(Returned::UpdatedOld.attributes(None, &decision), None);
        assert_eq!(Returned::AllOld.attributes(None, &decision), None);
    }

    #[test]
    fn return_values_outside_the_enum_are_refused() {
        let message = Returned::parse(&json!({"ReturnValues": "EVERYTHING"})).unwrap_err().0.message;
        assert!(message.contains("Value 'EVERYTHING' at 'returnValues'"), "{message}");
    }
}
