//! One account's run, whoever starts it: under the account's lease, pull its sheet, read both
//! providers at once (each incrementally, paced per credential), apply what they listed, mark
//! ended calls completed, push the sheet, and record the run.

use chrono::{DateTime, Utc};
use tokio::time::Instant;

use super::calcom::CalcomWindow;
use super::calendly::CalendlyRead;
use super::run::Run;
use super::{Fetched, SyncReport, SyncRunError, SyncService};
use crate::accounts::Account;
use crate::domain::Provider;
use crate::outbound::FetchError;
use crate::store::{Store, StoreError, SyncRun, SyncState};

impl<S: Store + ?Sized> SyncService<S> {
    /// Syncs one account while holding its lease: [`SyncRunError::InProgress`] if another run
    /// holds it. Provider and sheet failures are the report's errors (the next run tries
    /// again); a store failure is an `Err` (nothing half-applied: each booking is one atomic
    /// write).
    pub async fn sync_account(
        &self,
        account: &Account,
        deadline: Instant,
    ) -> Result<SyncReport, SyncRunError> {
        self.with_lease(&account.id, deadline, async {
            Ok(self.run_account(account, deadline).await?)
        })
        .await
    }

    async fn run_account(
        &self,
        account: &Account,
        deadline: Instant,
    ) -> Result<SyncReport, StoreError> {
        let now = self.clock.now();
        let mut state = self.store.sync_state(&account.id).await?;
        let mut run = Run::new(account);
        let sheet = account.connected_sheet();
        let mut pulled = None;
        if let Some(connected) = sheet {
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

        // The providers are independent: read both at once, then apply one after the other.
        let (calcom, calendly) = tokio::join!(
            self.read_calcom(account, &state, now, deadline),
            self.read_calendly(account, &state, now, deadline)
        );
        if let Some(read) = calcom {
            match read {
                Ok((fetched, full)) => {
                    if self
                        .apply_fetched(&mut run, fetched, now, deadline, "calcom")
                        .await?
                    {
                        state.watermarks.insert(Provider::Calcom, now);
                        if full {
                            state.full_reads.insert(Provider::Calcom, now);
                        }
                    }
                }
                Err(e) => run.report.fail("calcom", e.code(), e.to_string()),
            }
        }
        if let Some(read) = calendly {
            match read {
                Ok((read, full)) => {
                    if self
                        .apply_fetched(&mut run, read.fetched, now, deadline, "calendly")
                        .await?
                    {
                        state.watermarks.insert(Provider::Calendly, now);
                        state.calendly_events = read.versions;
                        if full {
                            state.full_reads.insert(Provider::Calendly, now);
                        }
                    }
                }
                Err(e) => run.report.fail("calendly", e.code(), e.to_string()),
            }
        }

        let synced_any = account.needs_sync();
        if synced_any {
            self.sweep(&mut run, now).await?;
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
        let report = run.finish(synced_any);
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

    /// Whether this run reads everything a provider has rather than what changed: the first
    /// run, and once a day after that.
    fn full_read(&self, state: &SyncState, provider: Provider, now: DateTime<Utc>) -> bool {
        state
            .full_reads
            .get(&provider)
            .is_none_or(|last| now - *last >= self.windows.full_read_every)
    }

    /// Cal.com's bookings, if the account has an API key; and whether that was a full read.
    async fn read_calcom(
        &self,
        account: &Account,
        state: &SyncState,
        now: DateTime<Utc>,
        deadline: Instant,
    ) -> Option<Result<(Fetched, bool), FetchError>> {
        let source = self.calcom_source(account)?;
        let watermark = state.watermarks.get(&Provider::Calcom);
        let full = watermark.is_none() || self.full_read(state, Provider::Calcom, now);
        let window = CalcomWindow {
            since: watermark.map_or(now - self.windows.first_run, |w| *w - self.windows.overlap),
            now,
            past: self.windows.recent,
            full,
        };
        Some(source.fetch(window, deadline).await.map(|f| (f, full)))
    }

    /// Calendly's invitees, if the account has a token; and whether that was a full read.
    async fn read_calendly(
        &self,
        account: &Account,
        state: &SyncState,
        now: DateTime<Utc>,
        deadline: Instant,
    ) -> Option<Result<(CalendlyRead, bool), FetchError>> {
        let source = self.calendly_source(account)?;
        let organization = match &account.calendly.organization {
            Some(org) => org.clone(),
            None => match source.organization(deadline).await {
                Ok(org) => {
                    self.remember_organization(account, &org, now).await;
                    org
                }
                Err(e) => return Some(Err(e)),
            },
        };
        let full = self.full_read(state, Provider::Calendly, now);
        let known = (!full).then_some(&state.calendly_events);
        let read = source
            .fetch(
                &organization,
                now - self.windows.recent,
                known,
                now,
                deadline,
            )
            .await;
        Some(read.map(|r| (r, full)))
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
