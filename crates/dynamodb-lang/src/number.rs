//! DynamoDB numbers: exact decimals with up to 38 significant digits and a magnitude between
//! 1E-130 and 9.9999999999999999999999999999999999999E+125 (or zero).
//!
//! A [`Number`] is kept normalized (no trailing zeros in the mantissa, one zero), so derived
//! equality and hashing are numeric equality: `1`, `1.0`, `10E-1` and `+01` are the same number.

use crate::error::ValidationError;
use std::cmp::Ordering;

/// Most significant digits DynamoDB keeps.
pub const MAX_DIGITS: usize = 38;
/// Largest decimal exponent of the leading digit (9.99...E+125).
pub const MAX_EXPONENT: i64 = 125;
/// Smallest decimal exponent of the leading digit (1E-130).
pub const MIN_EXPONENT: i64 = -130;

/// An exact DynamoDB number: `mantissa × 10^exponent`, negated when `negative`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Number {
    negative: bool,
    /// No trailing decimal zeros, at most 38 digits; 0 only for zero.
    mantissa: u128,
    exponent: i32,
}

fn not_numeric(text: &str) -> ValidationError {
    ValidationError::new(format!("The parameter cannot be converted to a numeric value: {text}"))
}

fn too_precise() -> ValidationError {
    ValidationError::new("Attempting to store more than 38 significant digits in a Number")
}

fn overflow() -> ValidationError {
    ValidationError::new("Number overflow. Attempting to store a number with magnitude larger than supported range")
}

fn underflow() -> ValidationError {
    ValidationError::new("Number underflow. Attempting to store a number with magnitude smaller than supported range")
}

fn digit_count(mut value: u128) -> usize {
    let mut count = 1;
    while value >= 10 {
        value /= 10;
        count += 1;
    }
    count
}

impl Number {
    pub const ZERO: Number = Number {
        negative: false,
        mantissa: 0,
        exponent: 0,
    };

    /// Parses a number as DynamoDB accepts it in `{"N": "..."}`: an optional sign, digits with an
    /// optional decimal point (`5.`, `.5`), an optional exponent (`e`/`E`, optional sign).
    pub fn parse(text: &str) -> Result<Number, ValidationError> {
        let bytes = text.as_bytes();
        let mut index = 0;
        let mut negative = false;
        if let Some(&sign) = bytes.first()
            && (sign == b'+' || sign == b'-')
        {
            negative = sign == b'-';
            index = 1;
        }
        let mut digits = Vec::with_capacity(bytes.len());
        let mut fraction_digits: i64 = 0;
        let mut seen_point = false;
        let mut seen_digit = false;
        while index < bytes.len() {
            match bytes[index] {
                b @ b'0'..=b'9' => {
                    seen_digit = true;
                    digits.push(b - b'0');
                    if seen_point {
                        fraction_digits += 1;
                    }
                }
                b'.' if !seen_point => seen_point = true,
                _ => break,
            }
            index += 1;
        }
        if !seen_digit {
            return Err(not_numeric(text));
        }
        let mut exponent: i64 = 0;
        if index < bytes.len() {
            if bytes[index] != b'e' && bytes[index] != b'E' {
                return Err(not_numeric(text));
            }
            index += 1;
            let mut exponent_negative = false;
            if index < bytes.len() && (bytes[index] == b'+' || bytes[index] == b'-') {
                exponent_negative = bytes[index] == b'-';
                index += 1;
            }
            if index == bytes.len() {
                return Err(not_numeric(text));
            }
            for &b in &bytes[index..] {
                if !b.is_ascii_digit() {
                    return Err(not_numeric(text));
                }
                // Saturate: any exponent this large is out of range whatever the digits are.
                exponent = (exponent * 10 + i64::from(b - b'0')).min(1_000_000_000_000);
            }
            if exponent_negative {
                exponent = -exponent;
            }
        }
        Number::from_digits(negative, &digits, exponent - fraction_digits)
    }

