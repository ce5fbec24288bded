//! The service called directly: an ephemeral store, a fixed clock, calls recorded through the
//! recorder as the server hands them over, and a fake S3 on the event bus.

use std::collections::HashSet;
use std::io::Read;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use nimbus_core::{ApiCall, AuditSink, Clock, Delivery, DeliveryError, EventBus, Interest, Principal, RequestContext, Service};
use nimbus_store::Store;
use serde_json::{Value, json};
use time::macros::datetime;

use crate::CloudTrail;

const ACCOUNT: &str = "000000000000";
const REGION: &str = "us-east-1";

/// S3 as CloudTrail sees it through the bus: which buckets exist, what was written.
#[derive(Default)]
struct FakeS3 {
    buckets: HashSet<String>,
    objects: Mutex<Vec<(String, String, Vec<u8>)>>,
}

#[async_trait::async_trait]
impl EventBus for FakeS3 {
    async fn deliver(&self, delivery: &Delivery) -> Result<(), DeliveryError> {
        let Delivery::Object { bucket, key, body, content_encoding, .. } = delivery else { panic!("{delivery:?}") };
        assert_eq!(content_encoding.as_deref(), Some("gzip"));
        if !self.buckets.contains(bucket) {
            return Err(DeliveryError::Permanent(format!("bucket {bucket} does not exist")));
        }
        self.objects.lock().unwrap().push((bucket.clone(), key.clone(), body.clone()));
        Ok(())
    }

    fn target_exists(&self, delivery: &Delivery) -> Option<bool> {
        let Delivery::Object { bucket, .. } = delivery else { return None };
        Some(self.buckets.contains(bucket))
    }
}

impl FakeS3 {
    /// The records of every file written, in order.
    fn records(&self) -> Vec<Value> {
        let mut out = Vec::new();
        for (_, _, body) in self.objects.lock().unwrap().iter() {
            let mut text = String::new();
            flate2::read::GzDecoder::new(&body[..]).read_to_string(&mut text).unwrap();
            let doc: Value = serde_json::from_str(&text).unwrap();
            out.extend(doc["Records"].as_array().unwrap().iter().cloned());
        }
        out
    }
}

struct Harness {
    trail: CloudTrail,
    clock: Clock,
    s3: Arc<FakeS3>,
}

fn harness() -> Harness {
    let store = Store::open_ephemeral().unwrap();
    let clock = Clock::fixed(datetime!(2024-01-01 00:00 UTC));
    let s3 = Arc::new(FakeS3 { buckets: ["trail-logs".to_owned()].into(), ..Default::default() });
    let trail = CloudTrail::new(store, clock.clone()).with_event_bus(s3.clone());
    Harness { trail, clock, s3 }
}

fn ctx() -> RequestContext {
    RequestContext::for_tests("cloudtrail", "-")
}

fn user(name: &str, key: &str) -> Principal {
    Principal {
        arn: format!("arn:aws:iam::{ACCOUNT}:user/{name}"),
        user_id: format!("AIDA{}", name.to_uppercase()),
        access_key_id: Some(key.to_owned()),
        verified: true,
        session: None,
    }
}

fn call(service: &str, operation: &str, params: Value) -> ApiCall {
    ApiCall {
        event_time_ms: 0,
        service: service.to_owned(),
        event_source: format!("{service}.amazonaws.com"),
        operation: operation.to_owned(),
        account_id: ACCOUNT.to_owned(),
        region: REGION.to_owned(),
        principal: Some(Principal::account_root(ACCOUNT)),
        source_ip: Some("10.0.0.1".parse().unwrap()),
        user_agent: Some("test-agent".to_owned()),
        request_id: nimbus_core::ids::request_id(),
        request_parameters: Some(params),
        response_elements: None,
        error: None,
    }
}

impl Harness {
    /// Records a call at the clock's now, as the server would, and writes it.
    fn record(&self, mut call: ApiCall) {
        call.event_time_ms = self.clock.now_millis();
        self.trail.recorder().record(call);
        self.trail.recorder().flush();
    }

    async fn invoke(&self, operation: &str, input: Value) -> Result<Value, nimbus_core::ServiceError> {
        self.trail.call(&ctx(), operation, input).await
    }

