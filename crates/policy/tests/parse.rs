//! Documents IAM accepts, and IAM's MalformedPolicyDocument message for those it refuses.

mod common;

use nimbus_policy::{Policy, PolicyKind};
use serde_json::json;

fn error(kind: PolicyKind, text: &str) -> String {
    match Policy::parse(text, kind) {
        Ok(_) => panic!("{text} should be refused"),
        Err(e) => e.message,
    }
}

fn error_json(kind: PolicyKind, document: serde_json::Value) -> String {
    error(kind, &document.to_string())
}

fn statement(fields: serde_json::Value) -> serde_json::Value {
    json!({"Version": "2012-10-17", "Statement": [fields]})
}

#[test]
fn accepts_the_documented_grammar() {
    // Statement as an object, Action/Resource as strings or arrays, Id, both versions.
    for document in [
        json!({"Version": "2012-10-17", "Id": "x", "Statement": {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::example_bucket"}}),
        json!({"Version": "2008-10-17", "Statement": [{"Sid": "1", "Effect": "Deny", "NotAction": ["iam:*", "sts:*"], "NotResource": "*"}]}),
        json!({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}),
        json!({"Version": "2012-10-17", "Statement": []}),
        json!({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": ["s3:List*", "s3:Get*"],
            "Resource": ["arn:aws:s3:::confidential-data", "arn:aws:s3:::confidential-data/*"],
            "Condition": {"Bool": {"aws:MultiFactorAuthPresent": true}, "NumericLessThan": {"s3:max-keys": 10}}
        }]}),
    ] {
        common::identity(document);
    }
    common::resource(json!({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::111122223333:root", "444455556666"], "Service": "sns.amazonaws.com", "CanonicalUser": "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"},
        "Action": "s3:*", "Resource": ["arn:aws:s3:::mybucket", "arn:aws:s3:::mybucket/*"]
    }]}));
    // Resource policies such as SNS topic policies may leave Resource implied.
    common::resource(json!({"Version": "2012-10-17", "Statement": [{"Principal": {"AWS": "999999999999"}, "Effect": "Allow", "Action": "sns:*"}]}));
    common::trust(json!({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Federated": "cognito-identity.amazonaws.com"},
        "Action": ["sts:AssumeRoleWithWebIdentity", "sts:TagSession"],
        "Condition": {"StringEquals": {"cognito-identity.amazonaws.com:aud": "us-east-2:12345678-abcd-abcd-abcd-123456"}}
    }]}));
}

#[test]
fn keeps_text_and_kind() {
    let text = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}"#;
    let policy = Policy::parse(text, PolicyKind::Identity).unwrap();
    assert_eq!(policy.text(), text);
    assert_eq!(policy.kind(), PolicyKind::Identity);
}

#[test]
fn invalid_json() {
    for text in ["", "{", "{\"Version\": \"2012-10-17\",}", "not json", "{} trailing"] {
        assert_eq!(error(PolicyKind::Identity, text), "This policy contains invalid Json", "{text}");
    }
}

#[test]
fn syntax_errors() {
    let syntax = "Syntax errors in policy.";
    for document in [
        json!([]),
        json!("policy"),
        json!({"Version": "2012-10-17"}),
        json!({"Version": "2012-10-17", "Statement": "Allow"}),
        json!({"Version": "2012-10-17", "Statement": ["x"]}),
        json!({"Version": "2012-10-17", "Statement": [], "Extra": 1}),
        json!({"Version": 2012, "Statement": []}),
        statement(json!({"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Unknown": 1})),
        statement(json!({"Effect": "Allow", "Action": "s3:*", "NotAction": "s3:Get*", "Resource": "*"})),
        statement(json!({"Effect": "Allow", "Action": "s3:*", "Resource": "*", "NotResource": "*"})),
        statement(json!({"Effect": "Allow", "Action": {"a": 1}, "Resource": "*"})),
        statement(json!({"Effect": "Allow", "Action": ["s3:*", 3], "Resource": "*"})),
        statement(json!({"Effect": "Allow", "Action": "s3:*", "Resource": 7})),
        statement(json!({"Effect": true, "Action": "s3:*", "Resource": "*"})),
        statement(json!({"Sid": 1, "Effect": "Allow", "Action": "s3:*", "Resource": "*"})),
        // A Condition needs operator → key → values.
        statement(json!({"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Condition": {"s3:prefix": "home/"}})),
        statement(json!({"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Condition": {"StringEqualz": {"s3:prefix": "x"}}})),
        statement(json!({"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Condition": {"NullIfExists": {"s3:prefix": "true"}}})),
        statement(json!({"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Condition": {"StringEquals": {"s3:prefix": {"a": "b"}}}})),
        statement(json!({"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Condition": {"StringEquals": {"s3:prefix": [null]}}})),
        statement(json!({"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Condition": []})),
    ] {
        assert_eq!(error_json(PolicyKind::Identity, document.clone()), syntax, "{document}");
    }
    for principal in [json!("arn:aws:iam::111122223333:root"), json!({}), json!({"AWS": []}), json!({"User": "bob"}), json!(["*"])] {
        let document = statement(json!({"Effect": "Allow", "Principal": principal, "Action": "s3:*", "Resource": "*"}));
        assert_eq!(error_json(PolicyKind::Resource, document.clone()), syntax, "{document}");
    }
}

