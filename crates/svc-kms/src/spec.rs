//! Key specs, key usages and algorithms: which combinations AWS allows and which algorithms a
//! key of each spec lists in DescribeKey.

use serde::{Deserialize, Serialize};

/// Defines an enum with its wire names, `parse`, `as_str` and the list of all wire names.
macro_rules! wire_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $wire:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [&'static str] = &[$($wire),+];

            pub fn parse(s: &str) -> Option<Self> {
                match s { $($wire => Some(Self::$variant),)+ _ => None }
            }

            // Not every enum is written back into a response.
            #[allow(dead_code)]
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $wire),+ }
            }
        }
    };
}

wire_enum!(KeySpec {
    Rsa2048 = "RSA_2048",
    Rsa3072 = "RSA_3072",
    Rsa4096 = "RSA_4096",
    EccNistP256 = "ECC_NIST_P256",
    EccNistP384 = "ECC_NIST_P384",
    EccNistP521 = "ECC_NIST_P521",
    EccSecgP256k1 = "ECC_SECG_P256K1",
    SymmetricDefault = "SYMMETRIC_DEFAULT",
    Hmac224 = "HMAC_224",
    Hmac256 = "HMAC_256",
    Hmac384 = "HMAC_384",
    Hmac512 = "HMAC_512",
    Sm2 = "SM2",
    MlDsa44 = "ML_DSA_44",
    MlDsa65 = "ML_DSA_65",
    MlDsa87 = "ML_DSA_87",
    EccNistEdwards25519 = "ECC_NIST_EDWARDS25519",
    MlKem512 = "ML_KEM_512",
    MlKem768 = "ML_KEM_768",
    MlKem1024 = "ML_KEM_1024",
});

wire_enum!(KeyUsage {
    SignVerify = "SIGN_VERIFY",
    EncryptDecrypt = "ENCRYPT_DECRYPT",
    GenerateVerifyMac = "GENERATE_VERIFY_MAC",
    KeyAgreement = "KEY_AGREEMENT",
    EncapsulateDecapsulate = "ENCAPSULATE_DECAPSULATE",
});

wire_enum!(EncryptionAlgorithm {
    SymmetricDefault = "SYMMETRIC_DEFAULT",
    RsaesOaepSha1 = "RSAES_OAEP_SHA_1",
    RsaesOaepSha256 = "RSAES_OAEP_SHA_256",
    Sm2Pke = "SM2PKE",
});

wire_enum!(SigningAlgorithm {
    RsassaPssSha256 = "RSASSA_PSS_SHA_256",
    RsassaPssSha384 = "RSASSA_PSS_SHA_384",
    RsassaPssSha512 = "RSASSA_PSS_SHA_512",
    RsassaPkcs1V15Sha256 = "RSASSA_PKCS1_V1_5_SHA_256",
    RsassaPkcs1V15Sha384 = "RSASSA_PKCS1_V1_5_SHA_384",
    RsassaPkcs1V15Sha512 = "RSASSA_PKCS1_V1_5_SHA_512",
    EcdsaSha256 = "ECDSA_SHA_256",
    EcdsaSha384 = "ECDSA_SHA_384",
    EcdsaSha512 = "ECDSA_SHA_512",
    Sm2Dsa = "SM2DSA",
    MlDsaShake256 = "ML_DSA_SHAKE_256",
    Ed25519Sha512 = "ED25519_SHA_512",
    Ed25519PhSha512 = "ED25519_PH_SHA_512",
});

wire_enum!(MacAlgorithm {
    HmacSha224 = "HMAC_SHA_224",
    HmacSha256 = "HMAC_SHA_256",
    HmacSha384 = "HMAC_SHA_384",
    HmacSha512 = "HMAC_SHA_512",
});

wire_enum!(DataKeyPairSpec {
    Rsa2048 = "RSA_2048",
    Rsa3072 = "RSA_3072",
    Rsa4096 = "RSA_4096",
    EccNistP256 = "ECC_NIST_P256",
    EccNistP384 = "ECC_NIST_P384",
    EccNistP521 = "ECC_NIST_P521",
    EccSecgP256k1 = "ECC_SECG_P256K1",
    Sm2 = "SM2",
    EccNistEdwards25519 = "ECC_NIST_EDWARDS25519",
    MlKem512 = "ML_KEM_512",
    MlKem768 = "ML_KEM_768",
    MlKem1024 = "ML_KEM_1024",
});

