//! OIDC providers' signing keys for STS's AssumeRoleWithWebIdentity: the issuer's discovery
//! document (`<issuer>/.well-known/openid-configuration`) names its `jwks_uri`, fetched over
//! HTTP or HTTPS (`http_client.rs`; a local identity provider, a test's, or a public one). Keys are kept for a minute, so a
//! provider's key rotation shows within one.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use bytes::Bytes;
use nimbus_core::IdentityKeys;
use serde_json::Value;

use crate::http_client::{self, CallError};

const FETCH_TIMEOUT: Duration = Duration::from_secs(5);
const KEEP_FOR: Duration = Duration::from_secs(60);

#[derive(Default)]
pub struct OidcKeys {
    kept: Mutex<HashMap<String, (Instant, Value)>>,
}

impl OidcKeys {
    async fn fetch(&self, issuer: &str) -> Result<Value, String> {
        let discovery_url = format!("{}/.well-known/openid-configuration", issuer.trim_end_matches('/'));
        let discovery = get_json(&discovery_url).await?;
        let jwks_uri = discovery.get("jwks_uri").and_then(Value::as_str).ok_or_else(|| format!("{discovery_url} names no jwks_uri"))?;
        let jwks = get_json(jwks_uri).await?;
        if !jwks.get("keys").is_some_and(Value::is_array) {
            return Err(format!("{jwks_uri} is not a JSON Web Key Set"));
        }
        Ok(jwks)
    }
}

#[async_trait::async_trait]
impl IdentityKeys for OidcKeys {
    async fn signing_keys(&self, issuer: &str) -> Result<Value, String> {
        let fresh = {
            let kept = self.kept.lock().unwrap_or_else(|p| p.into_inner());
            kept.get(issuer).filter(|(at, _)| at.elapsed() < KEEP_FOR).map(|(_, keys)| keys.clone())
        };
        if let Some(keys) = fresh {
            return Ok(keys);
        }
        let keys = self.fetch(issuer).await?;
        self.kept.lock().unwrap_or_else(|p| p.into_inner()).insert(issuer.to_owned(), (Instant::now(), keys.clone()));
        Ok(keys)
    }
}

async fn get_json(url: &str) -> Result<Value, String> {
    let (status, body) = http_client::call(http::Method::GET, url, &[], Bytes::new(), FETCH_TIMEOUT).await.map_err(|e| match e {
        CallError::Unusable(why) | CallError::Failed(why) => why,
    })?;
    if !status.is_success() {
        return Err(format!("{url} answered {status}"));
    }
    serde_json::from_slice(&body).map_err(|e| format!("{url} did not answer JSON: {e}"))
}
