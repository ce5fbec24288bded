//! Key material and the cryptography on it, all through aws-lc: AES-256-GCM for symmetric keys,
//! RSA (OAEP encryption, PSS and PKCS#1 v1.5 signatures), ECDSA on the NIST curves and
//! secp256k1, Ed25519, and HMAC.
//!
//! Material at rest is the raw key for symmetric and HMAC keys and an unencrypted PKCS#8
//! document for asymmetric ones (the store seals it); [`Loaded`] is the parsed form.

use aws_lc_rs::agreement;
use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use aws_lc_rs::digest;
use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der, PublicKeyX509Der};
use aws_lc_rs::hmac;
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use aws_lc_rs::rsa::{self, OAEP_SHA1_MGF1SHA1, OAEP_SHA256_MGF1SHA256, OaepPrivateDecryptingKey, OaepPublicEncryptingKey};
use aws_lc_rs::signature::{self, EcdsaKeyPair, EcdsaSigningAlgorithm, Ed25519KeyPair, KeyPair, RsaKeyPair, UnparsedPublicKey};

use crate::errors::{Fail, Res, internal};
use crate::spec::{Curve, EncryptionAlgorithm, Family, KeySpec, MacAlgorithm, SigningAlgorithm};

pub const AES_KEY_LEN: usize = 32;
pub const GCM_TAG_LEN: usize = 16;

pub fn random_bytes(len: usize) -> Res<Vec<u8>> {
    let mut out = vec![0u8; len];
    SystemRandom::new().fill(&mut out).map_err(|_| internal("the random number generator failed"))?;
    Ok(out)
}

fn crypto_failure(what: &str) -> Fail {
    internal(format!("{what} failed"))
}

/// Fresh material for a key of `spec`.
pub fn generate(spec: KeySpec) -> Res<Vec<u8>> {
    match spec.family() {
        Some(Family::Symmetric) => random_bytes(AES_KEY_LEN),
        Some(Family::Hmac { bits }) => random_bytes(bits / 8),
        Some(Family::Rsa { bits }) => {
            let size = match bits {
                2048 => rsa::KeySize::Rsa2048,
                3072 => rsa::KeySize::Rsa3072,
                _ => rsa::KeySize::Rsa4096,
            };
            let pair = RsaKeyPair::generate(size).map_err(|_| crypto_failure("RSA key generation"))?;
            let der: Pkcs8V1Der = pair.as_der().map_err(|_| crypto_failure("RSA key encoding"))?;
            Ok(der.as_ref().to_vec())
        }
        Some(Family::Ecc(curve)) => {
            let pair = EcdsaKeyPair::generate(ecdsa_signing(curve)).map_err(|_| crypto_failure("EC key generation"))?;
            Ok(pair.to_pkcs8v1().map_err(|_| crypto_failure("EC key encoding"))?.as_ref().to_vec())
        }
        Some(Family::Ed25519) => {
            let pair = Ed25519KeyPair::generate().map_err(|_| crypto_failure("Ed25519 key generation"))?;
            Ok(pair.to_pkcs8v1().map_err(|_| crypto_failure("Ed25519 key encoding"))?.as_ref().to_vec())
        }
        None => Err(crate::errors::unsupported(format!("Nimbus does not support the key spec {}.", spec.as_str()))),
    }
}

fn ecdsa_signing(curve: Curve) -> &'static EcdsaSigningAlgorithm {
    match curve {
        Curve::P256 => &signature::ECDSA_P256_SHA256_ASN1_SIGNING,
        Curve::P384 => &signature::ECDSA_P384_SHA384_ASN1_SIGNING,
        Curve::P521 => &signature::ECDSA_P521_SHA512_ASN1_SIGNING,
        Curve::Secp256k1 => &signature::ECDSA_P256K1_SHA256_ASN1_SIGNING,
    }
}

/// Parsed key material, ready to use.
pub enum Loaded {
    Symmetric(LessSafeKey),
    Hmac { key: Box<hmac::Key> },
    Rsa { pair: RsaKeyPair, decrypting: OaepPrivateDecryptingKey, encrypting: OaepPublicEncryptingKey },
    Ecdsa { pair: EcdsaKeyPair, curve: Curve },
    Ed25519(Ed25519KeyPair),
}