wire_enum!(Origin {
    AwsKms = "AWS_KMS",
    External = "EXTERNAL",
    AwsCloudhsm = "AWS_CLOUDHSM",
    ExternalKeyStore = "EXTERNAL_KEY_STORE",
});

wire_enum!(MessageType {
    Raw = "RAW",
    Digest = "DIGEST",
    ExternalMu = "EXTERNAL_MU",
});

wire_enum!(GrantOperation {
    Decrypt = "Decrypt",
    Encrypt = "Encrypt",
    GenerateDataKey = "GenerateDataKey",
    GenerateDataKeyWithoutPlaintext = "GenerateDataKeyWithoutPlaintext",
    ReEncryptFrom = "ReEncryptFrom",
    ReEncryptTo = "ReEncryptTo",
    Sign = "Sign",
    Verify = "Verify",
    GetPublicKey = "GetPublicKey",
    CreateGrant = "CreateGrant",
    RetireGrant = "RetireGrant",
    DescribeKey = "DescribeKey",
    GenerateDataKeyPair = "GenerateDataKeyPair",
    GenerateDataKeyPairWithoutPlaintext = "GenerateDataKeyPairWithoutPlaintext",
    GenerateMac = "GenerateMac",
    VerifyMac = "VerifyMac",
    DeriveSharedSecret = "DeriveSharedSecret",
    Encapsulate = "Encapsulate",
    Decapsulate = "Decapsulate",
});

/// What Nimbus can generate and use: every spec but SM2 (China Regions only), ML-DSA and
/// ML-KEM.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    Symmetric,
    Rsa { bits: usize },
    Ecc(Curve),
    Ed25519,
    Hmac { bits: usize },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Curve {
    P256,
    P384,
    P521,
    Secp256k1,
}

impl KeySpec {
    pub fn family(self) -> Option<Family> {
        Some(match self {
            KeySpec::SymmetricDefault => Family::Symmetric,
            KeySpec::Rsa2048 => Family::Rsa { bits: 2048 },
            KeySpec::Rsa3072 => Family::Rsa { bits: 3072 },
            KeySpec::Rsa4096 => Family::Rsa { bits: 4096 },
            KeySpec::EccNistP256 => Family::Ecc(Curve::P256),
            KeySpec::EccNistP384 => Family::Ecc(Curve::P384),
            KeySpec::EccNistP521 => Family::Ecc(Curve::P521),
            KeySpec::EccSecgP256k1 => Family::Ecc(Curve::Secp256k1),
            KeySpec::EccNistEdwards25519 => Family::Ed25519,
            KeySpec::Hmac224 => Family::Hmac { bits: 224 },
            KeySpec::Hmac256 => Family::Hmac { bits: 256 },
            KeySpec::Hmac384 => Family::Hmac { bits: 384 },
            KeySpec::Hmac512 => Family::Hmac { bits: 512 },
            KeySpec::Sm2
            | KeySpec::MlDsa44
            | KeySpec::MlDsa65
            | KeySpec::MlDsa87
            | KeySpec::MlKem512
            | KeySpec::MlKem768
            | KeySpec::MlKem1024 => return None,
        })
    }

    pub fn is_symmetric(self) -> bool {
        self == KeySpec::SymmetricDefault
    }

    pub fn is_hmac(self) -> bool {
        matches!(self, KeySpec::Hmac224 | KeySpec::Hmac256 | KeySpec::Hmac384 | KeySpec::Hmac512)
    }

    pub fn is_asymmetric(self) -> bool {
        !self.is_symmetric() && !self.is_hmac()
    }

