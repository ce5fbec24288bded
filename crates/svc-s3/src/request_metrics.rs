//! S3 request metrics: what S3 publishes to CloudWatch (namespace `AWS/S3`, dimensions
//! `BucketName` and `FilterId`) for buckets with metrics configurations
//! (`backend/metrics_config.rs`), once a minute and only for minutes with requests, as AWS does.
//!
//! Every S3 request passes through [`S3Front::call`](crate::S3Front), and the S3 GET path is
//! benchmarked, so the cost for buckets without configurations is one atomic load while no bucket
//! has any, then one hash lookup of the bucket name: the configurations are compiled into an
//! in-memory map (bucket name → selectors and counters), built from the store at the first
//! request after a start and refreshed from the store after every configuration change.
//!
//! Which requests a configuration selects:
//! * no filter (or an empty prefix): every request to the bucket;
//! * a prefix: requests on an object key with that prefix; bucket-level requests (ListObjects,
//!   DeleteObjects, bucket configuration) never match a prefix;
//! * tags: **not evaluated** (that would read the object's tags on every request); a condition
//!   on tags is taken as met by every object request, so a tag filter alone counts every object
//!   request and `<And>` of a prefix and tags counts by the prefix;
//! * an access point ARN: requests made through that access point. Nimbus has no access points,
//!   so such a configuration never counts anything (as on AWS for requests not made through it).
//!
//! Counters only ever add; a reading swaps them to zero, so a datapoint is the activity since the
//! reading before. Latencies are real elapsed time (not Nimbus's clock), in milliseconds.

use std::collections::{BTreeMap, HashMap};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::task::{Context, Poll};
use std::time::Instant;

use bytes::Bytes;
use hyper::body::{Body, Frame, SizeHint};
use nimbus_core::{MetricDatum, MetricValue};
use nimbus_store::{Store, StoreError};

use crate::backend::metrics_config::{MetricsConfigRecord, MetricsConfigs};
use crate::front::{BoxError, ResponseBody};
use crate::records::{BUCKET_SCOPE, BucketRecord, get_config};

/// The compiled configurations of every bucket that has some, and their counters.
#[derive(Default)]
pub(crate) struct RequestMetrics {
    /// Whether the map was built from the store since the start.
    loaded: AtomicBool,
    /// Whether any bucket has a configuration: while not, a request costs this one load.
    any: AtomicBool,
    buckets: RwLock<HashMap<String, Arc<BucketMeters>>>,
    /// Counters of configurations removed since the last reading, still to be published.
    retired: Mutex<Vec<PendingCounters>>,
    /// Serializes building and refreshing the map, so a refresh started after a commit is
    /// never overwritten by an older one.
    refreshing: Mutex<()>,
}

/// One bucket's configurations.
pub(crate) struct BucketMeters {
    bucket_id: String,
    /// Where the bucket's datapoints go: its owner's account and its region.
    account: String,
    region: String,
    filters: Vec<FilterMeter>,
}

struct FilterMeter {
    id: String,
    selector: Selector,
    counters: Arc<Counters>,
}

/// Which requests one configuration counts (see the module's documentation).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Selector {
    /// Only requests on an object key with this prefix.
    prefix: Option<String>,
    /// The filter has conditions on the object (prefix, tags): bucket-level requests never match.
    object_only: bool,
    /// The filter names an access point: Nimbus has none, so nothing matches.
    never: bool,
}

impl Selector {
    fn of(config: &MetricsConfigRecord) -> Selector {
        let Some(filter) = &config.filter else {
            return Selector { prefix: None, object_only: false, never: false };
        };
        let prefix = filter.prefix.clone().filter(|p| !p.is_empty());
        Selector {
            object_only: prefix.is_some() || !filter.tags.is_empty(),
            prefix,
            never: filter.access_point_arn.is_some(),
        }
    }

    fn selects(&self, key: Option<&str>) -> bool {
        if self.never {
            return false;
        }
        match key {
            None => !self.object_only,
            Some(key) => self.prefix.as_deref().is_none_or(|p| key.starts_with(p)),
        }
    }
}

/// What kind of request it was, for the per-method metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RequestKind {
    Get,
    Put,
    Delete,
    Head,
    Post,
    List,
    /// Counted in AllRequests only (bucket configuration, CORS preflights).
    Other,
}

