//! Message signatures: every notification and confirmation is signed with an RSA key whose
//! certificate Nimbus serves (`/_nimbus/sns/SimpleNotificationService.pem`), so subscribers'
//! signature checks run for real.
//!
//! AWS signs with SHA1 (SignatureVersion 1, the topic default) or SHA256 (2). aws-lc offers no
//! SHA1 RSA signing, so Nimbus always signs with SHA256 and says `"SignatureVersion": "2"` in
//! the message; verifiers pick the hash from that field, as AWS documents.
//!
//! The key is made on first use (not at start: RSA key generation takes a noticeable moment)
//! and kept in the store, sealed, so certificates stay valid across restarts.

use std::sync::OnceLock;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{KeyPair, KeySize};
use nimbus_core::ServiceError;
use nimbus_store::Store;

const KEY_SETTING: &str = "sns.signing.key";
const CERT_SETTING: &str = "sns.signing.cert";
pub const CERT_PATH: &str = "/_nimbus/sns/SimpleNotificationService.pem";

pub struct Signer {
    key: KeyPair,
    pub cert_pem: String,
}

#[derive(Default)]
pub struct SignerCell(OnceLock<Signer>);

impl SignerCell {
    pub fn get(&self, store: &Store) -> Result<&Signer, ServiceError> {
        if let Some(s) = self.0.get() {
            return Ok(s);
        }
        let signer = load_or_create(store)?;
        Ok(self.0.get_or_init(|| signer))
    }
}

fn fail(what: &str) -> impl Fn(String) -> ServiceError + '_ {
    move |e| ServiceError::internal(format!("SNS signing key {what}: {e}"))
}

fn load_or_create(store: &Store) -> Result<Signer, ServiceError> {
    let stored = store.setting(KEY_SETTING).map_err(|e| fail("read")(e.to_string()))?;
    let cert = store.setting(CERT_SETTING).map_err(|e| fail("read")(e.to_string()))?;
    if let (Some(sealed), Some(cert_pem)) = (stored, cert) {
        let sealed = B64.decode(sealed).map_err(|e| fail("decode")(e.to_string()))?;
        let der = store.unseal(&sealed, KEY_SETTING.as_bytes()).map_err(|e| fail("unseal")(e.to_string()))?;
        let key = KeyPair::from_pkcs8(&der).map_err(|e| fail("parse")(e.to_string()))?;
        return Ok(Signer { key, cert_pem });
    }
    let key = KeyPair::generate(KeySize::Rsa2048).map_err(|e| fail("generation")(e.to_string()))?;
    let der = key.as_der().map_err(|e| fail("export")(e.to_string()))?;
    let der = der.as_ref().to_vec();
    let cert_pem = self_signed_cert(&der)?;
    let sealed = store.seal(&der, KEY_SETTING.as_bytes()).map_err(|e| fail("seal")(e.to_string()))?;
    store.transaction(|t| {
        t.set_setting(KEY_SETTING, &B64.encode(&sealed))?;
        t.set_setting(CERT_SETTING, &cert_pem)
    })
    .map_err(|e: nimbus_store::StoreError| fail("store")(e.to_string()))?;
    Ok(Signer { key, cert_pem })
}

fn self_signed_cert(pkcs8: &[u8]) -> Result<String, ServiceError> {
    let pem = format!("-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n", B64.encode(pkcs8));
    let key = rcgen::KeyPair::from_pkcs8_pem_and_sign_algo(&pem, &rcgen::PKCS_RSA_SHA256).map_err(|e| fail("certificate key")(e.to_string()))?;
    let mut params = rcgen::CertificateParams::new(vec!["sns.localhost".to_owned()]).map_err(|e| fail("certificate")(e.to_string()))?;
    params.distinguished_name.push(rcgen::DnType::CommonName, "sns.amazonaws.com (Nimbus)");
    params.not_after = rcgen::date_time_ymd(2099, 12, 31);
    let cert = params.self_signed(&key).map_err(|e| fail("certificate")(e.to_string()))?;
    Ok(cert.pem())
}

