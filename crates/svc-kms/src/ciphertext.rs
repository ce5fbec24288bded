//! Nimbus's ciphertext blob for symmetric encryption keys (Encrypt, GenerateDataKey*,
//! GenerateDataKeyPair*'s private key, ReEncrypt).
//!
//! ```text
//! 0x01                     format version (AES-256-GCM, v1)
//! account id               12 ASCII digits: the key's account (cross-account Decrypt)
//! key id length, key id    1 byte, then the key id (a UUID or mrk-<32 hex>)
//! material index           u32 big-endian: which version of the key's material (rotation)
//! nonce || ciphertext || tag
//! ```
//! Everything before the nonce is the header. The AAD is the header followed by the encryption
//! context in canonical form (pairs sorted by key, each string length-prefixed), so changing any
//! byte of the blob, or decrypting with another context, fails authentication. The blob carries
//! no region: a multi-region key's replica (same id, same material) decrypts what its primary
//! encrypted, as on AWS.

use std::collections::BTreeMap;

pub const FORMAT_V1: u8 = 1;
const ACCOUNT_LEN: usize = 12;

/// The parsed header of a blob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub account: String,
    pub key_id: String,
    pub material: u32,
}

impl Header {
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(1 + ACCOUNT_LEN + 1 + self.key_id.len() + 4);
        out.push(FORMAT_V1);
        out.extend_from_slice(self.account.as_bytes());
        out.push(self.key_id.len() as u8);
        out.extend_from_slice(self.key_id.as_bytes());
        out.extend_from_slice(&self.material.to_be_bytes());
        out
    }
}

/// Splits a blob into its header, the header's bytes and the sealed rest; `None` when it is
/// not a Nimbus symmetric ciphertext.
pub fn parse(blob: &[u8]) -> Option<(Header, &[u8], &[u8])> {
    let (&format, rest) = blob.split_first()?;
    if format != FORMAT_V1 || rest.len() < ACCOUNT_LEN + 1 {
        return None;
    }
    let (account, rest) = rest.split_at(ACCOUNT_LEN);
    if !account.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let (&id_len, rest) = rest.split_first()?;
    let id_len = usize::from(id_len);
    if rest.len() < id_len + 4 {
        return None;
    }
    let (key_id, rest) = rest.split_at(id_len);
    if key_id.is_empty() || !key_id.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'-') {
        return None;
    }
    let (material, sealed) = rest.split_at(4);
    let header_len = 1 + ACCOUNT_LEN + 1 + id_len + 4;
    let header = Header {
        account: String::from_utf8(account.to_vec()).ok()?,
        key_id: String::from_utf8(key_id.to_vec()).ok()?,
        material: u32::from_be_bytes(material.try_into().ok()?),
    };
    Some((header, &blob[..header_len], sealed))
}

/// The AAD of a blob: its header, then the encryption context in canonical form.
pub fn aad(header: &[u8], context: &BTreeMap<String, String>) -> Vec<u8> {
    let mut out = header.to_vec();
    out.extend_from_slice(&(context.len() as u32).to_be_bytes());
    for (k, v) in context {
        out.extend_from_slice(&(k.len() as u32).to_be_bytes());
        out.extend_from_slice(k.as_bytes());
        out.extend_from_slice(&(v.len() as u32).to_be_bytes());
        out.extend_from_slice(v.as_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_round_trip() {
        let header = Header { account: "000000000000".into(), key_id: "mrk-0123456789abcdef0123456789abcdef".into(), material: 3 };
        let mut blob = header.encode();
        let header_len = blob.len();
        blob.extend_from_slice(b"sealed-part");
        let (parsed, raw, sealed) = parse(&blob).unwrap();
        assert_eq!(parsed, header);
        assert_eq!(raw.len(), header_len);
        assert_eq!(sealed, b"sealed-part");
    }

    #[test]
    fn garbage_is_not_a_blob() {
        assert!(parse(b"").is_none());
        assert!(parse(b"\x02000000000000").is_none());
        assert!(parse(b"\x01abcdefghijkl\x04abcd\0\0\0\0").is_none());
        assert!(parse(b"\x01000000000000\x40abcd").is_none());
    }

    #[test]
    fn context_order_does_not_matter_but_content_does() {
        let a: BTreeMap<_, _> = [("b".to_owned(), "2".to_owned()), ("a".to_owned(), "1".to_owned())].into();
        let b: BTreeMap<_, _> = [("a".to_owned(), "1".to_owned()), ("b".to_owned(), "2".to_owned())].into();
        assert_eq!(aad(b"h", &a), aad(b"h", &b));
        let c: BTreeMap<_, _> = [("a".to_owned(), "12".to_owned())].into();
        let d: BTreeMap<_, _> = [("a1".to_owned(), "2".to_owned())].into();
        assert_ne!(aad(b"h", &c), aad(b"h", &d));
    }
}