impl std::fmt::Debug for Loaded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Loaded::Symmetric(_) => "Loaded::Symmetric",
            Loaded::Hmac { .. } => "Loaded::Hmac",
            Loaded::Rsa { .. } => "Loaded::Rsa",
            Loaded::Ecdsa { .. } => "Loaded::Ecdsa",
            Loaded::Ed25519(_) => "Loaded::Ed25519",
        })
    }
}

/// Parses `bytes` as material of `spec`; `None` when they are not (imported material that
/// does not fit the key).
pub fn parse(spec: KeySpec, bytes: &[u8]) -> Option<Loaded> {
    Some(match spec.family()? {
        Family::Symmetric => {
            if bytes.len() != AES_KEY_LEN {
                return None;
            }
            Loaded::Symmetric(LessSafeKey::new(UnboundKey::new(&AES_256_GCM, bytes).ok()?))
        }
        Family::Hmac { bits } => {
            let algorithm = MacAlgorithm::for_bits(bits)?;
            Loaded::Hmac { key: Box::new(hmac::Key::new(hmac_algorithm(algorithm), bytes)) }
        }
        Family::Rsa { bits } => {
            let pair = RsaKeyPair::from_pkcs8(bytes).ok()?;
            if pair.public_modulus_len() * 8 != bits {
                return None;
            }
            let private = rsa::PrivateDecryptingKey::from_pkcs8(bytes).ok()?;
            let encrypting = OaepPublicEncryptingKey::new(private.public_key()).ok()?;
            let decrypting = OaepPrivateDecryptingKey::new(private).ok()?;
            Loaded::Rsa { pair, decrypting, encrypting }
        }
        Family::Ecc(curve) => Loaded::Ecdsa { pair: EcdsaKeyPair::from_pkcs8(ecdsa_signing(curve), bytes).ok()?, curve },
        Family::Ed25519 => Loaded::Ed25519(Ed25519KeyPair::from_pkcs8(bytes).ok()?),
    })
}

/// Parses stored material, which was valid when stored.
pub fn load(spec: KeySpec, bytes: &[u8]) -> Res<Loaded> {
    parse(spec, bytes).ok_or_else(|| internal(format!("stored key material does not parse as {}", spec.as_str())))
}

fn hmac_algorithm(algorithm: MacAlgorithm) -> hmac::Algorithm {
    match algorithm {
        MacAlgorithm::HmacSha224 => hmac::HMAC_SHA224,
        MacAlgorithm::HmacSha256 => hmac::HMAC_SHA256,
        MacAlgorithm::HmacSha384 => hmac::HMAC_SHA384,
        MacAlgorithm::HmacSha512 => hmac::HMAC_SHA512,
    }
}

impl Loaded {
    /// The DER SubjectPublicKeyInfo of an asymmetric key.
    pub fn public_key_der(&self) -> Res<Option<Vec<u8>>> {
        let der: Option<PublicKeyX509Der> = match self {
            Loaded::Rsa { pair, .. } => Some(pair.public_key().as_der().map_err(|_| crypto_failure("public key encoding"))?),
            Loaded::Ecdsa { pair, .. } => Some(pair.public_key().as_der().map_err(|_| crypto_failure("public key encoding"))?),
            Loaded::Ed25519(pair) => Some(pair.public_key().as_der().map_err(|_| crypto_failure("public key encoding"))?),
            Loaded::Symmetric(_) | Loaded::Hmac { .. } => None,
        };
        Ok(der.map(|d| d.as_ref().to_vec()))
    }

    /// AES-256-GCM: nonce || ciphertext || tag, with `aad` authenticated.
    pub fn seal(&self, plaintext: &[u8], aad: &[u8]) -> Res<Vec<u8>> {
        let Loaded::Symmetric(key) = self else { return Err(internal("not a symmetric key")) };
        let nonce_bytes = random_bytes(NONCE_LEN)?;
        let nonce = Nonce::try_assume_unique_for_key(&nonce_bytes).map_err(|_| crypto_failure("nonce"))?;
        let mut body = plaintext.to_vec();
        key.seal_in_place_append_tag(nonce, Aad::from(aad), &mut body).map_err(|_| crypto_failure("encryption"))?;
        let mut out = nonce_bytes;
        out.extend_from_slice(&body);
        Ok(out)
    }

