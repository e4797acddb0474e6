//! One account's run, whoever starts it: under the account's lease, pull its sheet (and act on
//! the team's status edits, when the account has sheet actions on), read both providers at
//! once (each incrementally, paced per credential), apply what they listed, mark ended calls
//! completed, push the sheet, and record the run.

use chrono::{DateTime, Utc};
use tokio::time::Instant;

use futures_util::StreamExt;

use super::calcom::CalcomWindow;
use super::run::{Run, SHEET};
use super::{SyncReport, SyncRunError, SyncService};
use crate::accounts::Account;
use crate::actions::sheet::SheetEdits;
use crate::domain::Provider;
use crate::outbound::FetchError;
use crate::store::{Store, StoreError, SyncRun, SyncState};

const PROVIDER_CALCOM: &str = "calcom";
const PROVIDER_CALENDLY: &str = "calendly";

/// What one provider's part of a run did.
struct Part<'a> {
    run: Run<'a>,
    /// Every booking it listed was applied: its watermark (and Calendly's versions) may move.
    applied_all: bool,
    /// It read everything, not only what changed.
    full: bool,
    /// Calendly's event versions as listed.
    versions: Option<std::collections::BTreeMap<String, String>>,
}

impl<'a> Part<'a> {
    fn new(account: &'a Account) -> Self {
        Self {
            run: Run::new(account),
            applied_all: false,
            full: false,
            versions: None,
        }
    }

    fn failed(mut self, provider: &str, error: &FetchError) -> Self {
        self.run
            .report
            .fail(provider, error.code(), error.to_string());
        self.applied_all = false;
        self
    }
}

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
        let sheet = match self.open_sheet(account).await {
            Some(Ok(opened)) => Some(opened),
            Some(Err(e)) => {
                run.report.fail(SHEET, e.code(), e.to_string());
                None
            }
            None => None,
        };
        let mut pulled = None;
        if let Some((settings, credentials)) = &sheet {
            let connected = (*settings, credentials);
            let mut edits = SheetEdits::new(account, now);
            let result = crate::sheets::pull(
                &*self.store,
                &self.sheets,
                account,
                connected,
                now,
                deadline,
                &mut |row| edits.hold(row),
            )
            .await;
            pulled = run.sheet_outcome(result, credentials)?;
            // The team's edits are acted on before the providers are read, so this run's
            // reads see what the actions did.
            if let Some((_, sheet_report)) = &mut pulled {
                let acted = self.act_on_sheet(account, edits, deadline).await?;
                run.sheet_acted(acted, sheet_report);
            }
        }

        // The providers are independent: both at once, each reading and applying its own part.
        let (calcom, calendly) = tokio::join!(
            self.calcom_part(account, &state, now, deadline),
            self.calendly_part(account, &state, now, deadline)
        );
        for (provider, part) in [(Provider::Calcom, calcom?), (Provider::Calendly, calendly?)] {
            let Some(part) = part else { continue };
            run.absorb(part.run);
            if part.applied_all {
                state.watermarks.insert(provider, now);
                if part.full {
                    state.full_reads.insert(provider, now);
                }
                if let Some(versions) = part.versions {
                    state.calendly_events = versions;
                }
            }
        }

        let synced_any = account.needs_sync();
        if synced_any {
            self.sweep(&mut run, now).await?;
        }
        if let (Some((settings, credentials)), Some((snapshot, mut sheet_report))) =
            (&sheet, pulled)
        {
            let result = crate::sheets::push(
                &*self.store,
                &self.sheets,
                account,
                (*settings, credentials),
                &snapshot,
                deadline,
                &mut sheet_report,
            )
            .await;
            run.sheet_outcome(result, credentials)?;
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

    /// Cal.com's part, if the account has an API key: its listings read at once, then
    /// applied (a listing that fails applies nothing from Cal.com).
    async fn calcom_part<'a>(
        &self,
        account: &'a Account,
        state: &SyncState,
        now: DateTime<Utc>,
        deadline: Instant,
    ) -> Result<Option<Part<'a>>, StoreError> {
        let mut part = Part::new(account);
        let source = match self.calcom_source(account).await {
            None => return Ok(None),
            Some(Ok(source)) => source,
            Some(Err(e)) => return Ok(Some(part.failed(PROVIDER_CALCOM, &e))),
        };
        let watermark = state.watermarks.get(&Provider::Calcom);
        part.full = watermark.is_none() || self.full_read(state, Provider::Calcom, now);
        let window = CalcomWindow {
            since: watermark.map_or(now - self.windows.first_run, |w| *w - self.windows.overlap),
            now,
            past: self.windows.recent,
            full: part.full,
        };
        match source.fetch(window, deadline).await {
            Ok(fetched) => {
                part.applied_all = self
                    .apply_fetched(&mut part.run, fetched, now, deadline, PROVIDER_CALCOM)
                    .await?;
                Ok(Some(part))
            }
            Err(e) => Ok(Some(part.failed(PROVIDER_CALCOM, &e))),
        }
    }

    /// Calendly's part, if the account has a token: the events listed, then the changed
    /// events' invitees read a few at a time and applied as each arrives, so applying overlaps
    /// reading. A failure stops the part; what was applied stays (each booking is atomic), and
    /// the remembered versions do not move, so the next run reads the rest again.
    async fn calendly_part<'a>(
        &self,
        account: &'a Account,
        state: &SyncState,
        now: DateTime<Utc>,
        deadline: Instant,
    ) -> Result<Option<Part<'a>>, StoreError> {
        let mut part = Part::new(account);
        let source = match self.calendly_source(account).await {
            None => return Ok(None),
            Some(Ok(source)) => source,
            Some(Err(e)) => return Ok(Some(part.failed(PROVIDER_CALENDLY, &e))),
        };
        let organization = match &account.calendly.organization {
            Some(org) => org.clone(),
            None => match source.organization(deadline).await {
                Ok(org) => {
                    self.remember_organization(account, &org, now).await;
                    org
                }
                Err(e) => return Ok(Some(part.failed(PROVIDER_CALENDLY, &e))),
            },
        };
        part.full = self.full_read(state, Provider::Calendly, now);
        let known = (!part.full).then_some(&state.calendly_events);
        let min_start = now - self.windows.recent;
        let plan = match source
            .plan(&organization, min_start, known, now, deadline)
            .await
        {
            Ok(plan) => plan,
            Err(e) => return Ok(Some(part.failed(PROVIDER_CALENDLY, &e))),
        };
        let mut pages = std::pin::pin!(source.invitee_pages(&plan.changed, deadline));
        part.applied_all = true;
        while let Some(page) = pages.next().await {
            let applied = match page {
                Ok(fetched) => {
                    self.apply_fetched(&mut part.run, fetched, now, deadline, PROVIDER_CALENDLY)
                        .await?
                }
                Err(e) => {
                    part.run
                        .report
                        .fail(PROVIDER_CALENDLY, e.code(), e.to_string());
                    false
                }
            };
            if !applied {
                part.applied_all = false;
                break;
            }
        }
        part.versions = Some(plan.versions);
        Ok(Some(part))
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