    async fn lookup(&self, input: Value) -> Vec<Value> {
        self.invoke("LookupEvents", input).await.unwrap()["Events"].as_array().unwrap().clone()
    }

    async fn lookup_by(&self, key: &str, value: &str) -> Vec<String> {
        let events = self.lookup(json!({"LookupAttributes": [{"AttributeKey": key, "AttributeValue": value}]})).await;
        events.iter().map(|e| e["EventName"].as_str().unwrap().to_owned()).collect()
    }

    async fn create_trail(&self, name: &str) -> Value {
        self.invoke("CreateTrail", json!({"Name": name, "S3BucketName": "trail-logs"})).await.unwrap()
    }

    fn advance(&self, minutes: u64) {
        self.clock.advance(Duration::from_secs(minutes * 60));
    }
}

fn code(result: Result<Value, nimbus_core::ServiceError>) -> String {
    result.unwrap_err().code.into_owned()
}

#[tokio::test]
async fn lookup_by_every_attribute() {
    let h = harness();
    let mut secret = call("secretsmanager", "CreateSecret", json!({"name": "db", "secretString": "HIDDEN_DUE_TO_SECURITY_REASONS"}));
    secret.principal = Some(user("alice", "AKIAALICE"));
    h.record(secret);
    h.advance(1);
    h.record(call("sqs", "CreateQueue", json!({"queueName": "jobs"})));
    h.advance(1);
    h.record(call("kms", "Encrypt", json!({"keyId": "alias/app"})));
    h.advance(1);
    h.record(call("dynamodb", "PutItem", json!({"tableName": "t", "key": {"id": "1"}})));

    let all = h.lookup(json!({})).await;
    let names: Vec<&str> = all.iter().map(|e| e["EventName"].as_str().unwrap()).collect();
    assert_eq!(names, ["Encrypt", "CreateQueue", "CreateSecret"], "newest first; data events never in event history");

    assert_eq!(h.lookup_by("EventName", "CreateQueue").await, ["CreateQueue"]);
    assert_eq!(h.lookup_by("EventSource", "kms.amazonaws.com").await, ["Encrypt"]);
    assert_eq!(h.lookup_by("ReadOnly", "true").await, ["Encrypt"]);
    assert_eq!(h.lookup_by("ReadOnly", "false").await, ["CreateQueue", "CreateSecret"]);
    assert_eq!(h.lookup_by("Username", "alice").await, ["CreateSecret"]);
    assert_eq!(h.lookup_by("Username", "root").await, ["Encrypt", "CreateQueue"]);
    assert_eq!(h.lookup_by("AccessKeyId", "AKIAALICE").await, ["CreateSecret"]);
    assert_eq!(h.lookup_by("ResourceType", "AWS::SQS::Queue").await, ["CreateQueue"]);
    assert_eq!(h.lookup_by("ResourceName", "db").await, ["CreateSecret"]);
    let id = all[2]["EventId"].as_str().unwrap();
    assert_eq!(h.lookup_by("EventId", id).await, ["CreateSecret"]);

    let event = &all[2];
    assert_eq!(event["Username"], "alice");
    assert_eq!(event["AccessKeyId"], "AKIAALICE");
    assert_eq!(event["ReadOnly"], "false");
    assert_eq!(event["Resources"], json!([{"ResourceType": "AWS::SecretsManager::Secret", "ResourceName": "db"}]));
    let record: Value = serde_json::from_str(event["CloudTrailEvent"].as_str().unwrap()).unwrap();
    assert_eq!(record["userIdentity"]["type"], "IAMUser");
    assert_eq!(record["userIdentity"]["userName"], "alice");
    assert_eq!(record["requestParameters"]["secretString"], "HIDDEN_DUE_TO_SECURITY_REASONS");
    assert_eq!(record["sourceIPAddress"], "10.0.0.1");
    assert_eq!(record["userAgent"], "test-agent");
    assert_eq!(record["eventID"], id);
    assert_eq!(record["eventTime"], "2024-01-01T00:00:00Z");

    let two = json!({"LookupAttributes": [{"AttributeKey": "EventName", "AttributeValue": "a"}, {"AttributeKey": "Username", "AttributeValue": "b"}]});
    assert_eq!(code(h.invoke("LookupEvents", two).await), "InvalidLookupAttributesException");
    let bad = json!({"LookupAttributes": [{"AttributeKey": "ReadOnly", "AttributeValue": "maybe"}]});
    assert_eq!(code(h.invoke("LookupEvents", bad).await), "InvalidLookupAttributesException");
}