impl RequestKind {
    /// From the operation (when the access hook named it) and the HTTP method. Listings,
    /// paginated ones included, are ListRequests and not GetRequests; DeleteObjects is a
    /// DeleteRequest and not a PostRequest, as AWS documents; GETs, PUTs and DELETEs count
    /// for objects only.
    pub fn of(operation: Option<&str>, method: &http::Method, on_object: bool) -> RequestKind {
        match operation {
            Some("ListObjects" | "ListObjectsV2" | "ListObjectVersions" | "ListMultipartUploads" | "ListParts") => {
                return RequestKind::List;
            }
            Some("DeleteObjects") => return RequestKind::Delete,
            // SelectObjectContent is not implemented, so SelectRequests stays zero.
            Some("SelectObjectContent") => return RequestKind::Other,
            _ => {}
        }
        match *method {
            http::Method::HEAD => RequestKind::Head,
            http::Method::POST => RequestKind::Post,
            http::Method::GET if on_object => RequestKind::Get,
            http::Method::PUT if on_object => RequestKind::Put,
            http::Method::DELETE if on_object => RequestKind::Delete,
            _ => RequestKind::Other,
        }
    }
}

/// What the front knows of a request once its response is ready.
pub(crate) struct RequestOutcome<'a> {
    pub key: Option<&'a str>,
    pub kind: RequestKind,
    pub status: u16,
    /// The request body's length, when it had one.
    pub uploaded_bytes: Option<u64>,
    pub started: Instant,
}

impl RequestMetrics {
    /// Whether any bucket has a metrics configuration (building the map at the first call):
    /// when not, the front does not even read the clock.
    pub fn active(&self, store: &Store) -> bool {
        if !self.loaded.load(Ordering::Acquire) {
            self.load(store);
        }
        self.any.load(Ordering::Relaxed)
    }

    /// Counts a request on `bucket` in every configuration that selects it; returns the
    /// counters that also take the response body's size and the total latency
    /// ([`RequestMetrics::meter_body`]).
    pub fn record(&self, bucket: &str, outcome: &RequestOutcome<'_>) -> Vec<Arc<Counters>> {
        let Some(meters) = self.buckets.read().unwrap_or_else(PoisonError::into_inner).get(bucket).cloned() else {
            return Vec::new();
        };
        let first_byte_us = elapsed_us(outcome.started);
        let mut selected = Vec::new();
        for filter in meters.filters.iter().filter(|f| f.selector.selects(outcome.key)) {
            filter.counters.request(outcome, first_byte_us);
            selected.push(filter.counters.clone());
        }
        selected
    }

    /// The response, its body counted into `counters` as it is sent (BytesDownloaded,
    /// TotalRequestLatency when its last byte is out).
    pub fn meter_body(
        response: http::Response<ResponseBody>,
        started: Instant,
        counters: Vec<Arc<Counters>>,
    ) -> http::Response<ResponseBody> {
        if counters.is_empty() {
            return response;
        }
        response.map(|inner| {
            http_body_util::combinators::UnsyncBoxBody::new(MeteredBody { inner, started, counters, sent_bytes: 0, finished: false })
        })
    }

    /// Rebuilds one bucket's entry from the store, after its configurations changed.
    /// Counters of configurations that remain carry on; those of removed ones are published
    /// at the next reading.
    pub fn refresh(&self, store: &Store, bucket: &str) {
        let _serial = self.refreshing.lock().unwrap_or_else(PoisonError::into_inner);
        if !self.loaded.load(Ordering::Acquire) {
            // The first build will read the committed change.
            return;
        }
        let meters = match compile_bucket(store, bucket) {
            Ok(meters) => meters,
            Err(e) => {
                tracing::warn!("s3 request metrics of bucket {bucket}: reading the configuration: {e}");
                return;
            }
        };
        let mut buckets = self.buckets.write().unwrap_or_else(PoisonError::into_inner);
        let old = buckets.remove(bucket);
        let meters = meters.map(|m| Arc::new(m.carrying_over(old.as_deref())));
        if let Some(old) = old {
            self.retire(bucket, &old, meters.as_deref());
        }
        if let Some(meters) = meters {
            buckets.insert(bucket.to_owned(), meters);
        }
        self.any.store(!buckets.is_empty(), Ordering::Relaxed);
    }

    /// Forgets a deleted bucket (its configurations went with it).
    pub fn forget(&self, bucket: &str) {
        let _serial = self.refreshing.lock().unwrap_or_else(PoisonError::into_inner);
        let mut buckets = self.buckets.write().unwrap_or_else(PoisonError::into_inner);
        if let Some(old) = buckets.remove(bucket) {
            self.retire(bucket, &old, None);
        }
        self.any.store(!buckets.is_empty(), Ordering::Relaxed);
    }

