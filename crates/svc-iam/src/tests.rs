use serde_json::json;

use nimbus_testkit::MemoryRegistry;

use super::*;

fn iam() -> (Iam, Arc<MemoryRegistry>) {
    let registry = Arc::new(MemoryRegistry::default());
    let clock = Clock::fixed(time::macros::datetime!(2026-01-01 00:00 UTC));
    (
        Iam::new(Store::open_ephemeral().unwrap(), clock, registry.clone()),
        registry,
    )
}

async fn call(iam: &Iam, op: &str, input: Document) -> Result<Document, ServiceError> {
    iam.call(&RequestContext::for_tests("iam", op), op, input)
        .await
}

async fn ok(iam: &Iam, op: &str, input: Document) -> Document {
    call(iam, op, input)
        .await
        .unwrap_or_else(|e| panic!("{op}: {e}"))
}

async fn fails(iam: &Iam, op: &str, input: Document) -> (String, String) {
    let e = call(iam, op, input).await.expect_err(op);
    (e.code.to_string(), e.message)
}

fn doc(statements: serde_json::Value) -> String {
    json!({"Version": "2012-10-17", "Statement": statements}).to_string()
}

const ACCT: &str = "000000000000";

#[tokio::test]
async fn users_have_aws_ids_arns_and_errors() {
    let (iam, _) = iam();
    let out = ok(
        &iam,
        "CreateUser",
        json!({"UserName": "alice", "Path": "/dev/"}),
    )
    .await;
    assert_eq!(
        out["User"]["Arn"],
        format!("arn:aws:iam::{ACCT}:user/dev/alice")
    );
    let id = out["User"]["UserId"].as_str().unwrap();
    assert!(id.starts_with("AIDA") && id.len() == 21, "{id}");
    assert_eq!(
        fails(&iam, "CreateUser", json!({"UserName": "ALICE"})).await,
        (
            "EntityAlreadyExists".into(),
            "User with name ALICE already exists.".into()
        )
    );
    assert_eq!(
        fails(&iam, "GetUser", json!({"UserName": "bob"})).await,
        (
            "NoSuchEntity".into(),
            "The user with name bob cannot be found.".into()
        )
    );
    assert_eq!(
        fails(&iam, "CreateUser", json!({"UserName": "bad name"}))
            .await
            .0,
        "ValidationError"
    );
    ok(&iam, "PutUserPolicy", json!({"UserName": "alice", "PolicyName": "p", "PolicyDocument": doc(json!([{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]))})).await;
    assert_eq!(
        fails(&iam, "DeleteUser", json!({"UserName": "alice"})).await,
        (
            "DeleteConflict".into(),
            "Cannot delete entity, must delete policies first.".into()
        )
    );
    let got = ok(
        &iam,
        "GetUserPolicy",
        json!({"UserName": "alice", "PolicyName": "p"}),
    )
    .await;
    assert!(
        got["PolicyDocument"]
            .as_str()
            .unwrap()
            .starts_with("%7B%22Version%22")
    );
    ok(
        &iam,
        "DeleteUserPolicy",
        json!({"UserName": "alice", "PolicyName": "p"}),
    )
    .await;
    ok(
        &iam,
        "UpdateUser",
        json!({"UserName": "alice", "NewUserName": "alicia", "NewPath": "/"}),
    )
    .await;
    assert_eq!(
        ok(&iam, "GetUser", json!({"UserName": "alicia"})).await["User"]["UserId"],
        id
    );
    ok(&iam, "DeleteUser", json!({"UserName": "alicia"})).await;
    assert_eq!(
        fails(&iam, "DeleteUser", json!({"UserName": "alicia"}))
            .await
            .0,
        "NoSuchEntity"
    );
    let valid = doc(json!([{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]));
    let (code, message) = fails(
        &iam,
        "PutUserPolicy",
        json!({"UserName": "x", "PolicyName": "p", "PolicyDocument": valid}),
    )
    .await;
    assert_eq!(
        (code.as_str(), message.as_str()),
        ("NoSuchEntity", "The user with name x cannot be found.")
    );
}

#[tokio::test]
async fn malformed_documents_are_refused_with_iams_messages() {
    let (iam, _) = iam();
    ok(&iam, "CreateUser", json!({"UserName": "u"})).await;
    let (code, message) = fails(
        &iam,
        "PutUserPolicy",
        json!({"UserName": "u", "PolicyName": "p", "PolicyDocument": "{not json"}),
    )
    .await;
    assert_eq!(
        (code.as_str(), message.as_str()),
        (
            "MalformedPolicyDocument",
            "This policy contains invalid Json"
        )
    );
    let with_principal =
        doc(json!([{"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*"}]));
    assert_eq!(
        fails(
            &iam,
            "CreatePolicy",
            json!({"PolicyName": "p", "PolicyDocument": with_principal})
        )
        .await
        .0,
        "MalformedPolicyDocument"
    );
    let (code, _) = fails(&iam, "CreateRole", json!({"RoleName": "r", "AssumeRolePolicyDocument": doc(json!([{"Effect": "Allow", "Action": "sts:AssumeRole"}]))})).await;
    assert_eq!(code, "MalformedPolicyDocument");
}

#[tokio::test]
async fn access_keys_are_registered_limited_and_removed() {
    let (iam, registry) = iam();
    let user = ok(&iam, "CreateUser", json!({"UserName": "k"})).await;
    let key = ok(&iam, "CreateAccessKey", json!({"UserName": "k"})).await["AccessKey"].clone();
    let id = key["AccessKeyId"].as_str().unwrap();
    assert!(id.starts_with("AKIA") && id.len() == 20);
    let registered = registry.lookup(id).unwrap();
    assert_eq!(
        registered.principal_arn,
        format!("arn:aws:iam::{ACCT}:user/k")
    );
    assert_eq!(registered.user_id, user["User"]["UserId"].as_str().unwrap());
    assert_eq!(
        registered.secret_access_key,
        key["SecretAccessKey"].as_str().unwrap()
    );
    assert!(registered.active);
    ok(&iam, "CreateAccessKey", json!({"UserName": "k"})).await;
    assert_eq!(
        fails(&iam, "CreateAccessKey", json!({"UserName": "k"})).await,
        (
            "LimitExceeded".into(),
            "Cannot exceed quota for AccessKeysPerUser: 2".into()
        )
    );
    ok(
        &iam,
        "UpdateAccessKey",
        json!({"UserName": "k", "AccessKeyId": id, "Status": "Inactive"}),
    )
    .await;
    assert!(!registry.lookup(id).unwrap().active);
    let listed = ok(&iam, "ListAccessKeys", json!({"UserName": "k"})).await;
    assert_eq!(listed["AccessKeyMetadata"].as_array().unwrap().len(), 2);
    assert_eq!(
        fails(&iam, "DeleteUser", json!({"UserName": "k"})).await.1,
        "Cannot delete entity, must delete access keys first."
    );
    ok(
        &iam,
        "DeleteAccessKey",
        json!({"UserName": "k", "AccessKeyId": id}),
    )
    .await;
    assert!(registry.lookup(id).is_none());
    assert_eq!(
        fails(
            &iam,
            "DeleteAccessKey",
            json!({"UserName": "k", "AccessKeyId": id})
        )
        .await,
        (
            "NoSuchEntity".into(),
            format!("The Access Key with id {id} cannot be found.")
        )
    );
}

#[tokio::test]
async fn managed_policy_versions_and_attachments() {
    let (iam, _) = iam();
    let allow = doc(json!([{"Effect": "Allow", "Action": "sqs:*", "Resource": "*"}]));
    let policy = ok(
        &iam,
        "CreatePolicy",
        json!({"PolicyName": "p", "PolicyDocument": allow}),
    )
    .await["Policy"]
        .clone();
    let arn = policy["Arn"].as_str().unwrap().to_owned();
    assert_eq!(arn, format!("arn:aws:iam::{ACCT}:policy/p"));
    assert!(policy["PolicyId"].as_str().unwrap().starts_with("ANPA"));
    assert_eq!(
        fails(
            &iam,
            "CreatePolicy",
            json!({"PolicyName": "p", "PolicyDocument": allow})
        )
        .await
        .1,
        "A policy called p already exists. Duplicate names are not allowed."
    );
    for n in 2..=5 {
        let v = ok(
            &iam,
            "CreatePolicyVersion",
            json!({"PolicyArn": arn, "PolicyDocument": allow, "SetAsDefault": n == 3}),
        )
        .await;
        assert_eq!(v["PolicyVersion"]["VersionId"], format!("v{n}"));
    }
    assert_eq!(
        fails(
            &iam,
            "CreatePolicyVersion",
            json!({"PolicyArn": arn, "PolicyDocument": allow})
        )
        .await
        .0,
        "LimitExceeded"
    );
    assert_eq!(
        fails(
            &iam,
            "DeletePolicyVersion",
            json!({"PolicyArn": arn, "VersionId": "v3"})
        )
        .await
        .1,
        "Cannot delete the default version of a policy."
    );
    ok(&iam, "CreateRole", json!({"RoleName": "r", "AssumeRolePolicyDocument": doc(json!([{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]))})).await;
    ok(
        &iam,
        "AttachRolePolicy",
        json!({"RoleName": "r", "PolicyArn": arn}),
    )
    .await;
    ok(
        &iam,
        "AttachRolePolicy",
        json!({"RoleName": "r", "PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}),
    )
    .await;
    assert_eq!(
        ok(&iam, "GetPolicy", json!({"PolicyArn": arn})).await["Policy"]["AttachmentCount"],
        1
    );
    assert_eq!(
        fails(&iam, "DeletePolicy", json!({"PolicyArn": arn}))
            .await
            .1,
        "Cannot delete a policy attached to entities."
    );
    assert_eq!(
        fails(&iam, "DeleteRole", json!({"RoleName": "r"})).await.1,
        "Cannot delete entity, must detach all policies first."
    );
    let attached = ok(&iam, "ListAttachedRolePolicies", json!({"RoleName": "r"})).await;
    assert_eq!(
        attached["AttachedPolicies"][1]["PolicyName"],
        "ReadOnlyAccess"
    );
    let entities = ok(&iam, "ListEntitiesForPolicy", json!({"PolicyArn": arn})).await;
    assert_eq!(entities["PolicyRoles"][0]["RoleName"], "r");
    ok(
        &iam,
        "DetachRolePolicy",
        json!({"RoleName": "r", "PolicyArn": arn}),
    )
    .await;
    assert_eq!(
        fails(
            &iam,
            "DetachRolePolicy",
            json!({"RoleName": "r", "PolicyArn": arn})
        )
        .await
        .1,
        format!("Policy {arn} was not found.")
    );
    assert!(
        fails(&iam, "DeletePolicy", json!({"PolicyArn": arn}))
            .await
            .1
            .starts_with("This policy has more than one version.")
    );
    let missing = format!("arn:aws:iam::{ACCT}:policy/nope");
    assert_eq!(
        fails(&iam, "GetPolicy", json!({"PolicyArn": missing})).await,
        (
            "NoSuchEntity".into(),
            format!("Policy {missing} was not found.")
        )
    );
    let aws = ok(
        &iam,
        "ListPolicies",
        json!({"Scope": "AWS", "OnlyAttached": true}),
    )
    .await;
    assert_eq!(aws["Policies"].as_array().unwrap().len(), 1);
    assert_eq!(
        aws["Policies"][0]["Arn"],
        "arn:aws:iam::aws:policy/ReadOnlyAccess"
    );
    assert_eq!(
        fails(
            &iam,
            "DeletePolicy",
            json!({"PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"})
        )
        .await
        .0,
        "AccessDenied"
    );
}

#[tokio::test]
async fn listings_paginate_with_markers() {
    let (iam, _) = iam();
    for i in 0..5 {
        ok(&iam, "CreateGroup", json!({"GroupName": format!("g{i}")})).await;
    }
    let mut seen = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let mut input = json!({"MaxItems": 2});
        if let Some(m) = &marker {
            input["Marker"] = json!(m);
        }
        let page = ok(&iam, "ListGroups", input).await;
        seen.extend(
            page["Groups"]
                .as_array()
                .unwrap()
                .iter()
                .map(|g| g["GroupName"].as_str().unwrap().to_owned()),
        );
        if page["IsTruncated"] == json!(true) {
            marker = Some(page["Marker"].as_str().unwrap().to_owned());
        } else {
            assert!(page.get("Marker").is_none());
            break;
        }
    }
    assert_eq!(seen, ["g0", "g1", "g2", "g3", "g4"]);
}

#[tokio::test]
async fn directory_resolves_users_groups_roles_and_forgets_on_write() {
    let (iam, _) = iam();
    let dir = iam.directory();
    let allow = |action: &str| doc(json!([{"Effect": "Allow", "Action": action, "Resource": "*"}]));
    ok(
        &iam,
        "CreateUser",
        json!({"UserName": "dev", "Path": "/team/", "Tags": [{"Key": "team", "Value": "blue"}]}),
    )
    .await;
    let user_arn = format!("arn:aws:iam::{ACCT}:user/team/dev");
    assert_eq!(dir.principal_policies(&user_arn).unwrap().identity.len(), 0);
    ok(
        &iam,
        "PutUserPolicy",
        json!({"UserName": "dev", "PolicyName": "p", "PolicyDocument": allow("s3:*")}),
    )
    .await;
    ok(&iam, "CreateGroup", json!({"GroupName": "g"})).await;
    ok(
        &iam,
        "PutGroupPolicy",
        json!({"GroupName": "g", "PolicyName": "gp", "PolicyDocument": allow("sqs:*")}),
    )
    .await;
    ok(
        &iam,
        "AttachGroupPolicy",
        json!({"GroupName": "g", "PolicyArn": "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"}),
    )
    .await;
    ok(
        &iam,
        "AddUserToGroup",
        json!({"GroupName": "g", "UserName": "dev"}),
    )
    .await;
    let boundary = ok(
        &iam,
        "CreatePolicy",
        json!({"PolicyName": "b", "PolicyDocument": allow("s3:*")}),
    )
    .await["Policy"]["Arn"]
        .clone();
    ok(
        &iam,
        "PutUserPermissionsBoundary",
        json!({"UserName": "dev", "PermissionsBoundary": boundary}),
    )
    .await;
    let found = dir.principal_policies(&user_arn).unwrap();
    assert_eq!(found.identity.len(), 3);
    assert!(found.boundary.is_some());
    assert_eq!(found.tags, vec![("team".to_owned(), "blue".to_owned())]);
    assert!(
        dir.principal_policies(&format!("arn:aws:iam::{ACCT}:user/other/dev"))
            .is_none()
    );
    assert!(
        dir.principal_policies(&format!("arn:aws:iam::{ACCT}:user/ghost"))
            .is_none()
    );
    ok(
        &iam,
        "RemoveUserFromGroup",
        json!({"GroupName": "g", "UserName": "dev"}),
    )
    .await;
    assert_eq!(dir.principal_policies(&user_arn).unwrap().identity.len(), 1);

    let trust = doc(
        json!([{"Effect": "Allow", "Principal": {"AWS": user_arn}, "Action": "sts:AssumeRole"}]),
    );
    let role = ok(&iam, "CreateRole", json!({"RoleName": "app", "Path": "/svc/", "AssumeRolePolicyDocument": trust, "MaxSessionDuration": 7200})).await;
    assert!(role["Role"]["RoleId"].as_str().unwrap().starts_with("AROA"));
    ok(
        &iam,
        "PutRolePolicy",
        json!({"RoleName": "app", "PolicyName": "rp", "PolicyDocument": allow("kms:*")}),
    )
    .await;
    let trust_found = dir.role(&format!("arn:aws:iam::{ACCT}:role/app")).unwrap();
    assert_eq!(trust_found.arn, format!("arn:aws:iam::{ACCT}:role/svc/app"));
    assert_eq!(trust_found.max_session_duration, 7200);
    assert_eq!(
        dir.principal_policies(&format!("arn:aws:sts::{ACCT}:assumed-role/app/s1"))
            .unwrap()
            .identity
            .len(),
        1
    );
    assert!(
        dir.managed_policy("arn:aws:iam::aws:policy/AdministratorAccess")
            .is_some()
    );
    assert!(dir.managed_policy(boundary.as_str().unwrap()).is_some());
    assert!(
        dir.managed_policy(&format!("arn:aws:iam::{ACCT}:policy/none"))
            .is_none()
    );
}

#[tokio::test]
async fn simulator_answers_allowed_explicit_and_implicit_deny() {
    let (iam, _) = iam();
    ok(&iam, "CreateUser", json!({"UserName": "sim"})).await;
    let policy = doc(json!([
        {"Sid": "All", "Effect": "Allow", "Action": "s3:*", "Resource": "*"},
        {"Sid": "NoDelete", "Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "*"},
        {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*", "Condition": {"StringEquals": {"aws:RequestedRegion": "eu-west-1"}}},
    ]));
    ok(
        &iam,
        "PutUserPolicy",
        json!({"UserName": "sim", "PolicyName": "p", "PolicyDocument": policy}),
    )
    .await;
    let out = ok(
        &iam,
        "SimulatePrincipalPolicy",
        json!({
            "PolicySourceArn": format!("arn:aws:iam::{ACCT}:user/sim"),
            "ActionNames": ["s3:GetObject", "s3:DeleteBucket", "sqs:SendMessage", "sns:Publish"],
        }),
    )
    .await;
    let results = out["EvaluationResults"].as_array().unwrap();
    let decisions: Vec<&str> = results
        .iter()
        .map(|r| r["EvalDecision"].as_str().unwrap())
        .collect();
    assert_eq!(
        decisions,
        ["allowed", "explicitDeny", "implicitDeny", "implicitDeny"]
    );
    assert_eq!(results[0]["EvalResourceName"], "*");
    assert_eq!(
        results[0]["MatchedStatements"][0],
        json!({"SourcePolicyId": "p", "SourcePolicyType": "user"})
    );
    assert_eq!(
        results[2]["MissingContextValues"],
        json!(["aws:requestedregion"])
    );
    let with_region = ok(&iam, "SimulatePrincipalPolicy", json!({
        "PolicySourceArn": format!("arn:aws:iam::{ACCT}:user/sim"),
        "ActionNames": ["sqs:SendMessage"],
        "ResourceArns": [format!("arn:aws:sqs:eu-west-1:{ACCT}:q")],
        "ContextEntries": [{"ContextKeyName": "aws:RequestedRegion", "ContextKeyValues": ["eu-west-1"], "ContextKeyType": "string"}],
    }))
    .await;
    assert_eq!(
        with_region["EvaluationResults"][0]["EvalDecision"],
        "allowed"
    );
    assert_eq!(
        with_region["EvaluationResults"][0]["ResourceSpecificResults"][0]["EvalResourceDecision"],
        "allowed"
    );
    let custom = ok(&iam, "SimulateCustomPolicy", json!({
        "PolicyInputList": [doc(json!([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}]))],
        "ActionNames": ["s3:GetObject"],
        "ResourceArns": ["arn:aws:s3:::b/k", "arn:aws:s3:::c/k"],
    }))
    .await;
    let decisions: Vec<&str> = custom["EvaluationResults"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["EvalDecision"].as_str().unwrap())
        .collect();
    assert_eq!(decisions, ["allowed", "implicitDeny"]);
    let keys = ok(
        &iam,
        "GetContextKeysForPrincipalPolicy",
        json!({"PolicySourceArn": format!("arn:aws:iam::{ACCT}:user/sim")}),
    )
    .await;
    assert_eq!(keys["ContextKeyNames"], json!(["aws:RequestedRegion"]));
    assert_eq!(fails(&iam, "SimulatePrincipalPolicy", json!({"PolicySourceArn": format!("arn:aws:iam::{ACCT}:user/nobody"), "ActionNames": ["s3:*"]})).await.0, "NoSuchEntity");
}

#[tokio::test]
async fn instance_profiles_hold_one_role() {
    let (iam, _) = iam();
    let trust = doc(
        json!([{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]),
    );
    ok(
        &iam,
        "CreateRole",
        json!({"RoleName": "r1", "AssumeRolePolicyDocument": trust}),
    )
    .await;
    ok(
        &iam,
        "CreateRole",
        json!({"RoleName": "r2", "AssumeRolePolicyDocument": trust}),
    )
    .await;
    let p = ok(
        &iam,
        "CreateInstanceProfile",
        json!({"InstanceProfileName": "ip"}),
    )
    .await;
    assert!(
        p["InstanceProfile"]["InstanceProfileId"]
            .as_str()
            .unwrap()
            .starts_with("AIPA")
    );
    ok(
        &iam,
        "AddRoleToInstanceProfile",
        json!({"InstanceProfileName": "ip", "RoleName": "r1"}),
    )
    .await;
    assert_eq!(
        fails(
            &iam,
            "AddRoleToInstanceProfile",
            json!({"InstanceProfileName": "ip", "RoleName": "r2"})
        )
        .await
        .0,
        "LimitExceeded"
    );
    assert_eq!(
        fails(&iam, "DeleteRole", json!({"RoleName": "r1"})).await.0,
        "DeleteConflict"
    );
    let got = ok(
        &iam,
        "GetInstanceProfile",
        json!({"InstanceProfileName": "ip"}),
    )
    .await;
    assert_eq!(got["InstanceProfile"]["Roles"][0]["RoleName"], "r1");
    assert_eq!(
        ok(
            &iam,
            "ListInstanceProfilesForRole",
            json!({"RoleName": "r1"})
        )
        .await["InstanceProfiles"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    ok(
        &iam,
        "RemoveRoleFromInstanceProfile",
        json!({"InstanceProfileName": "ip", "RoleName": "r1"}),
    )
    .await;
    ok(
        &iam,
        "DeleteInstanceProfile",
        json!({"InstanceProfileName": "ip"}),
    )
    .await;
    ok(&iam, "DeleteRole", json!({"RoleName": "r1"})).await;
}

#[tokio::test]
async fn service_linked_roles_are_protected_and_deleted_as_tasks() {
    let (iam, _) = iam();
    let role = ok(
        &iam,
        "CreateServiceLinkedRole",
        json!({"AWSServiceName": "autoscaling.amazonaws.com"}),
    )
    .await;
    assert_eq!(role["Role"]["RoleName"], "AWSServiceRoleForAutoScaling");
    assert_eq!(
        role["Role"]["Path"],
        "/aws-service-role/autoscaling.amazonaws.com/"
    );
    assert_eq!(
        fails(
            &iam,
            "DeleteRole",
            json!({"RoleName": "AWSServiceRoleForAutoScaling"})
        )
        .await
        .0,
        "UnmodifiableEntity"
    );
    let task = ok(
        &iam,
        "DeleteServiceLinkedRole",
        json!({"RoleName": "AWSServiceRoleForAutoScaling"}),
    )
    .await;
    let status = ok(
        &iam,
        "GetServiceLinkedRoleDeletionStatus",
        json!({"DeletionTaskId": task["DeletionTaskId"]}),
    )
    .await;
    assert_eq!(status["Status"], "SUCCEEDED");
    assert_eq!(
        fails(
            &iam,
            "GetRole",
            json!({"RoleName": "AWSServiceRoleForAutoScaling"})
        )
        .await
        .0,
        "NoSuchEntity"
    );
}

#[tokio::test]
async fn account_password_policy_and_summary() {
    let (iam, _) = iam();
    assert_eq!(
        fails(&iam, "GetAccountPasswordPolicy", json!({})).await,
        (
            "NoSuchEntity".into(),
            format!("The Password Policy with domain name {ACCT} cannot be found.")
        )
    );
    ok(
        &iam,
        "UpdateAccountPasswordPolicy",
        json!({"MinimumPasswordLength": 12, "RequireNumbers": true}),
    )
    .await;
    let policy = ok(&iam, "GetAccountPasswordPolicy", json!({})).await;
    assert_eq!(policy["PasswordPolicy"]["MinimumPasswordLength"], 12);
    ok(&iam, "CreateUser", json!({"UserName": "p"})).await;
    assert_eq!(
        fails(
            &iam,
            "CreateLoginProfile",
            json!({"UserName": "p", "Password": "short1"})
        )
        .await
        .0,
        "PasswordPolicyViolation"
    );
    ok(
        &iam,
        "CreateLoginProfile",
        json!({"UserName": "p", "Password": "long-enough-1"}),
    )
    .await;
    assert_eq!(
        fails(&iam, "DeleteUser", json!({"UserName": "p"})).await.1,
        "Cannot delete entity, must delete login profile first."
    );
    let summary = ok(&iam, "GetAccountSummary", json!({})).await;
    assert_eq!(summary["SummaryMap"]["Users"], 1);
    ok(
        &iam,
        "CreateAccountAlias",
        json!({"AccountAlias": "my-corp"}),
    )
    .await;
    assert_eq!(
        ok(&iam, "ListAccountAliases", json!({})).await["AccountAliases"],
        json!(["my-corp"])
    );
    let details = ok(
        &iam,
        "GetAccountAuthorizationDetails",
        json!({"Filter": ["User"]}),
    )
    .await;
    assert_eq!(details["UserDetailList"][0]["UserName"], "p");
    assert_eq!(details["RoleDetailList"], json!([]));
}

#[tokio::test]
async fn unimplemented_operations_say_so() {
    let (iam, _) = iam();
    let e = call(&iam, "CreateVirtualMFADevice", json!({}))
        .await
        .unwrap_err();
    assert_eq!(e.code, "NotImplemented");
    assert!(!iam.operations().contains(&"CreateVirtualMFADevice"));
}
