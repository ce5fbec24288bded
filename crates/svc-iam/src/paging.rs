//! IAM's pagination: `Marker` / `MaxItems` in, `IsTruncated` / `Marker` out. Items are listed
//! in a stable key order and the marker names the last key returned, so a page never repeats
//! or skips an item that existed through the listing.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use nimbus_core::{Document, RequestContext};
use nimbus_store::Record;
use serde_json::json;

use crate::Iam;
use crate::errors::{Res, invalid};
use crate::records::{PathNamed, key};
use crate::util::{Read, int, opt};

/// Default page size when `MaxItems` is absent.
const DEFAULT_MAX_ITEMS: usize = 100;

/// One page of `items` (sorted by key here) under `member`, with `IsTruncated` and `Marker`.
pub fn page(input: &Document, mut items: Vec<(String, Document)>, member: &str) -> Res<Document> {
    items.sort_by(|a, b| a.0.cmp(&b.0));
    let max = int(input, "MaxItems").map_or(DEFAULT_MAX_ITEMS, |n| n.clamp(1, 1000) as usize);
    let start = match opt(input, "Marker") {
        None => 0,
        Some(marker) => {
            let after = URL_SAFE_NO_PAD
                .decode(marker)
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(|| invalid("Invalid Marker."))?;
            items.partition_point(|(k, _)| *k <= after)
        }
    };
    let rest = items.len().saturating_sub(start);
    let taken: Vec<(String, Document)> = items.into_iter().skip(start).take(max).collect();
    let truncated = rest > taken.len();
    let mut out = json!({ member: taken.iter().map(|(_, d)| d.clone()).collect::<Vec<_>>(), "IsTruncated": truncated });
    if truncated && let Some((last, _)) = taken.last() {
        out["Marker"] = json!(URL_SAFE_NO_PAD.encode(last.as_bytes()));
    }
    Ok(out)
}

impl Iam {
    /// ListUsers, ListGroups, ListRoles: one page under `member` of the account's records whose
    /// path starts with the input's `PathPrefix`, in name order.
    pub(crate) fn list_by_path<R: Record + PathNamed>(
        &self,
        ctx: &RequestContext,
        input: &Document,
        member: &str,
        doc: impl Fn(&R) -> Document,
    ) -> Res<Document> {
        let prefix = path_prefix(input)?;
        let items = self
            .store()
            .all::<R>(&ctx.account_id)?
            .iter()
            .filter(|r| r.path().starts_with(&prefix))
            .map(|r| (key(r.name()), doc(r)))
            .collect();
        page(input, items, member)
    }
}

/// Keeps the items whose path starts with `PathPrefix` (default `/`).
pub fn path_prefix(input: &Document) -> Res<String> {
    let prefix = opt(input, "PathPrefix").unwrap_or("/");
    crate::errors::check_path_prefix(prefix, "pathPrefix")?;
    Ok(prefix.to_owned())
}
