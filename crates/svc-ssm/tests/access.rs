//! Strict mode's view of each Parameter Store call (`Service::access`): actions, parameter
//! ARNs and condition keys.

mod common;

use common::{ACCOUNT, Harness, arn};
use nimbus_core::{Access, RequestContext, Service};
use serde_json::{Value, json};

fn access(h: &Harness, op: &str, input: Value) -> Vec<Access> {
    h.ssm.access(&RequestContext::for_tests("ssm", op), op, &input)
}

fn key<'a>(access: &'a Access, key: &str) -> Option<&'a [String]> {
    access.context.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_slice())
}

fn one(accesses: &[Access]) -> (&str, Vec<&str>) {
    assert_eq!(accesses.len(), 1, "{accesses:?}");
    (accesses[0].action.as_str(), accesses[0].resources.iter().map(String::as_str).collect())
}

#[tokio::test]
async fn names_selectors_and_arns_name_the_parameter() {
    let h = Harness::new();
    h.ok(
        "PutParameter",
        json!({"Name": "/app/db", "Value": "v", "Type": "String", "Tags": [{"Key": "team", "Value": "core"}]}),
    )
    .await;
    let expected = "arn:aws:ssm:us-east-1:000000000000:parameter/app/db";
    assert_eq!(arn("/app/db"), expected);
    for name in ["/app/db", "/app/db:1", " /app/db ", expected, &format!("{expected}:1")] {
        let got = access(&h, "GetParameter", json!({"Name": name, "WithDecryption": true}));
        assert_eq!(one(&got), ("ssm:GetParameter", vec![expected]), "{name}");
        assert_eq!(key(&got[0], "aws:ResourceTag/team"), Some(&["core".to_owned()][..]), "{name}");
        assert_eq!(key(&got[0], "ssm:resourceTag/team"), Some(&["core".to_owned()][..]));
    }
    // A name without a leading slash: `parameter/db`.
    assert_eq!(
        one(&access(&h, "DeleteParameter", json!({"Name": "db"}))),
        ("ssm:DeleteParameter", vec!["arn:aws:ssm:us-east-1:000000000000:parameter/db"])
    );
    for op in ["GetParameterHistory", "LabelParameterVersion", "UnlabelParameterVersion"] {
        assert_eq!(
            one(&access(&h, op, json!({"Name": "/app/db", "Labels": ["x"]}))),
            (format!("ssm:{op}").as_str(), vec![expected])
        );
    }
}

#[tokio::test]
async fn bad_and_foreign_names() {
    let h = Harness::new();
    let foreign = format!("arn:aws:ssm:eu-west-1:{ACCOUNT}:parameter/app/x");
    assert_eq!(one(&access(&h, "GetParameter", json!({"Name": format!("{foreign}:3")}))).1, vec![foreign.as_str()]);
    for input in [
        json!({}),
        json!({"Name": 5}),
        json!({"Name": "no spaces inside"}),
        json!({"Name": "arn:aws:s3:::b"}),
        json!({"Name": "app/nested"}),
    ] {
        assert_eq!(one(&access(&h, "GetParameter", input.clone())).1, vec!["*"], "{input}");
    }
    for op in h.ssm.operations() {
        for input in [json!(null), json!([]), json!({"Names": "x", "Tags": 1, "Path": 3, "ResourceType": []})] {
            assert!(!access(&h, op, input).is_empty(), "{op}");
        }
    }
}

#[tokio::test]
async fn several_names_are_one_access_each() {
    let h = Harness::new();
    h.ok("PutParameter", json!({"Name": "/a", "Value": "v", "Type": "String", "Tags": [{"Key": "t", "Value": "1"}]}))
        .await;
    let got = access(&h, "GetParameters", json!({"Names": ["/a", "/b:2"]}));
    let summary: Vec<(&str, &[String])> = got.iter().map(|a| (a.action.as_str(), a.resources.as_slice())).collect();
    assert_eq!(summary, vec![("ssm:GetParameters", &[arn("/a")][..]), ("ssm:GetParameters", &[arn("/b")][..])]);
    assert_eq!(key(&got[0], "aws:ResourceTag/t"), Some(&["1".to_owned()][..]));
    assert_eq!(key(&got[1], "aws:ResourceTag/t"), None);
    assert_eq!(access(&h, "DeleteParameters", json!({"Names": ["/a", "/b", "/c"]})).len(), 3);
}

#[tokio::test]
async fn paths_describe_and_tags() {
    let h = Harness::new();
    let got = access(&h, "GetParametersByPath", json!({"Path": "/app/prod/", "Recursive": true}));
    assert_eq!(one(&got), ("ssm:GetParametersByPath", vec!["arn:aws:ssm:us-east-1:000000000000:parameter/app/prod"]));
    assert_eq!(key(&got[0], "ssm:Recursive"), Some(&["true".to_owned()][..]));
    assert_eq!(one(&access(&h, "GetParametersByPath", json!({"Path": "nope"}))).1, vec!["*"]);
    assert_eq!(one(&access(&h, "DescribeParameters", json!({}))), ("ssm:DescribeParameters", vec!["*"]));
    let got = access(
        &h,
        "AddTagsToResource",
        json!({"ResourceType": "Parameter", "ResourceId": "/app/x", "Tags": [{"Key": "k", "Value": "v"}]}),
    );
    assert_eq!(one(&got), ("ssm:AddTagsToResource", vec!["arn:aws:ssm:us-east-1:000000000000:parameter/app/x"]));
    assert_eq!(key(&got[0], "aws:RequestTag/k"), Some(&["v".to_owned()][..]));
    assert_eq!(key(&got[0], "aws:TagKeys"), Some(&["k".to_owned()][..]));
    let got = access(
        &h,
        "RemoveTagsFromResource",
        json!({"ResourceType": "Parameter", "ResourceId": "/app/x", "TagKeys": ["k"]}),
    );
    assert_eq!(key(&got[0], "aws:TagKeys"), Some(&["k".to_owned()][..]));
    assert_eq!(
        one(&access(&h, "ListTagsForResource", json!({"ResourceType": "Document", "ResourceId": "d"}))).1,
        vec!["*"]
    );
}

#[tokio::test]
async fn put_parameter_keys() {
    let h = Harness::new();
    let got = access(
        &h,
        "PutParameter",
        json!({
            "Name": "/app/p", "Value": "v", "Overwrite": true, "Policies": "[{\"Type\":\"Expiration\"}]",
            "Tags": [{"Key": "team", "Value": "core"}],
        }),
    );
    assert_eq!(one(&got), ("ssm:PutParameter", vec!["arn:aws:ssm:us-east-1:000000000000:parameter/app/p"]));
    assert_eq!(key(&got[0], "ssm:Overwrite"), Some(&["true".to_owned()][..]));
    assert_eq!(key(&got[0], "ssm:Policies"), Some(&["[{\"Type\":\"Expiration\"}]".to_owned()][..]));
    assert_eq!(key(&got[0], "aws:RequestTag/team"), Some(&["core".to_owned()][..]));
    let got = access(&h, "PutParameter", json!({"Name": "/app/p", "Value": "v"}));
    assert_eq!((key(&got[0], "ssm:Overwrite"), key(&got[0], "ssm:Policies")), (None, None));
}
