//! PutParameter, GetParameter(s), deletes, tiers, policies and name rules.

mod common;

use std::time::Duration;

use common::{Harness, START, arn};
use nimbus_svc_ssm::Limits;
use serde_json::json;

#[tokio::test]
async fn put_then_get_returns_the_parameter() {
    let h = Harness::new();
    let out = h.put("/app/db/host", "db.local").await;
    assert_eq!(out, json!({"Version": 1, "Tier": "Standard"}));
    let p = h.get("/app/db/host").await;
    assert_eq!(
        p,
        json!({
            "Name": "/app/db/host",
            "Type": "String",
            "Value": "db.local",
            "Version": 1,
            "LastModifiedDate": START,
            "ARN": "arn:aws:ssm:us-east-1:000000000000:parameter/app/db/host",
            "DataType": "text",
        })
    );
    // The same parameter by ARN; a plain name's ARN has no extra slash.
    assert_eq!(h.get(&arn("/app/db/host")).await["Value"], "db.local");
    h.put("plain", "v").await;
    assert_eq!(h.get("plain").await["ARN"], "arn:aws:ssm:us-east-1:000000000000:parameter/plain");
    assert_eq!(h.get(&arn("plain")).await["Name"], "plain");
    // Spaces around a name are trimmed.
    assert_eq!(h.get("  plain ").await["Name"], "plain");
}

#[tokio::test]
async fn missing_parameters() {
    let h = Harness::new();
    let e = h.err("GetParameter", json!({"Name": "/nope"})).await;
    assert_eq!((e.code.as_ref(), e.message.as_str()), ("ParameterNotFound", ""));
    let e = h.err("GetParameter", json!({"Name": "arn:aws:ssm:eu-west-1:000000000000:parameter/x"})).await;
    assert_eq!(e.code, "ParameterNotFound");
    assert_eq!(h.err("DeleteParameter", json!({"Name": "/nope"})).await.code, "ParameterNotFound");
    assert_eq!(h.err("GetParameterHistory", json!({"Name": "/nope"})).await.code, "ParameterNotFound");
}

#[tokio::test]
async fn overwrite_creates_versions_and_selectors_pick_them() {
    let h = Harness::new();
    h.put("/p", "one").await;
    let e = h.err("PutParameter", json!({"Name": "/p", "Value": "two", "Type": "String"})).await;
    assert_eq!(e.code, "ParameterAlreadyExists");
    assert_eq!(
        e.message,
        "The parameter already exists. To overwrite this value, set the overwrite option in the request to true."
    );
    h.clock.advance(Duration::from_secs(60));
    assert_eq!(h.overwrite("/p", "two").await, json!({"Version": 2, "Tier": "Standard"}));
    let latest = h.get("/p").await;
    assert_eq!((latest["Value"].as_str(), latest["Version"].as_i64()), (Some("two"), Some(2)));
    assert_eq!(latest["LastModifiedDate"], START + 60);
    let v1 = h.get("/p:1").await;
    assert_eq!(v1["Value"], "one");
    assert_eq!(v1["Version"], 1);
    assert_eq!(v1["Selector"], ":1");
    assert_eq!(v1["Name"], "/p");
    assert_eq!(v1["LastModifiedDate"], START);
    assert_eq!(h.get(&format!("{}:1", arn("/p"))).await["Value"], "one");

    let e = h.err("GetParameter", json!({"Name": "/p:7"})).await;
    assert_eq!(e.code, "ParameterVersionNotFound");
    assert_eq!(e.message, "Systems Manager could not find version 7 of /p. Verify the version and try again.");
    assert_eq!(h.err("GetParameter", json!({"Name": "/p:nolabel"})).await.code, "ParameterVersionNotFound");
    assert_eq!(h.err("GetParameter", json!({"Name": "/p:1:2"})).await.code, "ValidationException");

    let history = h.ok("GetParameterHistory", json!({"Name": "/p"})).await;
    let values: Vec<_> = history["Parameters"].as_array().unwrap().iter().map(|v| v["Value"].clone()).collect();
    assert_eq!(values, vec![json!("one"), json!("two")]);
    assert_eq!(history["Parameters"][0]["LastModifiedUser"], "arn:aws:iam::000000000000:root");
    assert_eq!(history["Parameters"][0]["Labels"], json!([]));
    assert_eq!(history["Parameters"][0]["Policies"], json!([]));
    assert!(history.get("NextToken").is_none());
}

