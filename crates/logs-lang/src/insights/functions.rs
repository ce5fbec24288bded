//! The scalar functions of Logs Insights (numeric, string, datetime, IP address and general
//! functions), usable in `fields`, `filter`, `display`, `stats` arguments and `by` groups.
//! Arguments that are missing or of the wrong kind make the result missing, never an error.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use regex::Regex;

use super::time::Period;
use super::value::Value;

#[derive(Debug, Clone)]
pub(crate) enum Function {
    Abs,
    Ceil,
    Floor,
    Greatest,
    Least,
    Log,
    Round,
    Sqrt,
    ToNumber,
    ToInteger,
    IsPresent,
    Coalesce,
    If,
    IsNumeric,
    MessageSize,
    IsEmpty,
    IsBlank,
    Concat,
    LeftTrim,
    RightTrim,
    Trim,
    Strlen,
    ToUpper,
    ToLower,
    Substr,
    Replace,
    RegexReplace(Regex),
    StrContains,
    StartsWith,
    EndsWith,
    /// `bin(period)`; the parser passes `@timestamp` as the argument.
    Bin(Period),
    DateFloor(Period),
    DateCeil(Period),
    FromMillis,
    ToMillis,
    Now,
    QueryStartTime,
    QueryEndTime,
    IsValidIp,
    IsValidIpV4,
    IsValidIpV6,
    IsIpInSubnet,
    IsIpv4InSubnet,
    IsIpv6InSubnet,
}

/// How the parser reads a function's arguments.
#[derive(Debug, Clone)]
pub(crate) enum Signature {
    /// Expressions, between `min` and `max` of them.
    Plain(Function, usize, usize),
    /// `bin(5m)`.
    Bin,
    /// `datefloor(timestamp, 1h)`, `dateceil(timestamp, 1h)`.
    DateFloor,
    DateCeil,
    /// `regexReplace(text, "pattern", "replacement")`: the pattern is compiled once.
    RegexReplace,
}

pub(crate) fn signature(name: &str) -> Option<Signature> {
    use Function as F;
    let many = usize::MAX;
    let plain = |f, min, max| Some(Signature::Plain(f, min, max));
    match name.to_ascii_lowercase().as_str() {
        "abs" => plain(F::Abs, 1, 1),
        "ceil" => plain(F::Ceil, 1, 1),
        "floor" => plain(F::Floor, 1, 1),
        "greatest" => plain(F::Greatest, 1, many),
        "least" => plain(F::Least, 1, many),
        "log" => plain(F::Log, 1, 1),
        "round" => plain(F::Round, 1, 2),
        "sqrt" => plain(F::Sqrt, 1, 1),
        "tonumber" | "todouble" => plain(F::ToNumber, 1, 1),
        "toint" | "tolong" => plain(F::ToInteger, 1, 1),
        "ispresent" => plain(F::IsPresent, 1, 1),
        "coalesce" => plain(F::Coalesce, 1, many),
        "if" => plain(F::If, 3, 3),
        "isnumeric" => plain(F::IsNumeric, 1, 1),
        "messagesize" => plain(F::MessageSize, 1, 1),
        "isempty" => plain(F::IsEmpty, 1, 1),
        "isblank" => plain(F::IsBlank, 1, 1),
        "concat" => plain(F::Concat, 1, many),
        "ltrim" => plain(F::LeftTrim, 1, 2),
        "rtrim" => plain(F::RightTrim, 1, 2),
        "trim" => plain(F::Trim, 1, 2),
        "strlen" => plain(F::Strlen, 1, 1),
        "toupper" => plain(F::ToUpper, 1, 1),
        "tolower" => plain(F::ToLower, 1, 1),
        "substr" => plain(F::Substr, 2, 3),
        "replace" => plain(F::Replace, 3, 3),
        "strcontains" => plain(F::StrContains, 2, 3),
        "startswith" => plain(F::StartsWith, 2, 2),
        "endswith" => plain(F::EndsWith, 2, 2),
        "frommillis" => plain(F::FromMillis, 1, 1),
        "tomillis" => plain(F::ToMillis, 1, 1),
        "now" => plain(F::Now, 0, 0),
        "querystarttime" => plain(F::QueryStartTime, 0, 0),
        "queryendtime" => plain(F::QueryEndTime, 0, 0),
        "isvalidip" => plain(F::IsValidIp, 1, 1),
        "isvalidipv4" => plain(F::IsValidIpV4, 1, 1),
        "isvalidipv6" => plain(F::IsValidIpV6, 1, 1),
        "isipinsubnet" => plain(F::IsIpInSubnet, 2, 2),
        "isipv4insubnet" => plain(F::IsIpv4InSubnet, 2, 2),
        "isipv6insubnet" => plain(F::IsIpv6InSubnet, 2, 2),
        "bin" => Some(Signature::Bin),
        "datefloor" => Some(Signature::DateFloor),
        "dateceil" => Some(Signature::DateCeil),
        "regexreplace" | "regex_replace" => Some(Signature::RegexReplace),
        _ => None,
    }
}

