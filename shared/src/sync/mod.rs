//! The reconciliation: read the providers' APIs and apply what the webhooks missed, through the
//! same use-case as webhooks. Hourly (EventBridge, or `serve --sync-every`) for every account
//! with credentials, and on demand (`POST /sync`, `booking-tracker sync`). The same Calendly
//! client also makes the webhook subscription at onboarding (`subscribe`).

mod calcom;
mod calendly;
mod client;
mod http;
mod report;
mod subscribe;

pub use calcom::{CalcomSource, Fetched};
pub use calendly::CalendlySource;
pub use client::{Call, FetchError, ProviderHttp, RetryPolicy};
pub use http::SYNC_REQUEST_BUDGET;
pub use report::{SyncError, SyncReport, SyncUpdate};
pub use subscribe::{SubscribeOutcome, Subscribed, Subscription, subscribe};

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use tokio::time::Instant;

use crate::accounts::{Account, GoogleCredentials};
use crate::clock::Clock;
use crate::domain::{Attendee, BookingEvent, BookingKey, EventKind, LeadId, Provider};
use crate::ingest::{ApplyError, apply_event};
use crate::sheets::{SheetError, SheetsClient};
use crate::store::{Store, StoreError, SyncRun};

pub const DEFAULT_CALCOM_API_URL: &str = "https://api.cal.com";
pub const DEFAULT_CALENDLY_API_URL: &str = "https://api.calendly.com";

/// The `provider` of sheet errors in the report.
pub const SHEET: &str = "google_sheets";

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
}

impl Default for SyncWindows {
    fn default() -> Self {
        Self {
            first_run: Duration::days(30),
            overlap: Duration::hours(2),
            recent: Duration::days(7),
            sweep: Duration::days(30),
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
}

impl<S: ?Sized> std::fmt::Debug for SyncService<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncService")
            .field("calcom_base", &self.calcom_base)
            .field("calendly_base", &self.calendly_base)
            .finish_non_exhaustive()
    }
}

impl<S: Store + ?Sized> SyncService<S> {
    /// The service with the providers' base URLs from `CALCOM_API_URL` and `CALENDLY_API_URL`.
    pub fn from_env(store: Arc<S>, clock: Arc<dyn Clock>) -> Result<Self, String> {
        let base = |name: &str, default: &str| {
            std::env::var(name)
                .ok()
                .map(|v| v.trim().trim_end_matches('/').to_owned())
                .filter(|v| !v.is_empty())
                .unwrap_or_else(|| default.to_owned())
        };
        let http = ProviderHttp::new(RetryPolicy::default())?;
        Ok(Self {
            store,
            clock,
            sheets: SheetsClient::from_env(&http),
            http,
            calcom_base: base("CALCOM_API_URL", DEFAULT_CALCOM_API_URL),
            calendly_base: base("CALENDLY_API_URL", DEFAULT_CALENDLY_API_URL),
            windows: SyncWindows::default(),
        })
    }

    /// Syncs every account that has provider credentials or a sheet, one after the other; one account's
    /// failure is its own report's error and never stops the others.
    pub async fn sync_all(&self, deadline: Instant) -> Result<Vec<SyncReport>, StoreError> {
        let accounts = self.store.list_accounts().await?;
        let mut reports = Vec::new();
        for account in accounts.iter().filter(|a| a.needs_sync()) {
            let report = if Instant::now() + StdDuration::from_secs(2) >= deadline {
                let mut report = SyncReport::new(account.id.as_str());
                report.fail(
                    "all",
                    "deadline",
                    "not reached before the time limit; the next run covers it",
                );
                report.finish(true);
                report
            } else {
                match self.sync_account(account, deadline).await {
                    Ok(report) => report,
                    Err(e) => {
                        let mut report = SyncReport::new(account.id.as_str());
                        report.fail("store", "storage_unavailable", e.to_string());
                        report.finish(true);
                        report
                    }
                }
            };
            tracing::info!(account = %account.id, success = report.success, found = report.bookings_found, applied = report.updates_applied, errors = report.errors.len(), "sync");
            reports.push(report);
        }
        Ok(reports)
    }

