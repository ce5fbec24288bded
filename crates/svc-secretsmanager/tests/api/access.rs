//! Strict mode's view of each call: actions, secret ARNs and condition keys (`Service::access`),
//! and the secret's policy as its resource policy.

use nimbus_core::{Access, RequestContext, Service};
use serde_json::{Value, json};

use crate::common::Sm;

fn ctx() -> RequestContext {
    RequestContext::for_tests("secretsmanager", "GetSecretValue")
}

fn access(sm: &Sm, op: &str, input: Value) -> Vec<Access> {
    sm.svc.access(&ctx(), op, &input)
}

fn key<'a>(access: &'a Access, key: &str) -> Option<&'a [String]> {
    access.context.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_slice())
}

async fn create(sm: &Sm, input: Value) -> String {
    sm.ok("CreateSecret", input).await["ARN"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn names_and_partial_arns_resolve_to_the_full_arn() {
    let sm = Sm::new();
    let arn =
        create(&sm, json!({"Name": "app/db", "SecretString": "x", "Tags": [{"Key": "team", "Value": "core"}]})).await;
    let partial = "arn:aws:secretsmanager:us-east-1:000000000000:secret:app/db";
    assert!(arn.starts_with(&format!("{partial}-")) && arn.len() == partial.len() + 7, "{arn}");
    for id in ["app/db", partial, arn.as_str()] {
        let got = access(&sm, "GetSecretValue", json!({"SecretId": id, "VersionStage": "AWSCURRENT"}));
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].action, "secretsmanager:GetSecretValue");
        assert_eq!(got[0].resources, vec![arn.clone()], "{id}");
        assert_eq!(key(&got[0], "secretsmanager:SecretId"), Some(&[arn.clone()][..]));
        assert_eq!(key(&got[0], "aws:ResourceTag/team"), Some(&["core".to_owned()][..]));
        assert_eq!(key(&got[0], "secretsmanager:ResourceTag/team"), Some(&["core".to_owned()][..]));
        assert_eq!(key(&got[0], "secretsmanager:VersionStage"), Some(&["AWSCURRENT".to_owned()][..]));
        assert_eq!(key(&got[0], "secretsmanager:VersionId"), None);
    }
    let put = access(&sm, "PutSecretValue", json!({"SecretId": "app/db", "SecretString": "y"}));
    assert_eq!((put[0].action.as_str(), &put[0].resources), ("secretsmanager:PutSecretValue", &vec![arn.clone()]));
}

#[tokio::test]
async fn unknown_secrets_and_bad_ids() {
    let sm = Sm::new();
    let got = access(&sm, "DescribeSecret", json!({"SecretId": "missing"}));
    assert_eq!(got[0].resources, vec!["arn:aws:secretsmanager:us-east-1:000000000000:secret:missing".to_owned()]);
    assert_eq!(key(&got[0], "aws:ResourceTag/team"), None);
    // An ARN of a secret that is not here (another account's) is named as given.
    let foreign = "arn:aws:secretsmanager:us-east-1:111111111111:secret:shared-AbCdEf";
    assert_eq!(access(&sm, "GetSecretValue", json!({"SecretId": foreign}))[0].resources, vec![foreign.to_owned()]);
    for input in [
        json!({}),
        json!({"SecretId": 7}),
        json!({"SecretId": "bad name!"}),
        json!({"SecretId": "arn:aws:s3:::bucket"}),
    ] {
        let got = access(&sm, "GetSecretValue", input.clone());
        assert_eq!(got[0].resources, vec!["*".to_owned()], "{input}");
        assert_eq!(key(&got[0], "secretsmanager:SecretId"), None);
    }
    // Nothing here panics on garbage.
    for op in sm.svc.operations() {
        for input in [json!(null), json!([]), json!({"SecretIdList": "x", "Tags": 3, "Name": []})] {
            assert!(!access(&sm, op, input).is_empty(), "{op}");
        }
    }
}

#[tokio::test]
async fn create_secret_names_the_future_arn_with_request_keys() {
    let sm = Sm::new();
    let got = access(
        &sm,
        "CreateSecret",
        json!({
            "Name": "app/new", "Description": "d", "KmsKeyId": "alias/k",
            "Tags": [{"Key": "team", "Value": "core"}, {"Key": "env", "Value": "prod"}],
        }),
    );
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].action, "secretsmanager:CreateSecret");
    assert_eq!(
        got[0].resources,
        vec!["arn:aws:secretsmanager:us-east-1:000000000000:secret:app/new-??????".to_owned()]
    );
    assert_eq!(key(&got[0], "secretsmanager:Name"), Some(&["app/new".to_owned()][..]));
    assert_eq!(key(&got[0], "secretsmanager:Description"), Some(&["d".to_owned()][..]));
    assert_eq!(key(&got[0], "secretsmanager:KmsKeyId"), Some(&["alias/k".to_owned()][..]));
    assert_eq!(key(&got[0], "aws:RequestTag/env"), Some(&["prod".to_owned()][..]));
    assert_eq!(key(&got[0], "aws:TagKeys"), Some(&["team".to_owned(), "env".to_owned()][..]));
}

