//! A real store with a fault switched on for chosen accounts: every call about a broken account
//! fails as an unreachable store would (`StoreError::Unavailable`), every other call goes to the
//! store underneath. For tests of what a storage failure does to one account among others.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use shared::accounts::{Account, ApiKeyHash};
use shared::booking::{Appointment, DayCounts};
use shared::domain::{AccountId, AppointmentId, Email, LeadId, Phone};
use shared::leads::{Lead, TimelineEntry};
use shared::store::{
    Accounts, ApplyBatch, Appointments, Counters, Deliveries, Delivery, LeadLookup, LeadWrite,
    Leads, LeaseTaken, LookupClaim, Page, Store, StoreError, StoreResult, SyncLease, SyncState,
    SyncStates, Vault,
};

#[allow(missing_debug_implementations)]
pub struct FaultyStore<S> {
    inner: Arc<S>,
    broken: Mutex<HashSet<AccountId>>,
}

impl<S: Store> FaultyStore<S> {
    pub fn new(inner: Arc<S>) -> Self {
        Self {
            inner,
            broken: Mutex::default(),
        }
    }

    /// From now on, every call about `account` fails.
    pub fn break_account(&self, account: &AccountId) {
        self.broken
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(account.clone());
    }

    fn check(&self, account: &AccountId) -> StoreResult<()> {
        let broken = self.broken.lock().unwrap_or_else(|e| e.into_inner());
        if broken.contains(account) {
            Err(StoreError::Unavailable(format!(
                "injected fault for account {account}"
            )))
        } else {
            Ok(())
        }
    }
}

#[async_trait]
impl<S: Store> Accounts for FaultyStore<S> {
    async fn create_account(&self, account: &Account) -> StoreResult<Account> {
        self.check(&account.id)?;
        self.inner.create_account(account).await
    }
    async fn get_account(&self, id: &AccountId) -> StoreResult<Option<Account>> {
        self.check(id)?;
        self.inner.get_account(id).await
    }
    async fn account_by_api_key(&self, hash: &ApiKeyHash) -> StoreResult<Option<Account>> {
        let found = self.inner.account_by_api_key(hash).await?;
        if let Some(account) = &found {
            self.check(&account.id)?;
        }
        Ok(found)
    }
    async fn list_accounts(&self) -> StoreResult<Vec<Account>> {
        self.inner.list_accounts().await
    }
    async fn update_account(&self, account: &Account) -> StoreResult<Account> {
        self.check(&account.id)?;
        self.inner.update_account(account).await
    }
}

#[async_trait]
impl<S: Store> Leads for FaultyStore<S> {
    async fn get_lead(&self, account: &AccountId, id: &LeadId) -> StoreResult<Option<Lead>> {
        self.check(account)?;
        self.inner.get_lead(account, id).await
    }
    async fn find_leads(
        &self,
        account: &AccountId,
        phone: Option<&Phone>,
        email: Option<&Email>,
    ) -> StoreResult<LeadLookup> {
        self.check(account)?;
        self.inner.find_leads(account, phone, email).await
    }
    async fn save_lead(
        &self,
        account: &AccountId,
        write: &LeadWrite,
        released: &[LookupClaim],
        claims: &[LookupClaim],
    ) -> StoreResult<()> {
        self.check(account)?;
        self.inner.save_lead(account, write, released, claims).await
    }
    async fn create_leads(&self, account: &AccountId, leads: &[Lead]) -> StoreResult<()> {
        self.check(account)?;
        self.inner.create_leads(account, leads).await
    }
    async fn list_leads(
        &self,
        account: &AccountId,
        after: Option<&str>,
        limit: usize,
    ) -> StoreResult<Page<Lead>> {
        self.check(account)?;
        self.inner.list_leads(account, after, limit).await
    }
    async fn lead_timeline(
        &self,
        account: &AccountId,
        lead: &LeadId,
    ) -> StoreResult<Vec<TimelineEntry>> {
        self.check(account)?;
        self.inner.lead_timeline(account, lead).await
    }
}

