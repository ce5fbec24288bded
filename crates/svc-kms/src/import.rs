//! Imported key material (Origin EXTERNAL): GetParametersForImport, ImportKeyMaterial,
//! DeleteImportedKeyMaterial.
//!
//! GetParametersForImport makes an RSA wrapping key pair (its private half sealed in an
//! [`ImportTokenRecord`], valid 24 hours); ImportKeyMaterial unwraps with RSAES-OAEP, or for
//! RSA_AES_KEY_WRAP_* with RSAES-OAEP of an AES-256 key followed by AES key wrap with padding
//! (RFC 5649) of the material, exactly as AWS's wrapping algorithms are defined.

use aws_lc_rs::digest;
use aws_lc_rs::key_wrap::{AES_256, AesKek, KeyWrapPadded};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use nimbus_core::{RequestContext, ServiceError};
use serde_json::{Value, json};

use crate::errors::{Fail, Res, internal, invalid_ciphertext, invalid_state, pending_deletion, unsupported, validation};
use crate::input::{Input, Out};
use crate::material::{self, Loaded, random_bytes};
use crate::records::{ImportTokenRecord, ImportedExpiry, KeyRecord, KeyState, Material, scope};
use crate::spec::{EncryptionAlgorithm, Family, KeySpec, Origin};
use crate::Inner;

const TOKEN_PREFIX: &[u8] = b"nimbus-import:v1:";
const TOKEN_LIFETIME_MS: i64 = 24 * 3_600_000;
const WRAPPING_ALGORITHMS: &[&str] =
    &["RSAES_PKCS1_V1_5", "RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256", "RSA_AES_KEY_WRAP_SHA_1", "RSA_AES_KEY_WRAP_SHA_256", "SM2PKE"];
const WRAPPING_KEY_SPECS: &[&str] = &["RSA_2048", "RSA_3072", "RSA_4096", "SM2"];

fn invalid_token() -> Fail {
    Fail(ServiceError::new("InvalidImportTokenException", "The import token is not valid for this KMS key."))
}

fn incorrect_material(message: impl Into<String>) -> Fail {
    Fail(ServiceError::new("IncorrectKeyMaterialException", message))
}

fn sealing_aad(account: &str, token_id: &str) -> String {
    format!("kms-import-token/{account}/{token_id}")
}

/// The OAEP hash of a wrapping algorithm, and whether it wraps an AES key first.
fn wrapping(algorithm: &str) -> Res<(EncryptionAlgorithm, bool)> {
    Ok(match algorithm {
        "RSAES_OAEP_SHA_1" => (EncryptionAlgorithm::RsaesOaepSha1, false),
        "RSAES_OAEP_SHA_256" => (EncryptionAlgorithm::RsaesOaepSha256, false),
        "RSA_AES_KEY_WRAP_SHA_1" => (EncryptionAlgorithm::RsaesOaepSha1, true),
        "RSA_AES_KEY_WRAP_SHA_256" => (EncryptionAlgorithm::RsaesOaepSha256, true),
        other => return Err(unsupported(format!("The wrapping algorithm {other} is not supported."))),
    })
}

/// What HMAC keys accept as imported material, in bytes.
fn hmac_material_len(bits: usize) -> std::ops::RangeInclusive<usize> {
    match bits {
        224 => 28..=64,
        256 => 32..=64,
        384 => 48..=128,
        _ => 64..=128,
    }
}

/// Checks material for `spec`; asymmetric material is a PKCS#8 private key.
fn check_material(spec: KeySpec, bytes: &[u8]) -> Res<()> {
    let fits = match spec.family() {
        Some(Family::Hmac { bits }) => hmac_material_len(bits).contains(&bytes.len()),
        Some(_) => material::parse(spec, bytes).is_some(),
        None => false,
    };
    if fits { Ok(()) } else { Err(incorrect_material(format!("The key material is not valid for a KMS key with key spec {}.", spec.as_str()))) }
}

/// The id of imported material: derived from it, so importing the same material again gives
/// the same id.
fn imported_material_id(key: &KeyRecord, bytes: &[u8]) -> String {
    let mut context = digest::Context::new(&digest::SHA256);
    context.update(format!("nimbus-kms-imported-material/{}/{}/", key.account, key.key_id).as_bytes());
    context.update(bytes);
    hex::encode(context.finish().as_ref())
}