/// What a query run knows beyond its rows: the times `now()` and `queryStartTime()` report.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Clock {
    pub(crate) now_ms: i64,
    pub(crate) start_ms: i64,
    pub(crate) end_ms: i64,
}

fn number(value: Option<&Value>) -> Option<f64> {
    value?.as_number()
}

fn text(value: Option<&Value>) -> Option<std::borrow::Cow<'_, str>> {
    value.map(Value::text)
}

fn boolean(b: bool) -> Option<Value> {
    Some(Value::Bool(b))
}

fn num(n: f64) -> Option<Value> {
    n.is_finite().then_some(Value::Num(n))
}

pub(crate) fn call(function: &Function, args: &[Option<Value>], clock: &Clock) -> Option<Value> {
    use Function as F;
    let arg = |i: usize| args.get(i).and_then(Option::as_ref);
    match function {
        F::Abs => num(number(arg(0))?.abs()),
        F::Ceil => num(number(arg(0))?.ceil()),
        F::Floor => num(number(arg(0))?.floor()),
        F::Log => num(number(arg(0))?.ln()),
        F::Sqrt => num(number(arg(0))?.sqrt()),
        F::Round => {
            let value = number(arg(0))?;
            match args.get(1) {
                Some(digits) => {
                    let scale = 10f64.powi(number(digits.as_ref())? as i32);
                    num((value * scale).round() / scale)
                }
                None => num(value.round()),
            }
        }
        F::Greatest => args.iter().filter_map(|a| number(a.as_ref())).reduce(f64::max).and_then(num),
        F::Least => args.iter().filter_map(|a| number(a.as_ref())).reduce(f64::min).and_then(num),
        F::ToNumber => num(number(arg(0))?),
        F::ToInteger => num(number(arg(0))?.trunc()),
        F::IsPresent => boolean(arg(0).is_some()),
        F::Coalesce => args.iter().flatten().next().cloned(),
        F::If => {
            if arg(0).is_some_and(Value::is_truthy) {
                arg(1).cloned()
            } else {
                arg(2).cloned()
            }
        }
        F::IsNumeric => boolean(number(arg(0)).is_some()),
        F::MessageSize => num(text(arg(0))?.len() as f64),
        F::IsEmpty => boolean(text(arg(0)).is_none_or(|t| t.is_empty())),
        F::IsBlank => boolean(text(arg(0)).is_none_or(|t| t.trim().is_empty())),
        F::Concat => {
            let mut joined = String::new();
            for value in args.iter().flatten() {
                joined.push_str(&value.text());
            }
            Some(Value::Str(joined))
        }
        F::LeftTrim | F::RightTrim | F::Trim => {
            let value = text(arg(0))?;
            let trimmed = match args.get(1) {
                Some(chars) => {
                    let chars: Vec<char> = text(chars.as_ref())?.chars().collect();
                    trim(&value, function, |c| chars.contains(&c)).to_owned()
                }
                None => trim(&value, function, char::is_whitespace).to_owned(),
            };
            Some(Value::Str(trimmed))
        }
        F::Strlen => num(text(arg(0))?.chars().count() as f64),
        F::ToUpper => Some(Value::Str(text(arg(0))?.to_uppercase())),
        F::ToLower => Some(Value::Str(text(arg(0))?.to_lowercase())),
        F::Substr => {
            let value = text(arg(0))?;
            let start = number(arg(1))?.max(0.0) as usize;
            let chars = value.chars().skip(start);
            let taken: String = match args.get(2) {
                Some(length) => chars.take(number(length.as_ref())?.max(0.0) as usize).collect(),
                None => chars.collect(),
            };
            Some(Value::Str(taken))
        }
        F::Replace => {
            let value = text(arg(0))?;
            let search = text(arg(1))?;
            let replacement = text(arg(2))?;
            if search.is_empty() {
                return Some(Value::Str(value.into_owned()));
            }
            Some(Value::Str(value.replace(search.as_ref(), &replacement)))
        }
        F::RegexReplace(regex) => {
            let value = text(arg(0))?;
            let replacement = text(arg(1))?;
            Some(Value::Str(regex.replace_all(&value, replacement.as_ref()).into_owned()))
        }
        F::StrContains => {
            let value = text(arg(0))?;
            let search = text(arg(1))?;
            let insensitive = arg(2).is_some_and(|v| v.is_truthy() && v.text() != "false");
            boolean(if insensitive {
                value.to_lowercase().contains(&search.to_lowercase())
            } else {
                value.contains(search.as_ref())
            })
        }
        F::StartsWith => boolean(text(arg(0))?.starts_with(text(arg(1))?.as_ref())),
        F::EndsWith => boolean(text(arg(0))?.ends_with(text(arg(1))?.as_ref())),
        F::Bin(period) | F::DateFloor(period) => Some(Value::Time(period.floor(arg(0)?.as_time()?))),
        F::DateCeil(period) => Some(Value::Time(period.ceil(arg(0)?.as_time()?))),
        F::FromMillis => Some(Value::Time(number(arg(0))? as i64)),
        F::ToMillis => num(arg(0)?.as_time()? as f64),
        F::Now => num((clock.now_ms / 1000) as f64),
        F::QueryStartTime => num(clock.start_ms as f64),
        F::QueryEndTime => num(clock.end_ms as f64),
        F::IsValidIp => boolean(text(arg(0))?.parse::<IpAddr>().is_ok()),
        F::IsValidIpV4 => boolean(text(arg(0))?.parse::<Ipv4Addr>().is_ok()),
        F::IsValidIpV6 => boolean(text(arg(0))?.parse::<Ipv6Addr>().is_ok()),
        F::IsIpInSubnet | F::IsIpv4InSubnet | F::IsIpv6InSubnet => {
            let address: IpAddr = text(arg(0))?.parse().ok()?;
            let family_ok = match function {
                F::IsIpv4InSubnet => address.is_ipv4(),
                F::IsIpv6InSubnet => address.is_ipv6(),
                _ => true,
            };
            boolean(family_ok && in_subnet(address, &text(arg(1))?).unwrap_or(false))
        }
    }
}

