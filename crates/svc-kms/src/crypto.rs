//! Encryption: Encrypt, Decrypt, ReEncrypt, GenerateDataKey(WithoutPlaintext),
//! GenerateDataKeyPair(WithoutPlaintext), GenerateRandom.

use std::collections::BTreeMap;

use nimbus_core::RequestContext;
use serde_json::Value;

use crate::ciphertext::{self, Header};
use crate::errors::{
    Res, dry_run, incorrect_key, invalid_ciphertext, invalid_key_usage, unsupported, validation, wrong_usage,
};
use crate::input::{Input, Out};
use crate::lookup::check_usable;
use crate::material::{self, random_bytes};
use crate::records::KeyRecord;
use crate::spec::{DataKeyPairSpec, EncryptionAlgorithm, KeyUsage};
use crate::Inner;

/// A decrypted ciphertext and what decrypted it.
pub struct Opened {
    pub key: KeyRecord,
    pub plaintext: Vec<u8>,
    pub algorithm: EncryptionAlgorithm,
    /// The material version of a symmetric ciphertext.
    pub material: Option<usize>,
}

/// A ciphertext to decrypt and what the request says about it.
struct Sealed<'a> {
    blob: &'a [u8],
    context: &'a BTreeMap<String, String>,
    key_id: Option<&'a str>,
    algorithm: EncryptionAlgorithm,
}

/// Refuses keys other than symmetric encryption keys (data keys, data key pairs).
pub fn require_symmetric_encryption(key: &KeyRecord, operation: &str) -> Res<()> {
    if key.usage != KeyUsage::EncryptDecrypt {
        return Err(wrong_usage(&key.arn(), key.usage.as_str(), operation));
    }
    if !key.spec.is_symmetric() {
        return Err(invalid_key_usage(format!("{} key spec is {} which is not valid for {operation}.", key.arn(), key.spec.as_str())));
    }
    Ok(())
}

/// Refuses an algorithm the key does not support.
fn check_algorithm(key: &KeyRecord, algorithm: EncryptionAlgorithm) -> Res<()> {
    if key.spec.encryption_algorithms(key.usage).contains(&algorithm) {
        return Ok(());
    }
    Err(invalid_key_usage(format!(
        "{} key spec is {}, which does not support the encryption algorithm {}.",
        key.arn(),
        key.spec.as_str(),
        algorithm.as_str()
    )))
}

fn encryption_algorithm(input: &Input, member: &str) -> Res<EncryptionAlgorithm> {
    Ok(input.enum_of(member, EncryptionAlgorithm::parse, EncryptionAlgorithm::ALL)?.unwrap_or(EncryptionAlgorithm::SymmetricDefault))
}

fn material_id(key: &KeyRecord, index: Option<usize>) -> Option<String> {
    index.and_then(|i| key.materials.get(i)).map(|m| m.id.clone())
}

impl Inner {
    /// Encrypts under a symmetric key's current material in Nimbus's blob format.
    pub(crate) fn seal_for(&self, key: &KeyRecord, plaintext: &[u8], context: &BTreeMap<String, String>) -> Res<Vec<u8>> {
        let loaded = self.current_material(key)?;
        let mut blob = Header { account: key.account.clone(), key_id: key.key_id.clone(), material: key.current as u32 }.encode();
        let sealed = loaded.seal(plaintext, &ciphertext::aad(&blob, context))?;
        blob.extend_from_slice(&sealed);
        Ok(blob)
    }

    /// Decrypts a symmetric blob: its key is found from the blob (in the blob's account and the
    /// caller's region), and must be the one `named` when the request names one.
    pub(crate) fn open_symmetric(
        &self,
        region: &str,
        blob: &[u8],
        context: &BTreeMap<String, String>,
        named: Option<&KeyRecord>,
        dry: bool,
    ) -> Res<Opened> {
        let (header, raw_header, sealed) = ciphertext::parse(blob).ok_or_else(invalid_ciphertext)?;
        let key = self.load_key(&header.account, region, &header.key_id)?.ok_or_else(invalid_ciphertext)?;
        if let Some(named) = named
            && (named.key_id != key.key_id || named.account != key.account)
        {
            return Err(incorrect_key());
        }
        check_usable(&key)?;
        if dry {
            return Err(dry_run());
        }
        let index = header.material as usize;
        let loaded = self.material(&key, index)?;
        let plaintext = loaded.open(sealed, &ciphertext::aad(raw_header, context)).ok_or_else(invalid_ciphertext)?;
        Ok(Opened { key, plaintext, algorithm: EncryptionAlgorithm::SymmetricDefault, material: Some(index) })
    }

