use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::io::{Query, SortKey};
use super::{DynamoStore, doc, keys};
use crate::domain::AccountId;
use crate::store::{DELIVERY_RETENTION, Deliveries, Delivery, StoreResult};

#[async_trait]
impl Deliveries for DynamoStore {
    async fn record_delivery(&self, account: &AccountId, delivery: &Delivery) -> StoreResult<()> {
        self.client
            .put_item()
            .table_name(&*self.table)
            .set_item(Some(Self::delivery_item(account, delivery)?))
            .send()
            .await
            .map(drop)
            .map_err(|e| self.error(e))
    }

    /// Ids are ULIDs of the receive time and entries expire 30 days after it, so asking for ids
    /// after the ULID of "now - 30 days" leaves out expired entries exactly, whenever DynamoDB's
    /// TTL sweep gets round to deleting them.
    async fn recent_deliveries(
        &self,
        account: &AccountId,
        now: DateTime<Utc>,
        limit: usize,
    ) -> StoreResult<Vec<Delivery>> {
        let oldest = now - DELIVERY_RETENTION;
        let millis = u64::try_from(oldest.timestamp_millis()).unwrap_or(0);
        let boundary = ulid::Ulid::from_parts(millis, u128::MAX).to_string();
        let items = self
            .query(Query {
                index: None,
                partition: keys::deliveries(account),
                sort: Some(SortKey::After(boundary)),
                newest_first: true,
                limit: Some(limit),
            })
            .await?;
        items.into_iter().map(|i| doc(i, "delivery")).collect()
    }
}
