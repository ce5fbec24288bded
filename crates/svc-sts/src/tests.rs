use nimbus_testkit::MemoryRegistry;

use super::*;

fn sts() -> (Sts, Arc<MemoryRegistry>, Clock) {
    let registry = Arc::new(MemoryRegistry::default());
    let clock = Clock::fixed(time::macros::datetime!(2026-01-01 00:00 UTC));
    (Sts::new(Store::open_ephemeral().unwrap(), clock.clone(), registry.clone()), registry, clock)
}

async fn call(sts: &Sts, op: &str, input: Document) -> Result<Document, ServiceError> {
    sts.call(&RequestContext::for_tests("sts", op), op, input).await
}

#[tokio::test]
async fn caller_identity_is_the_principal() {
    let (sts, ..) = sts();
    let out = call(&sts, "GetCallerIdentity", json!({})).await.unwrap();
    assert_eq!(out, json!({"UserId": "000000000000", "Account": "000000000000", "Arn": "arn:aws:iam::000000000000:root"}));
}

#[tokio::test]
async fn assume_role_issues_registered_expiring_credentials() {
    let (sts, registry, clock) = sts();
    let input = json!({"RoleArn": "arn:aws:iam::111122223333:role/service/app", "RoleSessionName": "s1", "DurationSeconds": 900});
    let out = call(&sts, "AssumeRole", input).await.unwrap();
    let akid = out["Credentials"]["AccessKeyId"].as_str().unwrap();
    assert!(akid.starts_with("ASIA"));
    assert_eq!(out["AssumedRoleUser"]["Arn"], "arn:aws:sts::111122223333:assumed-role/app/s1");
    let role_id = out["AssumedRoleUser"]["AssumedRoleId"].as_str().unwrap();
    assert!(role_id.starts_with("AROA") && role_id.ends_with(":s1"));
    let registered = registry.lookup(akid).unwrap();
    assert_eq!(registered.account_id, "111122223333");
    assert_eq!(registered.session_token.as_deref(), out["Credentials"]["SessionToken"].as_str());
    assert_eq!(registered.expires_at_ms, Some(clock.now_millis() + 900_000));
    assert_eq!(out["Credentials"]["Expiration"], json!(clock.now().unix_timestamp() + 900));
    // The same role always has the same id.
    let again = call(&sts, "AssumeRole", json!({"RoleArn": "arn:aws:iam::111122223333:role/service/app", "RoleSessionName": "s1"}))
        .await
        .unwrap();
    assert_eq!(again["AssumedRoleUser"]["AssumedRoleId"].as_str(), Some(role_id));
}

#[tokio::test]
async fn assume_role_rejects_bad_input_with_aws_errors() {
    let (sts, ..) = sts();
    let err = call(&sts, "AssumeRole", json!({"RoleArn": "arn:aws:s3:::bucket", "RoleSessionName": "s1"})).await.unwrap_err();
    assert_eq!(err.code, "ValidationError");
    let err = call(&sts, "AssumeRole", json!({"RoleArn": "arn:aws:iam::111122223333:role/app", "RoleSessionName": "bad name"}))
        .await
        .unwrap_err();
    assert_eq!(err.code, "ValidationError");
    let err = call(&sts, "AssumeRole", json!({"RoleArn": "arn:aws:iam::111122223333:role/app", "RoleSessionName": "s", "Policy": "{"}))
        .await
        .unwrap_err();
    assert_eq!(err.code, "MalformedPolicyDocument");
    let ok = call(
        &sts,
        "AssumeRole",
        json!({"RoleArn": "arn:aws:iam::111122223333:role/app", "RoleSessionName": "s", "Policy": SESSION_POLICY}),
    )
    .await
    .unwrap();
    assert!(ok["PackedPolicySize"].as_u64().unwrap() >= 1);
}

const SESSION_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#;