    /// The usages a key of this spec may be created with.
    pub fn usages(self) -> &'static [KeyUsage] {
        match self {
            KeySpec::SymmetricDefault => &[KeyUsage::EncryptDecrypt],
            KeySpec::Rsa2048 | KeySpec::Rsa3072 | KeySpec::Rsa4096 => &[KeyUsage::EncryptDecrypt, KeyUsage::SignVerify],
            KeySpec::EccNistP256 | KeySpec::EccNistP384 | KeySpec::EccNistP521 => &[KeyUsage::SignVerify, KeyUsage::KeyAgreement],
            KeySpec::EccSecgP256k1 | KeySpec::EccNistEdwards25519 => &[KeyUsage::SignVerify],
            KeySpec::Hmac224 | KeySpec::Hmac256 | KeySpec::Hmac384 | KeySpec::Hmac512 => &[KeyUsage::GenerateVerifyMac],
            KeySpec::Sm2 => &[KeyUsage::EncryptDecrypt, KeyUsage::SignVerify, KeyUsage::KeyAgreement],
            KeySpec::MlDsa44 | KeySpec::MlDsa65 | KeySpec::MlDsa87 => &[KeyUsage::SignVerify],
            KeySpec::MlKem512 | KeySpec::MlKem768 | KeySpec::MlKem1024 => &[KeyUsage::EncapsulateDecapsulate],
        }
    }

    /// The spec as `CustomerMasterKeySpec`, the deprecated twin of `KeySpec` (which has no
    /// value for the newer specs).
    pub fn customer_master_key_spec(self) -> Option<&'static str> {
        match self {
            KeySpec::MlDsa44
            | KeySpec::MlDsa65
            | KeySpec::MlDsa87
            | KeySpec::EccNistEdwards25519
            | KeySpec::MlKem512
            | KeySpec::MlKem768
            | KeySpec::MlKem1024 => None,
            other => Some(other.as_str()),
        }
    }

    pub fn encryption_algorithms(self, usage: KeyUsage) -> &'static [EncryptionAlgorithm] {
        match (self, usage) {
            (KeySpec::SymmetricDefault, _) => &[EncryptionAlgorithm::SymmetricDefault],
            (KeySpec::Rsa2048 | KeySpec::Rsa3072 | KeySpec::Rsa4096, KeyUsage::EncryptDecrypt) => {
                &[EncryptionAlgorithm::RsaesOaepSha1, EncryptionAlgorithm::RsaesOaepSha256]
            }
            _ => &[],
        }
    }

    pub fn signing_algorithms(self, usage: KeyUsage) -> &'static [SigningAlgorithm] {
        use SigningAlgorithm::*;
        if usage != KeyUsage::SignVerify {
            return &[];
        }
        match self {
            KeySpec::Rsa2048 | KeySpec::Rsa3072 | KeySpec::Rsa4096 => &[
                RsassaPkcs1V15Sha256,
                RsassaPkcs1V15Sha384,
                RsassaPkcs1V15Sha512,
                RsassaPssSha256,
                RsassaPssSha384,
                RsassaPssSha512,
            ],
            KeySpec::EccNistP256 | KeySpec::EccSecgP256k1 => &[EcdsaSha256],
            KeySpec::EccNistP384 => &[EcdsaSha384],
            KeySpec::EccNistP521 => &[EcdsaSha512],
            KeySpec::EccNistEdwards25519 => &[Ed25519Sha512],
            _ => &[],
        }
    }

    pub fn mac_algorithms(self) -> &'static [MacAlgorithm] {
        match self {
            KeySpec::Hmac224 => &[MacAlgorithm::HmacSha224],
            KeySpec::Hmac256 => &[MacAlgorithm::HmacSha256],
            KeySpec::Hmac384 => &[MacAlgorithm::HmacSha384],
            KeySpec::Hmac512 => &[MacAlgorithm::HmacSha512],
            _ => &[],
        }
    }

    pub fn key_agreement_algorithms(self, usage: KeyUsage) -> &'static [&'static str] {
        match (self, usage) {
            (KeySpec::EccNistP256 | KeySpec::EccNistP384 | KeySpec::EccNistP521, KeyUsage::KeyAgreement) => &["ECDH"],
            _ => &[],
        }
    }

    /// The grant operations that make sense for a key of this spec and usage.
    pub fn grant_operations(self, usage: KeyUsage) -> &'static [GrantOperation] {
        use GrantOperation::*;
        match (self, usage) {
            (KeySpec::SymmetricDefault, _) => &[
                Decrypt,
                Encrypt,
                GenerateDataKey,
                GenerateDataKeyWithoutPlaintext,
                ReEncryptFrom,
                ReEncryptTo,
                CreateGrant,
                RetireGrant,
                DescribeKey,
                GenerateDataKeyPair,
                GenerateDataKeyPairWithoutPlaintext,
            ],
            (_, KeyUsage::EncryptDecrypt) => {
                &[Decrypt, Encrypt, ReEncryptFrom, ReEncryptTo, GetPublicKey, CreateGrant, RetireGrant, DescribeKey]
            }
            (_, KeyUsage::SignVerify) => &[Sign, Verify, GetPublicKey, CreateGrant, RetireGrant, DescribeKey],
            (_, KeyUsage::GenerateVerifyMac) => &[GenerateMac, VerifyMac, CreateGrant, RetireGrant, DescribeKey],
            (_, KeyUsage::KeyAgreement) => &[DeriveSharedSecret, GetPublicKey, CreateGrant, RetireGrant, DescribeKey],
            (_, KeyUsage::EncapsulateDecapsulate) => &[Decapsulate, GetPublicKey, CreateGrant, RetireGrant, DescribeKey],
        }
    }
}

