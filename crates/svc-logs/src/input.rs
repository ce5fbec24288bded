//! Reading input documents, naming log groups, and the opaque page tokens of Describe calls.

use nimbus_core::{Document, RequestContext};
use serde_json::Value;

use crate::errors::{self, Res};

pub use nimbus_core::document::str_member as opt_str;

pub fn req_str<'a>(input: &'a Document, member: &str) -> Res<&'a str> {
    opt_str(input, member).ok_or_else(|| errors::invalid(format!("{member} is required")))
}

pub fn opt_i64(input: &Document, member: &str) -> Option<i64> {
    input.get(member).and_then(Value::as_i64)
}

pub fn opt_bool(input: &Document, member: &str) -> Option<bool> {
    input.get(member).and_then(Value::as_bool)
}

/// A Describe call's page size: its `limit` (validated 1..=50 by the model), else 50.
pub fn page_limit(input: &Document, member: &str, default: usize) -> usize {
    opt_i64(input, member).and_then(|n| usize::try_from(n).ok()).filter(|n| *n > 0).unwrap_or(default)
}

/// `arn:aws:logs:<region>:<account>:log-group:<name>` (what tags and policies name).
pub fn group_arn(ctx: &RequestContext, name: &str) -> String {
    ctx.arn("logs", &format!("log-group:{name}"))
}

pub fn stream_arn(ctx: &RequestContext, group: &str, stream: &str) -> String {
    ctx.arn("logs", &format!("log-group:{group}:log-stream:{stream}"))
}

/// The group an ARN names, when it is a log group of this account and region (`:*` allowed).
pub fn group_from_arn<'a>(ctx: &RequestContext, arn: &'a str) -> Option<&'a str> {
    let mut parts = arn.splitn(6, ':');
    let (Some("arn"), Some(_partition), Some("logs"), Some(region), Some(account), Some(resource)) =
        (parts.next(), parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    if region != ctx.region || account != ctx.account_id {
        return None;
    }
    let name = resource.strip_prefix("log-group:")?;
    let name = name.strip_suffix(":*").unwrap_or(name);
    (!name.is_empty() && !name.contains(':')).then_some(name)
}

/// Whether `identifier` looks like an ARN rather than a name.
pub fn is_arn(identifier: &str) -> bool {
    identifier.starts_with("arn:")
}

/// The log group a read names, by `logGroupName` or `logGroupIdentifier` (a name or an ARN),
/// never both. An ARN of another account or region names no group here.
pub fn group_named(ctx: &RequestContext, input: &Document) -> Res<String> {
    match (opt_str(input, "logGroupName"), opt_str(input, "logGroupIdentifier")) {
        (Some(_), Some(_)) => Err(errors::name_and_identifier()),
        (Some(name), None) => Ok(name.to_owned()),
        (None, Some(identifier)) => identifier_to_name(ctx, identifier),
        (None, None) => Err(errors::no_group_named()),
    }
}

pub fn identifier_to_name(ctx: &RequestContext, identifier: &str) -> Res<String> {
    if is_arn(identifier) {
        group_from_arn(ctx, identifier).map(str::to_owned).ok_or_else(errors::group_not_found)
    } else {
        Ok(identifier.to_owned())
    }
}

/// A Describe call's token: the hex of the last key of the page it follows.
pub fn encode_token(last_key: &str) -> String {
    hex::encode(last_key.as_bytes())
}

pub fn decode_token(token: &str) -> Res<String> {
    hex::decode(token).ok().and_then(|b| String::from_utf8(b).ok()).ok_or_else(errors::invalid_token)
}

/// The `nextToken` of an input, decoded.
pub fn next_token(input: &Document) -> Res<Option<String>> {
    opt_str(input, "nextToken").map(decode_token).transpose()
}

/// Log group names: 1 to 512 of `[.-_/#A-Za-z0-9]`.
pub fn check_group_name(name: &str, member: &str) -> Res<()> {
    let valid = name.bytes().all(|b| b.is_ascii_alphanumeric() || b".-_/#".contains(&b));
    if !valid || name.is_empty() {
        return Err(errors::constraint(
            name,
            member,
            r"Member must satisfy regular expression pattern: [\.\-_/#A-Za-z0-9]+",
        ));
    }
    Ok(())
}

/// Stream and filter names: no `:` and no `*`.
pub fn check_no_colon_or_star(name: &str, member: &str) -> Res<()> {
    if name.contains([':', '*']) {
        return Err(errors::constraint(name, member, "Member must satisfy regular expression pattern: [^:*]*"));
    }
    Ok(())
}