#[tokio::test]
async fn overwrite_keeps_unspecified_attributes_and_may_change_type() {
    let h = Harness::new();
    h.ok(
        "PutParameter",
        json!({"Name": "/k", "Value": "a,b", "Type": "StringList", "Description": "list", "AllowedPattern": "[a-z,]+"}),
    )
    .await;
    h.overwrite("/k", "c,d").await;
    let meta = h.ok("DescribeParameters", json!({"ParameterFilters": [{"Key": "Name", "Values": ["/k"]}]})).await;
    let p = &meta["Parameters"][0];
    assert_eq!((p["Type"].as_str(), p["Description"].as_str()), (Some("StringList"), Some("list")));
    assert_eq!(p["AllowedPattern"], "[a-z,]+");
    assert_eq!(p["Version"], 2);
    // The kept pattern still applies.
    let e = h.err("PutParameter", json!({"Name": "/k", "Value": "X", "Overwrite": true})).await;
    assert_eq!(e.code, "ParameterPatternMismatchException");
    // Types may change on overwrite.
    h.ok("PutParameter", json!({"Name": "/k", "Value": "plain", "Type": "String", "Overwrite": true})).await;
    assert_eq!(h.get("/k").await["Type"], "String");
    assert_eq!(h.get("/k:2").await["Type"], "StringList");
}

#[tokio::test]
async fn put_request_rules() {
    let h = Harness::new();
    let e = h
        .err("PutParameter", json!({"Name": "/t", "Value": "v", "Type": "String", "Overwrite": true, "Tags": [{"Key": "a", "Value": "b"}]}))
        .await;
    assert_eq!(e.code, "ValidationException");
    assert_eq!(
        e.message,
        "Invalid request: tags and overwrite can't be used together. To create a parameter with tags, please remove overwrite flag. To update tags for an existing parameter, please use AddTagsToResource or RemoveTagsFromResource."
    );
    assert_eq!(h.err("PutParameter", json!({"Name": "/t", "Value": "v"})).await.code, "ValidationException");
    let e = h.err("PutParameter", json!({"Name": "/t", "Value": "", "Type": "String"})).await;
    assert_eq!(
        e.message,
        "1 validation error detected: Value at 'value' failed to satisfy constraint: Member must have length greater than or equal to 1"
    );
    let e =
        h.err("PutParameter", json!({"Name": "/t", "Value": "v", "Type": "String", "AllowedPattern": "^\\d+$"})).await;
    assert_eq!(e.code, "ParameterPatternMismatchException");
    let e = h.err("PutParameter", json!({"Name": "/t", "Value": "v", "Type": "String", "AllowedPattern": "("})).await;
    assert_eq!(e.code, "InvalidAllowedPatternException");
    h.ok("PutParameter", json!({"Name": "/t", "Value": "42", "Type": "String", "AllowedPattern": "^\\d+$"})).await;
    let e = h.err("PutParameter", json!({"Name": "/u", "Value": "v", "Type": "String", "KeyId": "alias/mine"})).await;
    assert_eq!(e.code, "ValidationException");
    // Nothing was created by the failed requests.
    assert_eq!(h.err("GetParameter", json!({"Name": "/u"})).await.code, "ParameterNotFound");
}