#[tokio::test]
async fn assumed_role_sessions_carry_policies_tags_and_source_identity() {
    let (sts, registry, _) = sts();
    let out = call(
        &sts,
        "AssumeRole",
        json!({"RoleArn": "arn:aws:iam::111122223333:role/app", "RoleSessionName": "s1", "Policy": SESSION_POLICY,
               "Tags": [{"Key": "team", "Value": "red"}, {"Key": "env", "Value": "dev"}], "TransitiveTagKeys": ["team"],
               "SourceIdentity": "alice"}),
    )
    .await
    .unwrap();
    assert_eq!(out["SourceIdentity"], "alice");
    let key = out["Credentials"]["AccessKeyId"].as_str().unwrap().to_owned();
    let session = registry.lookup(&key).unwrap().session.unwrap();
    assert_eq!(session.identity_arn.as_deref(), Some("arn:aws:iam::111122223333:role/app"));
    assert_eq!(session.policies, vec![SESSION_POLICY.to_owned()]);
    assert_eq!(session.tags, vec![("team".into(), "red".into()), ("env".into(), "dev".into())]);

    // A chained session inherits the transitive tag and the source identity, and may not
    // override either.
    let mut ctx = RequestContext::for_tests("sts", "AssumeRole");
    ctx.principal.access_key_id = Some(key);
    ctx.principal.arn = "arn:aws:sts::111122223333:assumed-role/app/s1".into();
    let chained = sts
        .call(&ctx, "AssumeRole", json!({"RoleArn": "arn:aws:iam::111122223333:role/next", "RoleSessionName": "s2"}))
        .await
        .unwrap();
    assert_eq!(chained["SourceIdentity"], "alice");
    let chained_key = chained["Credentials"]["AccessKeyId"].as_str().unwrap();
    let chained_session = registry.lookup(chained_key).unwrap().session.unwrap();
    assert_eq!(chained_session.tags, vec![("team".into(), "red".into())]);
    assert_eq!(chained_session.transitive_tag_keys, vec!["team".to_owned()]);
    let err = sts
        .call(&ctx, "AssumeRole", json!({"RoleArn": "arn:aws:iam::111122223333:role/next", "RoleSessionName": "s3", "Tags": [{"Key": "TEAM", "Value": "blue"}]}))
        .await
        .unwrap_err();
    assert_eq!(err.code, "InvalidParameterValue");
    let err = sts
        .call(&ctx, "AssumeRole", json!({"RoleArn": "arn:aws:iam::111122223333:role/next", "RoleSessionName": "s4", "SourceIdentity": "mallory"}))
        .await
        .unwrap_err();
    assert_eq!(err.code, "AccessDenied");

    // Tag rules.
    let err = call(
        &sts,
        "AssumeRole",
        json!({"RoleArn": "arn:aws:iam::111122223333:role/app", "RoleSessionName": "s", "Tags": [{"Key": "a", "Value": "1"}, {"Key": "A", "Value": "2"}]}),
    )
    .await
    .unwrap_err();
    assert_eq!(err.code, "InvalidParameterValue");
    let err = call(
        &sts,
        "AssumeRole",
        json!({"RoleArn": "arn:aws:iam::111122223333:role/app", "RoleSessionName": "s", "Tags": [{"Key": "a", "Value": "1"}], "TransitiveTagKeys": ["b"]}),
    )
    .await
    .unwrap_err();
    assert_eq!(err.code, "InvalidParameterValue");
}

#[tokio::test]
async fn federated_users_without_a_policy_get_a_session_that_allows_nothing() {
    let (sts, registry, _) = sts();
    let mut ctx = RequestContext::for_tests("sts", "GetFederationToken");
    ctx.principal.arn = "arn:aws:iam::000000000000:user/alice".into();
    let out = sts.call(&ctx, "GetFederationToken", json!({"Name": "bob"})).await.unwrap();
    assert!(out.get("PackedPolicySize").is_none());
    let key = out["Credentials"]["AccessKeyId"].as_str().unwrap();
    let session = registry.lookup(key).unwrap().session.unwrap();
    assert_eq!(session.identity_arn.as_deref(), Some("arn:aws:iam::000000000000:user/alice"));
    assert_eq!(session.policies.len(), 1);
    let out = sts.call(&ctx, "GetFederationToken", json!({"Name": "carol", "Policy": SESSION_POLICY})).await.unwrap();
    let key = out["Credentials"]["AccessKeyId"].as_str().unwrap();
    assert_eq!(registry.lookup(key).unwrap().session.unwrap().policies, vec![SESSION_POLICY.to_owned()]);
}

#[tokio::test]
async fn session_tokens_cannot_mint_session_tokens() {
    let (sts, ..) = sts();
    let mut ctx = RequestContext::for_tests("sts", "GetSessionToken");
    ctx.principal.access_key_id = Some("ASIAEXAMPLE".into());
    let err = sts.call(&ctx, "GetSessionToken", json!({})).await.unwrap_err();
    assert_eq!((err.code.as_ref(), err.status), ("AccessDenied", Some(403)));
    // Root: at most an hour.
    let err = call(&sts, "GetSessionToken", json!({"DurationSeconds": 7200})).await.unwrap_err();
    assert_eq!(err.code, "ValidationError");
    let out = call(&sts, "GetSessionToken", json!({})).await.unwrap();
    assert!(out["Credentials"]["SessionToken"].as_str().unwrap().len() > 100);
}

#[tokio::test]
async fn authorization_messages_round_trip_and_tampering_is_refused() {
    let (sts, ..) = sts();
    let encoded = sts.encode_authorization_message("{\"allowed\":false}").unwrap();
    let out = call(&sts, "DecodeAuthorizationMessage", json!({"EncodedMessage": encoded})).await.unwrap();
    assert_eq!(out["DecodedMessage"], "{\"allowed\":false}");
    let err = call(&sts, "DecodeAuthorizationMessage", json!({"EncodedMessage": "AAAA"})).await.unwrap_err();
    assert_eq!(err.code, "InvalidAuthorizationMessageException");
}

#[tokio::test]
async fn access_key_info_names_the_account() {
    let (sts, ..) = sts();
    let out = call(&sts, "GetAccessKeyInfo", json!({"AccessKeyId": "123456789012"})).await.unwrap();
    assert_eq!(out["Account"], "123456789012");
    let assumed = call(&sts, "AssumeRole", json!({"RoleArn": "arn:aws:iam::444455556666:role/r", "RoleSessionName": "x"})).await.unwrap();
    let out = call(&sts, "GetAccessKeyInfo", json!({"AccessKeyId": assumed["Credentials"]["AccessKeyId"]})).await.unwrap();
    assert_eq!(out["Account"], "444455556666");
}
