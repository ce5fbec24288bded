//! Cryptographic operations: encryption, data keys, signatures, MACs, key agreement.

use aws_lc_rs::digest;
use aws_lc_rs::signature::{self, UnparsedPublicKey};
use serde_json::json;

use super::{Fixture, b64, unb64};
use crate::material;
use crate::spec::KeySpec;

#[tokio::test]
async fn encrypt_decrypt_binds_the_encryption_context() {
    let f = Fixture::new();
    let key = f.key(json!({})).await;
    let context = json!({ "app": "web", "tenant": "t1" });
    let blob = f.encrypt(&key, b"secret", context.clone()).await;
    assert_eq!(f.decrypt(&blob, json!({ "tenant": "t1", "app": "web" })).await, b"secret");
    let out = f.ok("Decrypt", json!({ "CiphertextBlob": blob, "EncryptionContext": context, "KeyId": key })).await;
    assert_eq!(out["KeyId"], format!("arn:aws:kms:us-east-1:000000000000:key/{key}"));
    assert_eq!(out["EncryptionAlgorithm"], "SYMMETRIC_DEFAULT");
    assert_eq!(out["KeyMaterialId"].as_str().unwrap().len(), 64);

    for wrong in [json!({}), json!({ "app": "web" }), json!({ "app": "web", "tenant": "t2" })] {
        let err = f.error("Decrypt", json!({ "CiphertextBlob": blob, "EncryptionContext": wrong })).await;
        assert_eq!(err.code, "InvalidCiphertextException");
    }
    let mut tampered = unb64(&json!(blob));
    let last = tampered.len() - 1;
    tampered[last] ^= 1;
    assert_eq!(f.err("Decrypt", json!({ "CiphertextBlob": b64(&tampered), "EncryptionContext": context })).await, "InvalidCiphertextException");
    let mut header_changed = unb64(&json!(blob));
    header_changed[20] ^= 1;
    assert_eq!(f.err("Decrypt", json!({ "CiphertextBlob": b64(&header_changed), "EncryptionContext": context })).await, "InvalidCiphertextException");
    assert_eq!(f.err("Decrypt", json!({ "CiphertextBlob": b64(b"not a kms ciphertext") })).await, "InvalidCiphertextException");

    let other = f.key(json!({})).await;
    let err = f.error("Decrypt", json!({ "CiphertextBlob": blob, "EncryptionContext": context, "KeyId": other })).await;
    assert_eq!(err.code, "IncorrectKeyException");
    assert_eq!(err.message, "The key ID in the request does not identify a KMS key that can perform this operation.");
}

#[tokio::test]
async fn re_encrypt_moves_a_ciphertext_to_another_key_and_context() {
    let f = Fixture::new();
    let a = f.key(json!({})).await;
    let b = f.key(json!({})).await;
    let blob = f.encrypt(&a, b"payload", json!({ "k": "1" })).await;
    let out = f
        .ok("ReEncrypt", json!({ "CiphertextBlob": blob, "SourceEncryptionContext": { "k": "1" }, "DestinationKeyId": b, "DestinationEncryptionContext": { "k": "2" } }))
        .await;
    assert!(out["SourceKeyId"].as_str().unwrap().ends_with(&a));
    assert!(out["KeyId"].as_str().unwrap().ends_with(&b));
    let moved = out["CiphertextBlob"].as_str().unwrap();
    assert_eq!(f.decrypt(moved, json!({ "k": "2" })).await, b"payload");
    assert_eq!(f.err("ReEncrypt", json!({ "CiphertextBlob": blob, "DestinationKeyId": b })).await, "InvalidCiphertextException");
}

#[tokio::test]
async fn data_keys_have_the_asked_size_and_decrypt() {
    let f = Fixture::new();
    let key = f.key(json!({})).await;
    let out = f.ok("GenerateDataKey", json!({ "KeyId": key, "KeySpec": "AES_256", "EncryptionContext": { "a": "b" } })).await;
    let plaintext = unb64(&out["Plaintext"]);
    assert_eq!(plaintext.len(), 32);
    assert_eq!(f.decrypt(out["CiphertextBlob"].as_str().unwrap(), json!({ "a": "b" })).await, plaintext);
    let small = f.ok("GenerateDataKey", json!({ "KeyId": key, "NumberOfBytes": 7 })).await;
    assert_eq!(unb64(&small["Plaintext"]).len(), 7);
    let hidden = f.ok("GenerateDataKeyWithoutPlaintext", json!({ "KeyId": key, "KeySpec": "AES_128" })).await;
    assert!(hidden.get("Plaintext").is_none());
    assert_eq!(f.decrypt(hidden["CiphertextBlob"].as_str().unwrap(), json!({})).await.len(), 16);
    let both = f.error("GenerateDataKey", json!({ "KeyId": key, "KeySpec": "AES_256", "NumberOfBytes": 32 })).await;
    assert_eq!(both.code, "ValidationException");
    assert_eq!(f.err("GenerateDataKey", json!({ "KeyId": key, "KeySpec": "AES_512" })).await, "ValidationException");
    let signing = f.key(json!({ "KeySpec": "ECC_NIST_P256", "KeyUsage": "SIGN_VERIFY" })).await;
    assert_eq!(f.err("GenerateDataKey", json!({ "KeyId": signing, "KeySpec": "AES_256" })).await, "InvalidKeyUsageException");
}

