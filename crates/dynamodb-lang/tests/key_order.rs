//! Sorting key encodings as bytes sorts key values as DynamoDB does.

mod common;

use common::Rng;
use nimbus_dynamodb_lang::{AttributeValue, decode_key, encode_key};

fn check_sorted_both_ways(
    values: Vec<AttributeValue>,
    dynamodb_order: impl Fn(&AttributeValue, &AttributeValue) -> std::cmp::Ordering,
) {
    let mut by_value = values.clone();
    by_value.sort_by(&dynamodb_order);
    let mut encoded: Vec<Vec<u8>> = values.iter().map(|v| encode_key(v).unwrap()).collect();
    encoded.sort();
    let by_bytes: Vec<AttributeValue> = encoded.iter().map(|b| decode_key(b).unwrap().0).collect();
    for (a, b) in by_value.iter().zip(&by_bytes) {
        assert_eq!(dynamodb_order(a, b), std::cmp::Ordering::Equal, "{a:?} vs {b:?}");
    }
}

#[test]
fn numbers_sort_numerically() {
    let mut rng = Rng::new(3);
    let values: Vec<AttributeValue> = (0..5_000).map(|_| AttributeValue::N(rng.number(38, -130, 125))).collect();
    check_sorted_both_ways(values, |a, b| match (a, b) {
        (AttributeValue::N(x), AttributeValue::N(y)) => x.cmp(y),
        _ => unreachable!(),
    });
    // Close values too: same exponent, differing in the last digits.
    let values: Vec<AttributeValue> = (0..5_000).map(|_| AttributeValue::N(rng.number(4, -2, 2))).collect();
    check_sorted_both_ways(values, |a, b| match (a, b) {
        (AttributeValue::N(x), AttributeValue::N(y)) => x.cmp(y),
        _ => unreachable!(),
    });
}

#[test]
fn strings_sort_by_utf8_bytes() {
    let mut rng = Rng::new(5);
    let alphabet = ['a', 'b', 'Z', '\0', 'é', '中', '😀', '~'];
    let values: Vec<AttributeValue> = (0..5_000)
        .map(|_| {
            let len = rng.below(6) as usize;
            AttributeValue::S(
                (0..len)
                    .map(|_| alphabet[rng.below(alphabet.len() as u64) as usize])
                    .collect(),
            )
        })
        .collect();
    check_sorted_both_ways(values, |a, b| match (a, b) {
        (AttributeValue::S(x), AttributeValue::S(y)) => x.as_bytes().cmp(y.as_bytes()),
        _ => unreachable!(),
    });
}

#[test]
fn binaries_sort_as_unsigned_bytes() {
    let mut rng = Rng::new(9);
    let values: Vec<AttributeValue> = (0..5_000)
        .map(|_| {
            let len = rng.below(5) as usize;
            AttributeValue::B(
                (0..len)
                    .map(|_| [0u8, 1, 0x7F, 0x80, 0xFE, 0xFF][rng.below(6) as usize])
                    .collect(),
            )
        })
        .collect();
    check_sorted_both_ways(values, |a, b| match (a, b) {
        (AttributeValue::B(x), AttributeValue::B(y)) => x.cmp(y),
        _ => unreachable!(),
    });
}
