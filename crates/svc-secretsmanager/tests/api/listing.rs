use std::time::Duration;

use serde_json::{Value, json};

use crate::common::*;

async fn names(sm: &Sm, input: Value) -> Vec<String> {
    let out = sm.ok("ListSecrets", input).await;
    out["SecretList"].as_array().unwrap().iter().map(|s| s["Name"].as_str().unwrap().to_owned()).collect()
}

/// prod/db, prod/api, dev/db, other: created one minute apart in that order.
async fn fixture() -> Sm {
    let sm = Sm::new();
    for (name, description, tags) in [
        (
            "prod/db",
            "Production database",
            json!([{"Key": "env", "Value": "production"}, {"Key": "Team", "Value": "data"}]),
        ),
        ("prod/api", "Public API key", json!([{"Key": "env", "Value": "production"}])),
        ("dev/db", "development database", json!([{"Key": "env", "Value": "dev"}])),
        ("other", "misc", json!([])),
    ] {
        sm.ok("CreateSecret", json!({"Name": name, "Description": description, "Tags": tags, "SecretString": name}))
            .await;
        sm.advance(Duration::from_secs(60));
    }
    sm
}

#[tokio::test]
async fn lists_by_creation_date() {
    let sm = fixture().await;
    assert_eq!(names(&sm, json!({})).await, ["prod/db", "prod/api", "dev/db", "other"]);
    assert_eq!(names(&sm, json!({"SortOrder": "desc"})).await, ["other", "dev/db", "prod/api", "prod/db"]);
    assert_eq!(names(&sm, json!({"SortBy": "name"})).await, ["dev/db", "other", "prod/api", "prod/db"]);
    assert_eq!(
        names(&sm, json!({"SortBy": "name", "SortOrder": "desc"})).await,
        ["prod/db", "prod/api", "other", "dev/db"]
    );
    sm.ok("UpdateSecret", json!({"SecretId": "prod/db", "Description": "changed"})).await;
    assert_eq!(names(&sm, json!({"SortBy": "last-changed-date", "SortOrder": "desc"})).await[0], "prod/db");
    let entry = &sm.ok("ListSecrets", json!({})).await["SecretList"][0];
    assert_eq!(entry["ARN"].as_str().map(|a| a.contains(":secret:prod/db-")), Some(true));
    assert!(entry["SecretVersionsToStages"].is_object());
    assert!(entry.get("VersionIdsToStages").is_none());
    assert_eq!(secs(&entry["CreatedDate"]), START as f64);
}

#[tokio::test]
async fn filters() {
    let sm = fixture().await;
    let f = |key: &str, values: &[&str]| json!({"Filters": [{"Key": key, "Values": values}]});
    assert_eq!(names(&sm, f("name", &["prod/"])).await, ["prod/db", "prod/api"]);
    assert!(names(&sm, f("name", &["PROD"])).await.is_empty(), "name is case-sensitive");
    assert_eq!(names(&sm, f("name", &["!prod"])).await, ["dev/db", "other"]);
    assert_eq!(names(&sm, f("name", &["dev", "other"])).await, ["dev/db", "other"]);
    assert_eq!(names(&sm, f("description", &["production"])).await, ["prod/db"]);
    assert_eq!(names(&sm, f("description", &["DEVELOPMENT"])).await, ["dev/db"]);
    assert_eq!(names(&sm, f("tag-key", &["env"])).await, ["prod/db", "prod/api", "dev/db"]);
    assert_eq!(names(&sm, f("tag-key", &["Te"])).await, ["prod/db"]);
    assert!(names(&sm, f("tag-key", &["te"])).await.is_empty());
    assert_eq!(names(&sm, f("tag-value", &["prod"])).await, ["prod/db", "prod/api"]);
    assert_eq!(names(&sm, f("tag-value", &["!prod"])).await, ["dev/db", "other"]);
    assert_eq!(names(&sm, f("primary-region", &["us-east"])).await.len(), 4);
    assert!(names(&sm, f("primary-region", &["eu-"])).await.is_empty());
    assert!(names(&sm, f("owning-service", &["rds"])).await.is_empty());
    assert_eq!(names(&sm, f("all", &["database"])).await, ["prod/db", "dev/db"]);
    assert_eq!(names(&sm, f("all", &["DATA"])).await, ["prod/db", "dev/db"]);
    assert_eq!(names(&sm, f("all", &["production db"])).await, ["prod/db"]);
    assert_eq!(names(&sm, f("all", &["!database"])).await, ["prod/api", "other"]);
    // Filters combine with AND.
    let both = json!({"Filters": [
        {"Key": "tag-key", "Values": ["env"]},
        {"Key": "description", "Values": ["!public"]}
    ]});
    assert_eq!(names(&sm, both).await, ["prod/db", "dev/db"]);
}