    /// `±digits × 10^exponent` (digits most significant first), checked against DynamoDB's limits.
    fn from_digits(negative: bool, digits: &[u8], exponent: i64) -> Result<Number, ValidationError> {
        let start = digits.iter().position(|&d| d != 0);
        let Some(start) = start else { return Ok(Number::ZERO) };
        let end = digits.iter().rposition(|&d| d != 0).map_or(start, |p| p + 1);
        let significant = &digits[start..end];
        let exponent = exponent + (digits.len() - end) as i64;
        // Range first: a number out of range cannot be stored at any precision.
        let leading = exponent + significant.len() as i64 - 1;
        if leading > MAX_EXPONENT {
            return Err(overflow());
        }
        if leading < MIN_EXPONENT {
            return Err(underflow());
        }
        if significant.len() > MAX_DIGITS {
            return Err(too_precise());
        }
        let mantissa = significant.iter().fold(0u128, |m, &d| m * 10 + u128::from(d));
        Ok(Number {
            negative,
            mantissa,
            exponent: exponent as i32,
        })
    }

    pub fn from_i64(value: i64) -> Number {
        let digits: Vec<u8> = value.unsigned_abs().to_string().bytes().map(|b| b - b'0').collect();
        Number::from_digits(value < 0, &digits, 0).expect("an i64 is within DynamoDB's range")
    }

    pub fn is_zero(&self) -> bool {
        self.mantissa == 0
    }

    pub fn is_negative(&self) -> bool {
        self.negative
    }

    /// How many significant digits (1 for zero): what item sizes are computed from.
    pub fn significant_digits(&self) -> usize {
        digit_count(self.mantissa)
    }

    /// The significant digits, most significant first (`[0]` for zero).
    pub fn digits(&self) -> Vec<u8> {
        self.mantissa.to_string().bytes().map(|b| b - b'0').collect()
    }

    /// The decimal exponent of the leading digit (`123.4` → 2); 0 for zero.
    pub fn leading_exponent(&self) -> i64 {
        if self.is_zero() {
            return 0;
        }
        i64::from(self.exponent) + self.significant_digits() as i64 - 1
    }

    /// Rebuilds a number from [`Number::digits`] and [`Number::leading_exponent`].
    pub(crate) fn from_scientific(negative: bool, digits: &[u8], leading_exponent: i64) -> Result<Number, ValidationError> {
        Number::from_digits(negative, digits, leading_exponent - digits.len() as i64 + 1)
    }

    pub fn negate(&self) -> Number {
        if self.is_zero() {
            return *self;
        }
        Number {
            negative: !self.negative,
            ..*self
        }
    }

    /// An approximation, for callers that need a float (never for comparisons).
    pub fn to_f64(&self) -> f64 {
        self.to_string().parse().unwrap_or(f64::NAN)
    }

    /// The exact value as an i64 when it is an integer in range (list indexes, counters).
    pub fn to_i64(&self) -> Option<i64> {
        if self.exponent < 0 {
            return None;
        }
        let magnitude = self.mantissa.checked_mul(10u128.checked_pow(self.exponent as u32)?)?;
        let magnitude = i128::try_from(magnitude).ok()?;
        i64::try_from(if self.negative { -magnitude } else { magnitude }).ok()
    }

    /// Exact sum, refused as DynamoDB refuses it when it needs more than 38 digits or leaves
    /// the supported range.
    pub fn checked_add(&self, other: &Number) -> Result<Number, ValidationError> {
        if self.is_zero() {
            return Ok(*other);
        }
        if other.is_zero() {
            return Ok(*self);
        }
        let low = self.exponent.min(other.exponent);
        let high = self.exponent.max(other.exponent);
        // The result's digits run from the larger operand's leading digit down to the smaller
        // exponent's last non-zero digit: a gap this wide can never fit in 38 digits.
        if i64::from(high) - i64::from(low) > (MAX_DIGITS as i64) + 2 {
            return Err(too_precise());
        }
        let a = aligned_digits(self, low);
        let b = aligned_digits(other, low);
        let (negative, magnitude) = if self.negative == other.negative {
            (self.negative, add_magnitudes(&a, &b))
        } else {
            match compare_magnitudes(&a, &b) {
                Ordering::Equal => return Ok(Number::ZERO),
                Ordering::Greater => (self.negative, subtract_magnitudes(&a, &b)),
                Ordering::Less => (other.negative, subtract_magnitudes(&b, &a)),
            }
        };
        let most_significant_first: Vec<u8> = magnitude.into_iter().rev().collect();
        Number::from_digits(negative, &most_significant_first, i64::from(low))
    }

    pub fn checked_sub(&self, other: &Number) -> Result<Number, ValidationError> {
        self.checked_add(&other.negate())
    }

