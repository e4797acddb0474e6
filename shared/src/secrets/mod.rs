//! Tenant secrets at rest (SPEC §6): every Cal.com webhook secret, Calendly signing key, Cal.com
//! API key, Calendly token and Google private key is sealed with AES-256-GCM under a data key,
//! bound to its account and field. The data keys form a key ring kept by a [`KeySource`]: a key
//! file beside the SQLite database, or the table itself on AWS, wrapped by KMS. The ring is
//! read once, and only when a secret is opened or sealed, so a request that needs no secret
//! (metrics) never touches a key.

mod cipher;
mod field;
mod keyfile;
mod keyring;
mod stored;

pub use cipher::{DataKey, KEY_LEN, SEALED_PREFIX};
pub use field::SecretField;
pub use keyfile::{KEY_FILE_VAR, KeyFile};
pub use keyring::{Keyring, OpenError};
pub use stored::StoredSecret;

use std::sync::Arc;

use async_trait::async_trait;
use tokio::sync::Mutex;

use crate::domain::{AccountId, Secret};

/// Why secrets could not be opened or sealed. Each message names the key file or KMS key.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SecretsError {
    /// No key is configured or the key ring is gone: nothing sealed can open.
    #[error("{0}")]
    Missing(String),
    /// The key source could not be reached or read (a KMS error, an unreadable file).
    #[error("{0}")]
    Unavailable(String),
    /// A sealed value does not open with the key ring here.
    #[error("the {field} of account {account} does not open with {source_name}: {why}")]
    WrongKey {
        account: String,
        field: SecretField,
        source_name: String,
        why: OpenError,
    },
    /// The key ring changed while it was being changed here (a concurrent rotation).
    #[error("{0} changed meanwhile; run the command again")]
    Conflict(String),
}

impl SecretsError {
    pub fn code(&self) -> &'static str {
        "secrets_unavailable"
    }
}

/// Where a store keeps its key ring.
#[async_trait]
pub trait KeySource: Send + Sync + std::fmt::Debug {
    /// What errors name: "the key file /data/booking-tracker.db.key", "the KMS key alias/bt".
    fn name(&self) -> String;
    /// The key ring, or `None` if none was ever made here.
    async fn load(&self) -> Result<Option<Keyring>, SecretsError>;
    /// Writes `ring`: a first ring when `replacing` is `None` (refused with `Conflict` if one
    /// exists by then), else in place of `replacing` (refused if the ring changed meanwhile).
    async fn save(&self, ring: &Keyring, replacing: Option<&Keyring>) -> Result<(), SecretsError>;
    /// A fresh data key (KMS `GenerateDataKey`, or the system's randomness).
    async fn new_key(&self) -> Result<DataKey, SecretsError>;
}

/// A store's secrets: opens sealed values with its key ring (loaded on first use, and again
/// when a value needs a version it lacks) and seals new ones with the current key.
#[derive(Debug)]
pub struct Secrets {
    source: Arc<dyn KeySource>,
    cached: Mutex<Option<Arc<Keyring>>>,
    /// Whether a first key ring may be made when none exists. A store that finds sealed values
    /// but no key ring (a lost key file) turns this off rather than make a second ring.
    may_create: std::sync::atomic::AtomicBool,
}

impl Secrets {
    pub fn new(source: Arc<dyn KeySource>) -> Self {
        Self {
            source,
            cached: Mutex::new(None),
            may_create: std::sync::atomic::AtomicBool::new(true),
        }
    }

    /// What errors name.
    pub fn source_name(&self) -> String {
        self.source.name()
    }

    pub fn source(&self) -> &Arc<dyn KeySource> {
        &self.source
    }

    /// Sealed values exist without a key ring: never make a new one here.
    pub fn forbid_creating(&self) {
        self.may_create
            .store(false, std::sync::atomic::Ordering::Relaxed);
    }

    /// The key ring as loaded now (not cached), or an error when none exists.
    pub async fn load(&self) -> Result<Arc<Keyring>, SecretsError> {
        let loaded = self.source.load().await?.map(Arc::new);
        *self.cached.lock().await = loaded.clone();
        loaded.ok_or_else(|| self.missing())
    }

    fn missing(&self) -> SecretsError {
        SecretsError::Missing(format!(
            "{} holds no key ring, so sealed secrets cannot be opened; restore it from the backup made with the store",
            self.source.name()
        ))
    }

    /// Opens a secret of `account`. A plain value (from before sealing) is returned as is.
    pub async fn open(
        &self,
        account: &AccountId,
        field: SecretField,
        stored: &StoredSecret,
    ) -> Result<Secret, SecretsError> {
        let sealed = match stored {
            StoredSecret::Plain(secret) => return Ok(secret.clone()),
            StoredSecret::Sealed(text) => text,
        };
        let cached = self.cached.lock().await.clone();
        let ring = match cached {
            Some(ring) => ring,
            None => self.load().await?,
        };
        match ring.open(account, field, sealed) {
            Ok(secret) => Ok(secret),
            // Rotated by another process since the ring was read: read it again, once.
            Err(OpenError::UnknownVersion(_) | OpenError::OtherRing { .. }) => {
                let fresh = self.load().await?;
                fresh
                    .open(account, field, sealed)
                    .map_err(|why| self.wrong_key(account, field, why))
            }
            Err(why) => Err(self.wrong_key(account, field, why)),
        }
    }

    fn wrong_key(&self, account: &AccountId, field: SecretField, why: OpenError) -> SecretsError {
        SecretsError::WrongKey {
            account: account.to_string(),
            field,
            source_name: self.source.name(),
            why,
        }
    }

    /// The ring new values are sealed with, read afresh (a rotation elsewhere must not leave
    /// values sealed with a retired key), and made on first use.
    pub async fn sealing_ring(&self) -> Result<Arc<Keyring>, SecretsError> {
        if let Some(ring) = self.source.load().await? {
            let ring = Arc::new(ring);
            *self.cached.lock().await = Some(Arc::clone(&ring));
            return Ok(ring);
        }
        if !self.may_create.load(std::sync::atomic::Ordering::Relaxed) {
            return Err(self.missing());
        }
        let first =
            Keyring::new(self.source.new_key().await?).map_err(SecretsError::Unavailable)?;
        match self.source.save(&first, None).await {
            Ok(()) => {
                tracing::info!(source = %self.source.name(), "created the key ring");
                let ring = Arc::new(first);
                *self.cached.lock().await = Some(Arc::clone(&ring));
                Ok(ring)
            }
            // Another process made it first: use theirs.
            Err(SecretsError::Conflict(_)) => self.load().await,
            Err(e) => Err(e),
        }
    }
}
