//! LabelParameterVersion / UnlabelParameterVersion, and tagging.

mod common;

use common::{Harness, arn};
use nimbus_svc_ssm::Limits;
use serde_json::json;

async fn three_versions() -> Harness {
    let h = Harness::new();
    h.put("/l", "one").await;
    h.overwrite("/l", "two").await;
    h.overwrite("/l", "three").await;
    h
}

#[tokio::test]
async fn labels_select_versions_and_move() {
    let h = three_versions().await;
    let out =
        h.ok("LabelParameterVersion", json!({"Name": "/l", "ParameterVersion": 1, "Labels": ["prod", "stable"]})).await;
    assert_eq!(out, json!({"InvalidLabels": [], "ParameterVersion": 1}));
    let p = h.get("/l:prod").await;
    assert_eq!(
        (p["Value"].as_str(), p["Version"].as_i64(), p["Selector"].as_str()),
        (Some("one"), Some(1), Some(":prod"))
    );
    let many = h.ok("GetParameters", json!({"Names": ["/l:stable", "/l:nope"]})).await;
    assert_eq!(many["Parameters"][0]["Value"], "one");
    assert_eq!(many["InvalidParameters"], json!(["/l:nope"]));

    // Without ParameterVersion the label goes on the latest version, moving off version 1.
    let out = h.ok("LabelParameterVersion", json!({"Name": "/l", "Labels": ["prod"]})).await;
    assert_eq!(out["ParameterVersion"], 3);
    assert_eq!(h.get("/l:prod").await["Value"], "three");
    let history = h.ok("GetParameterHistory", json!({"Name": "/l"})).await;
    let labels: Vec<_> = history["Parameters"].as_array().unwrap().iter().map(|v| v["Labels"].clone()).collect();
    assert_eq!(labels, vec![json!(["stable"]), json!([]), json!(["prod"])]);
    // Labels stay with their version when new versions are written.
    h.overwrite("/l", "four").await;
    assert_eq!(h.get("/l:prod").await["Value"], "three");

    let e = h.err("GetParameter", json!({"Name": "/l:missing"})).await;
    assert_eq!(e.code, "ParameterVersionNotFound");
}

#[tokio::test]
async fn invalid_labels_are_reported_not_attached() {
    let h = three_versions().await;
    let out = h
        .ok("LabelParameterVersion", json!({"Name": "/l", "ParameterVersion": 2, "Labels": ["ok-label", "1st", "awsy", "SSM_x", "has space", "a/b"]}))
        .await;
    assert_eq!(out["InvalidLabels"], json!(["1st", "awsy", "SSM_x", "has space", "a/b"]));
    assert_eq!(out["ParameterVersion"], 2);
    let history = h.ok("GetParameterHistory", json!({"Name": "/l"})).await;
    assert_eq!(history["Parameters"][1]["Labels"], json!(["ok-label"]));
}

#[tokio::test]
async fn label_errors() {
    let h = three_versions().await;
    let ten: Vec<String> = (0..10).map(|i| format!("l{i}")).collect();
    h.ok("LabelParameterVersion", json!({"Name": "/l", "ParameterVersion": 1, "Labels": ten})).await;
    // Re-attaching labels a version has is fine; an eleventh is not.
    h.ok("LabelParameterVersion", json!({"Name": "/l", "ParameterVersion": 1, "Labels": ["l0", "l1"]})).await;
    let e = h.err("LabelParameterVersion", json!({"Name": "/l", "ParameterVersion": 1, "Labels": ["l10"]})).await;
    assert_eq!(e.code, "ParameterVersionLabelLimitExceeded");
    let e = h.err("LabelParameterVersion", json!({"Name": "/l", "ParameterVersion": 9, "Labels": ["x"]})).await;
    assert_eq!(e.code, "ParameterVersionNotFound");
    assert_eq!(e.message, "Systems Manager could not find version 9 of /l. Verify the version and try again.");
    let e = h.err("LabelParameterVersion", json!({"Name": "/none", "Labels": ["x"]})).await;
    assert_eq!(e.code, "ParameterNotFound");
}

