//! SecureString parameters under KMS keys (Parameter Store with a key manager).

mod common;

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use nimbus_testkit::FakeKms;
use common::{ACCOUNT, Harness, REGION, arn};
use nimbus_core::{KeyManager, KmsCaller};
use nimbus_store::{Record, Store};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

const CALLER: KmsCaller<'static> = KmsCaller { account_id: ACCOUNT, region: REGION };
const SECRET: &str = "hunter2-kms-canary";

#[tokio::test]
async fn values_are_kms_ciphertexts_bound_to_the_parameter_arn() {
    let kms = Arc::new(FakeKms::new());
    let key = kms.create_key(CALLER);
    let h = Harness::with_kms(kms.clone());
    h.ok("PutParameter", json!({"Name": "/app/db", "Value": SECRET, "Type": "SecureString", "KeyId": key})).await;
    let hidden = h.get("/app/db").await["Value"].as_str().unwrap().to_owned();
    assert_ne!(hidden, SECRET);
    // What a read without decryption returns is the KMS ciphertext blob, base64, which KMS
    // Decrypt opens with the encryption context PARAMETER_ARN, as on AWS.
    let blob = B64.decode(&hidden).unwrap();
    let context = [("PARAMETER_ARN".to_owned(), arn("/app/db"))];
    let opened = kms.decrypt(CALLER, &blob, &context).unwrap();
    assert_eq!(opened.plaintext, SECRET.as_bytes());
    assert_eq!(opened.key_arn, kms.arn_of(&key));
    assert!(kms.decrypt(CALLER, &blob, &[("PARAMETER_ARN".to_owned(), arn("/other"))]).is_err());

    let clear = h.ok("GetParameter", json!({"Name": "/app/db", "WithDecryption": true})).await;
    assert_eq!(clear["Parameter"]["Value"], SECRET);
    let by_path = h.ok("GetParametersByPath", json!({"Path": "/app", "WithDecryption": true})).await;
    assert_eq!(by_path["Parameters"][0]["Value"], SECRET);
    let meta = h.ok("DescribeParameters", json!({})).await;
    assert_eq!(meta["Parameters"][0]["KeyId"], key.as_str());
}

#[tokio::test]
async fn the_aws_managed_key_is_created_on_first_use() {
    let kms = Arc::new(FakeKms::new());
    let h = Harness::with_kms(kms.clone());
    assert!(kms.alias_target("alias/aws/ssm").is_none());
    h.ok("PutParameter", json!({"Name": "/s", "Value": SECRET, "Type": "SecureString"})).await;
    let managed = kms.alias_target("alias/aws/ssm").expect("alias/aws/ssm created");
    let blob = B64.decode(h.get("/s").await["Value"].as_str().unwrap()).unwrap();
    let opened = kms.decrypt(CALLER, &blob, &[("PARAMETER_ARN".to_owned(), arn("/s"))]).unwrap();
    assert_eq!(opened.key_arn, kms.arn_of(&managed));
    // Plain String parameters never touch KMS.
    let before = kms.encrypts.load(std::sync::atomic::Ordering::SeqCst);
    h.put("/plain", "visible").await;
    assert_eq!(kms.encrypts.load(std::sync::atomic::Ordering::SeqCst), before);
}

