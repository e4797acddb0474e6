//! The reconciliation: read the providers' APIs and apply what the webhooks missed, through the
//! same use-case as webhooks. Every hour for every account with credentials or a sheet, and on
//! demand (`POST /sync`, `booking-tracker sync`).
//!
//! The straight line, one module each: `fanout` (the schedule enqueues accounts; queue records
//! run them) or `pool` (every account in one process) → `lease` (one run per account at a time)
//! → `job` (one account's run) → `calcom` / `calendly` (incremental reads, paced per credential
//! by `pacer`) → `run` (apply, sweep, report). `subscribe` makes the Calendly webhook
//! subscription at onboarding with the same client.

mod calcom;
mod calendly;
mod fanout;
mod http;
mod job;
mod lease;
mod pacer;
mod pool;
mod report;
mod run;
#[cfg(feature = "fanout")]
pub mod sqs;
mod subscribe;

pub use calcom::{CalcomSource, CalcomWindow, Fetched};
pub use calendly::{CalendlyPlan, CalendlySource};
pub use fanout::{BATCH, EnqueueError, RecordOutcome, SyncMessage, SyncQueue};
pub use http::SYNC_REQUEST_BUDGET;
pub use lease::SyncRunError;
pub use pacer::{DEFAULT_CALCOM_PER_MINUTE, DEFAULT_CALENDLY_PER_MINUTE, Lane, PaceLimits, Pacer};
pub use pool::{Concurrency, DEFAULT_ACCOUNTS_AT_ONCE, DEFAULT_READS_AT_ONCE};
pub use report::{SyncError, SyncReport, SyncUpdate};
pub use run::SHEET;
pub use subscribe::{SubscribeOutcome, Subscribed, Subscription, subscribe, subscriptions};

use std::sync::Arc;

use chrono::Duration;

use crate::accounts::{Account, GoogleCredentials, SheetSettings};
use crate::clock::Clock;
use crate::domain::{Provider, Secret};
use crate::outbound::{FetchError, ProviderHttp, RetryPolicy};
use crate::secrets::{SecretField, StoredSecret};
use crate::sheets::SheetsClient;
use crate::store::Store;

pub const DEFAULT_CALCOM_API_URL: &str = "https://api.cal.com";
pub const DEFAULT_CALENDLY_API_URL: &str = "https://api.calendly.com";

/// How far back each run looks.
#[derive(Clone, Debug)]
pub struct SyncWindows {
    /// Cal.com cancellations, on the first run (later runs start at the last run).
    pub first_run: Duration,
    /// Re-read this much before the last run, for changes that landed as it ran.
    pub overlap: Duration,
    /// Cal.com past bookings (for `absent`) and Calendly events (for cancellations and no-shows
    /// of recent calls).
    pub recent: Duration,
    /// Calls whose end passed without an outcome are marked completed, this far back.
    pub sweep: Duration,
    /// A run reads everything (every upcoming Cal.com booking, every Calendly event's
    /// invitees) when the last full read is this old: a daily safety net under the
    /// incremental reads.
    pub full_read_every: Duration,
}

impl Default for SyncWindows {
    fn default() -> Self {
        Self {
            first_run: Duration::days(30),
            overlap: Duration::hours(2),
            recent: Duration::days(7),
            sweep: Duration::days(30),
            full_read_every: Duration::hours(24),
        }
    }
}

/// What the sync needs, built once per process.
pub struct SyncService<S: ?Sized> {
    pub store: Arc<S>,
    pub clock: Arc<dyn Clock>,
    pub http: ProviderHttp,
    /// `CALCOM_API_URL`.
    pub calcom_base: String,
    /// `CALENDLY_API_URL`.
    pub calendly_base: String,
    /// The Google Sheets API (`GOOGLE_SHEETS_API_URL`), for accounts with a sheet.
    pub sheets: SheetsClient,
    pub windows: SyncWindows,
    /// Per-credential rate budgets, shared by every run of the process.
    pub pacer: Arc<Pacer>,
    pub concurrency: Concurrency,
}

impl<S: ?Sized> std::fmt::Debug for SyncService<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncService")
            .field("calcom_base", &self.calcom_base)
            .field("calendly_base", &self.calendly_base)
            .field("concurrency", &self.concurrency)
            .finish_non_exhaustive()
    }
}

