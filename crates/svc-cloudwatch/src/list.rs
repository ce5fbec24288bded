//! ListMetrics: one entry per metric (namespace, name, dimension set) that received data in the
//! last two weeks, in key order, 500 a page.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use nimbus_core::{Document, RequestContext};
use serde_json::{Value, json};

use crate::errors::{Res, invalid_next_token, invalid_value};
use crate::metric::{self, MetricRecord, metric_scope, namespace_prefix};
use crate::CloudWatch;

const PAGE: usize = 500;
const READ_CHUNK: usize = 1000;
/// Metrics without data for two weeks drop out of ListMetrics, as on AWS.
const LISTED_FOR_MS: i64 = 14 * 24 * 3600 * 1000;
const RECENTLY_ACTIVE_MS: i64 = 3 * 3600 * 1000;

struct Filter {
    name: Option<String>,
    dimensions: Vec<(String, Option<String>)>,
    active_since_ms: i64,
}

impl Filter {
    fn matches(&self, record: &MetricRecord) -> bool {
        record.last_put_ms >= self.active_since_ms
            && self.name.as_ref().is_none_or(|n| *n == record.id.name)
            && self.dimensions.iter().all(|(name, value)| {
                record.id.dimensions.iter().any(|(n, v)| n == name && value.as_ref().is_none_or(|value| value == v))
            })
    }
}

impl CloudWatch {
    pub(crate) fn list_metrics(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        let now_ms = self.clock.now_millis();
        let namespace = input.get("Namespace").and_then(Value::as_str);
        if let Some(namespace) = namespace {
            metric::check_namespace(namespace, "Namespace")?;
        }
        let mut dimensions = Vec::new();
        for (i, filter) in input.get("Dimensions").and_then(Value::as_array).into_iter().flatten().enumerate() {
            let name = filter.get("Name").and_then(Value::as_str).unwrap_or_default();
            metric::check_dimension_name(name, &format!("Dimensions.member.{}.Name", i + 1))?;
            dimensions.push((name.to_owned(), filter.get("Value").and_then(Value::as_str).map(str::to_owned)));
        }
        if dimensions.len() > metric::MAX_DIMENSIONS {
            return Err(invalid_value("The collection Dimensions must not have a size greater than 30."));
        }
        let active_since_ms = match input.get("RecentlyActive").and_then(Value::as_str) {
            None => now_ms - LISTED_FOR_MS,
            Some("PT3H") => now_ms - RECENTLY_ACTIVE_MS,
            Some(other) => {
                return Err(invalid_value(format!("The value {other} for parameter RecentlyActive is not valid. Valid values are PT3H.")));
            }
        };
        let filter = Filter { name: input.get("MetricName").and_then(Value::as_str).map(str::to_owned), dimensions, active_since_ms };
        let prefix = namespace.map(namespace_prefix).unwrap_or_default();
        let mut after = match input.get("NextToken").and_then(Value::as_str) {
            None => None,
            Some(token) => Some(decode_token(token)?),
        };
        let scope = metric_scope(&ctx.account_id, &ctx.region);
        let mut page = Vec::new();
        let mut more = false;
        'scan: loop {
            let chunk = self.store.list::<MetricRecord>(&scope, &prefix, after.as_deref(), READ_CHUNK)?;
            let exhausted = chunk.len() < READ_CHUNK;
            for (key, record) in chunk {
                if filter.matches(&record) {
                    if page.len() == PAGE {
                        more = true;
                        break 'scan;
                    }
                    page.push((key.clone(), record));
                }
                after = Some(key);
            }
            if exhausted {
                break;
            }
        }
        let mut out = json!({"Metrics": page.iter().map(|(_, r)| r.id.document()).collect::<Vec<_>>()});
        if more && let Some((key, _)) = page.last() {
            out["NextToken"] = json!(B64.encode(key));
        }
        if input.get("IncludeLinkedAccounts").and_then(Value::as_bool) == Some(true) {
            out["OwningAccounts"] = json!(vec![ctx.account_id.clone(); page.len()]);
        }
        Ok(out)
    }
}

fn decode_token(token: &str) -> Res<String> {
    let bytes = B64.decode(token).map_err(|_| invalid_next_token())?;
    String::from_utf8(bytes).map_err(|_| invalid_next_token())
}
