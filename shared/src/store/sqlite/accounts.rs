use std::sync::Arc;

use async_trait::async_trait;
use rusqlite::{OptionalExtension, TransactionBehavior, params};

use super::pool::storage;
use super::{SqliteStore, from_doc, int, meta, to_doc};
use crate::accounts::{Account, ApiKeyHash};
use crate::domain::AccountId;
use crate::store::{Accounts, StoreError, StoreResult, key_ring_of, sealed_account};

#[async_trait]
impl Accounts for SqliteStore {
    async fn create_account(&self, account: &Account) -> StoreResult<Account> {
        let stored = Account {
            revision: 1,
            ..sealed_account(&self.secrets, account).await?
        };
        let ring = key_ring_of(&stored);
        let (id, hash, doc) = (
            stored.id.to_string(),
            stored.api_key_hash.as_hex().to_owned(),
            to_doc(&stored)?,
        );
        self.pool
            .write(move |conn| {
                let tx = conn
                    .transaction_with_behavior(TransactionBehavior::Immediate)
                    .map_err(storage)?;
                tx.execute(
                    "INSERT INTO accounts (id, doc, revision) VALUES (?1, ?2, 1)",
                    params![id, doc],
                )
                .map_err(|e| match storage(e) {
                    StoreError::Conflict => StoreError::AlreadyExists,
                    other => other,
                })?;
                tx.execute(
                    "INSERT INTO api_keys (hash, account_id) VALUES (?1, ?2)",
                    params![hash, id],
                )
                .map_err(storage)?;
                if let Some(ring) = ring {
                    meta::record_key_ring(&tx, &ring)?;
                }
                tx.commit().map_err(storage)
            })
            .await?;
        Ok(stored)
    }

    async fn get_account(&self, id: &AccountId) -> StoreResult<Option<Account>> {
        let (id, decoded) = (id.to_string(), Arc::clone(&self.accounts));
        self.pool
            .lookup(move |conn, pool| {
                let mut stmt = conn
                    .prepare_cached("SELECT doc FROM accounts WHERE id = ?1")
                    .map_err(storage)?;
                // The document is compared where SQLite holds it (`decoded.rs`), not copied.
                let account = stmt
                    .query_row([&id], |r| {
                        let doc = r.get_ref(0)?.as_str().map_err(rusqlite::Error::from)?;
                        Ok(decoded.decode(&id, doc))
                    })
                    .optional()
                    .map_err(storage)?
                    .transpose()?;
                pool.count_read(&stmt, usize::from(account.is_some()));
                Ok(account)
            })
            .await
    }

    async fn account_by_api_key(&self, hash: &ApiKeyHash) -> StoreResult<Option<Account>> {
        let hash = hash.as_hex().to_owned();
        self.pool
            .lookup(move |conn, pool| {
                let mut stmt = conn
                    .prepare_cached(
                        "SELECT a.doc FROM api_keys k JOIN accounts a ON a.id = k.account_id \
                         WHERE k.hash = ?1",
                    )
                    .map_err(storage)?;
                let doc: Option<String> = stmt
                    .query_row([&hash], |r| r.get(0))
                    .optional()
                    .map_err(storage)?;
                pool.count_read(&stmt, usize::from(doc.is_some()));
                doc.map(|d| from_doc(&d, "account")).transpose()
            })
            .await
    }

    async fn list_accounts(&self) -> StoreResult<Vec<Account>> {
        self.pool
            .run(move |conn, pool| {
                let mut stmt = conn
                    .prepare_cached("SELECT doc FROM accounts ORDER BY id")
                    .map_err(storage)?;
                let docs: Vec<String> = stmt
                    .query_map([], |r| r.get(0))
                    .and_then(Iterator::collect)
                    .map_err(storage)?;
                pool.count_read(&stmt, docs.len());
                docs.iter().map(|d| from_doc(d, "account")).collect()
            })
            .await
    }

    async fn update_account(&self, account: &Account) -> StoreResult<Account> {
        let stored = Account {
            revision: account.revision + 1,
            ..sealed_account(&self.secrets, account).await?
        };
        let ring = key_ring_of(&stored);
        let (id, doc, read_revision) = (
            stored.id.to_string(),
            to_doc(&stored)?,
            int(account.revision),
        );
        let hash = stored.api_key_hash.as_hex().to_owned();
        self.pool
            .write(move |conn| {
                let tx = conn
                    .transaction_with_behavior(TransactionBehavior::Immediate)
                    .map_err(storage)?;
                let changed = tx
                    .execute(
                        "UPDATE accounts SET doc = ?2, revision = revision + 1 \
                         WHERE id = ?1 AND revision = ?3",
                        params![id, doc, read_revision],
                    )
                    .map_err(storage)?;
                if changed == 0 {
                    return Err(StoreError::Conflict);
                }
                // The key entry follows the account's current hash; a rotated key stops
                // working in the same transaction.
                tx.execute(
                    "DELETE FROM api_keys WHERE account_id = ?1 AND hash <> ?2",
                    params![id, hash],
                )
                .map_err(storage)?;
                tx.execute(
                    "INSERT OR IGNORE INTO api_keys (hash, account_id) VALUES (?1, ?2)",
                    params![hash, id],
                )
                .map_err(storage)?;
                if let Some(ring) = ring {
                    meta::record_key_ring(&tx, &ring)?;
                }
                tx.commit().map_err(storage)
            })
            .await?;
        Ok(stored)
    }
}