    /// The datapoints of every (bucket, configuration) with requests since the last reading,
    /// timestamped `now_ms`, grouped by the bucket owner's account and the bucket's region.
    /// Counters restart from zero.
    pub fn datapoints(&self, now_ms: i64) -> Vec<(String, String, Vec<MetricDatum>)> {
        let mut pending: Vec<PendingCounters> =
            std::mem::take(&mut *self.retired.lock().unwrap_or_else(PoisonError::into_inner));
        {
            let buckets = self.buckets.read().unwrap_or_else(PoisonError::into_inner);
            for (name, meters) in buckets.iter() {
                for filter in &meters.filters {
                    pending.push(PendingCounters {
                        account: meters.account.clone(),
                        region: meters.region.clone(),
                        bucket: name.clone(),
                        filter_id: filter.id.clone(),
                        counters: filter.counters.clone(),
                    });
                }
            }
        }
        let mut by_place: BTreeMap<(String, String), Vec<MetricDatum>> = BTreeMap::new();
        for p in pending {
            let data = p.counters.take_datapoints(&p.bucket, &p.filter_id, now_ms);
            if !data.is_empty() {
                by_place.entry((p.account, p.region)).or_default().extend(data);
            }
        }
        by_place.into_iter().map(|((account, region), data)| (account, region, data)).collect()
    }

    /// Builds the map from every bucket's configurations (the first request after a start).
    fn load(&self, store: &Store) {
        let _serial = self.refreshing.lock().unwrap_or_else(PoisonError::into_inner);
        if self.loaded.load(Ordering::Acquire) {
            return;
        }
        match compile_all(store) {
            Ok(all) => {
                let mut buckets = self.buckets.write().unwrap_or_else(PoisonError::into_inner);
                *buckets = all;
                self.any.store(!buckets.is_empty(), Ordering::Relaxed);
                self.loaded.store(true, Ordering::Release);
            }
            // Tried again at the next request.
            Err(e) => tracing::warn!("s3 request metrics: reading the buckets' configurations: {e}"),
        }
    }

    /// Keeps, for the next reading, the counters of `old`'s configurations that `new` dropped.
    fn retire(&self, bucket: &str, old: &BucketMeters, new: Option<&BucketMeters>) {
        let mut retired = self.retired.lock().unwrap_or_else(PoisonError::into_inner);
        for filter in &old.filters {
            let kept = new.is_some_and(|n| n.filters.iter().any(|f| Arc::ptr_eq(&f.counters, &filter.counters)));
            if !kept && filter.counters.any_requests() {
                retired.push(PendingCounters {
                    account: old.account.clone(),
                    region: old.region.clone(),
                    bucket: bucket.to_owned(),
                    filter_id: filter.id.clone(),
                    counters: filter.counters.clone(),
                });
            }
        }
    }
}

impl BucketMeters {
    /// Takes over the counters of the configurations (same bucket, same id) `old` had.
    fn carrying_over(mut self, old: Option<&BucketMeters>) -> BucketMeters {
        let Some(old) = old.filter(|o| o.bucket_id == self.bucket_id) else {
            return self;
        };
        for filter in &mut self.filters {
            if let Some(previous) = old.filters.iter().find(|f| f.id == filter.id) {
                filter.counters = previous.counters.clone();
            }
        }
        self
    }
}

struct PendingCounters {
    account: String,
    region: String,
    bucket: String,
    filter_id: String,
    counters: Arc<Counters>,
}

fn compile_all(store: &Store) -> Result<HashMap<String, Arc<BucketMeters>>, StoreError> {
    let mut all = HashMap::new();
    let mut after: Option<String> = None;
    loop {
        let page = store.list::<BucketRecord>(BUCKET_SCOPE, "", after.as_deref(), 1000)?;
        let Some((last, _)) = page.last() else {
            return Ok(all);
        };
        after = Some(last.clone());
        for (name, bucket) in page {
            if let Some(meters) = compile(store, &bucket)? {
                all.insert(name, Arc::new(meters));
            }
        }
    }
}

fn compile_bucket(store: &Store, name: &str) -> Result<Option<BucketMeters>, StoreError> {
    match store.get::<BucketRecord>(BUCKET_SCOPE, name)? {
        Some(bucket) => compile(store, &bucket),
        None => Ok(None),
    }
}

