use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, DeleteRequest, PutRequest, WriteRequest};
use chrono::NaiveDate;

use super::io::{Query, SortKey};
use super::{DynamoStore, Item, key, keys, n};
use crate::booking::DayCounts;
use crate::domain::AccountId;
use crate::store::{Counters, StoreError, StoreResult};

/// Items per `BatchWriteItem`.
const BATCH_WRITE_ITEMS: usize = 25;

fn counts_of(item: &Item) -> DayCounts {
    let mut counts = DayCounts::default();
    for (name, value) in item {
        if let AttributeValue::N(number) = value {
            counts.set(name, number.parse().unwrap_or(0));
        }
    }
    counts
}

#[async_trait]
impl Counters for DynamoStore {
    async fn day_counts(
        &self,
        account: &AccountId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> StoreResult<Vec<(NaiveDate, DayCounts)>> {
        let items = self
            .query(Query {
                index: None,
                partition: keys::days(account),
                sort: Some(SortKey::Between(keys::day(from), keys::day(to))),
                newest_first: false,
                limit: None,
            })
            .await?;
        let mut days = Vec::with_capacity(items.len());
        for item in &items {
            let day = super::string_attr(item, "sk").unwrap_or_default();
            let day: NaiveDate = day
                .parse()
                .map_err(|e| StoreError::Corrupt(format!("counter day {day:?}: {e}")))?;
            let counts = counts_of(item);
            if !counts.is_zero() {
                days.push((day, counts));
            }
        }
        Ok(days)
    }

    /// Reads the day items in order, a few at a time, until one has a count.
    async fn first_day(&self, account: &AccountId) -> StoreResult<Option<NaiveDate>> {
        let mut after: Option<String> = None;
        loop {
            let items = self
                .query(Query {
                    index: None,
                    partition: keys::days(account),
                    sort: after.clone().map(SortKey::After),
                    newest_first: false,
                    limit: Some(8),
                })
                .await?;
            for item in &items {
                let day = super::string_attr(item, "sk").unwrap_or_default();
                if !counts_of(item).is_zero() {
                    return day
                        .parse()
                        .map(Some)
                        .map_err(|e| StoreError::Corrupt(format!("counter day {day:?}: {e}")));
                }
                after = Some(day);
            }
            if items.len() < 8 {
                return Ok(None);
            }
        }
    }

    /// Deletes the account's counter items and writes the given ones. Not one transaction (an
    /// account can have more days than a transaction takes): run `recount` when traffic is quiet.
    async fn replace_counters(
        &self,
        account: &AccountId,
        days: &[(NaiveDate, DayCounts)],
    ) -> StoreResult<()> {
        let existing = self
            .query(Query {
                index: None,
                partition: keys::days(account),
                sort: None,
                newest_first: false,
                limit: None,
            })
            .await?;
        let mut requests = Vec::new();
        let replaced: std::collections::HashSet<String> =
            days.iter().map(|(d, _)| keys::day(*d)).collect();
        for item in &existing {
            let sk = super::string_attr(item, "sk").unwrap_or_default();
            if !replaced.contains(&sk) {
                let delete = DeleteRequest::builder()
                    .set_key(Some(key(keys::days(account), &sk)))
                    .build()
                    .map_err(|e| StoreError::Unavailable(e.to_string()))?;
                requests.push(WriteRequest::builder().delete_request(delete).build());
            }
        }
        for (day, counts) in days.iter().filter(|(_, c)| !c.is_zero()) {
            let mut item = key(keys::days(account), &keys::day(*day));
            for (name, value) in counts.fields() {
                item.insert(name.to_owned(), n(value));
            }
            let put = PutRequest::builder()
                .set_item(Some(item))
                .build()
                .map_err(|e| StoreError::Unavailable(e.to_string()))?;
            requests.push(WriteRequest::builder().put_request(put).build());
        }
        for chunk in requests.chunks(BATCH_WRITE_ITEMS) {
            self.batch_write(chunk.to_vec()).await?;
        }
        Ok(())
    }
}

impl DynamoStore {
    /// Writes a batch, resending what DynamoDB leaves unprocessed (with a pause) until done.
    pub(super) async fn batch_write(&self, requests: Vec<WriteRequest>) -> StoreResult<()> {
        let mut pending = Some(std::collections::HashMap::from([(
            self.table.to_string(),
            requests,
        )]));
        let mut attempt = 0u32;
        while let Some(items) = pending.take().filter(|m| m.values().any(|v| !v.is_empty())) {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(50 << attempt.min(5))).await;
            }
            attempt += 1;
            let out = self
                .client
                .batch_write_item()
                .set_request_items(Some(items))
                .send()
                .await
                .map_err(|e| self.error(e))?;
            pending = out.unprocessed_items;
        }
        Ok(())
    }
}