    /// Syncs one account: pulls its sheet, reads each configured provider, applies every
    /// booking, marks ended calls completed, pushes the sheet, and records the run. Provider and
    /// sheet failures are the report's errors (a failed push is made again next run); a store
    /// failure is an `Err` (nothing half-applied: each booking is one atomic write).
    pub async fn sync_account(
        &self,
        account: &Account,
        deadline: Instant,
    ) -> Result<SyncReport, StoreError> {
        let now = self.clock.now();
        let mut state = self.store.sync_state(&account.id).await?;
        let mut run = Run {
            report: SyncReport::new(account.id.as_str()),
            leads: HashMap::new(),
        };
        let mut synced_any = false;

        let sheet = account.connected_sheet();
        let mut pulled = None;
        if let Some(connected) = sheet {
            synced_any = true;
            let result = crate::sheets::pull(
                &*self.store,
                &self.sheets,
                account,
                connected,
                now,
                deadline,
            )
            .await;
            pulled = run.sheet_outcome(result, connected.1)?;
        }

        if let Some(api_key) = &account.calcom.api_key {
            synced_any = true;
            let since = state
                .watermarks
                .get(&Provider::Calcom)
                .map_or(now - self.windows.first_run, |w| *w - self.windows.overlap);
            let source = CalcomSource {
                http: &self.http,
                base: &self.calcom_base,
                api_key,
                event_type_ids: &account.calcom.event_type_ids,
                region: account.phone_region,
            };
            match source
                .fetch(since, now, self.windows.recent, deadline)
                .await
            {
                Ok(fetched) => {
                    if self
                        .apply(account, fetched, now, deadline, &mut run, "calcom")
                        .await?
                    {
                        state.watermarks.insert(Provider::Calcom, now);
                    }
                }
                Err(e) => run.report.fail("calcom", e.code(), e.to_string()),
            }
        }

        if let Some(token) = &account.calendly.token {
            synced_any = true;
            let source = CalendlySource {
                http: &self.http,
                base: &self.calendly_base,
                token,
                region: account.phone_region,
            };
            let organization = match &account.calendly.organization {
                Some(org) => Ok(org.clone()),
                None => {
                    let found = source.organization(deadline).await;
                    if let Ok(org) = &found {
                        self.remember_organization(account, org, now).await;
                    }
                    found
                }
            };
            let fetched = match organization {
                Ok(org) => {
                    source
                        .fetch(&org, now - self.windows.recent, deadline)
                        .await
                }
                Err(e) => Err(e),
            };
            match fetched {
                Ok(fetched) => {
                    if self
                        .apply(account, fetched, now, deadline, &mut run, "calendly")
                        .await?
                    {
                        state.watermarks.insert(Provider::Calendly, now);
                    }
                }
                Err(e) => run.report.fail("calendly", e.code(), e.to_string()),
            }
        }

        if synced_any {
            self.sweep(account, now, &mut run).await?;
        }
        if let (Some(connected), Some((snapshot, mut sheet_report))) = (sheet, pulled) {
            let result = crate::sheets::push(
                &*self.store,
                &self.sheets,
                account,
                connected,
                &snapshot,
                deadline,
                &mut sheet_report,
            )
            .await;
            run.sheet_outcome(result, connected.1)?;
            run.report.sheet = Some(sheet_report);
        }
        let mut report = run.report;
        report.matches_found = run.leads.values().filter(|lead| lead.is_some()).count() as u64;
        report.finish(synced_any);
        state.last_run = Some(SyncRun {
            at: now,
            ok: report.success,
            bookings_found: report.bookings_found,
            updates_applied: report.updates_applied,
            errors: report.errors.len() as u64,
        });
        self.store.save_sync_state(&account.id, &state).await?;
        Ok(report)
    }

