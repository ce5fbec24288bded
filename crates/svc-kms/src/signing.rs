//! Asymmetric and MAC operations: Sign, Verify, GetPublicKey, GenerateMac, VerifyMac,
//! DeriveSharedSecret.

use nimbus_core::RequestContext;
use serde_json::Value;

use crate::errors::{Res, dry_run, invalid_key_usage, invalid_mac, invalid_signature, unsupported, validation, wrong_usage};
use crate::input::{Input, Out};
use crate::keys::algorithm_lists;
use crate::lookup::check_usable;
use crate::records::KeyRecord;
use crate::spec::{KeyUsage, MacAlgorithm, MessageType, SigningAlgorithm};
use crate::Inner;

/// The largest message Sign and Verify take (the model's PlaintextType).
const MAX_MESSAGE: usize = 4096;

impl Inner {
    /// A key of `usage`, usable now, for `operation`.
    fn key_for(&self, ctx: &RequestContext, input: &Input, usage: KeyUsage, operation: &str) -> Res<KeyRecord> {
        let key = self.find_key(ctx, input.required_str("KeyId")?, true)?;
        check_usable(&key)?;
        if key.usage != usage {
            return Err(wrong_usage(&key.arn(), key.usage.as_str(), operation));
        }
        Ok(key)
    }

    /// The signing request's key, algorithm, message and whether the message is a digest.
    fn signing_request(&self, ctx: &RequestContext, input: &Input, operation: &str) -> Res<(KeyRecord, SigningAlgorithm, Vec<u8>, bool)> {
        let algorithm = input.enum_of("SigningAlgorithm", SigningAlgorithm::parse, SigningAlgorithm::ALL)?;
        let message_type = input.enum_of("MessageType", MessageType::parse, MessageType::ALL)?.unwrap_or(MessageType::Raw);
        let key = self.key_for(ctx, input, KeyUsage::SignVerify, operation)?;
        let Some(algorithm) = algorithm else { return Err(crate::errors::missing("signingAlgorithm")) };
        if !key.spec.signing_algorithms(key.usage).contains(&algorithm) {
            return Err(invalid_key_usage(format!(
                "Algorithm {} is incompatible with key spec {}.",
                algorithm.as_str(),
                key.spec.as_str()
            )));
        }
        let message = input.required_blob("Message")?;
        if message.len() > MAX_MESSAGE {
            return Err(validation(format!(
                "1 validation error detected: Value at 'message' failed to satisfy constraint: Member must have length less than or equal to {MAX_MESSAGE}"
            )));
        }
        let is_digest = match message_type {
            MessageType::Raw => false,
            MessageType::Digest => {
                if algorithm == SigningAlgorithm::Ed25519Sha512 {
                    return Err(validation("ED25519_SHA_512 signs only RAW messages; use ED25519_PH_SHA_512 for digests."));
                }
                if message.len() != algorithm.digest_len() {
                    return Err(validation(format!("Digest is invalid length for algorithm {}.", algorithm.as_str())));
                }
                true
            }
            MessageType::ExternalMu => {
                return Err(validation("MessageType EXTERNAL_MU is valid only with ML_DSA_SHAKE_256."));
            }
        };
        Ok((key, algorithm, message, is_digest))
    }

    pub(crate) fn sign(&self, ctx: &RequestContext, input: &Input) -> Res<Value> {
        let (key, algorithm, message, is_digest) = self.signing_request(ctx, input, "Sign")?;
        if input.bool("DryRun") {
            return Err(dry_run());
        }
        let signature = self.current_material(&key)?.sign(algorithm, &message, is_digest)?;
        Ok(Out::new().set("KeyId", key.arn()).blob("Signature", &signature).set("SigningAlgorithm", algorithm.as_str()).done())
    }

    pub(crate) fn verify(&self, ctx: &RequestContext, input: &Input) -> Res<Value> {
        let (key, algorithm, message, is_digest) = self.signing_request(ctx, input, "Verify")?;
        let signature = input.required_blob("Signature")?;
        if input.bool("DryRun") {
            return Err(dry_run());
        }
        if !self.current_material(&key)?.verify(algorithm, &message, is_digest, &signature)? {
            return Err(invalid_signature());
        }
        Ok(Out::new().set("KeyId", key.arn()).set("SignatureValid", true).set("SigningAlgorithm", algorithm.as_str()).done())
    }

