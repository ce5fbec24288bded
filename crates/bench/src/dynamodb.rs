//! The DynamoDB suite, over DynamoDB's JSON protocol (`X-Amz-Target:
//! DynamoDB_20120810.<Op>`, awsJson 1.0), on a server of its own with a durable store:
//!
//! 1. **PutItem** of one ~200-byte item (the same signed request replayed, overwriting it)
//!    and **GetItem** of another, each from several closed-loop clients;
//! 2. **BatchWriteItem** of many small items, 25 per request, signed per request, from the
//!    same clients at once, resending what a server leaves in `UnprocessedItems`; a server
//!    still loading after a cap is stopped there ([`bulk`]);
//! 3. **Query** of one partition (100 items) at a time on the loaded table, one client,
//!    closed loop, each answer's `Count` checked ([`bulk`]).
//!
//! Before each load, one call is checked end to end (the item read back, a batch's item
//! read back, a partition's items queried back), so a server answering 200 without the data
//! cannot pass. What fails is recorded per measurement and the suite goes on: a server
//! without BatchWriteItem or Query says "not implemented" in those rows only.

mod bulk;

use std::net::SocketAddr;
use std::ops::Range;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, StatusCode};
use serde_json::{Value, json};

use crate::Plan;
use crate::load::{self, Client, LoadResult, LoadShape, Tally, Window, http_error};
use crate::requests::{self, Answer, ContentSha256, SignedRequest, ToSign};
use crate::sqs::{SetupFailure, says_not_implemented};

pub use bulk::{BulkLoad, QueryResults};

/// Names of the two replayed loads, in the table and on stderr.
pub const PUT: &str = "DynamoDB PutItem ~200 B";
pub const GET: &str = "DynamoDB GetItem ~200 B";
pub const TABLE: &str = "nimbus-bench-items";
/// The partition key of the item the PutItem load overwrites, and of the one GetItem reads.
const PUT_KEY: &str = "bench-put";
const GET_KEY: &str = "bench-get";
/// Items per BatchWriteItem, DynamoDB's limit.
pub const BATCH: u64 = 25;
/// Items per partition key of the bulk load: what one Query returns.
pub const ITEMS_PER_PARTITION: u64 = 100;
/// Length of the bulk items' `payload` string, which makes each item ~110 bytes.
const PAYLOAD_BYTES: usize = 90;
/// Length of the PutItem/GetItem item's `bio`, which makes the item 200 bytes.
const BIO_BYTES: usize = 92;
/// A new table gets this long to become ACTIVE.
const TABLE_ACTIVE_TIMEOUT: Duration = Duration::from_secs(30);

/// How the DynamoDB suite is run.
#[derive(Debug, Clone, Copy)]
pub struct DynamoShape {
    /// Concurrent clients of the PutItem, GetItem and BatchWriteItem loads.
    pub clients: usize,
    /// Items the BatchWriteItem load writes.
    pub items: u64,
    /// The BatchWriteItem load (and the Query phase) stop after this long.
    pub load_cap: Duration,
    /// Queries of the Query phase.
    pub queries: usize,
}

/// What the DynamoDB suite measured on one server: each measurement, or why it has none.
#[derive(Debug, Clone)]
pub struct DynamoResults {
    pub put: Result<LoadResult, SetupFailure>,
    pub get: Result<LoadResult, SetupFailure>,
    pub bulk: Result<BulkLoad, SetupFailure>,
    pub query: Result<QueryResults, SetupFailure>,
    /// VmRSS right after the loads, in KiB.
    pub rss_after_kib: Option<u64>,
}

impl DynamoResults {
    /// Nothing measured, for one reason (the server did not start, the table failed).
    pub fn not_run(failure: SetupFailure) -> Self {
        DynamoResults {
            put: Err(failure.clone()),
            get: Err(failure.clone()),
            bulk: Err(failure.clone()),
            query: Err(failure),
            rss_after_kib: None,
        }
    }
}

