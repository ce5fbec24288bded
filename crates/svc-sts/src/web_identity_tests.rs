//! AssumeRoleWithWebIdentity against a provider whose keys are made here (ES256 and RS256).

use std::sync::Arc;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self, EcdsaKeyPair, KeyPair};
use base64::Engine;
use nimbus_core::{Clock, CredentialRegistry, IdentityKeys, RequestContext, Service};
use nimbus_policy::{Directory, OidcProvider, Policy, PolicyKind, PrincipalPolicies, RoleTrust};
use nimbus_store::Store;
use serde_json::{Value, json};

use crate::Sts;
use nimbus_testkit::MemoryRegistry;

const ISSUER: &str = "http://idp.example:8080/realm";
const PROVIDER_ARN: &str = "arn:aws:iam::111122223333:oidc-provider/idp.example:8080/realm";
const ROLE_ARN: &str = "arn:aws:iam::111122223333:role/ci/deployer";
const NOW: i64 = 1_767_225_600; // 2026-01-01T00:00:00Z, the tests' clock

struct Fixture {
    trust: Arc<Policy>,
}

impl Directory for Fixture {
    fn principal_policies(&self, _: &str) -> Option<PrincipalPolicies> {
        None
    }
    fn role(&self, role_arn: &str) -> Option<RoleTrust> {
        (role_arn == ROLE_ARN).then(|| RoleTrust {
            arn: ROLE_ARN.into(),
            role_id: "AROAEXAMPLEROLE00001".into(),
            trust_policy: self.trust.clone(),
            max_session_duration: 3600,
            tags: vec![],
        })
    }
    fn oidc_provider(&self, account_id: &str, issuer: &str) -> Option<OidcProvider> {
        let bare = issuer.split_once("://").map_or(issuer, |(_, rest)| rest);
        (account_id == "111122223333" && bare == "idp.example:8080/realm").then(|| OidcProvider {
            arn: PROVIDER_ARN.into(),
            url: bare.into(),
            client_ids: vec!["nimbus-app".into()],
        })
    }
}

struct Keys(Value);

#[async_trait::async_trait]
impl IdentityKeys for Keys {
    async fn signing_keys(&self, issuer: &str) -> Result<Value, String> {
        if issuer == ISSUER { Ok(self.0.clone()) } else { Err(format!("{issuer} is unreachable")) }
    }
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

struct Signer(EcdsaKeyPair);

impl Signer {
    fn new() -> Signer {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
        Signer(EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref()).unwrap())
    }

    fn jwk(&self) -> Value {
        let point = self.0.public_key().as_ref();
        json!({"kty": "EC", "crv": "P-256", "kid": "k1", "alg": "ES256", "x": b64(&point[1..33]), "y": b64(&point[33..65])})
    }

    fn token(&self, claims: Value) -> String {
        let header = b64(json!({"alg": "ES256", "kid": "k1", "typ": "JWT"}).to_string().as_bytes());
        let payload = b64(claims.to_string().as_bytes());
        let input = format!("{header}.{payload}");
        let sig = self.0.sign(&SystemRandom::new(), input.as_bytes()).unwrap();
        format!("{input}.{}", b64(sig.as_ref()))
    }
}

fn trust(condition_sub: &str) -> Arc<Policy> {
    let doc = json!({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow",
        "Principal": {"Federated": PROVIDER_ARN},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {
            "StringEquals": {"idp.example:8080/realm:aud": "nimbus-app"},
            "StringLike": {"idp.example:8080/realm:sub": condition_sub}
        }
    }]});
    Arc::new(Policy::parse(&doc.to_string(), PolicyKind::Trust).unwrap())
}

fn sts(signer: &Signer, enforce: bool, sub_pattern: &str) -> (Sts, Arc<MemoryRegistry>) {
    let registry = Arc::new(MemoryRegistry::default());
    let clock = Clock::fixed(time::OffsetDateTime::from_unix_timestamp(NOW).unwrap());
    let sts = Sts::new(Store::open_ephemeral().unwrap(), clock, registry.clone())
        .with_directory(Arc::new(Fixture { trust: trust(sub_pattern) }))
        .with_identity_keys(Arc::new(Keys(json!({"keys": [signer.jwk()]}))))
        .enforce_trust(enforce);
    (sts, registry)
}