fn compile(store: &Store, bucket: &BucketRecord) -> Result<Option<BucketMeters>, StoreError> {
    let Some(configs) = get_config::<MetricsConfigs>(store, &bucket.id)? else {
        return Ok(None);
    };
    if configs.configs.is_empty() {
        return Ok(None);
    }
    let filters = configs
        .configs
        .iter()
        .map(|(id, config)| FilterMeter { id: id.clone(), selector: Selector::of(config), counters: Arc::default() })
        .collect();
    Ok(Some(BucketMeters {
        bucket_id: bucket.id.clone(),
        account: bucket.owner_account.clone(),
        region: bucket.region.clone(),
        filters,
    }))
}

fn elapsed_us(since: Instant) -> u64 {
    u64::try_from(since.elapsed().as_micros()).unwrap_or(u64::MAX)
}

/// A sample count, sum, minimum and maximum, for a CloudWatch statistic set.
#[derive(Debug, Default)]
struct Samples {
    count: AtomicU64,
    sum: AtomicU64,
    /// The minimum plus one: zero after a reading means "none yet".
    min_plus_one: AtomicU64,
    max: AtomicU64,
}

impl Samples {
    fn add(&self, value: u64) {
        let stored = value.saturating_add(1);
        self.min_plus_one
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |m| (m == 0 || stored < m).then_some(stored))
            .ok();
        self.max.fetch_max(value, Ordering::Relaxed);
        self.sum.fetch_add(value, Ordering::Relaxed);
        self.count.fetch_add(1, Ordering::Relaxed);
    }

    /// The statistic set since the last reading, in units of `divisor`; `None` without samples.
    fn take(&self, divisor: f64) -> Option<MetricValue> {
        let count = self.count.swap(0, Ordering::Relaxed);
        let sum = self.sum.swap(0, Ordering::Relaxed);
        let min = self.min_plus_one.swap(0, Ordering::Relaxed).saturating_sub(1);
        let max = self.max.swap(0, Ordering::Relaxed);
        (count > 0).then(|| MetricValue::StatisticSet {
            sample_count: count as f64,
            sum: sum as f64 / divisor,
            minimum: min as f64 / divisor,
            maximum: max as f64 / divisor,
        })
    }
}

/// The counters of one (bucket, configuration).
#[derive(Debug, Default)]
pub(crate) struct Counters {
    all: AtomicU64,
    get: AtomicU64,
    put: AtomicU64,
    delete: AtomicU64,
    head: AtomicU64,
    post: AtomicU64,
    list: AtomicU64,
    client_errors: AtomicU64,
    server_errors: AtomicU64,
    /// Microseconds.
    first_byte_latency: Samples,
    /// Microseconds.
    total_latency: Samples,
    /// Responses with a body: their sizes.
    downloaded: Samples,
    /// Requests with a body: their sizes.
    uploaded: Samples,
}

impl Counters {
    fn request(&self, outcome: &RequestOutcome<'_>, first_byte_us: u64) {
        self.all.fetch_add(1, Ordering::Relaxed);
        let by_kind = match outcome.kind {
            RequestKind::Get => Some(&self.get),
            RequestKind::Put => Some(&self.put),
            RequestKind::Delete => Some(&self.delete),
            RequestKind::Head => Some(&self.head),
            RequestKind::Post => Some(&self.post),
            RequestKind::List => Some(&self.list),
            RequestKind::Other => None,
        };
        if let Some(counter) = by_kind {
            counter.fetch_add(1, Ordering::Relaxed);
        }
        match outcome.status {
            400..=499 => self.client_errors.fetch_add(1, Ordering::Relaxed),
            500..=599 => self.server_errors.fetch_add(1, Ordering::Relaxed),
            _ => 0,
        };
        if let Some(bytes) = outcome.uploaded_bytes.filter(|b| *b > 0) {
            self.uploaded.add(bytes);
        }
        self.first_byte_latency.add(first_byte_us);
    }

    /// A response body fully sent (or abandoned): its size and the request's total time.
    fn response_sent(&self, sent_bytes: u64, total_us: u64) {
        if sent_bytes > 0 {
            self.downloaded.add(sent_bytes);
        }
        self.total_latency.add(total_us);
    }

    fn any_requests(&self) -> bool {
        self.all.load(Ordering::Relaxed) > 0
    }

