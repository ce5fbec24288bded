use std::time::Duration;

use nimbus_svc_secretsmanager::records::{SecretRecord, SecretValueRecord};
use serde_json::json;

use crate::common::*;

const MARKED: &str = "You can't perform this operation on the secret because it was marked for deletion.";
const SCOPE: &str = "000000000000/us-east-1";

#[tokio::test]
async fn default_recovery_window_is_thirty_days() {
    let sm = Sm::new();
    let arn = sm.ok("CreateSecret", json!({"Name": "d", "SecretString": "v"})).await["ARN"].clone();
    let deleted = sm.ok("DeleteSecret", json!({"SecretId": "d"})).await;
    assert_eq!(deleted["ARN"], arn);
    assert_eq!(deleted["Name"], "d");
    assert_eq!(secs(&deleted["DeletionDate"]), (START + 30 * 86_400) as f64);

    let e = sm.err("GetSecretValue", json!({"SecretId": "d"})).await;
    assert_error(&e, "InvalidRequestException", MARKED);
    for (op, input) in [
        ("PutSecretValue", json!({"SecretId": "d", "SecretString": "x"})),
        ("UpdateSecret", json!({"SecretId": "d", "Description": "x"})),
        ("TagResource", json!({"SecretId": "d", "Tags": [{"Key": "k", "Value": "v"}]})),
        ("UpdateSecretVersionStage", json!({"SecretId": "d", "VersionStage": "X", "MoveToVersionId": token(1)})),
        (
            "RotateSecret",
            json!({"SecretId": "d", "RotationLambdaARN": "arn:aws:lambda:us-east-1:000000000000:function:f"}),
        ),
        ("DeleteSecret", json!({"SecretId": "d"})),
    ] {
        let e = sm.err(op, input).await;
        assert_error(&e, "InvalidRequestException", MARKED);
    }
    let e = sm.err("CreateSecret", json!({"Name": "d", "SecretString": "new"})).await;
    assert_error(
        &e,
        "InvalidRequestException",
        "You can't create this secret because a secret with this name is already scheduled for deletion.",
    );

    // Still describable, with the date the deletion was requested.
    let described = sm.ok("DescribeSecret", json!({"SecretId": "d"})).await;
    assert_eq!(secs(&described["DeletedDate"]), START as f64);
    // Hidden from listings unless asked for.
    let listed = sm.ok("ListSecrets", json!({})).await;
    assert!(listed["SecretList"].as_array().unwrap().is_empty());
    let listed = sm.ok("ListSecrets", json!({"IncludePlannedDeletion": true})).await;
    assert_eq!(listed["SecretList"][0]["Name"], "d");
    assert_eq!(secs(&listed["SecretList"][0]["DeletedDate"]), START as f64);

    sm.advance(DAY * 29);
    let restored = sm.ok("RestoreSecret", json!({"SecretId": "d"})).await;
    assert_eq!(restored, json!({"ARN": arn, "Name": "d"}));
    assert_eq!(sm.ok("GetSecretValue", json!({"SecretId": "d"})).await["SecretString"], "v");
    assert!(sm.ok("DescribeSecret", json!({"SecretId": "d"})).await.get("DeletedDate").is_none());
    // Restoring a secret that is not deleted changes nothing.
    sm.ok("RestoreSecret", json!({"SecretId": "d"})).await;
}