#[tokio::test]
async fn account_wide_operations_and_batches() {
    let sm = Sm::new();
    let a = create(&sm, json!({"Name": "a", "SecretString": "x"})).await;
    let b = create(&sm, json!({"Name": "b", "SecretString": "x"})).await;
    for op in ["ListSecrets", "GetRandomPassword"] {
        let got = access(&sm, op, json!({}));
        assert_eq!(
            (got.len(), got[0].action.clone(), got[0].resources.clone()),
            (1, format!("secretsmanager:{op}"), vec!["*".to_owned()])
        );
    }
    let got = access(&sm, "BatchGetSecretValue", json!({"SecretIdList": ["a", b.as_str()]}));
    let summary: Vec<(&str, &[String])> = got.iter().map(|a| (a.action.as_str(), a.resources.as_slice())).collect();
    assert_eq!(
        summary,
        vec![
            ("secretsmanager:BatchGetSecretValue", &["*".to_owned()][..]),
            ("secretsmanager:GetSecretValue", &[a][..]),
            ("secretsmanager:GetSecretValue", &[b][..]),
        ]
    );
    let got = access(&sm, "ValidateResourcePolicy", json!({"ResourcePolicy": "{}"}));
    assert_eq!(got[0].resources, vec!["*".to_owned()]);
}

#[tokio::test]
async fn operation_specific_keys() {
    let sm = Sm::new();
    create(&sm, json!({"Name": "s", "SecretString": "x"})).await;
    let got =
        access(&sm, "PutResourcePolicy", json!({"SecretId": "s", "ResourcePolicy": "{}", "BlockPublicPolicy": true}));
    assert_eq!(key(&got[0], "secretsmanager:BlockPublicPolicy"), Some(&["true".to_owned()][..]));
    let got = access(&sm, "UntagResource", json!({"SecretId": "s", "TagKeys": ["a", "b"]}));
    assert_eq!(key(&got[0], "aws:TagKeys"), Some(&["a".to_owned(), "b".to_owned()][..]));
    let got = access(&sm, "TagResource", json!({"SecretId": "s", "Tags": [{"Key": "k", "Value": "v"}]}));
    assert_eq!(key(&got[0], "aws:RequestTag/k"), Some(&["v".to_owned()][..]));
    let got = access(&sm, "DeleteSecret", json!({"SecretId": "s", "RecoveryWindowInDays": 7}));
    assert_eq!(key(&got[0], "secretsmanager:RecoveryWindowInDays"), Some(&["7".to_owned()][..]));
    let got = access(
        &sm,
        "RotateSecret",
        json!({"SecretId": "s", "RotationLambdaARN": "arn:aws:lambda:us-east-1:000000000000:function:r"}),
    );
    assert_eq!(
        key(&got[0], "secretsmanager:RotationLambdaARN"),
        Some(&["arn:aws:lambda:us-east-1:000000000000:function:r".to_owned()][..])
    );
}

#[tokio::test]
async fn the_secret_policy_is_the_resource_policy() {
    let sm = Sm::new();
    let arn = create(&sm, json!({"Name": "p", "SecretString": "x"})).await;
    assert_eq!(sm.svc.resource_policy(&ctx(), &arn), None);
    let policy = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": {"AWS": "arn:aws:iam::000000000000:user/u"}, "Action": "secretsmanager:*", "Resource": "*"}]}).to_string();
    sm.ok("PutResourcePolicy", json!({"SecretId": "p", "ResourcePolicy": policy})).await;
    let found = sm.svc.resource_policy(&ctx(), &arn).expect("policy");
    assert_eq!((found.document.as_str(), found.owner_account.as_str()), (policy.as_str(), "000000000000"));
    // Asked from another account (a cross-account caller), the secret's own account owns it.
    let mut other = ctx();
    other.account_id = "111111111111".into();
    assert_eq!(sm.svc.resource_policy(&other, &arn).map(|p| p.owner_account), Some("000000000000".to_owned()));
    assert_eq!(sm.svc.resource_policy(&ctx(), "*"), None);
    assert_eq!(
        sm.svc.resource_policy(&ctx(), "arn:aws:secretsmanager:us-east-1:000000000000:secret:nope-AbCdEf"),
        None
    );
}
