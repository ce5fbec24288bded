//! Properties of DynamoDB numbers over many generated values.

mod common;

use common::Rng;
use nimbus_dynamodb_lang::Number;

/// `k / 2^j` written exactly in decimal (`k × 5^j / 10^j`), and the same value as an f64.
fn dyadic(rng: &mut Rng) -> (Number, f64) {
    let k = rng.range(-(1 << 40), 1 << 40);
    let j = rng.below(11) as u32;
    let scaled = (k.unsigned_abs() as u128) * 5u128.pow(j);
    let mut text = format!("{scaled:0>width$}", width = j as usize + 1);
    text.insert(text.len() - j as usize, '.');
    if k < 0 {
        text.insert(0, '-');
    }
    let number = Number::parse(&text).unwrap_or_else(|e| panic!("{text}: {e}"));
    (number, k as f64 / f64::from(1u32 << j))
}

#[test]
fn ordering_agrees_with_exact_floats() {
    let mut rng = Rng::new(7);
    for _ in 0..20_000 {
        let (a, fa) = dyadic(&mut rng);
        let (b, fb) = dyadic(&mut rng);
        assert_eq!(a.cmp(&b), fa.partial_cmp(&fb).unwrap(), "{a} vs {b}");
        assert_eq!(a == b, fa == fb, "{a} vs {b}");
    }
}

#[test]
fn parse_format_parse_is_identity() {
    let mut rng = Rng::new(11);
    for _ in 0..20_000 {
        let number = rng.number(38, -130, 125);
        let text = number.to_string();
        assert_eq!(Number::parse(&text).unwrap(), number, "{text}");
        assert_eq!(Number::parse(&text).unwrap().to_string(), text);
        // The canonical form has no exponent, no leading '+', no trailing fractional zeros.
        assert!(!text.contains(['e', 'E', '+']), "{text}");
        if text.contains('.') {
            assert!(!text.ends_with('0') && !text.ends_with('.'), "{text}");
        }
    }
}

#[test]
fn addition_then_subtraction_returns_the_start() {
    let mut rng = Rng::new(13);
    let mut exact = 0;
    for _ in 0..20_000 {
        let a = rng.number(18, -20, 20);
        let b = rng.number(18, -20, 20);
        // Only sums that fit in 38 digits are exact; the others must be refused, never rounded.
        match a.checked_add(&b) {
            Ok(sum) => {
                assert_eq!(sum.checked_sub(&b).unwrap(), a, "({a} + {b}) - {b}");
                assert_eq!(sum.checked_sub(&a).unwrap(), b, "({a} + {b}) - {a}");
                assert_eq!(b.checked_add(&a).unwrap(), sum, "commutes");
                exact += 1;
            }
            Err(e) => assert_eq!(e.message, "Attempting to store more than 38 significant digits in a Number"),
        }
    }
    assert!(exact > 15_000, "most generated sums should be exact, got {exact}");
}

#[test]
fn addition_is_monotonic() {
    let mut rng = Rng::new(17);
    for _ in 0..10_000 {
        let a = rng.number(10, -5, 5);
        let b = rng.number(10, -5, 5);
        let step = rng.number(5, -3, 3);
        let (Ok(a2), Ok(b2)) = (a.checked_add(&step), b.checked_add(&step)) else {
            continue;
        };
        assert_eq!(a.cmp(&b), a2.cmp(&b2), "{a} {b} + {step}");
    }
}