#[tokio::test]
async fn pages_of_fifty_with_tokens_tied_to_the_query() {
    let h = harness();
    for i in 0..120 {
        h.record(call("sqs", "CreateQueue", json!({"queueName": format!("q{i}")})));
        h.clock.advance(Duration::from_secs(1));
    }
    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    let mut pages = Vec::new();
    loop {
        let mut input = json!({"MaxResults": 50});
        if let Some(t) = &token {
            input["NextToken"] = json!(t);
        }
        let page = h.invoke("LookupEvents", input).await.unwrap();
        let events = page["Events"].as_array().unwrap();
        pages.push(events.len());
        seen.extend(events.iter().map(|e| e["Resources"][0]["ResourceName"].as_str().unwrap().to_owned()));
        token = page.get("NextToken").and_then(Value::as_str).map(str::to_owned);
        if token.is_none() {
            break;
        }
    }
    assert_eq!(pages, [50, 50, 20]);
    assert_eq!(seen.first().map(String::as_str), Some("q119"));
    assert_eq!(seen.last().map(String::as_str), Some("q0"));
    assert_eq!(seen.iter().collect::<HashSet<_>>().len(), 120);

    let first = h.invoke("LookupEvents", json!({"MaxResults": 10})).await.unwrap();
    let other_query = json!({"MaxResults": 10, "NextToken": first["NextToken"], "LookupAttributes": [{"AttributeKey": "EventName", "AttributeValue": "CreateQueue"}]});
    assert_eq!(code(h.invoke("LookupEvents", other_query).await), "InvalidNextTokenException");
    assert_eq!(code(h.invoke("LookupEvents", json!({"NextToken": "garbage"})).await), "InvalidNextTokenException");
    assert_eq!(code(h.invoke("LookupEvents", json!({"MaxResults": 51})).await), "InvalidMaxResultsException");
    assert_eq!(code(h.invoke("LookupEvents", json!({"MaxResults": 0})).await), "InvalidMaxResultsException");
}

#[tokio::test]
async fn time_ranges_categories_and_retention() {
    let h = harness();
    let start = h.clock.now_millis() / 1000;
    for name in ["a", "b", "c"] {
        h.record(call("sqs", "CreateQueue", json!({"queueName": name})));
        h.advance(60);
    }
    let names = |events: Vec<Value>| events.iter().map(|e| e["Resources"][0]["ResourceName"].as_str().unwrap().to_owned()).collect::<Vec<_>>();
    assert_eq!(names(h.lookup(json!({"StartTime": start + 3600})).await), ["c", "b"]);
    assert_eq!(names(h.lookup(json!({"EndTime": start + 3600})).await), ["b", "a"]);
    assert_eq!(names(h.lookup(json!({"StartTime": start + 1, "EndTime": start + 3600})).await), ["b"]);
    assert_eq!(code(h.invoke("LookupEvents", json!({"StartTime": start + 10, "EndTime": start})).await), "InvalidTimeRangeException");
    assert!(h.lookup(json!({"EventCategory": "insight"})).await.is_empty(), "no Insights events");

    // 90 days on, the sweeper trims them away.
    h.advance(89 * 24 * 60);
    h.trail.sweep().await;
    assert_eq!(h.lookup(json!({})).await.len(), 3);
    h.advance(2 * 24 * 60);
    h.trail.sweep().await;
    assert!(h.lookup(json!({})).await.is_empty());
}

