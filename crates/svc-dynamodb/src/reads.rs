//! What Query and Scan share: the table or index read (`IndexName`), what each returned item
//! shows (`Select`, `ProjectionExpression`, `AttributesToGet`, with AWS's rules on combining
//! them), `ExclusiveStartKey` as a position in the ordered space, one page read (`Limit` and
//! the 1 MB rule count items *evaluated*, before the filter), and the response (`Count`,
//! `ScannedCount`, `LastEvaluatedKey`, `ConsumedCapacity`).
//!
//! A page is read with one `ordered_visit` over a byte range, decoding each stored item once;
//! the filter, projections and (for local indexes that do not project what was asked) the
//! fetch of whole items from the table run after the reader is released.

use std::ops::{Bound, ControlFlow};

use nimbus_core::{Document, ServiceError};
use nimbus_dynamodb_lang::legacy::attributes_to_get;
use nimbus_dynamodb_lang::{AttributeValue, Condition, Expressions, Item, Operand, Projection, evaluate, item_size, item_to_json, parse_item, read_capacity_units};
use nimbus_store::{Direction, Store};
use serde_json::{Map, Value, json};

use crate::errors::{Fail, Res, invalid, invalid_parameter};
use crate::keys::{index_entry_key, key_of, lookup_key};
use crate::records::{IndexRecord, KeySchema, Projection as IndexProjection, TableRecord};
use crate::storage::decode_item;

/// The read data after which a page ends: the item that crosses 1 MB is the page's last.
pub const PAGE_BYTES: usize = 1024 * 1024;

/// Which operation is reading: some of AWS's messages differ between them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    Query,
    Scan,
}

impl Operation {
    /// Query words some request checks inside the validator's envelope; Scan does not.
    fn envelope(self, message: &str) -> String {
        match self {
            Operation::Query => format!("1 validation error detected: {message}"),
            Operation::Scan => message.to_owned(),
        }
    }
}

/// The `Select` values, as the model's enum lists them in AWS's message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Select {
    AllAttributes,
    AllProjectedAttributes,
    SpecificAttributes,
    Count,
}

impl Select {
    fn parse(text: &str) -> Res<Select> {
        Ok(match text {
            "ALL_ATTRIBUTES" => Select::AllAttributes,
            "ALL_PROJECTED_ATTRIBUTES" => Select::AllProjectedAttributes,
            "SPECIFIC_ATTRIBUTES" => Select::SpecificAttributes,
            "COUNT" => Select::Count,
            other => {
                return invalid(format!(
                    "1 validation error detected: Value '{other}' at 'select' failed to satisfy constraint: Member must satisfy enum value set: [SPECIFIC_ATTRIBUTES, COUNT, ALL_ATTRIBUTES, ALL_PROJECTED_ATTRIBUTES]"
                ));
            }
        })
    }

    /// How AWS names the choice in "Cannot specify ... when choosing to get X".
    fn described(self) -> &'static str {
        match self {
            Select::AllAttributes => "ALL_ATTRIBUTES",
            Select::AllProjectedAttributes => "ALL_PROJECTED_ATTRIBUTES",
            Select::SpecificAttributes => "SPECIFIC_ATTRIBUTES",
            Select::Count => "only the Count",
        }
    }
}

/// The checks on `Select` and the projection parameters that need no table: run before the
/// table is looked up, as AWS's request validation does. Returns the Select given, if any.
pub fn check_select(input: &Map<String, Value>, operation: Operation) -> Res<Option<Select>> {
    let select = match input.get("Select").and_then(Value::as_str) {
        Some(text) => Some(Select::parse(text)?),
        None => None,
    };
    let present = |member: &str| input.get(member).is_some_and(|v| !v.is_null());
    if let Some(select) = select.filter(|s| *s != Select::SpecificAttributes) {
        for member in ["ProjectionExpression", "AttributesToGet"] {
            if present(member) {
                return invalid(operation.envelope(&format!("Cannot specify the {member} when choosing to get {}", select.described())));
            }
        }
    }
    if select == Some(Select::SpecificAttributes) && !present("ProjectionExpression") && !present("AttributesToGet") {
        return invalid(operation.envelope("Must specify the AttributesToGet or ProjectionExpression when choosing to get SPECIFIC_ATTRIBUTES"));
    }
    if select == Some(Select::AllProjectedAttributes) && !present("IndexName") {
        return invalid(operation.envelope("ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName"));
    }
    Ok(select)
}

/// The table, or one of its indexes, a Query or Scan reads.
#[derive(Debug, Clone, Copy)]
pub struct Target<'t> {
    pub table: &'t TableRecord,
    pub index: Option<&'t IndexRecord>,
    /// Whether `index` is a global secondary index.
    pub global: bool,
}

