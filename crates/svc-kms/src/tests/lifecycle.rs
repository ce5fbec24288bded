//! Key lifecycle: creation, states, deletion and rotation on the clock, multi-region keys,
//! imported material, durability.

use std::time::Duration;

use aws_lc_rs::rsa::{OAEP_SHA256_MGF1SHA256, OaepPublicEncryptingKey, PublicEncryptingKey};
use serde_json::json;

use super::{DAY, Fixture, b64, unb64};

#[tokio::test]
async fn create_key_defaults_and_describe_key_fields() {
    let f = Fixture::new();
    let out = f.ok("CreateKey", json!({ "Description": "app key", "Tags": [{ "TagKey": "team", "TagValue": "a" }] })).await;
    let meta = &out["KeyMetadata"];
    let id = meta["KeyId"].as_str().unwrap();
    assert!(crate::lookup::is_key_id(id));
    assert_eq!(meta["Arn"], format!("arn:aws:kms:us-east-1:000000000000:key/{id}"));
    assert_eq!(meta["AWSAccountId"], "000000000000");
    assert_eq!(meta["CreationDate"], 1_800_000_000);
    assert_eq!(meta["Enabled"], true);
    assert_eq!(meta["Description"], "app key");
    assert_eq!(meta["KeyUsage"], "ENCRYPT_DECRYPT");
    assert_eq!(meta["KeyState"], "Enabled");
    assert_eq!(meta["Origin"], "AWS_KMS");
    assert_eq!(meta["KeyManager"], "CUSTOMER");
    assert_eq!(meta["KeySpec"], "SYMMETRIC_DEFAULT");
    assert_eq!(meta["CustomerMasterKeySpec"], "SYMMETRIC_DEFAULT");
    assert_eq!(meta["EncryptionAlgorithms"], json!(["SYMMETRIC_DEFAULT"]));
    assert_eq!(meta["MultiRegion"], false);
    assert_eq!(meta["CurrentKeyMaterialId"].as_str().unwrap().len(), 64);
    assert!(meta.get("SigningAlgorithms").is_none() && meta.get("DeletionDate").is_none());
    assert_eq!(f.metadata(id).await, *meta);

    let sign = f.ok("CreateKey", json!({ "KeySpec": "RSA_2048", "KeyUsage": "SIGN_VERIFY" })).await["KeyMetadata"].clone();
    assert_eq!(sign["SigningAlgorithms"].as_array().unwrap().len(), 6);
    assert!(sign.get("EncryptionAlgorithms").is_none());
    let err = f.error("CreateKey", json!({ "KeySpec": "ECC_NIST_P256" })).await;
    assert_eq!(err.message, "KeyUsage ENCRYPT_DECRYPT is not compatible with KeySpec ECC_NIST_P256");
    assert_eq!(f.err("CreateKey", json!({ "KeySpec": "NOPE" })).await, "ValidationException");
    assert_eq!(f.err("DescribeKey", json!({ "KeyId": "nope" })).await, "NotFoundException");
    let missing = f.error("DescribeKey", json!({ "KeyId": "11111111-2222-3333-4444-555555555555" })).await;
    assert_eq!(missing.message, "Key 'arn:aws:kms:us-east-1:000000000000:key/11111111-2222-3333-4444-555555555555' does not exist");
}

#[tokio::test]
async fn list_keys_pages_through_every_key() {
    let f = Fixture::new();
    let mut created = Vec::new();
    for _ in 0..5 {
        created.push(f.key(json!({})).await);
    }
    created.sort();
    let mut seen = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let mut input = json!({ "Limit": 2 });
        if let Some(m) = &marker {
            input["Marker"] = json!(m);
        }
        let out = f.ok("ListKeys", input).await;
        for k in out["Keys"].as_array().unwrap() {
            assert_eq!(k["KeyArn"], format!("arn:aws:kms:us-east-1:000000000000:key/{}", k["KeyId"].as_str().unwrap()));
            seen.push(k["KeyId"].as_str().unwrap().to_owned());
        }
        if out["Truncated"] == false {
            assert!(out.get("NextMarker").is_none());
            break;
        }
        marker = Some(out["NextMarker"].as_str().unwrap().to_owned());
    }
    assert_eq!(seen, created);
    assert_eq!(f.err("ListKeys", json!({ "Marker": "bogus" })).await, "InvalidMarkerException");
}

