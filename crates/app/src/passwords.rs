//! Argon2id password hashing, off the async runtime's worker threads.

use std::sync::Arc;

use argon2::{Algorithm, Argon2, Params, PasswordHasher as _, PasswordVerifier as _, Version};
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::{OnceCell, Semaphore};

use crate::config::AuthSettings;

/// Hashes and verifies passwords with Argon2id, off the async runtime's
/// worker threads (a hash takes tens of milliseconds of CPU).
///
/// At most one hash per core runs at once: each needs
/// `auth.argon2_memory_kib` (19 MiB by default) for its duration, and more
/// hashes than cores only add memory, not throughput. A burst of 24 logins
/// once took the server to 376 MiB.
#[derive(Clone)]
pub struct PasswordHasher {
    params: Params,
    running: Arc<Semaphore>,
    /// A hash of a random password with the same parameters, verified against
    /// when the e-mail is unknown, so that both answers take as long.
    dummy_hash: Arc<OnceCell<String>>,
}

#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("password hashing failed: {0}")]
    Hash(String),
    #[error("hashing task failed")]
    Join(#[from] tokio::task::JoinError),
}

impl PasswordHasher {
    pub fn new(settings: &AuthSettings) -> Result<Self, PasswordError> {
        let params = Params::new(
            settings.argon2_memory_kib,
            settings.argon2_iterations,
            settings.argon2_parallelism,
            None,
        )
        .map_err(|e| PasswordError::Hash(e.to_string()))?;
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Ok(PasswordHasher {
            params,
            running: Arc::new(Semaphore::new(cores)),
            dummy_hash: Arc::new(OnceCell::new()),
        })
    }

    fn argon2(params: Params) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
    }

    /// Waits for a free slot; the blocking task keeps it until the hash is
    /// done, even when the request that wanted it has gone.
    async fn slot(&self) -> Result<tokio::sync::OwnedSemaphorePermit, PasswordError> {
        self.running
            .clone()
            .acquire_owned()
            .await
            .map_err(|e| PasswordError::Hash(e.to_string()))
    }

    pub async fn hash(&self, password: SecretString) -> Result<String, PasswordError> {
        let params = self.params.clone();
        let slot = self.slot().await?;
        tokio::task::spawn_blocking(move || {
            let _slot = slot;
            Self::argon2(params)
                .hash_password(password.expose_secret().as_bytes())
                .map(|hash| hash.to_string())
                .map_err(|e| PasswordError::Hash(e.to_string()))
        })
        .await?
    }

    /// Checks `password` against `hash`, or against the dummy hash when there
    /// is no account, so that the time taken does not tell which it was.
    pub async fn verify(
        &self,
        password: SecretString,
        hash: Option<String>,
    ) -> Result<bool, PasswordError> {
        let (hash, real) = match hash {
            Some(hash) => (hash, true),
            None => (self.dummy_hash().await?, false),
        };
        let params = self.params.clone();
        let slot = self.slot().await?;
        let matches = tokio::task::spawn_blocking(move || {
            let _slot = slot;
            Self::argon2(params)
                .verify_password(password.expose_secret().as_bytes(), hash.as_str())
                .is_ok()
        })
        .await?;
        Ok(real && matches)
    }

    async fn dummy_hash(&self) -> Result<String, PasswordError> {
        self.dummy_hash
            .get_or_try_init(|| async {
                let random: [u8; 16] = rand::random();
                let password: String = random.iter().map(|b| format!("{b:02x}")).collect();
                self.hash(SecretString::from(password)).await
            })
            .await
            .cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hasher() -> PasswordHasher {
        PasswordHasher {
            params: Params::new(64, 1, 1, None).unwrap_or_default(),
            running: Arc::new(Semaphore::new(1)),
            dummy_hash: Arc::new(OnceCell::new()),
        }
    }

    #[tokio::test]
    async fn a_hash_verifies_its_password_only() {
        let hasher = hasher();
        let hash = hasher.hash("correct horse battery".into()).await;
        let hash = hash.ok();
        assert!(hash.as_deref().is_some_and(|h| h.starts_with("$argon2id$")));
        assert!(matches!(
            hasher
                .verify("correct horse battery".into(), hash.clone())
                .await,
            Ok(true)
        ));
        assert!(matches!(
            hasher.verify("wrong horse battery".into(), hash).await,
            Ok(false)
        ));
        assert!(matches!(
            hasher.verify("anything".into(), None).await,
            Ok(false)
        ));
    }
}
