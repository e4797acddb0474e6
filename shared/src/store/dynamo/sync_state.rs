use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::table::TABLE;
use super::{DynamoStore, doc, item, key, keys, n, s, string_attr};
use crate::domain::AccountId;
use crate::store::{
    LeaseTaken, StoreError, StoreResult, SyncLease, SyncState, SyncStates, sortable_time,
};

/// Expired leases are deleted by DynamoDB's TTL this long after they expire.
const LEASE_TTL_AFTER_EXPIRY_SECS: i64 = 86_400;

#[async_trait]
impl SyncStates for DynamoStore {
    async fn sync_state(&self, account: &AccountId) -> StoreResult<SyncState> {
        Ok(self
            .get(keys::account(account), keys::SYNC_SK)
            .await?
            .map(|i| doc(i, "sync state"))
            .transpose()?
            .unwrap_or_default())
    }

    async fn save_sync_state(&self, account: &AccountId, state: &SyncState) -> StoreResult<()> {
        let item = item(
            state,
            &[
                (TABLE.partition_key, keys::account(account)),
                (TABLE.sort_key, keys::SYNC_SK.to_owned()),
            ],
        )?;
        self.client
            .put_item()
            .table_name(&*self.table)
            .set_item(Some(item))
            .send()
            .await
            .map(drop)
            .map_err(|e| self.error(e))
    }

    async fn take_sync_lease(
        &self,
        account: &AccountId,
        lease: &SyncLease,
        now: DateTime<Utc>,
    ) -> StoreResult<LeaseTaken> {
        let mut item = key(keys::account(account), keys::SYNC_LEASE_SK);
        item.insert("holder".into(), s(&lease.holder));
        item.insert("expiresAt".into(), s(sortable_time(lease.expires_at)));
        item.insert(
            "ttl".into(),
            n(lease.expires_at.timestamp() + LEASE_TTL_AFTER_EXPIRY_SECS),
        );
        let put = self
            .client
            .put_item()
            .table_name(&*self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(#pk) OR #exp < :now OR #holder = :holder")
            .expression_attribute_names("#pk", TABLE.partition_key)
            .expression_attribute_names("#exp", "expiresAt")
            .expression_attribute_names("#holder", "holder")
            .expression_attribute_values(":now", s(sortable_time(now)))
            .expression_attribute_values(":holder", s(&lease.holder))
            .send()
            .await;
        match put.map_err(|e| self.error(e)) {
            Ok(_) => Ok(LeaseTaken::Taken),
            Err(StoreError::Conflict) => {
                let held = self
                    .get(keys::account(account), keys::SYNC_LEASE_SK)
                    .await?;
                let until = held
                    .as_ref()
                    .and_then(|item| string_attr(item, "expiresAt"))
                    .and_then(|t| DateTime::parse_from_rfc3339(&t).ok())
                    .map(|t| t.with_timezone(&Utc));
                Ok(LeaseTaken::HeldUntil(until))
            }
            Err(e) => Err(e),
        }
    }

    async fn release_sync_lease(&self, account: &AccountId, holder: &str) -> StoreResult<()> {
        let deleted = self
            .client
            .delete_item()
            .table_name(&*self.table)
            .set_key(Some(key(keys::account(account), keys::SYNC_LEASE_SK)))
            .condition_expression("#holder = :holder")
            .expression_attribute_names("#holder", "holder")
            .expression_attribute_values(":holder", s(holder))
            .send()
            .await;
        match deleted.map_err(|e| self.error(e)) {
            Ok(_) | Err(StoreError::Conflict) => Ok(()),
            Err(e) => Err(e),
        }
    }
}
