//! Every condition operator, with and without IfExists, with set qualifiers, against present,
//! absent and multivalued keys.

mod common;

use common::*;
use nimbus_policy::{Context, Decision, PolicySet};
use serde_json::{json, Value};

/// Whether an Allow statement with `condition` applies to a request carrying `keys`.
fn holds(condition: Value, keys: &[(&str, &[&str])]) -> bool {
    let policy = identity(json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Condition": condition}}));
    let mut context = Context::new();
    for (key, values) in keys {
        context.set(key, values.iter().map(|v| (*v).to_owned()).collect());
    }
    let alice = user("alice");
    let identity = [&policy];
    let set = PolicySet { identity: &identity, ..Default::default() };
    match run(&set, &alice, "s3:GetObject", "*", &context).decision {
        Decision::Allow => true,
        Decision::ImplicitDeny => false,
        Decision::ExplicitDeny => unreachable!("no deny statement"),
    }
}

fn one<'a>(key: &'a str, value: &'a [&'a str]) -> [(&'a str, &'a [&'a str]); 1] {
    [(key, value)]
}

const TAG: &str = "aws:PrincipalTag/job-category";

#[test]
fn string_equals_and_not_equals() {
    let c = json!({"StringEquals": {TAG: "iamuser-admin"}});
    assert!(holds(c.clone(), &one(TAG, &["iamuser-admin"])));
    assert!(!holds(c.clone(), &one(TAG, &["IAMUSER-ADMIN"])), "values are case-sensitive");
    assert!(!holds(c.clone(), &one(TAG, &["iamuser-*"])));
    assert!(!holds(c.clone(), &[]), "a missing key does not match");
    // Keys are not case-sensitive.
    assert!(holds(c, &one("AWS:PRINCIPALTAG/JOB-CATEGORY", &["iamuser-admin"])));
    // A `*` in StringEquals is an ordinary character.
    assert!(holds(json!({"StringEquals": {"s3:prefix": "a*"}}), &one("s3:prefix", &["a*"])));
    assert!(!holds(json!({"StringEquals": {"s3:prefix": "a*"}}), &one("s3:prefix", &["ab"])));

    let c = json!({"StringNotEquals": {TAG: ["admin", "owner"]}});
    assert!(holds(c.clone(), &one(TAG, &["guest"])));
    assert!(!holds(c.clone(), &one(TAG, &["owner"])));
    assert!(holds(c.clone(), &[]), "a negated operator holds for a missing key");
    assert!(!holds(c, &one(TAG, &["guest", "admin"])), "no value of the key may be one of the policy's");
}

#[test]
fn string_ignore_case() {
    let c = json!({"StringEqualsIgnoreCase": {TAG: "IAMUser-Admin"}});
    assert!(holds(c.clone(), &one(TAG, &["iamuser-admin"])));
    assert!(!holds(c.clone(), &one(TAG, &["iamuser"])));
    assert!(!holds(c, &[]));
    let c = json!({"StringNotEqualsIgnoreCase": {TAG: "Admin"}});
    assert!(!holds(c.clone(), &one(TAG, &["ADMIN"])));
    assert!(holds(c.clone(), &one(TAG, &["user"])));
    assert!(holds(c, &[]));
}

#[test]
fn string_like_and_not_like() {
    let c = json!({"StringLike": {"s3:prefix": ["", "home/", "home/${aws:username}/*"]}});
    let mut keys = vec![("s3:prefix", &["home/alice/photos"][..]), ("aws:username", &["alice"][..])];
    assert!(holds(c.clone(), &keys));
    keys[1] = ("aws:username", &["bob"]);
    assert!(!holds(c.clone(), &keys));
    assert!(holds(c.clone(), &one("s3:prefix", &[""])));
    assert!(holds(c.clone(), &one("s3:prefix", &["home/"])));
    assert!(!holds(c, &[]));
    let c = json!({"StringLike": {"ec2:InstanceType": ["t1.*", "t2.*", "m?.large"]}});
    assert!(holds(c.clone(), &one("ec2:InstanceType", &["t2.micro"])));
    assert!(holds(c.clone(), &one("ec2:InstanceType", &["m5.large"])));
    assert!(!holds(c.clone(), &one("ec2:InstanceType", &["T2.micro"])), "StringLike is case-sensitive");
    let c = json!({"StringNotLike": {"ec2:InstanceType": ["t1.*", "t2.*"]}});
    assert!(holds(c.clone(), &one("ec2:InstanceType", &["m5.large"])));
    assert!(!holds(c.clone(), &one("ec2:InstanceType", &["t2.nano"])));
    assert!(holds(c, &[]));
}

#[test]
fn numeric() {
    let c = json!({"NumericLessThanEquals": {"s3:max-keys": "10"}});
    assert!(holds(c.clone(), &one("s3:max-keys", &["10"])));
    assert!(holds(c.clone(), &one("s3:max-keys", &["2.5"])));
    assert!(!holds(c.clone(), &one("s3:max-keys", &["11"])));
    assert!(!holds(c.clone(), &one("s3:max-keys", &["ten"])));
    assert!(!holds(c, &[]));
    for (operator, request, expected) in [
        ("NumericEquals", "10", true),
        ("NumericEquals", "10.0", true),
        ("NumericEquals", "9", false),
        ("NumericNotEquals", "9", true),
        ("NumericNotEquals", "10", false),
        ("NumericLessThan", "9", true),
        ("NumericLessThan", "10", false),
        ("NumericGreaterThan", "11", true),
        ("NumericGreaterThan", "10", false),
        ("NumericGreaterThanEquals", "10", true),
        ("NumericGreaterThanEquals", "9.99", false),
    ] {
        // Policy values may be JSON numbers.
        let c = json!({ operator: {"s3:max-keys": 10} });
        assert_eq!(holds(c, &one("s3:max-keys", &[request])), expected, "{operator} {request}");
    }
    assert!(holds(json!({"NumericNotEquals": {"s3:max-keys": 10}}), &[]));
    assert!(!holds(json!({"NumericEquals": {"s3:max-keys": "ten"}}), &one("s3:max-keys", &["10"])));
}

#[test]
fn dates() {
    let c = json!({"DateGreaterThan": {"aws:TokenIssueTime": "2020-01-01T00:00:01Z"}});
    assert!(holds(c.clone(), &one("aws:TokenIssueTime", &["2020-06-01T12:00:00Z"])));
    assert!(!holds(c.clone(), &one("aws:TokenIssueTime", &["2019-12-31T23:59:59Z"])));
    assert!(!holds(c.clone(), &one("aws:TokenIssueTime", &["2020-01-01T00:00:01Z"])));
    assert!(!holds(c.clone(), &[]), "access keys have no token issue time");
    // Epoch seconds on either side.
    assert!(holds(c.clone(), &one("aws:TokenIssueTime", &["1590000000"])));
    let c = json!({"DateLessThan": {"aws:EpochTime": 1590000000}});
    assert!(holds(c.clone(), &one("aws:EpochTime", &["1589999999"])));
    assert!(!holds(c, &one("aws:EpochTime", &["1590000000"])));
    for (operator, request, expected) in [
        ("DateEquals", "2024-05-01T12:00:00Z", true),
        ("DateEquals", "2024-05-01T14:00:00+02:00", true),
        ("DateEquals", "2024-05-01T12:00:00.001Z", false),
        ("DateNotEquals", "2024-05-01T12:00:01Z", true),
        ("DateNotEquals", "2024-05-01T12:00:00.000Z", false),
        ("DateLessThanEquals", "2024-05-01T12:00:00Z", true),
        ("DateLessThanEquals", "2024-05-02", false),
        ("DateGreaterThanEquals", "2024-05-01T12:00:00Z", true),
        ("DateGreaterThanEquals", "2024-05-01", false),
        ("DateLessThan", "2024", true),
        ("DateGreaterThan", "not a date", false),
    ] {
        let c = json!({ operator: {"aws:CurrentTime": "2024-05-01T12:00:00Z"} });
        assert_eq!(holds(c, &one("aws:CurrentTime", &[request])), expected, "{operator} {request}");
    }
    assert!(holds(json!({"DateNotEquals": {"aws:CurrentTime": "2024-05-01"}}), &[]));
}

#[test]
fn booleans() {
    let c = json!({"Bool": {"aws:SecureTransport": "false"}});
    assert!(holds(c.clone(), &one("aws:SecureTransport", &["false"])));
    assert!(!holds(c.clone(), &one("aws:SecureTransport", &["true"])));
    assert!(!holds(c, &[]));
    let c = json!({"Bool": {"aws:MultiFactorAuthPresent": true}});
    assert!(holds(c.clone(), &one("aws:MultiFactorAuthPresent", &["true"])));
    assert!(holds(c.clone(), &one("aws:MultiFactorAuthPresent", &["TRUE"])));
    assert!(!holds(c, &[]));
    assert!(holds(json!({"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}), &[]));
}

#[test]
fn binary() {
    let c = json!({"BinaryEquals": {"s3:blob": "QmluYXJ5VmFsdWVJbkJhc2U2NA=="}});
    assert!(holds(c.clone(), &one("s3:blob", &["QmluYXJ5VmFsdWVJbkJhc2U2NA=="])));
    assert!(holds(c.clone(), &one("s3:blob", &["QmluYXJ5VmFsdWVJbkJhc2U2NA"])), "same bytes without padding");
    assert!(!holds(c.clone(), &one("s3:blob", &["T3RoZXI="])));
    assert!(!holds(c, &[]));
}

#[test]
fn ip_addresses() {
    let c = json!({"IpAddress": {"aws:SourceIp": ["203.0.113.0/24", "2001:DB8:1234:5678::/64"]}});
    assert!(holds(c.clone(), &one("aws:SourceIp", &["203.0.113.77"])));
    assert!(holds(c.clone(), &one("aws:SourceIp", &["2001:db8:1234:5678::99"])));
    assert!(!holds(c.clone(), &one("aws:SourceIp", &["198.51.100.1"])));
    assert!(!holds(c.clone(), &one("aws:SourceIp", &["garbage"])));
    assert!(!holds(c.clone(), &[]), "requests through a VPC endpoint have no aws:SourceIp");
    let single = json!({"IpAddress": {"aws:SourceIp": "192.0.2.10"}});
    assert!(holds(single.clone(), &one("aws:SourceIp", &["192.0.2.10"])));
    assert!(!holds(single, &one("aws:SourceIp", &["192.0.2.11"])));
    let c = json!({"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}});
    assert!(holds(c.clone(), &one("aws:SourceIp", &["198.51.100.1"])));
    assert!(!holds(c.clone(), &one("aws:SourceIp", &["203.0.113.1"])));
    assert!(holds(c, &[]));
    assert!(holds(json!({"IpAddressIfExists": {"aws:SourceIp": "203.0.113.0/24"}}), &[]));
}

#[test]
fn arns() {
    let c = json!({"ArnEquals": {"aws:SourceArn": "arn:aws:sns:us-east-1:123456789012:topic"}});
    assert!(holds(c.clone(), &one("aws:SourceArn", &["arn:aws:sns:us-east-1:123456789012:topic"])));
    assert!(!holds(c.clone(), &one("aws:SourceArn", &["arn:aws:sns:us-east-1:123456789012:other"])));
    assert!(!holds(c, &[]));
    // ArnLike and ArnEquals behave identically: wildcards per component.
    for operator in ["ArnLike", "ArnEquals"] {
        let c = json!({ operator: {"aws:PrincipalArn": "arn:aws:iam::*:role/admin-*"} });
        assert!(holds(c.clone(), &one("aws:PrincipalArn", &["arn:aws:iam::111122223333:role/admin-ops"])), "{operator}");
        assert!(!holds(c.clone(), &one("aws:PrincipalArn", &["arn:aws:iam::111122223333:user/admin-ops"])), "{operator}");
        assert!(!holds(c, &one("aws:PrincipalArn", &["not-an-arn"])), "{operator}");
    }
    let c = json!({"ArnLike": {"aws:SourceArn": "arn:aws:someservice:*:111122223333:finance/*"}});
    let request = "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt";
    assert!(!holds(c, &one("aws:SourceArn", &[request])), "a wildcard does not cross a colon");
    assert!(holds(
        json!({"StringLike": {"aws:SourceArn": "arn:aws:someservice:*:111122223333:finance/*"}}),
        &one("aws:SourceArn", &[request])
    ));
    for operator in ["ArnNotEquals", "ArnNotLike"] {
        let c = json!({ operator: {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/admin"} });
        assert!(holds(c.clone(), &one("aws:PrincipalArn", &["arn:aws:iam::111122223333:role/dev"])), "{operator}");
        assert!(!holds(c.clone(), &one("aws:PrincipalArn", &["arn:aws:iam::111122223333:role/admin"])), "{operator}");
        assert!(holds(c, &[]), "{operator}");
    }
}

#[test]
fn null() {
    let c = json!({"Null": {"aws:TokenIssueTime": "true"}});
    assert!(holds(c.clone(), &[]));
    assert!(!holds(c, &one("aws:TokenIssueTime", &["2024-01-01T00:00:00Z"])));
    let c = json!({"Null": {"aws:TokenIssueTime": false}});
    assert!(!holds(c.clone(), &[]));
    assert!(holds(c.clone(), &one("aws:TokenIssueTime", &["2024-01-01T00:00:00Z"])));
    assert!(!holds(c, &[("aws:TokenIssueTime", &[])]), "an empty value set is no value");
}

#[test]
fn if_exists() {
    let c = json!({"StringLikeIfExists": {"ec2:InstanceType": ["t1.*", "t2.*", "m3.*"]}});
    assert!(holds(c.clone(), &[]), "a missing key passes");
    assert!(holds(c.clone(), &one("ec2:InstanceType", &["t2.micro"])));
    assert!(!holds(c, &one("ec2:InstanceType", &["c5.xlarge"])), "a present key is still tested");
    for operator in [
        "StringEqualsIfExists",
        "StringNotEqualsIfExists",
        "StringEqualsIgnoreCaseIfExists",
        "NumericLessThanIfExists",
        "DateGreaterThanIfExists",
        "BinaryEqualsIfExists",
        "IpAddressIfExists",
        "NotIpAddressIfExists",
        "ArnLikeIfExists",
        "ArnNotEqualsIfExists",
    ] {
        assert!(holds(json!({ operator: {"x:key": "1"} }), &[]), "{operator}");
    }
    assert!(!holds(json!({"StringNotEqualsIfExists": {"x:key": "1"}}), &one("x:key", &["1"])));
}

#[test]
fn multiple_keys_and_operators_are_anded_values_ored() {
    let c = json!({"StringLike": {"sns:endpoint": "https://example.com/*"}, "StringEquals": {"sns:Protocol": ["https", "http"]}});
    assert!(holds(c.clone(), &[("sns:endpoint", &["https://example.com/a"]), ("sns:protocol", &["http"])]));
    assert!(!holds(c.clone(), &[("sns:endpoint", &["https://example.com/a"]), ("sns:protocol", &["email"])]));
    assert!(!holds(c.clone(), &[("sns:endpoint", &["https://example.com/a"])]));
    let c = json!({"StringEquals": {"aws:RequestedRegion": "us-east-1", "aws:PrincipalTag/team": "blue"}});
    assert!(holds(c.clone(), &[("aws:RequestedRegion", &["us-east-1"]), ("aws:PrincipalTag/team", &["blue"])]));
    assert!(!holds(c, &[("aws:RequestedRegion", &["us-east-1"]), ("aws:PrincipalTag/team", &["red"])]));
}

#[test]
fn for_all_values() {
    let c = json!({"ForAllValues:StringLike": {"dynamodb:requestedAttributes": ["PostDateTime", "Message", "Tags"]}});
    assert!(holds(c.clone(), &one("dynamodb:requestedAttributes", &["PostDateTime", "Message"])));
    assert!(!holds(c.clone(), &one("dynamodb:requestedAttributes", &["PostDateTime", "UserName"])));
    assert!(holds(c.clone(), &[]), "ForAllValues holds for a missing key");
    assert!(holds(c, &[("dynamodb:requestedAttributes", &[])]), "and for an empty one");
    // A negated operator is applied to each request value.
    let c = json!({"ForAllValues:StringNotEquals": {"aws:TagKeys": ["secret", "owner"]}});
    assert!(holds(c.clone(), &one("aws:TagKeys", &["env", "team"])));
    assert!(!holds(c.clone(), &one("aws:TagKeys", &["env", "owner"])));
    assert!(holds(c, &[]));
}

#[test]
fn for_any_value() {
    let c = json!({"ForAnyValue:StringLike": {"dynamodb:requestedAttributes": ["ID", "PostDateTime"]}});
    assert!(holds(c.clone(), &one("dynamodb:requestedAttributes", &["UserName", "Message", "PostDateTime"])));
    assert!(!holds(c.clone(), &one("dynamodb:requestedAttributes", &["UserName"])));
    assert!(!holds(c.clone(), &[]), "ForAnyValue fails for a missing key");
    assert!(!holds(c, &[("dynamodb:requestedAttributes", &[])]), "and for an empty one");
    let c = json!({"ForAnyValue:StringNotEquals": {"aws:TagKeys": ["env"]}});
    assert!(holds(c.clone(), &one("aws:TagKeys", &["env", "team"])));
    assert!(!holds(c.clone(), &one("aws:TagKeys", &["env"])));
    assert!(!holds(c, &[]));
    assert!(holds(json!({"ForAnyValue:StringEqualsIfExists": {"aws:TagKeys": "env"}}), &[]));
    let c = json!({"ForAnyValue:IpAddress": {"x:ips": "10.0.0.0/8"}});
    assert!(holds(c, &one("x:ips", &["192.168.0.1", "10.1.2.3"])));
}

#[test]
fn multivalued_keys_without_a_qualifier() {
    let c = json!({"StringEquals": {"aws:TagKeys": "env"}});
    assert!(holds(c, &one("aws:TagKeys", &["team", "env"])));
}

#[test]
fn missing_context_keys_are_reported() {
    let policy = identity(json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Condition": {
            "StringEquals": {"aws:PrincipalTag/Team": "blue", "s3:prefix": "x"},
            "IpAddressIfExists": {"aws:SourceIp": "10.0.0.0/8"},
            "Null": {"aws:TokenIssueTime": "true"}
        }},
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Condition": {"StringEquals": {"AWS:PRINCIPALTAG/TEAM": "red"}}},
        {"Effect": "Allow", "Action": "ec2:*", "Resource": "*", "Condition": {"StringEquals": {"ec2:Region": "x"}}}
    ]}));
    let alice = user("alice");
    let identity = [&policy];
    let set = PolicySet { identity: &identity, ..Default::default() };
    let mut context = Context::new();
    context.set_one("s3:prefix", "x");
    let e = run(&set, &alice, "s3:ListBucket", "*", &context);
    assert_eq!(e.decision, Decision::ImplicitDeny);
    assert_eq!(e.missing_context_keys, ["aws:principaltag/team", "aws:sourceip", "aws:tokenissuetime"]);
}