    /// Decrypts a ciphertext with the key the request names (required for asymmetric keys) or
    /// the one in the blob.
    fn open(&self, ctx: &RequestContext, request: Sealed, operation: &str, dry: bool) -> Res<Opened> {
        let Sealed { blob, context, key_id, algorithm } = request;
        let named = key_id.map(|id| self.find_key(ctx, id, true)).transpose()?;
        if let Some(key) = &named {
            if key.usage != KeyUsage::EncryptDecrypt {
                return Err(wrong_usage(&key.arn(), key.usage.as_str(), operation));
            }
            if key.spec.is_asymmetric() {
                check_usable(key)?;
                check_algorithm(key, algorithm)?;
                if dry {
                    return Err(dry_run());
                }
                let loaded = self.current_material(key)?;
                let plaintext = loaded.rsa_decrypt(algorithm, blob).ok_or_else(invalid_ciphertext)?;
                return Ok(Opened { key: key.clone(), plaintext, algorithm, material: None });
            }
        }
        if algorithm != EncryptionAlgorithm::SymmetricDefault {
            // Without a key id the blob must be symmetric, and symmetric blobs take only the
            // symmetric algorithm.
            if let Some(key) = &named {
                check_algorithm(key, algorithm)?;
            }
            return Err(invalid_ciphertext());
        }
        self.open_symmetric(&ctx.region, blob, context, named.as_ref(), dry)
    }

    /// Encrypts `plaintext` under `key` with `algorithm` (checked against the key).
    fn encrypt_with(&self, key: &KeyRecord, plaintext: &[u8], context: &BTreeMap<String, String>, algorithm: EncryptionAlgorithm) -> Res<Vec<u8>> {
        if key.spec.is_symmetric() {
            return self.seal_for(key, plaintext, context);
        }
        let loaded = self.current_material(key)?;
        let max = loaded.rsa_max_plaintext(algorithm).unwrap_or(0);
        if plaintext.len() > max {
            return Err(validation(format!(
                "Plaintext is {} bytes; {} with {} encrypts at most {max} bytes.",
                plaintext.len(),
                algorithm.as_str(),
                key.spec.as_str()
            )));
        }
        loaded.rsa_encrypt(algorithm, plaintext)
    }

    /// The checks Encrypt and ReEncrypt's destination share.
    fn encryption_key(&self, ctx: &RequestContext, id: &str, algorithm: EncryptionAlgorithm, context: &BTreeMap<String, String>, operation: &str) -> Res<KeyRecord> {
        let key = self.find_key(ctx, id, true)?;
        check_usable(&key)?;
        if key.usage != KeyUsage::EncryptDecrypt {
            return Err(wrong_usage(&key.arn(), key.usage.as_str(), operation));
        }
        check_algorithm(&key, algorithm)?;
        if key.spec.is_asymmetric() && !context.is_empty() {
            return Err(validation("EncryptionContext is not supported with asymmetric KMS keys."));
        }
        Ok(key)
    }

    pub(crate) fn encrypt(&self, ctx: &RequestContext, input: &Input) -> Res<Value> {
        let algorithm = encryption_algorithm(input, "EncryptionAlgorithm")?;
        let context = input.context("EncryptionContext");
        let key = self.encryption_key(ctx, input.required_str("KeyId")?, algorithm, &context, "Encrypt")?;
        let plaintext = input.required_blob("Plaintext")?;
        if input.bool("DryRun") {
            return Err(dry_run());
        }
        let blob = self.encrypt_with(&key, &plaintext, &context, algorithm)?;
        Ok(Out::new().blob("CiphertextBlob", &blob).set("KeyId", key.arn()).set("EncryptionAlgorithm", algorithm.as_str()).done())
    }

    pub(crate) fn decrypt(&self, ctx: &RequestContext, input: &Input) -> Res<Value> {
        let blob = input.required_blob("CiphertextBlob")?;
        if input.has("Recipient") {
            return Err(validation("Recipient (Nitro Enclaves attestation) is not supported by Nimbus."));
        }
        let algorithm = encryption_algorithm(input, "EncryptionAlgorithm")?;
        let context = input.context("EncryptionContext");
        let sealed = Sealed { blob: &blob, context: &context, key_id: input.str("KeyId"), algorithm };
        let opened = self.open(ctx, sealed, "Decrypt", input.bool("DryRun"))?;
        Ok(Out::new()
            .set("KeyId", opened.key.arn())
            .blob("Plaintext", &opened.plaintext)
            .set("EncryptionAlgorithm", opened.algorithm.as_str())
            .opt("KeyMaterialId", material_id(&opened.key, opened.material))
            .done())
    }

