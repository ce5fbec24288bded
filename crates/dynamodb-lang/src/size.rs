//! Item sizes as DynamoDB computes them ("DynamoDB item sizes and formats" in the developer
//! guide): the 400 KB item limit and capacity units are measured with these.

use crate::value::{AttributeValue, Item};

/// The largest item DynamoDB stores: 400 KB, names and values included.
pub const MAX_ITEM_SIZE: usize = 400 * 1024;

/// Bytes of one value, without its attribute name:
/// strings their UTF-8 length, binaries their raw length, numbers one byte per two significant
/// digits plus one, `NULL`/`BOOL` one byte, sets the sum of their elements, lists and maps three
/// bytes plus, per element, one byte and the element's size (and, in maps, its name).
pub fn value_size(value: &AttributeValue) -> usize {
    match value {
        AttributeValue::S(s) => s.len(),
        AttributeValue::N(n) => n.significant_digits().div_ceil(2) + 1,
        AttributeValue::B(b) => b.len(),
        AttributeValue::SS(set) => set.iter().map(String::len).sum(),
        AttributeValue::NS(set) => set.iter().map(|n| n.significant_digits().div_ceil(2) + 1).sum(),
        AttributeValue::BS(set) => set.iter().map(Vec::len).sum(),
        AttributeValue::M(map) => 3 + map.iter().map(|(name, v)| name.len() + value_size(v) + 1).sum::<usize>(),
        AttributeValue::L(list) => 3 + list.iter().map(|v| value_size(v) + 1).sum::<usize>(),
        AttributeValue::Null | AttributeValue::Bool(_) => 1,
    }
}

/// Bytes of one attribute: its name's UTF-8 length plus its value's size.
pub fn attribute_size(name: &str, value: &AttributeValue) -> usize {
    name.len() + value_size(value)
}

/// Bytes of a whole item: the sum of its attributes.
pub fn item_size(item: &Item) -> usize {
    item.iter().map(|(name, value)| attribute_size(name, value)).sum()
}

/// Read capacity units for reading `size` bytes: one per 4 KB started, half that when
/// eventually consistent.
pub fn read_capacity_units(size: usize, consistent: bool) -> f64 {
    let units = size.max(1).div_ceil(4096) as f64;
    if consistent { units } else { units / 2.0 }
}

/// Write capacity units for writing `size` bytes: one per 1 KB started.
pub fn write_capacity_units(size: usize) -> f64 {
    size.max(1).div_ceil(1024) as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn size_of(json: serde_json::Value) -> usize {
        item_size(&crate::value::parse_item(&json).unwrap())
    }

    #[test]
    fn documented_rules() {
        assert_eq!(size_of(json!({"name": {"S": "héllo"}})), 4 + 6);
        assert_eq!(size_of(json!({"b": {"B": "AAECAw=="}})), 1 + 4);
        assert_eq!(size_of(json!({"n": {"N": "12345"}})), 1 + 3 + 1);
        // Leading and trailing zeros are not significant.
        assert_eq!(size_of(json!({"n": {"N": "001200.000"}})), 1 + 1 + 1);
        assert_eq!(size_of(json!({"t": {"BOOL": true}, "z": {"NULL": true}})), 2 + 2);
        assert_eq!(size_of(json!({"l": {"L": []}})), 1 + 3);
        assert_eq!(size_of(json!({"m": {"M": {}}})), 1 + 3);
        assert_eq!(
            size_of(json!({"l": {"L": [{"S": "ab"}, {"N": "1"}]}})),
            1 + 3 + (2 + 1) + (2 + 1)
        );
        assert_eq!(size_of(json!({"m": {"M": {"k": {"S": "ab"}}}})), 1 + 3 + (1 + 2 + 1));
        assert_eq!(size_of(json!({"ss": {"SS": ["a", "bc"]}})), 2 + 3);
    }

    #[test]
    fn capacity_units() {
        assert_eq!(read_capacity_units(4096, true), 1.0);
        assert_eq!(read_capacity_units(4097, true), 2.0);
        assert_eq!(read_capacity_units(100, false), 0.5);
        assert_eq!(write_capacity_units(1025), 2.0);
        assert_eq!(write_capacity_units(0), 1.0);
    }
}