impl<S: ?Sized> SyncService<S> {
    /// A service over `store` calling the given base URLs, with the default windows, pacing
    /// and concurrency.
    pub fn new(
        store: Arc<S>,
        clock: Arc<dyn Clock>,
        http: ProviderHttp,
        calcom_base: impl Into<String>,
        calendly_base: impl Into<String>,
        sheets: SheetsClient,
    ) -> Self {
        Self {
            store,
            clock,
            http,
            calcom_base: calcom_base.into(),
            calendly_base: calendly_base.into(),
            sheets,
            windows: SyncWindows::default(),
            pacer: Arc::new(Pacer::new(PaceLimits::default())),
            concurrency: Concurrency::default(),
        }
    }

    /// The service with the providers' base URLs from `CALCOM_API_URL` and `CALENDLY_API_URL`
    /// and their pace from `CALCOM_REQUESTS_PER_MINUTE` and `CALENDLY_REQUESTS_PER_MINUTE`.
    pub fn from_env(store: Arc<S>, clock: Arc<dyn Clock>) -> Result<Self, String> {
        let base = |name: &str, default: &str| {
            std::env::var(name)
                .ok()
                .map(|v| v.trim().trim_end_matches('/').to_owned())
                .filter(|v| !v.is_empty())
                .unwrap_or_else(|| default.to_owned())
        };
        let http = ProviderHttp::new(RetryPolicy::default())?;
        let sheets = SheetsClient::from_env(&http);
        let mut service = Self::new(
            store,
            clock,
            http,
            base("CALCOM_API_URL", DEFAULT_CALCOM_API_URL),
            base("CALENDLY_API_URL", DEFAULT_CALENDLY_API_URL),
            sheets,
        );
        service.pacer = Arc::new(Pacer::new(PaceLimits::from_env()?));
        Ok(service)
    }
}

impl<S: Store + ?Sized> SyncService<S> {
    /// The account's Cal.com reader, if it has an API key (opened with the store's key ring).
    pub async fn calcom_source<'a>(
        &'a self,
        account: &'a Account,
    ) -> Option<Result<CalcomSource<'a>, FetchError>> {
        let stored = account.calcom.api_key.as_ref()?;
        let opened = self.open(account, SecretField::CalcomApiKey, stored).await;
        Some(opened.map(|api_key| CalcomSource {
            http: &self.http,
            base: &self.calcom_base,
            pace: self.pacer.lane(Provider::Calcom, &api_key),
            api_key,
            event_type_ids: &account.calcom.event_type_ids,
            region: account.phone_region,
            reads: self.concurrency.reads,
        }))
    }

    /// The account's Calendly reader, if it has a token (opened with the store's key ring).
    pub async fn calendly_source<'a>(
        &'a self,
        account: &'a Account,
    ) -> Option<Result<CalendlySource<'a>, FetchError>> {
        let stored = account.calendly.token.as_ref()?;
        let opened = self.open(account, SecretField::CalendlyToken, stored).await;
        Some(opened.map(|token| CalendlySource {
            http: &self.http,
            base: &self.calendly_base,
            pace: self.pacer.lane(Provider::Calendly, &token),
            token,
            region: account.phone_region,
            reads: self.concurrency.reads,
        }))
    }

    /// The account's sheet, with the service account's key opened, once both are set.
    pub async fn open_sheet<'a>(
        &self,
        account: &'a Account,
    ) -> Option<Result<(&'a SheetSettings, GoogleCredentials), FetchError>> {
        let (settings, credentials) = account.connected_sheet()?;
        let opened = self
            .open(
                account,
                SecretField::GooglePrivateKey,
                &credentials.private_key,
            )
            .await;
        Some(opened.map(|key| (settings, credentials.with_private_key(key))))
    }

    async fn open(
        &self,
        account: &Account,
        field: SecretField,
        stored: &StoredSecret,
    ) -> Result<Secret, FetchError> {
        self.store
            .secrets()
            .open(&account.id, field, stored)
            .await
            .map_err(|e| FetchError::Credentials(e.to_string()))
    }
}
