use async_trait::async_trait;
use rusqlite::{OptionalExtension, params};

use super::pool::storage;
use super::{SqliteStore, from_doc, to_doc};
use crate::domain::AccountId;
use crate::store::{StoreResult, SyncState, SyncStates};

#[async_trait]
impl SyncStates for SqliteStore {
    async fn sync_state(&self, account: &AccountId) -> StoreResult<SyncState> {
        let account = account.to_string();
        self.pool
            .run(move |conn, pool| {
                let mut stmt = conn
                    .prepare_cached("SELECT doc FROM sync_state WHERE account_id = ?1")
                    .map_err(storage)?;
                let doc: Option<String> = stmt
                    .query_row([&account], |r| r.get(0))
                    .optional()
                    .map_err(storage)?;
                pool.count_read(&stmt, usize::from(doc.is_some()));
                Ok(doc
                    .map(|d| from_doc(&d, "sync state"))
                    .transpose()?
                    .unwrap_or_default())
            })
            .await
    }

    async fn save_sync_state(&self, account: &AccountId, state: &SyncState) -> StoreResult<()> {
        let (account, doc) = (account.to_string(), to_doc(state)?);
        self.pool
            .write(move |conn, _| {
                conn.execute(
                    "INSERT INTO sync_state (account_id, doc) VALUES (?1, ?2) \
                     ON CONFLICT (account_id) DO UPDATE SET doc = excluded.doc",
                    params![account, doc],
                )
                .map(drop)
                .map_err(storage)
            })
            .await
    }
}