fn trim<'a>(value: &'a str, function: &Function, strip: impl Fn(char) -> bool + Copy) -> &'a str {
    match function {
        Function::LeftTrim => value.trim_start_matches(strip),
        Function::RightTrim => value.trim_end_matches(strip),
        _ => value.trim_matches(strip),
    }
}

/// Whether `address` lies in the CIDR block `subnet` (`192.0.2.0/24`, `2001:db8::/32`).
fn in_subnet(address: IpAddr, subnet: &str) -> Option<bool> {
    let (network, prefix) = subnet.trim().split_once('/')?;
    let network: IpAddr = network.parse().ok()?;
    let prefix: u32 = prefix.parse().ok()?;
    Some(match (address, network) {
        (IpAddr::V4(a), IpAddr::V4(n)) => {
            let mask = u32::MAX.checked_shl(32u32.checked_sub(prefix)?).unwrap_or(0);
            u32::from(a) & mask == u32::from(n) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(n)) => {
            let mask = u128::MAX.checked_shl(128u32.checked_sub(prefix)?).unwrap_or(0);
            u128::from(a) & mask == u128::from(n) & mask
        }
        _ => false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const CLOCK: Clock = Clock { now_ms: 0, start_ms: 0, end_ms: 0 };

    fn s(text: &str) -> Option<Value> {
        Some(Value::Str(text.to_owned()))
    }

    fn run(name: &str, args: &[Option<Value>]) -> Option<String> {
        let Some(Signature::Plain(function, _, _)) = signature(name) else { panic!("{name}") };
        call(&function, args, &CLOCK).map(|v| v.text().into_owned())
    }

    #[test]
    fn documented_string_examples() {
        assert_eq!(run("ltrim", &[s("xyZxyfooxyZ"), s("xyZ")]).as_deref(), Some("fooxyZ"));
        assert_eq!(run("rtrim", &[s("xyZfooxyxyZ"), s("xyZ")]).as_deref(), Some("xyZfoo"));
        assert_eq!(run("trim", &[s("xyZxyfooxyxyZ"), s("xyZ")]).as_deref(), Some("foo"));
        assert_eq!(
            run("substr", &[s("xyZfooxyZ"), Some(Value::Num(3.0)), Some(Value::Num(3.0))]).as_deref(),
            Some("foo")
        );
        assert_eq!(run("replace", &[s("foo"), s("o"), s("0")]).as_deref(), Some("f00"));
        assert_eq!(run("strlen", &[s("héllo")]).as_deref(), Some("5"));
        assert_eq!(run("isempty", &[None]).as_deref(), Some("1"));
        assert_eq!(run("isblank", &[s("  ")]).as_deref(), Some("1"));
        assert_eq!(run("concat", &[s("a"), s("-"), Some(Value::Num(200.0))]).as_deref(), Some("a-200"));
    }

    #[test]
    fn numbers_and_addresses() {
        assert_eq!(run("abs", &[Some(Value::Num(-2.5))]).as_deref(), Some("2.5"));
        assert_eq!(run("greatest", &[Some(Value::Num(1.0)), s("7"), None]).as_deref(), Some("7"));
        assert_eq!(run("round", &[Some(Value::Num(2.345)), Some(Value::Num(2.0))]).as_deref(), Some("2.35"));
        assert_eq!(run("abs", &[s("abc")]), None);
        assert_eq!(run("isIpInSubnet", &[s("192.0.2.17"), s("192.0.2.0/24")]).as_deref(), Some("1"));
        assert_eq!(run("isIpv4InSubnet", &[s("192.0.3.1"), s("192.0.2.0/24")]).as_deref(), Some("0"));
        assert_eq!(run("isIpv6InSubnet", &[s("2001:db8::1"), s("2001:db8::/32")]).as_deref(), Some("1"));
        assert_eq!(run("isValidIpV4", &[s("2001:db8::1")]).as_deref(), Some("0"));
    }
}
