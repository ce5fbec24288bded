use std::time::Duration;

use serde_json::{Value, json};

use crate::common::*;

async fn version_stages(sm: &Sm, name: &str) -> Value {
    sm.ok("DescribeSecret", json!({"SecretId": name})).await["VersionIdsToStages"].clone()
}

/// Every version id, following NextToken (pages hold at most 100).
async fn version_ids(sm: &Sm, name: &str, include_deprecated: bool) -> Vec<String> {
    let mut ids = Vec::new();
    let mut input = json!({"SecretId": name, "IncludeDeprecated": include_deprecated});
    loop {
        let out = sm.ok("ListSecretVersionIds", input.clone()).await;
        let page = out["Versions"].as_array().unwrap();
        assert!(page.len() <= 100);
        ids.extend(page.iter().map(|v| v["VersionId"].as_str().unwrap().to_owned()));
        match out.get("NextToken") {
            Some(token) => input["NextToken"] = token.clone(),
            None => return ids,
        }
    }
}

#[tokio::test]
async fn new_values_move_current_and_previous() {
    let sm = Sm::new();
    sm.ok("CreateSecret", json!({"Name": "s", "SecretString": "v1", "ClientRequestToken": token(1)})).await;
    sm.ok("PutSecretValue", json!({"SecretId": "s", "SecretString": "v2", "ClientRequestToken": token(2)})).await;
    assert_eq!(version_stages(&sm, "s").await, json!({ token(1): ["AWSPREVIOUS"], token(2): ["AWSCURRENT"] }));
    sm.ok("PutSecretValue", json!({"SecretId": "s", "SecretString": "v3", "ClientRequestToken": token(3)})).await;
    assert_eq!(version_stages(&sm, "s").await, json!({ token(2): ["AWSPREVIOUS"], token(3): ["AWSCURRENT"] }));
    // v1 lost its last label: deprecated, listed only on request, still readable by id.
    assert_eq!(version_ids(&sm, "s", false).await, [token(2), token(3)]);
    assert_eq!(version_ids(&sm, "s", true).await, [token(1), token(2), token(3)]);
    let old = sm.ok("GetSecretValue", json!({"SecretId": "s", "VersionId": token(1)})).await;
    assert_eq!(old["SecretString"], "v1");
    assert!(old.get("VersionStages").is_none());
    let previous = sm.ok("GetSecretValue", json!({"SecretId": "s", "VersionStage": "AWSPREVIOUS"})).await;
    assert_eq!(previous["SecretString"], "v2");
    let both =
        sm.ok("GetSecretValue", json!({"SecretId": "s", "VersionId": token(3), "VersionStage": "AWSCURRENT"})).await;
    assert_eq!(both["SecretString"], "v3");
    let e =
        sm.err("GetSecretValue", json!({"SecretId": "s", "VersionId": token(2), "VersionStage": "AWSCURRENT"})).await;
    assert_eq!(e.code, "ResourceNotFoundException");
    let e = sm.err("GetSecretValue", json!({"SecretId": "s", "VersionId": token(7)})).await;
    assert_error(
        &e,
        "ResourceNotFoundException",
        &format!("Secrets Manager can't find the specified secret value for VersionId: {}", token(7)),
    );
    let e = sm.err("GetSecretValue", json!({"SecretId": "s", "VersionStage": "AWSPENDING"})).await;
    assert_error(
        &e,
        "ResourceNotFoundException",
        "Secrets Manager can't find the specified secret value for staging label: AWSPENDING",
    );
}

#[tokio::test]
async fn put_with_explicit_stages_leaves_current_alone() {
    let sm = Sm::new();
    sm.ok("CreateSecret", json!({"Name": "s", "SecretString": "v1", "ClientRequestToken": token(1)})).await;
    let put = sm
        .ok(
            "PutSecretValue",
            json!({"SecretId": "s", "SecretString": "v2", "ClientRequestToken": token(2), "VersionStages": ["AWSPENDING"]}),
        )
        .await;
    assert_eq!(stages(&put["VersionStages"]), ["AWSPENDING"]);
    assert_eq!(sm.ok("GetSecretValue", json!({"SecretId": "s"})).await["SecretString"], "v1");
    // A label moves from the version that had it.
    sm.ok(
        "PutSecretValue",
        json!({"SecretId": "s", "SecretString": "v3", "ClientRequestToken": token(3), "VersionStages": ["AWSPENDING", "X"]}),
    )
    .await;
    assert_eq!(version_stages(&sm, "s").await, json!({ token(1): ["AWSCURRENT"], token(3): ["AWSPENDING", "X"] }));
    // Explicitly moving AWSCURRENT moves AWSPREVIOUS too.
    sm.ok(
        "PutSecretValue",
        json!({"SecretId": "s", "SecretString": "v4", "ClientRequestToken": token(4), "VersionStages": ["AWSCURRENT"]}),
    )
    .await;
    let map = version_stages(&sm, "s").await;
    assert_eq!(map[token(1)], json!(["AWSPREVIOUS"]));
    assert_eq!(map[token(4)], json!(["AWSCURRENT"]));
}

