//! Aliases, key policies, grants, tags, AWS managed keys, the KeyManager contract and what
//! strict mode authorizes.

use nimbus_core::{KeyManager, KmsCaller, RequestContext, Service};
use serde_json::{Value, json};

use super::{Fixture, b64};
use crate::policies::default_policy;

const CALLER: KmsCaller<'static> = KmsCaller { account_id: "000000000000", region: "us-east-1" };

#[tokio::test]
async fn aliases_name_keys_and_follow_aws_rules() {
    let f = Fixture::new();
    let a = f.key(json!({})).await;
    let b = f.key(json!({})).await;
    f.ok("CreateAlias", json!({ "AliasName": "alias/app", "TargetKeyId": a })).await;
    let dup = f.error("CreateAlias", json!({ "AliasName": "alias/app", "TargetKeyId": b })).await;
    assert_eq!(dup.code, "AlreadyExistsException");
    assert_eq!(dup.message, "An alias with the name arn:aws:kms:us-east-1:000000000000:alias/app already exists");
    assert_eq!(f.err("CreateAlias", json!({ "AliasName": "alias/aws/mine", "TargetKeyId": a })).await, "NotAuthorizedException");
    assert_eq!(f.err("CreateAlias", json!({ "AliasName": "app", "TargetKeyId": a })).await, "ValidationException");
    assert_eq!(f.err("CreateAlias", json!({ "AliasName": "alias/x", "TargetKeyId": "alias/app" })).await, "NotFoundException");

    let blob = f.encrypt("alias/app", b"via alias", json!({})).await;
    let by_arn = f.encrypt("arn:aws:kms:us-east-1:000000000000:alias/app", b"via arn", json!({})).await;
    assert_eq!(f.decrypt(&blob, json!({})).await, b"via alias");
    assert_eq!(f.decrypt(&by_arn, json!({})).await, b"via arn");
    assert_eq!(f.metadata("alias/app").await["KeyId"], a);
    let missing = f.error("DescribeKey", json!({ "KeyId": "alias/none" })).await;
    assert_eq!(missing.message, "Alias arn:aws:kms:us-east-1:000000000000:alias/none is not found.");

    for i in 0..3 {
        f.ok("CreateAlias", json!({ "AliasName": format!("alias/b{i}"), "TargetKeyId": b })).await;
    }
    let filtered = f.ok("ListAliases", json!({ "KeyId": b })).await;
    assert_eq!(filtered["Aliases"].as_array().unwrap().len(), 3);
    let first = f.ok("ListAliases", json!({ "Limit": 2 })).await;
    assert_eq!(first["Truncated"], true);
    let rest = f.ok("ListAliases", json!({ "Limit": 10, "Marker": first["NextMarker"] })).await;
    let names: Vec<&str> = first["Aliases"].as_array().unwrap().iter().chain(rest["Aliases"].as_array().unwrap()).map(|a| a["AliasName"].as_str().unwrap()).collect();
    assert_eq!(names, ["alias/app", "alias/b0", "alias/b1", "alias/b2"]);
    let entry = &first["Aliases"][0];
    assert_eq!(entry["AliasArn"], "arn:aws:kms:us-east-1:000000000000:alias/app");
    assert_eq!(entry["TargetKeyId"], a);

    f.ok("UpdateAlias", json!({ "AliasName": "alias/app", "TargetKeyId": b })).await;
    assert_eq!(f.metadata("alias/app").await["KeyId"], b);
    let signing = f.key(json!({ "KeySpec": "ECC_NIST_P256", "KeyUsage": "SIGN_VERIFY" })).await;
    assert_eq!(f.err("UpdateAlias", json!({ "AliasName": "alias/app", "TargetKeyId": signing })).await, "ValidationException");
    f.ok("DeleteAlias", json!({ "AliasName": "alias/app" })).await;
    assert_eq!(f.err("DeleteAlias", json!({ "AliasName": "alias/app" })).await, "NotFoundException");
}