#[tokio::test]
async fn disabled_and_missing_keys_are_invalid_key_id() {
    let kms = Arc::new(FakeKms::new());
    let key = kms.create_key(CALLER);
    let h = Harness::with_kms(kms.clone());
    h.ok("PutParameter", json!({"Name": "/s", "Value": SECRET, "Type": "SecureString", "KeyId": key})).await;
    kms.set_enabled(&key, false);
    let e = h.err("GetParameter", json!({"Name": "/s", "WithDecryption": true})).await;
    assert_eq!(e.code, "InvalidKeyId");
    assert!(
        e.message.starts_with(&format!(
            "{} is disabled. (Service: AWSKMS; Status Code: 400; Error Code: DisabledException;",
            kms.arn_of(&key)
        )),
        "{}",
        e.message
    );
    for op in ["GetParameters", "GetParametersByPath"] {
        let input = if op == "GetParameters" {
            json!({"Names": ["/s"], "WithDecryption": true})
        } else {
            json!({"Path": "/", "WithDecryption": true})
        };
        assert_eq!(h.err(op, input).await.code, "InvalidKeyId", "{op}");
    }
    // Without decryption the ciphertext still reads.
    assert!(h.get("/s").await["Value"].as_str().is_some_and(|v| v != SECRET));
    // Writing under a disabled key fails and leaves the parameter as it was.
    let e = h.err("PutParameter", json!({"Name": "/s", "Value": "new", "Overwrite": true})).await;
    assert_eq!(e.code, "InvalidKeyId");
    assert_eq!(h.get("/s").await["Version"], 1);
    kms.set_enabled(&key, true);
    assert_eq!(h.ok("GetParameter", json!({"Name": "/s", "WithDecryption": true})).await["Parameter"]["Value"], SECRET);

    let e = h
        .err("PutParameter", json!({"Name": "/m", "Value": "x", "Type": "SecureString", "KeyId": "alias/missing"}))
        .await;
    assert_eq!(e.code, "InvalidKeyId");
    assert!(e.message.contains("Error Code: NotFoundException"), "{}", e.message);
    assert_eq!(h.err("GetParameter", json!({"Name": "/m"})).await.code, "ParameterNotFound");
}

#[tokio::test]
async fn long_advanced_values_use_a_data_key() {
    let kms = Arc::new(FakeKms::new());
    let key = kms.create_key(CALLER);
    let h = Harness::with_kms(kms.clone());
    let long = "L".repeat(6000);
    h.ok(
        "PutParameter",
        json!({"Name": "/big", "Value": long, "Type": "SecureString", "Tier": "Advanced", "KeyId": key}),
    )
    .await;
    assert_ne!(h.get("/big").await["Value"], long.as_str());
    assert_eq!(
        h.ok("GetParameter", json!({"Name": "/big", "WithDecryption": true})).await["Parameter"]["Value"],
        long.as_str()
    );
    kms.set_enabled(&key, false);
    assert_eq!(h.err("GetParameter", json!({"Name": "/big", "WithDecryption": true})).await.code, "InvalidKeyId");
}

/// A parameter record as builds before KMS stored it (version 1).
#[derive(Serialize, Deserialize)]
struct Raw(Value);

impl Record for Raw {
    const KIND: &'static str = "ssm.parameter";
    const VERSION: u32 = 1;
}

#[tokio::test]
async fn secure_strings_sealed_before_kms_still_read() {
    let dir = tempfile::tempdir().unwrap();
    let scope = format!("{ACCOUNT}/{REGION}");
    {
        let h = Harness::over(Store::open(dir.path()).unwrap(), nimbus_svc_ssm::Limits::default());
        h.ok("PutParameter", json!({"Name": "/old", "Value": SECRET, "Type": "SecureString"})).await;
        // Store the parameter record as version 1, as an older build wrote it.
        #[derive(Serialize, Deserialize)]
        struct Current(Value);
        impl Record for Current {
            const KIND: &'static str = "ssm.parameter";
            const VERSION: u32 = 2;
        }
        let record = h.store.get::<Current>(&scope, "/old").unwrap().unwrap();
        assert_eq!(record.0["current"]["value"]["kind"], "sealed");
        h.store.put(&scope, "/old", &Raw(record.0)).unwrap();
    }
    let kms = Arc::new(FakeKms::new());
    let h = Harness::over_with_kms(Store::open(dir.path()).unwrap(), kms.clone());
    assert_eq!(
        h.ok("GetParameter", json!({"Name": "/old", "WithDecryption": true})).await["Parameter"]["Value"],
        SECRET
    );
    // The next version is KMS's.
    h.ok("PutParameter", json!({"Name": "/old", "Value": "v2", "Overwrite": true})).await;
    let managed = kms.alias_target("alias/aws/ssm").unwrap();
    kms.set_enabled(&managed, false);
    assert_eq!(h.err("GetParameter", json!({"Name": "/old", "WithDecryption": true})).await.code, "InvalidKeyId");
    assert_eq!(
        h.ok("GetParameter", json!({"Name": "/old:1", "WithDecryption": true})).await["Parameter"]["Value"],
        SECRET
    );
}