#[tokio::test]
async fn disabled_keys_refuse_cryptography_until_enabled() {
    let f = Fixture::new();
    let key = f.key(json!({})).await;
    let blob = f.encrypt(&key, b"x", json!({})).await;
    f.ok("DisableKey", json!({ "KeyId": key })).await;
    let meta = f.metadata(&key).await;
    assert_eq!((meta["Enabled"].clone(), meta["KeyState"].clone()), (json!(false), json!("Disabled")));
    let err = f.error("Encrypt", json!({ "KeyId": key, "Plaintext": b64(b"x") })).await;
    assert_eq!((err.code.as_ref(), err.message.as_str()), ("DisabledException", format!("arn:aws:kms:us-east-1:000000000000:key/{key} is disabled.").as_str()));
    assert_eq!(f.err("Decrypt", json!({ "CiphertextBlob": blob })).await, "DisabledException");
    f.ok("EnableKey", json!({ "KeyId": key })).await;
    assert_eq!(f.decrypt(&blob, json!({})).await, b"x");
}

#[tokio::test]
async fn scheduled_deletion_waits_for_the_clock_and_can_be_cancelled() {
    let f = Fixture::new();
    let key = f.key(json!({})).await;
    let arn = format!("arn:aws:kms:us-east-1:000000000000:key/{key}");
    assert_eq!(f.err("ScheduleKeyDeletion", json!({ "KeyId": key, "PendingWindowInDays": 6 })).await, "ValidationException");
    let out = f.ok("ScheduleKeyDeletion", json!({ "KeyId": key })).await;
    assert_eq!(out["KeyId"], arn);
    assert_eq!(out["PendingWindowInDays"], 30);
    assert_eq!(out["KeyState"], "PendingDeletion");
    assert_eq!(out["DeletionDate"], 1_800_000_000 + 30 * 86_400);
    let meta = f.metadata(&key).await;
    assert_eq!((meta["KeyState"].clone(), meta["Enabled"].clone()), (json!("PendingDeletion"), json!(false)));
    assert_eq!(meta["DeletionDate"], out["DeletionDate"]);
    let err = f.error("Encrypt", json!({ "KeyId": key, "Plaintext": b64(b"x") })).await;
    assert_eq!((err.code.as_ref(), err.message.as_str()), ("KMSInvalidStateException", format!("{arn} is pending deletion.").as_str()));
    assert_eq!(f.err("ScheduleKeyDeletion", json!({ "KeyId": key })).await, "KMSInvalidStateException");
    assert_eq!(f.err("EnableKey", json!({ "KeyId": key })).await, "KMSInvalidStateException");

    let cancelled = f.ok("CancelKeyDeletion", json!({ "KeyId": key })).await;
    assert_eq!(cancelled["KeyId"], arn);
    assert_eq!(f.metadata(&key).await["KeyState"], "Disabled");
    assert_eq!(f.err("CancelKeyDeletion", json!({ "KeyId": key })).await, "KMSInvalidStateException");

    f.ok("CreateAlias", json!({ "AliasName": "alias/doomed", "TargetKeyId": key })).await;
    f.ok("ScheduleKeyDeletion", json!({ "KeyId": key, "PendingWindowInDays": 7 })).await;
    f.clock.advance(7 * DAY - Duration::from_secs(1));
    assert_eq!(f.metadata(&key).await["KeyState"], "PendingDeletion");
    f.clock.advance(Duration::from_secs(1));
    // Read lazily: the deletion applies the moment the window has passed, sweeper or not.
    assert_eq!(f.err("DescribeKey", json!({ "KeyId": key })).await, "NotFoundException");
    assert_eq!(f.err("DescribeKey", json!({ "KeyId": "alias/doomed" })).await, "NotFoundException");
    assert_eq!(f.kms.sweep().deleted, 0, "already deleted");
}

#[tokio::test]
async fn the_sweeper_deletes_keys_that_came_due() {
    let f = Fixture::new();
    let key = f.key(json!({})).await;
    let kept = f.key(json!({})).await;
    f.ok("ScheduleKeyDeletion", json!({ "KeyId": key, "PendingWindowInDays": 7 })).await;
    f.ok("ScheduleKeyDeletion", json!({ "KeyId": kept, "PendingWindowInDays": 30 })).await;
    assert_eq!(f.kms.sweep().deleted, 0);
    f.clock.advance(8 * DAY);
    assert_eq!(f.kms.sweep().deleted, 1);
    let listed = f.ok("ListKeys", json!({})).await;
    assert_eq!(listed["Keys"].as_array().unwrap().len(), 1);
    assert_eq!(f.metadata(&kept).await["KeyState"], "PendingDeletion");
}