#[test]
fn legacy_parsing_failures() {
    let legacy = "The policy failed legacy parsing";
    let document = json!({"Version": "2012-10-18", "Statement": []});
    assert_eq!(error_json(PolicyKind::Identity, document), legacy);
    for effect in ["allow", "DENY", "Permit"] {
        let document = statement(json!({"Effect": effect, "Action": "s3:*", "Resource": "*"}));
        assert_eq!(error_json(PolicyKind::Identity, document), legacy, "{effect}");
    }
}

#[test]
fn required_and_prohibited_fields() {
    assert_eq!(
        error_json(PolicyKind::Identity, statement(json!({"Action": "s3:*", "Resource": "*"}))),
        "Missing required field Effect"
    );
    assert_eq!(
        error_json(PolicyKind::Identity, statement(json!({"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*"}))),
        "Policy document should not specify a principal."
    );
    assert_eq!(
        error_json(PolicyKind::Identity, statement(json!({"Effect": "Deny", "NotPrincipal": {"AWS": "111122223333"}, "Action": "s3:*", "Resource": "*"}))),
        "Policy document should not specify a principal."
    );
    assert_eq!(
        error_json(PolicyKind::Resource, statement(json!({"Effect": "Allow", "Action": "s3:*", "Resource": "*"}))),
        "Missing required field Principal"
    );
    assert_eq!(error_json(PolicyKind::Trust, statement(json!({"Effect": "Allow", "Action": "sts:AssumeRole"}))), "Missing required field Principal");
    assert_eq!(
        error_json(PolicyKind::Trust, statement(json!({"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole", "Resource": "*"}))),
        "Has prohibited field Resource"
    );
    assert_eq!(
        error_json(PolicyKind::Trust, statement(json!({"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole", "NotResource": "*"}))),
        "Has prohibited field NotResource"
    );
    assert_eq!(
        error_json(PolicyKind::Trust, statement(json!({"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "s3:GetObject"}))),
        "AssumeRole policy may only specify STS AssumeRole actions."
    );
    for missing_actions in [json!({"Effect": "Allow", "Resource": "*"}), json!({"Effect": "Allow", "Action": [], "Resource": "*"})] {
        assert_eq!(error_json(PolicyKind::Identity, statement(missing_actions)), "Policy statement must contain actions.");
    }
    for missing_resources in [json!({"Effect": "Allow", "Action": "s3:*"}), json!({"Effect": "Allow", "Action": "s3:*", "Resource": []})] {
        assert_eq!(error_json(PolicyKind::Identity, statement(missing_resources)), "Policy statement must contain resources.");
    }
}

#[test]
fn statement_ids() {
    let document = json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "Same", "Effect": "Allow", "Action": "s3:*", "Resource": "*"},
        {"Sid": "Same", "Effect": "Deny", "Action": "s3:*", "Resource": "*"}
    ]});
    assert_eq!(error_json(PolicyKind::Identity, document.clone()), "Statement IDs (SID) in a single policy must be unique.");
    assert_eq!(
        error_json(PolicyKind::Identity, statement(json!({"Sid": "Allow S3", "Effect": "Allow", "Action": "s3:*", "Resource": "*"}))),
        "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*"
    );
    // Service resource policies (bucket and key policies) take Sids with spaces.
    common::resource(statement(json!({"Sid": "Enable IAM User Permissions", "Effect": "Allow", "Principal": {"AWS": "111122223333"}, "Action": "kms:*", "Resource": "*"})));
}

