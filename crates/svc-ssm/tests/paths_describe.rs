//! GetParametersByPath and DescribeParameters: hierarchy, filters, pagination.

mod common;

use common::Harness;
use serde_json::{Value, json};

/// /app/a, /app/b, /app/db/host, /app/db/port, /app/db/deep/x, /apple, /other/z, top
async fn tree() -> Harness {
    let h = Harness::new();
    for name in ["/app/a", "/app/b", "/app/db/host", "/app/db/port", "/app/db/deep/x", "/apple", "/other/z", "top"] {
        h.put(name, "v").await;
    }
    h
}

async fn by_path(h: &Harness, input: Value) -> Vec<String> {
    Harness::names(&h.ok("GetParametersByPath", input).await["Parameters"])
}

async fn describe(h: &Harness, filters: Value) -> Vec<String> {
    let out = h.ok("DescribeParameters", json!({"ParameterFilters": filters, "MaxResults": 50})).await;
    Harness::names(&out["Parameters"])
}

/// Every page of an operation, following NextToken.
async fn all_pages(h: &Harness, op: &str, mut input: Value, list: &str) -> (Vec<String>, usize) {
    let mut names = Vec::new();
    let mut pages = 0;
    loop {
        let out = h.ok(op, input.clone()).await;
        pages += 1;
        names.extend(
            out[list]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p.get("Name").map_or(p["Version"].to_string(), |n| n.as_str().unwrap().to_owned())),
        );
        match out.get("NextToken") {
            Some(token) => input["NextToken"] = token.clone(),
            None => return (names, pages),
        }
    }
}

#[tokio::test]
async fn one_level_and_recursive() {
    let h = tree().await;
    assert_eq!(by_path(&h, json!({"Path": "/app"})).await, vec!["/app/a", "/app/b"]);
    assert_eq!(by_path(&h, json!({"Path": "/app/"})).await, vec!["/app/a", "/app/b"]);
    assert_eq!(
        by_path(&h, json!({"Path": "/app", "Recursive": true, "MaxResults": 10})).await,
        vec!["/app/a", "/app/b", "/app/db/deep/x", "/app/db/host", "/app/db/port"]
    );
    assert_eq!(by_path(&h, json!({"Path": "/app/db"})).await, vec!["/app/db/host", "/app/db/port"]);
    assert_eq!(by_path(&h, json!({"Path": "/"})).await, vec!["/apple", "top"]);
    assert_eq!(by_path(&h, json!({"Path": "/nothing", "Recursive": true})).await, Vec::<String>::new());
    let e = h.err("GetParametersByPath", json!({"Path": "app"})).await;
    assert_eq!(e.code, "ValidationException");
    assert!(e.message.starts_with("The parameter doesn't meet the parameter name requirements."));
}

#[tokio::test]
async fn path_pagination() {
    let h = tree().await;
    let (names, pages) =
        all_pages(&h, "GetParametersByPath", json!({"Path": "/", "Recursive": true, "MaxResults": 2}), "Parameters")
            .await;
    assert_eq!(
        names,
        vec!["/app/a", "/app/b", "/app/db/deep/x", "/app/db/host", "/app/db/port", "/apple", "/other/z", "top"]
    );
    assert_eq!(pages, 4);
    // A page that exactly exhausts the matches carries no token.
    let out = h.ok("GetParametersByPath", json!({"Path": "/app", "MaxResults": 2})).await;
    assert!(out.get("NextToken").is_none());
    let e = h.err("GetParametersByPath", json!({"Path": "/", "NextToken": "bogus"})).await;
    assert_eq!(e.code, "InvalidNextToken");
}

#[tokio::test]
async fn path_filters() {
    let h = tree().await;
    h.ok("PutParameter", json!({"Name": "/app/s", "Value": "secret", "Type": "SecureString", "KeyId": "alias/k1"}))
        .await;
    h.ok("PutParameter", json!({"Name": "/app/l", "Value": "a,b", "Type": "StringList"})).await;
    let f = |filters: Value| json!({"Path": "/app", "ParameterFilters": filters});
    assert_eq!(by_path(&h, f(json!([{"Key": "Type", "Values": ["SecureString"]}]))).await, vec!["/app/s"]);
    assert_eq!(
        by_path(&h, f(json!([{"Key": "Type", "Option": "BeginsWith", "Values": ["String"]}]))).await,
        vec!["/app/a", "/app/b", "/app/l"]
    );
    assert_eq!(by_path(&h, f(json!([{"Key": "KeyId", "Values": ["alias/k1"]}]))).await, vec!["/app/s"]);

    // Label: the labeled version is the one returned.
    h.overwrite("/app/a", "second").await;
    h.ok("LabelParameterVersion", json!({"Name": "/app/a", "ParameterVersion": 1, "Labels": ["stable"]})).await;
    let out = h.ok("GetParametersByPath", f(json!([{"Key": "Label", "Values": ["stable"]}]))).await;
    assert_eq!(Harness::names(&out["Parameters"]), vec!["/app/a"]);
    assert_eq!(out["Parameters"][0]["Version"], 1);
    assert_eq!(out["Parameters"][0]["Value"], "v");

    for key in ["Name", "Path", "Tier", "DataType", "tag:env"] {
        let e = h.err("GetParametersByPath", f(json!([{"Key": key, "Values": ["x"]}]))).await;
        assert_eq!(e.code, "InvalidFilterKey", "{key}");
    }
    let e = h.err("GetParametersByPath", f(json!([{"Key": "Label", "Option": "BeginsWith", "Values": ["s"]}]))).await;
    assert_eq!(e.code, "InvalidFilterOption");
    let e = h.err("GetParametersByPath", f(json!([{"Key": "Type", "Values": ["Blob"]}]))).await;
    assert_eq!(e.code, "InvalidFilterValue");
}