/// A DynamoDB JSON-protocol call with `body`, signed for `addr` as an SDK signs it.
fn call(
    label: &'static str,
    addr: SocketAddr,
    operation: &str,
    body: Vec<u8>,
) -> anyhow::Result<SignedRequest> {
    let mut headers = HeaderMap::new();
    headers.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-amz-json-1.0"),
    );
    headers.insert(
        "x-amz-target",
        HeaderValue::from_str(&format!("DynamoDB_20120810.{operation}"))?,
    );
    requests::sign_with_headers(
        addr,
        ToSign {
            label,
            service: "dynamodb",
            method: Method::POST,
            path: "/",
            query: "",
            headers,
            body: body.into(),
            content_sha256: ContentSha256::Absent,
        },
    )
}

fn call_json(
    label: &'static str,
    addr: SocketAddr,
    operation: &str,
    input: &Value,
) -> anyhow::Result<SignedRequest> {
    call(label, addr, operation, serde_json::to_vec(input)?)
}

/// `prefix` padded with letters to `len` bytes (ASCII, nothing to escape in JSON).
fn padded(prefix: &str, len: usize) -> String {
    let mut text = prefix.to_owned();
    while text.len() < len {
        text.push(char::from(b'a' + (text.len() % 26) as u8));
    }
    text.truncate(len);
    text
}

/// The PutItem/GetItem item (200 bytes by DynamoDB's size rules): keys, four scalar
/// attributes of three types.
pub fn record_item(pk: &str) -> Value {
    json!({
        "pk": { "S": pk },
        "sk": { "N": "1" },
        "name": { "S": "Ada Lovelace, Analytical Engine programme" },
        "email": { "S": "ada.lovelace@example.com" },
        "score": { "N": "31415" },
        "active": { "BOOL": true },
        "bio": { "S": padded("Wrote the first published algorithm for a machine. ", BIO_BYTES) },
    })
}

/// The partition key of the bulk load's partition `partition`.
pub fn partition_key(partition: u64) -> String {
    format!("p{partition:05}")
}

/// The payload of bulk item `n`: distinct per item.
fn payload(n: u64) -> String {
    padded(
        &format!("item {n} of the nimbus-bench load "),
        PAYLOAD_BYTES,
    )
}

/// Bulk item `n` as JSON text: partition `n / 100`, sort key `n % 100`, a payload. Written
/// by hand, not through `serde_json::Value`: the load builds a million of them on the
/// client's one thread, beside the server.
pub fn load_item(n: u64) -> String {
    format!(
        r#"{{"pk":{{"S":"{}"}},"sk":{{"N":"{}"}},"payload":{{"S":"{}"}}}}"#,
        partition_key(n / ITEMS_PER_PARTITION),
        n % ITEMS_PER_PARTITION,
        payload(n)
    )
}