#[tokio::test]
async fn data_key_pairs_are_pkcs8_and_spki_of_one_key() {
    let f = Fixture::new();
    let key = f.key(json!({})).await;
    for (pair_spec, spec) in [("RSA_2048", KeySpec::Rsa2048), ("ECC_NIST_P384", KeySpec::EccNistP384), ("ECC_SECG_P256K1", KeySpec::EccSecgP256k1)] {
        let out = f.ok("GenerateDataKeyPair", json!({ "KeyId": key, "KeyPairSpec": pair_spec, "EncryptionContext": { "p": pair_spec } })).await;
        let private = unb64(&out["PrivateKeyPlaintext"]);
        let loaded = material::parse(spec, &private).expect("PKCS#8 private key");
        assert_eq!(loaded.public_key_der().unwrap().unwrap(), unb64(&out["PublicKey"]));
        let blob = out["PrivateKeyCiphertextBlob"].as_str().unwrap();
        assert_eq!(f.decrypt(blob, json!({ "p": pair_spec })).await, private);
        assert_eq!(out["KeyPairSpec"], pair_spec);
    }
    let hidden = f.ok("GenerateDataKeyPairWithoutPlaintext", json!({ "KeyId": key, "KeyPairSpec": "ECC_NIST_P256" })).await;
    assert!(hidden.get("PrivateKeyPlaintext").is_none());
    assert_eq!(f.err("GenerateDataKeyPair", json!({ "KeyId": key, "KeyPairSpec": "SM2" })).await, "UnsupportedOperationException");
}

#[tokio::test]
async fn every_signing_spec_signs_and_verifies_raw_and_digest_messages() {
    let f = Fixture::new();
    let cases = [
        ("RSA_2048", vec!["RSASSA_PSS_SHA_256", "RSASSA_PSS_SHA_384", "RSASSA_PSS_SHA_512", "RSASSA_PKCS1_V1_5_SHA_256", "RSASSA_PKCS1_V1_5_SHA_384", "RSASSA_PKCS1_V1_5_SHA_512"]),
        ("ECC_NIST_P256", vec!["ECDSA_SHA_256"]),
        ("ECC_NIST_P384", vec!["ECDSA_SHA_384"]),
        ("ECC_NIST_P521", vec!["ECDSA_SHA_512"]),
        ("ECC_SECG_P256K1", vec!["ECDSA_SHA_256"]),
    ];
    for (spec, algorithms) in cases {
        let key = f.key(json!({ "KeySpec": spec, "KeyUsage": "SIGN_VERIFY" })).await;
        let public = unb64(&f.ok("GetPublicKey", json!({ "KeyId": key })).await["PublicKey"]);
        for algorithm in algorithms {
            let message = b"message to sign";
            let out = f.ok("Sign", json!({ "KeyId": key, "Message": b64(message), "SigningAlgorithm": algorithm })).await;
            let signature = unb64(&out["Signature"]);
            let check = verifier(spec, algorithm);
            assert!(UnparsedPublicKey::new(check, &public).verify(message, &signature).is_ok(), "{spec} {algorithm}");
            let verified = f.ok("Verify", json!({ "KeyId": key, "Message": b64(message), "Signature": b64(&signature), "SigningAlgorithm": algorithm })).await;
            assert_eq!(verified["SignatureValid"], true);

            let digest_alg = match algorithm.rsplit('_').next() {
                Some("384") => &digest::SHA384,
                Some("512") => &digest::SHA512,
                _ => &digest::SHA256,
            };
            let digest = digest::digest(digest_alg, message);
            let by_digest = f
                .ok("Sign", json!({ "KeyId": key, "Message": b64(digest.as_ref()), "MessageType": "DIGEST", "SigningAlgorithm": algorithm }))
                .await;
            let signature = unb64(&by_digest["Signature"]);
            let raw_verify = json!({ "KeyId": key, "Message": b64(message), "Signature": b64(&signature), "SigningAlgorithm": algorithm });
            assert_eq!(f.ok("Verify", raw_verify).await["SignatureValid"], true, "{spec} {algorithm} digest");
            let mut bad = signature.clone();
            bad[5] ^= 0x40;
            let bad_verify = json!({ "KeyId": key, "Message": b64(message), "Signature": b64(&bad), "SigningAlgorithm": algorithm });
            assert_eq!(f.err("Verify", bad_verify).await, "KMSInvalidSignatureException");
            let short = json!({ "KeyId": key, "Message": b64(b"short"), "MessageType": "DIGEST", "SigningAlgorithm": algorithm });
            assert_eq!(f.err("Sign", short).await, "ValidationException");
        }
    }
    let p256 = f.key(json!({ "KeySpec": "ECC_NIST_P256", "KeyUsage": "SIGN_VERIFY" })).await;
    let wrong = f.error("Sign", json!({ "KeyId": p256, "Message": b64(b"m"), "SigningAlgorithm": "ECDSA_SHA_384" })).await;
    assert_eq!(wrong.code, "InvalidKeyUsageException");
    assert_eq!(f.err("Encrypt", json!({ "KeyId": p256, "Plaintext": b64(b"m") })).await, "InvalidKeyUsageException");
}