#[tokio::test]
async fn describe_name_path_and_attribute_filters() {
    let h = tree().await;
    h.ok("PutParameter", json!({"Name": "/app/s", "Value": "x", "Type": "SecureString"})).await;
    h.ok("PutParameter", json!({"Name": "/adv", "Value": "x", "Type": "String", "Tier": "Advanced"})).await;
    h.ok(
        "PutParameter",
        json!({"Name": "/img", "Value": "ami-12345678", "Type": "String", "DataType": "aws:ec2:image"}),
    )
    .await;

    assert_eq!(describe(&h, json!([{"Key": "Name", "Values": ["/app/a", "top"]}])).await, vec!["/app/a", "top"]);
    assert_eq!(
        describe(&h, json!([{"Key": "Name", "Option": "BeginsWith", "Values": ["/app/d"]}])).await,
        vec!["/app/db/deep/x", "/app/db/host", "/app/db/port"]
    );
    assert_eq!(describe(&h, json!([{"Key": "Name", "Option": "Contains", "Values": ["pp"]}])).await.len(), 7);
    assert_eq!(
        describe(&h, json!([{"Key": "Path", "Values": ["/app/db"]}])).await,
        vec!["/app/db/host", "/app/db/port"]
    );
    assert_eq!(
        describe(&h, json!([{"Key": "Path", "Option": "Recursive", "Values": ["/app/db"]}])).await,
        vec!["/app/db/deep/x", "/app/db/host", "/app/db/port"]
    );
    assert_eq!(
        describe(&h, json!([{"Key": "Path", "Values": ["/app/db", "/other"]}])).await,
        vec!["/app/db/host", "/app/db/port", "/other/z"]
    );
    assert_eq!(describe(&h, json!([{"Key": "Type", "Values": ["SecureString"]}])).await, vec!["/app/s"]);
    assert_eq!(describe(&h, json!([{"Key": "KeyId", "Values": ["alias/aws/ssm"]}])).await, vec!["/app/s"]);
    assert_eq!(describe(&h, json!([{"Key": "Tier", "Values": ["Advanced"]}])).await, vec!["/adv"]);
    assert_eq!(describe(&h, json!([{"Key": "DataType", "Values": ["aws:ec2:image"]}])).await, vec!["/img"]);
    // Filters combine with AND.
    assert_eq!(
        describe(&h, json!([{"Key": "Path", "Values": ["/app"]}, {"Key": "Type", "Values": ["SecureString"]}])).await,
        vec!["/app/s"]
    );

    // Legacy Filters: Name begins with, Type equals.
    let out =
        h.ok("DescribeParameters", json!({"Filters": [{"Key": "Name", "Values": ["/app/d"]}], "MaxResults": 50})).await;
    assert_eq!(Harness::names(&out["Parameters"]), vec!["/app/db/deep/x", "/app/db/host", "/app/db/port"]);
    let out = h.ok("DescribeParameters", json!({"Filters": [{"Key": "Type", "Values": ["SecureString"]}]})).await;
    assert_eq!(Harness::names(&out["Parameters"]), vec!["/app/s"]);
    let e = h
        .err(
            "DescribeParameters",
            json!({"Filters": [{"Key": "Type", "Values": ["String"]}], "ParameterFilters": [{"Key": "Type", "Values": ["String"]}]}),
        )
        .await;
    assert_eq!(e.code, "ValidationException");

    let meta = h.ok("DescribeParameters", json!({"ParameterFilters": [{"Key": "Name", "Values": ["/app/a"]}]})).await;
    assert_eq!(
        meta["Parameters"][0],
        json!({
            "Name": "/app/a",
            "ARN": "arn:aws:ssm:us-east-1:000000000000:parameter/app/a",
            "Type": "String",
            "LastModifiedDate": common::START,
            "LastModifiedUser": "arn:aws:iam::000000000000:root",
            "Version": 1,
            "Tier": "Standard",
            "Policies": [],
            "DataType": "text",
        })
    );
    assert_eq!(h.ok("DescribeParameters", json!({"Shared": true})).await["Parameters"], json!([]));
}

