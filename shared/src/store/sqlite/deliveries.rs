use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::params;

use super::pool::storage;
use super::rows::DeliveryRow;
use super::{SqliteStore, from_doc, int, writes};
use crate::domain::AccountId;
use crate::store::{Deliveries, Delivery, StoreResult};

#[async_trait]
impl Deliveries for SqliteStore {
    async fn record_delivery(&self, account: &AccountId, delivery: &Delivery) -> StoreResult<()> {
        let (account, row) = (account.to_string(), DeliveryRow::encode(delivery)?);
        self.pool
            .write_grouped(move |tx| writes::delivery(tx, &account, &row))
            .await
    }

    async fn recent_deliveries(
        &self,
        account: &AccountId,
        now: DateTime<Utc>,
        limit: usize,
    ) -> StoreResult<Vec<Delivery>> {
        let account = account.to_string();
        self.pool
            .run(move |conn, pool| {
                let mut stmt = conn
                    .prepare_cached(
                        "SELECT doc FROM deliveries WHERE account_id = ?1 AND expires_at > ?2 \
                         ORDER BY id DESC LIMIT ?3",
                    )
                    .map_err(storage)?;
                let docs: Vec<String> = stmt
                    .query_map(params![account, now.timestamp(), int(limit)], |r| r.get(0))
                    .and_then(Iterator::collect)
                    .map_err(storage)?;
                pool.count_read(&stmt, docs.len());
                docs.iter().map(|d| from_doc(d, "delivery")).collect()
            })
            .await
    }
}