impl<'t> Target<'t> {
    /// The table, or the index `IndexName` names (AWS's message when it has none such).
    pub fn resolve(table: &'t TableRecord, input: &Map<String, Value>) -> Res<Target<'t>> {
        let Some(name) = input.get("IndexName").and_then(Value::as_str) else {
            return Ok(Target { table, index: None, global: false });
        };
        if let Some(index) = table.global_indexes.iter().find(|i| i.name == name) {
            return Ok(Target { table, index: Some(index), global: true });
        }
        if let Some(index) = table.local_indexes.iter().find(|i| i.name == name) {
            return Ok(Target { table, index: Some(index), global: false });
        }
        invalid(format!("The table does not have the specified index: {name}"))
    }

    pub fn space(&self) -> String {
        self.index.map_or_else(|| self.table.item_space(), |index| index.space.clone())
    }

    /// The key schema of what is read: the index's keys for an index.
    pub fn keys(&self) -> &'t KeySchema {
        self.index.map_or(&self.table.keys, |index| &index.keys)
    }

    fn projects_all(&self) -> bool {
        self.index.is_none_or(|index| index.projection == IndexProjection::All)
    }

    /// Whether the read's entries hold the top-level attribute `name`.
    fn holds(&self, name: &str) -> bool {
        let Some(index) = self.index else { return true };
        match &index.projection {
            IndexProjection::All => true,
            projection => {
                self.table.keys.contains(name)
                    || index.keys.contains(name)
                    || matches!(projection, IndexProjection::Include(names) if names.iter().any(|n| n == name))
            }
        }
    }

    /// ConsistentRead=true is refused on global secondary indexes.
    pub fn consistent_read(&self, input: &Map<String, Value>) -> Res<bool> {
        let consistent = input.get("ConsistentRead").and_then(Value::as_bool).unwrap_or(false);
        if consistent && self.global {
            return invalid("Consistent reads are not supported on global secondary indexes");
        }
        Ok(consistent)
    }
}

/// What the response shows of each item that passes the filter.
#[derive(Debug, Clone)]
pub struct Shape {
    /// `None`: everything the entry (or the fetched item) holds.
    pub projection: Option<Projection>,
    /// Select=COUNT: no Items.
    pub count_only: bool,
    /// A local secondary index that lacks what was asked for: each entry's whole item is
    /// read from the table, as DynamoDB does.
    pub fetch_from_table: bool,
}

impl Shape {
    /// Parses the projection (through the request's `expressions`) and applies the rules
    /// that need the table: ALL_ATTRIBUTES and projections on indexes that do not hold them.
    pub fn resolve(
        target: &Target<'_>,
        select: Option<Select>,
        input: &Map<String, Value>,
        expressions: &mut Expressions,
        filter: Option<&Condition>,
    ) -> Res<Shape> {
        let projection = match (input.get("ProjectionExpression").and_then(Value::as_str), input.get("AttributesToGet")) {
            (Some(text), _) => Some(expressions.projection(text)?),
            (None, Some(names)) if !names.is_null() => Some(attributes_to_get(names)?),
            _ => None,
        };
        let index_name = target.index.map_or("", |index| index.name.as_str());
        if select == Some(Select::AllAttributes) && target.global && !target.projects_all() {
            return invalid_parameter(format!(
                "Select type ALL_ATTRIBUTES is not supported for global secondary index {index_name} because its projection type is not ALL"
            ));
        }
        let mut missing: Vec<&str> = Vec::new();
        for path in projection.iter().flat_map(|p| &p.paths) {
            let name = path.top_level();
            if !target.holds(name) && !missing.contains(&name) {
                missing.push(name);
            }
        }
        if target.global && !missing.is_empty() {
            return invalid_parameter(format!("Global secondary index {index_name} does not project [{}]", missing.join(", ")));
        }
        let filter_needs_more = filter.is_some_and(|condition| {
            let mut names = Vec::new();
            condition_attributes(condition, &mut names);
            names.iter().any(|name| !target.holds(name))
        });
        let fetch_from_table = target.index.is_some()
            && !target.global
            && !target.projects_all()
            && (select == Some(Select::AllAttributes) || !missing.is_empty() || filter_needs_more);
        Ok(Shape { projection, count_only: select == Some(Select::Count), fetch_from_table })
    }
}