#[tokio::test]
async fn history_is_per_region_and_iam_is_global() {
    let h = harness();
    let mut elsewhere = call("sqs", "CreateQueue", json!({"queueName": "eu"}));
    elsewhere.region = "eu-west-1".into();
    h.record(elsewhere);
    let mut iam = call("iam", "CreateUser", json!({"userName": "bob"}));
    iam.region = "eu-west-1".into();
    h.record(iam);
    let events = h.lookup(json!({})).await;
    assert_eq!(events.len(), 1, "only us-east-1's events here");
    assert_eq!(events[0]["EventName"], "CreateUser");
}

#[tokio::test]
async fn responses_errors_and_read_only() {
    let h = harness();
    let mut write = call("sqs", "CreateQueue", json!({"queueName": "q"}));
    write.response_elements = Some(json!({"queueUrl": "http://x/000000000000/q"}));
    h.record(write);
    h.advance(1);
    let mut read = call("secretsmanager", "GetSecretValue", json!({"secretId": "db"}));
    read.response_elements = Some(json!({"secretString": "HIDDEN_DUE_TO_SECURITY_REASONS"}));
    h.record(read);
    h.advance(1);
    let mut denied = call("sqs", "DeleteQueue", json!({"queueUrl": "http://x/000000000000/q"}));
    denied.error = Some(("AccessDenied".into(), "User: ... is not authorized".into()));
    h.record(denied);
    let records: Vec<Value> =
        h.lookup(json!({})).await.iter().map(|e| serde_json::from_str(e["CloudTrailEvent"].as_str().unwrap()).unwrap()).collect();
    assert_eq!(records[0]["errorCode"], "AccessDenied");
    assert_eq!(records[0]["errorMessage"], "User: ... is not authorized");
    assert_eq!(records[0]["responseElements"], Value::Null);
    assert_eq!(records[1]["readOnly"], true);
    assert_eq!(records[1]["responseElements"], Value::Null, "AWS leaves responseElements out of read-only calls");
    assert_eq!(records[2]["responseElements"]["queueUrl"], "http://x/000000000000/q");
    assert!(records[2].get("errorCode").is_none());
}