    /// Reverses [`Loaded::seal`]; `None` when the bytes or `aad` were changed.
    pub fn open(&self, sealed: &[u8], aad: &[u8]) -> Option<Vec<u8>> {
        let Loaded::Symmetric(key) = self else { return None };
        if sealed.len() < NONCE_LEN + GCM_TAG_LEN {
            return None;
        }
        let (nonce, body) = sealed.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
        let mut buffer = body.to_vec();
        let len = key.open_in_place(nonce, Aad::from(aad), &mut buffer).ok()?.len();
        buffer.truncate(len);
        Some(buffer)
    }

    /// The most plaintext RSAES-OAEP can take with this key and hash: k - 2·hLen - 2.
    pub fn rsa_max_plaintext(&self, algorithm: EncryptionAlgorithm) -> Option<usize> {
        let Loaded::Rsa { pair, .. } = self else { return None };
        let hash_len = if algorithm == EncryptionAlgorithm::RsaesOaepSha1 { 20 } else { 32 };
        Some(pair.public_modulus_len().saturating_sub(2 * hash_len + 2))
    }

    pub fn rsa_encrypt(&self, algorithm: EncryptionAlgorithm, plaintext: &[u8]) -> Res<Vec<u8>> {
        let Loaded::Rsa { encrypting, .. } = self else { return Err(internal("not an RSA key")) };
        let mut out = vec![0u8; encrypting.ciphertext_size()];
        let len = encrypting.encrypt(oaep(algorithm), plaintext, &mut out, None).map_err(|_| crypto_failure("RSA encryption"))?.len();
        out.truncate(len);
        Ok(out)
    }

    /// `None` when the ciphertext does not decrypt under this key and algorithm.
    pub fn rsa_decrypt(&self, algorithm: EncryptionAlgorithm, ciphertext: &[u8]) -> Option<Vec<u8>> {
        let Loaded::Rsa { decrypting, .. } = self else { return None };
        let mut out = vec![0u8; decrypting.min_output_size()];
        let len = decrypting.decrypt(oaep(algorithm), ciphertext, &mut out, None).ok()?.len();
        out.truncate(len);
        Some(out)
    }

    /// Signs `message` (RAW) or a precomputed digest of it (DIGEST, already length-checked).
    pub fn sign(&self, algorithm: SigningAlgorithm, message: &[u8], is_digest: bool) -> Res<Vec<u8>> {
        match self {
            Loaded::Rsa { pair, .. } => {
                let encoding = rsa_signing(algorithm).ok_or_else(|| internal("not an RSA signing algorithm"))?;
                let mut out = vec![0u8; pair.public_modulus_len()];
                let rng = SystemRandom::new();
                let signed = if is_digest {
                    let digest = digest::Digest::import_less_safe(message, digest_of(algorithm)).map_err(|_| crypto_failure("digest"))?;
                    pair.sign_digest(encoding, &digest, &mut out)
                } else {
                    pair.sign(encoding, &rng, message, &mut out)
                };
                signed.map_err(|_| crypto_failure("RSA signing"))?;
                Ok(out)
            }
            Loaded::Ecdsa { pair, .. } => {
                let signature = if is_digest {
                    let digest = digest::Digest::import_less_safe(message, digest_of(algorithm)).map_err(|_| crypto_failure("digest"))?;
                    pair.sign_digest(&digest)
                } else {
                    pair.sign(&SystemRandom::new(), message)
                };
                Ok(signature.map_err(|_| crypto_failure("ECDSA signing"))?.as_ref().to_vec())
            }
            Loaded::Ed25519(pair) => Ok(pair.sign(message).as_ref().to_vec()),
            Loaded::Symmetric(_) | Loaded::Hmac { .. } => Err(internal("not a signing key")),
        }
    }

    pub fn verify(&self, algorithm: SigningAlgorithm, message: &[u8], is_digest: bool, sig: &[u8]) -> Res<bool> {
        let Some(public) = self.public_key_der()? else { return Err(internal("not a signing key")) };
        let Some(verification) = verification_algorithm(self, algorithm) else { return Ok(false) };
        let key = UnparsedPublicKey::new(verification, &public);
        Ok(if is_digest {
            let Ok(digest) = digest::Digest::import_less_safe(message, digest_of(algorithm)) else { return Ok(false) };
            key.verify_digest(&digest, sig).is_ok()
        } else {
            key.verify(message, sig).is_ok()
        })
    }

