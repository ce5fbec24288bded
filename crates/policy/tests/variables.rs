//! Policy variables in Resource and Condition values, and the keys a principal brings.

mod common;

use common::*;
use nimbus_policy::{Context, Decision, PolicySet};
use serde_json::json;

#[test]
fn username_in_resource() {
    let policy = identity(json!({"Version": "2012-10-17", "Statement": [
        {"Action": ["s3:ListBucket"], "Effect": "Allow", "Resource": ["arn:aws:s3:::mybucket"], "Condition": {"StringLike": {"s3:prefix": ["${aws:username}/*"]}}},
        {"Action": ["s3:GetObject", "s3:PutObject"], "Effect": "Allow", "Resource": ["arn:aws:s3:::mybucket/${aws:username}/*"]}
    ]}));
    assert_eq!(identity_decision(&policy, "s3:GetObject", "arn:aws:s3:::mybucket/alice/notes.txt", &[]), Decision::Allow);
    assert_eq!(identity_decision(&policy, "s3:GetObject", "arn:aws:s3:::mybucket/bob/notes.txt", &[]), Decision::ImplicitDeny);
    assert_eq!(identity_decision(&policy, "s3:ListBucket", "arn:aws:s3:::mybucket", &[("s3:prefix", "alice/photos")]), Decision::Allow);
    assert_eq!(identity_decision(&policy, "s3:ListBucket", "arn:aws:s3:::mybucket", &[("s3:prefix", "bob/")]), Decision::ImplicitDeny);
    // Access keys in IAM: the ARN's resource part.
    let keys = identity(json!({"Version": "2012-10-17", "Statement": [{"Action": ["iam:*AccessKey*"], "Effect": "Allow", "Resource": ["arn:aws:iam::111122223333:user/${aws:username}"]}]}));
    assert_eq!(identity_decision(&keys, "iam:CreateAccessKey", "arn:aws:iam::111122223333:user/alice", &[]), Decision::Allow);
    assert_eq!(identity_decision(&keys, "iam:CreateAccessKey", "arn:aws:iam::111122223333:user/root", &[]), Decision::ImplicitDeny);
}

#[test]
fn variables_need_version_2012_10_17() {
    for version in [None, Some("2008-10-17")] {
        let mut document = json!({"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::mybucket/${aws:username}/*"}]});
        if let Some(v) = version {
            document["Version"] = json!(v);
        }
        let policy = identity(document);
        assert_eq!(identity_decision(&policy, "s3:GetObject", "arn:aws:s3:::mybucket/alice/x", &[]), Decision::ImplicitDeny);
        assert_eq!(identity_decision(&policy, "s3:GetObject", "arn:aws:s3:::mybucket/${aws:username}/x", &[]), Decision::Allow);
    }
}