#[tokio::test]
async fn describe_tag_filters() {
    let h = Harness::new();
    h.ok(
        "PutParameter",
        json!({"Name": "/a", "Value": "v", "Type": "String", "Tags": [{"Key": "env", "Value": "prod"}]}),
    )
    .await;
    h.ok(
        "PutParameter",
        json!({"Name": "/b", "Value": "v", "Type": "String", "Tags": [{"Key": "env", "Value": "dev"}]}),
    )
    .await;
    h.ok(
        "PutParameter",
        json!({"Name": "/c", "Value": "v", "Type": "String", "Tags": [{"Key": "team", "Value": "x"}]}),
    )
    .await;
    assert_eq!(describe(&h, json!([{"Key": "tag:env", "Values": ["prod"]}])).await, vec!["/a"]);
    assert_eq!(describe(&h, json!([{"Key": "tag:env"}])).await, vec!["/a", "/b"]);
    assert_eq!(describe(&h, json!([{"Key": "tag:env", "Option": "BeginsWith", "Values": ["d"]}])).await, vec!["/b"]);
    assert_eq!(describe(&h, json!([{"Key": "tag:missing"}])).await, Vec::<String>::new());
}

#[tokio::test]
async fn describe_filter_errors() {
    let h = tree().await;
    let code = |e: nimbus_core::ServiceError| e.code.to_string();
    let err = |filters: Value| h.err("DescribeParameters", json!({"ParameterFilters": filters}));
    assert_eq!(code(err(json!([{"Key": "Label", "Values": ["x"]}])).await), "InvalidFilterKey");
    assert_eq!(
        code(err(json!([{"Key": "Name", "Option": "Recursive", "Values": ["x"]}])).await),
        "InvalidFilterOption"
    );
    assert_eq!(code(err(json!([{"Key": "Path", "Option": "Equals", "Values": ["/x"]}])).await), "InvalidFilterOption");
    assert_eq!(code(err(json!([{"Key": "Type", "Option": "Contains", "Values": ["S"]}])).await), "InvalidFilterOption");
    assert_eq!(code(err(json!([{"Key": "Type", "Values": ["Blob"]}])).await), "InvalidFilterValue");
    assert_eq!(code(err(json!([{"Key": "Tier", "Values": ["Gold"]}])).await), "InvalidFilterValue");
    assert_eq!(code(err(json!([{"Key": "Name"}])).await), "InvalidFilterValue");
    assert_eq!(code(err(json!([{"Key": "Path", "Values": ["no-slash"]}])).await), "ValidationException");
    let e = err(json!([{"Key": "Name", "Values": ["a"]}, {"Key": "Name", "Values": ["b"]}])).await;
    assert_eq!(e.code, "ValidationException");
    assert_eq!(
        e.message,
        "The following filter is duplicated in the request: Name. A request can contain only one occurrence of a specific filter."
    );
    assert_eq!(h.err("DescribeParameters", json!({"NextToken": "%%%"})).await.code, "InvalidNextToken");
}

#[tokio::test]
async fn describe_pagination() {
    let h = tree().await;
    let (names, pages) = all_pages(&h, "DescribeParameters", json!({"MaxResults": 3}), "Parameters").await;
    assert_eq!(
        names,
        vec!["/app/a", "/app/b", "/app/db/deep/x", "/app/db/host", "/app/db/port", "/apple", "/other/z", "top"]
    );
    assert_eq!(pages, 3);
    let (names, _) = all_pages(
        &h,
        "DescribeParameters",
        json!({"MaxResults": 1, "ParameterFilters": [{"Key": "Name", "Option": "Contains", "Values": ["db"]}]}),
        "Parameters",
    )
    .await;
    assert_eq!(names, vec!["/app/db/deep/x", "/app/db/host", "/app/db/port"]);
    // Default page size is 10.
    for i in 0..12 {
        h.put(&format!("/many/p{i:02}"), "v").await;
    }
    let out = h.ok("DescribeParameters", json!({})).await;
    assert_eq!(out["Parameters"].as_array().unwrap().len(), 10);
    assert!(out.get("NextToken").is_some());
}

#[tokio::test]
async fn history_pagination() {
    let h = Harness::new();
    h.put("/h", "1").await;
    for i in 2..=7 {
        h.overwrite("/h", &i.to_string()).await;
    }
    let (versions, pages) =
        all_pages(&h, "GetParameterHistory", json!({"Name": "/h", "MaxResults": 3}), "Parameters").await;
    assert_eq!(versions, vec!["/h"; 7]);
    assert_eq!(pages, 3);
    let first = h.ok("GetParameterHistory", json!({"Name": "/h", "MaxResults": 3})).await;
    let second =
        h.ok("GetParameterHistory", json!({"Name": "/h", "MaxResults": 3, "NextToken": first["NextToken"]})).await;
    assert_eq!(second["Parameters"][0]["Version"], 4);
    // A token from another parameter's history is refused.
    h.put("/other", "x").await;
    let e = h.err("GetParameterHistory", json!({"Name": "/other", "NextToken": first["NextToken"]})).await;
    assert_eq!(e.code, "InvalidNextToken");
}
