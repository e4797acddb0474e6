//! The store interface: what booking-tracker keeps, in domain types only. Adapters: SQLite (the
//! embedded default) and DynamoDB (production), behind cargo features. Both pass one conformance
//! suite (`tests/tests/store_conformance.rs`).

mod batch;
#[cfg(feature = "dynamodb")]
pub mod dynamo;
mod records;
#[cfg(feature = "sqlite")]
pub mod sqlite;

pub use batch::{ApplyBatch, LeadWrite, LookupClaim, claims_of};
pub use records::{DELIVERY_RETENTION, Delivery, LeaseTaken, Page, SyncLease, SyncRun, SyncState};

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};

use crate::accounts::{Account, ApiKeyHash};
use crate::booking::{Appointment, DayCounts};
use crate::domain::{AccountId, AppointmentId, Email, LeadId, Phone};
use crate::leads::{Lead, TimelineEntry};
use crate::secrets::{Secrets, SecretsError};

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A conditional write lost a race: something changed since it was read. Re-read and retry.
    #[error("conflicting concurrent write")]
    Conflict,
    /// Creating something that exists (an account id taken).
    #[error("already exists")]
    AlreadyExists,
    /// The store has not been created (no table, no schema).
    #[error("the store is not set up: {0}")]
    NotInitialised(String),
    /// The store could not be reached or failed; retrying later may succeed.
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    /// Stored data that cannot be read back: a bug or a manual edit.
    #[error("corrupt stored record: {0}")]
    Corrupt(String),
    /// The write is bigger than the store can make atomic.
    #[error("write too large to be atomic: {0}")]
    TooLarge(String),
    /// A secret could not be sealed for writing (the key file or KMS key is missing or wrong).
    #[error(transparent)]
    Secrets(#[from] SecretsError),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// A time as both adapters store it in sort keys and indexed columns: RFC 3339 UTC with
/// microseconds, so text order is time order.
#[cfg(any(feature = "sqlite", feature = "dynamodb"))]
pub(crate) fn sortable_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

/// What an adapter's reads have cost, for checking that lookups stay O(1): items read, and work
/// spent scanning whole tables or indexes (which must stay zero on lookup paths).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReadStats {
    pub items: u64,
    pub full_scans: u64,
    /// DynamoDB's own account of the read capacity consumed, in thousandths of a unit.
    pub read_capacity_milli: u64,
}

impl std::ops::Sub for ReadStats {
    type Output = ReadStats;

    fn sub(self, earlier: ReadStats) -> ReadStats {
        ReadStats {
            items: self.items - earlier.items,
            full_scans: self.full_scans - earlier.full_scans,
            read_capacity_milli: self.read_capacity_milli - earlier.read_capacity_milli,
        }
    }
}

#[async_trait]
pub trait Accounts: Send + Sync {
    /// Creates an account and its API-key entry; `AlreadyExists` if the id is taken. Returns the
    /// account as stored.
    async fn create_account(&self, account: &Account) -> StoreResult<Account>;
    async fn get_account(&self, id: &AccountId) -> StoreResult<Option<Account>>;
    /// The account an API key belongs to, in one read.
    async fn account_by_api_key(&self, hash: &ApiKeyHash) -> StoreResult<Option<Account>>;
    async fn list_accounts(&self) -> StoreResult<Vec<Account>>;
    /// Saves changed settings, conditional on `account.revision` being the stored one; moves the
    /// API-key entry if the key hash changed. Returns the account as stored.
    async fn update_account(&self, account: &Account) -> StoreResult<Account>;
}

/// The leads holding a phone and an email.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LeadLookup {
    pub by_phone: Option<LeadId>,
    pub by_email: Option<LeadId>,
}

#[async_trait]
pub trait Leads: Send + Sync {
    async fn get_lead(&self, account: &AccountId, id: &LeadId) -> StoreResult<Option<Lead>>;
    /// The leads owning `phone` and `email`: one read each, whatever the number of leads.
    async fn find_leads(
        &self,
        account: &AccountId,
        phone: Option<&Phone>,
        email: Option<&Email>,
    ) -> StoreResult<LeadLookup>;
    /// Writes a lead and its lookup claims atomically (imports, the sheet); conditional like
    /// [`ApplyBatch`]. Lookups of details the lead no longer has are released.
    async fn save_lead(
        &self,
        account: &AccountId,
        write: &LeadWrite,
        released: &[LookupClaim],
        claims: &[LookupClaim],
    ) -> StoreResult<()>;
    /// Creates new leads, each owning its phone and email (imports). `Conflict` if a lead exists
    /// or a detail is taken; adapters write in chunks as large as they can make atomic (all of
    /// them on SQLite, about thirty leads per transaction on DynamoDB), and a failed chunk writes
    /// nothing.
    async fn create_leads(&self, account: &AccountId, leads: &[Lead]) -> StoreResult<()>;
    /// A page of the account's leads, in id order.
    async fn list_leads(
        &self,
        account: &AccountId,
        after: Option<&str>,
        limit: usize,
    ) -> StoreResult<Page<Lead>>;
    /// The lead's timeline, oldest first.
    async fn lead_timeline(
        &self,
        account: &AccountId,
        lead: &LeadId,
    ) -> StoreResult<Vec<TimelineEntry>>;
}