    /// Applies what a provider listed. Returns whether every booking was applied (the provider's
    /// watermark may then move).
    async fn apply(
        &self,
        account: &Account,
        fetched: Fetched,
        now: DateTime<Utc>,
        deadline: Instant,
        run: &mut Run,
        provider: &str,
    ) -> Result<bool, StoreError> {
        run.report.bookings_found += fetched.bookings;
        let total = fetched.events.len();
        for (done, event) in fetched.events.into_iter().enumerate() {
            if Instant::now() + StdDuration::from_secs(1) >= deadline {
                run.report.fail(
                    provider,
                    "deadline",
                    format!("stopped before the time limit with {} of {total} changes not applied; the next run applies them", total - done),
                );
                return Ok(false);
            }
            self.apply_one(account, &event, now, run).await?;
        }
        Ok(true)
    }

    async fn apply_one(
        &self,
        account: &Account,
        event: &BookingEvent,
        now: DateTime<Utc>,
        run: &mut Run,
    ) -> Result<(), StoreError> {
        match apply_event(&*self.store, account, event, None, now).await {
            Ok(applied) => {
                run.report.record(&applied, account.time_zone);
                run.leads.insert(
                    (event.provider, event.key.clone()),
                    applied.lead_id().cloned(),
                );
                Ok(())
            }
            Err(ApplyError::Store(e)) => Err(e),
            Err(ApplyError::Contention) => {
                Err(StoreError::Unavailable("too many concurrent writes".into()))
            }
        }
    }

    /// Calls whose end has passed with no outcome become completed, as Cal.com's `MEETING_ENDED`
    /// would make them (Calendly sends nothing when a meeting ends). A later no-show mark still
    /// wins: it is newer.
    async fn sweep(
        &self,
        account: &Account,
        now: DateTime<Utc>,
        run: &mut Run,
    ) -> Result<(), StoreError> {
        let ended = self
            .store
            .live_between(&account.id, now - self.windows.sweep, now, 1000)
            .await?;
        for appointment in ended {
            let Some(start) = appointment.start() else {
                continue;
            };
            let end = appointment.end().unwrap_or(start + Duration::minutes(30));
            if end > now {
                continue;
            }
            let event = BookingEvent {
                provider: appointment.provider(),
                kind: EventKind::Completed,
                key: appointment.key().clone(),
                predecessor: None,
                successor: None,
                start: None,
                end: None,
                attendee: Attendee::default(),
                event_type: None,
                occurred_at: end,
                booked_at: None,
                trigger: "sync:ended".into(),
            };
            self.apply_one(account, &event, now, run).await?;
        }
        Ok(())
    }

    /// Saves a looked-up Calendly organization, so later runs skip the lookup. Best effort: if
    /// the account changed meanwhile, the next run looks it up again.
    async fn remember_organization(
        &self,
        account: &Account,
        organization: &str,
        now: DateTime<Utc>,
    ) {
        let mut updated = account.clone();
        updated.calendly.organization = Some(organization.to_owned());
        updated.updated_at = now;
        if let Err(e) = self.store.update_account(&updated).await {
            tracing::info!(account = %account.id, error = %e, "Calendly organization not saved; it is looked up again next run");
        }
    }
}

/// What one account's run has gathered.
struct Run {
    report: SyncReport,
    /// The lead of each booking seen, for `matchesFound`.
    leads: HashMap<(Provider, BookingKey), Option<LeadId>>,
}

impl Run {
    /// A sheet call's result: a store failure ends the run (503); a Google failure is the
    /// report's error, and the run goes on without the sheet.
    fn sheet_outcome<T>(
        &mut self,
        result: Result<T, SheetError>,
        credentials: &GoogleCredentials,
    ) -> Result<Option<T>, StoreError> {
        match result {
            Ok(value) => Ok(Some(value)),
            Err(SheetError::Store(e)) => Err(e),
            Err(e) => {
                self.report
                    .fail(SHEET, e.code(), e.explain(&credentials.client_email));
                Ok(None)
            }
        }
    }
}