#[tokio::test]
async fn trail_crud_and_errors() {
    let h = harness();
    let created = h.create_trail("main").await;
    assert_eq!(created["TrailARN"], "arn:aws:cloudtrail:us-east-1:000000000000:trail/main");
    assert_eq!(created["IncludeGlobalServiceEvents"], true);
    assert_eq!(code(h.invoke("CreateTrail", json!({"Name": "main", "S3BucketName": "trail-logs"})).await), "TrailAlreadyExistsException");
    assert_eq!(code(h.invoke("CreateTrail", json!({"Name": "x-", "S3BucketName": "trail-logs"})).await), "InvalidTrailNameException");
    assert_eq!(code(h.invoke("CreateTrail", json!({"Name": "nob", "S3BucketName": "missing"})).await), "S3BucketDoesNotExistException");
    assert_eq!(code(h.invoke("CreateTrail", json!({"Name": "bad", "S3BucketName": "Bad_Name"})).await), "InvalidS3BucketNameException");
    let org = json!({"Name": "org", "S3BucketName": "trail-logs", "IsOrganizationTrail": true});
    assert_eq!(code(h.invoke("CreateTrail", org).await), "OrganizationsNotInUseException");
    for i in 2..=5 {
        h.create_trail(&format!("trail{i}")).await;
    }
    assert_eq!(code(h.invoke("CreateTrail", json!({"Name": "sixth", "S3BucketName": "trail-logs"})).await), "MaximumNumberOfTrailsExceededException");

    let got = h.invoke("GetTrail", json!({"Name": "main"})).await.unwrap();
    assert_eq!(got["Trail"]["HomeRegion"], "us-east-1");
    assert_eq!(got["Trail"]["HasCustomEventSelectors"], false);
    let by_arn = h.invoke("GetTrail", json!({"Name": "arn:aws:cloudtrail:us-east-1:000000000000:trail/main"})).await.unwrap();
    assert_eq!(by_arn, got);
    assert_eq!(code(h.invoke("GetTrail", json!({"Name": "arn:aws:cloudtrail:us-east-1:111122223333:trail/main"})).await), "TrailNotFoundException");
    assert_eq!(code(h.invoke("GetTrail", json!({"Name": "arn:aws:sqs:us-east-1:0:q"})).await), "CloudTrailARNInvalidException");
    assert_eq!(code(h.invoke("GetTrail", json!({"Name": "nosuch"})).await), "TrailNotFoundException");

    let updated = h.invoke("UpdateTrail", json!({"Name": "main", "S3KeyPrefix": "audit", "IsMultiRegionTrail": true})).await.unwrap();
    assert_eq!((updated["S3KeyPrefix"].as_str(), updated["IsMultiRegionTrail"].as_bool()), (Some("audit"), Some(true)));
    let listed = h.invoke("ListTrails", json!({})).await.unwrap();
    assert_eq!(listed["Trails"].as_array().unwrap().len(), 5);
    let described = h.invoke("DescribeTrails", json!({"trailNameList": ["main", "nosuch"]})).await.unwrap();
    assert_eq!(described["trailList"].as_array().unwrap().len(), 1);
    let other_region = RequestContext { region: "eu-west-1".into(), ..ctx() };
    let shadows = h.trail.call(&other_region, "DescribeTrails", json!({})).await.unwrap();
    assert_eq!(shadows["trailList"][0]["Name"], "main", "a multi-region trail shows in every region");
    let err = h.trail.call(&other_region, "StartLogging", json!({"Name": "main"})).await.unwrap_err();
    assert_eq!(err.code, "InvalidHomeRegionException");

    assert_eq!(h.invoke("GetTrailStatus", json!({"Name": "main"})).await.unwrap()["IsLogging"], false);
    h.invoke("StartLogging", json!({"Name": "main"})).await.unwrap();
    let status = h.invoke("GetTrailStatus", json!({"Name": "main"})).await.unwrap();
    assert_eq!(status["IsLogging"], true);
    assert_eq!(status["StartLoggingTime"], json!(1_704_067_200));
    h.invoke("StopLogging", json!({"Name": "main"})).await.unwrap();
    assert!(h.invoke("GetTrailStatus", json!({"Name": "main"})).await.unwrap().get("StopLoggingTime").is_some());

    h.invoke("DeleteTrail", json!({"Name": "main"})).await.unwrap();
    assert_eq!(code(h.invoke("GetTrail", json!({"Name": "main"})).await), "TrailNotFoundException");
    assert_eq!(code(h.invoke("DeleteTrail", json!({"Name": "main"})).await), "TrailNotFoundException");
}