#[tokio::test]
async fn update_secret_version_stage_rules() {
    let sm = Sm::new();
    sm.ok("CreateSecret", json!({"Name": "s", "SecretString": "v1", "ClientRequestToken": token(1)})).await;
    sm.ok("PutSecretValue", json!({"SecretId": "s", "SecretString": "v2", "ClientRequestToken": token(2)})).await;
    sm.ok("PutSecretValue", json!({"SecretId": "s", "SecretString": "v3", "ClientRequestToken": token(3)})).await;

    // Moving AWSCURRENT needs the version that holds it.
    let e = sm
        .err(
            "UpdateSecretVersionStage",
            json!({"SecretId": "s", "VersionStage": "AWSCURRENT", "MoveToVersionId": token(1)}),
        )
        .await;
    assert_error(
        &e,
        "InvalidParameterException",
        &format!(
            "The parameter RemoveFromVersionId can't be empty. Staging label AWSCURRENT is currently attached to version {}, so you must explicitly reference that version in RemoveFromVersionId.",
            token(3)
        ),
    );
    let e = sm
        .err(
            "UpdateSecretVersionStage",
            json!({"SecretId": "s", "VersionStage": "AWSCURRENT", "MoveToVersionId": token(1), "RemoveFromVersionId": token(2)}),
        )
        .await;
    assert_eq!(e.code, "InvalidParameterException", "token(2) does not hold AWSCURRENT");
    // Roll back to v1.
    let out = sm
        .ok(
            "UpdateSecretVersionStage",
            json!({"SecretId": "s", "VersionStage": "AWSCURRENT", "MoveToVersionId": token(1), "RemoveFromVersionId": token(3)}),
        )
        .await;
    assert_eq!(out["Name"], "s");
    assert!(out.get("ARN").is_some());
    assert_eq!(version_stages(&sm, "s").await, json!({ token(1): ["AWSCURRENT"], token(3): ["AWSPREVIOUS"] }));
    assert_eq!(sm.ok("GetSecretValue", json!({"SecretId": "s"})).await["SecretString"], "v1");

    // AWSCURRENT can only move, never just be removed.
    let e = sm
        .err(
            "UpdateSecretVersionStage",
            json!({"SecretId": "s", "VersionStage": "AWSCURRENT", "RemoveFromVersionId": token(1)}),
        )
        .await;
    assert_error(
        &e,
        "InvalidParameterException",
        "You can only move staging label AWSCURRENT to a different secret version. It can't be completely removed.",
    );

    // Custom labels: attach to an unlabeled version, move, remove.
    sm.ok("UpdateSecretVersionStage", json!({"SecretId": "s", "VersionStage": "blue", "MoveToVersionId": token(2)}))
        .await;
    assert_eq!(version_stages(&sm, "s").await[token(2)], json!(["blue"]));
    sm.ok(
        "UpdateSecretVersionStage",
        json!({"SecretId": "s", "VersionStage": "blue", "MoveToVersionId": token(3), "RemoveFromVersionId": token(2)}),
    )
    .await;
    assert_eq!(version_stages(&sm, "s").await[token(3)], json!(["AWSPREVIOUS", "blue"]));
    sm.ok(
        "UpdateSecretVersionStage",
        json!({"SecretId": "s", "VersionStage": "blue", "RemoveFromVersionId": token(3)}),
    )
    .await;
    assert_eq!(version_stages(&sm, "s").await[token(3)], json!(["AWSPREVIOUS"]));

    let e = sm
        .err(
            "UpdateSecretVersionStage",
            json!({"SecretId": "s", "VersionStage": "blue", "RemoveFromVersionId": token(3)}),
        )
        .await;
    assert_eq!(e.code, "InvalidParameterException", "label not attached there");
    let e = sm
        .err("UpdateSecretVersionStage", json!({"SecretId": "s", "VersionStage": "blue", "MoveToVersionId": token(8)}))
        .await;
    assert_eq!(e.code, "ResourceNotFoundException");
    let e = sm.err("UpdateSecretVersionStage", json!({"SecretId": "s", "VersionStage": "blue"})).await;
    assert_eq!(e.code, "InvalidParameterException");
}

