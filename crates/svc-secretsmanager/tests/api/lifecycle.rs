use nimbus_core::RequestContext;
use serde_json::{Value, json};

use crate::common::*;

#[tokio::test]
async fn create_and_get_a_string_secret() {
    let sm = Sm::new();
    let created = sm
        .ok("CreateSecret", json!({"Name": "app/db", "SecretString": "s3cr3t", "ClientRequestToken": token(1)}))
        .await;
    let arn = created["ARN"].as_str().unwrap();
    let prefix = "arn:aws:secretsmanager:us-east-1:000000000000:secret:app/db-";
    assert!(arn.starts_with(prefix), "{arn}");
    let suffix = &arn[prefix.len()..];
    assert_eq!(suffix.len(), 6);
    assert!(suffix.chars().all(|c| c.is_ascii_alphanumeric()));
    assert_eq!(created["Name"], "app/db");
    assert_eq!(created["VersionId"], token(1));

    let got = sm.ok("GetSecretValue", json!({"SecretId": "app/db"})).await;
    assert_eq!(got["SecretString"], "s3cr3t");
    assert_eq!(got["ARN"], arn);
    assert_eq!(got["VersionId"], token(1));
    assert_eq!(stages(&got["VersionStages"]), ["AWSCURRENT"]);
    assert_eq!(secs(&got["CreatedDate"]), START as f64);
    assert!(got.get("SecretBinary").is_none());
}

#[tokio::test]
async fn binary_secrets_round_trip() {
    let sm = Sm::new();
    sm.ok("CreateSecret", json!({"Name": "bin", "SecretBinary": "AAEC/w=="})).await;
    let got = sm.ok("GetSecretValue", json!({"SecretId": "bin"})).await;
    assert_eq!(got["SecretBinary"], "AAEC/w==");
    assert!(got.get("SecretString").is_none());
}

#[tokio::test]
async fn create_validates_its_input() {
    let sm = Sm::new();
    let e = sm.err("CreateSecret", json!({"Name": "x", "SecretString": "a", "SecretBinary": "YQ=="})).await;
    assert_error(
        &e,
        "InvalidParameterException",
        "You can't specify both a binary secret value and a string secret value in the same secret.",
    );
    let e = sm.err("CreateSecret", json!({"Name": "has space", "SecretString": "a"})).await;
    assert_error(
        &e,
        "ValidationException",
        "Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!",
    );
    let e = sm.err("GetSecretValue", json!({"SecretId": "bad#id"})).await;
    assert_eq!(e.code, "ValidationException");
}