#[async_trait]
impl<S: Store> Appointments for FaultyStore<S> {
    async fn get_appointment(
        &self,
        account: &AccountId,
        id: &AppointmentId,
    ) -> StoreResult<Option<Appointment>> {
        self.check(account)?;
        self.inner.get_appointment(account, id).await
    }
    async fn upcoming(
        &self,
        account: &AccountId,
        from: DateTime<Utc>,
        limit: usize,
    ) -> StoreResult<Vec<Appointment>> {
        self.check(account)?;
        self.inner.upcoming(account, from, limit).await
    }
    async fn live_between(
        &self,
        account: &AccountId,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
        limit: usize,
    ) -> StoreResult<Vec<Appointment>> {
        self.check(account)?;
        self.inner.live_between(account, from, until, limit).await
    }
    async fn appointments_of_lead(
        &self,
        account: &AccountId,
        lead: &LeadId,
    ) -> StoreResult<Vec<Appointment>> {
        self.check(account)?;
        self.inner.appointments_of_lead(account, lead).await
    }
    async fn list_appointments(
        &self,
        account: &AccountId,
        after: Option<&str>,
        limit: usize,
    ) -> StoreResult<Page<Appointment>> {
        self.check(account)?;
        self.inner.list_appointments(account, after, limit).await
    }
    async fn commit(&self, account: &AccountId, batch: &ApplyBatch) -> StoreResult<()> {
        self.check(account)?;
        self.inner.commit(account, batch).await
    }
}

#[async_trait]
impl<S: Store> Counters for FaultyStore<S> {
    async fn day_counts(
        &self,
        account: &AccountId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> StoreResult<Vec<(NaiveDate, DayCounts)>> {
        self.check(account)?;
        self.inner.day_counts(account, from, to).await
    }
    async fn first_day(&self, account: &AccountId) -> StoreResult<Option<NaiveDate>> {
        self.check(account)?;
        self.inner.first_day(account).await
    }
    async fn replace_counters(
        &self,
        account: &AccountId,
        days: &[(NaiveDate, DayCounts)],
    ) -> StoreResult<()> {
        self.check(account)?;
        self.inner.replace_counters(account, days).await
    }
}

#[async_trait]
impl<S: Store> Deliveries for FaultyStore<S> {
    async fn record_delivery(&self, account: &AccountId, delivery: &Delivery) -> StoreResult<()> {
        self.check(account)?;
        self.inner.record_delivery(account, delivery).await
    }
    async fn recent_deliveries(
        &self,
        account: &AccountId,
        now: DateTime<Utc>,
        limit: usize,
    ) -> StoreResult<Vec<Delivery>> {
        self.check(account)?;
        self.inner.recent_deliveries(account, now, limit).await
    }
}

#[async_trait]
impl<S: Store> SyncStates for FaultyStore<S> {
    async fn sync_state(&self, account: &AccountId) -> StoreResult<SyncState> {
        self.check(account)?;
        self.inner.sync_state(account).await
    }
    async fn save_sync_state(&self, account: &AccountId, state: &SyncState) -> StoreResult<()> {
        self.check(account)?;
        self.inner.save_sync_state(account, state).await
    }
    async fn take_sync_lease(
        &self,
        account: &AccountId,
        lease: &SyncLease,
        now: DateTime<Utc>,
    ) -> StoreResult<LeaseTaken> {
        self.check(account)?;
        self.inner.take_sync_lease(account, lease, now).await
    }
    async fn release_sync_lease(&self, account: &AccountId, holder: &str) -> StoreResult<()> {
        self.check(account)?;
        self.inner.release_sync_lease(account, holder).await
    }
}

impl<S: Store> Vault for FaultyStore<S> {
    fn secrets(&self) -> &shared::secrets::Secrets {
        self.inner.secrets()
    }
}
