//! Secret values under KMS keys (with a key manager), and versions sealed before KMS existed.

use std::sync::Arc;

use nimbus_core::{KmsCaller, RequestContext, Service};
use nimbus_store::{Record, Store};
use nimbus_svc_secretsmanager::SecretsManager;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::common::*;
use nimbus_testkit::FakeKms;

const CALLER: KmsCaller<'static> =
    KmsCaller { account_id: nimbus_core::DEFAULT_ACCOUNT_ID, region: nimbus_core::DEFAULT_REGION };

const DECRYPTION_FAILURE: &str = "Secrets Manager can't decrypt the protected secret text using the provided KMS key.";
const ENCRYPTION_FAILURE: &str = "Secrets Manager can't encrypt the protected secret text using the provided KMS key. Check that the KMS key is available, enabled, and not in an invalid state. For more information, see Key state: Effect on your KMS key.";

fn with_kms(store: Store, kms: Arc<FakeKms>) -> Sm {
    let mut sm = Sm::with_store(store);
    sm.svc = SecretsManager::new(sm.store.clone(), sm.clock.clone()).with_key_manager(kms);
    sm
}

fn ctx(op: &str) -> RequestContext {
    RequestContext::for_tests("secretsmanager", op)
}

async fn value_of(sm: &Sm, input: Value) -> Result<Value, nimbus_core::ServiceError> {
    sm.svc.call(&ctx("GetSecretValue"), "GetSecretValue", input).await
}

#[tokio::test]
async fn a_disabled_key_makes_the_value_unreadable_until_enabled_again() {
    let kms = Arc::new(FakeKms::new());
    let key = kms.create_key(CALLER);
    let sm = with_kms(Store::open_ephemeral().unwrap(), kms.clone());
    sm.ok("CreateSecret", json!({"Name": "db", "SecretString": "hunter2", "KmsKeyId": key})).await;
    assert_eq!(sm.ok("GetSecretValue", json!({"SecretId": "db"})).await["SecretString"], "hunter2");

    kms.set_enabled(&key, false);
    let e = value_of(&sm, json!({"SecretId": "db"})).await.unwrap_err();
    assert_error(&e, "DecryptionFailure", DECRYPTION_FAILURE);
    // Metadata needs no key.
    assert_eq!(sm.ok("DescribeSecret", json!({"SecretId": "db"})).await["KmsKeyId"], key.as_str());
    // Nor can a new version be written under it.
    let e = sm.err("PutSecretValue", json!({"SecretId": "db", "SecretString": "new"})).await;
    assert_error(&e, "EncryptionFailure", ENCRYPTION_FAILURE);
    // BatchGetSecretValue reports it per secret.
    let batch = sm.ok("BatchGetSecretValue", json!({"SecretIdList": ["db"]})).await;
    assert_eq!(batch["SecretValues"], json!([]));
    assert_eq!(batch["Errors"][0]["ErrorCode"], "DecryptionFailure");
    assert_eq!(batch["Errors"][0]["SecretId"], "db");

    kms.set_enabled(&key, true);
    assert_eq!(sm.ok("GetSecretValue", json!({"SecretId": "db"})).await["SecretString"], "hunter2");
}

#[tokio::test]
async fn a_missing_key_refuses_the_secret_and_creates_nothing() {
    let kms = Arc::new(FakeKms::new());
    let sm = with_kms(Store::open_ephemeral().unwrap(), kms);
    for key in ["alias/nope", "1234abcd-12ab-34cd-56ef-1234567890ab"] {
        let e = sm.err("CreateSecret", json!({"Name": "db", "SecretString": "x", "KmsKeyId": key})).await;
        assert_error(&e, "EncryptionFailure", ENCRYPTION_FAILURE);
        let e = sm.err("DescribeSecret", json!({"SecretId": "db"})).await;
        assert_eq!(e.code, "ResourceNotFoundException");
    }
    // Without a value there is nothing to encrypt yet.
    sm.ok("CreateSecret", json!({"Name": "empty", "KmsKeyId": "alias/nope"})).await;
    let e = sm.err("PutSecretValue", json!({"SecretId": "empty", "SecretString": "x"})).await;
    assert_error(&e, "EncryptionFailure", ENCRYPTION_FAILURE);
    // UpdateSecret to a missing key fails and changes nothing.
    sm.ok("CreateSecret", json!({"Name": "plain", "SecretString": "v1"})).await;
    let e = sm.err("UpdateSecret", json!({"SecretId": "plain", "KmsKeyId": "alias/nope"})).await;
    assert_error(&e, "EncryptionFailure", ENCRYPTION_FAILURE);
    assert!(sm.ok("DescribeSecret", json!({"SecretId": "plain"})).await.get("KmsKeyId").is_none());
}

#[tokio::test]
async fn without_a_key_id_the_aws_managed_key_is_created_and_used() {
    let kms = Arc::new(FakeKms::new());
    let sm = with_kms(Store::open_ephemeral().unwrap(), kms.clone());
    assert!(kms.alias_target("alias/aws/secretsmanager").is_none());
    sm.ok("CreateSecret", json!({"Name": "db", "SecretString": "hunter2"})).await;
    let managed = kms.alias_target("alias/aws/secretsmanager").expect("aws/secretsmanager created on first use");
    assert_eq!(sm.ok("GetSecretValue", json!({"SecretId": "db"})).await["SecretString"], "hunter2");
    // It really is the key in use: disabling it breaks the read.
    kms.set_enabled(&managed, false);
    assert_eq!(value_of(&sm, json!({"SecretId": "db"})).await.unwrap_err().code, "DecryptionFailure");
}