    fn cmp_magnitude(&self, other: &Number) -> Ordering {
        self.leading_exponent().cmp(&other.leading_exponent()).then_with(|| {
            // Same leading exponent: compare mantissas scaled to 38 digits (10^38 < 2^128).
            let scale = |n: &Number| n.mantissa * 10u128.pow((MAX_DIGITS - n.significant_digits()) as u32);
            scale(self).cmp(&scale(other))
        })
    }
}

/// Little-endian digits of `number`'s magnitude, with zeros below its exponent down to `low`.
fn aligned_digits(number: &Number, low: i32) -> Vec<u8> {
    let mut digits = vec![0u8; (number.exponent - low) as usize];
    let mut mantissa = number.mantissa;
    while mantissa > 0 {
        digits.push((mantissa % 10) as u8);
        mantissa /= 10;
    }
    digits
}

fn add_magnitudes(a: &[u8], b: &[u8]) -> Vec<u8> {
    let mut result = Vec::with_capacity(a.len().max(b.len()) + 1);
    let mut carry = 0;
    for i in 0..a.len().max(b.len()) {
        let sum = a.get(i).copied().unwrap_or(0) + b.get(i).copied().unwrap_or(0) + carry;
        result.push(sum % 10);
        carry = sum / 10;
    }
    if carry > 0 {
        result.push(carry);
    }
    result
}

/// `a - b` for little-endian magnitudes with `a >= b`.
fn subtract_magnitudes(a: &[u8], b: &[u8]) -> Vec<u8> {
    let mut result = Vec::with_capacity(a.len());
    let mut borrow = 0i8;
    for (i, &digit) in a.iter().enumerate() {
        let mut difference = digit as i8 - b.get(i).copied().unwrap_or(0) as i8 - borrow;
        borrow = 0;
        if difference < 0 {
            difference += 10;
            borrow = 1;
        }
        result.push(difference as u8);
    }
    result
}

fn compare_magnitudes(a: &[u8], b: &[u8]) -> Ordering {
    let significant_len = |d: &[u8]| d.iter().rposition(|&x| x != 0).map_or(0, |p| p + 1);
    let (la, lb) = (significant_len(a), significant_len(b));
    la.cmp(&lb).then_with(|| {
        for i in (0..la).rev() {
            match a[i].cmp(&b[i]) {
                Ordering::Equal => {}
                other => return other,
            }
        }
        Ordering::Equal
    })
}

impl Ord for Number {
    fn cmp(&self, other: &Number) -> Ordering {
        let class = |n: &Number| {
            if n.is_zero() {
                1
            } else if n.negative {
                0
            } else {
                2
            }
        };
        match class(self).cmp(&class(other)) {
            Ordering::Equal => match class(self) {
                0 => other.cmp_magnitude(self),
                1 => Ordering::Equal,
                _ => self.cmp_magnitude(other),
            },
            unequal => unequal,
        }
    }
}

