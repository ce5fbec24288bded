//! Which calls are management events and which are data events, and which are read-only: AWS's
//! classification, kept as tables.
//!
//! Management events (control-plane calls: CreateTable, CreateBucket, PutBucketPolicy,
//! CreateQueue, AssumeRole, GetSecretValue, and KMS's Encrypt/Decrypt/GenerateDataKey, which AWS
//! logs as management events) are always recorded and are what event history (LookupEvents)
//! shows. Data events (operations on or in a resource: S3 object-level calls, DynamoDB item
//! calls, SQS message calls, SNS Publish, Lambda Invoke) never reach event history; they are
//! recorded only for trails whose selectors ask for them. The lists follow each service's
//! "CloudTrail data events" documentation (Amazon S3 CloudTrail events; DynamoDB data plane
//! events, including Streams' GetRecords and GetShardIterator; Amazon SQS data events; SNS
//! Publish/PublishBatch; Lambda Invoke). Services without data events are all management events.

/// The resource types a data event can be for (`resources.type` in advanced selectors).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DataType {
    S3Object,
    DynamoDbTable,
    DynamoDbStream,
    SqsQueue,
    SnsTopic,
    LambdaFunction,
}

impl DataType {
    pub const ALL: [DataType; 6] = [
        DataType::S3Object,
        DataType::DynamoDbTable,
        DataType::DynamoDbStream,
        DataType::SqsQueue,
        DataType::SnsTopic,
        DataType::LambdaFunction,
    ];