#[tokio::test]
async fn a_secret_is_gone_exactly_when_its_window_ends() {
    let sm = Sm::new();
    sm.ok("CreateSecret", json!({"Name": "early", "SecretString": "v"})).await;
    sm.ok("CreateSecret", json!({"Name": "late", "SecretString": "v"})).await;
    for name in ["early", "late"] {
        let out = sm.ok("DeleteSecret", json!({"SecretId": name, "RecoveryWindowInDays": 7})).await;
        assert_eq!(secs(&out["DeletionDate"]), (START + 7 * 86_400) as f64);
    }
    // 1 ms before the end: still there, and restorable.
    sm.advance(DAY * 7 - Duration::from_millis(1));
    sm.ok("DescribeSecret", json!({"SecretId": "early"})).await;
    sm.ok("RestoreSecret", json!({"SecretId": "early"})).await;
    // 1 ms after: gone for good, values included.
    sm.advance(Duration::from_millis(2));
    let e = sm.err("DescribeSecret", json!({"SecretId": "late"})).await;
    assert_error(&e, "ResourceNotFoundException", "Secrets Manager can't find the specified secret.");
    let e = sm.err("RestoreSecret", json!({"SecretId": "late"})).await;
    assert_eq!(e.code, "ResourceNotFoundException");
    let listed = sm.ok("ListSecrets", json!({"IncludePlannedDeletion": true})).await;
    let names: Vec<_> = listed["SecretList"].as_array().unwrap().iter().map(|s| s["Name"].clone()).collect();
    assert_eq!(names, [json!("early")]);
    let values = sm.store.list::<SecretValueRecord>(SCOPE, "", None, usize::MAX).unwrap();
    assert_eq!(values.len(), 1, "only the restored secret's value remains");
    // The name is free again, under a new ARN.
    let recreated = sm.ok("CreateSecret", json!({"Name": "late", "SecretString": "fresh"})).await;
    assert_eq!(sm.ok("GetSecretValue", json!({"SecretId": "late"})).await["SecretString"], "fresh");
    assert!(recreated["ARN"].as_str().unwrap().contains(":secret:late-"));
}

#[tokio::test]
async fn expired_secrets_are_purged_by_listing() {
    let sm = Sm::new();
    sm.ok("CreateSecret", json!({"Name": "x", "SecretString": "v"})).await;
    sm.ok("DeleteSecret", json!({"SecretId": "x", "RecoveryWindowInDays": 7})).await;
    sm.advance(DAY * 8);
    sm.ok("ListSecrets", json!({})).await;
    assert!(sm.store.get::<SecretRecord>(SCOPE, "x").unwrap().is_none());
    assert!(sm.store.list::<SecretValueRecord>(SCOPE, "", None, usize::MAX).unwrap().is_empty());
}

#[tokio::test]
async fn recovery_window_bounds_and_force_delete() {
    let sm = Sm::new();
    sm.ok("CreateSecret", json!({"Name": "f", "SecretString": "v"})).await;
    for days in [0, 6, 31] {
        let e = sm.err("DeleteSecret", json!({"SecretId": "f", "RecoveryWindowInDays": days})).await;
        assert_error(
            &e,
            "InvalidParameterException",
            "The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).",
        );
    }
    let e = sm
        .err("DeleteSecret", json!({"SecretId": "f", "RecoveryWindowInDays": 7, "ForceDeleteWithoutRecovery": true}))
        .await;
    assert_error(
        &e,
        "InvalidParameterException",
        "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.",
    );
    let out = sm.ok("DeleteSecret", json!({"SecretId": "f", "ForceDeleteWithoutRecovery": true})).await;
    assert_eq!(secs(&out["DeletionDate"]), START as f64);
    let e = sm.err("DescribeSecret", json!({"SecretId": "f"})).await;
    assert_eq!(e.code, "ResourceNotFoundException");
    assert!(sm.store.list::<SecretValueRecord>(SCOPE, "", None, usize::MAX).unwrap().is_empty());

    // A secret already scheduled for deletion can still be force-deleted.
    sm.ok("CreateSecret", json!({"Name": "g", "SecretString": "v"})).await;
    sm.ok("DeleteSecret", json!({"SecretId": "g"})).await;
    sm.ok("DeleteSecret", json!({"SecretId": "g", "ForceDeleteWithoutRecovery": true})).await;
    sm.ok("CreateSecret", json!({"Name": "g", "SecretString": "again"})).await;

    let e = sm.err("DeleteSecret", json!({"SecretId": "never-existed"})).await;
    assert_eq!(e.code, "ResourceNotFoundException");
}