#[tokio::test]
async fn selectors_and_tags() {
    let h = harness();
    h.create_trail("main").await;
    let default = h.invoke("GetEventSelectors", json!({"TrailName": "main"})).await.unwrap();
    assert_eq!(default["EventSelectors"][0]["IncludeManagementEvents"], true);
    assert_eq!(default["EventSelectors"][0]["ReadWriteType"], "All");

    let basic = json!({"TrailName": "main", "EventSelectors": [{"ReadWriteType": "WriteOnly", "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3:::b/"]}]}]});
    let put = h.invoke("PutEventSelectors", basic).await.unwrap();
    assert_eq!(put["EventSelectors"][0]["DataResources"][0]["Values"], json!(["arn:aws:s3:::b/"]));
    assert_eq!(h.invoke("GetTrail", json!({"Name": "main"})).await.unwrap()["Trail"]["HasCustomEventSelectors"], true);
    let sqs_basic = json!({"TrailName": "main", "EventSelectors": [{"DataResources": [{"Type": "AWS::SQS::Queue", "Values": ["arn:aws:sqs"]}]}]});
    assert_eq!(code(h.invoke("PutEventSelectors", sqs_basic).await), "InvalidEventSelectorsException");
    let bad_value = json!({"TrailName": "main", "EventSelectors": [{"DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:sqs:x"]}]}]});
    assert_eq!(code(h.invoke("PutEventSelectors", bad_value).await), "InvalidEventSelectorsException");
    let advanced = json!({"TrailName": "main", "AdvancedEventSelectors": [{"Name": "queues", "FieldSelectors": [
        {"Field": "eventCategory", "Equals": ["Data"]}, {"Field": "resources.type", "Equals": ["AWS::SQS::Queue"]}]}]});
    let got = h.invoke("PutEventSelectors", advanced).await.unwrap();
    assert_eq!(got["AdvancedEventSelectors"][0]["Name"], "queues");
    assert!(got.get("EventSelectors").is_none());
    let no_category = json!({"TrailName": "main", "AdvancedEventSelectors": [{"FieldSelectors": [{"Field": "eventName", "Equals": ["X"]}]}]});
    assert_eq!(code(h.invoke("PutEventSelectors", no_category).await), "InvalidEventSelectorsException");
    let both = json!({"TrailName": "main", "EventSelectors": [], "AdvancedEventSelectors": []});
    assert_eq!(code(h.invoke("PutEventSelectors", both).await), "InvalidParameterCombinationException");

    let arn = "arn:aws:cloudtrail:us-east-1:000000000000:trail/main";
    h.invoke("AddTags", json!({"ResourceId": arn, "TagsList": [{"Key": "team", "Value": "core"}, {"Key": "env", "Value": "dev"}]})).await.unwrap();
    h.invoke("RemoveTags", json!({"ResourceId": arn, "TagsList": [{"Key": "env"}]})).await.unwrap();
    let tags = h.invoke("ListTags", json!({"ResourceIdList": [arn]})).await.unwrap();
    assert_eq!(tags["ResourceTagList"], json!([{"ResourceId": arn, "TagsList": [{"Key": "team", "Value": "core"}]}]));
    let missing = json!({"ResourceIdList": ["arn:aws:cloudtrail:us-east-1:000000000000:trail/none"]});
    assert_eq!(code(h.invoke("ListTags", missing).await), "ResourceNotFoundException");
    let reserved = json!({"ResourceId": arn, "TagsList": [{"Key": "aws:x", "Value": "y"}]});
    assert_eq!(code(h.invoke("AddTags", reserved).await), "InvalidTagParameterException");
}

#[tokio::test]
async fn data_events_are_kept_only_for_trails_that_select_them() {
    let h = harness();
    let sink = h.trail.recorder();
    assert_eq!(sink.interest("s3", "PutObject"), Interest::Skip);
    assert_eq!(sink.interest("s3", "CreateBucket"), Interest::RequestAndResponse);
    assert_eq!(sink.interest("secretsmanager", "GetSecretValue"), Interest::Request);
    h.create_trail("objects").await;
    let selectors = json!({"TrailName": "objects", "EventSelectors": [{"DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3:::b1/"]}]}]});
    h.invoke("PutEventSelectors", selectors).await.unwrap();
    assert_eq!(sink.interest("s3", "PutObject"), Interest::Skip, "the trail does not log yet");
    h.invoke("StartLogging", json!({"Name": "objects"})).await.unwrap();
    assert_eq!(sink.interest("s3", "PutObject"), Interest::RequestAndResponse);
    assert_eq!(sink.interest("s3", "GetObject"), Interest::Request);
    assert_eq!(sink.interest("sqs", "SendMessage"), Interest::Skip, "no trail selects queues");
    h.invoke("StopLogging", json!({"Name": "objects"})).await.unwrap();
    assert_eq!(sink.interest("s3", "PutObject"), Interest::Skip);
}