#[tokio::test]
async fn pagination() {
    let sm = fixture().await;
    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut input = json!({"MaxResults": 3, "SortOrder": "desc"});
        if let Some(t) = &token {
            input["NextToken"] = json!(t);
        }
        let page = sm.ok("ListSecrets", input).await;
        pages += 1;
        seen.extend(page["SecretList"].as_array().unwrap().iter().map(|s| s["Name"].as_str().unwrap().to_owned()));
        match page.get("NextToken") {
            Some(t) => token = Some(t.as_str().unwrap().to_owned()),
            None => break,
        }
    }
    assert_eq!(pages, 2);
    assert_eq!(seen, ["other", "dev/db", "prod/api", "prod/db"]);

    // A secret deleted between pages does not shift the rest.
    let first = sm.ok("ListSecrets", json!({"MaxResults": 2})).await;
    assert_eq!(first["SecretList"][1]["Name"], "prod/api");
    sm.ok("DeleteSecret", json!({"SecretId": "prod/db", "ForceDeleteWithoutRecovery": true})).await;
    let second = sm.ok("ListSecrets", json!({"MaxResults": 2, "NextToken": first["NextToken"]})).await;
    let rest: Vec<_> = second["SecretList"].as_array().unwrap().iter().map(|s| s["Name"].clone()).collect();
    assert_eq!(rest, [json!("dev/db"), json!("other")]);
    assert!(second.get("NextToken").is_none());

    let e = sm.err("ListSecrets", json!({"NextToken": "not-a-token"})).await;
    assert_eq!(e.code, "InvalidNextTokenException");
}

#[tokio::test]
async fn batch_get_secret_value_by_ids() {
    let sm = fixture().await;
    sm.ok("CreateSecret", json!({"Name": "novalue"})).await;
    sm.ok("DeleteSecret", json!({"SecretId": "other"})).await;
    let out = sm
        .ok("BatchGetSecretValue", json!({"SecretIdList": ["prod/db", "missing", "other", "dev/db", "novalue"]}))
        .await;
    let values = out["SecretValues"].as_array().unwrap();
    assert_eq!(values.len(), 2);
    assert_eq!(values[0]["Name"], "prod/db");
    assert_eq!(values[0]["SecretString"], "prod/db");
    assert_eq!(stages(&values[0]["VersionStages"]), ["AWSCURRENT"]);
    assert_eq!(values[1]["SecretString"], "dev/db");
    let errors = out["Errors"].as_array().unwrap();
    let codes: Vec<_> = errors.iter().map(|e| (e["SecretId"].clone(), e["ErrorCode"].clone())).collect();
    assert_eq!(
        codes,
        [
            (json!("missing"), json!("ResourceNotFoundException")),
            (json!("other"), json!("InvalidRequestException")),
            (json!("novalue"), json!("ResourceNotFoundException")),
        ]
    );
    assert_eq!(errors[0]["Message"], "Secrets Manager can't find the specified secret.");
}

#[tokio::test]
async fn batch_get_secret_value_by_filters() {
    let sm = fixture().await;
    let mut names = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut input = json!({"Filters": [{"Key": "tag-key", "Values": ["env"]}], "MaxResults": 2});
        if let Some(t) = &token {
            input["NextToken"] = json!(t);
        }
        let out = sm.ok("BatchGetSecretValue", input).await;
        for v in out["SecretValues"].as_array().unwrap() {
            assert_eq!(v["SecretString"], v["Name"]);
            names.push(v["Name"].as_str().unwrap().to_owned());
        }
        match out.get("NextToken") {
            Some(t) => token = Some(t.as_str().unwrap().to_owned()),
            None => break,
        }
    }
    assert_eq!(names, ["prod/db", "prod/api", "dev/db"]);

    for input in [
        json!({}),
        json!({"SecretIdList": ["prod/db"], "Filters": [{"Key": "name", "Values": ["prod"]}]}),
        json!({"SecretIdList": ["prod/db"], "MaxResults": 5}),
    ] {
        let e = sm.err("BatchGetSecretValue", input).await;
        assert_eq!(e.code, "InvalidParameterException");
    }
}