    pub(crate) fn re_encrypt(&self, ctx: &RequestContext, input: &Input) -> Res<Value> {
        let blob = input.required_blob("CiphertextBlob")?;
        let source_algorithm = encryption_algorithm(input, "SourceEncryptionAlgorithm")?;
        let destination_algorithm = encryption_algorithm(input, "DestinationEncryptionAlgorithm")?;
        let source_context = input.context("SourceEncryptionContext");
        let destination_context = input.context("DestinationEncryptionContext");
        let destination = self.encryption_key(ctx, input.required_str("DestinationKeyId")?, destination_algorithm, &destination_context, "ReEncrypt")?;
        let dry = input.bool("DryRun");
        let sealed = Sealed { blob: &blob, context: &source_context, key_id: input.str("SourceKeyId"), algorithm: source_algorithm };
        let opened = self.open(ctx, sealed, "ReEncrypt", dry)?;
        let new_blob = self.encrypt_with(&destination, &opened.plaintext, &destination_context, destination_algorithm)?;
        let destination_material = destination.spec.is_symmetric().then_some(destination.current);
        Ok(Out::new()
            .blob("CiphertextBlob", &new_blob)
            .set("SourceKeyId", opened.key.arn())
            .set("KeyId", destination.arn())
            .set("SourceEncryptionAlgorithm", opened.algorithm.as_str())
            .set("DestinationEncryptionAlgorithm", destination_algorithm.as_str())
            .opt("SourceKeyMaterialId", material_id(&opened.key, opened.material))
            .opt("DestinationKeyMaterialId", material_id(&destination, destination_material))
            .done())
    }

    /// A symmetric key usable for data keys (GenerateDataKey*, GenerateDataKeyPair*).
    fn data_key_key(&self, ctx: &RequestContext, input: &Input, operation: &str) -> Res<KeyRecord> {
        let key = self.find_key(ctx, input.required_str("KeyId")?, true)?;
        check_usable(&key)?;
        require_symmetric_encryption(&key, operation)?;
        if input.has("Recipient") {
            return Err(validation("Recipient (Nitro Enclaves attestation) is not supported by Nimbus."));
        }
        Ok(key)
    }

    pub(crate) fn generate_data_key(&self, ctx: &RequestContext, input: &Input, with_plaintext: bool) -> Res<Value> {
        let operation = if with_plaintext { "GenerateDataKey" } else { "GenerateDataKeyWithoutPlaintext" };
        let spec = input.enum_of("KeySpec", |s| match s {
            "AES_256" => Some(32usize),
            "AES_128" => Some(16usize),
            _ => None,
        }, &["AES_256", "AES_128"])?;
        let length = match (spec, input.int("NumberOfBytes")) {
            (Some(_), Some(_)) | (None, None) => return Err(validation("Please specify either number of bytes or key spec.")),
            (Some(len), None) => len,
            (None, Some(n)) => n.clamp(1, 1024) as usize,
        };
        let key = self.data_key_key(ctx, input, operation)?;
        if input.bool("DryRun") {
            return Err(dry_run());
        }
        let plaintext = random_bytes(length)?;
        let blob = self.seal_for(&key, &plaintext, &input.context("EncryptionContext"))?;
        let mut out = Out::new().blob("CiphertextBlob", &blob);
        if with_plaintext {
            out = out.blob("Plaintext", &plaintext);
        }
        Ok(out.set("KeyId", key.arn()).opt("KeyMaterialId", material_id(&key, Some(key.current))).done())
    }

    pub(crate) fn generate_data_key_pair(&self, ctx: &RequestContext, input: &Input, with_plaintext: bool) -> Res<Value> {
        let operation = if with_plaintext { "GenerateDataKeyPair" } else { "GenerateDataKeyPairWithoutPlaintext" };
        let Some(pair_spec) = input.enum_of("KeyPairSpec", DataKeyPairSpec::parse, DataKeyPairSpec::ALL)? else {
            return Err(crate::errors::missing("keyPairSpec"));
        };
        let key = self.data_key_key(ctx, input, operation)?;
        let Some(spec) = pair_spec.key_spec() else {
            return Err(unsupported(format!("KeyPairSpec {} is not supported in this Region.", pair_spec.as_str())));
        };
        if input.bool("DryRun") {
            return Err(dry_run());
        }
        let private = material::generate(spec)?;
        let public = material::load(spec, &private)?.public_key_der()?.unwrap_or_default();
        let blob = self.seal_for(&key, &private, &input.context("EncryptionContext"))?;
        let mut out = Out::new().blob("PrivateKeyCiphertextBlob", &blob);
        if with_plaintext {
            out = out.blob("PrivateKeyPlaintext", &private);
        }
        Ok(out
            .blob("PublicKey", &public)
            .set("KeyId", key.arn())
            .set("KeyPairSpec", pair_spec.as_str())
            .opt("KeyMaterialId", material_id(&key, Some(key.current)))
            .done())
    }

    pub(crate) fn generate_random(&self, input: &Input) -> Res<Value> {
        if input.has("CustomKeyStoreId") {
            return Err(crate::errors::custom_key_store_not_found());
        }
        if input.has("Recipient") {
            return Err(validation("Recipient (Nitro Enclaves attestation) is not supported by Nimbus."));
        }
        let Some(n) = input.int("NumberOfBytes") else { return Err(validation("Please specify number of bytes.")) };
        let bytes = random_bytes(n.clamp(1, 1024) as usize)?;
        Ok(Out::new().blob("Plaintext", &bytes).done())
    }
}
