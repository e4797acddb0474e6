use async_trait::async_trait;
use aws_sdk_dynamodb::types::{Delete, TransactWriteItem};

use super::io::{Query, SortKey};
use super::table::{COLLECTION_INDEX, TABLE};
use super::writes::Condition;
use super::{DynamoStore, doc, item, key, keys};
use crate::accounts::{Account, ApiKeyHash};
use crate::domain::AccountId;
use crate::store::{Accounts, StoreError, StoreResult, sealed_account};

impl DynamoStore {
    /// The account item and its API-key item. The key item carries a copy of the account, so an
    /// API key finds its account in one strongly consistent read.
    fn account_writes(
        &self,
        account: &Account,
        read: Option<u64>,
    ) -> StoreResult<Vec<TransactWriteItem>> {
        let account_item = item(
            account,
            &[
                (TABLE.partition_key, keys::account(&account.id)),
                (TABLE.sort_key, keys::ACCOUNT_SK.to_owned()),
                ("gsi2pk", keys::ACCOUNTS_COLLECTION.to_owned()),
                ("gsi2sk", account.id.to_string()),
            ],
        )?;
        let key_item = item(
            account,
            &[
                (TABLE.partition_key, keys::api_key(&account.api_key_hash)),
                (TABLE.sort_key, keys::KEY_SK.to_owned()),
            ],
        )?;
        Ok(vec![
            self.put(account_item, Some(Condition::revision(read)))?,
            self.put(key_item, Some(Condition::new_or_account(&account.id)))?,
        ])
    }
}

#[async_trait]
impl Accounts for DynamoStore {
    async fn create_account(&self, account: &Account) -> StoreResult<Account> {
        let stored = Account {
            revision: 1,
            ..sealed_account(&self.secrets, account).await?
        };
        match self.transact(self.account_writes(&stored, None)?).await {
            Err(StoreError::Conflict) => Err(StoreError::AlreadyExists),
            other => other.map(|()| stored),
        }
    }

    async fn get_account(&self, id: &AccountId) -> StoreResult<Option<Account>> {
        self.get(keys::account(id), keys::ACCOUNT_SK)
            .await?
            .map(|i| doc(i, "account"))
            .transpose()
    }

    async fn account_by_api_key(&self, hash: &ApiKeyHash) -> StoreResult<Option<Account>> {
        self.get(keys::api_key(hash), keys::KEY_SK)
            .await?
            .map(|i| doc(i, "account"))
            .transpose()
    }

    async fn list_accounts(&self) -> StoreResult<Vec<Account>> {
        let items = self
            .query(Query {
                index: Some(COLLECTION_INDEX),
                partition: keys::ACCOUNTS_COLLECTION.to_owned(),
                sort: None::<SortKey>,
                newest_first: false,
                limit: None,
            })
            .await?;
        items.into_iter().map(|i| doc(i, "account")).collect()
    }

    async fn update_account(&self, account: &Account) -> StoreResult<Account> {
        let stored_before = self
            .get_account(&account.id)
            .await?
            .ok_or(StoreError::Conflict)?;
        let stored = Account {
            revision: account.revision + 1,
            ..sealed_account(&self.secrets, account).await?
        };
        let mut writes = self.account_writes(&stored, Some(account.revision))?;
        if stored_before.api_key_hash != stored.api_key_hash {
            // The rotated-out key stops working in the same transaction.
            let delete = Delete::builder()
                .table_name(&*self.table)
                .set_key(Some(key(
                    keys::api_key(&stored_before.api_key_hash),
                    keys::KEY_SK,
                )))
                .build()
                .map_err(|e| {
                    StoreError::Unavailable(format!("building a DynamoDB request: {e}"))
                })?;
            writes.push(TransactWriteItem::builder().delete(delete).build());
        }
        self.transact(writes).await?;
        Ok(stored)
    }
}
