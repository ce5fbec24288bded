//! Where STS finds an OpenID Connect provider's signing keys (its JWKS) to verify web identity
//! tokens. The binary implements it (an HTTP fetch of the issuer's discovery document, or an
//! in-process answer for providers Nimbus itself runs), so STS never makes network calls.

/// The signing keys of token issuers.
#[async_trait::async_trait]
pub trait IdentityKeys: Send + Sync {
    /// The JSON Web Key Set of `issuer` (a token's `iss`, e.g. `https://issuer.example/path`).
    /// `Err` says why the provider could not be reached; STS answers
    /// `IDPCommunicationError` with it.
    async fn signing_keys(&self, issuer: &str) -> Result<serde_json::Value, String>;
}