#[tokio::test]
async fn automatic_rotation_keeps_old_ciphertexts_decryptable() {
    let f = Fixture::new();
    let key = f.key(json!({})).await;
    assert_eq!(f.ok("GetKeyRotationStatus", json!({ "KeyId": key })).await["KeyRotationEnabled"], false);
    assert_eq!(f.err("EnableKeyRotation", json!({ "KeyId": key, "RotationPeriodInDays": 89 })).await.as_str(), "ValidationException");
    f.ok("EnableKeyRotation", json!({ "KeyId": key, "RotationPeriodInDays": 90 })).await;
    let status = f.ok("GetKeyRotationStatus", json!({ "KeyId": key })).await;
    assert_eq!(status["KeyRotationEnabled"], true);
    assert_eq!(status["RotationPeriodInDays"], 90);
    assert_eq!(status["NextRotationDate"], 1_800_000_000 + 90 * 86_400);
    let before = f.metadata(&key).await["CurrentKeyMaterialId"].clone();
    let old = f.encrypt(&key, b"old", json!({ "v": "1" })).await;

    f.clock.advance(91 * DAY);
    assert_eq!(f.kms.sweep().rotated, 1);
    let after = f.metadata(&key).await["CurrentKeyMaterialId"].clone();
    assert_ne!(before, after);
    let new = f.encrypt(&key, b"new", json!({})).await;
    assert_eq!(f.decrypt(&old, json!({ "v": "1" })).await, b"old");
    assert_eq!(f.decrypt(&new, json!({})).await, b"new");
    let rotations = f.ok("ListKeyRotations", json!({ "KeyId": key })).await;
    let list = rotations["Rotations"].as_array().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["RotationType"], "AUTOMATIC");
    assert_eq!(list[0]["RotationDate"], 1_800_000_000 + 90 * 86_400);
    assert_eq!(list[0]["KeyMaterialState"], "CURRENT");
    assert_eq!(f.ok("GetKeyRotationStatus", json!({ "KeyId": key })).await["NextRotationDate"], 1_800_000_000 + 180 * 86_400);

    f.ok("RotateKeyOnDemand", json!({ "KeyId": key })).await;
    let all = f.ok("ListKeyRotations", json!({ "KeyId": key, "IncludeKeyMaterial": "ALL_KEY_MATERIAL" })).await;
    assert_eq!(all["Rotations"].as_array().unwrap().len(), 3);
    assert_eq!(f.decrypt(&old, json!({ "v": "1" })).await, b"old");
    assert_eq!(f.decrypt(&new, json!({})).await, b"new");

    f.ok("DisableKeyRotation", json!({ "KeyId": key })).await;
    f.clock.advance(400 * DAY);
    assert_eq!(f.kms.sweep().rotated, 0);
    let asymmetric = f.key(json!({ "KeySpec": "RSA_2048", "KeyUsage": "SIGN_VERIFY" })).await;
    assert_eq!(f.err("EnableKeyRotation", json!({ "KeyId": asymmetric })).await, "UnsupportedOperationException");
}

#[tokio::test]
async fn rotation_due_while_reading_applies_lazily() {
    let f = Fixture::new();
    let key = f.key(json!({})).await;
    f.ok("EnableKeyRotation", json!({ "KeyId": key, "RotationPeriodInDays": 90 })).await;
    f.clock.advance(200 * DAY);
    let blob = f.encrypt(&key, b"x", json!({})).await;
    let rotations = f.ok("ListKeyRotations", json!({ "KeyId": key })).await;
    assert_eq!(rotations["Rotations"].as_array().unwrap().len(), 2, "two periods passed");
    assert_eq!(f.decrypt(&blob, json!({})).await, b"x");
}