/// The top-level attributes a condition reads.
pub fn condition_attributes<'c>(condition: &'c Condition, out: &mut Vec<&'c str>) {
    let operand = |o: &'c Operand, out: &mut Vec<&'c str>| match o {
        Operand::Path(path) | Operand::Size(path) => out.push(path.top_level()),
        Operand::Value(_) => {}
    };
    match condition {
        Condition::Compare { left, right, .. } => {
            operand(left, out);
            operand(right, out);
        }
        Condition::Between { operand: subject, low, high } => {
            operand(subject, out);
            operand(low, out);
            operand(high, out);
        }
        Condition::In { operand: subject, candidates } => {
            operand(subject, out);
            candidates.iter().for_each(|c| operand(c, out));
        }
        Condition::And(a, b) | Condition::Or(a, b) => {
            condition_attributes(a, out);
            condition_attributes(b, out);
        }
        Condition::Not(a) => condition_attributes(a, out),
        Condition::AttributeExists(path) | Condition::AttributeNotExists(path) => out.push(path.top_level()),
        Condition::AttributeType(path, type_operand) => {
            out.push(path.top_level());
            operand(type_operand, out);
        }
        Condition::BeginsWith(a, b) | Condition::Contains(a, b) => {
            operand(a, out);
            operand(b, out);
        }
    }
}

/// `ExclusiveStartKey`: its attributes, and the position in the target's space it names.
#[derive(Debug, Clone)]
pub struct StartKey {
    pub attributes: Item,
    pub position: Vec<u8>,
}

/// Parses and checks `ExclusiveStartKey`: exactly the table's key attributes, plus the index's
/// when reading an index (what LastEvaluatedKey gives), of the schema's types.
pub fn start_key(target: &Target<'_>, input: &Map<String, Value>, operation: Operation) -> Res<Option<StartKey>> {
    let Some(json) = input.get("ExclusiveStartKey").filter(|v| !v.is_null()) else {
        return Ok(None);
    };
    let attributes = parse_item(json).map_err(|e| Fail(ServiceError::validation(format!("The provided starting key is invalid: {}", e.message))))?;
    let mismatch = || -> Res<Option<StartKey>> {
        invalid(match operation {
            Operation::Query => "The provided starting key is invalid",
            Operation::Scan => "The provided starting key is invalid: The provided key element does not match the schema",
        })
    };
    let mut expected = target.table.keys.attributes().collect::<Vec<_>>();
    if let Some(index) = target.index {
        expected.extend(index.keys.attributes().filter(|a| !target.table.keys.contains(&a.name)));
    }
    if attributes.len() != expected.len() {
        return mismatch();
    }
    for attribute in &expected {
        match attributes.get(&attribute.name) {
            Some(value) if value.attribute_type() == attribute.kind.attribute_type() => {}
            _ => return mismatch(),
        }
    }
    let table_key = lookup_key(target.table, &key_of(&target.table.keys, &attributes))
        .map_err(|Fail(e)| Fail(ServiceError::validation(format!("The provided starting key is invalid: {}", e.message))))?;
    let position = match target.index {
        None => table_key,
        Some(index) => match index_entry_key(index, &attributes, &table_key) {
            Some(position) => position,
            None => return mismatch(),
        },
    };
    Ok(Some(StartKey { attributes, position }))
}

/// One page's evaluated entries, in read order.
#[derive(Debug, Default)]
pub struct Page {
    pub items: Vec<Item>,
    /// Bytes read (item sizes as DynamoDB measures them).
    pub bytes: usize,
    /// The page ended on Limit or the 1 MB rule, so the read goes on from its last item.
    pub cut: bool,
}

/// Reads one page of `space` within the bounds: each pair `keep` accepts (Scan's segment
/// test; it sees only the key, so skipped pairs are never decoded) is decoded and counted,
/// until `limit` items or 1 MB.
pub fn read_page(
    store: &Store,
    space: &str,
    bounds: (Bound<&[u8]>, Bound<&[u8]>),
    direction: Direction,
    limit: Option<usize>,
    mut keep: impl FnMut(&[u8]) -> bool,
) -> Res<Page> {
    let mut page = Page::default();
    let mut failure: Option<Fail> = None;
    store.ordered_visit(space, bounds.0, bounds.1, direction, |key, value| {
        if !keep(key) {
            return ControlFlow::Continue(());
        }
        let item = match decode_item(value) {
            Ok(item) => item,
            Err(e) => {
                failure = Some(e);
                return ControlFlow::Break(());
            }
        };
        page.bytes += item_size(&item);
        page.items.push(item);
        if limit.is_some_and(|limit| page.items.len() >= limit) || page.bytes >= PAGE_BYTES {
            page.cut = true;
            return ControlFlow::Break(());
        }
        ControlFlow::Continue(())
    })?;
    match failure {
        Some(e) => Err(e),
        None => Ok(page),
    }
}

