use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

use super::pool::storage;
use super::{SqliteStore, from_doc, to_doc};
use crate::domain::AccountId;
use crate::store::{LeaseTaken, StoreResult, SyncLease, SyncState, SyncStates, sortable_time};

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
            .write(move |conn| {
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

    async fn take_sync_lease(
        &self,
        account: &AccountId,
        lease: &SyncLease,
        now: DateTime<Utc>,
    ) -> StoreResult<LeaseTaken> {
        let account = account.to_string();
        let (holder, expires_at, now) = (
            lease.holder.clone(),
            sortable_time(lease.expires_at),
            sortable_time(now),
        );
        self.pool
            .write(move |conn| {
                let taken = conn
                    .prepare_cached(
                        "INSERT INTO sync_leases (account_id, holder, expires_at) VALUES (?1, ?2, ?3) \
                         ON CONFLICT (account_id) DO UPDATE \
                         SET holder = excluded.holder, expires_at = excluded.expires_at \
                         WHERE sync_leases.expires_at < ?4 OR sync_leases.holder = excluded.holder",
                    )
                    .and_then(|mut stmt| stmt.execute(params![account, holder, expires_at, now]))
                    .map_err(storage)?;
                if taken == 1 {
                    return Ok(LeaseTaken::Taken);
                }
                let until: Option<String> = conn
                    .query_row(
                        "SELECT expires_at FROM sync_leases WHERE account_id = ?1",
                        [&account],
                        |r| r.get(0),
                    )
                    .optional()
                    .map_err(storage)?;
                Ok(LeaseTaken::HeldUntil(until.and_then(|t| {
                    DateTime::parse_from_rfc3339(&t)
                        .ok()
                        .map(|t| t.with_timezone(&Utc))
                })))
            })
            .await
    }

    async fn release_sync_lease(&self, account: &AccountId, holder: &str) -> StoreResult<()> {
        let (account, holder) = (account.to_string(), holder.to_owned());
        self.pool
            .write(move |conn| {
                conn.execute(
                    "DELETE FROM sync_leases WHERE account_id = ?1 AND holder = ?2",
                    params![account, holder],
                )
                .map(drop)
                .map_err(storage)
            })
            .await
    }
}