#[tokio::test]
async fn aws_managed_keys_appear_on_first_use() {
    let f = Fixture::new();
    let arn = f.kms.resolve_key(CALLER, "alias/aws/secretsmanager").unwrap();
    let meta = f.metadata("alias/aws/secretsmanager").await;
    assert_eq!(meta["Arn"], arn);
    assert_eq!(meta["KeyManager"], "AWS");
    assert_eq!(f.kms.resolve_key(CALLER, "alias/aws/secretsmanager").unwrap(), arn, "created once");
    let s3 = f.metadata("alias/aws/s3").await;
    assert_eq!(s3["KeyManager"], "AWS");
    assert_eq!(f.err("DescribeKey", json!({ "KeyId": "alias/aws/not-a-service" })).await, "NotFoundException");
    let id = meta["KeyId"].as_str().unwrap();
    assert_eq!(f.err("DisableKey", json!({ "KeyId": id })).await, "AccessDeniedException");
    assert_eq!(f.err("ScheduleKeyDeletion", json!({ "KeyId": id })).await, "AccessDeniedException");
    let policy: Value = serde_json::from_str(f.ok("GetKeyPolicy", json!({ "KeyId": id })).await["Policy"].as_str().unwrap()).unwrap();
    assert_eq!(policy["Statement"][0]["Condition"]["StringEquals"]["kms:ViaService"], "secretsmanager.us-east-1.amazonaws.com");
    let rotation = f.ok("GetKeyRotationStatus", json!({ "KeyId": id })).await;
    assert_eq!((rotation["KeyRotationEnabled"].clone(), rotation["RotationPeriodInDays"].clone()), (json!(true), json!(365)));
    let aliases = f.ok("ListAliases", json!({})).await;
    assert!(aliases["Aliases"].as_array().unwrap().iter().any(|a| a["AliasName"] == "alias/aws/secretsmanager" && a["TargetKeyId"] == id));
}

#[tokio::test]
async fn key_manager_ciphertexts_are_kms_ciphertexts() {
    let f = Fixture::new();
    let context = [("SecretARN".to_owned(), "arn:s".to_owned())];
    let data_key = f.kms.generate_data_key(CALLER, "alias/aws/secretsmanager", &context).unwrap();
    assert_eq!(data_key.plaintext.len(), 32);
    let decrypted = f.kms.decrypt(CALLER, &data_key.ciphertext, &context).unwrap();
    assert_eq!(decrypted.plaintext, data_key.plaintext);
    assert_eq!(decrypted.key_arn, data_key.key_arn);
    let api = f.decrypt(&b64(&data_key.ciphertext), json!({ "SecretARN": "arn:s" })).await;
    assert_eq!(api, data_key.plaintext);
    assert_eq!(f.kms.decrypt(CALLER, &data_key.ciphertext, &[]).err().map(|e| e.code), Some("InvalidCiphertextException".into()));

    let key = f.key(json!({})).await;
    let sealed = f.kms.encrypt(CALLER, &key, b"value", &[]).unwrap();
    assert_eq!(f.decrypt(&b64(&sealed), json!({})).await, b"value");
    f.ok("DisableKey", json!({ "KeyId": key })).await;
    assert_eq!(f.kms.resolve_key(CALLER, &key).unwrap_err().code, "DisabledException");
    assert_eq!(f.kms.decrypt(CALLER, &sealed, &[]).err().map(|e| e.code), Some("DisabledException".into()));
    let signing = f.key(json!({ "KeySpec": "RSA_2048", "KeyUsage": "SIGN_VERIFY" })).await;
    assert_eq!(f.kms.resolve_key(CALLER, &signing).unwrap_err().code, "InvalidKeyUsageException");
}