impl SigningAlgorithm {
    /// The digest the algorithm signs, as its length in bytes (DIGEST messages must have it).
    pub fn digest_len(self) -> usize {
        use SigningAlgorithm::*;
        match self {
            RsassaPssSha256 | RsassaPkcs1V15Sha256 | EcdsaSha256 | Sm2Dsa => 32,
            RsassaPssSha384 | RsassaPkcs1V15Sha384 | EcdsaSha384 => 48,
            RsassaPssSha512 | RsassaPkcs1V15Sha512 | EcdsaSha512 | Ed25519Sha512 | Ed25519PhSha512 => 64,
            MlDsaShake256 => 64,
        }
    }
}

impl MacAlgorithm {
    pub fn for_bits(bits: usize) -> Option<MacAlgorithm> {
        match bits {
            224 => Some(MacAlgorithm::HmacSha224),
            256 => Some(MacAlgorithm::HmacSha256),
            384 => Some(MacAlgorithm::HmacSha384),
            512 => Some(MacAlgorithm::HmacSha512),
            _ => None,
        }
    }
}

impl DataKeyPairSpec {
    /// The key spec a data key pair of this spec is generated as.
    pub fn key_spec(self) -> Option<KeySpec> {
        Some(match self {
            DataKeyPairSpec::Rsa2048 => KeySpec::Rsa2048,
            DataKeyPairSpec::Rsa3072 => KeySpec::Rsa3072,
            DataKeyPairSpec::Rsa4096 => KeySpec::Rsa4096,
            DataKeyPairSpec::EccNistP256 => KeySpec::EccNistP256,
            DataKeyPairSpec::EccNistP384 => KeySpec::EccNistP384,
            DataKeyPairSpec::EccNistP521 => KeySpec::EccNistP521,
            DataKeyPairSpec::EccSecgP256k1 => KeySpec::EccSecgP256k1,
            DataKeyPairSpec::EccNistEdwards25519 => KeySpec::EccNistEdwards25519,
            DataKeyPairSpec::Sm2 | DataKeyPairSpec::MlKem512 | DataKeyPairSpec::MlKem768 | DataKeyPairSpec::MlKem1024 => {
                return None;
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_names_round_trip() {
        for name in KeySpec::ALL {
            assert_eq!(KeySpec::parse(name).unwrap().as_str(), *name);
        }
        for name in SigningAlgorithm::ALL {
            assert_eq!(SigningAlgorithm::parse(name).unwrap().as_str(), *name);
        }
        assert_eq!(KeySpec::parse("AES_256"), None);
    }

    #[test]
    fn specs_list_the_algorithms_aws_lists() {
        assert_eq!(KeySpec::EccNistP384.signing_algorithms(KeyUsage::SignVerify), &[SigningAlgorithm::EcdsaSha384]);
        assert_eq!(KeySpec::Rsa2048.signing_algorithms(KeyUsage::SignVerify).len(), 6);
        assert!(KeySpec::Rsa2048.signing_algorithms(KeyUsage::EncryptDecrypt).is_empty());
        assert_eq!(KeySpec::Rsa3072.encryption_algorithms(KeyUsage::EncryptDecrypt).len(), 2);
        assert_eq!(KeySpec::Hmac384.mac_algorithms(), &[MacAlgorithm::HmacSha384]);
        assert!(KeySpec::EccSecgP256k1.usages().contains(&KeyUsage::SignVerify));
        assert!(!KeySpec::SymmetricDefault.usages().contains(&KeyUsage::SignVerify));
    }
}
