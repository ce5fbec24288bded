//! AWS's evaluation logic, case by case from its documentation.

mod common;

use common::*;
use nimbus_policy::{Decision, DenyReason, PolicySet, PolicySource, Request};
use serde_json::json;

const OBJECT: &str = "arn:aws:s3:::bucket/key";

#[test]
fn implicit_deny_without_policies() {
    let alice = user("alice");
    let set = PolicySet::default();
    let e = run(&set, &alice, "s3:GetObject", OBJECT, &context_for(&alice, &[]));
    assert_eq!(e.decision, Decision::ImplicitDeny);
    assert_eq!(e.deny_reason, Some(DenyReason::NoIdentityAllow));
    assert!(e.matched.is_empty());
}

#[test]
fn explicit_deny_beats_allow() {
    // The documented carlossalazar example.
    let policy = identity(json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "AllowS3ListRead", "Effect": "Allow", "Action": ["s3:ListAllMyBuckets", "s3:HeadBucket"], "Resource": "*"},
        {"Sid": "AllowS3Self", "Effect": "Allow", "Action": "s3:*", "Resource": ["arn:aws:s3:::carlossalazar/*", "arn:aws:s3:::carlossalazar"]},
        {"Sid": "DenyS3Logs", "Effect": "Deny", "Action": "s3:*", "Resource": ["arn:aws:s3:::*log*", "arn:aws:s3:::*log*/*"]}
    ]}));
    let bucket_policy = resource(json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:*", "Principal": {"AWS": "arn:aws:iam::111122223333:user/carlossalazar"}, "Resource": "*"}
    ]}));
    let carlos = user("carlossalazar");
    let identity = [&policy];
    let set = PolicySet { identity: &identity, resource: Some(&bucket_policy), ..Default::default() };
    let e = run(&set, &carlos, "s3:PutObject", "arn:aws:s3:::carlossalazar-logs/file", &context_for(&carlos, &[]));
    assert_eq!(e.decision, Decision::ExplicitDeny);
    assert_eq!(e.deny_reason, Some(DenyReason::IdentityExplicitDeny));
    assert_eq!(e.matched.len(), 2, "{:?}", e.matched);
    assert_eq!(e.matched[0].sid.as_deref(), Some("DenyS3Logs"));
    assert!(!e.matched[0].allow);
    assert_eq!(e.matched[1].source, PolicySource::Resource);
    assert_eq!(decide(&set, &carlos, "s3:PutObject", "arn:aws:s3:::carlossalazar/file"), Decision::Allow);
    // A deny in the resource policy refuses too, with its own reason.
    let deny_all = resource(json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Principal": "*", "Action": "s3:DeleteObject", "Resource": "arn:aws:s3:::carlossalazar/*"}
    ]}));
    let set = PolicySet { identity: &identity, resource: Some(&deny_all), ..Default::default() };
    let e = run(&set, &carlos, "s3:DeleteObject", "arn:aws:s3:::carlossalazar/file", &context_for(&carlos, &[]));
    assert_eq!((e.decision, e.deny_reason), (Decision::ExplicitDeny, Some(DenyReason::ResourceExplicitDeny)));
}

#[test]
fn actions_are_case_insensitive_and_wildcarded() {
    let policy = statement("Allow", "s3:Get*", "*");
    assert_eq!(identity_decision(&policy, "s3:GetObject", OBJECT, &[]), Decision::Allow);
    assert_eq!(identity_decision(&policy, "S3:getobjectacl", OBJECT, &[]), Decision::Allow);
    assert_eq!(identity_decision(&policy, "s3:PutObject", OBJECT, &[]), Decision::ImplicitDeny);
    let policy = statement("Allow", "iam:*AccessKey*", "*");
    assert_eq!(identity_decision(&policy, "iam:CreateAccessKey", "*", &[]), Decision::Allow);
    assert_eq!(identity_decision(&policy, "iam:ListAccessKeys", "*", &[]), Decision::Allow);
    assert_eq!(identity_decision(&policy, "iam:CreateUser", "*", &[]), Decision::ImplicitDeny);
    let policy = statement("Allow", "ec2:Describe?nstances", "*");
    assert_eq!(identity_decision(&policy, "ec2:DescribeInstances", "*", &[]), Decision::Allow);
    let policy = statement("Allow", "*", "*");
    assert_eq!(identity_decision(&policy, "dynamodb:PutItem", "arn:aws:dynamodb:us-east-1:111122223333:table/T", &[]), Decision::Allow);
}

#[test]
fn resources_are_case_sensitive_arns() {
    let policy = statement("Allow", "s3:*", "arn:aws:s3:::bucket/home/*");
    assert_eq!(identity_decision(&policy, "s3:GetObject", "arn:aws:s3:::bucket/home/a/b", &[]), Decision::Allow);
    assert_eq!(identity_decision(&policy, "s3:GetObject", "arn:aws:s3:::bucket/HOME/a", &[]), Decision::ImplicitDeny);
    assert_eq!(identity_decision(&policy, "s3:GetObject", "arn:aws:s3:::bucket", &[]), Decision::ImplicitDeny);
    let policy = statement("Allow", "sqs:*", "arn:aws:sqs:us-east-?:*:queue-*");
    assert_eq!(identity_decision(&policy, "sqs:SendMessage", "arn:aws:sqs:us-east-2:111122223333:queue-1", &[]), Decision::Allow);
    assert_eq!(identity_decision(&policy, "sqs:SendMessage", "arn:aws:sqs:eu-west-1:111122223333:queue-1", &[]), Decision::ImplicitDeny);
    // A resource-less action (`*`) is matched only by `"Resource": "*"`.
    assert_eq!(identity_decision(&policy, "sqs:ListQueues", "*", &[]), Decision::ImplicitDeny);
    assert_eq!(identity_decision(&statement("Allow", "sqs:*", "*"), "sqs:ListQueues", "*", &[]), Decision::Allow);
}

#[test]
fn not_action_and_not_resource() {
    // Deny everything except IAM, then allow everything: only IAM is left.
    let policy = identity(json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "*", "Resource": "*"},
        {"Effect": "Deny", "NotAction": "iam:*", "Resource": "*"}
    ]}));
    assert_eq!(identity_decision(&policy, "iam:ListUsers", "*", &[]), Decision::Allow);
    assert_eq!(identity_decision(&policy, "s3:ListAllMyBuckets", "*", &[]), Decision::ExplicitDeny);
    let policy = identity(json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:*", "NotResource": ["arn:aws:s3:::HRBucket/Payroll", "arn:aws:s3:::HRBucket/Payroll/*"]}
    ]}));
    assert_eq!(identity_decision(&policy, "s3:GetObject", "arn:aws:s3:::HRBucket/Other", &[]), Decision::Allow);
    assert_eq!(identity_decision(&policy, "s3:GetObject", "arn:aws:s3:::HRBucket/Payroll/x", &[]), Decision::ImplicitDeny);
    // NotAction with Allow grants everything else.
    let policy = identity(json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}}));
    assert_eq!(identity_decision(&policy, "ec2:RunInstances", "*", &[]), Decision::Allow);
    assert_eq!(identity_decision(&policy, "IAM:CreateUser", "*", &[]), Decision::ImplicitDeny);
}

#[test]
fn same_account_resource_policy_naming_the_user_needs_no_identity_policy() {
    let alice = user("alice");
    let bucket = resource(json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:user/alice"}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::bucket/*"}
    ]}));
    let set = PolicySet { resource: Some(&bucket), ..Default::default() };
    assert_eq!(decide(&set, &alice, "s3:GetObject", OBJECT), Decision::Allow);
    assert_eq!(decide(&set, &user("bob"), "s3:GetObject", OBJECT), Decision::ImplicitDeny);
    // A user path does not change who is named.
    let mut with_path = user("alice");
    with_path.arn = format!("arn:aws:iam::{ACCOUNT}:user/dev/alice");
    assert_eq!(decide(&set, &with_path, "s3:GetObject", OBJECT), Decision::Allow);
}

#[test]
fn resource_policy_naming_only_the_account_delegates_to_identity_policies() {
    let alice = user("alice");
    let bucket = resource(json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "s3:*", "Resource": ["arn:aws:s3:::bucket", "arn:aws:s3:::bucket/*"]}
    ]}));
    let set = PolicySet { resource: Some(&bucket), ..Default::default() };
    let e = run(&set, &alice, "s3:GetObject", OBJECT, &context_for(&alice, &[]));
    assert_eq!((e.decision, e.deny_reason), (Decision::ImplicitDeny, Some(DenyReason::NoIdentityAllow)));
    let allow = statement("Allow", "s3:GetObject", "*");
    let identity = [&allow];
    let set = PolicySet { identity: &identity, resource: Some(&bucket), ..Default::default() };
    assert_eq!(decide(&set, &alice, "s3:GetObject", OBJECT), Decision::Allow);
    // The bare account id is the same principal.
    let by_id = resource(json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "111122223333"}, "Action": "s3:*", "Resource": "*"}
    ]}));
    let set = PolicySet { resource: Some(&by_id), ..Default::default() };
    assert_eq!(decide(&set, &alice, "s3:GetObject", OBJECT), Decision::ImplicitDeny);
}

#[test]
fn identity_allow_is_enough_in_the_same_account() {
    let alice = user("alice");
    let allow = statement("Allow", "sqs:SendMessage", "*");
    let queue_policy = resource(json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:user/bob"}, "Action": "sqs:*", "Resource": "*"}
    ]}));
    let identity = [&allow];
    let set = PolicySet { identity: &identity, resource: Some(&queue_policy), ..Default::default() };
    assert_eq!(decide(&set, &alice, "sqs:SendMessage", "arn:aws:sqs:us-east-1:111122223333:q"), Decision::Allow);
}

#[test]
fn cross_account_needs_both_sides() {
    let bob = user_in(OTHER, "bob");
    let allow = statement("Allow", "s3:GetObject", "arn:aws:s3:::bucket/*");
    let bucket = resource(json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::444455556666:root"}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::bucket/*"}
    ]}));
    let identity = [&allow];
    let both = PolicySet { identity: &identity, resource: Some(&bucket), resource_account: Some(ACCOUNT), ..Default::default() };
    assert_eq!(decide(&both, &bob, "s3:GetObject", OBJECT), Decision::Allow);
    let only_identity = PolicySet { identity: &identity, resource_account: Some(ACCOUNT), ..Default::default() };
    let e = run(&only_identity, &bob, "s3:GetObject", OBJECT, &context_for(&bob, &[]));
    assert_eq!((e.decision, e.deny_reason), (Decision::ImplicitDeny, Some(DenyReason::NoResourceAllow)));
    let only_resource = PolicySet { resource: Some(&bucket), resource_account: Some(ACCOUNT), ..Default::default() };
    let e = run(&only_resource, &bob, "s3:GetObject", OBJECT, &context_for(&bob, &[]));
    assert_eq!((e.decision, e.deny_reason), (Decision::ImplicitDeny, Some(DenyReason::NoIdentityAllow)));
    // Naming the user directly does not waive the identity side across accounts.
    let naming_bob = resource(json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::444455556666:user/bob"}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::bucket/*"}
    ]}));
    let set = PolicySet { resource: Some(&naming_bob), resource_account: Some(ACCOUNT), ..Default::default() };
    assert_eq!(decide(&set, &bob, "s3:GetObject", OBJECT), Decision::ImplicitDeny);
    // The resource's own account is not cross-account.
    let same = PolicySet { identity: &identity, resource_account: Some(OTHER), ..Default::default() };
    assert_eq!(decide(&same, &bob, "s3:GetObject", OBJECT), Decision::Allow);
}

#[test]
fn permissions_boundary_limits_identity_policies() {
    // The documented ShirleyRodriguez example.
    let shirley = user("ShirleyRodriguez");
    let boundary = identity(json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["s3:*", "cloudwatch:*", "ec2:*"], "Resource": "*"}
    ]}));
    let create_user = statement("Allow", "iam:CreateUser", "*");
    let s3 = statement("Allow", "s3:*", "*");
    let identity = [&create_user, &s3];
    let set = PolicySet { identity: &identity, boundary: Some(&boundary), ..Default::default() };
    let e = run(&set, &shirley, "iam:CreateUser", "*", &context_for(&shirley, &[]));
    assert_eq!((e.decision, e.deny_reason), (Decision::ImplicitDeny, Some(DenyReason::NoBoundaryAllow)));
    assert_eq!(decide(&set, &shirley, "s3:GetObject", OBJECT), Decision::Allow);
    // The boundary grants nothing by itself.
    let none = PolicySet { boundary: Some(&boundary), ..Default::default() };
    let e = run(&none, &shirley, "s3:GetObject", OBJECT, &context_for(&shirley, &[]));
    assert_eq!(e.deny_reason, Some(DenyReason::NoIdentityAllow));
    // A deny in the boundary is an explicit deny.
    let deny_logs = common::identity(json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
        {"Effect": "Deny", "Action": "s3:*", "Resource": ["arn:aws:s3:::logs", "arn:aws:s3:::logs/*"]}
    ]}));
    let set = PolicySet { identity: &identity, boundary: Some(&deny_logs), ..Default::default() };
    let e = run(&set, &shirley, "s3:GetObject", "arn:aws:s3:::logs/x", &context_for(&shirley, &[]));
    assert_eq!((e.decision, e.deny_reason), (Decision::ExplicitDeny, Some(DenyReason::BoundaryExplicitDeny)));
    assert_eq!(e.matched[e.matched.len() - 1].source, PolicySource::Boundary);
}

#[test]
fn boundaries_and_resource_policies_by_principal_named() {
    let boundary = statement("Allow", "ec2:*", "*");
    let identity_allows = statement("Allow", "s3:GetObject", "*");
    let identity = [&identity_allows];
    let named = |principal: &str| {
        resource(json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::bucket/*"}
        ]}))
    };
    // A user named directly: the boundary's implicit deny does not limit the grant.
    let alice = user("alice");
    let by_user = named("arn:aws:iam::111122223333:user/alice");
    let set = PolicySet { identity: &identity, boundary: Some(&boundary), resource: Some(&by_user), ..Default::default() };
    assert_eq!(decide(&set, &alice, "s3:GetObject", OBJECT), Decision::Allow);
    // A role named: limited by the role's boundary.
    let app = session("app", "s1");
    let by_role = named("arn:aws:iam::111122223333:role/app");
    let set = PolicySet { identity: &identity, boundary: Some(&boundary), resource: Some(&by_role), ..Default::default() };
    let e = run(&set, &app, "s3:GetObject", OBJECT, &context_for(&app, &[]));
    assert_eq!((e.decision, e.deny_reason), (Decision::ImplicitDeny, Some(DenyReason::NoBoundaryAllow)));
    // ...and without a boundary the role grant alone is enough.
    let set = PolicySet { resource: Some(&by_role), ..Default::default() };
    assert_eq!(decide(&set, &app, "s3:GetObject", OBJECT), Decision::Allow);
    // The session named: not limited by the boundary.
    let by_session = named("arn:aws:sts::111122223333:assumed-role/app/s1");
    let set = PolicySet { identity: &identity, boundary: Some(&boundary), resource: Some(&by_session), ..Default::default() };
    assert_eq!(decide(&set, &app, "s3:GetObject", OBJECT), Decision::Allow);
    assert_eq!(decide(&set, &session("app", "s2"), "s3:GetObject", OBJECT), Decision::ImplicitDeny);
}

#[test]
fn session_policies() {
    let app = session("app", "s1");
    let role_policy = statement("Allow", "s3:*", "*");
    let session_policy = statement("Allow", "s3:GetObject", "*");
    let identity = [&role_policy];
    let sessions = [&session_policy];
    let set = PolicySet { identity: &identity, session: &sessions, ..Default::default() };
    assert_eq!(decide(&set, &app, "s3:GetObject", OBJECT), Decision::Allow);
    let e = run(&set, &app, "s3:PutObject", OBJECT, &context_for(&app, &[]));
    assert_eq!((e.decision, e.deny_reason), (Decision::ImplicitDeny, Some(DenyReason::NoSessionAllow)));
    // A session policy cannot grant what the role's policies do not.
    let wide_session = statement("Allow", "*", "*");
    let narrow_role = statement("Allow", "sqs:*", "*");
    let identity = [&narrow_role];
    let sessions = [&wide_session];
    let set = PolicySet { identity: &identity, session: &sessions, ..Default::default() };
    let e = run(&set, &app, "s3:GetObject", OBJECT, &context_for(&app, &[]));
    assert_eq!(e.deny_reason, Some(DenyReason::NoIdentityAllow));
    // Every session policy must allow.
    let identity = [&role_policy];
    let sessions = [&wide_session, &session_policy];
    let set = PolicySet { identity: &identity, session: &sessions, ..Default::default() };
    assert_eq!(decide(&set, &app, "s3:PutObject", OBJECT), Decision::ImplicitDeny);
    assert_eq!(decide(&set, &app, "s3:GetObject", OBJECT), Decision::Allow);
    // A deny in a session policy.
    let deny = statement("Deny", "s3:GetObject", "*");
    let sessions = [&wide_session, &deny];
    let set = PolicySet { identity: &identity, session: &sessions, ..Default::default() };
    let e = run(&set, &app, "s3:GetObject", OBJECT, &context_for(&app, &[]));
    assert_eq!((e.decision, e.deny_reason), (Decision::ExplicitDeny, Some(DenyReason::SessionExplicitDeny)));
    assert_eq!(e.matched.last().map(|m| m.source), Some(PolicySource::Session(1)));
}

#[test]
fn session_policies_and_resource_policies() {
    let app = session("app", "s1");
    let session_policy = statement("Allow", "sqs:*", "*");
    let sessions = [&session_policy];
    let named = |principal: &str| {
        resource(json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "s3:GetObject", "Resource": "*"}
        ]}))
    };
    // Naming the role: the session policy limits the grant.
    let by_role = named("arn:aws:iam::111122223333:role/app");
    let set = PolicySet { session: &sessions, resource: Some(&by_role), ..Default::default() };
    let e = run(&set, &app, "s3:GetObject", OBJECT, &context_for(&app, &[]));
    assert_eq!(e.deny_reason, Some(DenyReason::NoSessionAllow));
    // Naming the session: the grant comes after the session was made, unlimited.
    let by_session = named("arn:aws:sts::111122223333:assumed-role/app/s1");
    let set = PolicySet { session: &sessions, resource: Some(&by_session), ..Default::default() };
    assert_eq!(decide(&set, &app, "s3:GetObject", OBJECT), Decision::Allow);
    // A federated user named by its session ARN.
    let fed = federated("carol");
    let by_fed = named("arn:aws:sts::111122223333:federated-user/carol");
    let set = PolicySet { session: &sessions, resource: Some(&by_fed), ..Default::default() };
    assert_eq!(decide(&set, &fed, "s3:GetObject", OBJECT), Decision::Allow);
}

#[test]
fn principal_star_matches_everyone_including_anonymous() {
    let public = resource(json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "PublicRead", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::bucket/*"}
    ]}));
    let set = PolicySet { resource: Some(&public), resource_account: Some(ACCOUNT), ..Default::default() };
    for principal in [anonymous(), user("alice"), session("app", "s"), root(OTHER)] {
        assert_eq!(decide(&set, &principal, "s3:GetObject", OBJECT), Decision::Allow, "{principal:?}");
        assert_eq!(decide(&set, &principal, "s3:PutObject", OBJECT), Decision::ImplicitDeny);
    }
    // An IAM user of another account still needs its own identity policy.
    assert_eq!(decide(&set, &user_in(OTHER, "bob"), "s3:GetObject", OBJECT), Decision::ImplicitDeny);
    let aws_star = resource(json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "s3:GetObject", "Resource": "*"}
    ]}));
    let set = PolicySet { resource: Some(&aws_star), ..Default::default() };
    assert_eq!(decide(&set, &anonymous(), "s3:GetObject", OBJECT), Decision::Allow);
}

#[test]
fn anonymous_callers_only_get_what_resource_policies_allow() {
    let everything = statement("Allow", "*", "*");
    let identity = [&everything];
    let set = PolicySet { identity: &identity, ..Default::default() };
    let nobody = anonymous();
    let e = run(&set, &nobody, "s3:GetObject", OBJECT, &context_for(&nobody, &[]));
    assert_eq!((e.decision, e.deny_reason), (Decision::ImplicitDeny, Some(DenyReason::NoResourceAllow)));
    let by_account = resource(json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "111122223333"}, "Action": "s3:*", "Resource": "*"}
    ]}));
    let set = PolicySet { resource: Some(&by_account), ..Default::default() };
    assert_eq!(decide(&set, &nobody, "s3:GetObject", OBJECT), Decision::ImplicitDeny);
    assert_eq!(
        e.denial_message(&Request { principal: &nobody, action: "s3:GetObject", resource: OBJECT, context: &context_for(&nobody, &[]) }),
        "User: anonymous is not authorized to perform: s3:GetObject on resource: arn:aws:s3:::bucket/key because no resource-based policy allows the s3:GetObject action"
    );
}

#[test]
fn root_of_the_resource_account() {
    let owner = root(ACCOUNT);
    let set = PolicySet::default();
    assert_eq!(decide(&set, &owner, "s3:DeleteBucket", "arn:aws:s3:::bucket"), Decision::Allow);
    // Identity policies never apply to root, not even their denies.
    let deny = statement("Deny", "*", "*");
    let identity = [&deny];
    let set = PolicySet { identity: &identity, ..Default::default() };
    assert_eq!(decide(&set, &owner, "s3:DeleteBucket", "arn:aws:s3:::bucket"), Decision::Allow);
    // A resource policy's explicit deny does.
    let bucket = resource(json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Principal": "*", "Action": "s3:DeleteBucket", "Resource": "arn:aws:s3:::bucket"}
    ]}));
    let set = PolicySet { resource: Some(&bucket), ..Default::default() };
    let e = run(&set, &owner, "s3:DeleteBucket", "arn:aws:s3:::bucket", &context_for(&owner, &[]));
    assert_eq!((e.decision, e.deny_reason), (Decision::ExplicitDeny, Some(DenyReason::ResourceExplicitDeny)));
    // Another account's root needs the resource policy to allow.
    let other = root(OTHER);
    let set = PolicySet { resource_account: Some(ACCOUNT), ..Default::default() };
    assert_eq!(decide(&set, &other, "s3:GetObject", OBJECT), Decision::ImplicitDeny);
    let grant = resource(json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "444455556666"}, "Action": "s3:GetObject", "Resource": "*"}
    ]}));
    let set = PolicySet { resource: Some(&grant), resource_account: Some(ACCOUNT), ..Default::default() };
    assert_eq!(decide(&set, &other, "s3:GetObject", OBJECT), Decision::Allow);
}

#[test]
fn kms_key_policy_is_required() {
    const KEY: &str = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    let alice = user("alice");
    let kms_all = statement("Allow", "kms:*", "*");
    let identity = [&kms_all];
    // No key policy allow: an identity policy alone is not enough.
    let key_policy = resource(json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:user/bob"}, "Action": "kms:*", "Resource": "*"}
    ]}));
    let set = PolicySet { identity: &identity, resource: Some(&key_policy), resource_policy_required: true, ..Default::default() };
    let e = run(&set, &alice, "kms:Decrypt", KEY, &context_for(&alice, &[]));
    assert_eq!((e.decision, e.deny_reason), (Decision::ImplicitDeny, Some(DenyReason::NoResourceAllow)));
    let set = PolicySet { identity: &identity, resource_policy_required: true, ..Default::default() };
    assert_eq!(decide(&set, &alice, "kms:Decrypt", KEY), Decision::ImplicitDeny);
    // The default key policy: naming the account enables IAM policies.
    let default_policy = resource(json!({"Version": "2012-10-17", "Id": "key-default-1", "Statement": [
        {"Sid": "Enable IAM User Permissions", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:*", "Resource": "*"}
    ]}));
    let set = PolicySet { identity: &identity, resource: Some(&default_policy), resource_policy_required: true, ..Default::default() };
    assert_eq!(decide(&set, &alice, "kms:Decrypt", KEY), Decision::Allow);
    let set = PolicySet { resource: Some(&default_policy), resource_policy_required: true, ..Default::default() };
    assert_eq!(decide(&set, &alice, "kms:Decrypt", KEY), Decision::ImplicitDeny);
    // Naming the user directly needs no IAM policy.
    let set = PolicySet { resource: Some(&key_policy), resource_policy_required: true, ..Default::default() };
    assert_eq!(decide(&set, &user("bob"), "kms:Decrypt", KEY), Decision::Allow);
    // Even the account's root needs the key policy.
    let set = PolicySet { resource: Some(&key_policy), resource_policy_required: true, ..Default::default() };
    assert_eq!(decide(&set, &root(ACCOUNT), "kms:Decrypt", KEY), Decision::ImplicitDeny);
    let set = PolicySet { resource: Some(&default_policy), resource_policy_required: true, ..Default::default() };
    assert_eq!(decide(&set, &root(ACCOUNT), "kms:Decrypt", KEY), Decision::Allow);
}

#[test]
fn role_trust_policies() {
    const ROLE: &str = "arn:aws:iam::111122223333:role/app";
    let trust_user = trust(json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:user/alice"}, "Action": "sts:AssumeRole"}
    ]}));
    let set = PolicySet { resource: Some(&trust_user), resource_policy_required: true, ..Default::default() };
    assert_eq!(decide(&set, &user("alice"), "sts:AssumeRole", ROLE), Decision::Allow);
    assert_eq!(decide(&set, &user("bob"), "sts:AssumeRole", ROLE), Decision::ImplicitDeny);
    // Trusting the account: the caller's identity policies must allow sts:AssumeRole.
    let trust_account = trust(json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::444455556666:root"}, "Action": "sts:AssumeRole"}
    ]}));
    let bob = user_in(OTHER, "bob");
    let assume = statement("Allow", "sts:AssumeRole", ROLE);
    let identity = [&assume];
    let set = PolicySet { identity: &identity, resource: Some(&trust_account), resource_account: Some(ACCOUNT), resource_policy_required: true, ..Default::default() };
    assert_eq!(decide(&set, &bob, "sts:AssumeRole", ROLE), Decision::Allow);
    let set = PolicySet { resource: Some(&trust_account), resource_account: Some(ACCOUNT), resource_policy_required: true, ..Default::default() };
    assert_eq!(decide(&set, &bob, "sts:AssumeRole", ROLE), Decision::ImplicitDeny);
    // A service trust policy.
    let trust_service = trust(json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": ["ec2.amazonaws.com", "lambda.amazonaws.com"]}, "Action": "sts:AssumeRole"}
    ]}));
    let set = PolicySet { resource: Some(&trust_service), resource_policy_required: true, ..Default::default() };
    assert_eq!(decide(&set, &service("lambda.amazonaws.com"), "sts:AssumeRole", ROLE), Decision::Allow);
    assert_eq!(decide(&set, &service("sns.amazonaws.com"), "sts:AssumeRole", ROLE), Decision::ImplicitDeny);
    assert_eq!(decide(&set, &user("alice"), "sts:AssumeRole", ROLE), Decision::ImplicitDeny);
    // A role's sessions assuming another role, named by role ARN.
    let trust_role = trust(json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/ci"}, "Action": ["sts:AssumeRole", "sts:TagSession"]}
    ]}));
    let set = PolicySet { resource: Some(&trust_role), resource_policy_required: true, ..Default::default() };
    assert_eq!(decide(&set, &session("ci", "build-7"), "sts:AssumeRole", ROLE), Decision::Allow);
    assert_eq!(decide(&set, &session("ci", "build-7"), "sts:TagSession", ROLE), Decision::Allow);
}

#[test]
fn service_principals() {
    let queue_policy = resource(json!({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"}, "Action": "sqs:SendMessage",
        "Resource": "arn:aws:sqs:us-east-1:111122223333:q",
        "Condition": {"ArnEquals": {"aws:SourceArn": "arn:aws:sns:us-east-1:111122223333:topic"}}
    }]}));
    let set = PolicySet { resource: Some(&queue_policy), ..Default::default() };
    let sns = service("sns.amazonaws.com");
    let from_topic = context_for(&sns, &[("aws:SourceArn", "arn:aws:sns:us-east-1:111122223333:topic")]);
    let e = run(&set, &sns, "sqs:SendMessage", "arn:aws:sqs:us-east-1:111122223333:q", &from_topic);
    assert_eq!(e.decision, Decision::Allow);
    let other_topic = context_for(&sns, &[("aws:SourceArn", "arn:aws:sns:us-east-1:111122223333:other")]);
    assert_eq!(run(&set, &sns, "sqs:SendMessage", "arn:aws:sqs:us-east-1:111122223333:q", &other_topic).decision, Decision::ImplicitDeny);
    let e = run(&set, &sns, "sqs:SendMessage", "arn:aws:sqs:us-east-1:111122223333:q", &context_for(&sns, &[]));
    assert_eq!(e.decision, Decision::ImplicitDeny);
    assert_eq!(e.missing_context_keys, ["aws:sourcearn"]);
}

#[test]
fn not_principal_with_deny() {
    // The documented example: everyone but Bob (and his account) is denied.
    let bucket = resource(json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "NotPrincipal": {"AWS": ["arn:aws:iam::444455556666:user/Bob", "arn:aws:iam::444455556666:root"]}, "Action": "s3:*", "Resource": ["arn:aws:s3:::BUCKETNAME", "arn:aws:s3:::BUCKETNAME/*"]},
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::444455556666:user/Bob"}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::BUCKETNAME/*"}
    ]}));
    let get_any = statement("Allow", "s3:GetObject", "*");
    let identity = [&get_any];
    let set = PolicySet { identity: &identity, resource: Some(&bucket), resource_account: Some(ACCOUNT), ..Default::default() };
    assert_eq!(decide(&set, &user_in(OTHER, "Bob"), "s3:GetObject", "arn:aws:s3:::BUCKETNAME/x"), Decision::Allow);
    assert_eq!(decide(&set, &user_in(OTHER, "Eve"), "s3:GetObject", "arn:aws:s3:::BUCKETNAME/x"), Decision::ExplicitDeny);
    assert_eq!(decide(&set, &anonymous(), "s3:GetObject", "arn:aws:s3:::BUCKETNAME/x"), Decision::ExplicitDeny);
    // Listing only Bob's ARN denies Bob too: his account is not left out.
    let only_bob = resource(json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "NotPrincipal": {"AWS": "arn:aws:iam::444455556666:user/Bob"}, "Action": "s3:*", "Resource": "*"}
    ]}));
    let set = PolicySet { identity: &identity, resource: Some(&only_bob), ..Default::default() };
    assert_eq!(decide(&set, &user_in(OTHER, "Bob"), "s3:GetObject", OBJECT), Decision::ExplicitDeny);
    // A role session is left out only with its session, role and account all listed.
    let audit = session_in(OTHER, "cross-account-read-only-role", "cross-account-audit-app");
    let chain = resource(json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "NotPrincipal": {"AWS": [
            "arn:aws:sts::444455556666:assumed-role/cross-account-read-only-role/cross-account-audit-app",
            "arn:aws:iam::444455556666:role/cross-account-read-only-role",
            "arn:aws:iam::444455556666:root"
        ]}, "Action": "s3:*", "Resource": "*"}
    ]}));
    let set = PolicySet { identity: &identity, resource: Some(&chain), ..Default::default() };
    assert_eq!(decide(&set, &audit, "s3:GetObject", OBJECT), Decision::Allow);
    assert_eq!(decide(&set, &session_in(OTHER, "cross-account-read-only-role", "other"), "s3:GetObject", OBJECT), Decision::ExplicitDeny);
    // With a permissions boundary, a Deny with NotPrincipal always denies (AWS's warning).
    let boundary = statement("Allow", "*", "*");
    let set = PolicySet { identity: &identity, boundary: Some(&boundary), resource: Some(&chain), ..Default::default() };
    assert_eq!(decide(&set, &audit, "s3:GetObject", OBJECT), Decision::ExplicitDeny);
}

#[test]
fn not_principal_with_allow_grants_everyone_else() {
    let bucket = resource(json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "NotPrincipal": {"AWS": ["arn:aws:iam::111122223333:user/mallory", "arn:aws:iam::111122223333:root"]}, "Action": "s3:GetObject", "Resource": "*"}
    ]}));
    let set = PolicySet { resource: Some(&bucket), ..Default::default() };
    assert_eq!(decide(&set, &user("alice"), "s3:GetObject", OBJECT), Decision::Allow);
    assert_eq!(decide(&set, &anonymous(), "s3:GetObject", OBJECT), Decision::Allow);
    assert_eq!(decide(&set, &user("mallory"), "s3:GetObject", OBJECT), Decision::ImplicitDeny);
}

#[test]
fn denial_messages() {
    let alice = user("alice");
    let context = context_for(&alice, &[]);
    let request = Request { principal: &alice, action: "s3:GetObject", resource: OBJECT, context: &context };
    let e = nimbus_policy::evaluate(&PolicySet::default(), &request);
    assert_eq!(
        e.denial_message(&request),
        "User: arn:aws:iam::111122223333:user/alice is not authorized to perform: s3:GetObject on resource: arn:aws:s3:::bucket/key because no identity-based policy allows the s3:GetObject action"
    );
    let deny = statement("Deny", "s3:*", "*");
    let identity = [&deny];
    let e = nimbus_policy::evaluate(&PolicySet { identity: &identity, ..Default::default() }, &request);
    assert_eq!(
        e.denial_message(&request),
        "User: arn:aws:iam::111122223333:user/alice is not authorized to perform: s3:GetObject on resource: arn:aws:s3:::bucket/key with an explicit deny in an identity-based policy"
    );
    let app = session("app", "s1");
    let context = context_for(&app, &[]);
    let request = Request { principal: &app, action: "sqs:ListQueues", resource: "*", context: &context };
    let allow = statement("Allow", "sqs:*", "*");
    let boundary = statement("Allow", "s3:*", "*");
    let identity = [&allow];
    let e = nimbus_policy::evaluate(&PolicySet { identity: &identity, boundary: Some(&boundary), ..Default::default() }, &request);
    assert_eq!(
        e.denial_message(&request),
        "User: arn:aws:sts::111122223333:assumed-role/app/s1 is not authorized to perform: sqs:ListQueues because no permissions boundary allows the sqs:ListQueues action"
    );
    let sessions = [&boundary];
    let e = nimbus_policy::evaluate(&PolicySet { identity: &identity, session: &sessions, ..Default::default() }, &request);
    assert!(e.denial_message(&request).ends_with("because no session policy allows the sqs:ListQueues action"));
    let deny = statement("Deny", "sqs:*", "*");
    let deny_sessions = [&deny];
    for (set, end) in [
        (PolicySet { identity: &identity, boundary: Some(&deny), ..Default::default() }, "with an explicit deny in a permissions boundary"),
        (PolicySet { identity: &identity, session: &deny_sessions, ..Default::default() }, "with an explicit deny in a session policy"),
    ] {
        let e = nimbus_policy::evaluate(&set, &request);
        assert!(e.denial_message(&request).ends_with(end), "{}", e.denial_message(&request));
    }
    let queue = resource(json!({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "sqs:*", "Resource": "*"}]}));
    let e = nimbus_policy::evaluate(&PolicySet { identity: &identity, resource: Some(&queue), ..Default::default() }, &request);
    assert!(e.denial_message(&request).ends_with("with an explicit deny in a resource-based policy"));
}

#[test]
fn multiple_identity_policies_or_together() {
    let a = statement("Allow", "s3:GetObject", "*");
    let b = statement("Allow", "s3:PutObject", "*");
    let c = statement("Deny", "s3:DeleteObject", "*");
    let identity = [&a, &b, &c];
    let set = PolicySet { identity: &identity, ..Default::default() };
    let alice = user("alice");
    assert_eq!(decide(&set, &alice, "s3:PutObject", OBJECT), Decision::Allow);
    let e = run(&set, &alice, "s3:DeleteObject", OBJECT, &context_for(&alice, &[]));
    assert_eq!(e.decision, Decision::ExplicitDeny);
    assert_eq!(e.matched[0].source, PolicySource::Identity(2));
}

#[test]
fn other_principal_types() {
    // Federated providers: STS asks as the provider (a service-kind caller or its ARN).
    let web = trust(json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Federated": ["cognito-identity.amazonaws.com", "arn:aws:iam::111122223333:saml-provider/corp"]}, "Action": ["sts:AssumeRoleWithWebIdentity", "sts:AssumeRoleWithSAML"]}
    ]}));
    let set = PolicySet { resource: Some(&web), resource_policy_required: true, ..Default::default() };
    assert_eq!(decide(&set, &service("cognito-identity.amazonaws.com"), "sts:AssumeRoleWithWebIdentity", "arn:aws:iam::111122223333:role/r"), Decision::Allow);
    let mut saml = service("arn:aws:iam::111122223333:saml-provider/corp");
    saml.arn = "arn:aws:iam::111122223333:saml-provider/corp".into();
    assert_eq!(decide(&set, &saml, "sts:AssumeRoleWithSAML", "arn:aws:iam::111122223333:role/r"), Decision::Allow);
    assert_eq!(decide(&set, &service("accounts.google.com"), "sts:AssumeRoleWithWebIdentity", "arn:aws:iam::111122223333:role/r"), Decision::ImplicitDeny);
    // Unique ids, as IAM shows principals that were deleted and recreated, and canonical users.
    let by_id = resource(json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": ["AIDAJQABLZS4A3QDU576Q"], "CanonicalUser": "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"}, "Action": "s3:GetObject", "Resource": "*"}
    ]}));
    let set = PolicySet { resource: Some(&by_id), ..Default::default() };
    assert_eq!(decide(&set, &user("alice"), "s3:GetObject", OBJECT), Decision::Allow);
    let mut canonical = user("carol");
    canonical.user_id = "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be".into();
    assert_eq!(decide(&set, &canonical, "s3:GetObject", OBJECT), Decision::Allow);
    let mut stranger = user("dave");
    stranger.user_id = "AIDAOTHEROTHEROTHER12".into();
    assert_eq!(decide(&set, &stranger, "s3:GetObject", OBJECT), Decision::ImplicitDeny);
}

#[test]
fn odd_requests_do_not_panic() {
    let policy = identity(json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:?et*", "Resource": "arn:aws:s3:::b/${aws:username}?*", "Condition": {"DateLessThan": {"aws:CurrentTime": "2030"}}}
    ]}));
    let identity = [&policy];
    let set = PolicySet { identity: &identity, ..Default::default() };
    let alice = user("é");
    for (action, resource, time) in [("", "", ""), ("s3", "*", "x"), ("s3:éet", "arn:aws:s3:::b/éé", "2029-12-31T23:59:59.999999999999Z"), (":", ":::::", "-1")] {
        let context = context_for(&alice, &[("aws:CurrentTime", time)]);
        let _ = run(&set, &alice, action, resource, &context);
    }
    let context = context_for(&alice, &[("aws:CurrentTime", "2029")]);
    assert_eq!(run(&set, &alice, "s3:Get", "arn:aws:s3:::b/éx", &context).decision, Decision::Allow);
}
