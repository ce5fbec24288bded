use serde_json::json;

use crate::common::*;

const POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"secretsmanager:GetSecretValue","Resource":"*"}]}"#;
const PUBLIC: &str = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"secretsmanager:*","Resource":"*"}}"#;

#[tokio::test]
async fn put_get_list_delete() {
    let sm = Sm::new();
    let arn = sm.ok("CreateSecret", json!({"Name": "p", "SecretString": "v"})).await["ARN"].clone();
    let got = sm.ok("GetResourcePolicy", json!({"SecretId": "p"})).await;
    assert_eq!(got, json!({"ARN": arn, "Name": "p"}));
    assert_eq!(sm.ok("ListResourcePolicies", json!({"SecretId": "p"})).await, json!({"ResourcePolicies": []}));

    let put = sm.ok("PutResourcePolicy", json!({"SecretId": "p", "ResourcePolicy": POLICY})).await;
    assert_eq!(put, json!({"ARN": arn, "Name": "p"}));
    let got = sm.ok("GetResourcePolicy", json!({"SecretId": "p"})).await;
    assert_eq!(got["ResourcePolicy"], POLICY);
    assert_eq!(
        sm.ok("ListResourcePolicies", json!({"SecretId": "p"})).await,
        json!({"ResourcePolicies": [{"PolicyName": "default"}]})
    );
    let named = sm.ok("GetResourcePolicy", json!({"SecretId": "p", "PolicyName": "default"})).await;
    assert_eq!(named["PolicyName"], "default");
    assert_eq!(named["ResourcePolicy"], POLICY);

    let e =
        sm.err("PutResourcePolicy", json!({"SecretId": "p", "ResourcePolicy": POLICY, "PolicyName": "other"})).await;
    assert_error(&e, "InvalidParameterException", "You can modify only the default policy.");

    sm.ok("DeleteResourcePolicy", json!({"SecretId": "p"})).await;
    assert!(sm.ok("GetResourcePolicy", json!({"SecretId": "p"})).await.get("ResourcePolicy").is_none());
    let e = sm.err("GetResourcePolicy", json!({"SecretId": "nope"})).await;
    assert_eq!(e.code, "ResourceNotFoundException");
}

#[tokio::test]
async fn malformed_and_public_policies() {
    let sm = Sm::new();
    sm.ok("CreateSecret", json!({"Name": "p"})).await;
    for bad in [
        "not json",
        "[]",
        r#"{"Version":"2012-10-17"}"#,
        r#"{"Statement":[{"Effect":"Maybe","Principal":"*","Action":"*"}]}"#,
        r#"{"Statement":[{"Effect":"Allow","Principal":"*"}]}"#,
        r#"{"Statement":[{"Effect":"Allow","Action":"*"}]}"#,
        r#"{"Version":"2001-01-01","Statement":[{"Effect":"Allow","Principal":"*","Action":"*"}]}"#,
        r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Bogus":1}]}"#,
    ] {
        let e = sm.err("PutResourcePolicy", json!({"SecretId": "p", "ResourcePolicy": bad})).await;
        assert_eq!(e.code, "MalformedPolicyDocumentException", "{bad}");
    }
    let e = sm
        .err("PutResourcePolicy", json!({"SecretId": "p", "ResourcePolicy": PUBLIC, "BlockPublicPolicy": true}))
        .await;
    assert_eq!(e.code, "PublicPolicyException");
    // Without BlockPublicPolicy a public policy is accepted.
    sm.ok("PutResourcePolicy", json!({"SecretId": "p", "ResourcePolicy": PUBLIC})).await;
    // A condition narrows a wildcard principal.
    let conditioned = r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Condition":{"StringEquals":{"aws:PrincipalAccount":"123456789012"}}}]}"#;
    sm.ok("PutResourcePolicy", json!({"SecretId": "p", "ResourcePolicy": conditioned, "BlockPublicPolicy": true}))
        .await;
}

#[tokio::test]
async fn validate_resource_policy() {
    let sm = Sm::new();
    let ok = sm.ok("ValidateResourcePolicy", json!({"ResourcePolicy": POLICY})).await;
    assert_eq!(ok, json!({"PolicyValidationPassed": true, "ValidationErrors": []}));
    let public = sm.ok("ValidateResourcePolicy", json!({"ResourcePolicy": PUBLIC})).await;
    assert_eq!(public["PolicyValidationPassed"], false);
    assert_eq!(public["ValidationErrors"][0]["CheckName"], "PUBLIC_ACCESS_CHECK");
    let broken =
        sm.ok("ValidateResourcePolicy", json!({"ResourcePolicy": r#"{"Statement":[{"Effect":"Allow"}]}"#})).await;
    assert_eq!(broken["PolicyValidationPassed"], false);
    assert!(broken["ValidationErrors"].as_array().unwrap().len() >= 2);
    let e = sm.err("ValidateResourcePolicy", json!({"ResourcePolicy": "{"})).await;
    assert_eq!(e.code, "MalformedPolicyDocumentException");
    let e = sm.err("ValidateResourcePolicy", json!({"SecretId": "nope", "ResourcePolicy": POLICY})).await;
    assert_eq!(e.code, "ResourceNotFoundException");
}