#[tokio::test]
async fn multi_region_replicas_decrypt_what_the_primary_encrypted() {
    let f = Fixture::new();
    let meta = f.ok("CreateKey", json!({ "MultiRegion": true })).await["KeyMetadata"].clone();
    let id = meta["KeyId"].as_str().unwrap().to_owned();
    assert!(id.starts_with("mrk-") && id.len() == 36);
    assert_eq!(meta["MultiRegion"], true);
    assert_eq!(meta["MultiRegionConfiguration"]["MultiRegionKeyType"], "PRIMARY");
    assert_eq!(meta["MultiRegionConfiguration"]["ReplicaKeys"], json!([]));
    let out = f.ok("ReplicateKey", json!({ "KeyId": id, "ReplicaRegion": "eu-west-1" })).await;
    let replica = &out["ReplicaKeyMetadata"];
    assert_eq!(replica["Arn"], format!("arn:aws:kms:eu-west-1:000000000000:key/{id}"));
    assert_eq!(replica["MultiRegionConfiguration"]["MultiRegionKeyType"], "REPLICA");
    assert_eq!(f.err("ReplicateKey", json!({ "KeyId": id, "ReplicaRegion": "eu-west-1" })).await, "AlreadyExistsException");
    let primary = f.metadata(&id).await;
    assert_eq!(primary["MultiRegionConfiguration"]["ReplicaKeys"][0]["Region"], "eu-west-1");

    let blob = f.encrypt(&id, b"everywhere", json!({ "c": "1" })).await;
    let there = f.call_in("eu-west-1", "Decrypt", json!({ "CiphertextBlob": blob, "EncryptionContext": { "c": "1" } })).await.unwrap();
    assert_eq!(unb64(&there["Plaintext"]), b"everywhere");
    let single = f.key(json!({})).await;
    let local = f.encrypt(&single, b"here", json!({})).await;
    assert!(f.call_in("eu-west-1", "Decrypt", json!({ "CiphertextBlob": local })).await.is_err());
}

#[tokio::test]
async fn imported_key_material_round_trips_and_expires() {
    let f = Fixture::new();
    let key = f.key(json!({ "Origin": "EXTERNAL" })).await;
    let meta = f.metadata(&key).await;
    assert_eq!((meta["KeyState"].clone(), meta["Origin"].clone()), (json!("PendingImport"), json!("EXTERNAL")));
    assert_eq!(f.err("Encrypt", json!({ "KeyId": key, "Plaintext": b64(b"x") })).await, "KMSInvalidStateException");

    let material = [42u8; 32];
    let import = |valid_to: Option<i64>| {
        let f = &f;
        let key = key.clone();
        async move {
            let params = f.ok("GetParametersForImport", json!({ "KeyId": key, "WrappingAlgorithm": "RSAES_OAEP_SHA_256", "WrappingKeySpec": "RSA_2048" })).await;
            let public = PublicEncryptingKey::from_der(&unb64(&params["PublicKey"])).unwrap();
            let oaep = OaepPublicEncryptingKey::new(public).unwrap();
            let mut wrapped = vec![0u8; oaep.ciphertext_size()];
            let wrapped = oaep.encrypt(&OAEP_SHA256_MGF1SHA256, &material, &mut wrapped, None).unwrap().to_vec();
            let mut input = json!({ "KeyId": key, "ImportToken": params["ImportToken"], "EncryptedKeyMaterial": b64(&wrapped) });
            match valid_to {
                Some(at) => {
                    input["ValidTo"] = json!(at);
                    input["ExpirationModel"] = json!("KEY_MATERIAL_EXPIRES");
                }
                None => input["ExpirationModel"] = json!("KEY_MATERIAL_DOES_NOT_EXPIRE"),
            }
            f.call("ImportKeyMaterial", input).await
        }
    };
    let imported = import(None).await.unwrap();
    assert_eq!(imported["KeyMaterialId"].as_str().unwrap().len(), 64);
    let meta = f.metadata(&key).await;
    assert_eq!(meta["KeyState"], "Enabled");
    assert_eq!(meta["ExpirationModel"], "KEY_MATERIAL_DOES_NOT_EXPIRE");
    let blob = f.encrypt(&key, b"imported", json!({})).await;

    let deleted = f.ok("DeleteImportedKeyMaterial", json!({ "KeyId": key })).await;
    assert_eq!(deleted["KeyMaterialId"], imported["KeyMaterialId"]);
    assert_eq!(f.metadata(&key).await["KeyState"], "PendingImport");
    assert_eq!(f.err("Decrypt", json!({ "CiphertextBlob": blob })).await, "KMSInvalidStateException");

    let again = import(Some(1_800_000_000 + 3600)).await.unwrap();
    assert_eq!(again["KeyMaterialId"], imported["KeyMaterialId"], "the same material has the same id");
    assert_eq!(f.decrypt(&blob, json!({})).await, b"imported");
    assert_eq!(f.metadata(&key).await["ValidTo"], 1_800_000_000 + 3600);
    f.clock.advance(Duration::from_secs(7200));
    assert_eq!(f.kms.sweep().expired, 1);
    assert_eq!(f.metadata(&key).await["KeyState"], "PendingImport");

    let normal = f.key(json!({})).await;
    let err = f.err("GetParametersForImport", json!({ "KeyId": normal, "WrappingAlgorithm": "RSAES_OAEP_SHA_256", "WrappingKeySpec": "RSA_2048" })).await;
    assert_eq!(err, "UnsupportedOperationException");
}

