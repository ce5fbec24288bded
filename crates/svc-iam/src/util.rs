//! Small shared pieces: input access, timestamps, ARNs, URL-encoded documents, record reads that
//! work the same inside and outside a transaction.

use nimbus_core::{Document, RequestContext};
use nimbus_store::{Record, Store, Txn};

use crate::errors::{Res, no_group, no_role, no_user, validation};
use crate::records::{GroupRecord, RoleRecord, UserRecord, key};

/// A string member.
pub fn opt<'a>(input: &'a Document, name: &str) -> Option<&'a str> {
    input.get(name).and_then(Document::as_str)
}

/// A required string member (the codec checks presence; direct calls may not).
pub fn req<'a>(input: &'a Document, name: &str) -> Res<&'a str> {
    opt(input, name).ok_or_else(|| {
        let member = lower_first(name);
        validation(format!(
            "1 validation error detected: Value null at '{member}' failed to satisfy constraint: Member must not be null"
        ))
    })
}

pub fn strings(input: &Document, name: &str) -> Vec<String> {
    nimbus_core::document::string_list_member(input, name)
}

pub fn boolean(input: &Document, name: &str) -> Option<bool> {
    input.get(name).and_then(Document::as_bool)
}

pub fn int(input: &Document, name: &str) -> Option<i64> {
    input.get(name).and_then(Document::as_i64)
}

/// `UserName` → `userName`, as AWS names members in validation messages.
pub fn lower_first(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => first.to_ascii_lowercase().to_string() + chars.as_str(),
        None => String::new(),
    }
}

/// Epoch milliseconds in document form.
pub fn ts(ms: i64) -> Document {
    let at = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    nimbus_core::document::timestamp(at)
}

/// Policy documents come back URL-encoded, as IAM returns them (SDKs decode them).
pub fn url_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 2);
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~*".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `arn:aws:iam::<account>:<kind>/<path minus leading slash><name>`.
pub fn arn(account: &str, kind: &str, path: &str, name: &str) -> String {
    format!("arn:aws:iam::{account}:{kind}{path}{name}")
}

/// The path of an entity: the default `/`, checked.
pub fn path_of(input: &Document) -> Res<String> {
    let path = opt(input, "Path").unwrap_or("/");
    crate::errors::check_path(path, "path")?;
    Ok(path.to_owned())
}

/// The `(name, path)` of an IAM ARN's resource part, `user/dev/alice` → (`alice`, `/dev/`).
pub fn split_resource<'a>(resource: &'a str, kind: &str) -> Option<(&'a str, String)> {
    let rest = resource.strip_prefix(kind)?.strip_prefix('/')?;
    let (path, name) = match rest.rfind('/') {
        Some(i) => (format!("/{}", &rest[..=i]), &rest[i + 1..]),
        None => ("/".to_owned(), rest),
    };
    (!name.is_empty()).then_some((name, path))
}

/// `(account, resource)` of an `arn:aws:<service>::<account>:<resource>` ARN.
pub fn arn_parts(arn: &str) -> Option<(&str, &str, &str)> {
    let mut parts = arn.splitn(6, ':');
    let (scheme, _partition, service, _region, account, resource) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    (scheme == "arn").then_some((service, account, resource))
}

/// Record reads on a [`Store`] or inside a [`Txn`].
pub trait Read {
    fn rec<R: Record>(&self, scope: &str, key: &str) -> Res<Option<R>>;
    fn all<R: Record>(&self, scope: &str) -> Res<Vec<R>>;
}

impl Read for Store {
    fn rec<R: Record>(&self, scope: &str, key: &str) -> Res<Option<R>> {
        Ok(self.get(scope, key)?)
    }
    fn all<R: Record>(&self, scope: &str) -> Res<Vec<R>> {
        Ok(self
            .list_all::<R>(scope)?
            .into_iter()
            .map(|(_, r)| r)
            .collect())
    }
}

impl Read for Txn<'_> {
    fn rec<R: Record>(&self, scope: &str, key: &str) -> Res<Option<R>> {
        Ok(self.get(scope, key)?)
    }
    fn all<R: Record>(&self, scope: &str) -> Res<Vec<R>> {
        let mut out: Vec<(String, R)> = Vec::new();
        loop {
            let after = out.last().map(|(k, _)| k.clone());
            let page = self.list::<R>(scope, "", after.as_deref(), 1000)?;
            let done = page.len() < 1000;
            out.extend(page);
            if done {
                return Ok(out.into_iter().map(|(_, r)| r).collect());
            }
        }
    }
}

pub fn user<S: Read>(s: &S, account: &str, name: &str) -> Res<UserRecord> {
    s.rec(account, &key(name))?.ok_or_else(|| no_user(name))
}

pub fn group<S: Read>(s: &S, account: &str, name: &str) -> Res<GroupRecord> {
    s.rec(account, &key(name))?.ok_or_else(|| no_group(name))
}

pub fn role<S: Read>(s: &S, account: &str, name: &str) -> Res<RoleRecord> {
    s.rec(account, &key(name))?.ok_or_else(|| no_role(name))
}

/// The user an operation is about: `UserName`, or the calling IAM user when it is absent.
/// `None` for the root user (no IAM user record).
pub fn target_user_name(ctx: &RequestContext, input: &Document) -> Option<String> {
    if let Some(name) = opt(input, "UserName") {
        return Some(name.to_owned());
    }
    let (_, _, resource) = arn_parts(&ctx.principal.arn)?;
    split_resource(resource, "user").map(|(name, _)| name.to_owned())
}

/// The user name of a `User` document for the caller when it is root.
pub fn root_arn(account: &str) -> String {
    format!("arn:aws:iam::{account}:root")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resources_split_into_name_and_path() {
        assert_eq!(
            split_resource("user/alice", "user"),
            Some(("alice", "/".to_owned()))
        );
        assert_eq!(
            split_resource("user/dev/team/alice", "user"),
            Some(("alice", "/dev/team/".to_owned()))
        );
        assert_eq!(split_resource("role/x", "user"), None);
        assert_eq!(url_encode("{\"a\": 1}"), "%7B%22a%22%3A%201%7D");
    }
}
