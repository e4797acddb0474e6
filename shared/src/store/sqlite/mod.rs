//! The SQLite store: the embedded default (`sqlite:booking-tracker.db`). One file, WAL mode,
//! every multi-record change in one `BEGIN IMMEDIATE` transaction, conditional on the revisions
//! read, exactly like the DynamoDB adapter. Schema: `schema.rs`.

mod accounts;
mod appointments;
mod counters;
mod deliveries;
mod leads;
mod pool;
mod schema;
mod sync_state;
mod writes;

use std::path::Path;
use std::sync::Arc;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::store::{ReadStats, StoreError, StoreResult};
use pool::{Pool, storage};

/// The SQLite store. Cheap to clone; clones share the connection pool.
#[derive(Clone, Debug)]
pub struct SqliteStore {
    pool: Arc<Pool>,
}

impl SqliteStore {
    /// Opens (creating if missing) the database at `path` and brings its schema up to date.
    pub async fn open(path: impl AsRef<Path>) -> StoreResult<Self> {
        let pool = Arc::new(Pool::new(path.as_ref()));
        pool.run(|conn, _| {
            schema::migrate(conn)
                .map_err(storage)?
                .map_err(StoreError::NotInitialised)
        })
        .await?;
        Ok(Self { pool })
    }

    /// What reads have done since the store was opened.
    pub fn read_stats(&self) -> ReadStats {
        self.pool.read_stats()
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