#[test]
fn principal_tags_and_any_context_key() {
    let policy = identity(json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::bucket/${aws:PrincipalTag/department}/*"},
        {"Effect": "Allow", "Action": "sqs:*", "Resource": "arn:aws:sqs:${aws:RequestedRegion}:111122223333:*"}
    ]}));
    let mut alice = user("alice");
    alice.tags.push(("department".into(), "finance".into()));
    let identity = [&policy];
    let set = PolicySet { identity: &identity, ..Default::default() };
    let context = context_for(&alice, &[("aws:RequestedRegion", "us-east-1")]);
    assert_eq!(run(&set, &alice, "s3:GetObject", "arn:aws:s3:::bucket/finance/q1", &context).decision, Decision::Allow);
    assert_eq!(run(&set, &alice, "s3:GetObject", "arn:aws:s3:::bucket/hr/q1", &context).decision, Decision::ImplicitDeny);
    // Regions are a component before the fifth colon here; the variable still resolves.
    assert_eq!(run(&set, &alice, "sqs:SendMessage", "arn:aws:sqs:us-east-1:111122223333:q", &context).decision, Decision::Allow);
    assert_eq!(run(&set, &alice, "sqs:SendMessage", "arn:aws:sqs:eu-west-1:111122223333:q", &context).decision, Decision::ImplicitDeny);
}

#[test]
fn unresolvable_variables_match_nothing() {
    // No tag: the resource pattern cannot match, whatever the resource.
    let allow = identity(json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::bucket/${aws:PrincipalTag/department}*"}
    ]}));
    assert_eq!(identity_decision(&allow, "s3:GetObject", "arn:aws:s3:::bucket/x", &[]), Decision::ImplicitDeny);
    assert_eq!(identity_decision(&allow, "s3:GetObject", "arn:aws:s3:::bucket/", &[]), Decision::ImplicitDeny);
    // In a negated condition the unresolvable value matches nothing, so the negation holds.
    let not_equals = identity(json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Condition": {"StringNotEquals": {"s3:prefix": "${aws:PrincipalTag/department}"}}}
    ]}));
    assert_eq!(identity_decision(&not_equals, "s3:ListBucket", "*", &[("s3:prefix", "x")]), Decision::Allow);
    let alice = user("alice");
    let identity = [&allow];
    let set = PolicySet { identity: &identity, ..Default::default() };
    let e = run(&set, &alice, "s3:GetObject", "arn:aws:s3:::bucket/x", &context_for(&alice, &[]));
    assert_eq!(e.missing_context_keys, ["aws:principaltag/department"]);
}

#[test]
fn default_values() {
    let policy = identity(json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Condition": {"StringEquals": {"aws:Resource": "arn:aws:s3:::/bucket/${aws:PrincipalTag/team, 'anonymous'}"}}}
    ]}));
    assert_eq!(
        identity_decision(&policy, "s3:GetObject", "*", &[("aws:Resource", "arn:aws:s3:::/bucket/anonymous")]),
        Decision::Allow
    );
    assert_eq!(
        identity_decision(&policy, "s3:GetObject", "*", &[("aws:Resource", "arn:aws:s3:::/bucket/blue"), ("aws:PrincipalTag/team", "blue")]),
        Decision::Allow
    );
    assert_eq!(
        identity_decision(&policy, "s3:GetObject", "*", &[("aws:Resource", "arn:aws:s3:::/bucket/anonymous"), ("aws:PrincipalTag/team", "blue")]),
        Decision::ImplicitDeny
    );
}

#[test]
fn special_characters() {
    let policy = identity(json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::bucket/${*}${?}${$}"}
    ]}));
    assert_eq!(identity_decision(&policy, "s3:GetObject", "arn:aws:s3:::bucket/*?$", &[]), Decision::Allow);
    assert_eq!(identity_decision(&policy, "s3:GetObject", "arn:aws:s3:::bucket/abc", &[]), Decision::ImplicitDeny);
}

#[test]
fn variables_in_arn_and_bool_conditions() {
    let policy = identity(json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "sns:*", "Resource": "*", "Condition": {"ArnLike": {"aws:SourceArn": "arn:aws:sns:*:111122223333:${aws:username}-*"}}}
    ]}));
    assert_eq!(identity_decision(&policy, "sns:Publish", "*", &[("aws:SourceArn", "arn:aws:sns:us-east-1:111122223333:alice-topic")]), Decision::Allow);
    assert_eq!(identity_decision(&policy, "sns:Publish", "*", &[("aws:SourceArn", "arn:aws:sns:us-east-1:111122223333:bob-topic")]), Decision::ImplicitDeny);
    let flag = identity(json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "sns:*", "Resource": "*", "Condition": {"Bool": {"x:flag": "${x:expected}"}}}
    ]}));
    assert_eq!(identity_decision(&flag, "sns:Publish", "*", &[("x:flag", "true"), ("x:expected", "true")]), Decision::Allow);
    // Numeric operators take no variables: the text is not a number.
    let numeric = identity(json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Condition": {"NumericEquals": {"s3:max-keys": "${x:n}"}}}
    ]}));
    assert_eq!(identity_decision(&numeric, "s3:ListBucket", "*", &[("s3:max-keys", "5"), ("x:n", "5")]), Decision::ImplicitDeny);
}

#[test]
fn principal_keys_of_each_kind() {
    let get = |c: &Context, k: &str| c.get(k).map(|v| v.to_vec());
    let one = |v: &str| Some(vec![v.to_owned()]);

    let mut alice = user("alice");
    alice.tags.push(("Team".into(), "blue".into()));
    let c = context_for(&alice, &[]);
    assert_eq!(get(&c, "aws:PrincipalArn"), one("arn:aws:iam::111122223333:user/alice"));
    assert_eq!(get(&c, "aws:PrincipalAccount"), one(ACCOUNT));
    assert_eq!(get(&c, "aws:PrincipalType"), one("User"));
    assert_eq!(get(&c, "aws:userid"), one("AIDAJQABLZS4A3QDU576Q"));
    assert_eq!(get(&c, "aws:username"), one("alice"));
    assert_eq!(get(&c, "aws:principaltag/team"), one("blue"));
    assert_eq!(get(&c, "aws:PrincipalIsAWSService"), one("false"));
    assert_eq!(get(&c, "aws:PrincipalServiceName"), None);

    // A role session: aws:PrincipalArn is the role's ARN, no aws:username.
    let app = session("app", "s1");
    let c = context_for(&app, &[]);
    assert_eq!(get(&c, "aws:PrincipalArn"), one("arn:aws:iam::111122223333:role/app"));
    assert_eq!(get(&c, "aws:PrincipalType"), one("AssumedRole"));
    assert_eq!(get(&c, "aws:userid"), one("AROADBQP57FF2AEXAMPLE:s1"));
    assert_eq!(get(&c, "aws:username"), None);

    let c = context_for(&federated("carol"), &[]);
    assert_eq!(get(&c, "aws:PrincipalType"), one("FederatedUser"));
    assert_eq!(get(&c, "aws:PrincipalArn"), one("arn:aws:sts::111122223333:federated-user/carol"));
    assert_eq!(get(&c, "aws:userid"), one("111122223333:carol"));

    let c = context_for(&root(ACCOUNT), &[]);
    assert_eq!(get(&c, "aws:PrincipalType"), one("Account"));
    assert_eq!(get(&c, "aws:userid"), one(ACCOUNT));
    assert_eq!(get(&c, "aws:PrincipalArn"), one("arn:aws:iam::111122223333:root"));

    let c = context_for(&anonymous(), &[]);
    assert_eq!(get(&c, "aws:PrincipalType"), one("Anonymous"));
    assert_eq!(get(&c, "aws:userid"), one("anonymous"));
    assert_eq!(get(&c, "aws:PrincipalArn"), None);
    assert_eq!(get(&c, "aws:PrincipalAccount"), None);
    assert_eq!(get(&c, "aws:PrincipalIsAWSService"), None);

    let c = context_for(&service("sns.amazonaws.com"), &[]);
    assert_eq!(get(&c, "aws:PrincipalIsAWSService"), one("true"));
    assert_eq!(get(&c, "aws:PrincipalServiceName"), one("sns.amazonaws.com"));
    assert_eq!(get(&c, "aws:PrincipalArn"), None);
}

#[test]
fn principal_tag_conditions() {
    let policy = identity(json!({"Version": "2012-10-17", "Statement": {
        "Effect": "Allow", "Action": "iam:*AccessKey*", "Resource": "arn:aws:iam::111122223333:user/*",
        "Condition": {"StringEquals": {"aws:PrincipalTag/job-category": "iamuser-admin"}}
    }}));
    let identity = [&policy];
    let set = PolicySet { identity: &identity, ..Default::default() };
    let mut admin = user("admin");
    admin.tags.push(("job-category".into(), "iamuser-admin".into()));
    let resource = "arn:aws:iam::111122223333:user/bob";
    assert_eq!(decide(&set, &admin, "iam:CreateAccessKey", resource), Decision::Allow);
    assert_eq!(decide(&set, &user("plain"), "iam:CreateAccessKey", resource), Decision::ImplicitDeny);
}
