use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::io::{Query, SortKey};
use super::table::{COLLECTION_INDEX, LEAD_INDEX, UPCOMING_INDEX};
use super::{DynamoStore, doc, keys};
use crate::booking::Appointment;
use crate::domain::{AccountId, AppointmentId, LeadId};
use crate::store::{ApplyBatch, Appointments, Page, StoreResult, sortable_time};

fn appointments(items: Vec<super::Item>) -> StoreResult<Vec<Appointment>> {
    items.into_iter().map(|i| doc(i, "appointment")).collect()
}

#[async_trait]
impl Appointments for DynamoStore {
    async fn get_appointment(
        &self,
        account: &AccountId,
        id: &AppointmentId,
    ) -> StoreResult<Option<Appointment>> {
        self.get(keys::appointment(account, id), keys::APPOINTMENT_SK)
            .await?
            .map(|i| doc(i, "appointment"))
            .transpose()
    }

    async fn upcoming(
        &self,
        account: &AccountId,
        from: DateTime<Utc>,
        limit: usize,
    ) -> StoreResult<Vec<Appointment>> {
        let items = self
            .query(Query {
                index: Some(UPCOMING_INDEX),
                partition: keys::upcoming(account),
                sort: Some(SortKey::AtOrAfter(sortable_time(from))),
                newest_first: false,
                limit: Some(limit),
            })
            .await?;
        appointments(items)
    }

    async fn live_between(
        &self,
        account: &AccountId,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
        limit: usize,
    ) -> StoreResult<Vec<Appointment>> {
        // Sort keys are `<start>#<id>`: a key starting at `from` sorts after `<from>` (it is
        // longer), so it is in; one starting at `until` sorts after `<until>`, so it is out.
        let items = self
            .query(Query {
                index: Some(UPCOMING_INDEX),
                partition: keys::upcoming(account),
                sort: Some(SortKey::Between(sortable_time(from), sortable_time(until))),
                newest_first: false,
                limit: Some(limit),
            })
            .await?;
        appointments(items)
    }

    async fn appointments_of_lead(
        &self,
        account: &AccountId,
        lead: &LeadId,
    ) -> StoreResult<Vec<Appointment>> {
        let items = self
            .query(Query {
                index: Some(LEAD_INDEX),
                partition: keys::lead(account, lead),
                sort: None,
                newest_first: false,
                limit: None,
            })
            .await?;
        appointments(items)
    }

    async fn list_appointments(
        &self,
        account: &AccountId,
        after: Option<&str>,
        limit: usize,
    ) -> StoreResult<Page<Appointment>> {
        let items = self
            .query(Query {
                index: Some(COLLECTION_INDEX),
                partition: keys::appointments(account),
                sort: after.map(|a| SortKey::After(a.to_owned())),
                newest_first: false,
                limit: Some(limit),
            })
            .await?;
        let items = appointments(items)?;
        let next = (items.len() == limit)
            .then(|| items.last().map(|a| a.id().to_string()))
            .flatten();
        Ok(Page { items, next })
    }

    async fn commit(&self, account: &AccountId, batch: &ApplyBatch) -> StoreResult<()> {
        let mut items = Vec::new();
        for write in &batch.appointments {
            items.push(self.write_appointment(account, write)?);
        }
        for write in &batch.leads {
            items.push(self.write_lead(account, write)?);
        }
        for claim in &batch.claims {
            items.push(self.claim(account, claim)?);
        }
        for (day, counts) in batch.counters.days() {
            items.push(self.add_counters(account, day, counts)?);
        }
        for (lead, entry) in &batch.timeline {
            items.push(self.put_timeline(account, lead, entry)?);
        }
        if let Some(delivery) = &batch.delivery {
            items.push(self.put_delivery(account, delivery)?);
        }
        self.transact(items).await
    }
}
