//! The three calls every operation is built from: get, query and transact.

use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{ReturnConsumedCapacity, TransactWriteItem};

use super::table::TABLE;
use super::{DynamoStore, Item, key, s};
use crate::store::{StoreError, StoreResult};

/// The most actions DynamoDB accepts in one transaction.
pub(crate) const MAX_TRANSACTION_ITEMS: usize = 100;

/// A sort-key condition for [`DynamoStore::query`].
pub(super) enum SortKey {
    After(String),
    AtOrAfter(String),
    Between(String, String),
    BeginsWith(String),
}

/// A query on the table or one of its indexes.
pub(super) struct Query<'a> {
    pub(super) index: Option<&'a str>,
    pub(super) partition: String,
    pub(super) sort: Option<SortKey>,
    pub(super) newest_first: bool,
    pub(super) limit: Option<usize>,
}

impl DynamoStore {
    /// A strongly consistent read of one item.
    pub(super) async fn get(&self, pk: String, sk: &str) -> StoreResult<Option<Item>> {
        let out = self
            .client
            .get_item()
            .table_name(&*self.table)
            .set_key(Some(key(pk, sk)))
            .consistent_read(true)
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await
            .map_err(|e| self.error(e))?;
        self.count_read(usize::from(out.item().is_some()), out.consumed_capacity());
        Ok(out.item)
    }

    /// Runs a query to the end or to `limit` items, page by page.
    pub(super) async fn query(&self, q: Query<'_>) -> StoreResult<Vec<Item>> {
        let (pk_name, sk_name) = match q.index {
            None => (TABLE.partition_key, TABLE.sort_key),
            Some(name) => TABLE
                .indexes
                .iter()
                .find(|i| i.name == name)
                .map(|i| (i.partition_key, i.sort_key))
                .ok_or_else(|| StoreError::Corrupt(format!("no index {name}")))?,
        };
        let (sort_condition, sort_values) = match &q.sort {
            None => (String::new(), vec![]),
            Some(SortKey::After(v)) => (" AND #sk > :s1".to_owned(), vec![v.clone()]),
            Some(SortKey::AtOrAfter(v)) => (" AND #sk >= :s1".to_owned(), vec![v.clone()]),
            Some(SortKey::Between(a, b)) => (
                " AND #sk BETWEEN :s1 AND :s2".to_owned(),
                vec![a.clone(), b.clone()],
            ),
            Some(SortKey::BeginsWith(v)) => {
                (" AND begins_with(#sk, :s1)".to_owned(), vec![v.clone()])
            }
        };
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let mut request = self
                .client
                .query()
                .table_name(&*self.table)
                .set_index_name(q.index.map(str::to_owned))
                .key_condition_expression(format!("#pk = :pk{sort_condition}"))
                .expression_attribute_names("#pk", pk_name)
                .expression_attribute_values(":pk", s(q.partition.clone()))
                .scan_index_forward(!q.newest_first)
                .return_consumed_capacity(ReturnConsumedCapacity::Total)
                .set_exclusive_start_key(start.take());
            if !sort_values.is_empty() {
                request = request.expression_attribute_names("#sk", sk_name);
            }
            for (i, value) in sort_values.iter().enumerate() {
                request =
                    request.expression_attribute_values(format!(":s{}", i + 1), s(value.clone()));
            }
            if let Some(limit) = q.limit {
                let remaining = limit.saturating_sub(items.len()).max(1);
                request = request.limit(i32::try_from(remaining).unwrap_or(i32::MAX));
            }
            let out = request.send().await.map_err(|e| self.error(e))?;
            self.count_read(out.items().len(), out.consumed_capacity());
            items.extend(out.items.unwrap_or_default());
            start = out.last_evaluated_key;
            let full = q.limit.is_some_and(|limit| items.len() >= limit);
            if start.is_none() || full {
                return Ok(items);
            }
        }
    }

    /// Writes items all or nothing. A failed condition or a concurrent transaction on the same
    /// items is a `Conflict`; nothing is written then.
    pub(super) async fn transact(&self, items: Vec<TransactWriteItem>) -> StoreResult<()> {
        if items.is_empty() {
            return Ok(());
        }
        if items.len() > MAX_TRANSACTION_ITEMS {
            return Err(StoreError::TooLarge(format!(
                "{} writes, DynamoDB takes {MAX_TRANSACTION_ITEMS} in one transaction",
                items.len()
            )));
        }
        let result = self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(err) => {
                if let Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) =
                    err.as_service_error()
                {
                    let lost_race = cancelled.cancellation_reasons().iter().any(|r| {
                        matches!(
                            r.code(),
                            Some("ConditionalCheckFailed" | "TransactionConflict")
                        )
                    });
                    if lost_race {
                        return Err(StoreError::Conflict);
                    }
                }
                if err.code() == Some("TransactionInProgressException") {
                    return Err(StoreError::Conflict);
                }
                Err(self.error(err))
            }
        }
    }
}
