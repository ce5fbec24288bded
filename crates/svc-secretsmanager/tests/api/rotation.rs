use serde_json::json;

use crate::common::*;

const LAMBDA: &str = "arn:aws:lambda:us-east-1:000000000000:function:rotate";

#[tokio::test]
async fn rotate_records_configuration() {
    let sm = Sm::new();
    sm.ok("CreateSecret", json!({"Name": "r", "SecretString": "v", "ClientRequestToken": token(1)})).await;
    let e = sm.err("RotateSecret", json!({"SecretId": "r"})).await;
    assert_error(&e, "InvalidRequestException", "No Lambda rotation function ARN is associated with this secret.");

    let out = sm
        .ok(
            "RotateSecret",
            json!({"SecretId": "r", "RotationLambdaARN": LAMBDA, "RotationRules": {"AutomaticallyAfterDays": 10, "Duration": "3h"}, "ClientRequestToken": token(2)}),
        )
        .await;
    assert_eq!(out["Name"], "r");
    assert_eq!(out["VersionId"], token(2));
    let described = sm.ok("DescribeSecret", json!({"SecretId": "r"})).await;
    assert_eq!(described["RotationEnabled"], true);
    assert_eq!(described["RotationLambdaARN"], LAMBDA);
    assert_eq!(described["RotationRules"], json!({"AutomaticallyAfterDays": 10, "Duration": "3h"}));
    assert_eq!(secs(&described["NextRotationDate"]), (START + 10 * 86_400) as f64);
    assert!(described.get("LastRotatedDate").is_none());

    // The stored function is reused; new rules replace the old.
    sm.ok("RotateSecret", json!({"SecretId": "r", "RotationRules": {"ScheduleExpression": "rate(4 hours)"}})).await;
    let described = sm.ok("DescribeSecret", json!({"SecretId": "r"})).await;
    assert_eq!(described["RotationRules"], json!({"ScheduleExpression": "rate(4 hours)"}));
    assert_eq!(secs(&described["NextRotationDate"]), (START + 4 * 3600) as f64);

    sm.ok("RotateSecret", json!({"SecretId": "r", "RotationRules": {"ScheduleExpression": "cron(0 16 1,15 * ? *)"}}))
        .await;
    let described = sm.ok("DescribeSecret", json!({"SecretId": "r"})).await;
    // 2024-01-01T16:00:00Z.
    assert_eq!(secs(&described["NextRotationDate"]), (START + 16 * 3600) as f64);

    let cancelled = sm.ok("CancelRotateSecret", json!({"SecretId": "r"})).await;
    assert_eq!(cancelled["Name"], "r");
    assert!(cancelled.get("VersionId").is_none());
    let described = sm.ok("DescribeSecret", json!({"SecretId": "r"})).await;
    assert_eq!(described["RotationEnabled"], false);
    assert_eq!(described["RotationLambdaARN"], LAMBDA);
    assert!(described.get("NextRotationDate").is_none());
    // Rotation rotates nothing until Lambda exists.
    assert_eq!(sm.ok("GetSecretValue", json!({"SecretId": "r"})).await["VersionId"], token(1));
}

#[tokio::test]
async fn rotation_rules_are_validated() {
    let sm = Sm::new();
    sm.ok("CreateSecret", json!({"Name": "r", "SecretString": "v"})).await;
    for rules in [
        json!({"AutomaticallyAfterDays": 5, "ScheduleExpression": "rate(5 days)"}),
        json!({"ScheduleExpression": "rate(1 hours)"}),
        json!({"ScheduleExpression": "cron(0 16 1 * * *)"}),
        json!({"ScheduleExpression": "sometimes"}),
        json!({"AutomaticallyAfterDays": 5, "Duration": "25h"}),
    ] {
        let e =
            sm.err("RotateSecret", json!({"SecretId": "r", "RotationLambdaARN": LAMBDA, "RotationRules": rules})).await;
        assert_eq!(e.code, "InvalidParameterException", "{rules}");
    }
    let described = sm.ok("DescribeSecret", json!({"SecretId": "r"})).await;
    assert_eq!(described["RotationEnabled"], false);
}

#[tokio::test]
async fn an_unfinished_rotation_blocks_the_next() {
    let sm = Sm::new();
    sm.ok("CreateSecret", json!({"Name": "r", "SecretString": "v1", "ClientRequestToken": token(1)})).await;
    // What a rotation function's createSecret step leaves behind.
    sm.ok(
        "PutSecretValue",
        json!({"SecretId": "r", "SecretString": "v2", "ClientRequestToken": token(2), "VersionStages": ["AWSPENDING"]}),
    )
    .await;
    let e = sm.err("RotateSecret", json!({"SecretId": "r", "RotationLambdaARN": LAMBDA})).await;
    assert_error(
        &e,
        "InvalidRequestException",
        "A previous rotation isn't complete. That rotation will be reattempted.",
    );
    let cancelled = sm.ok("CancelRotateSecret", json!({"SecretId": "r"})).await;
    assert_eq!(cancelled["VersionId"], token(2));
    // Finishing the rotation (AWSPENDING on the current version) unblocks it.
    sm.ok(
        "UpdateSecretVersionStage",
        json!({"SecretId": "r", "VersionStage": "AWSCURRENT", "MoveToVersionId": token(2), "RemoveFromVersionId": token(1)}),
    )
    .await;
    sm.ok(
        "RotateSecret",
        json!({"SecretId": "r", "RotationLambdaARN": LAMBDA, "RotationRules": {"AutomaticallyAfterDays": 3}}),
    )
    .await;
    assert!(sm.ok("DescribeSecret", json!({"SecretId": "r"})).await.get("LastRotatedDate").is_none());

    // A rotation function's steps, by hand: createSecret, then finishSecret a day later.
    sm.ok(
        "PutSecretValue",
        json!({"SecretId": "r", "SecretString": "v3", "ClientRequestToken": token(3), "VersionStages": ["AWSPENDING"]}),
    )
    .await;
    sm.advance(DAY);
    sm.ok(
        "UpdateSecretVersionStage",
        json!({"SecretId": "r", "VersionStage": "AWSCURRENT", "MoveToVersionId": token(3), "RemoveFromVersionId": token(2)}),
    )
    .await;
    let described = sm.ok("DescribeSecret", json!({"SecretId": "r"})).await;
    assert_eq!(secs(&described["LastRotatedDate"]), (START + 86_400) as f64);
    assert_eq!(secs(&described["NextRotationDate"]), (START + 4 * 86_400) as f64);
    assert_eq!(sm.ok("GetSecretValue", json!({"SecretId": "r"})).await["SecretString"], "v3");
}