    pub fn name(self) -> &'static str {
        match self {
            DataType::S3Object => "AWS::S3::Object",
            DataType::DynamoDbTable => "AWS::DynamoDB::Table",
            DataType::DynamoDbStream => "AWS::DynamoDB::Stream",
            DataType::SqsQueue => "AWS::SQS::Queue",
            DataType::SnsTopic => "AWS::SNS::Topic",
            DataType::LambdaFunction => "AWS::Lambda::Function",
        }
    }

    pub fn parse(name: &str) -> Option<DataType> {
        DataType::ALL.into_iter().find(|t| t.name() == name)
    }

    /// Its bit in the "which data events does any logging trail want" mask.
    pub fn bit(self) -> u32 {
        1 << (self as u32)
    }

    /// The types basic event selectors (`DataResources`) accept; the others need advanced ones.
    pub fn basic_selectable(self) -> bool {
        matches!(self, DataType::S3Object | DataType::DynamoDbTable | DataType::LambdaFunction)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Category {
    Management,
    Data(DataType),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Class {
    pub category: Category,
    pub read_only: bool,
}

impl Class {
    pub fn is_management(self) -> bool {
        self.category == Category::Management
    }

    /// `eventCategory` in the record.
    pub fn category_name(self) -> &'static str {
        match self.category {
            Category::Management => "Management",
            Category::Data(_) => "Data",
        }
    }
}

/// Data events per service (model name) and the resource type they are for.
const DATA_EVENTS: &[(&str, DataType, &[&str])] = &[
    (
        "s3",
        DataType::S3Object,
        &[
            "AbortMultipartUpload",
            "CompleteMultipartUpload",
            "CopyObject",
            "CreateMultipartUpload",
            "DeleteObject",
            "DeleteObjectTagging",
            "DeleteObjects",
            "GetObject",
            "GetObjectAcl",
            "GetObjectAttributes",
            "GetObjectLegalHold",
            "GetObjectRetention",
            "GetObjectTagging",
            "GetObjectTorrent",
            "HeadObject",
            "ListMultipartUploads",
            "ListObjectVersions",
            "ListObjects",
            "ListObjectsV2",
            "ListParts",
            "PutObject",
            "PutObjectAcl",
            "PutObjectLegalHold",
            "PutObjectRetention",
            "PutObjectTagging",
            "RestoreObject",
            "SelectObjectContent",
            "UploadPart",
            "UploadPartCopy",
        ],
    ),
    (
        "dynamodb",
        DataType::DynamoDbTable,
        &[
            "BatchExecuteStatement",
            "BatchGetItem",
            "BatchWriteItem",
            "DeleteItem",
            "ExecuteStatement",
            "ExecuteTransaction",
            "GetItem",
            "PutItem",
            "Query",
            "Scan",
            "TransactGetItems",
            "TransactWriteItems",
            "UpdateItem",
        ],
    ),
    ("dynamodbstreams", DataType::DynamoDbStream, &["GetRecords", "GetShardIterator"]),
    (
        "sqs",
        DataType::SqsQueue,
        &[
            "ChangeMessageVisibility",
            "ChangeMessageVisibilityBatch",
            "DeleteMessage",
            "DeleteMessageBatch",
            "ReceiveMessage",
            "SendMessage",
            "SendMessageBatch",
        ],
    ),
    ("sns", DataType::SnsTopic, &["Publish", "PublishBatch"]),
    ("lambda", DataType::LambdaFunction, &["Invoke", "InvokeAsync", "InvokeWithResponseStream"]),
];

/// Operation-name prefixes of calls that change nothing.
const READ_PREFIXES: &[&str] =
    &["Get", "List", "Describe", "Head", "Lookup", "Query", "Scan", "BatchGet", "TransactGet", "Select", "Simulate"];

/// KMS's cryptographic calls: read-only in CloudTrail (they use a key, they do not change it).
const KMS_READS: &[&str] = &[
    "Decrypt",
    "DeriveSharedSecret",
    "Encrypt",
    "GenerateDataKey",
    "GenerateDataKeyPair",
    "GenerateDataKeyPairWithoutPlaintext",
    "GenerateDataKeyWithoutPlaintext",
    "GenerateMac",
    "GenerateRandom",
    "ReEncrypt",
    "Sign",
    "Verify",
    "VerifyMac",
];

/// What a call of `operation` on `service` (model name) is. Cheap: it runs on every request.
pub fn classify(service: &str, operation: &str) -> Class {
    let category = DATA_EVENTS
        .iter()
        .find(|(s, _, _)| *s == service)
        .and_then(|(_, data_type, ops)| ops.contains(&operation).then_some(Category::Data(*data_type)))
        .unwrap_or(Category::Management);
    Class { category, read_only: read_only(service, operation) }
}

/// `readOnly`: whether the call only reads. STS issues credentials without changing any
/// resource and AWS marks all its calls read-only; SQS ReceiveMessage is a read.
pub fn read_only(service: &str, operation: &str) -> bool {
    match service {
        "sts" => true,
        "kms" if KMS_READS.contains(&operation) => true,
        "sqs" if operation == "ReceiveMessage" => true,
        _ => READ_PREFIXES.iter().any(|p| operation.starts_with(p)),
    }
}

/// Services whose events AWS records in us-east-1 whatever region the caller named (IAM is
/// global): trails get them only when they include global service events.
pub fn is_global(service: &str) -> bool {
    service == "iam"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn management_and_data_events_follow_aws() {
        for (service, op) in [
            ("dynamodb", "CreateTable"),
            ("s3", "CreateBucket"),
            ("s3", "PutBucketPolicy"),
            ("s3", "ListBuckets"),
            ("sqs", "CreateQueue"),
            ("sts", "AssumeRole"),
            ("kms", "Encrypt"),
            ("kms", "Decrypt"),
            ("secretsmanager", "GetSecretValue"),
            ("dynamodbstreams", "ListStreams"),
            ("cloudtrail", "LookupEvents"),
        ] {
            assert!(classify(service, op).is_management(), "{service}:{op}");
        }
        for (service, op, data_type) in [
            ("s3", "GetObject", DataType::S3Object),
            ("s3", "PutObject", DataType::S3Object),
            ("s3", "DeleteObjects", DataType::S3Object),
            ("s3", "ListObjectsV2", DataType::S3Object),
            ("dynamodb", "PutItem", DataType::DynamoDbTable),
            ("dynamodb", "Query", DataType::DynamoDbTable),
            ("dynamodb", "ExecuteStatement", DataType::DynamoDbTable),
            ("dynamodbstreams", "GetRecords", DataType::DynamoDbStream),
            ("sqs", "SendMessage", DataType::SqsQueue),
            ("sqs", "ReceiveMessage", DataType::SqsQueue),
            ("sqs", "DeleteMessageBatch", DataType::SqsQueue),
            ("sns", "Publish", DataType::SnsTopic),
            ("lambda", "Invoke", DataType::LambdaFunction),
        ] {
            assert_eq!(classify(service, op).category, Category::Data(data_type), "{service}:{op}");
        }
    }

    #[test]
    fn read_only_flags() {
        for (service, op) in [
            ("s3", "GetObject"),
            ("s3", "HeadBucket"),
            ("dynamodb", "Scan"),
            ("dynamodb", "BatchGetItem"),
            ("kms", "Decrypt"),
            ("kms", "GenerateDataKey"),
            ("sts", "AssumeRole"),
            ("sqs", "ReceiveMessage"),
            ("secretsmanager", "GetSecretValue"),
            ("cloudtrail", "LookupEvents"),
            ("iam", "SimulatePrincipalPolicy"),
        ] {
            assert!(classify(service, op).read_only, "{service}:{op}");
        }
        for (service, op) in [
            ("s3", "PutObject"),
            ("sqs", "SendMessage"),
            ("sqs", "DeleteMessage"),
            ("kms", "CreateKey"),
            ("kms", "ScheduleKeyDeletion"),
            ("secretsmanager", "CreateSecret"),
            ("iam", "GenerateCredentialReport"),
            ("sns", "Publish"),
        ] {
            assert!(!classify(service, op).read_only, "{service}:{op}");
        }
    }

    #[test]
    fn data_types_round_trip_and_basic_selectors_take_three() {
        for t in DataType::ALL {
            assert_eq!(DataType::parse(t.name()), Some(t));
        }
        let basic: Vec<_> = DataType::ALL.into_iter().filter(|t| t.basic_selectable()).map(DataType::name).collect();
        assert_eq!(basic, ["AWS::S3::Object", "AWS::DynamoDB::Table", "AWS::Lambda::Function"]);
        assert_eq!(DataType::parse("AWS::EC2::Instance"), None);
    }
}
