use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::OptionalExtension;

use super::pool::storage;
use super::rows::BatchRows;
use super::{SqliteStore, from_doc, int, ts, writes};
use crate::booking::Appointment;
use crate::domain::{AccountId, AppointmentId, LeadId};
use crate::store::{ApplyBatch, Appointments, Page, StoreResult};

#[async_trait]
impl Appointments for SqliteStore {
    async fn get_appointment(
        &self,
        account: &AccountId,
        id: &AppointmentId,
    ) -> StoreResult<Option<Appointment>> {
        let (account, id) = (account.to_string(), id.to_string());
        self.pool
            .lookup(move |conn, pool| {
                let mut stmt = conn
                    .prepare_cached(
                        "SELECT doc FROM appointments WHERE account_id = ?1 AND id = ?2",
                    )
                    .map_err(storage)?;
                let doc: Option<String> = stmt
                    .query_row([&account, &id], |r| r.get(0))
                    .optional()
                    .map_err(storage)?;
                pool.count_read(&stmt, usize::from(doc.is_some()));
                doc.map(|d| from_doc(&d, "appointment")).transpose()
            })
            .await
    }

    async fn upcoming(
        &self,
        account: &AccountId,
        from: DateTime<Utc>,
        limit: usize,
    ) -> StoreResult<Vec<Appointment>> {
        let (account, from) = (account.to_string(), ts(from));
        self.query_docs(
            "SELECT doc FROM appointments \
             WHERE account_id = ?1 AND live_start IS NOT NULL AND live_start >= ?2 \
             ORDER BY live_start, id LIMIT ?3",
            (account, from, int(limit)),
        )
        .await
    }

    async fn live_between(
        &self,
        account: &AccountId,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
        limit: usize,
    ) -> StoreResult<Vec<Appointment>> {
        let (account, from, until) = (account.to_string(), ts(from), ts(until));
        self.query_docs(
            "SELECT doc FROM appointments \
             WHERE account_id = ?1 AND live_start IS NOT NULL AND live_start >= ?2 \
             AND live_start < ?3 ORDER BY live_start, id LIMIT ?4",
            (account, from, until, int(limit)),
        )
        .await
    }

    async fn appointments_of_lead(
        &self,
        account: &AccountId,
        lead: &LeadId,
    ) -> StoreResult<Vec<Appointment>> {
        let (account, lead) = (account.to_string(), lead.to_string());
        self.query_docs(
            "SELECT doc FROM appointments WHERE account_id = ?1 AND lead_id = ?2 \
             ORDER BY booked_at, id LIMIT ?3",
            (account, lead, i64::MAX),
        )
        .await
    }

    async fn list_appointments(
        &self,
        account: &AccountId,
        after: Option<&str>,
        limit: usize,
    ) -> StoreResult<Page<Appointment>> {
        let (account, after) = (account.to_string(), after.unwrap_or_default().to_owned());
        let items: Vec<Appointment> = self
            .query_docs(
                "SELECT doc FROM appointments WHERE account_id = ?1 AND id > ?2 \
                 ORDER BY id LIMIT ?3",
                (account, after, int(limit)),
            )
            .await?;
        let next = (items.len() == limit)
            .then(|| items.last().map(|a| a.id().to_string()))
            .flatten();
        Ok(Page { items, next })
    }

    async fn commit(&self, account: &AccountId, batch: &ApplyBatch) -> StoreResult<()> {
        let account = account.to_string();
        // Encoded here, off the writer thread (`rows.rs`).
        let rows = BatchRows::encode(batch)?;
        // One savepoint of a group commit (`writer.rs`): any error rolls back this batch only.
        self.pool
            .write_grouped(move |tx| writes::batch(tx, &account, &rows))
            .await
    }
}

impl SqliteStore {
    /// Runs a query returning appointment documents.
    async fn query_docs<P>(&self, sql: &'static str, args: P) -> StoreResult<Vec<Appointment>>
    where
        P: rusqlite::Params + Send + 'static,
    {
        self.pool
            .run(move |conn, pool| {
                let mut stmt = conn.prepare_cached(sql).map_err(storage)?;
                let docs: Vec<String> = stmt
                    .query_map(args, |r| r.get(0))
                    .and_then(Iterator::collect)
                    .map_err(storage)?;
                pool.count_read(&stmt, docs.len());
                docs.iter().map(|d| from_doc(d, "appointment")).collect()
            })
            .await
    }
}