#[tokio::test]
async fn keys_survive_a_restart_and_material_is_never_stored_in_plaintext() {
    let dir = tempfile::tempdir().unwrap();
    let material = *b"0123456789abcdef-plain-material!";
    let blob = {
        let f = Fixture::on(nimbus_store::Store::open(dir.path()).unwrap());
        let key = f.key(json!({ "Origin": "EXTERNAL" })).await;
        let params = f.ok("GetParametersForImport", json!({ "KeyId": key, "WrappingAlgorithm": "RSAES_OAEP_SHA_256", "WrappingKeySpec": "RSA_2048" })).await;
        let oaep = OaepPublicEncryptingKey::new(PublicEncryptingKey::from_der(&unb64(&params["PublicKey"])).unwrap()).unwrap();
        let mut out = vec![0u8; oaep.ciphertext_size()];
        let wrapped = oaep.encrypt(&OAEP_SHA256_MGF1SHA256, &material, &mut out, None).unwrap().to_vec();
        f.ok("ImportKeyMaterial", json!({ "KeyId": key, "ImportToken": params["ImportToken"], "EncryptedKeyMaterial": b64(&wrapped), "ExpirationModel": "KEY_MATERIAL_DOES_NOT_EXPIRE" })).await;
        f.encrypt(&key, b"durable", json!({ "x": "y" })).await
    };
    let mut database = Vec::new();
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let path = entry.unwrap().path();
        if path.file_name().is_some_and(|n| n.to_string_lossy().starts_with("nimbus.sqlite3")) {
            database.extend(std::fs::read(path).unwrap());
        }
    }
    assert!(!database.is_empty());
    assert!(!database.windows(material.len()).any(|w| w == material), "key material found in plaintext");
    let f = Fixture::on(nimbus_store::Store::open(dir.path()).unwrap());
    assert_eq!(f.decrypt(&blob, json!({ "x": "y" })).await, b"durable");
}

#[tokio::test]
async fn hmac_material_imports_with_rsa_aes_key_wrap() {
    use aws_lc_rs::key_wrap::{AES_256, AesKek, KeyWrapPadded};
    let f = Fixture::new();
    let key = f.key(json!({ "Origin": "EXTERNAL", "KeySpec": "HMAC_256", "KeyUsage": "GENERATE_VERIFY_MAC" })).await;
    let params = f.ok("GetParametersForImport", json!({ "KeyId": key, "WrappingAlgorithm": "RSA_AES_KEY_WRAP_SHA_256", "WrappingKeySpec": "RSA_3072" })).await;
    let oaep = OaepPublicEncryptingKey::new(PublicEncryptingKey::from_der(&unb64(&params["PublicKey"])).unwrap()).unwrap();
    let aes_key = [9u8; 32];
    let mut wrapped_key = vec![0u8; oaep.ciphertext_size()];
    let mut wrapped = oaep.encrypt(&OAEP_SHA256_MGF1SHA256, &aes_key, &mut wrapped_key, None).unwrap().to_vec();
    let material = [5u8; 40];
    let mut out = vec![0u8; material.len() + 16];
    let kwp = AesKek::new(&AES_256, &aes_key).unwrap().wrap_with_padding(&material, &mut out).unwrap().to_vec();
    wrapped.extend_from_slice(&kwp);
    f.ok("ImportKeyMaterial", json!({ "KeyId": key, "ImportToken": params["ImportToken"], "EncryptedKeyMaterial": b64(&wrapped), "ExpirationModel": "KEY_MATERIAL_DOES_NOT_EXPIRE" })).await;
    let mac = f.ok("GenerateMac", json!({ "KeyId": key, "Message": b64(b"m"), "MacAlgorithm": "HMAC_SHA_256" })).await;
    let expected = aws_lc_rs::hmac::sign(&aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, &material), b"m");
    assert_eq!(unb64(&mac["Mac"]), expected.as_ref(), "the MAC is made with the imported material");
    let mut tampered = unb64(&json!(b64(&wrapped)));
    let last = tampered.len() - 1;
    tampered[last] ^= 1;
    let again = json!({ "KeyId": key, "ImportToken": params["ImportToken"], "EncryptedKeyMaterial": b64(&tampered), "ExpirationModel": "KEY_MATERIAL_DOES_NOT_EXPIRE" });
    assert_eq!(f.err("ImportKeyMaterial", again).await, "InvalidCiphertextException");
}
