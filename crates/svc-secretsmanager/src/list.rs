//! ListSecrets and the filter, sort and pagination rules BatchGetSecretValue shares.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use nimbus_core::{Document, RequestContext};
use nimbus_store::Txn;
use serde::Deserialize;
use serde_json::Value;

use crate::errors::{Failure, Out, Res, fail, invalid_next_token, invalid_parameter};
use crate::records::SecretRecord;
use crate::secrets::describe_doc;
use crate::state::{is_expired, purge};
use crate::{SecretsManager, parse};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct FilterInput {
    key: Option<String>,
    values: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListSecretsInput {
    include_planned_deletion: Option<bool>,
    max_results: Option<i64>,
    next_token: Option<String>,
    filters: Option<Vec<FilterInput>>,
    sort_order: Option<String>,
    sort_by: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FilterKey {
    Description,
    Name,
    TagKey,
    TagValue,
    PrimaryRegion,
    OwningService,
    All,
}

/// One filter: a secret matches when some positive value matches (or there is none) and no
/// negated (`!`-prefixed) value matches. Filters combine with AND.
#[derive(Debug, Clone)]
pub(crate) struct Filter {
    key: FilterKey,
    positive: Vec<String>,
    negative: Vec<String>,
}

pub(crate) fn parse_filters(input: Vec<FilterInput>) -> Res<Vec<Filter>> {
    input
        .into_iter()
        .map(|f| {
            let key = match f.key.as_deref() {
                Some("description") => FilterKey::Description,
                Some("name") => FilterKey::Name,
                Some("tag-key") => FilterKey::TagKey,
                Some("tag-value") => FilterKey::TagValue,
                Some("primary-region") => FilterKey::PrimaryRegion,
                Some("owning-service") => FilterKey::OwningService,
                Some("all") => FilterKey::All,
                Some(other) => return fail(invalid_parameter(format!("Invalid filter key: {other}"))),
                None => return fail(invalid_parameter("You must specify a Key for each filter.")),
            };
            let values = f.values.unwrap_or_default();
            if values.is_empty() {
                return fail(invalid_parameter("You must specify at least one value for each filter."));
            }
            let (negative, positive): (Vec<String>, Vec<String>) = values.into_iter().partition(|v| v.starts_with('!'));
            let negative = negative.into_iter().map(|v| v[1..].to_owned()).collect();
            Ok(Filter { key, positive, negative })
        })
        .collect()
}

fn starts_with_ci(attribute: &str, prefix: &str) -> bool {
    attribute.len() >= prefix.len()
        && attribute.is_char_boundary(prefix.len())
        && attribute[..prefix.len()].eq_ignore_ascii_case(prefix)
}

/// `all`: every word of the value must prefix-match (ignoring case) some attribute of the
/// secret, or some alphanumeric word within one.
fn matches_all(secret: &SecretRecord, region: &str, value: &str) -> bool {
    let mut attributes: Vec<&str> = vec![secret.name.as_str(), region];
    if let Some(d) = &secret.description {
        attributes.push(d);
    }
    for tag in &secret.tags {
        attributes.push(&tag.key);
        attributes.push(&tag.value);
    }
    let words: Vec<&str> = value.split_whitespace().collect();
    !words.is_empty()
        && words.iter().all(|word| {
            attributes.iter().any(|attr| {
                starts_with_ci(attr, word)
                    || attr.split(|c: char| !c.is_ascii_alphanumeric()).any(|part| starts_with_ci(part, word))
            })
        })
}

fn value_matches(secret: &SecretRecord, region: &str, key: FilterKey, value: &str) -> bool {
    match key {
        FilterKey::Name => secret.name.starts_with(value),
        FilterKey::Description => secret.description.as_deref().is_some_and(|d| starts_with_ci(d, value)),
        FilterKey::TagKey => secret.tags.iter().any(|t| t.key.starts_with(value)),
        FilterKey::TagValue => secret.tags.iter().any(|t| t.value.starts_with(value)),
        FilterKey::PrimaryRegion => region.starts_with(value),
        // Nimbus secrets are never managed by another service.
        FilterKey::OwningService => false,
        FilterKey::All => matches_all(secret, region, value),
    }
}

fn filter_matches(secret: &SecretRecord, region: &str, filter: &Filter) -> bool {
    let positive_ok =
        filter.positive.is_empty() || filter.positive.iter().any(|v| value_matches(secret, region, filter.key, v));
    let negative_ok = !filter.negative.iter().any(|v| value_matches(secret, region, filter.key, v));
    positive_ok && negative_ok
}

/// All secrets of the scope that pass `filters`, purging those whose recovery window ended.
pub(crate) fn matching_secrets(
    txn: &Txn,
    scope: &str,
    region: &str,
    now: i64,
    filters: &[Filter],
    include_deleted: bool,
) -> Res<Vec<SecretRecord>> {
    let mut out = Vec::new();
    for (_, secret) in txn.list::<SecretRecord>(scope, "", None, usize::MAX)? {
        if is_expired(&secret, now) {
            purge(txn, scope, &secret)?;
            continue;
        }
        if secret.is_deleted() && !include_deleted {
            continue;
        }
        if filters.iter().all(|f| filter_matches(&secret, region, f)) {
            out.push(secret);
        }
    }
    Ok(out)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SortBy {
    CreatedDate,
    LastAccessedDate,
    LastChangedDate,
    Name,
}

/// A secret's position in a listing: the sort attribute (0 when sorting by name), then the
/// name, which is unique, so positions are total and a page token can name one.
fn sort_key(secret: &SecretRecord, by: SortBy) -> (i64, String) {
    let primary = match by {
        SortBy::CreatedDate => secret.created_ms,
        SortBy::LastAccessedDate => secret.last_accessed_ms.unwrap_or(i64::MIN),
        SortBy::LastChangedDate => secret.last_changed_ms,
        SortBy::Name => 0,
    };
    (primary, secret.name.clone())
}

pub(crate) fn sort_secrets(mut secrets: Vec<SecretRecord>, by: SortBy, descending: bool) -> Vec<SecretRecord> {
    secrets.sort_by_cached_key(|s| sort_key(s, by));
    if descending {
        secrets.reverse();
    }
    secrets
}

pub(crate) fn encode_token(plain: &str) -> String {
    URL_SAFE_NO_PAD.encode(plain.as_bytes())
}

pub(crate) fn decode_token(token: &str) -> Res<String> {
    URL_SAFE_NO_PAD
        .decode(token)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or_else(|| Failure::from(invalid_next_token()))
}

/// One page of an already sorted listing. The token holds the last returned position, so a
/// listing that changes between pages neither repeats nor skips the secrets that stayed.
pub(crate) fn paginate(
    sorted: Vec<SecretRecord>,
    by: SortBy,
    token: Option<&str>,
    page_size: usize,
) -> Res<(Vec<SecretRecord>, Option<String>)> {
    paginate_ordered(sorted, by, false, token, page_size)
}

fn paginate_ordered(
    sorted: Vec<SecretRecord>,
    by: SortBy,
    descending: bool,
    token: Option<&str>,
    page_size: usize,
) -> Res<(Vec<SecretRecord>, Option<String>)> {
    let start = match token {
        None => 0,
        Some(token) => {
            let after: (i64, String) =
                serde_json::from_str(&decode_token(token)?).map_err(|_| Failure::from(invalid_next_token()))?;
            sorted
                .iter()
                .position(|s| {
                    let key = sort_key(s, by);
                    if descending { key < after } else { key > after }
                })
                .unwrap_or(sorted.len())
        }
    };
    let remaining = sorted.len() - start;
    let page: Vec<SecretRecord> = sorted.into_iter().skip(start).take(page_size).collect();
    let next = if remaining > page.len() {
        page.last()
            .map(|s| serde_json::to_string(&sort_key(s, by)).map(|k| encode_token(&k)))
            .transpose()
            .map_err(|e| Failure::from(nimbus_core::ServiceError::internal(e.to_string())))?
    } else {
        None
    };
    Ok((page, next))
}

impl SecretsManager {
    pub(crate) fn list_secrets(&self, ctx: &RequestContext, input: Document) -> Res<Document> {
        let input: ListSecretsInput = parse(input)?;
        let filters = parse_filters(input.filters.unwrap_or_default())?;
        let by = match input.sort_by.as_deref() {
            None | Some("created-date") => SortBy::CreatedDate,
            Some("last-accessed-date") => SortBy::LastAccessedDate,
            Some("last-changed-date") => SortBy::LastChangedDate,
            Some("name") => SortBy::Name,
            Some(other) => return fail(invalid_parameter(format!("Invalid SortBy value: {other}"))),
        };
        let descending = match input.sort_order.as_deref() {
            None | Some("asc") => false,
            Some("desc") => true,
            Some(other) => return fail(invalid_parameter(format!("Invalid SortOrder value: {other}"))),
        };
        let page_size = input.max_results.map_or(100, |n| n.clamp(1, 100) as usize);
        let include_deleted = input.include_planned_deletion.unwrap_or(false);
        let now = self.now();
        let secrets =
            self.tx(ctx, |txn, scope| matching_secrets(txn, scope, &ctx.region, now, &filters, include_deleted))?;
        let sorted = sort_secrets(secrets, by, descending);
        let (page, next_token) = paginate_ordered(sorted, by, descending, input.next_token.as_deref(), page_size)?;
        let entries: Vec<Value> = page.iter().map(|s| describe_doc(s, &ctx.region, true)).collect();
        Ok(Out::new().set("SecretList", Value::Array(entries)).opt("NextToken", next_token).done())
    }
}
