//! Access tokens (HS256 JWTs) and refresh tokens (random, stored hashed).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::config::AuthSettings;

const ISSUER: &str = "kartei";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccessClaims {
    pub sub: Uuid,
    /// The session (refresh-token family) the token was issued in, so that
    /// ending the session ends its access tokens at once (ADR 0004).
    pub sid: Uuid,
    pub iat: i64,
    pub exp: i64,
    pub iss: String,
}

pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    /// Secret material for keyed hashes of throttling keys.
    hash_key: Vec<u8>,
    pub access_lifetime: Duration,
    pub refresh_lifetime: Duration,
    /// The absolute lifetime of a refresh-token family.
    pub family_lifetime: Duration,
    /// How long a spent refresh token still gets a pair (two tabs at once).
    pub reuse_grace: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("token invalid")]
    Invalid,
    #[error("token expired")]
    Expired,
    #[error("token could not be signed")]
    Signing(#[source] jsonwebtoken::errors::Error),
}

impl TokenKeys {
    pub fn new(settings: &AuthSettings) -> Self {
        let secret = settings.jwt_secret.expose_secret().as_bytes();
        let mut validation = Validation::new(Algorithm::HS256);
        // Expiry is checked against kartei's own clock (see `verify`), which
        // tests can move; the library still requires the claim.
        validation.validate_exp = false;
        validation.leeway = 0;
        validation.set_required_spec_claims(&["exp", "sub", "iss"]);
        validation.set_issuer(&[ISSUER]);
        TokenKeys {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            hash_key: secret.to_vec(),
            access_lifetime: Duration::minutes(i64::from(settings.access_token_minutes)),
            refresh_lifetime: Duration::days(i64::from(settings.refresh_token_days)),
            family_lifetime: Duration::days(i64::from(settings.refresh_family_max_days)),
            reuse_grace: Duration::seconds(i64::from(settings.refresh_reuse_grace_seconds)),
        }
    }

    pub fn issue_access(
        &self,
        user_id: Uuid,
        session_id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<String, TokenError> {
        let claims = AccessClaims {
            sub: user_id,
            sid: session_id,
            iat: now.timestamp(),
            exp: (now + self.access_lifetime).timestamp(),
            iss: ISSUER.to_owned(),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(TokenError::Signing)
    }

    pub fn verify_access(
        &self,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<AccessClaims, TokenError> {
        let data = jsonwebtoken::decode::<AccessClaims>(token, &self.decoding, &self.validation)
            .map_err(|_| TokenError::Invalid)?;
        if data.claims.exp <= now.timestamp() {
            return Err(TokenError::Expired);
        }
        Ok(data.claims)
    }

    /// A keyed hash, for values that must be compared but not stored in the
    /// clear (the e-mail and client address of failed logins).
    pub fn keyed_hash(&self, purpose: &str, value: &str) -> String {
        let mut hasher = Sha256::new();
        hasher.update(&self.hash_key);
        hasher.update([0]);
        hasher.update(purpose.as_bytes());
        hasher.update([0]);
        hasher.update(value.as_bytes());
        hex(&hasher.finalize())
    }
}

/// A new refresh token: 256 random bits, URL-safe.
pub fn new_refresh_token() -> String {
    let bytes: [u8; 32] = rand::random();
    URL_SAFE_NO_PAD.encode(bytes)
}

/// How a refresh token is stored: SHA-256, hex. The token has 256 bits of
/// entropy, so a fast hash is enough.
pub fn refresh_token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