fn claims() -> Value {
    json!({"iss": ISSUER, "aud": "nimbus-app", "sub": "repo:acme/app:ref:refs/heads/main", "iat": NOW - 10, "exp": NOW + 300})
}

async fn assume(sts: &Sts, token: &str) -> Result<Value, nimbus_core::ServiceError> {
    let op = "AssumeRoleWithWebIdentity";
    let input = json!({"RoleArn": ROLE_ARN, "RoleSessionName": "ci-run", "WebIdentityToken": token});
    sts.call(&RequestContext::for_tests("sts", op), op, input).await
}

#[tokio::test]
async fn a_valid_token_becomes_role_credentials() {
    let signer = Signer::new();
    let (sts, registry) = sts(&signer, true, "repo:acme/app:*");
    let out = assume(&sts, &signer.token(claims())).await.unwrap();
    assert_eq!(out["SubjectFromWebIdentityToken"], "repo:acme/app:ref:refs/heads/main");
    assert_eq!(out["Audience"], "nimbus-app");
    assert_eq!(out["Provider"], "idp.example:8080/realm");
    assert_eq!(out["AssumedRoleUser"]["Arn"], "arn:aws:sts::111122223333:assumed-role/deployer/ci-run");
    let key = out["Credentials"]["AccessKeyId"].as_str().unwrap();
    let credential = registry.lookup(key).expect("the session's key is registered");
    assert_eq!(credential.account_id, "111122223333");
    assert_eq!(credential.session.unwrap().identity_arn.as_deref(), Some(ROLE_ARN));
}

#[tokio::test]
async fn tokens_are_checked_as_aws_checks_them() {
    let signer = Signer::new();
    let (sts, _) = sts(&signer, false, "*");
    let code_and_message = |e: nimbus_core::ServiceError| (e.code.to_string(), e.message.clone());

    let mut wrong_audience = claims();
    wrong_audience["aud"] = json!(["someone-else"]);
    let err = assume(&sts, &signer.token(wrong_audience)).await.unwrap_err();
    assert_eq!(code_and_message(err), ("InvalidIdentityTokenException".into(), "Incorrect token audience".into()));

    let mut unknown_issuer = claims();
    unknown_issuer["iss"] = json!("https://other.example");
    let err = assume(&sts, &signer.token(unknown_issuer)).await.unwrap_err();
    assert_eq!(err.message, "No OpenIDConnect provider found in your account for https://other.example");

    let mut expired = claims();
    expired["exp"] = json!(NOW - 1);
    let err = assume(&sts, &signer.token(expired)).await.unwrap_err();
    assert_eq!(err.code, "ExpiredTokenException");

    // Signed by a key the provider does not publish.
    let err = assume(&sts, &Signer::new().token(claims())).await.unwrap_err();
    assert_eq!(err.code, "InvalidIdentityTokenException");

    // A token whose payload was changed after signing.
    let good = signer.token(claims());
    let mut parts: Vec<String> = good.split('.').map(str::to_owned).collect();
    let mut changed = claims();
    changed["sub"] = json!("repo:evil/app:ref:refs/heads/main");
    parts[1] = b64(changed.to_string().as_bytes());
    let err = assume(&sts, &parts.join(".")).await.unwrap_err();
    assert_eq!(err.code, "InvalidIdentityTokenException");

    let err = assume(&sts, "not-a-jwt").await.unwrap_err();
    assert_eq!(err.code, "InvalidIdentityTokenException");
}

#[tokio::test]
async fn strict_mode_applies_the_trust_policy_conditions() {
    let signer = Signer::new();
    let (strict, _) = sts(&signer, true, "repo:acme/other:*");
    let err = assume(&strict, &signer.token(claims())).await.unwrap_err();
    assert_eq!((err.code.as_ref(), err.status), ("AccessDenied", Some(403)));
    // The default mode verifies the token but, as for AssumeRole, not the trust policy.
    let (lenient, _) = sts(&signer, false, "repo:acme/other:*");
    assume(&lenient, &signer.token(claims())).await.unwrap();
}