impl Inner {
    fn external_key(&self, ctx: &RequestContext, input: &Input, action: &str) -> Res<KeyRecord> {
        let key = self.customer_key(ctx, input, action)?;
        if key.origin != Origin::External {
            return Err(unsupported(format!("{} origin is {} which is not valid for this operation.", key.arn(), key.origin.as_str())));
        }
        Ok(key)
    }

    pub(crate) fn get_parameters_for_import(&self, ctx: &RequestContext, input: &Input) -> Res<Value> {
        let algorithm = input.enum_of("WrappingAlgorithm", |s| WRAPPING_ALGORITHMS.contains(&s).then(|| s.to_owned()), WRAPPING_ALGORITHMS)?;
        let key_spec = input.enum_of("WrappingKeySpec", |s| WRAPPING_KEY_SPECS.contains(&s).then(|| s.to_owned()), WRAPPING_KEY_SPECS)?;
        let key = self.external_key(ctx, input, "GetParametersForImport")?;
        if key.state == KeyState::PendingDeletion {
            return Err(pending_deletion(&key.arn()));
        }
        let (Some(algorithm), Some(key_spec)) = (algorithm, key_spec) else {
            return Err(crate::errors::missing("wrappingAlgorithm"));
        };
        wrapping(&algorithm)?;
        let spec = match key_spec.as_str() {
            "RSA_2048" => KeySpec::Rsa2048,
            "RSA_3072" => KeySpec::Rsa3072,
            "RSA_4096" => KeySpec::Rsa4096,
            _ => return Err(unsupported("The wrapping key spec SM2 is supported only in China Regions.")),
        };
        let private = material::generate(spec)?;
        let public = material::load(spec, &private)?.public_key_der()?.unwrap_or_default();
        let token_id = hex::encode(random_bytes(16)?);
        let sealed = self.store.seal(&private, sealing_aad(&key.account, &token_id).as_bytes())?;
        let valid_to = self.now() + TOKEN_LIFETIME_MS;
        let record = ImportTokenRecord { key_id: key.key_id.clone(), wrapping_algorithm: algorithm, sealed_private_key: B64.encode(sealed), valid_to_ms: valid_to };
        self.store.put(&scope(&key.account, &key.region), &token_id, &record)?;
        let mut token = TOKEN_PREFIX.to_vec();
        token.extend_from_slice(token_id.as_bytes());
        Ok(Out::new().set("KeyId", key.arn()).blob("ImportToken", &token).blob("PublicKey", &public).time("ParametersValidTo", valid_to).done())
    }

    /// The wrapping private key an import token names, checked against the key and the clock.
    fn import_token(&self, key: &KeyRecord, token: &[u8]) -> Res<(ImportTokenRecord, Loaded)> {
        let token_id = token.strip_prefix(TOKEN_PREFIX).and_then(|id| std::str::from_utf8(id).ok()).ok_or_else(invalid_token)?;
        let record = self.store.get::<ImportTokenRecord>(&scope(&key.account, &key.region), token_id)?.ok_or_else(invalid_token)?;
        if record.key_id != key.key_id {
            return Err(invalid_token());
        }
        if record.valid_to_ms <= self.now() {
            return Err(Fail(ServiceError::new("ExpiredImportTokenException", "The import token has expired.")));
        }
        let sealed = B64.decode(&record.sealed_private_key).map_err(|_| internal("stored import token is corrupt"))?;
        let private = self.store.unseal(&sealed, sealing_aad(&key.account, token_id).as_bytes())?;
        let spec = match material::parse(KeySpec::Rsa2048, &private) {
            Some(_) => KeySpec::Rsa2048,
            None if material::parse(KeySpec::Rsa3072, &private).is_some() => KeySpec::Rsa3072,
            None => KeySpec::Rsa4096,
        };
        let loaded = material::load(spec, &private)?;
        Ok((record, loaded))
    }