#[tokio::test]
async fn duplicate_names_and_idempotency_tokens() {
    let sm = Sm::new();
    let first =
        sm.ok("CreateSecret", json!({"Name": "dup", "SecretString": "v1", "ClientRequestToken": token(1)})).await;
    // A retry with the same token and value returns the original result.
    let retry =
        sm.ok("CreateSecret", json!({"Name": "dup", "SecretString": "v1", "ClientRequestToken": token(1)})).await;
    assert_eq!(retry["ARN"], first["ARN"]);
    assert_eq!(retry["VersionId"], token(1));
    // Same token, other value.
    let e = sm.err("CreateSecret", json!({"Name": "dup", "SecretString": "v2", "ClientRequestToken": token(1)})).await;
    assert_error(&e, "ResourceExistsException", "The operation failed because the secret dup already exists.");
    // Other token.
    let e = sm.err("CreateSecret", json!({"Name": "dup", "SecretString": "v1", "ClientRequestToken": token(2)})).await;
    assert_error(&e, "ResourceExistsException", "The operation failed because the secret dup already exists.");
    let versions = sm.ok("ListSecretVersionIds", json!({"SecretId": "dup", "IncludeDeprecated": true})).await;
    assert_eq!(versions["Versions"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn put_secret_value_idempotency() {
    let sm = Sm::new();
    sm.ok("CreateSecret", json!({"Name": "p", "SecretString": "v1", "ClientRequestToken": token(1)})).await;
    let put =
        sm.ok("PutSecretValue", json!({"SecretId": "p", "SecretString": "v2", "ClientRequestToken": token(2)})).await;
    assert_eq!(put["VersionId"], token(2));
    assert_eq!(stages(&put["VersionStages"]), ["AWSCURRENT"]);
    let again =
        sm.ok("PutSecretValue", json!({"SecretId": "p", "SecretString": "v2", "ClientRequestToken": token(2)})).await;
    assert_eq!(again["VersionId"], token(2));
    let e = sm
        .err("PutSecretValue", json!({"SecretId": "p", "SecretString": "other", "ClientRequestToken": token(2)}))
        .await;
    assert_eq!(e.code, "ResourceExistsException");
    // The first version's token cannot be reused for a new value either.
    let e = sm
        .err("PutSecretValue", json!({"SecretId": "p", "SecretBinary": "AA==", "ClientRequestToken": token(1)}))
        .await;
    assert_eq!(e.code, "ResourceExistsException");
    let versions = sm.ok("ListSecretVersionIds", json!({"SecretId": "p", "IncludeDeprecated": true})).await;
    assert_eq!(versions["Versions"].as_array().unwrap().len(), 2);
    let e = sm.err("PutSecretValue", json!({"SecretId": "p"})).await;
    assert_eq!(e.code, "InvalidParameterException");
    let e = sm.err("PutSecretValue", json!({"SecretId": "nope", "SecretString": "x"})).await;
    assert_error(&e, "ResourceNotFoundException", "Secrets Manager can't find the specified secret.");
}

#[tokio::test]
async fn secret_without_a_value() {
    let sm = Sm::new();
    let created = sm.ok("CreateSecret", json!({"Name": "empty", "ClientRequestToken": token(9)})).await;
    assert!(created.get("VersionId").is_none());
    let e = sm.err("GetSecretValue", json!({"SecretId": "empty"})).await;
    assert_error(
        &e,
        "ResourceNotFoundException",
        "Secrets Manager can't find the specified secret value for staging label: AWSCURRENT",
    );
    let described = sm.ok("DescribeSecret", json!({"SecretId": "empty"})).await;
    assert!(described.get("VersionIdsToStages").is_none());
    // The first value gets AWSCURRENT even when other labels are asked for.
    let put = sm
        .ok(
            "PutSecretValue",
            json!({"SecretId": "empty", "SecretString": "v", "ClientRequestToken": token(1), "VersionStages": ["MINE"]}),
        )
        .await;
    assert_eq!(stages(&put["VersionStages"]), ["AWSCURRENT", "MINE"]);
}

#[tokio::test]
async fn lookup_by_full_and_partial_arn() {
    let sm = Sm::new();
    let arn = sm.ok("CreateSecret", json!({"Name": "team/api-key", "SecretString": "k"})).await["ARN"]
        .as_str()
        .unwrap()
        .to_owned();
    let full = sm.ok("GetSecretValue", json!({"SecretId": arn})).await;
    assert_eq!(full["SecretString"], "k");
    let partial = "arn:aws:secretsmanager:us-east-1:000000000000:secret:team/api-key";
    assert_eq!(sm.ok("GetSecretValue", json!({"SecretId": partial})).await["SecretString"], "k");
    for wrong in [
        "arn:aws:secretsmanager:us-east-1:000000000000:secret:team/api-key-zzzzzz".to_owned(),
        arn.replace("000000000000", "111111111111"),
        arn.replace("us-east-1", "eu-west-1"),
        "arn:aws:secretsmanager:us-east-1:000000000000:secret:".to_owned(),
    ] {
        let e = sm.err("DescribeSecret", json!({"SecretId": wrong})).await;
        assert_eq!(e.code, "ResourceNotFoundException", "{wrong}");
    }
}

#[tokio::test]
async fn accounts_and_regions_are_separate() {
    let sm = Sm::new();
    sm.ok("CreateSecret", json!({"Name": "shared-name", "SecretString": "east"})).await;
    let mut west = RequestContext::for_tests("secretsmanager", "GetSecretValue");
    west.region = "eu-west-1".into();
    let e = sm.call_in(&west, "GetSecretValue", json!({"SecretId": "shared-name"})).await.unwrap_err();
    assert_eq!(e.code, "ResourceNotFoundException");
    let created =
        sm.call_in(&west, "CreateSecret", json!({"Name": "shared-name", "SecretString": "west"})).await.unwrap();
    assert!(created["ARN"].as_str().unwrap().starts_with("arn:aws:secretsmanager:eu-west-1:"));
    let got = sm.call_in(&west, "GetSecretValue", json!({"SecretId": "shared-name"})).await.unwrap();
    assert_eq!(got["SecretString"], "west");
    assert_eq!(sm.ok("GetSecretValue", json!({"SecretId": "shared-name"})).await["SecretString"], "east");
}

#[tokio::test]
async fn update_secret_changes_metadata_and_value() {
    let sm = Sm::new();
    sm.ok(
        "CreateSecret",
        json!({"Name": "u", "SecretString": "v1", "Description": "first", "ClientRequestToken": token(1)}),
    )
    .await;
    sm.advance(DAY);
    let updated =
        sm.ok("UpdateSecret", json!({"SecretId": "u", "Description": "second", "KmsKeyId": "alias/mine"})).await;
    assert!(updated.get("VersionId").is_none());
    let described = sm.ok("DescribeSecret", json!({"SecretId": "u"})).await;
    assert_eq!(described["Description"], "second");
    assert_eq!(described["KmsKeyId"], "alias/mine");
    assert_eq!(secs(&described["LastChangedDate"]), sm.now_secs());
    assert_eq!(secs(&described["CreatedDate"]), START as f64);

    let with_value =
        sm.ok("UpdateSecret", json!({"SecretId": "u", "SecretString": "v2", "ClientRequestToken": token(2)})).await;
    assert_eq!(with_value["VersionId"], token(2));
    assert_eq!(sm.ok("GetSecretValue", json!({"SecretId": "u"})).await["SecretString"], "v2");
    let previous = sm.ok("GetSecretValue", json!({"SecretId": "u", "VersionStage": "AWSPREVIOUS"})).await;
    assert_eq!(previous["SecretString"], "v1");
    let versions = sm.ok("ListSecretVersionIds", json!({"SecretId": "u"})).await;
    let kms: Vec<_> = versions["Versions"].as_array().unwrap().iter().map(|v| v["KmsKeyIds"][0].clone()).collect();
    assert_eq!(kms, [json!("DefaultEncryptionKey"), json!("alias/mine")]);
    let e =
        sm.err("UpdateSecret", json!({"SecretId": "u", "SecretString": "v3", "ClientRequestToken": token(2)})).await;
    assert_eq!(e.code, "ResourceExistsException");
    let e = sm.err("UpdateSecret", json!({"SecretId": "missing", "Description": "x"})).await;
    assert_eq!(e.code, "ResourceNotFoundException");
}

#[tokio::test]
async fn describe_reports_dates_tags_and_stages() {
    let sm = Sm::new();
    sm.ok(
        "CreateSecret",
        json!({
            "Name": "d", "SecretString": "v", "ClientRequestToken": token(1), "Description": "desc",
            "Tags": [{"Key": "env", "Value": "prod"}, {"Key": "team", "Value": "core"}],
            "Type": "SalesforceClientSecret"
        }),
    )
    .await;
    let described = sm.ok("DescribeSecret", json!({"SecretId": "d"})).await;
    assert_eq!(described["Name"], "d");
    assert_eq!(described["Description"], "desc");
    assert_eq!(described["Type"], "SalesforceClientSecret");
    assert_eq!(described["RotationEnabled"], false);
    assert_eq!(described["PrimaryRegion"], "us-east-1");
    assert_eq!(described["VersionIdsToStages"], json!({ token(1): ["AWSCURRENT"] }));
    assert_eq!(described["Tags"], json!([{"Key": "env", "Value": "prod"}, {"Key": "team", "Value": "core"}]));
    assert!(described.get("LastAccessedDate").is_none());
    assert!(described.get("DeletedDate").is_none());
    assert!(described.get("KmsKeyId").is_none());

    // Reads are recorded at day granularity.
    sm.advance(DAY + std::time::Duration::from_secs(3 * 3600 + 17));
    sm.ok("GetSecretValue", json!({"SecretId": "d"})).await;
    let described = sm.ok("DescribeSecret", json!({"SecretId": "d"})).await;
    assert_eq!(secs(&described["LastAccessedDate"]), (START + 86_400) as f64);
    let versions = sm.ok("ListSecretVersionIds", json!({"SecretId": "d"})).await;
    assert_eq!(secs(&versions["Versions"][0]["LastAccessedDate"]), (START + 86_400) as f64);
    // Reading does not count as a change.
    assert_eq!(secs(&described["LastChangedDate"]), START as f64);
    // A second read that day changes nothing (it is served without a write); the next day's
    // read is noted again.
    let again = sm.ok("GetSecretValue", json!({"SecretId": "d"})).await;
    assert_eq!(again["VersionId"], token(1));
    let described = sm.ok("DescribeSecret", json!({"SecretId": "d"})).await;
    assert_eq!(secs(&described["LastAccessedDate"]), (START + 86_400) as f64);
    sm.advance(DAY);
    sm.ok("GetSecretValue", json!({"SecretId": "d"})).await;
    let described = sm.ok("DescribeSecret", json!({"SecretId": "d"})).await;
    assert_eq!(secs(&described["LastAccessedDate"]), (START + 2 * 86_400) as f64);
}

#[tokio::test]
async fn tag_and_untag() {
    let sm = Sm::new();
    sm.ok("CreateSecret", json!({"Name": "t", "Tags": [{"Key": "a", "Value": "1"}]})).await;
    let out = sm
        .ok("TagResource", json!({"SecretId": "t", "Tags": [{"Key": "a", "Value": "2"}, {"Key": "b", "Value": "3"}]}))
        .await;
    assert_eq!(out, json!({}));
    let tags = sm.ok("DescribeSecret", json!({"SecretId": "t"})).await["Tags"].clone();
    assert_eq!(tags, json!([{"Key": "a", "Value": "2"}, {"Key": "b", "Value": "3"}]));
    sm.ok("UntagResource", json!({"SecretId": "t", "TagKeys": ["a", "zzz"]})).await;
    let tags = sm.ok("DescribeSecret", json!({"SecretId": "t"})).await["Tags"].clone();
    assert_eq!(tags, json!([{"Key": "b", "Value": "3"}]));
    sm.ok("UntagResource", json!({"SecretId": "t", "TagKeys": ["b"]})).await;
    assert!(sm.ok("DescribeSecret", json!({"SecretId": "t"})).await.get("Tags").is_none());
    let e = sm.err("TagResource", json!({"SecretId": "nope", "Tags": []})).await;
    assert_eq!(e.code, "ResourceNotFoundException");
}

#[tokio::test]
async fn at_most_fifty_tags_per_secret() {
    let sm = Sm::new();
    let tags = |range: std::ops::Range<usize>| -> Vec<Value> {
        range.map(|i| json!({"Key": format!("k{i}"), "Value": "v"})).collect()
    };
    let e = sm.err("CreateSecret", json!({"Name": "many", "Tags": tags(0..51)})).await;
    assert_eq!(e.code, "InvalidParameterException");
    assert_eq!(sm.err("DescribeSecret", json!({"SecretId": "many"})).await.code, "ResourceNotFoundException");
    sm.ok("CreateSecret", json!({"Name": "t", "Tags": tags(0..50)})).await;
    // Overwriting a value and the reserved aws: prefix add nothing to the count.
    let more = json!([{"Key": "k0", "Value": "w"}, {"Key": "aws:x", "Value": "y"}]);
    sm.ok("TagResource", json!({"SecretId": "t", "Tags": more})).await;
    let e = sm.err("TagResource", json!({"SecretId": "t", "Tags": tags(50..51)})).await;
    assert_eq!(e.code, "InvalidParameterException");
    let described = sm.ok("DescribeSecret", json!({"SecretId": "t"})).await;
    assert_eq!(described["Tags"].as_array().unwrap().len(), 51);
    assert_eq!(described["Tags"][0], json!({"Key": "k0", "Value": "w"}));
    sm.ok("UntagResource", json!({"SecretId": "t", "TagKeys": ["k1"]})).await;
    sm.ok("TagResource", json!({"SecretId": "t", "Tags": tags(50..51)})).await;
}

#[tokio::test]
async fn replication_operations_are_not_implemented() {
    let sm = Sm::new();
    for op in [
        "ReplicateSecretToRegions",
        "RemoveRegionsFromReplication",
        "StopReplicationToReplica",
        "AssociateCrossAccountReplica",
        "DisassociateCrossAccountReplica",
    ] {
        let e = sm.err(op, json!({"SecretId": "x"})).await;
        assert_eq!(e.code, "NotImplemented", "{op}");
        assert!(!nimbus_core::Service::operations(&sm.svc).contains(&op));
    }
    assert_eq!(nimbus_core::Service::operations(&sm.svc).len(), 21);
    // CreateSecret still creates the secret and reports the replicas as failed.
    let created = sm
        .ok("CreateSecret", json!({"Name": "r", "SecretString": "v", "AddReplicaRegions": [{"Region": "eu-west-1"}]}))
        .await;
    assert_eq!(created["ReplicationStatus"][0]["Region"], "eu-west-1");
    assert_eq!(created["ReplicationStatus"][0]["Status"], "Failed");
}