    /// ECDH with a peer's public key (DER SubjectPublicKeyInfo): the raw shared secret, or
    /// `None` when the peer key is not a point of this key's curve.
    pub fn ecdh(&self, peer_public_key: &[u8]) -> Res<Option<Vec<u8>>> {
        let Loaded::Ecdsa { pair, curve } = self else { return Err(internal("not an ECC key")) };
        let algorithm = match curve {
            Curve::P256 => &agreement::ECDH_P256,
            Curve::P384 => &agreement::ECDH_P384,
            Curve::P521 => &agreement::ECDH_P521,
            Curve::Secp256k1 => return Ok(None),
        };
        let der = pair.to_pkcs8v1().map_err(|_| crypto_failure("EC key encoding"))?;
        let private = agreement::PrivateKey::from_private_key_der(algorithm, der.as_ref()).map_err(|_| crypto_failure("ECDH key"))?;
        let peer = agreement::UnparsedPublicKey::new(algorithm, peer_public_key);
        Ok(agreement::agree(&private, peer, (), |secret| Ok(secret.to_vec())).ok())
    }

    pub fn mac(&self, message: &[u8]) -> Res<Vec<u8>> {
        let Loaded::Hmac { key, .. } = self else { return Err(internal("not an HMAC key")) };
        Ok(hmac::sign(key, message).as_ref().to_vec())
    }

    pub fn verify_mac(&self, message: &[u8], tag: &[u8]) -> bool {
        let Loaded::Hmac { key, .. } = self else { return false };
        hmac::verify(key, message, tag).is_ok()
    }
}

fn oaep(algorithm: EncryptionAlgorithm) -> &'static rsa::OaepAlgorithm {
    if algorithm == EncryptionAlgorithm::RsaesOaepSha1 { &OAEP_SHA1_MGF1SHA1 } else { &OAEP_SHA256_MGF1SHA256 }
}

fn digest_of(algorithm: SigningAlgorithm) -> &'static digest::Algorithm {
    match algorithm.digest_len() {
        32 => &digest::SHA256,
        48 => &digest::SHA384,
        _ => &digest::SHA512,
    }
}

fn rsa_signing(algorithm: SigningAlgorithm) -> Option<&'static dyn signature::RsaEncoding> {
    use SigningAlgorithm::*;
    Some(match algorithm {
        RsassaPssSha256 => &signature::RSA_PSS_SHA256,
        RsassaPssSha384 => &signature::RSA_PSS_SHA384,
        RsassaPssSha512 => &signature::RSA_PSS_SHA512,
        RsassaPkcs1V15Sha256 => &signature::RSA_PKCS1_SHA256,
        RsassaPkcs1V15Sha384 => &signature::RSA_PKCS1_SHA384,
        RsassaPkcs1V15Sha512 => &signature::RSA_PKCS1_SHA512,
        _ => return None,
    })
}

fn verification_algorithm(key: &Loaded, algorithm: SigningAlgorithm) -> Option<&'static dyn signature::VerificationAlgorithm> {
    use SigningAlgorithm::*;
    Some(match (key, algorithm) {
        (Loaded::Rsa { .. }, RsassaPssSha256) => &signature::RSA_PSS_2048_8192_SHA256,
        (Loaded::Rsa { .. }, RsassaPssSha384) => &signature::RSA_PSS_2048_8192_SHA384,
        (Loaded::Rsa { .. }, RsassaPssSha512) => &signature::RSA_PSS_2048_8192_SHA512,
        (Loaded::Rsa { .. }, RsassaPkcs1V15Sha256) => &signature::RSA_PKCS1_2048_8192_SHA256,
        (Loaded::Rsa { .. }, RsassaPkcs1V15Sha384) => &signature::RSA_PKCS1_2048_8192_SHA384,
        (Loaded::Rsa { .. }, RsassaPkcs1V15Sha512) => &signature::RSA_PKCS1_2048_8192_SHA512,
        (Loaded::Ecdsa { curve: Curve::P256, .. }, EcdsaSha256) => &signature::ECDSA_P256_SHA256_ASN1,
        (Loaded::Ecdsa { curve: Curve::P384, .. }, EcdsaSha384) => &signature::ECDSA_P384_SHA384_ASN1,
        (Loaded::Ecdsa { curve: Curve::P521, .. }, EcdsaSha512) => &signature::ECDSA_P521_SHA512_ASN1,
        (Loaded::Ecdsa { curve: Curve::Secp256k1, .. }, EcdsaSha256) => &signature::ECDSA_P256K1_SHA256_ASN1,
        (Loaded::Ed25519(_), Ed25519Sha512) => &signature::ED25519,
        _ => return None,
    })
}