impl Signer {
    /// Base64 RSA-SHA256 signature of AWS's string to sign for a message.
    pub fn sign(&self, string_to_sign: &str) -> Result<String, ServiceError> {
        let rng = aws_lc_rs::rand::SystemRandom::new();
        let mut signature = vec![0; self.key.public_modulus_len()];
        self.key
            .sign(&aws_lc_rs::signature::RSA_PKCS1_SHA256, &rng, string_to_sign.as_bytes(), &mut signature)
            .map_err(|e| fail("use")(e.to_string()))?;
        Ok(B64.encode(signature))
    }
}

/// AWS's string to sign: the named fields present in the message, each as `Name\nvalue\n`,
/// in this order (Notification: Message, MessageId, Subject if any, Timestamp, TopicArn, Type;
/// confirmations: Message, MessageId, SubscribeURL, Timestamp, Token, TopicArn, Type).
pub fn string_to_sign(message: &serde_json::Map<String, serde_json::Value>) -> String {
    let notification = message.get("Type").and_then(|t| t.as_str()) == Some("Notification");
    let fields: &[&str] = if notification {
        &["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"]
    } else {
        &["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"]
    };
    let mut out = String::new();
    for field in fields {
        if let Some(value) = message.get(*field).and_then(|v| v.as_str()) {
            out.push_str(field);
            out.push('\n');
            out.push_str(value);
            out.push('\n');
        }
    }
    out
}

/// Adds SignatureVersion, Signature and SigningCertURL to a message.
pub fn sign_message(signer: &Signer, base_url: &str, message: &mut serde_json::Map<String, serde_json::Value>) -> Result<(), ServiceError> {
    let signature = signer.sign(&string_to_sign(message))?;
    message.insert("SignatureVersion".into(), "2".into());
    message.insert("Signature".into(), signature.into());
    message.insert("SigningCertURL".into(), format!("{base_url}{CERT_PATH}").into());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lc_rs::signature::KeyPair as _;
    use serde_json::json;

    #[test]
    fn string_to_sign_follows_awss_field_order() {
        let m = json!({"Type": "Notification", "MessageId": "id", "TopicArn": "arn", "Message": "hi", "Timestamp": "t", "UnsubscribeURL": "u"});
        assert_eq!(string_to_sign(m.as_object().unwrap()), "Message\nhi\nMessageId\nid\nTimestamp\nt\nTopicArn\narn\nType\nNotification\n");
        let c = json!({"Type": "SubscriptionConfirmation", "MessageId": "id", "Token": "tok", "TopicArn": "arn", "Message": "m", "SubscribeURL": "s", "Timestamp": "t"});
        assert_eq!(string_to_sign(c.as_object().unwrap()), "Message\nm\nMessageId\nid\nSubscribeURL\ns\nTimestamp\nt\nToken\ntok\nTopicArn\narn\nType\nSubscriptionConfirmation\n");
    }

    #[test]
    fn signatures_verify_with_the_certificate_key_and_persist() {
        let store = Store::open_ephemeral().unwrap();
        let cell = SignerCell::default();
        let signer = cell.get(&store).unwrap();
        assert!(signer.cert_pem.starts_with("-----BEGIN CERTIFICATE-----"));
        let sig = B64.decode(signer.sign("Message\nhi\n").unwrap()).unwrap();
        let public = signer.key.public_key();
        let public = aws_lc_rs::signature::UnparsedPublicKey::new(&aws_lc_rs::signature::RSA_PKCS1_2048_8192_SHA256, public.as_ref());
        public.verify(b"Message\nhi\n", &sig).unwrap();
        assert!(public.verify(b"Message\nho\n", &sig).is_err());
        // A second cell (a restart) reads the same key back.
        let again = SignerCell::default();
        assert_eq!(again.get(&store).unwrap().cert_pem, signer.cert_pem);
    }
}