#[tokio::test]
async fn logging_trails_deliver_gzipped_log_files() {
    let h = harness();
    h.create_trail("objects").await;
    h.invoke("UpdateTrail", json!({"Name": "objects", "S3KeyPrefix": "audit"})).await.unwrap();
    let selectors = json!({"TrailName": "objects", "EventSelectors": [{"DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3:::b1/"]}]}]});
    h.invoke("PutEventSelectors", selectors).await.unwrap();
    h.invoke("StartLogging", json!({"Name": "objects"})).await.unwrap();
    h.record(call("s3", "PutObject", json!({"bucketName": "b1", "Host": "b1.s3.amazonaws.com", "key": "k1"})));
    h.record(call("s3", "PutObject", json!({"bucketName": "b2", "key": "k2"})));
    h.record(call("s3", "CreateBucket", json!({"bucketName": "b3"})));
    assert_eq!(h.trail.sweep().await, 0, "not five minutes old yet");
    h.advance(6);
    assert_eq!(h.trail.sweep().await, 1);
    let records = h.s3.records();
    let names: Vec<(&str, &str)> = records.iter().map(|r| (r["eventName"].as_str().unwrap(), r["eventCategory"].as_str().unwrap())).collect();
    assert_eq!(names, [("PutObject", "Data"), ("CreateBucket", "Management")], "b2 is not selected");
    assert_eq!(records[0]["resources"][0], json!({"accountId": ACCOUNT, "type": "AWS::S3::Object", "ARN": "arn:aws:s3:::b1/k1"}));
    assert_eq!(records[0]["managementEvent"], false);
    let (bucket, key, _) = h.s3.objects.lock().unwrap()[0].clone();
    assert_eq!(bucket, "trail-logs");
    assert!(key.starts_with("audit/AWSLogs/000000000000/CloudTrail/us-east-1/2024/01/01/000000000000_CloudTrail_us-east-1_20240101T0006Z_"), "{key}");
    let status = h.invoke("GetTrailStatus", json!({"Name": "objects"})).await.unwrap();
    assert_eq!(status["LatestDeliveryTime"], json!(1_704_067_560));
    assert!(status.get("LatestDeliveryError").is_none());

    // Nothing new: no new file. After StopLogging, new calls are not delivered.
    h.advance(6);
    assert_eq!(h.trail.sweep().await, 0);
    h.invoke("StopLogging", json!({"Name": "objects"})).await.unwrap();
    h.record(call("s3", "PutObject", json!({"bucketName": "b1", "key": "k3"})));
    h.advance(6);
    assert_eq!(h.trail.sweep().await, 0);
    assert_eq!(h.s3.objects.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn advanced_selectors_and_failed_deliveries() {
    let store = Store::open_ephemeral().unwrap();
    let clock = Clock::fixed(datetime!(2024-01-01 00:00 UTC));
    // The bus says the bucket exists at CreateTrail, then refuses the write.
    struct Gone;
    #[async_trait::async_trait]
    impl EventBus for Gone {
        async fn deliver(&self, _: &Delivery) -> Result<(), DeliveryError> {
            Err(DeliveryError::Permanent("bucket trail-logs does not exist".into()))
        }
        fn target_exists(&self, _: &Delivery) -> Option<bool> {
            Some(true)
        }
    }
    let h = Harness { trail: CloudTrail::new(store, clock.clone()).with_event_bus(Arc::new(Gone)), clock, s3: Arc::default() };
    h.create_trail("queues").await;
    let advanced = json!({"TrailName": "queues", "AdvancedEventSelectors": [{"FieldSelectors": [
        {"Field": "eventCategory", "Equals": ["Data"]}, {"Field": "resources.type", "Equals": ["AWS::SQS::Queue"]},
        {"Field": "eventName", "NotEquals": ["ReceiveMessage"]}]}]});
    h.invoke("PutEventSelectors", advanced).await.unwrap();
    h.invoke("StartLogging", json!({"Name": "queues"})).await.unwrap();
    assert_eq!(h.trail.recorder().interest("sqs", "SendMessage"), Interest::RequestAndResponse);
    h.record(call("sqs", "SendMessage", json!({"queueUrl": "http://localhost/000000000000/q", "messageBody": "secret"})));
    h.advance(6);
    assert_eq!(h.trail.sweep().await, 0);
    let status = h.invoke("GetTrailStatus", json!({"Name": "queues"})).await.unwrap();
    assert!(status["LatestDeliveryError"].as_str().unwrap().contains("does not exist"));
    assert!(status.get("LatestDeliveryTime").is_none());
}

#[test]
fn a_full_queue_drops_instead_of_blocking() {
    let store = Store::open_ephemeral().unwrap();
    let recorder = crate::Recorder::for_tests(store, 10);
    for _ in 0..15 {
        recorder.record(call("sqs", "CreateQueue", json!({})));
    }
    assert_eq!(recorder.dropped(), 5);
    recorder.flush();
    recorder.record(call("sqs", "CreateQueue", json!({})));
    assert_eq!(recorder.dropped(), 5, "room again once written");
}