    /// The datapoints since the last reading, none if there were no requests (AWS publishes
    /// request metrics only for minutes with requests). Per-method counts appear when nonzero;
    /// 4xxErrors and 5xxErrors are per-request samples of 0 or 1, so their Average is the error
    /// rate, as on AWS.
    fn take_datapoints(&self, bucket: &str, filter_id: &str, now_ms: i64) -> Vec<MetricDatum> {
        let take = |c: &AtomicU64| c.swap(0, Ordering::Relaxed);
        let all = take(&self.all);
        let counts = [
            ("GetRequests", take(&self.get)),
            ("PutRequests", take(&self.put)),
            ("DeleteRequests", take(&self.delete)),
            ("HeadRequests", take(&self.head)),
            ("PostRequests", take(&self.post)),
            ("ListRequests", take(&self.list)),
        ];
        let client_errors = take(&self.client_errors);
        let server_errors = take(&self.server_errors);
        let first_byte = self.first_byte_latency.take(1000.0);
        let total = self.total_latency.take(1000.0);
        let downloaded = self.downloaded.take(1.0);
        let uploaded = self.uploaded.take(1.0);
        if all == 0 {
            return Vec::new();
        }
        let datum = |name: &str, value: MetricValue, unit: &str| MetricDatum {
            metric_name: name.to_owned(),
            dimensions: vec![("BucketName".to_owned(), bucket.to_owned()), ("FilterId".to_owned(), filter_id.to_owned())],
            timestamp_ms: now_ms,
            value,
            unit: Some(unit.to_owned()),
            storage_resolution: 60,
        };
        let rate = |errors: u64| MetricValue::StatisticSet {
            sample_count: all as f64,
            sum: errors.min(all) as f64,
            minimum: if errors >= all { 1.0 } else { 0.0 },
            maximum: if errors > 0 { 1.0 } else { 0.0 },
        };
        let mut data = vec![datum("AllRequests", MetricValue::Single { value: all as f64 }, "Count")];
        for (name, count) in counts.into_iter().filter(|(_, c)| *c > 0) {
            data.push(datum(name, MetricValue::Single { value: count as f64 }, "Count"));
        }
        data.push(datum("4xxErrors", rate(client_errors), "Count"));
        data.push(datum("5xxErrors", rate(server_errors), "Count"));
        let optional = [
            ("FirstByteLatency", first_byte, "Milliseconds"),
            ("TotalRequestLatency", total, "Milliseconds"),
            ("BytesDownloaded", downloaded, "Bytes"),
            ("BytesUploaded", uploaded, "Bytes"),
        ];
        for (name, value, unit) in optional {
            if let Some(value) = value {
                data.push(datum(name, value, unit));
            }
        }
        data
    }
}

/// A response body that counts what it sends, and reports when its last byte is out (or it is
/// dropped unfinished: a client that went away).
struct MeteredBody {
    inner: ResponseBody,
    started: Instant,
    counters: Vec<Arc<Counters>>,
    sent_bytes: u64,
    finished: bool,
}

impl MeteredBody {
    fn finish(&mut self) {
        if std::mem::replace(&mut self.finished, true) {
            return;
        }
        let total_us = elapsed_us(self.started);
        for counters in &self.counters {
            counters.response_sent(self.sent_bytes, total_us);
        }
    }
}

impl Body for MeteredBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_frame(cx);
        match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    this.sent_bytes += data.len() as u64;
                }
                if this.inner.is_end_stream() {
                    this.finish();
                }
            }
            Poll::Ready(None | Some(Err(_))) => this.finish(),
            Poll::Pending => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl Drop for MeteredBody {
    fn drop(&mut self) {
        self.finish();
    }
}