#[tokio::test]
async fn ed25519_keys_sign_raw_messages() {
    let f = Fixture::new();
    let key = f.key(json!({ "KeySpec": "ECC_NIST_EDWARDS25519", "KeyUsage": "SIGN_VERIFY" })).await;
    let public = unb64(&f.ok("GetPublicKey", json!({ "KeyId": key })).await["PublicKey"]);
    let out = f.ok("Sign", json!({ "KeyId": key, "Message": b64(b"hi"), "SigningAlgorithm": "ED25519_SHA_512" })).await;
    let signature = unb64(&out["Signature"]);
    // The DER SubjectPublicKeyInfo of an Ed25519 key ends with the raw 32-byte key.
    let raw = &public[public.len() - 32..];
    assert!(UnparsedPublicKey::new(&signature::ED25519, raw).verify(b"hi", &signature).is_ok());
}

/// aws-lc's verifier for a KMS key spec and signing algorithm (an independent check of the
/// signatures KMS makes, on the public key GetPublicKey returns).
fn verifier(spec: &str, algorithm: &str) -> &'static dyn signature::VerificationAlgorithm {
    match (spec, algorithm) {
        ("ECC_NIST_P256", _) => &signature::ECDSA_P256_SHA256_ASN1,
        ("ECC_NIST_P384", _) => &signature::ECDSA_P384_SHA384_ASN1,
        ("ECC_NIST_P521", _) => &signature::ECDSA_P521_SHA512_ASN1,
        ("ECC_SECG_P256K1", _) => &signature::ECDSA_P256K1_SHA256_ASN1,
        (_, "RSASSA_PSS_SHA_256") => &signature::RSA_PSS_2048_8192_SHA256,
        (_, "RSASSA_PSS_SHA_384") => &signature::RSA_PSS_2048_8192_SHA384,
        (_, "RSASSA_PSS_SHA_512") => &signature::RSA_PSS_2048_8192_SHA512,
        (_, "RSASSA_PKCS1_V1_5_SHA_256") => &signature::RSA_PKCS1_2048_8192_SHA256,
        (_, "RSASSA_PKCS1_V1_5_SHA_384") => &signature::RSA_PKCS1_2048_8192_SHA384,
        _ => &signature::RSA_PKCS1_2048_8192_SHA512,
    }
}

#[tokio::test]
async fn rsa_keys_encrypt_with_oaep() {
    let f = Fixture::new();
    let key = f.key(json!({ "KeySpec": "RSA_3072", "KeyUsage": "ENCRYPT_DECRYPT" })).await;
    let meta = f.metadata(&key).await;
    assert_eq!(meta["EncryptionAlgorithms"], json!(["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"]));
    for algorithm in ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"] {
        let out = f.ok("Encrypt", json!({ "KeyId": key, "Plaintext": b64(b"rsa secret"), "EncryptionAlgorithm": algorithm })).await;
        let blob = out["CiphertextBlob"].as_str().unwrap();
        let decrypted = f.ok("Decrypt", json!({ "KeyId": key, "CiphertextBlob": blob, "EncryptionAlgorithm": algorithm })).await;
        assert_eq!(unb64(&decrypted["Plaintext"]), b"rsa secret");
        assert_eq!(f.err("Decrypt", json!({ "CiphertextBlob": blob, "EncryptionAlgorithm": algorithm })).await, "InvalidCiphertextException");
    }
    assert_eq!(f.err("Encrypt", json!({ "KeyId": key, "Plaintext": b64(b"x") })).await, "InvalidKeyUsageException");
    let too_long = vec![7u8; 400];
    let err = f.err("Encrypt", json!({ "KeyId": key, "Plaintext": b64(&too_long), "EncryptionAlgorithm": "RSAES_OAEP_SHA_256" })).await;
    assert_eq!(err, "ValidationException");
}