#[tokio::test]
async fn a_new_key_applies_to_new_versions_only() {
    let kms = Arc::new(FakeKms::new());
    let (old, new) = (kms.create_key(CALLER), kms.create_key(CALLER));
    kms.create_alias("alias/new", &new);
    let sm = with_kms(Store::open_ephemeral().unwrap(), kms.clone());
    sm.ok("CreateSecret", json!({"Name": "db", "SecretString": "v1", "KmsKeyId": kms.arn_of(&old)})).await;
    sm.ok("UpdateSecret", json!({"SecretId": "db", "KmsKeyId": "alias/new", "SecretString": "v2"})).await;
    assert_eq!(sm.ok("DescribeSecret", json!({"SecretId": "db"})).await["KmsKeyId"], "alias/new");

    kms.set_enabled(&old, false);
    assert_eq!(sm.ok("GetSecretValue", json!({"SecretId": "db"})).await["SecretString"], "v2");
    let e = value_of(&sm, json!({"SecretId": "db", "VersionStage": "AWSPREVIOUS"})).await.unwrap_err();
    assert_eq!(e.code, "DecryptionFailure");
    kms.set_enabled(&old, true);
    kms.set_enabled(&new, false);
    assert_eq!(
        sm.ok("GetSecretValue", json!({"SecretId": "db", "VersionStage": "AWSPREVIOUS"})).await["SecretString"],
        "v1"
    );
    assert_eq!(value_of(&sm, json!({"SecretId": "db"})).await.unwrap_err().code, "DecryptionFailure");
}

#[tokio::test]
async fn a_retried_request_is_recognised_through_kms() {
    let kms = Arc::new(FakeKms::new());
    let sm = with_kms(Store::open_ephemeral().unwrap(), kms.clone());
    let first =
        sm.ok("CreateSecret", json!({"Name": "db", "SecretString": "v1", "ClientRequestToken": token(1)})).await;
    let retry =
        sm.ok("CreateSecret", json!({"Name": "db", "SecretString": "v1", "ClientRequestToken": token(1)})).await;
    assert_eq!(first["ARN"], retry["ARN"]);
    assert_eq!(retry["VersionId"], token(1));
    let e =
        sm.err("CreateSecret", json!({"Name": "db", "SecretString": "other", "ClientRequestToken": token(1)})).await;
    assert_eq!(e.code, "ResourceExistsException");
    sm.ok("PutSecretValue", json!({"SecretId": "db", "SecretString": "v2", "ClientRequestToken": token(2)})).await;
    let encrypts = kms.encrypts.load(std::sync::atomic::Ordering::SeqCst);
    sm.ok("PutSecretValue", json!({"SecretId": "db", "SecretString": "v2", "ClientRequestToken": token(2)})).await;
    assert_eq!(kms.encrypts.load(std::sync::atomic::Ordering::SeqCst), encrypts, "a retry writes nothing");
    let e =
        sm.err("PutSecretValue", json!({"SecretId": "db", "SecretString": "v3", "ClientRequestToken": token(2)})).await;
    assert_eq!(e.code, "ResourceExistsException");
    let versions = sm.ok("ListSecretVersionIds", json!({"SecretId": "db"})).await;
    assert_eq!(versions["Versions"].as_array().unwrap().len(), 2);
}

/// The value record as builds before KMS wrote it (version 1: master-key sealed only).
#[derive(Serialize, Deserialize)]
struct ValueRecordV1 {
    sealed: String,
}

impl Record for ValueRecordV1 {
    const KIND: &'static str = "secretsmanager.secret-value";
    const VERSION: u32 = 1;
}

#[tokio::test]
async fn versions_sealed_before_kms_still_read_and_new_ones_use_kms() {
    let dir = tempfile::tempdir().unwrap();
    let arn;
    {
        // An older build: no key manager, master-key sealing.
        let sm = Sm::with_store(Store::open(dir.path()).unwrap());
        arn = sm.ok("CreateSecret", json!({"Name": "old", "SecretString": "sealed-v1"})).await["ARN"].clone();
        // Rewrite its value record in version 1's form, as that build stored it.
        let scope = format!("{}/{}", nimbus_core::DEFAULT_ACCOUNT_ID, nimbus_core::DEFAULT_REGION);
        let values: Vec<(String, Value)> = {
            #[derive(Serialize, Deserialize)]
            struct Any(Value);
            impl Record for Any {
                const KIND: &'static str = "secretsmanager.secret-value";
                const VERSION: u32 = 2;
            }
            sm.store.list_all::<Any>(&scope).unwrap().into_iter().map(|(k, v)| (k, v.0)).collect()
        };
        assert_eq!(values.len(), 1);
        let sealed = values[0].1["sealed"].as_str().unwrap().to_owned();
        sm.store.put(&scope, &values[0].0, &ValueRecordV1 { sealed }).unwrap();
    }
    let kms = Arc::new(FakeKms::new());
    let sm = with_kms(Store::open(dir.path()).unwrap(), kms.clone());
    let got = sm.ok("GetSecretValue", json!({"SecretId": arn})).await;
    assert_eq!(got["SecretString"], "sealed-v1");
    assert_eq!(kms.encrypts.load(std::sync::atomic::Ordering::SeqCst), 0);
    sm.ok("PutSecretValue", json!({"SecretId": "old", "SecretString": "kms-v2"})).await;
    assert_eq!(kms.encrypts.load(std::sync::atomic::Ordering::SeqCst), 1);
    let managed = kms.alias_target("alias/aws/secretsmanager").unwrap();
    kms.set_enabled(&managed, false);
    assert_eq!(value_of(&sm, json!({"SecretId": "old"})).await.unwrap_err().code, "DecryptionFailure");
    assert_eq!(
        sm.ok("GetSecretValue", json!({"SecretId": "old", "VersionStage": "AWSPREVIOUS"})).await["SecretString"],
        "sealed-v1"
    );
}
