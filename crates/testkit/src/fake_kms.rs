//! A small in-memory [`KeyManager`] with KMS's key states and errors, so the tests of services
//! that encrypt need no dependency on svc-kms (the real one is exercised by the binary's Python
//! tests).

use std::collections::HashMap;
use std::sync::Mutex;

use nimbus_core::kms::EncryptionContext;
use nimbus_core::{DataKey, Decrypted, KeyManager, KmsCaller, ServiceError};

struct Key {
    arn: String,
    enabled: bool,
    material: [u8; 32],
}

#[derive(Default)]
pub struct FakeKms {
    /// By key id.
    keys: Mutex<HashMap<String, Key>>,
    /// Alias name (`alias/...`) → key id.
    aliases: Mutex<HashMap<String, String>>,
    /// GenerateDataKey and Encrypt calls so far.
    pub encrypts: std::sync::atomic::AtomicUsize,
}

fn key_arn(caller: KmsCaller, id: &str) -> String {
    format!("arn:aws:kms:{}:{}:key/{id}", caller.region, caller.account_id)
}

/// 32 random bytes (alphanumeric: plenty for a test key).
fn random_32() -> [u8; 32] {
    nimbus_core::ids::random_from(nimbus_core::ids::ALNUM, 32).into_bytes().try_into().unwrap()
}

fn context_aad(context: EncryptionContext) -> Vec<u8> {
    let mut pairs: Vec<_> = context.to_vec();
    pairs.sort();
    pairs.iter().map(|(k, v)| format!("{k}={v};")).collect::<String>().into_bytes()
}

impl FakeKms {
    pub fn new() -> FakeKms {
        FakeKms::default()
    }

    /// Creates an enabled key; returns its id.
    pub fn create_key(&self, caller: KmsCaller) -> String {
        let id = nimbus_core::ids::uuid();
        let key = Key { arn: key_arn(caller, &id), enabled: true, material: random_32() };
        self.keys.lock().unwrap().insert(id.clone(), key);
        id
    }

    pub fn create_alias(&self, alias: &str, key_id: &str) {
        self.aliases.lock().unwrap().insert(alias.to_owned(), key_id.to_owned());
    }

    pub fn set_enabled(&self, key_id: &str, enabled: bool) {
        self.keys.lock().unwrap().get_mut(key_id).expect("key").enabled = enabled;
    }

    pub fn arn_of(&self, key_id: &str) -> String {
        self.keys.lock().unwrap()[key_id].arn.clone()
    }

    /// The key id an alias names, if the alias exists.
    pub fn alias_target(&self, alias: &str) -> Option<String> {
        self.aliases.lock().unwrap().get(alias).cloned()
    }

    /// Resolves `key_id` to (id, arn, material) of a usable key, as Encrypt would.
    fn usable(&self, caller: KmsCaller, key_id: &str) -> Result<(String, String, [u8; 32]), ServiceError> {
        let resource = key_id.rsplit_once(':').map_or(key_id, |(_, r)| r);
        let id = if let Some(alias) = resource.strip_prefix("alias/").map(|a| format!("alias/{a}")) {
            let target = self.alias_target(&alias);
            match target {
                Some(id) => id,
                None if alias.starts_with("alias/aws/") => {
                    let id = self.create_key(caller);
                    self.create_alias(&alias, &id);
                    id
                }
                None => {
                    return Err(ServiceError::new(
                        "NotFoundException",
                        format!("Alias arn:aws:kms:{}:{}:{alias} is not found.", caller.region, caller.account_id),
                    ));
                }
            }
        } else {
            resource.trim_start_matches("key/").to_owned()
        };
        let keys = self.keys.lock().unwrap();
        let Some(key) = keys.get(&id) else {
            return Err(ServiceError::new(
                "NotFoundException",
                format!("Key '{}' does not exist", key_arn(caller, &id)),
            ));
        };
        if !key.enabled {
            return Err(ServiceError::new("DisabledException", format!("{} is disabled.", key.arn)));
        }
        Ok((id, key.arn.clone(), key.material))
    }

    fn seal(&self, id: &str, material: &[u8; 32], plaintext: &[u8], context: EncryptionContext) -> Vec<u8> {
        let mut out = id.as_bytes().to_vec();
        out.push(0);
        out.extend(nimbus_store::seal_with_key(material, plaintext, &context_aad(context)).unwrap());
        out
    }
}

impl KeyManager for FakeKms {
    fn resolve_key(&self, caller: KmsCaller, key_id: &str) -> Result<String, ServiceError> {
        Ok(self.usable(caller, key_id)?.1)
    }

    fn generate_data_key(
        &self,
        caller: KmsCaller,
        key_id: &str,
        context: EncryptionContext,
    ) -> Result<DataKey, ServiceError> {
        let (id, arn, material) = self.usable(caller, key_id)?;
        self.encrypts.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let plaintext = random_32();
        Ok(DataKey {
            plaintext: plaintext.to_vec(),
            ciphertext: self.seal(&id, &material, &plaintext, context),
            key_arn: arn,
        })
    }

    fn encrypt(
        &self,
        caller: KmsCaller,
        key_id: &str,
        plaintext: &[u8],
        context: EncryptionContext,
    ) -> Result<Vec<u8>, ServiceError> {
        let (id, _, material) = self.usable(caller, key_id)?;
        self.encrypts.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Ok(self.seal(&id, &material, plaintext, context))
    }

    fn decrypt(
        &self,
        caller: KmsCaller,
        ciphertext: &[u8],
        context: EncryptionContext,
    ) -> Result<Decrypted, ServiceError> {
        let invalid = || ServiceError::new("InvalidCiphertextException", "");
        let split = ciphertext.iter().position(|&b| b == 0).ok_or_else(invalid)?;
        let id = std::str::from_utf8(&ciphertext[..split]).map_err(|_| invalid())?;
        let (_, arn, material) = self.usable(caller, id)?;
        let plaintext = nimbus_store::unseal_with_key(&material, &ciphertext[split + 1..], &context_aad(context))
            .map_err(|_| invalid())?;
        Ok(Decrypted { plaintext, key_arn: arn })
    }
}