#[async_trait]
pub trait Appointments: Send + Sync {
    async fn get_appointment(
        &self,
        account: &AccountId,
        id: &AppointmentId,
    ) -> StoreResult<Option<Appointment>>;
    /// Live appointments starting at or after `from`, soonest first.
    async fn upcoming(
        &self,
        account: &AccountId,
        from: DateTime<Utc>,
        limit: usize,
    ) -> StoreResult<Vec<Appointment>>;
    /// Live appointments starting at or after `from` and before `until`, soonest first: calls
    /// whose time has passed without an outcome, for the sync's completion sweep.
    async fn live_between(
        &self,
        account: &AccountId,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
        limit: usize,
    ) -> StoreResult<Vec<Appointment>>;
    /// All of a lead's appointments (superseded ones too), by booking time.
    async fn appointments_of_lead(
        &self,
        account: &AccountId,
        lead: &LeadId,
    ) -> StoreResult<Vec<Appointment>>;
    /// A page of all the account's appointments, in id order (listings, recount).
    async fn list_appointments(
        &self,
        account: &AccountId,
        after: Option<&str>,
        limit: usize,
    ) -> StoreResult<Page<Appointment>>;
    /// Writes a batch atomically. `Conflict` if anything changed since it was read; nothing is
    /// written then.
    async fn commit(&self, account: &AccountId, batch: &ApplyBatch) -> StoreResult<()>;
}

#[async_trait]
pub trait Counters: Send + Sync {
    /// The per-day counters from `from` to `to` inclusive; days with no counts are left out.
    async fn day_counts(
        &self,
        account: &AccountId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> StoreResult<Vec<(NaiveDate, DayCounts)>>;
    /// The first day with any count: where an `all` range starts.
    async fn first_day(&self, account: &AccountId) -> StoreResult<Option<NaiveDate>>;
    /// Replaces all the account's counters (the `recount` maintenance command).
    async fn replace_counters(
        &self,
        account: &AccountId,
        days: &[(NaiveDate, DayCounts)],
    ) -> StoreResult<()>;
}

#[async_trait]
pub trait Deliveries: Send + Sync {
    async fn record_delivery(&self, account: &AccountId, delivery: &Delivery) -> StoreResult<()>;
    /// The newest entries first; expired ones are never returned.
    async fn recent_deliveries(
        &self,
        account: &AccountId,
        now: DateTime<Utc>,
        limit: usize,
    ) -> StoreResult<Vec<Delivery>>;
}

#[async_trait]
pub trait SyncStates: Send + Sync {
    async fn sync_state(&self, account: &AccountId) -> StoreResult<SyncState>;
    async fn save_sync_state(&self, account: &AccountId, state: &SyncState) -> StoreResult<()>;
    /// Takes the account's sync lease for `lease.holder` until `lease.expires_at`, in one
    /// conditional write: only if nobody holds it, its holder's lease expired before `now`, or
    /// the holder is the same.
    async fn take_sync_lease(
        &self,
        account: &AccountId,
        lease: &SyncLease,
        now: DateTime<Utc>,
    ) -> StoreResult<LeaseTaken>;
    /// Gives the lease back, if `holder` still holds it (a lease taken over after expiring is
    /// left to its new holder).
    async fn release_sync_lease(&self, account: &AccountId, holder: &str) -> StoreResult<()>;
}

/// A store's tenant secrets (SPEC §6): the key ring that seals what the store writes, and opens
/// what it read. Adapters seal every plain secret of an account before they write it.
pub trait Vault: Send + Sync {
    fn secrets(&self) -> &Secrets;
}

/// All the store traits, for code that calls store methods on a concrete store type.
pub mod prelude {
    pub use super::{
        Accounts, Appointments, Counters, Deliveries, Leads, Store, SyncStates, Vault,
    };
}

/// Everything booking-tracker keeps.
pub trait Store:
    Accounts + Leads + Appointments + Counters + Deliveries + SyncStates + Vault
{
}

impl<T: Accounts + Leads + Appointments + Counters + Deliveries + SyncStates + Vault> Store for T {}

/// `account` with every plain secret sealed with the current key: what an adapter writes.
#[cfg(any(feature = "sqlite", feature = "dynamodb"))]
pub(crate) async fn sealed_account(secrets: &Secrets, account: &Account) -> StoreResult<Account> {
    let mut sealed = account.clone();
    if account.has_plain_secrets() {
        let ring = secrets.sealing_ring().await?;
        sealed
            .seal_with(&ring)
            .map_err(|e| StoreError::Secrets(SecretsError::Unavailable(e)))?;
    }
    Ok(sealed)
}

/// The key ring an account's sealed secrets name (SQLite records it beside each account).
#[cfg(feature = "sqlite")]
pub(crate) fn key_ring_of(account: &Account) -> Option<String> {
    account
        .secrets()
        .iter()
        .find_map(|(_, secret)| secret.sealed_with().map(|(ring, _)| ring))
}

/// Seals the plain-text secrets a build from before sealing stored (`init`, and a SQLite store's
/// first open). Returns how many accounts were sealed; safe to repeat.
pub async fn seal_plain_secrets(store: &(impl Store + ?Sized)) -> StoreResult<usize> {
    let mut sealed = 0;
    for account in store.list_accounts().await? {
        let mut account = account;
        while account.has_plain_secrets() {
            match store.update_account(&account).await {
                Ok(_) => {
                    sealed += 1;
                    break;
                }
                // Changed meanwhile: seal what is there now.
                Err(StoreError::Conflict) => match store.get_account(&account.id).await? {
                    Some(now) => account = now,
                    None => break,
                },
                Err(e) => return Err(e),
            }
        }
    }
    Ok(sealed)
}