#[tokio::test]
async fn unlabel() {
    let h = three_versions().await;
    h.ok("LabelParameterVersion", json!({"Name": "/l", "ParameterVersion": 2, "Labels": ["a", "b"]})).await;
    h.ok("LabelParameterVersion", json!({"Name": "/l", "ParameterVersion": 3, "Labels": ["c"]})).await;
    let out = h
        .ok("UnlabelParameterVersion", json!({"Name": "/l", "ParameterVersion": 2, "Labels": ["a", "c", "zzz"]}))
        .await;
    assert_eq!(out, json!({"RemovedLabels": ["a"], "InvalidLabels": ["c", "zzz"]}));
    assert_eq!(h.err("GetParameter", json!({"Name": "/l:a"})).await.code, "ParameterVersionNotFound");
    assert_eq!(h.get("/l:b").await["Version"], 2);
    assert_eq!(h.get("/l:c").await["Version"], 3);
    let e = h.err("UnlabelParameterVersion", json!({"Name": "/l", "ParameterVersion": 5, "Labels": ["b"]})).await;
    assert_eq!(e.code, "ParameterVersionNotFound");
    let e = h.err("UnlabelParameterVersion", json!({"Name": "/none", "ParameterVersion": 1, "Labels": ["b"]})).await;
    assert_eq!(e.code, "ParameterNotFound");
}

async fn list(h: &Harness) -> serde_json::Value {
    h.ok("ListTagsForResource", json!({"ResourceType": "Parameter", "ResourceId": "/t"})).await["TagList"].clone()
}

#[tokio::test]
async fn tags_lifecycle() {
    let h = Harness::new();
    h.ok(
        "PutParameter",
        json!({"Name": "/t", "Value": "v", "Type": "String", "Tags": [{"Key": "env", "Value": "dev"}, {"Key": "team", "Value": "a"}]}),
    )
    .await;
    assert_eq!(list(&h).await, json!([{"Key": "env", "Value": "dev"}, {"Key": "team", "Value": "a"}]));
    h.ok(
        "AddTagsToResource",
        json!({"ResourceType": "Parameter", "ResourceId": "/t", "Tags": [{"Key": "env", "Value": "prod"}, {"Key": "cost", "Value": "1"}]}),
    )
    .await;
    assert_eq!(
        list(&h).await,
        json!([{"Key": "env", "Value": "prod"}, {"Key": "team", "Value": "a"}, {"Key": "cost", "Value": "1"}])
    );
    h.ok(
        "RemoveTagsFromResource",
        json!({"ResourceType": "Parameter", "ResourceId": arn("/t"), "TagKeys": ["team", "absent"]}),
    )
    .await;
    assert_eq!(list(&h).await, json!([{"Key": "env", "Value": "prod"}, {"Key": "cost", "Value": "1"}]));
    // Overwriting the value leaves tags alone.
    h.overwrite("/t", "w").await;
    assert_eq!(list(&h).await.as_array().unwrap().len(), 2);
    // Deleting the parameter deletes its tags.
    h.ok("DeleteParameter", json!({"Name": "/t"})).await;
    h.put("/t", "again").await;
    assert_eq!(list(&h).await, json!([]));
}

#[tokio::test]
async fn tag_errors() {
    let h = Harness::with_limits(Limits { tags: 3, ..Limits::default() });
    h.put("/t", "v").await;
    for (op, extra) in [
        ("AddTagsToResource", json!({"Tags": [{"Key": "a", "Value": "b"}]})),
        ("RemoveTagsFromResource", json!({"TagKeys": ["a"]})),
        ("ListTagsForResource", json!({})),
    ] {
        let mut input = json!({"ResourceType": "Parameter", "ResourceId": "/missing"});
        input.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        assert_eq!(h.err(op, input.clone()).await.code, "InvalidResourceId", "{op}");
        input["ResourceType"] = json!("Document");
        assert_eq!(h.err(op, input).await.code, "NotImplemented", "{op}");
    }
    let tags: Vec<_> = (0..4).map(|i| json!({"Key": format!("k{i}"), "Value": "v"})).collect();
    let e = h.err("AddTagsToResource", json!({"ResourceType": "Parameter", "ResourceId": "/t", "Tags": tags})).await;
    assert_eq!(e.code, "TooManyTagsError");
    let e = h.err("PutParameter", json!({"Name": "/u", "Value": "v", "Type": "String", "Tags": tags})).await;
    assert_eq!(e.code, "TooManyTagsError");
    let listed = h.ok("ListTagsForResource", json!({"ResourceType": "Parameter", "ResourceId": "/t"})).await;
    assert_eq!(listed["TagList"], json!([]));
}
