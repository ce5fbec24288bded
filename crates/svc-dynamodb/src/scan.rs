//! Scan: the whole table or index in key order, a page at a time, with parallel scans
//! (`Segment` of `TotalSegments`).
//!
//! Segments partition the items by a hash (FNV-1a, 64-bit) of the encoded partition key of
//! each stored key, so each partition lies wholly in one segment, the segments of one
//! `TotalSegments` cover the table exactly once, and the assignment is the same across
//! requests and restarts. A segment's pages walk the whole space but decode only its own
//! items; Limit and the 1 MB rule count only those.

use std::ops::Bound;

use nimbus_core::{Document, RequestContext};
use nimbus_dynamodb_lang::legacy::{check_parameter_mix, filter_condition};
use nimbus_dynamodb_lang::{Condition, ExpressionKind, Expressions, decode_key};
use nimbus_store::Direction;
use serde_json::{Map, Value};

use crate::DynamoDb;
use crate::errors::{Res, invalid};
use crate::items::members;
use crate::reads::{Operation, Shape, Target, borrowed, check_select, limit, read_page, respond, start_key};

/// One segment of a parallel scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment {
    pub index: u64,
    pub total: u64,
}

impl Segment {
    /// `Segment` and `TotalSegments`: both or neither, the segment below the total (the model
    /// keeps each within its range).
    pub fn from_input(input: &Map<String, Value>) -> Res<Option<Segment>> {
        let segment = input.get("Segment").and_then(Value::as_u64);
        let total = input.get("TotalSegments").and_then(Value::as_u64);
        match (segment, total) {
            (None, None) => Ok(None),
            (Some(_), None) => {
                invalid("The TotalSegments parameter is required but was not present in the request when Segment parameter is present")
            }
            (None, Some(_)) => {
                invalid("The Segment parameter is required but was not present in the request when parameter TotalSegments is present")
            }
            (Some(index), Some(total)) if index >= total => invalid(format!(
                "The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: {index} is not less than TotalSegments: {total}"
            )),
            (Some(index), Some(total)) => Ok(Some(Segment { index, total })),
        }
    }

    /// Whether the stored key `key` (its first component the encoded partition key) belongs
    /// to this segment.
    pub fn holds(&self, key: &[u8]) -> bool {
        segment_of(key, self.total) == self.index
    }
}

/// The segment, of `total`, of a stored key: by its encoded partition key.
pub fn segment_of(key: &[u8], total: u64) -> u64 {
    let partition_len = decode_key(key).map_or(key.len(), |(_, used)| used);
    fnv1a(&key[..partition_len]) % total.max(1)
}

/// FNV-1a, 64-bit: small, stable across builds and platforms (std's hasher promises neither).
fn fnv1a(bytes: &[u8]) -> u64 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    bytes.iter().fold(OFFSET, |hash, &b| (hash ^ u64::from(b)).wrapping_mul(PRIME))
}

impl DynamoDb {
    pub(crate) fn scan(&self, ctx: &RequestContext, request: &Document) -> Res<Document> {
        let input = members(request);
        let select = check_select(input, Operation::Scan)?;
        let segment = Segment::from_input(input)?;
        check_parameter_mix(input)?;
        let (_, table) = self.table_for_items(ctx, request)?;
        let target = Target::resolve(&table, input)?;
        let consistent = target.consistent_read(input)?;

        let mut expressions = Expressions::from_json(input.get("ExpressionAttributeNames"), input.get("ExpressionAttributeValues"))?;
        let filter = scan_filter(input, &mut expressions)?;
        let shape = Shape::resolve(&target, select, input, &mut expressions, filter.as_ref())?;
        expressions.finish()?;

        let mut lower = Bound::Unbounded;
        if let Some(start) = start_key(&target, input, Operation::Scan)? {
            if let Some(segment) = segment
                && !segment.holds(&start.position)
            {
                return invalid(format!(
                    "The provided starting key is invalid: Invalid ExclusiveStartKey. Please use ExclusiveStartKey with correct Segment. TotalSegments: {} Segment: {}",
                    segment.total, segment.index
                ));
            }
            lower = Bound::Excluded(start.position);
        }
        let keep = |key: &[u8]| segment.is_none_or(|segment| segment.holds(key));
        let page = read_page(&self.store, &target.space(), (borrowed(&lower), Bound::Unbounded), Direction::Forward, limit(input), keep)?;
        respond(&self.store, &target, page, &shape, filter.as_ref(), consistent, input)
    }
}

/// `FilterExpression` or legacy `ScanFilter` (with `ConditionalOperator`).
fn scan_filter(input: &Map<String, Value>, expressions: &mut Expressions) -> Res<Option<Condition>> {
    if let Some(text) = input.get("FilterExpression").and_then(Value::as_str) {
        return Ok(Some(expressions.condition(ExpressionKind::Filter, text)?));
    }
    match input.get("ScanFilter").filter(|v| !v.is_null()) {
        Some(filter) => Ok(filter_condition(filter, input.get("ConditionalOperator"), "ScanFilter")?),
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nimbus_dynamodb_lang::{AttributeValue, encode_key};
    use serde_json::json;

    #[test]
    fn segments_partition_by_partition_key() {
        let key = |pk: &str, sk: &str| [encode_key(&AttributeValue::s(pk)).unwrap(), encode_key(&AttributeValue::s(sk)).unwrap()].concat();
        for total in [1, 2, 3, 7, 1_000_000] {
            // Every item of a partition is in one segment.
            assert_eq!(segment_of(&key("a", "x"), total), segment_of(&key("a", "y"), total));
            assert!(segment_of(&key("a", "x"), total) < total);
        }
        // The hash spreads partitions: 1000 of them fill all 4 segments.
        let mut seen = [0usize; 4];
        for i in 0..1000 {
            seen[segment_of(&key(&format!("p{i}"), "s"), 4) as usize] += 1;
        }
        assert!(seen.iter().all(|n| *n > 150), "{seen:?}");
        // Stable: the value is part of what clients' ExclusiveStartKeys rely on.
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
    }

    #[test]
    fn segment_parameters_are_checked_with_aws_messages() {
        let parse = |v: serde_json::Value| Segment::from_input(v.as_object().unwrap());
        assert_eq!(parse(json!({})).unwrap(), None);
        assert_eq!(parse(json!({"Segment": 1, "TotalSegments": 2})).unwrap(), Some(Segment { index: 1, total: 2 }));
        assert_eq!(
            parse(json!({"Segment": 0})).unwrap_err().0.message,
            "The TotalSegments parameter is required but was not present in the request when Segment parameter is present"
        );
        assert_eq!(
            parse(json!({"TotalSegments": 4})).unwrap_err().0.message,
            "The Segment parameter is required but was not present in the request when parameter TotalSegments is present"
        );
        assert_eq!(
            parse(json!({"Segment": 5, "TotalSegments": 5})).unwrap_err().0.message,
            "The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: 5 is not less than TotalSegments: 5"
        );
    }
}