    pub(crate) fn import_key_material(&self, ctx: &RequestContext, input: &Input) -> Res<Value> {
        let key = self.external_key(ctx, input, "ImportKeyMaterial")?;
        if key.state == KeyState::PendingDeletion {
            return Err(pending_deletion(&key.arn()));
        }
        let expiration = input.enum_of(
            "ExpirationModel",
            |s| match s {
                "KEY_MATERIAL_EXPIRES" => Some(true),
                "KEY_MATERIAL_DOES_NOT_EXPIRE" => Some(false),
                _ => None,
            },
            &["KEY_MATERIAL_EXPIRES", "KEY_MATERIAL_DOES_NOT_EXPIRE"],
        )?;
        let valid_to = input.0.get("ValidTo").and_then(nimbus_core::document::parse_timestamp).map(|t| (t.unix_timestamp_nanos() / 1_000_000) as i64);
        let expires = expiration.unwrap_or(valid_to.is_some());
        match (expires, valid_to) {
            (true, None) => return Err(validation("ValidTo is required when ExpirationModel is KEY_MATERIAL_EXPIRES.")),
            (false, Some(_)) => return Err(validation("ValidTo must be omitted when ExpirationModel is KEY_MATERIAL_DOES_NOT_EXPIRE.")),
            (true, Some(at)) if at <= self.now() => return Err(validation("ValidTo must be in the future.")),
            _ => {}
        }
        if input.str("ImportType") == Some("NEW_KEY_MATERIAL") && !key.materials.is_empty() {
            return Err(unsupported("Importing new key material into a key that already has key material is not supported by Nimbus."));
        }
        let (token, wrapping_key) = self.import_token(&key, &input.required_blob("ImportToken")?)?;
        let wrapped = input.required_blob("EncryptedKeyMaterial")?;
        let plain = unwrap(&wrapping_key, &token.wrapping_algorithm, &wrapped)?;
        check_material(key.spec, &plain)?;
        let material_id = imported_material_id(&key, &plain);
        if let Some(existing) = key.materials.first()
            && existing.id != material_id
        {
            return Err(incorrect_material("The key material does not match the key material previously imported into this KMS key."));
        }
        let sealed = self.seal_material(&key.account, &key.key_id, &material_id, &plain)?;
        let now = self.now();
        let description = input.str("KeyMaterialDescription").map(str::to_owned);
        self.update_key(&key, |k| {
            if k.state == KeyState::PendingDeletion {
                return Err(pending_deletion(&k.arn()));
            }
            match k.materials.first_mut() {
                Some(material) => {
                    material.sealed = Some(sealed);
                    if description.is_some() {
                        material.description = description;
                    }
                }
                None => k.materials.push(Material {
                    id: material_id.clone(),
                    sealed: Some(sealed),
                    created_ms: now,
                    rotation: None,
                    imported: true,
                    description,
                }),
            }
            k.current = 0;
            if k.state == KeyState::PendingImport {
                k.state = KeyState::Enabled;
            }
            k.imported_expiry = Some(ImportedExpiry { expires, valid_to_ms: valid_to.filter(|_| expires) });
            Ok(())
        })?;
        Ok(json!({ "KeyId": key.arn(), "KeyMaterialId": material_id }))
    }

    pub(crate) fn delete_imported_key_material(&self, ctx: &RequestContext, input: &Input) -> Res<Value> {
        let key = self.external_key(ctx, input, "DeleteImportedKeyMaterial")?;
        let Some(current) = key.current_material().map(|m| m.id.clone()) else {
            return Err(invalid_state(format!("{} has no imported key material.", key.arn())));
        };
        self.update_key(&key, |k| {
            for material in k.materials.iter_mut() {
                material.sealed = None;
            }
            if k.state != KeyState::PendingDeletion {
                k.state = KeyState::PendingImport;
            }
            k.imported_expiry = None;
            Ok(())
        })?;
        Ok(json!({ "KeyId": key.arn(), "KeyMaterialId": current }))
    }
}

/// Unwraps imported material with the wrapping private key.
fn unwrap(wrapping_key: &Loaded, algorithm: &str, wrapped: &[u8]) -> Res<Vec<u8>> {
    let (oaep, with_aes) = wrapping(algorithm)?;
    if !with_aes {
        return wrapping_key.rsa_decrypt(oaep, wrapped).ok_or_else(invalid_ciphertext);
    }
    let modulus_len = wrapping_key.rsa_max_plaintext(EncryptionAlgorithm::RsaesOaepSha1).map(|m| m + 2 * 20 + 2).unwrap_or(0);
    if wrapped.len() <= modulus_len {
        return Err(invalid_ciphertext());
    }
    let (encrypted_aes_key, wrapped_material) = wrapped.split_at(modulus_len);
    let aes_key = wrapping_key.rsa_decrypt(oaep, encrypted_aes_key).ok_or_else(invalid_ciphertext)?;
    let kek = AesKek::new(&AES_256, &aes_key).map_err(|_| invalid_ciphertext())?;
    let mut out = vec![0u8; wrapped_material.len()];
    let len = kek.unwrap_with_padding(wrapped_material, &mut out).map_err(|_| invalid_ciphertext())?.len();
    out.truncate(len);
    Ok(out)
}