#[tokio::test]
async fn hmac_keys_generate_and_verify_macs() {
    let f = Fixture::new();
    for (spec, algorithm, len) in [("HMAC_224", "HMAC_SHA_224", 28), ("HMAC_256", "HMAC_SHA_256", 32), ("HMAC_384", "HMAC_SHA_384", 48), ("HMAC_512", "HMAC_SHA_512", 64)] {
        let key = f.key(json!({ "KeySpec": spec, "KeyUsage": "GENERATE_VERIFY_MAC" })).await;
        assert_eq!(f.metadata(&key).await["MacAlgorithms"], json!([algorithm]));
        let out = f.ok("GenerateMac", json!({ "KeyId": key, "Message": b64(b"data"), "MacAlgorithm": algorithm })).await;
        let mac = unb64(&out["Mac"]);
        assert_eq!(mac.len(), len);
        let verify = json!({ "KeyId": key, "Message": b64(b"data"), "Mac": b64(&mac), "MacAlgorithm": algorithm });
        assert_eq!(f.ok("VerifyMac", verify).await["MacValid"], true);
        let tampered = json!({ "KeyId": key, "Message": b64(b"date"), "Mac": b64(&mac), "MacAlgorithm": algorithm });
        assert_eq!(f.err("VerifyMac", tampered).await, "KMSInvalidMacException");
    }
    let key = f.key(json!({ "KeySpec": "HMAC_256", "KeyUsage": "GENERATE_VERIFY_MAC" })).await;
    assert_eq!(f.err("GenerateMac", json!({ "KeyId": key, "Message": b64(b"d"), "MacAlgorithm": "HMAC_SHA_512" })).await, "InvalidKeyUsageException");
    assert_eq!(f.err("Encrypt", json!({ "KeyId": key, "Plaintext": b64(b"d") })).await, "InvalidKeyUsageException");
    assert_eq!(f.err("CreateKey", json!({ "KeySpec": "HMAC_256" })).await, "ValidationException");
}

#[tokio::test]
async fn ecdh_derives_the_same_secret_on_both_sides() {
    let f = Fixture::new();
    let a = f.key(json!({ "KeySpec": "ECC_NIST_P256", "KeyUsage": "KEY_AGREEMENT" })).await;
    let b = f.key(json!({ "KeySpec": "ECC_NIST_P256", "KeyUsage": "KEY_AGREEMENT" })).await;
    let public_a = f.ok("GetPublicKey", json!({ "KeyId": a })).await["PublicKey"].clone();
    let public_b = f.ok("GetPublicKey", json!({ "KeyId": b })).await["PublicKey"].clone();
    let ab = f.ok("DeriveSharedSecret", json!({ "KeyId": a, "KeyAgreementAlgorithm": "ECDH", "PublicKey": public_b })).await;
    let ba = f.ok("DeriveSharedSecret", json!({ "KeyId": b, "KeyAgreementAlgorithm": "ECDH", "PublicKey": public_a })).await;
    assert_eq!(ab["SharedSecret"], ba["SharedSecret"]);
    assert_eq!(unb64(&ab["SharedSecret"]).len(), 32);
}

#[tokio::test]
async fn generate_random_returns_the_asked_bytes() {
    let f = Fixture::new();
    let out = f.ok("GenerateRandom", json!({ "NumberOfBytes": 1024 })).await;
    assert_eq!(unb64(&out["Plaintext"]).len(), 1024);
    assert_eq!(f.err("GenerateRandom", json!({})).await, "ValidationException");
}

#[tokio::test]
async fn dry_runs_check_everything_and_change_nothing() {
    let f = Fixture::new();
    let key = f.key(json!({})).await;
    assert_eq!(f.err("Encrypt", json!({ "KeyId": key, "Plaintext": b64(b"x"), "DryRun": true })).await, "DryRunOperationException");
    let blob = f.encrypt(&key, b"x", json!({})).await;
    assert_eq!(f.err("Decrypt", json!({ "CiphertextBlob": blob, "DryRun": true })).await, "DryRunOperationException");
}
