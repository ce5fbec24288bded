//! Encryption of secret material at rest (secret values, SecureString parameters, ...).
//!
//! The key is 32 random bytes in `<dir>/master.key`, kept apart from the database so a copy of
//! `nimbus.sqlite3` alone does not reveal secrets. This is protection against casual disclosure
//! (backups, bug reports), not against someone who can read the whole data directory.

use std::path::Path;

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};

use crate::durable_fs;
use crate::error::{Result, StoreError};

pub(crate) const MASTER_KEY_FILE_NAME: &str = "master.key";
const KEY_LEN: usize = 32;
const TAG_LEN: usize = 16;
/// First byte of every sealed value, so the format (algorithm, key, layout) can change later
/// while old ciphertexts stay readable.
const FORMAT_AES_256_GCM_V1: u8 = 1;
const HEADER_LEN: usize = 1 + NONCE_LEN;

pub(crate) struct SealingKey {
    key: LessSafeKey,
}

impl SealingKey {
    /// Loads `<dir>/master.key`, creating it on first use.
    pub(crate) fn load_or_create(dir: &Path) -> Result<SealingKey> {
        let path = dir.join(MASTER_KEY_FILE_NAME);
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let fresh: [u8; KEY_LEN] = durable_fs::random_bytes()?;
                durable_fs::write_atomically(&path, &fresh)?;
                fresh.to_vec()
            }
            Err(e) => {
                return Err(StoreError::io(
                    format!("could not read master key {}", path.display()),
                    e,
                ));
            }
        };
        if bytes.len() != KEY_LEN {
            return Err(StoreError::Corrupt(format!(
                "master key {} has {} bytes, expected {KEY_LEN}; secrets sealed with the original key cannot be recovered without it",
                path.display(),
                bytes.len()
            )));
        }
        SealingKey::from_bytes(&bytes)
    }

    /// A sealing key from 32 raw bytes (the master key, or a caller's data key).
    pub(crate) fn from_bytes(bytes: &[u8]) -> Result<SealingKey> {
        let unbound = UnboundKey::new(&AES_256_GCM, bytes).map_err(|_| {
            StoreError::Crypto(format!(
                "could not initialize AES-256-GCM with a {}-byte key",
                bytes.len()
            ))
        })?;
        Ok(SealingKey {
            key: LessSafeKey::new(unbound),
        })
    }

    /// version byte || 96-bit random nonce || ciphertext || 128-bit tag. Random nonces are safe
    /// here: the volume sealed under one local key stays far below the 2^32-message bound.
    pub(crate) fn seal(&self, plaintext: &[u8], aad: &[u8]) -> Result<Vec<u8>> {
        let nonce: [u8; NONCE_LEN] = durable_fs::random_bytes()?;
        let mut out = Vec::with_capacity(HEADER_LEN + plaintext.len() + TAG_LEN);
        out.push(FORMAT_AES_256_GCM_V1);
        out.extend_from_slice(&nonce);
        let mut body = plaintext.to_vec();
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(aad),
                &mut body,
            )
            .map_err(|_| StoreError::Crypto("sealing failed".into()))?;
        out.extend_from_slice(&body);
        Ok(out)
    }

    pub(crate) fn unseal(&self, sealed: &[u8], aad: &[u8]) -> Result<Vec<u8>> {
        let Some((&format, rest)) = sealed.split_first() else {
            return Err(StoreError::Crypto("sealed value is empty".into()));
        };
        if format != FORMAT_AES_256_GCM_V1 {
            return Err(StoreError::Crypto(format!(
                "sealed value has unknown format version {format}"
            )));
        }
        if rest.len() < NONCE_LEN + TAG_LEN {
            return Err(StoreError::Crypto(format!(
                "sealed value is truncated ({} bytes)",
                sealed.len()
            )));
        }
        let (nonce, ciphertext) = rest.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce)
            .map_err(|_| StoreError::Crypto("sealed value has a malformed nonce".into()))?;
        let mut buffer = ciphertext.to_vec();
        let plaintext_len = self
            .key
            .open_in_place(nonce, Aad::from(aad), &mut buffer)
            .map_err(|_| {
                StoreError::Crypto(
                    "sealed value could not be decrypted: it was tampered with, belongs to another record, or master.key was replaced"
                        .into(),
                )
            })?
            .len();
        buffer.truncate(plaintext_len);
        Ok(buffer)
    }
}

/// Seals `plaintext` under a caller's 32-byte key (a KMS data key in envelope encryption), in the
/// same layout and with the same guarantees as [`Store::seal`](crate::Store::seal).
pub fn seal_with_key(key: &[u8], plaintext: &[u8], aad: &[u8]) -> Result<Vec<u8>> {
    SealingKey::from_bytes(key)?.seal(plaintext, aad)
}

/// Reverses [`seal_with_key`]; fails with [`StoreError::Crypto`] for another key, another `aad`
/// or any changed byte.
pub fn unseal_with_key(key: &[u8], sealed: &[u8], aad: &[u8]) -> Result<Vec<u8>> {
    SealingKey::from_bytes(key)?.unseal(sealed, aad)
}