/// The request body's length: the decoded length of an aws-chunked body, else Content-Length.
pub(crate) fn upload_size(headers: &http::HeaderMap) -> Option<u64> {
    let number = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    number("x-amz-decoded-content-length").or_else(|| number(http::header::CONTENT_LENGTH.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::metrics_config::MetricsFilterRecord;

    fn selector(filter: Option<MetricsFilterRecord>) -> Selector {
        Selector::of(&MetricsConfigRecord { filter })
    }

    #[test]
    fn selectors_follow_the_filter() {
        let whole = selector(None);
        assert!(whole.selects(None) && whole.selects(Some("any")));
        let empty_prefix = selector(Some(MetricsFilterRecord { prefix: Some(String::new()), ..Default::default() }));
        assert!(empty_prefix.selects(None));
        let prefix = selector(Some(MetricsFilterRecord { prefix: Some("logs/".into()), ..Default::default() }));
        assert!(prefix.selects(Some("logs/a")) && !prefix.selects(Some("img/a")) && !prefix.selects(None));
        let tag = selector(Some(MetricsFilterRecord { tags: vec![("k".into(), "v".into())], ..Default::default() }));
        assert!(tag.selects(Some("anything")) && !tag.selects(None));
        let access_point = selector(Some(MetricsFilterRecord {
            access_point_arn: Some("arn:aws:s3:us-east-1:123456789012:accesspoint/ap".into()),
            ..Default::default()
        }));
        assert!(!access_point.selects(Some("k")) && !access_point.selects(None));
    }

    #[test]
    fn kinds_follow_aws_definitions() {
        use http::Method;
        assert_eq!(RequestKind::of(Some("GetObject"), &Method::GET, true), RequestKind::Get);
        assert_eq!(RequestKind::of(Some("ListParts"), &Method::GET, true), RequestKind::List);
        assert_eq!(RequestKind::of(Some("ListObjectsV2"), &Method::GET, false), RequestKind::List);
        assert_eq!(RequestKind::of(Some("GetBucketTagging"), &Method::GET, false), RequestKind::Other);
        assert_eq!(RequestKind::of(Some("DeleteObjects"), &Method::POST, false), RequestKind::Delete);
        assert_eq!(RequestKind::of(Some("CreateMultipartUpload"), &Method::POST, true), RequestKind::Post);
        assert_eq!(RequestKind::of(Some("HeadBucket"), &Method::HEAD, false), RequestKind::Head);
        assert_eq!(RequestKind::of(None, &Method::PUT, true), RequestKind::Put);
        assert_eq!(RequestKind::of(None, &Method::PUT, false), RequestKind::Other);
    }

    #[test]
    fn a_reading_summarises_and_resets_the_counters() {
        let counters = Counters::default();
        let started = Instant::now();
        let outcome = |kind, status, uploaded| RequestOutcome { key: Some("k"), kind, status, uploaded_bytes: uploaded, started };
        counters.request(&outcome(RequestKind::Get, 200, None), 2_000);
        counters.request(&outcome(RequestKind::Get, 404, None), 1_000);
        counters.request(&outcome(RequestKind::Put, 200, Some(10)), 3_000);
        counters.response_sent(5, 4_000);
        let data = counters.take_datapoints("b", "f", 42);
        let find = |name: &str| data.iter().find(|d| d.metric_name == name).map(|d| d.value.clone());
        assert_eq!(find("AllRequests"), Some(MetricValue::Single { value: 3.0 }));
        assert_eq!(find("GetRequests"), Some(MetricValue::Single { value: 2.0 }));
        assert_eq!(find("PutRequests"), Some(MetricValue::Single { value: 1.0 }));
        assert_eq!(find("DeleteRequests"), None);
        assert_eq!(find("4xxErrors"), Some(MetricValue::StatisticSet { sample_count: 3.0, sum: 1.0, minimum: 0.0, maximum: 1.0 }));
        assert_eq!(find("5xxErrors"), Some(MetricValue::StatisticSet { sample_count: 3.0, sum: 0.0, minimum: 0.0, maximum: 0.0 }));
        assert_eq!(find("FirstByteLatency"), Some(MetricValue::StatisticSet { sample_count: 3.0, sum: 6.0, minimum: 1.0, maximum: 3.0 }));
        assert_eq!(find("TotalRequestLatency"), Some(MetricValue::StatisticSet { sample_count: 1.0, sum: 4.0, minimum: 4.0, maximum: 4.0 }));
        assert_eq!(find("BytesUploaded"), Some(MetricValue::StatisticSet { sample_count: 1.0, sum: 10.0, minimum: 10.0, maximum: 10.0 }));
        assert_eq!(find("BytesDownloaded"), Some(MetricValue::StatisticSet { sample_count: 1.0, sum: 5.0, minimum: 5.0, maximum: 5.0 }));
        assert!(data.iter().all(|d| d.timestamp_ms == 42
            && d.dimensions == [("BucketName".to_owned(), "b".to_owned()), ("FilterId".to_owned(), "f".to_owned())]));
        assert!(counters.take_datapoints("b", "f", 43).is_empty(), "a quiet minute publishes nothing");
    }
}
