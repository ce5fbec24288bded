//! An order-preserving, self-delimiting byte encoding of key values: sorting encodings as
//! unsigned bytes sorts the values as DynamoDB sorts keys (strings by UTF-8 bytes, numbers
//! numerically, binaries by unsigned bytes). Self-delimiting so a partition key and sort key
//! can be concatenated into one storage key and still sort by partition, then sort key.

use crate::number::{MIN_EXPONENT, Number};
use crate::value::AttributeValue;

const TAG_BINARY: u8 = 0x10;
const TAG_NUMBER: u8 = 0x20;
const TAG_STRING: u8 = 0x30;

const NUMBER_NEGATIVE: u8 = 0x01;
const NUMBER_ZERO: u8 = 0x02;
const NUMBER_POSITIVE: u8 = 0x03;

/// Appends the encoding of a key value (S, N or B). Returns false, appending nothing, for the
/// types that cannot be keys.
pub fn encode_key_into(value: &AttributeValue, out: &mut Vec<u8>) -> bool {
    match value {
        AttributeValue::S(s) => {
            out.push(TAG_STRING);
            encode_bytes(s.as_bytes(), out);
        }
        AttributeValue::B(b) => {
            out.push(TAG_BINARY);
            encode_bytes(b, out);
        }
        AttributeValue::N(n) => {
            out.push(TAG_NUMBER);
            encode_number(n, out);
        }
        _ => return false,
    }
    true
}

/// The encoding of a key value, or `None` for a type that cannot be a key.
pub fn encode_key(value: &AttributeValue) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    encode_key_into(value, &mut out).then_some(out)
}

/// The encoded bytes every S or B key starting with `prefix` begins with (no terminator):
/// the lower end of a `begins_with` range. `None` for other types.
pub fn encode_key_prefix(prefix: &AttributeValue) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let raw = match prefix {
        AttributeValue::S(s) => {
            out.push(TAG_STRING);
            s.as_bytes()
        }
        AttributeValue::B(b) => {
            out.push(TAG_BINARY);
            b.as_slice()
        }
        _ => return None,
    };
    encode_bytes(raw, &mut out);
    out.truncate(out.len() - 2);
    Some(out)
}

/// The smallest byte string greater than every string starting with `prefix`, or `None` when
/// there is none (all 0xFF): the exclusive upper end of a prefix range.
pub fn prefix_successor(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut successor = prefix.to_vec();
    while let Some(last) = successor.pop() {
        if last < 0xFF {
            successor.push(last + 1);
            return Some(successor);
        }
    }
    None
}

/// Decodes one key value from the front of `bytes`: the value and how many bytes it used.
pub fn decode_key(bytes: &[u8]) -> Option<(AttributeValue, usize)> {
    let (&tag, rest) = bytes.split_first()?;
    let (value, used) = match tag {
        TAG_STRING => {
            let (raw, used) = decode_bytes(rest)?;
            (AttributeValue::S(String::from_utf8(raw).ok()?), used)
        }
        TAG_BINARY => {
            let (raw, used) = decode_bytes(rest)?;
            (AttributeValue::B(raw), used)
        }
        TAG_NUMBER => {
            let (number, used) = decode_number(rest)?;
            (AttributeValue::N(number), used)
        }
        _ => return None,
    };
    Some((value, used + 1))
}

/// 0x00 is escaped as 0x00 0xFF and the end marked by 0x00 0x01, so a prefix sorts first.
fn encode_bytes(bytes: &[u8], out: &mut Vec<u8>) {
    for &b in bytes {
        out.push(b);
        if b == 0 {
            out.push(0xFF);
        }
    }
    out.extend_from_slice(&[0x00, 0x01]);
}

fn decode_bytes(bytes: &[u8]) -> Option<(Vec<u8>, usize)> {
    let mut raw = Vec::new();
    let mut i = 0;
    loop {
        let b = *bytes.get(i)?;
        if b == 0 {
            match *bytes.get(i + 1)? {
                0xFF => raw.push(0),
                0x01 => return Some((raw, i + 2)),
                _ => return None,
            }
            i += 2;
        } else {
            raw.push(b);
            i += 1;
        }
    }
}

/// Sign class, then the leading digit's exponent (one byte: -130..=125 is 256 values), then
/// digit pairs as bytes 1..=100 and a 0 terminator; negatives complement everything after the
/// class byte so a larger magnitude sorts lower.
fn encode_number(number: &Number, out: &mut Vec<u8>) {
    if number.is_zero() {
        out.push(NUMBER_ZERO);
        return;
    }
    let negative = number.is_negative();
    let flip = |b: u8| if negative { 0xFF - b } else { b };
    out.push(if negative { NUMBER_NEGATIVE } else { NUMBER_POSITIVE });
    out.push(flip((number.leading_exponent() - MIN_EXPONENT) as u8));
    for pair in number.digits().chunks(2) {
        let value = pair[0] * 10 + pair.get(1).copied().unwrap_or(0);
        out.push(flip(value + 1));
    }
    out.push(flip(0));
}

fn decode_number(bytes: &[u8]) -> Option<(Number, usize)> {
    let class = *bytes.first()?;
    if class == NUMBER_ZERO {
        return Some((Number::ZERO, 1));
    }
    let negative = match class {
        NUMBER_NEGATIVE => true,
        NUMBER_POSITIVE => false,
        _ => return None,
    };
    let flip = |b: u8| if negative { 0xFF - b } else { b };
    let leading = i64::from(flip(*bytes.get(1)?)) + MIN_EXPONENT;
    let mut digits = Vec::new();
    let mut i = 2;
    loop {
        let pair = flip(*bytes.get(i)?);
        i += 1;
        if pair == 0 {
            break;
        }
        let value = pair.checked_sub(1).filter(|v| *v < 100)?;
        digits.push(value / 10);
        digits.push(value % 10);
    }
    let number = Number::from_scientific(negative, &digits, leading).ok()?;
    Some((number, i))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(value: AttributeValue) {
        let bytes = encode_key(&value).unwrap();
        let (decoded, used) = decode_key(&bytes).unwrap();
        assert_eq!(decoded, value);
        assert_eq!(used, bytes.len());
    }

    #[test]
    fn round_trips() {
        for v in [
            AttributeValue::s(""),
            AttributeValue::s("a\0b"),
            AttributeValue::B(vec![0, 0, 255, 1]),
            AttributeValue::B(vec![]),
            AttributeValue::n("0"),
            AttributeValue::n("-1E-130"),
            AttributeValue::n("9.9999999999999999999999999999999999999E+125"),
            AttributeValue::n("-123.456"),
        ] {
            round_trip(v);
        }
        assert_eq!(encode_key(&AttributeValue::Null), None);
        assert_eq!(encode_key(&AttributeValue::SS(vec!["a".into()])), None);
    }

    #[test]
    fn concatenated_keys_sort_by_partition_first() {
        let key = |pk: &str, sk: &str| {
            let mut out = Vec::new();
            encode_key_into(&AttributeValue::s(pk), &mut out);
            encode_key_into(&AttributeValue::n(sk), &mut out);
            out
        };
        assert!(key("a", "100") < key("ab", "-5"));
        assert!(key("a", "-5") < key("a", "100"));
    }
}
