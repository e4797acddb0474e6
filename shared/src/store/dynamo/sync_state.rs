use async_trait::async_trait;

use super::table::TABLE;
use super::{DynamoStore, doc, item, keys};
use crate::domain::AccountId;
use crate::store::{StoreResult, SyncState, SyncStates};

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
}