#[tokio::test]
async fn key_policies_default_validate_and_replace() {
    let f = Fixture::new();
    let key = f.key(json!({})).await;
    let out = f.ok("GetKeyPolicy", json!({ "KeyId": key, "PolicyName": "default" })).await;
    assert_eq!(out["Policy"], default_policy("000000000000"));
    assert_eq!(out["PolicyName"], "default");
    assert_eq!(f.ok("ListKeyPolicies", json!({ "KeyId": key })).await["PolicyNames"], json!(["default"]));
    assert_eq!(f.err("GetKeyPolicy", json!({ "KeyId": key, "PolicyName": "other" })).await, "NotFoundException");

    let locked_out = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"}]}"#;
    let err = f.error("PutKeyPolicy", json!({ "KeyId": key, "Policy": locked_out })).await;
    assert_eq!(err.code, "MalformedPolicyDocumentException");
    assert_eq!(err.message, "The new key policy will not allow you to update the key policy in the future.");
    f.ok("PutKeyPolicy", json!({ "KeyId": key, "Policy": locked_out, "BypassPolicyLockoutSafetyCheck": true })).await;
    assert_eq!(f.ok("GetKeyPolicy", json!({ "KeyId": key })).await["Policy"], locked_out);
    assert_eq!(f.err("PutKeyPolicy", json!({ "KeyId": key, "Policy": "{not json" })).await, "MalformedPolicyDocumentException");
    assert_eq!(f.err("CreateKey", json!({ "Policy": "{}" })).await, "MalformedPolicyDocumentException");
}

#[tokio::test]
async fn grants_are_created_listed_retired_and_revoked() {
    let f = Fixture::new();
    let key = f.key(json!({})).await;
    let grantee = "arn:aws:iam::000000000000:role/worker";
    let out = f
        .ok("CreateGrant", json!({ "KeyId": key, "GranteePrincipal": grantee, "Operations": ["Encrypt", "Decrypt"], "Name": "g1",
            "RetiringPrincipal": "arn:aws:iam::000000000000:role/admin", "Constraints": { "EncryptionContextSubset": { "app": "x" } } }))
        .await;
    let grant_id = out["GrantId"].as_str().unwrap().to_owned();
    assert_eq!(grant_id.len(), 64);
    let same = f.ok("CreateGrant", json!({ "KeyId": key, "GranteePrincipal": grantee, "Operations": ["Encrypt", "Decrypt"], "Name": "g1",
        "RetiringPrincipal": "arn:aws:iam::000000000000:role/admin", "Constraints": { "EncryptionContextSubset": { "app": "x" } } })).await;
    assert_eq!(same["GrantId"], grant_id, "the same grant again is the same grant");
    let listed = f.ok("ListGrants", json!({ "KeyId": key })).await;
    let grants = listed["Grants"].as_array().unwrap();
    assert_eq!(grants.len(), 1);
    assert_eq!(grants[0]["Operations"], json!(["Encrypt", "Decrypt"]));
    assert_eq!(grants[0]["IssuingAccount"], "arn:aws:iam::000000000000:root");
    assert_eq!(grants[0]["Constraints"]["EncryptionContextSubset"]["app"], "x");
    let retirable = f.ok("ListRetirableGrants", json!({ "RetiringPrincipal": "arn:aws:iam::000000000000:role/admin" })).await;
    assert_eq!(retirable["Grants"].as_array().unwrap().len(), 1);

    // Grant tokens are accepted wherever the model takes them.
    let token = out["GrantToken"].as_str().unwrap();
    f.ok("Encrypt", json!({ "KeyId": key, "Plaintext": b64(b"x"), "GrantTokens": [token] })).await;
    f.ok("RetireGrant", json!({ "GrantToken": token })).await;
    assert_eq!(f.ok("ListGrants", json!({ "KeyId": key })).await["Grants"], json!([]));
    assert_eq!(f.err("RetireGrant", json!({ "GrantToken": "garbage" })).await, "InvalidGrantTokenException");

    let second = f.ok("CreateGrant", json!({ "KeyId": key, "GranteePrincipal": grantee, "Operations": ["GenerateDataKey"] })).await;
    f.ok("RevokeGrant", json!({ "KeyId": key, "GrantId": second["GrantId"] })).await;
    assert_eq!(f.err("RevokeGrant", json!({ "KeyId": key, "GrantId": second["GrantId"] })).await, "NotFoundException");
    assert_eq!(f.err("CreateGrant", json!({ "KeyId": key, "GranteePrincipal": grantee, "Operations": ["Sign"] })).await, "ValidationException");
    assert_eq!(f.err("CreateGrant", json!({ "KeyId": key, "GranteePrincipal": grantee, "Operations": ["Fly"] })).await, "ValidationException");
}