impl PartialOrd for Number {
    fn partial_cmp(&self, other: &Number) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl std::str::FromStr for Number {
    type Err = ValidationError;
    fn from_str(text: &str) -> Result<Number, ValidationError> {
        Number::parse(text)
    }
}

/// DynamoDB's canonical form: plain decimal notation, no exponent, no leading or trailing zeros
/// (`1E2` → `100`, `1.50` → `1.5`, `-0` → `0`, `.5` → `0.5`).
impl std::fmt::Display for Number {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.is_zero() {
            return f.write_str("0");
        }
        let digits = self.mantissa.to_string();
        let mut out = String::with_capacity(digits.len() + 4);
        if self.negative {
            out.push('-');
        }
        if self.exponent >= 0 {
            out.push_str(&digits);
            out.extend(std::iter::repeat_n('0', self.exponent as usize));
        } else {
            let fraction = (-self.exponent) as usize;
            if digits.len() > fraction {
                let (integer, decimals) = digits.split_at(digits.len() - fraction);
                out.push_str(integer);
                out.push('.');
                out.push_str(decimals);
            } else {
                out.push_str("0.");
                out.extend(std::iter::repeat_n('0', fraction - digits.len()));
                out.push_str(&digits);
            }
        }
        f.write_str(&out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(text: &str) -> Number {
        Number::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    fn error(text: &str) -> String {
        Number::parse(text).expect_err(text).message
    }

    #[test]
    fn canonical_forms() {
        for (input, canonical) in [
            ("01", "1"),
            ("1.50", "1.5"),
            ("1E2", "100"),
            ("1e+2", "100"),
            ("-0", "0"),
            ("-0.000", "0"),
            ("0E-200", "0"),
            ("+7", "7"),
            (".5", "0.5"),
            ("5.", "5"),
            ("-12.3400e-3", "-0.01234"),
            (
                "123456789012345678901234567890123456780000",
                "123456789012345678901234567890123456780000",
            ),
            ("1E-130", &format!("0.{}1", "0".repeat(129))),
            (
                "9.9999999999999999999999999999999999999E+125",
                &format!("{}{}", "9".repeat(38), "0".repeat(88)),
            ),
        ] {
            assert_eq!(n(input).to_string(), canonical, "{input}");
        }
    }

    #[test]
    fn refuses_what_dynamodb_refuses() {
        for text in [
            "abc", "", "-", "1.2.3", "1e", "1e+", "e5", "1 ", " 1", "0x10", "1_000", "NaN", "Infinity", "--1", ".",
        ] {
            assert_eq!(
                error(text),
                format!("The parameter cannot be converted to a numeric value: {text}")
            );
        }
        assert_eq!(
            error("123456789012345678901234567890123456789"),
            "Attempting to store more than 38 significant digits in a Number"
        );
        assert_eq!(
            error("1.00000000000000000000000000000000000001"),
            "Attempting to store more than 38 significant digits in a Number"
        );
        assert_eq!(
            error("1E126"),
            "Number overflow. Attempting to store a number with magnitude larger than supported range"
        );
        assert_eq!(
            error("-1E126"),
            "Number overflow. Attempting to store a number with magnitude larger than supported range"
        );
        assert_eq!(
            error("1E99999999999999999999"),
            "Number overflow. Attempting to store a number with magnitude larger than supported range"
        );
        assert_eq!(
            error("9.9E-131"),
            "Number underflow. Attempting to store a number with magnitude smaller than supported range"
        );
        assert_eq!(
            error("-1e-131"),
            "Number underflow. Attempting to store a number with magnitude smaller than supported range"
        );
        // Trailing zeros are not significant; leading zeros are not either.
        n("00000000000000000000000000000000000000000001");
        n("1.00000000000000000000000000000000000000000000");
    }

    #[test]
    fn equality_is_numeric() {
        assert_eq!(n("1"), n("1.0"));
        assert_eq!(n("10E-1"), n("1"));
        assert_eq!(n("-0"), n("0"));
        assert_ne!(n("1"), n("-1"));
    }

    #[test]
    fn ordering() {
        let sorted = [
            "-1E125", "-100", "-2", "-1.5", "-1", "-1E-130", "0", "1E-130", "0.001", "1", "1.000001", "2", "10", "99", "100",
            "1E125",
        ];
        for pair in sorted.windows(2) {
            assert!(n(pair[0]) < n(pair[1]), "{} < {}", pair[0], pair[1]);
        }
    }

    #[test]
    fn arithmetic() {
        assert_eq!(n("1.5").checked_add(&n("2.5")).unwrap().to_string(), "4");
        assert_eq!(n("1").checked_sub(&n("3")).unwrap().to_string(), "-2");
        assert_eq!(n("-1").checked_sub(&n("-1")).unwrap().to_string(), "0");
        assert_eq!(n("0.1").checked_add(&n("0.2")).unwrap().to_string(), "0.3");
        assert_eq!(
            n("1E100").checked_sub(&n("1")).unwrap_err().message,
            "Attempting to store more than 38 significant digits in a Number"
        );
        assert_eq!(n("1E37").checked_sub(&n("1")).unwrap().to_string(), "9".repeat(37));
        assert_eq!(
            n("9.9999999999999999999999999999999999999E+125")
                .checked_add(&n("1E+125"))
                .unwrap_err()
                .message,
            "Number overflow. Attempting to store a number with magnitude larger than supported range"
        );
        assert_eq!(
            n("99999999999999999999999999999999999999")
                .checked_add(&n("1"))
                .unwrap()
                .to_string(),
            format!("1{}", "0".repeat(38))
        );
    }

    #[test]
    fn integer_conversion() {
        assert_eq!(n("12E3").to_i64(), Some(12000));
        assert_eq!(n("-5").to_i64(), Some(-5));
        assert_eq!(n("1.5").to_i64(), None);
        assert_eq!(n("1E30").to_i64(), None);
        assert_eq!(Number::from_i64(i64::MIN).to_i64(), Some(i64::MIN));
    }
}