/// `Limit`, when given (the model's validation keeps it at 1 or more).
pub fn limit(input: &Map<String, Value>) -> Option<usize> {
    input.get("Limit").and_then(Value::as_u64).map(|n| usize::try_from(n).unwrap_or(usize::MAX))
}

/// Filters and shapes a page into the response: Items (unless COUNT), Count (items that
/// passed the filter), ScannedCount (items evaluated), LastEvaluatedKey when the page was cut,
/// and ConsumedCapacity when asked.
pub fn respond(
    store: &Store,
    target: &Target<'_>,
    page: Page,
    shape: &Shape,
    filter: Option<&Condition>,
    consistent: bool,
    input: &Map<String, Value>,
) -> Res<Document> {
    let scanned = page.items.len();
    let last_key = match (page.cut, page.items.last()) {
        (true, Some(last)) => {
            let mut key = key_of(&target.table.keys, last);
            if let Some(index) = target.index {
                key.extend(key_of(&index.keys, last));
            }
            Some(key)
        }
        _ => None,
    };
    let mut fetched_bytes = 0;
    let mut count = 0;
    let mut items = Vec::new();
    for entry in page.items {
        let item = if shape.fetch_from_table {
            let key = lookup_key(target.table, &key_of(&target.table.keys, &entry))?;
            match store.ordered_get(&target.table.item_space(), &key)? {
                Some(bytes) => {
                    let item = decode_item(&bytes)?;
                    fetched_bytes += item_size(&item);
                    item
                }
                // Deleted since the index was read: nothing to return.
                None => continue,
            }
        } else {
            entry
        };
        if filter.is_some_and(|condition| !evaluate(condition, Some(&item))) {
            continue;
        }
        count += 1;
        if !shape.count_only {
            let shown = match &shape.projection {
                Some(projection) => nimbus_dynamodb_lang::project(&item, projection),
                None => item,
            };
            items.push(item_to_json(&shown));
        }
    }
    let mut out = Map::new();
    if !shape.count_only {
        out.insert("Items".into(), Value::Array(items));
    }
    out.insert("Count".into(), json!(count));
    out.insert("ScannedCount".into(), json!(scanned));
    if let Some(key) = last_key {
        out.insert("LastEvaluatedKey".into(), item_to_json(&key));
    }
    report_read_capacity(&mut out, input, target, page.bytes, fetched_bytes, consistent);
    Ok(Value::Object(out))
}

/// ConsumedCapacity of a Query or Scan: the bytes read, per 4 KB started, halved for
/// eventually consistent reads. An index read is charged to the index; whole items fetched
/// for a local index are charged to the table. `INDEXES` breaks the total down.
fn report_read_capacity(out: &mut Map<String, Value>, input: &Map<String, Value>, target: &Target<'_>, bytes: usize, fetched: usize, consistent: bool) {
    let mode = match input.get("ReturnConsumedCapacity").and_then(Value::as_str) {
        Some(mode @ ("TOTAL" | "INDEXES")) => mode,
        _ => return,
    };
    let read_units = read_capacity_units(bytes, consistent);
    let fetch_units = if fetched > 0 { read_capacity_units(fetched, consistent) } else { 0.0 };
    let mut capacity = Map::new();
    capacity.insert("TableName".into(), json!(target.table.name));
    capacity.insert("CapacityUnits".into(), json!(read_units + fetch_units));
    if mode == "INDEXES" {
        match target.index {
            None => {
                capacity.insert("Table".into(), json!({"CapacityUnits": read_units}));
            }
            Some(index) => {
                capacity.insert("Table".into(), json!({"CapacityUnits": fetch_units}));
                let member = if target.global { "GlobalSecondaryIndexes" } else { "LocalSecondaryIndexes" };
                capacity.insert(member.into(), json!({ index.name.clone(): {"CapacityUnits": read_units} }));
            }
        }
    }
    out.insert("ConsumedCapacity".into(), Value::Object(capacity));
}

/// The bounds of a whole space for `ordered_visit`, borrowing owned bounds.
pub fn borrowed(bound: &Bound<Vec<u8>>) -> Bound<&[u8]> {
    match bound {
        Bound::Included(key) => Bound::Included(key.as_slice()),
        Bound::Excluded(key) => Bound::Excluded(key.as_slice()),
        Bound::Unbounded => Bound::Unbounded,
    }
}

/// Whether a value may be a key value of some table (the ordering operators take only these).
pub fn is_scalar_key_type(value: &AttributeValue) -> bool {
    matches!(value, AttributeValue::S(_) | AttributeValue::N(_) | AttributeValue::B(_))
}