#[tokio::test]
async fn name_rules_have_aws_codes_and_messages() {
    let h = Harness::new();
    let rules = "Parameter name: can't be prefixed with \"ssm\" (case-insensitive). If formed as a path, it can consist of sub-paths divided by slash symbol; each sub-path can be formed as a mix of letters, numbers and the following 3 symbols .-_";
    for bad in ["a/b", "/a//b", "/a/b/", "/ssm/x", "SSMparam", "with space", "/a/b@c", "/a/b:c"] {
        let e = h.err("PutParameter", json!({"Name": bad, "Value": "v", "Type": "String"})).await;
        assert_eq!((e.code.as_ref(), e.message.as_str()), ("ValidationException", rules), "{bad}");
    }
    let e = h.err("PutParameter", json!({"Name": "/aws/mine", "Value": "v", "Type": "String"})).await;
    assert_eq!(
        (e.code.as_ref(), e.message.as_str()),
        ("AccessDeniedException", "No access to reserved parameter name: aws/mine.")
    );
    let e = h.err("DeleteParameter", json!({"Name": "awsthing"})).await;
    assert_eq!(e.message, "No access to reserved parameter name: awsthing.");
    // Reading under /aws is allowed (AWS's public parameters live there).
    assert_eq!(h.err("GetParameter", json!({"Name": "/aws/service/x"})).await.code, "ParameterNotFound");
    assert_eq!(h.err("GetParameter", json!({"Name": "x/y"})).await.message, rules);

    let deep15: String = (1..=15).map(|i| format!("/l{i}")).collect();
    h.put(&deep15, "ok").await;
    let e = h.err("PutParameter", json!({"Name": format!("{deep15}/l16"), "Value": "v", "Type": "String"})).await;
    assert_eq!(e.code, "HierarchyLevelLimitExceededException");

    let e = h.err("PutParameter", json!({"Name": "a".repeat(1012), "Value": "v", "Type": "String"})).await;
    assert_eq!(e.code, "ValidationException");
    h.put(&"a".repeat(1011), "ok").await;
}

#[tokio::test]
async fn tiers_and_value_size_limits() {
    let h = Harness::new();
    let big = "x".repeat(4097);
    let e = h.err("PutParameter", json!({"Name": "/big", "Value": big, "Type": "String"})).await;
    assert_eq!(e.code, "ValidationException");
    assert!(e.message.starts_with("Standard tier parameters support a maximum parameter value of 4096 characters."));
    h.ok("PutParameter", json!({"Name": "/edge", "Value": "x".repeat(4096), "Type": "String"})).await;
    let out = h
        .ok("PutParameter", json!({"Name": "/big", "Value": big, "Type": "String", "Tier": "Intelligent-Tiering"}))
        .await;
    assert_eq!(out["Tier"], "Advanced");
    let out = h
        .ok("PutParameter", json!({"Name": "/small", "Value": "x", "Type": "String", "Tier": "Intelligent-Tiering"}))
        .await;
    assert_eq!(out["Tier"], "Standard");
    let e = h
        .err("PutParameter", json!({"Name": "/huge", "Value": "x".repeat(8193), "Type": "String", "Tier": "Advanced"}))
        .await;
    assert_eq!(e.code, "ValidationException");
    h.ok("PutParameter", json!({"Name": "/huge", "Value": "x".repeat(8192), "Type": "String", "Tier": "Advanced"}))
        .await;

    // Advanced never goes back to Standard; omitting Tier keeps Advanced.
    let e = h.err("PutParameter", json!({"Name": "/big", "Value": "v", "Overwrite": true, "Tier": "Standard"})).await;
    assert_eq!(e.code, "ValidationException");
    assert!(e.message.contains("You can't downgrade a parameter from the advanced-parameter tier"));
    assert_eq!(h.overwrite("/big", "small now").await["Tier"], "Advanced");
    let out = h
        .ok("PutParameter", json!({"Name": "/big", "Value": "v", "Overwrite": true, "Tier": "Intelligent-Tiering"}))
        .await;
    assert_eq!(out["Tier"], "Advanced");
    // Standard can be upgraded.
    let out =
        h.ok("PutParameter", json!({"Name": "/small", "Value": "v", "Overwrite": true, "Tier": "Advanced"})).await;
    assert_eq!(out, json!({"Version": 2, "Tier": "Advanced"}));
    let meta = h.ok("DescribeParameters", json!({"ParameterFilters": [{"Key": "Name", "Values": ["/small"]}]})).await;
    assert_eq!(meta["Parameters"][0]["Tier"], "Advanced");
}

