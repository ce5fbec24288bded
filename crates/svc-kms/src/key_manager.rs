//! KMS as other services use it ([`KeyManager`]): the same keys, checks and ciphertexts as the
//! API's Encrypt, Decrypt and GenerateDataKey, so a secret or object encrypted through a service
//! decrypts with KMS's Decrypt and the other way round.

use std::collections::BTreeMap;

use nimbus_core::kms::EncryptionContext;
use nimbus_core::{DataKey, Decrypted, KeyManager, KmsCaller, Principal, RequestContext, ServiceError};

use crate::crypto::require_symmetric_encryption;
use crate::errors::validation;
use crate::lookup::check_usable;
use crate::material::random_bytes;
use crate::records::KeyRecord;
use crate::{Inner, Kms};

/// The largest plaintext Encrypt takes.
const MAX_PLAINTEXT: usize = 4096;

fn caller_context(caller: KmsCaller, operation: &str) -> RequestContext {
    RequestContext {
        request_id: nimbus_core::ids::request_id(),
        account_id: caller.account_id.to_owned(),
        region: caller.region.to_owned(),
        principal: Principal::account_root(caller.account_id),
        service: "kms".to_owned(),
        operation: operation.to_owned(),
        source_ip: None,
        host: None,
    }
}

fn context_map(context: EncryptionContext) -> BTreeMap<String, String> {
    context.iter().cloned().collect()
}

impl Inner {
    fn service_key(&self, caller: KmsCaller, key_id: &str, operation: &str) -> Result<KeyRecord, ServiceError> {
        let ctx = caller_context(caller, operation);
        let key = self.find_key(&ctx, key_id, true)?;
        check_usable(&key)?;
        require_symmetric_encryption(&key, operation)?;
        Ok(key)
    }
}

impl KeyManager for Kms {
    fn resolve_key(&self, caller: KmsCaller, key_id: &str) -> Result<String, ServiceError> {
        Ok(self.inner.service_key(caller, key_id, "Encrypt")?.arn())
    }

    fn generate_data_key(&self, caller: KmsCaller, key_id: &str, context: EncryptionContext) -> Result<DataKey, ServiceError> {
        let key = self.inner.service_key(caller, key_id, "GenerateDataKey")?;
        let plaintext = random_bytes(32)?;
        let ciphertext = self.inner.seal_for(&key, &plaintext, &context_map(context))?;
        Ok(DataKey { plaintext, ciphertext, key_arn: key.arn() })
    }

    fn encrypt(&self, caller: KmsCaller, key_id: &str, plaintext: &[u8], context: EncryptionContext) -> Result<Vec<u8>, ServiceError> {
        if plaintext.is_empty() || plaintext.len() > MAX_PLAINTEXT {
            return Err(validation(format!(
                "1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member must have length between 1 and {MAX_PLAINTEXT}"
            ))
            .into());
        }
        let key = self.inner.service_key(caller, key_id, "Encrypt")?;
        Ok(self.inner.seal_for(&key, plaintext, &context_map(context))?)
    }

    fn decrypt(&self, caller: KmsCaller, ciphertext: &[u8], context: EncryptionContext) -> Result<Decrypted, ServiceError> {
        let opened = self.inner.open_symmetric(caller.region, ciphertext, &context_map(context), None, false)?;
        Ok(Decrypted { plaintext: opened.plaintext, key_arn: opened.key.arn() })
    }
}
