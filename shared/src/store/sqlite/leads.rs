use async_trait::async_trait;
use rusqlite::{OptionalExtension, TransactionBehavior, params};

use super::pool::storage;
use super::rows::LeadRow;
use super::{SqliteStore, from_doc, int, writes};
use crate::domain::{AccountId, Email, LeadId, Phone};
use crate::leads::{Lead, TimelineEntry};
use crate::store::{LeadLookup, LeadWrite, Leads, LookupClaim, Page, StoreResult, claims_of};

#[async_trait]
impl Leads for SqliteStore {
    async fn get_lead(&self, account: &AccountId, id: &LeadId) -> StoreResult<Option<Lead>> {
        let (account, id) = (account.to_string(), id.to_string());
        self.pool
            .lookup(move |conn, pool| {
                let mut stmt = conn
                    .prepare_cached("SELECT doc FROM leads WHERE account_id = ?1 AND id = ?2")
                    .map_err(storage)?;
                let doc: Option<String> = stmt
                    .query_row([&account, &id], |r| r.get(0))
                    .optional()
                    .map_err(storage)?;
                pool.count_read(&stmt, usize::from(doc.is_some()));
                doc.map(|d| from_doc(&d, "lead")).transpose()
            })
            .await
    }

    async fn find_leads(
        &self,
        account: &AccountId,
        phone: Option<&Phone>,
        email: Option<&Email>,
    ) -> StoreResult<LeadLookup> {
        let account = account.to_string();
        let wanted = [
            phone.map(|p| ("phone", p.as_str().to_owned())),
            email.map(|e| ("email", e.as_str().to_owned())),
        ];
        self.pool
            .lookup(move |conn, pool| {
                let mut stmt = conn
                    .prepare_cached(
                        "SELECT lead_id FROM lead_lookups \
                         WHERE account_id = ?1 AND kind = ?2 AND value = ?3",
                    )
                    .map_err(storage)?;
                let mut found = [None, None];
                for (slot, key) in found.iter_mut().zip(&wanted) {
                    let Some((kind, value)) = key else { continue };
                    let id: Option<String> = stmt
                        .query_row(params![account, kind, value], |r| r.get(0))
                        .optional()
                        .map_err(storage)?;
                    pool.count_read(&stmt, usize::from(id.is_some()));
                    *slot = id.as_deref().and_then(LeadId::parse);
                }
                let [by_phone, by_email] = found;
                Ok(LeadLookup { by_phone, by_email })
            })
            .await
    }

    async fn save_lead(
        &self,
        account: &AccountId,
        write: &LeadWrite,
        released: &[LookupClaim],
        claims: &[LookupClaim],
    ) -> StoreResult<()> {
        let account = account.to_string();
        let (row, released, claims) = (LeadRow::encode(write)?, released.to_vec(), claims.to_vec());
        self.pool
            .write(move |conn| {
                let tx = conn
                    .transaction_with_behavior(TransactionBehavior::Immediate)
                    .map_err(storage)?;
                writes::lead(&tx, &account, &row)?;
                for claim in &released {
                    writes::release(&tx, &account, claim)?;
                }
                for claim in &claims {
                    writes::claim(&tx, &account, claim)?;
                }
                tx.commit().map_err(storage)
            })
            .await
    }

    async fn create_leads(&self, account: &AccountId, leads: &[Lead]) -> StoreResult<()> {
        let account = account.to_string();
        let rows = leads
            .iter()
            .map(|lead| Ok((LeadRow::of(lead, None)?, claims_of(lead))))
            .collect::<StoreResult<Vec<_>>>()?;
        self.pool
            .write(move |conn| {
                let tx = conn
                    .transaction_with_behavior(TransactionBehavior::Immediate)
                    .map_err(storage)?;
                for (row, claims) in &rows {
                    writes::lead(&tx, &account, row)?;
                    for claim in claims {
                        writes::claim(&tx, &account, claim)?;
                    }
                }
                tx.commit().map_err(storage)
            })
            .await
    }

    async fn list_leads(
        &self,
        account: &AccountId,
        after: Option<&str>,
        limit: usize,
    ) -> StoreResult<Page<Lead>> {
        let (account, after) = (account.to_string(), after.unwrap_or_default().to_owned());
        self.pool
            .run(move |conn, pool| {
                let mut stmt = conn
                    .prepare_cached(
                        "SELECT id, doc FROM leads WHERE account_id = ?1 AND id > ?2 \
                         ORDER BY id LIMIT ?3",
                    )
                    .map_err(storage)?;
                let rows: Vec<(String, String)> = stmt
                    .query_map(params![account, after, int(limit)], |r| {
                        Ok((r.get(0)?, r.get(1)?))
                    })
                    .and_then(Iterator::collect)
                    .map_err(storage)?;
                pool.count_read(&stmt, rows.len());
                let next = (rows.len() == limit)
                    .then(|| rows.last().map(|(id, _)| id.clone()))
                    .flatten();
                let items = rows
                    .iter()
                    .map(|(_, d)| from_doc(d, "lead"))
                    .collect::<StoreResult<_>>()?;
                Ok(Page { items, next })
            })
            .await
    }

    async fn lead_timeline(
        &self,
        account: &AccountId,
        lead: &LeadId,
    ) -> StoreResult<Vec<TimelineEntry>> {
        let (account, lead) = (account.to_string(), lead.to_string());
        self.pool
            .run(move |conn, pool| {
                let mut stmt = conn
                    .prepare_cached(
                        "SELECT doc FROM lead_timeline WHERE account_id = ?1 AND lead_id = ?2 \
                         ORDER BY entry_key",
                    )
                    .map_err(storage)?;
                let docs: Vec<String> = stmt
                    .query_map([&account, &lead], |r| r.get(0))
                    .and_then(Iterator::collect)
                    .map_err(storage)?;
                pool.count_read(&stmt, docs.len());
                docs.iter().map(|d| from_doc(d, "timeline entry")).collect()
            })
            .await
    }
}