#[test]
fn actions_and_condition_keys_need_a_vendor() {
    let vendor = "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.";
    for action in ["GetObject", ":GetObject", "s3"] {
        assert_eq!(error_json(PolicyKind::Identity, statement(json!({"Effect": "Allow", "Action": action, "Resource": "*"}))), vendor, "{action}");
    }
    assert_eq!(
        error_json(PolicyKind::Identity, statement(json!({"Effect": "Allow", "Action": "s3:Get:Object", "Resource": "*"}))),
        "Actions/Condition can contain only one colon."
    );
    assert_eq!(
        error_json(PolicyKind::Identity, statement(json!({"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Condition": {"StringEquals": {"prefix": "a"}}}))),
        vendor
    );
}

#[test]
fn resources_must_be_arns() {
    for bad in ["bucket", "arn:aws:s3", "arn:aws:s3:::", "s3:::bucket/*"] {
        let document = statement(json!({"Effect": "Allow", "Action": "s3:*", "Resource": bad}));
        let result = Policy::parse(&document.to_string(), PolicyKind::Identity);
        if bad == "arn:aws:s3:::" {
            assert!(result.is_ok());
            continue;
        }
        assert_eq!(result.unwrap_err().message, format!("Resource {bad} must be in ARN format or \"*\"."));
    }
}

#[test]
fn invalid_principals() {
    for (kind, value) in [
        ("AWS", "arn:aws:iam::111122223333:user/*"),
        ("AWS", "arn:aws:iam::111122223333:group/Admins"),
        ("AWS", "alice"),
        ("AWS", "arn:aws:sts::111122223333:assumed-role/app"),
        ("Service", ""),
    ] {
        let document = statement(json!({"Effect": "Allow", "Principal": {kind: value}, "Action": "s3:*", "Resource": "*"}));
        assert_eq!(error_json(PolicyKind::Resource, document), format!("Invalid principal in policy: \"{kind}\":\"{value}\""));
    }
}

#[test]
fn condition_keys_in_order_without_duplicates() {
    let policy = common::identity(json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Condition": {
            "StringLike": {"s3:prefix": "home/*", "aws:PrincipalTag/Team": "a"},
            "IpAddress": {"aws:SourceIp": "203.0.113.0/24"}
        }},
        {"Effect": "Deny", "Action": "s3:*", "Resource": "*", "Condition": {
            "Bool": {"AWS:SecureTransport": "false"},
            "NotIpAddress": {"AWS:SOURCEIP": "203.0.113.0/24"},
            "StringEquals": {"S3:Prefix": "x"}
        }}
    ]}));
    assert_eq!(policy.condition_keys(), ["s3:prefix", "aws:PrincipalTag/Team", "aws:SourceIp", "AWS:SecureTransport"]);
    assert!(common::statement("Allow", "s3:*", "*").condition_keys().is_empty());
}

#[test]
fn policies_are_send_and_sync() {
    fn shared<T: Send + Sync + Clone + std::fmt::Debug>() {}
    shared::<Policy>();
    shared::<std::sync::Arc<Policy>>();
}

#[test]
fn never_panics_on_bad_input() {
    let rich = json!({"Version": "2012-10-17", "Id": "é", "Statement": [
        {"Sid": "A1", "Effect": "Allow", "Action": ["s3:Get*", "sqs:*"], "Resource": ["arn:aws:s3:::b/${aws:username}/*", "*"],
         "Condition": {"ForAnyValue:StringLikeIfExists": {"aws:TagKeys": ["a*", "${aws:PrincipalTag/t, 'd'}"]},
                       "DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00+01:00"}, "IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "::1"]},
                       "BinaryEquals": {"x:b": "QQ=="}, "Null": {"x:n": true}, "NumericLessThan": {"x:i": 1.5}}}
    ]})
    .to_string();
    let mut mutated = 0;
    for end in 0..rich.len() {
        if rich.is_char_boundary(end) {
            for kind in [PolicyKind::Identity, PolicyKind::Resource, PolicyKind::Trust] {
                let _ = Policy::parse(&rich[..end], kind);
            }
        }
    }
    for (i, c) in rich.char_indices() {
        for replacement in ["\"", "{", "]", "é", "${", "*", ":", ""] {
            let text = format!("{}{}{}", &rich[..i], replacement, &rich[i + c.len_utf8()..]);
            let _ = Policy::parse(&text, PolicyKind::Identity);
            mutated += 1;
        }
    }
    assert!(mutated > 1000);
}