#[tokio::test]
async fn tier_quotas() {
    let h = Harness::with_limits(Limits { standard_parameters: 2, ..Limits::default() });
    h.put("/a", "1").await;
    h.put("/b", "2").await;
    let e = h.err("PutParameter", json!({"Name": "/c", "Value": "3", "Type": "String"})).await;
    assert_eq!(e.code, "ParameterLimitExceeded");
    assert!(e.message.contains("maximum number of standard parameters for this AWS account and Region (2)"));
    // Overwriting an existing standard parameter is not a new one.
    h.overwrite("/a", "again").await;
    let out = h
        .ok("PutParameter", json!({"Name": "/c", "Value": "3", "Type": "String", "Tier": "Intelligent-Tiering"}))
        .await;
    assert_eq!(out["Tier"], "Advanced");
    h.ok("DeleteParameter", json!({"Name": "/b"})).await;
    h.put("/d", "4").await;
}

#[tokio::test]
async fn policies_need_advanced_and_expiration_deletes() {
    let h = Harness::new();
    let expire =
        json!([{"Type": "Expiration", "Version": "1.0", "Attributes": {"Timestamp": "2023-11-15T00:00:00.000Z"}}])
            .to_string();
    let e = h.err("PutParameter", json!({"Name": "/e", "Value": "v", "Type": "String", "Policies": expire})).await;
    assert_eq!(e.code, "ValidationException");
    let e = h
        .err("PutParameter", json!({"Name": "/e", "Value": "v", "Type": "String", "Tier": "Advanced", "Policies": "[{\"Type\":\"Nope\",\"Version\":\"1.0\",\"Attributes\":{}}]"}))
        .await;
    assert_eq!(e.code, "InvalidPolicyTypeException");
    let out = h
        .ok(
            "PutParameter",
            json!({"Name": "/e", "Value": "v", "Type": "String", "Tier": "Intelligent-Tiering", "Policies": expire}),
        )
        .await;
    assert_eq!(out["Tier"], "Advanced");
    let meta = h.ok("DescribeParameters", json!({"ParameterFilters": [{"Key": "Name", "Values": ["/e"]}]})).await;
    let policy = &meta["Parameters"][0]["Policies"][0];
    assert_eq!(policy["PolicyType"], "Expiration");
    assert_eq!(policy["PolicyStatus"], "Pending");
    assert_eq!(
        policy["PolicyText"],
        r#"{"Type":"Expiration","Version":"1.0","Attributes":{"Timestamp":"2023-11-15T00:00:00.000Z"}}"#
    );
    let history = h.ok("GetParameterHistory", json!({"Name": "/e"})).await;
    assert_eq!(history["Parameters"][0]["Policies"][0]["PolicyType"], "Expiration");

    // 2023-11-15T00:00Z is about two hours after the start clock; past it the parameter is gone.
    h.clock.advance(Duration::from_secs(86_400));
    assert_eq!(h.err("GetParameter", json!({"Name": "/e"})).await.code, "ParameterNotFound");
    let listed = h.ok("DescribeParameters", json!({})).await;
    assert_eq!(listed["Parameters"], json!([]));
    // And the name is free again, history included.
    assert_eq!(h.put("/e", "new").await["Version"], 1);
    let history = h.ok("GetParameterHistory", json!({"Name": "/e"})).await;
    assert_eq!(history["Parameters"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn data_types() {
    let h = Harness::new();
    let out = h
        .ok(
            "PutParameter",
            json!({"Name": "/ami", "Value": "ami-0123456789abcdef0", "Type": "String", "DataType": "aws:ec2:image"}),
        )
        .await;
    assert_eq!(out["Version"], 1);
    assert_eq!(h.get("/ami").await["DataType"], "aws:ec2:image");
    let e = h.err("PutParameter", json!({"Name": "/ami", "Value": "not-an-ami", "Overwrite": true})).await;
    assert_eq!(e.code, "ValidationException");
    let e = h
        .err(
            "PutParameter",
            json!({"Name": "/ami2", "Value": "ami-12345678", "Type": "SecureString", "DataType": "aws:ec2:image"}),
        )
        .await;
    assert_eq!(e.code, "ValidationException");
    let e = h.err("PutParameter", json!({"Name": "/x", "Value": "v", "Type": "String", "DataType": "Text"})).await;
    assert_eq!(e.code, "ValidationException");
    let e = h.err("PutParameter", json!({"Name": "/ami", "Value": "v", "Overwrite": true, "DataType": "text"})).await;
    assert_eq!(e.code, "ValidationException");
}

#[tokio::test]
async fn get_parameters_splits_found_and_invalid() {
    let h = Harness::new();
    h.put("/a", "1").await;
    h.overwrite("/a", "2").await;
    h.put("/b", "3").await;
    let out = h.ok("GetParameters", json!({"Names": ["/a", "/missing", "/b", "/a:1", "/a:9", "/a"]})).await;
    let values: Vec<_> = out["Parameters"].as_array().unwrap().iter().map(|p| p["Value"].clone()).collect();
    assert_eq!(values, vec![json!("2"), json!("3"), json!("1")]);
    assert_eq!(out["Parameters"][2]["Selector"], ":1");
    assert_eq!(out["InvalidParameters"], json!(["/missing", "/a:9"]));
    assert_eq!(h.err("GetParameters", json!({"Names": ["bad/name"]})).await.code, "ValidationException");
}

#[tokio::test]
async fn deletes() {
    let h = Harness::new();
    h.put("/a", "1").await;
    h.overwrite("/a", "2").await;
    h.put("/b", "2").await;
    assert_eq!(h.ok("DeleteParameter", json!({"Name": "/a"})).await, json!({}));
    assert_eq!(h.err("GetParameter", json!({"Name": "/a"})).await.code, "ParameterNotFound");
    // Recreating starts over at version 1.
    assert_eq!(h.put("/a", "again").await["Version"], 1);
    let out = h.ok("DeleteParameters", json!({"Names": ["/a", "/nope", "/b", "/a"]})).await;
    assert_eq!(out, json!({"DeletedParameters": ["/a", "/b"], "InvalidParameters": ["/nope"]}));
    assert_eq!(h.ok("DescribeParameters", json!({})).await["Parameters"], json!([]));
}

#[tokio::test]
async fn oldest_versions_are_dropped_unless_labeled() {
    let h = Harness::with_limits(Limits { versions: 3, ..Limits::default() });
    h.put("/v", "1").await;
    for i in 2..=5 {
        h.overwrite("/v", &i.to_string()).await;
    }
    let history = h.ok("GetParameterHistory", json!({"Name": "/v"})).await;
    let versions: Vec<_> =
        history["Parameters"].as_array().unwrap().iter().map(|v| v["Version"].as_i64().unwrap()).collect();
    assert_eq!(versions, vec![3, 4, 5]);
    assert_eq!(h.err("GetParameter", json!({"Name": "/v:2"})).await.code, "ParameterVersionNotFound");
    h.ok("LabelParameterVersion", json!({"Name": "/v", "ParameterVersion": 3, "Labels": ["keep"]})).await;
    let e = h.err("PutParameter", json!({"Name": "/v", "Value": "6", "Overwrite": true})).await;
    assert_eq!(e.code, "ParameterMaxVersionLimitExceeded");
    assert_eq!(
        e.message,
        "You attempted to create a new version of /v by calling the PutParameter API with the overwrite flag. Version 3, the oldest version, can't be deleted because it has a label associated with it. Move the label to another version of the parameter, and try again."
    );
    h.ok("LabelParameterVersion", json!({"Name": "/v", "ParameterVersion": 5, "Labels": ["keep"]})).await;
    assert_eq!(h.overwrite("/v", "6").await["Version"], 6);
}
