//! The SQLite store: the embedded default (`sqlite:booking-tracker.db`). One file, WAL mode,
//! every multi-record change in one `BEGIN IMMEDIATE` transaction, conditional on the revisions
//! read, exactly like the DynamoDB adapter. Schema: `schema.rs`.

mod accounts;
mod appointments;
mod checkpointer;
mod counters;
mod decoded;
mod deliveries;
mod leads;
mod meta;
mod pool;
mod rows;
mod schema;
mod sync_state;
mod writer;
mod writes;

use std::path::Path;
use std::sync::Arc;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::secrets::{KeyFile, Secrets};
use crate::store::{ReadStats, StoreError, StoreResult, Vault};
use pool::{Pool, storage};

/// The SQLite store. Cheap to clone; clones share the connection pool and the key ring.
#[derive(Clone, Debug)]
pub struct SqliteStore {
    pool: Arc<Pool>,
    secrets: Arc<Secrets>,
    accounts: Arc<decoded::DecodedAccounts>,
    /// Accounts whose plain-text secrets (from an older build) this open sealed.
    sealed_on_open: usize,
}

impl SqliteStore {
    /// Opens (creating if missing) the database at `path` and brings its schema up to date.
    /// Secrets are sealed with the key file beside it (`<path>.key`).
    pub async fn open(path: impl AsRef<Path>) -> StoreResult<Self> {
        let key_file = KeyFile::beside(path.as_ref());
        Self::open_with_key_file(path, key_file).await
    }

    /// Opens the database at `path`, its secrets sealed with `key_file`. Plain-text secrets
    /// left by a build from before sealing are sealed now (once).
    pub async fn open_with_key_file(
        path: impl AsRef<Path>,
        key_file: KeyFile,
    ) -> StoreResult<Self> {
        let pool = Arc::new(Pool::open(path.as_ref())?);
        pool.run(|conn, _| {
            schema::migrate(conn)
                .map_err(storage)?
                .map_err(StoreError::NotInitialised)
        })
        .await?;
        let mut store = Self {
            pool,
            secrets: Arc::new(Secrets::new(Arc::new(key_file))),
            accounts: Arc::default(),
            sealed_on_open: 0,
        };
        store.sealed_on_open = store.check_key_ring().await?;
        Ok(store)
    }

    /// What reads have done since the store was opened.
    pub fn read_stats(&self) -> ReadStats {
        self.pool.read_stats()
    }

    /// On first open after an upgrade, seals the plain-text secrets an older build stored; and
    /// when the database holds sealed secrets but the key file is gone, never makes a new key
    /// ring (the secrets then fail to open, naming the key file, until it is restored).
    /// Returns how many accounts it sealed.
    async fn check_key_ring(&self) -> StoreResult<usize> {
        let ring_in_use = self.pool.run(|conn, _| meta::key_ring(conn)).await?;
        if ring_in_use.is_some() && self.secrets.source().load().await.ok().flatten().is_none() {
            tracing::warn!(key_file = %self.secrets.source_name(), "the database holds sealed secrets but the key file holds no key ring");
            self.secrets.forbid_creating();
            return Ok(0);
        }
        if self.pool.run(|conn, _| meta::plain_sealed(conn)).await? {
            return Ok(0);
        }
        match crate::store::seal_plain_secrets(self).await {
            Ok(sealed) => {
                if sealed > 0 {
                    tracing::info!(
                        accounts = sealed,
                        "sealed the plain-text secrets of an older build"
                    );
                    // The plain text must not linger in freed pages or the WAL.
                    self.pool
                        .write(|conn| {
                            conn.execute_batch(
                                "PRAGMA wal_checkpoint(TRUNCATE); VACUUM; PRAGMA wal_checkpoint(TRUNCATE);",
                            )
                            .map_err(storage)
                        })
                        .await?;
                }
                self.pool.write(meta::set_plain_sealed).await?;
                Ok(sealed)
            }
            // The store still opens: webhooks answer 503 `secrets_unavailable` until the key
            // is there, and the next open tries again.
            Err(e) => {
                tracing::warn!(error = %e, "plain-text secrets not sealed yet");
                Ok(0)
            }
        }
    }

    /// Accounts whose plain-text secrets (from an older build) this open sealed.
    pub fn sealed_on_open(&self) -> usize {
        self.sealed_on_open
    }

    /// The schema version of this build.
    pub fn schema_version() -> usize {
        schema::VERSION
    }
}

pub(super) use crate::store::sortable_time as ts;

/// SQLite integers are signed; revisions and limits never come near the bound.
pub(super) fn int(value: impl TryInto<i64>) -> i64 {
    value.try_into().unwrap_or(i64::MAX)
}

pub(super) fn to_doc<T: Serialize>(value: &T) -> StoreResult<String> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt(format!("cannot encode: {e}")))
}

pub(super) fn from_doc<T: DeserializeOwned>(doc: &str, what: &str) -> StoreResult<T> {
    serde_json::from_str(doc).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

impl Vault for SqliteStore {
    fn secrets(&self) -> &Secrets {
        &self.secrets
    }
}
