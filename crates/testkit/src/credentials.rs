//! An in-memory [`CredentialRegistry`], as STS and IAM register the keys they issue.

use std::collections::HashMap;
use std::sync::Mutex;

use nimbus_core::{Credential, CredentialRegistry, ServiceError};

#[derive(Default)]
pub struct MemoryRegistry(Mutex<HashMap<String, Credential>>);

impl CredentialRegistry for MemoryRegistry {
    fn lookup(&self, id: &str) -> Option<Credential> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).get(id).cloned()
    }
    fn register(&self, c: Credential) -> Result<(), ServiceError> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).insert(c.access_key_id.clone(), c);
        Ok(())
    }
    fn remove(&self, id: &str) -> Result<(), ServiceError> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).remove(id);
        Ok(())
    }
}