#[tokio::test]
async fn tags_follow_aws_rules() {
    let f = Fixture::new();
    let key = f.key(json!({ "Tags": [{ "TagKey": "b", "TagValue": "2" }] })).await;
    f.ok("TagResource", json!({ "KeyId": key, "Tags": [{ "TagKey": "a", "TagValue": "1" }, { "TagKey": "b", "TagValue": "3" }] })).await;
    let tags = f.ok("ListResourceTags", json!({ "KeyId": key })).await;
    assert_eq!(tags["Tags"], json!([{ "TagKey": "a", "TagValue": "1" }, { "TagKey": "b", "TagValue": "3" }]));
    assert_eq!(tags["Truncated"], false);
    f.ok("UntagResource", json!({ "KeyId": key, "TagKeys": ["a"] })).await;
    assert_eq!(f.ok("ListResourceTags", json!({ "KeyId": key })).await["Tags"], json!([{ "TagKey": "b", "TagValue": "3" }]));
    assert_eq!(f.err("TagResource", json!({ "KeyId": key, "Tags": [{ "TagKey": "aws:x", "TagValue": "1" }] })).await, "TagException");
    let many: Vec<Value> = (0..51).map(|i| json!({ "TagKey": format!("k{i}"), "TagValue": "v" })).collect();
    assert_eq!(f.err("TagResource", json!({ "KeyId": key, "Tags": many })).await, "LimitExceededException");
}

#[tokio::test]
async fn strict_mode_authorizes_the_key_an_alias_names() {
    let f = Fixture::new();
    let key = f.key(json!({ "Tags": [{ "TagKey": "team", "TagValue": "a" }] })).await;
    f.ok("CreateAlias", json!({ "AliasName": "alias/app", "TargetKeyId": key })).await;
    let arn = format!("arn:aws:kms:us-east-1:000000000000:key/{key}");
    let ctx = RequestContext::for_tests("kms", "Encrypt");
    let accesses = f.kms.access(&ctx, "Encrypt", &json!({ "KeyId": "alias/app", "Plaintext": "eA==", "EncryptionContext": { "app": "web" } }));
    assert_eq!(accesses.len(), 1);
    assert_eq!(accesses[0].action, "kms:Encrypt");
    assert_eq!(accesses[0].resources, vec![arn.clone()]);
    let has = |key: &str, value: &str| accesses[0].context.iter().any(|(k, v)| k == key && v.iter().any(|x| x == value));
    assert!(has("kms:EncryptionContext:app", "web"));
    assert!(has("kms:EncryptionContextKeys", "app"));
    assert!(has("kms:CallerAccount", "000000000000"));
    assert!(has("aws:ResourceTag/team", "a"));
    assert!(has("kms:RequestAlias", "alias/app"));

    let blob = f.encrypt(&key, b"x", json!({})).await;
    let other = f.key(json!({})).await;
    let re = f.kms.access(&ctx, "ReEncrypt", &json!({ "CiphertextBlob": blob, "DestinationKeyId": other }));
    assert_eq!(re.iter().map(|a| a.action.as_str()).collect::<Vec<_>>(), ["kms:ReEncryptFrom", "kms:ReEncryptTo"]);
    assert_eq!(re[0].resources, vec![arn.clone()]);
    let decrypt = f.kms.access(&ctx, "Decrypt", &json!({ "CiphertextBlob": blob }));
    assert_eq!(decrypt[0].resources, vec![arn.clone()]);
    assert_eq!(f.kms.access(&ctx, "CreateKey", &json!({}))[0].resources, vec!["*".to_owned()]);
    let grant = f.kms.access(&ctx, "CreateGrant", &json!({ "KeyId": key, "Operations": ["Decrypt"] }));
    assert!(grant[0].context.iter().any(|(k, v)| k == "kms:GrantOperations" && v == &vec!["Decrypt".to_owned()]));

    let policy = f.kms.resource_policy(&ctx, &arn).unwrap();
    assert_eq!(policy.owner_account, "000000000000");
    assert_eq!(policy.document, default_policy("000000000000"));
    assert!(f.kms.resource_policy(&ctx, "arn:aws:kms:us-east-1:000000000000:alias/app").is_none());
}
