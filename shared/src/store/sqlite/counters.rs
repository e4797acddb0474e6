use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::NaiveDate;
use rusqlite::{OptionalExtension, TransactionBehavior, params};

use super::SqliteStore;
use super::pool::storage;
use crate::booking::{CounterDelta, DayCounts};
use crate::domain::AccountId;
use crate::store::{Counters, StoreError, StoreResult};

#[async_trait]
impl Counters for SqliteStore {
    async fn day_counts(
        &self,
        account: &AccountId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> StoreResult<Vec<(NaiveDate, DayCounts)>> {
        let (account, from, to) = (account.to_string(), from.to_string(), to.to_string());
        self.pool
            .run(move |conn, pool| {
                let mut stmt = conn
                    .prepare_cached(
                        "SELECT day, name, value FROM day_counts \
                         WHERE account_id = ?1 AND day >= ?2 AND day <= ?3 ORDER BY day",
                    )
                    .map_err(storage)?;
                let rows: Vec<(String, String, i64)> = stmt
                    .query_map(params![account, from, to], |r| {
                        Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                    })
                    .and_then(Iterator::collect)
                    .map_err(storage)?;
                pool.count_read(&stmt, rows.len());
                let mut days: BTreeMap<NaiveDate, DayCounts> = BTreeMap::new();
                for (day, name, value) in rows {
                    let day: NaiveDate = day
                        .parse()
                        .map_err(|e| StoreError::Corrupt(format!("counter day {day:?}: {e}")))?;
                    days.entry(day).or_default().set(&name, value);
                }
                Ok(days.into_iter().filter(|(_, c)| !c.is_zero()).collect())
            })
            .await
    }

    async fn first_day(&self, account: &AccountId) -> StoreResult<Option<NaiveDate>> {
        let account = account.to_string();
        self.pool
            .run(move |conn, pool| {
                // Walks the (account, day, name) primary key in order; stops at the first count.
                let mut stmt = conn
                    .prepare_cached(
                        "SELECT day FROM day_counts WHERE account_id = ?1 AND value <> 0 \
                         ORDER BY day LIMIT 1",
                    )
                    .map_err(storage)?;
                let day: Option<String> = stmt
                    .query_row([&account], |r| r.get(0))
                    .optional()
                    .map_err(storage)?;
                pool.count_read(&stmt, usize::from(day.is_some()));
                day.map(|d| {
                    d.parse()
                        .map_err(|e| StoreError::Corrupt(format!("counter day {d:?}: {e}")))
                })
                .transpose()
            })
            .await
    }

    async fn replace_counters(
        &self,
        account: &AccountId,
        days: &[(NaiveDate, DayCounts)],
    ) -> StoreResult<()> {
        let account = account.to_string();
        let mut totals = CounterDelta::default();
        for (day, counts) in days {
            totals.add(*day, counts.clone());
        }
        self.pool
            .write(move |conn| {
                let tx = conn
                    .transaction_with_behavior(TransactionBehavior::Immediate)
                    .map_err(storage)?;
                tx.execute("DELETE FROM day_counts WHERE account_id = ?1", [&account])
                    .map_err(storage)?;
                super::writes::counters(&tx, &account, &totals)?;
                tx.commit().map_err(storage)
            })
            .await
    }
}
