use async_trait::async_trait;
use aws_sdk_dynamodb::types::{KeysAndAttributes, ReturnConsumedCapacity};

use super::io::MAX_TRANSACTION_ITEMS;
use super::io::{Query, SortKey};
use super::table::COLLECTION_INDEX;
use super::{DynamoStore, doc, key, keys, string_attr};
use crate::domain::{AccountId, Email, LeadId, Phone};
use crate::leads::{Lead, TimelineEntry};
use crate::store::{
    LeadLookup, LeadWrite, Leads, LookupClaim, Page, StoreError, StoreResult, claims_of,
};

/// Import transactions in flight at once.
const PARALLEL_TRANSACTIONS: usize = 4;

fn flatten(joined: Result<StoreResult<()>, tokio::task::JoinError>) -> StoreResult<()> {
    joined.map_err(|e| StoreError::Unavailable(format!("import task failed: {e}")))?
}

#[async_trait]
impl Leads for DynamoStore {
    async fn get_lead(&self, account: &AccountId, id: &LeadId) -> StoreResult<Option<Lead>> {
        self.get(keys::lead(account, id), keys::LEAD_SK)
            .await?
            .map(|i| doc(i, "lead"))
            .transpose()
    }

    /// One `BatchGetItem` of the (at most two) lookup items: the cost does not depend on how
    /// many leads the account has.
    async fn find_leads(
        &self,
        account: &AccountId,
        phone: Option<&Phone>,
        email: Option<&Email>,
    ) -> StoreResult<LeadLookup> {
        let phone_pk = phone.map(|p| keys::phone(account, p));
        let email_pk = email.map(|e| keys::email(account, e));
        let wanted: Vec<_> = phone_pk.iter().chain(&email_pk).cloned().collect();
        if wanted.is_empty() {
            return Ok(LeadLookup::default());
        }
        let mut request = KeysAndAttributes::builder().consistent_read(true);
        for pk in &wanted {
            request = request.keys(key(pk.clone(), keys::LOOKUP_SK));
        }
        let request = request
            .build()
            .map_err(|e| StoreError::Unavailable(format!("building a DynamoDB request: {e}")))?;
        let mut pending = Some(std::collections::HashMap::from([(
            self.table.to_string(),
            request,
        )]));
        let mut found = Vec::new();
        while let Some(items) = pending.take().filter(|m| !m.is_empty()) {
            let out = self
                .client
                .batch_get_item()
                .set_request_items(Some(items))
                .return_consumed_capacity(ReturnConsumedCapacity::Total)
                .send()
                .await
                .map_err(|e| self.error(e))?;
            let responses = out.responses.unwrap_or_default();
            let got = responses.get(&*self.table).cloned().unwrap_or_default();
            self.count_read(
                got.len(),
                out.consumed_capacity.as_ref().and_then(|c| c.first()),
            );
            found.extend(got);
            pending = out.unprocessed_keys;
        }
        let owner = |pk: &Option<String>| {
            let pk = pk.as_ref()?;
            found
                .iter()
                .find(|item| string_attr(item, "pk").as_ref() == Some(pk))
                .and_then(|item| string_attr(item, "leadId"))
                .and_then(|id| LeadId::parse(&id))
        };
        Ok(LeadLookup {
            by_phone: owner(&phone_pk),
            by_email: owner(&email_pk),
        })
    }

    async fn save_lead(
        &self,
        account: &AccountId,
        write: &LeadWrite,
        released: &[LookupClaim],
        claims: &[LookupClaim],
    ) -> StoreResult<()> {
        let mut items = vec![self.write_lead(account, write)?];
        for claim in released {
            items.push(self.release(account, claim)?);
        }
        for claim in claims {
            items.push(self.claim(account, claim)?);
        }
        self.transact(items).await
    }

    async fn create_leads(&self, account: &AccountId, leads: &[Lead]) -> StoreResult<()> {
        let mut chunks = vec![Vec::new()];
        for lead in leads {
            let claims = claims_of(lead);
            let current = chunks.last().map_or(0, Vec::len);
            if current + 1 + claims.len() > MAX_TRANSACTION_ITEMS {
                chunks.push(Vec::new());
            }
            let write = LeadWrite {
                before_revision: None,
                after: lead.clone(),
            };
            let mut items = vec![self.write_lead(account, &write)?];
            for claim in &claims {
                items.push(self.claim(account, claim)?);
            }
            if let Some(chunk) = chunks.last_mut() {
                chunk.extend(items);
            }
        }
        // Chunks touch disjoint items, so they can go in parallel; a few at a time keeps within
        // a fresh table's write capacity.
        let mut running = tokio::task::JoinSet::new();
        let mut first_error = None;
        for chunk in chunks.into_iter().filter(|c| !c.is_empty()) {
            if running.len() >= PARALLEL_TRANSACTIONS
                && let Some(Err(e)) = running.join_next().await.map(flatten)
            {
                first_error.get_or_insert(e);
            }
            let store = self.clone();
            running.spawn(async move { store.transact(chunk).await });
        }
        while let Some(done) = running.join_next().await {
            if let Err(e) = flatten(done) {
                first_error.get_or_insert(e);
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    async fn list_leads(
        &self,
        account: &AccountId,
        after: Option<&str>,
        limit: usize,
    ) -> StoreResult<Page<Lead>> {
        let items = self
            .query(Query {
                index: Some(COLLECTION_INDEX),
                partition: keys::leads(account),
                sort: after.map(|a| SortKey::After(a.to_owned())),
                newest_first: false,
                limit: Some(limit),
            })
            .await?;
        let items: Vec<Lead> = items
            .into_iter()
            .map(|i| doc(i, "lead"))
            .collect::<StoreResult<_>>()?;
        let next = (items.len() == limit)
            .then(|| items.last().map(|l| l.id.to_string()))
            .flatten();
        Ok(Page { items, next })
    }

    async fn lead_timeline(
        &self,
        account: &AccountId,
        lead: &LeadId,
    ) -> StoreResult<Vec<TimelineEntry>> {
        let items = self
            .query(Query {
                index: None,
                partition: keys::lead(account, lead),
                sort: Some(SortKey::BeginsWith(keys::TIMELINE_PREFIX.to_owned())),
                newest_first: false,
                limit: None,
            })
            .await?;
        items
            .into_iter()
            .map(|i| doc(i, "timeline entry"))
            .collect()
    }
}