    pub(crate) fn get_public_key(&self, ctx: &RequestContext, input: &Input) -> Res<Value> {
        let key = self.find_key(ctx, input.required_str("KeyId")?, true)?;
        check_usable(&key)?;
        if !key.spec.is_asymmetric() {
            return Err(unsupported(format!(
                "{} key spec is {}, which is not an asymmetric key spec; GetPublicKey requires an asymmetric KMS key.",
                key.arn(),
                key.spec.as_str()
            )));
        }
        let public = self.current_material(&key)?.public_key_der()?.unwrap_or_default();
        let out = Out::new()
            .set("KeyId", key.arn())
            .blob("PublicKey", &public)
            .opt("CustomerMasterKeySpec", key.spec.customer_master_key_spec())
            .set("KeySpec", key.spec.as_str())
            .set("KeyUsage", key.usage.as_str());
        Ok(algorithm_lists(out, &key).done())
    }

    fn mac_request(&self, ctx: &RequestContext, input: &Input, operation: &str) -> Res<(KeyRecord, MacAlgorithm, Vec<u8>)> {
        let algorithm = input.enum_of("MacAlgorithm", MacAlgorithm::parse, MacAlgorithm::ALL)?;
        let key = self.key_for(ctx, input, KeyUsage::GenerateVerifyMac, operation)?;
        let Some(algorithm) = algorithm else { return Err(crate::errors::missing("macAlgorithm")) };
        if !key.spec.mac_algorithms().contains(&algorithm) {
            return Err(invalid_key_usage(format!(
                "Algorithm {} is incompatible with key spec {}.",
                algorithm.as_str(),
                key.spec.as_str()
            )));
        }
        Ok((key, algorithm, input.required_blob("Message")?))
    }

    pub(crate) fn generate_mac(&self, ctx: &RequestContext, input: &Input) -> Res<Value> {
        let (key, algorithm, message) = self.mac_request(ctx, input, "GenerateMac")?;
        if input.bool("DryRun") {
            return Err(dry_run());
        }
        let mac = self.current_material(&key)?.mac(&message)?;
        Ok(Out::new().blob("Mac", &mac).set("MacAlgorithm", algorithm.as_str()).set("KeyId", key.arn()).done())
    }

    pub(crate) fn verify_mac(&self, ctx: &RequestContext, input: &Input) -> Res<Value> {
        let (key, algorithm, message) = self.mac_request(ctx, input, "VerifyMac")?;
        let mac = input.required_blob("Mac")?;
        if input.bool("DryRun") {
            return Err(dry_run());
        }
        if !self.current_material(&key)?.verify_mac(&message, &mac) {
            return Err(invalid_mac());
        }
        Ok(Out::new().set("KeyId", key.arn()).set("MacValid", true).set("MacAlgorithm", algorithm.as_str()).done())
    }

    pub(crate) fn derive_shared_secret(&self, ctx: &RequestContext, input: &Input) -> Res<Value> {
        let algorithm = input.enum_of("KeyAgreementAlgorithm", |s| (s == "ECDH").then_some(()), &["ECDH"])?;
        let key = self.key_for(ctx, input, KeyUsage::KeyAgreement, "DeriveSharedSecret")?;
        if algorithm.is_none() {
            return Err(crate::errors::missing("keyAgreementAlgorithm"));
        }
        let peer = input.required_blob("PublicKey")?;
        if input.has("Recipient") {
            return Err(validation("Recipient (Nitro Enclaves attestation) is not supported by Nimbus."));
        }
        if input.bool("DryRun") {
            return Err(dry_run());
        }
        let Some(secret) = self.current_material(&key)?.ecdh(&peer)? else {
            return Err(validation(format!(
                "The PublicKey is not a valid DER-encoded public key on the curve of key spec {}.",
                key.spec.as_str()
            )));
        };
        Ok(Out::new()
            .set("KeyId", key.arn())
            .blob("SharedSecret", &secret)
            .set("KeyAgreementAlgorithm", "ECDH")
            .set("KeyOrigin", key.origin.as_str())
            .done())
    }
}