/// A BatchWriteItem body putting the bulk items `items`.
pub fn batch_body(items: Range<u64>) -> String {
    let mut body = format!(r#"{{"RequestItems":{{"{TABLE}":["#);
    for (i, n) in items.enumerate() {
        if i > 0 {
            body.push(',');
        }
        body.push_str(r#"{"PutRequest":{"Item":"#);
        body.push_str(&load_item(n));
        body.push_str("}}");
    }
    body.push_str("]}}");
    body
}

fn put_item(addr: SocketAddr, pk: &str) -> anyhow::Result<SignedRequest> {
    call_json(
        "dynamodb:PutItem",
        addr,
        "PutItem",
        &json!({ "TableName": TABLE, "Item": record_item(pk) }),
    )
}

fn get_item(addr: SocketAddr, key: Value) -> anyhow::Result<SignedRequest> {
    call_json(
        "dynamodb:GetItem",
        addr,
        "GetItem",
        &json!({ "TableName": TABLE, "Key": key }),
    )
}

/// The answer's JSON, if it is a 200 with a JSON object.
fn ok_json(answer: &Answer, operation: &str) -> Result<Value, String> {
    if answer.status != StatusCode::OK {
        return Err(http_error(answer));
    }
    serde_json::from_slice::<Value>(&answer.body)
        .ok()
        .filter(Value::is_object)
        .ok_or_else(|| format!("{operation}: 200 without a JSON object"))
}

/// One call on a fresh client, insisting on a 200 with JSON.
async fn expect_json(addr: SocketAddr, request: &SignedRequest) -> anyhow::Result<Value> {
    let answer = requests::send_once(addr, request)
        .await
        .with_context(|| format!("{} to {addr}", request.label))?;
    ok_json(&answer, request.label)
        .map_err(|why| anyhow::anyhow!("{} answered {why}", request.label))
}

/// A setup error as a [`SetupFailure`], saying whether the server does not implement it.
fn setup_failure(error: &anyhow::Error) -> SetupFailure {
    let why = format!("{error:#}");
    SetupFailure {
        not_implemented: says_not_implemented(&why),
        why,
    }
}

/// CreateTable (`pk` S hash, `sk` N range, on demand), then DescribeTable until ACTIVE.
async fn create_table(addr: SocketAddr) -> anyhow::Result<()> {
    let input = json!({
        "TableName": TABLE,
        "AttributeDefinitions": [
            { "AttributeName": "pk", "AttributeType": "S" },
            { "AttributeName": "sk", "AttributeType": "N" },
        ],
        "KeySchema": [
            { "AttributeName": "pk", "KeyType": "HASH" },
            { "AttributeName": "sk", "KeyType": "RANGE" },
        ],
        "BillingMode": "PAY_PER_REQUEST",
    });
    expect_json(
        addr,
        &call_json("dynamodb:CreateTable", addr, "CreateTable", &input)?,
    )
    .await?;
    let deadline = Instant::now() + TABLE_ACTIVE_TIMEOUT;
    loop {
        let describe = call_json(
            "dynamodb:DescribeTable",
            addr,
            "DescribeTable",
            &json!({ "TableName": TABLE }),
        )?;
        let described = expect_json(addr, &describe).await?;
        match described
            .pointer("/Table/TableStatus")
            .and_then(Value::as_str)
        {
            Some("ACTIVE") => return Ok(()),
            Some(_) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            status => bail!(
                "the table is not ACTIVE after {} s: TableStatus {status:?}",
                TABLE_ACTIVE_TIMEOUT.as_secs()
            ),
        }
    }
}

/// The table, and the GetItem load's item put and read back with the load's own request:
/// returns that answer's bytes, which the load's answers are compared with.
async fn prepare(addr: SocketAddr) -> Result<Bytes, SetupFailure> {
    let setup = async {
        create_table(addr).await?;
        expect_json(addr, &put_item(addr, GET_KEY)?).await?;
        let get = get_item(addr, record_key(GET_KEY))?;
        let answer = requests::send_once(addr, &get)
            .await
            .with_context(|| format!("{} to {addr}", get.label))?;
        let output = ok_json(&answer, get.label).map_err(anyhow::Error::msg)?;
        if output.get("Item") != Some(&record_item(GET_KEY)) {
            bail!("GetItem answered another item than was put: {output}");
        }
        anyhow::Ok(answer.body)
    };
    setup.await.map_err(|error| setup_failure(&error))
}

fn record_key(pk: &str) -> Value {
    json!({ "pk": { "S": pk }, "sk": { "N": "1" } })
}

/// What a replayed load's answers must be.
enum Expect {
    /// A 200 (PutItem answers `{}`).
    Ok,
    /// A 200 with this item: the bytes of the checked answer, or (a server may order the
    /// attributes differently each time) a JSON answer whose `Item` is this one.
    Item { body: Bytes, item: Value },
}

impl Expect {
    fn check(&self, answer: &Answer) -> Result<(), String> {
        if answer.status != StatusCode::OK {
            return Err(http_error(answer));
        }
        match self {
            Expect::Ok => Ok(()),
            Expect::Item { body, .. } if answer.body == *body => Ok(()),
            Expect::Item { item, .. } => {
                let output: Option<Value> = serde_json::from_slice(&answer.body).ok();
                match output.as_ref().and_then(|o| o.get("Item")) {
                    Some(got) if got == item => Ok(()),
                    _ => Err("GetItem answered another item than was put".to_owned()),
                }
            }
        }
    }
}

/// One replayed request from `shape.connections` closed-loop clients, answers checked.
async fn run_replay(
    addr: SocketAddr,
    request: SignedRequest,
    expect: Expect,
    shape: LoadShape,
    (server_pid, plan): (u32, &Plan),
) -> anyhow::Result<LoadResult> {
    let (request, expect) = (Arc::new(request), Arc::new(expect));
    load::run_workers(shape, server_pid, plan.cpu_clock, |window| {
        replay_loop(addr, request.clone(), expect.clone(), window)
    })
    .await
}

async fn replay_loop(
    addr: SocketAddr,
    request: Arc<SignedRequest>,
    expect: Arc<Expect>,
    window: Window,
) -> Tally {
    let mut tally = Tally::default();
    let mut client = Client::new(addr, Some(window));
    loop {
        let sent = Instant::now();
        if sent >= window.end {
            break;
        }
        let outcome = match client.send(&request).await {
            Ok(answer) => expect.check(&answer),
            Err(error) => Err(format!("{error:#}")),
        };
        let done = Instant::now();
        match outcome {
            Ok(()) if window.contains(done) => tally.done(done.duration_since(sent), 1),
            Ok(()) => {}
            Err(why) => tally.error(why),
        }
    }
    tally.finish(&client)
}

/// The whole suite on a started server at `addr` (process `server_pid`).
pub async fn measure(addr: SocketAddr, server_pid: u32, plan: &Plan, name: &str) -> DynamoResults {
    let shape = plan.dynamodb;
    let reference = match prepare(addr).await {
        Ok(body) => body,
        Err(failure) => {
            let what = if failure.not_implemented {
                "not implemented"
            } else {
                "setting up the table"
            };
            eprintln!("{name}: DynamoDB: {what}: {}", failure.why);
            return DynamoResults::not_run(failure);
        }
    };
    eprintln!("{name}: DynamoDB: table created, an item put and read back intact");
    let load_shape = LoadShape {
        connections: shape.clients,
        ..plan.shape
    };
    let server = (server_pid, plan);
    // Each is signed just before its run, so the signature is fresh for the whole window.
    let put = match put_item(addr, PUT_KEY) {
        Ok(request) => run_replay(addr, request, Expect::Ok, load_shape, server).await,
        Err(error) => Err(error),
    };
    let put = loaded(name, PUT, put);
    let get = match get_item(addr, record_key(GET_KEY)) {
        Ok(request) => {
            let expect = Expect::Item {
                body: reference,
                item: record_item(GET_KEY),
            };
            run_replay(addr, request, expect, load_shape, server).await
        }
        Err(error) => Err(error),
    };
    let get = loaded(name, GET, get);
    let (bulk, partitions) = bulk::measure_load(addr, shape, server, name).await;
    let query = bulk::measure_query(addr, shape, server, &partitions, name).await;
    DynamoResults {
        put,
        get,
        bulk,
        query,
        rss_after_kib: crate::procfs::rss_kib(&crate::procfs::process_tree(server_pid)).ok(),
    }
}

/// A replayed load's outcome, with its progress line.
fn loaded(
    name: &str,
    label: &str,
    outcome: anyhow::Result<LoadResult>,
) -> Result<LoadResult, SetupFailure> {
    match outcome {
        Ok(result) => {
            let ms = |q| result.latency_quantile(q).unwrap_or_default().as_secs_f64() * 1000.0;
            eprintln!(
                "{name}: {label}: {:.0} req/s, p50 {:.2} ms, p99 {:.2} ms, {} errors, server {:.2} cores, load generator {:.2} cores",
                result.requests_per_second(),
                ms(0.5),
                ms(0.99),
                result.errors,
                result.server_cpu_share(),
                result.client_cpu_share(),
            );
            Ok(result)
        }
        Err(error) => {
            eprintln!("{name}: {label}: {error:#}");
            Err(setup_failure(&error))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An item's size by DynamoDB's rules, for the scalar types the suite writes: names'
    /// and strings' UTF-8 bytes, a number's significant digits / 2 + 1, a boolean's 1.
    fn item_size(item: &Value) -> usize {
        let item = item.as_object().expect("an item is a map");
        item.iter()
            .map(|(name, value)| {
                let value = if let Some(s) = value.get("S").and_then(Value::as_str) {
                    s.len()
                } else if let Some(n) = value.get("N").and_then(Value::as_str) {
                    let digits = n.trim_start_matches('0').trim_end_matches('0').len().max(1);
                    digits.div_ceil(2) + 1
                } else if value.get("BOOL").is_some() {
                    1
                } else {
                    panic!("an attribute of another type: {value}")
                };
                name.len() + value
            })
            .sum()
    }

    #[test]
    fn the_put_and_get_item_is_about_200_bytes() {
        let item = record_item(GET_KEY);
        assert_eq!(item_size(&item), 200);
        assert_eq!(item_size(&record_item(PUT_KEY)), 200);
        assert_eq!(item["bio"]["S"].as_str().unwrap().len(), BIO_BYTES);
    }

    #[test]
    fn bulk_items_are_valid_json_in_their_partition_and_100_to_150_bytes() {
        for n in [0, 1, 99, 100, 12_345, 999_999] {
            let item: Value = serde_json::from_str(&load_item(n)).unwrap();
            assert_eq!(item["pk"]["S"], partition_key(n / 100));
            assert_eq!(item["sk"]["N"], (n % 100).to_string());
            let size = item_size(&item);
            assert!((100..=150).contains(&size), "item {n} is {size} bytes");
        }
        assert_eq!(partition_key(42), "p00042");
        assert_ne!(load_item(1), load_item(2));
    }

    #[test]
    fn a_batch_body_puts_each_item_of_its_range() {
        let body: Value = serde_json::from_str(&batch_body(25..50)).unwrap();
        let requests = body["RequestItems"][TABLE].as_array().unwrap();
        assert_eq!(requests.len(), BATCH as usize);
        for (request, n) in requests.iter().zip(25..) {
            let item: Value = serde_json::from_str(&load_item(n)).unwrap();
            assert_eq!(request["PutRequest"]["Item"], item);
        }
    }

    #[test]
    fn a_get_answer_passes_with_the_same_item_in_another_order() {
        let item = record_item(GET_KEY);
        let reference = serde_json::to_vec(&json!({ "Item": item })).unwrap();
        let expect = Expect::Item {
            body: reference.clone().into(),
            item: item.clone(),
        };
        let answer = |body: Vec<u8>| Answer {
            status: StatusCode::OK,
            body: body.into(),
            keep_alive: true,
        };
        assert_eq!(expect.check(&answer(reference)), Ok(()));
        // Attributes in reverse order: other bytes, the same item.
        let mut reversed = String::from(r#"{"Item":{"#);
        let members: Vec<String> = item
            .as_object()
            .unwrap()
            .iter()
            .rev()
            .map(|(k, v)| format!("{}:{v}", Value::from(k.as_str())))
            .collect();
        reversed.push_str(&members.join(","));
        reversed.push_str("}}");
        assert_eq!(expect.check(&answer(reversed.into_bytes())), Ok(()));
        assert!(expect.check(&answer(b"{}".to_vec())).is_err());
        let not_found = Answer {
            status: StatusCode::BAD_REQUEST,
            body: Bytes::from_static(b"{}"),
            keep_alive: true,
        };
        assert!(
            expect
                .check(&not_found)
                .unwrap_err()
                .starts_with("HTTP 400")
        );
    }
}