#[tokio::test]
async fn a_version_holds_at_most_twenty_labels() {
    let sm = Sm::new();
    sm.ok("CreateSecret", json!({"Name": "s", "SecretString": "v1", "ClientRequestToken": token(1)})).await;
    for i in 0..19 {
        sm.ok(
            "UpdateSecretVersionStage",
            json!({"SecretId": "s", "VersionStage": format!("L{i}"), "MoveToVersionId": token(1)}),
        )
        .await;
    }
    let e = sm
        .err(
            "UpdateSecretVersionStage",
            json!({"SecretId": "s", "VersionStage": "one-too-many", "MoveToVersionId": token(1)}),
        )
        .await;
    assert_eq!(e.code, "LimitExceededException");
}

#[tokio::test]
async fn deprecated_versions_beyond_one_hundred_are_removed_once_a_day_old() {
    let sm = Sm::new();
    sm.ok("CreateSecret", json!({"Name": "many", "SecretString": "v0", "ClientRequestToken": token(0)})).await;
    for i in 1..=104 {
        sm.ok(
            "PutSecretValue",
            json!({"SecretId": "many", "SecretString": format!("v{i}"), "ClientRequestToken": token(i)}),
        )
        .await;
    }
    // Versions younger than a day are never removed.
    assert_eq!(version_ids(&sm, "many", true).await.len(), 105);

    sm.advance(DAY + Duration::from_millis(1));
    sm.ok("PutSecretValue", json!({"SecretId": "many", "SecretString": "v105", "ClientRequestToken": token(105)}))
        .await;
    let ids = version_ids(&sm, "many", true).await;
    assert_eq!(ids.len(), 100);
    // The six oldest (all deprecated) went first.
    assert_eq!(ids[0], token(6));
    let e = sm.err("GetSecretValue", json!({"SecretId": "many", "VersionId": token(0)})).await;
    assert_eq!(e.code, "ResourceNotFoundException");
    assert_eq!(sm.ok("GetSecretValue", json!({"SecretId": "many"})).await["SecretString"], "v105");
    assert_eq!(
        sm.ok("GetSecretValue", json!({"SecretId": "many", "VersionStage": "AWSPREVIOUS"})).await["SecretString"],
        "v104"
    );

    // Labeled versions are never removed, however old.
    let sm = Sm::new();
    sm.ok("CreateSecret", json!({"Name": "kept", "SecretString": "v0", "ClientRequestToken": token(0)})).await;
    sm.ok(
        "UpdateSecretVersionStage",
        json!({"SecretId": "kept", "VersionStage": "pinned", "MoveToVersionId": token(0)}),
    )
    .await;
    sm.advance(DAY * 2);
    for i in 1..=101 {
        sm.ok(
            "PutSecretValue",
            json!({"SecretId": "kept", "SecretString": format!("v{i}"), "ClientRequestToken": token(i)}),
        )
        .await;
    }
    let pinned = sm.ok("GetSecretValue", json!({"SecretId": "kept", "VersionStage": "pinned"})).await;
    assert_eq!(pinned["SecretString"], "v0");
}

#[tokio::test]
async fn list_secret_version_ids_paginates() {
    let sm = Sm::new();
    sm.ok("CreateSecret", json!({"Name": "p", "SecretString": "v0", "ClientRequestToken": token(0)})).await;
    for i in 1..5 {
        sm.ok(
            "PutSecretValue",
            json!({"SecretId": "p", "SecretString": format!("v{i}"), "ClientRequestToken": token(i)}),
        )
        .await;
    }
    let mut seen = Vec::new();
    let mut next: Option<String> = None;
    loop {
        let mut input = json!({"SecretId": "p", "IncludeDeprecated": true, "MaxResults": 2});
        if let Some(t) = &next {
            input["NextToken"] = json!(t);
        }
        let page = sm.ok("ListSecretVersionIds", input).await;
        let versions = page["Versions"].as_array().unwrap();
        assert!(versions.len() <= 2);
        seen.extend(versions.iter().map(|v| v["VersionId"].as_str().unwrap().to_owned()));
        assert_eq!(page["Name"], "p");
        match page.get("NextToken") {
            Some(t) => next = Some(t.as_str().unwrap().to_owned()),
            None => break,
        }
    }
    assert_eq!(seen, (0..5).map(token).collect::<Vec<_>>());
    let e = sm.err("ListSecretVersionIds", json!({"SecretId": "p", "NextToken": "%%%"})).await;
    assert_eq!(e.code, "InvalidNextTokenException");
}
