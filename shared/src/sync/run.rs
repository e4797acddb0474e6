//! What one account's run does with what it read: each booking event applied through the same
//! use-case as webhooks, ended calls marked completed, and the report kept so that a booking is
//! in it once, with its final change, however many events and writes it took.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use tokio::time::Instant;

use super::calcom::Fetched;
use super::{SyncReport, SyncService, SyncUpdate};
use crate::accounts::{Account, GoogleCredentials};
use crate::actions::sheet::SheetActed;
use crate::booking::Outcome;
use crate::domain::{BookingEvent, BookingKey, EventKind, LeadId, Provider};
use crate::ingest::{ApplyError, apply_event};
use crate::matching::{LeadMatch, NoMatchReason};
use crate::sheets::{SheetError, SheetReport};
use crate::store::{Store, StoreError};

/// The `provider` of sheet errors in the report.
pub const SHEET: &str = "google_sheets";

/// What one account's run has gathered.
pub(super) struct Run<'a> {
    pub(super) account: &'a Account,
    pub(super) report: SyncReport,
    /// Each booking's place in `report.updates`.
    positions: HashMap<String, usize>,
    /// The lead of each booking seen.
    leads: HashMap<(Provider, BookingKey), Option<LeadId>>,
    /// Leads this run created from attendees.
    created: HashSet<LeadId>,
}

impl<'a> Run<'a> {
    pub(super) fn new(account: &'a Account) -> Self {
        Self {
            account,
            report: SyncReport::new(account.id.as_str()),
            positions: HashMap::new(),
            leads: HashMap::new(),
            created: HashSet::new(),
        }
    }

    /// A sheet call's result: a store failure ends the run (503); a Google failure is the
    /// report's error, and the run goes on without the sheet.
    pub(super) fn sheet_outcome<T>(
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

    /// Keeps a booking's latest change, in the place of its first.
    fn record(&mut self, update: SyncUpdate) {
        match self.positions.get(&update.appointment_id) {
            Some(at) => self.report.updates[*at] = update,
            None => {
                self.positions
                    .insert(update.appointment_id.clone(), self.report.updates.len());
                self.report.updates.push(update);
            }
        }
    }

    /// Takes in what acting on the sheet's edits did.
    pub(super) fn sheet_acted(&mut self, acted: SheetActed, sheet: &mut SheetReport) {
        for update in acted.updates {
            self.record(update);
        }
        self.report.errors.extend(acted.errors);
        sheet.actions = acted.notes;
    }

    /// Takes in a provider's part of the run (read and applied side by side with the other's).
    pub(super) fn absorb(&mut self, part: Run<'_>) {
        self.report.bookings_found += part.report.bookings_found;
        self.report.errors.extend(part.report.errors);
        for update in part.report.updates {
            self.record(update);
        }
        self.leads.extend(part.leads);
        self.created.extend(part.created);
    }

    /// The report, with the counts only the whole run knows.
    pub(super) fn finish(mut self, synced_any: bool) -> SyncReport {
        let created = &self.created;
        self.report.matches_found = self
            .leads
            .values()
            .flatten()
            .filter(|lead| !created.contains(*lead))
            .count() as u64;
        self.report.leads_created = created.len() as u64;
        self.report.updates_applied = self.report.updates.len() as u64;
        self.report.finish(synced_any);
        self.report
    }
}

impl<S: Store + ?Sized> SyncService<S> {
    /// Applies what a provider listed. Returns whether every booking was applied (the
    /// provider's watermark and remembered versions may then move).
    pub(super) async fn apply_fetched(
        &self,
        run: &mut Run<'_>,
        fetched: Fetched,
        now: DateTime<Utc>,
        deadline: Instant,
        provider: &str,
    ) -> Result<bool, StoreError> {
        run.report.bookings_found += fetched.bookings.len() as u64;
        let total = fetched.events.len();
        for (done, event) in fetched.events.into_iter().enumerate() {
            if Instant::now() + std::time::Duration::from_secs(1) >= deadline {
                run.report.fail(
                    provider,
                    "deadline",
                    format!("stopped before the time limit with {} of {total} changes not applied; the next run applies them", total - done),
                );
                return Ok(false);
            }
            self.apply_one(run, &event, now).await?;
        }
        Ok(true)
    }

    async fn apply_one(
        &self,
        run: &mut Run<'_>,
        event: &BookingEvent,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let applied = match apply_event(&*self.store, run.account, event, None, now).await {
            Ok(applied) => applied,
            Err(ApplyError::Store(e)) => return Err(e),
            Err(ApplyError::Contention) => {
                return Err(StoreError::Unavailable("too many concurrent writes".into()));
            }
        };
        let lead = applied.lead_id().cloned();
        let made_lead = applied.outcome != Outcome::Unchanged
            && applied.lead_match == Some(LeadMatch::NoMatch(NoMatchReason::NotFound));
        if let (true, Some(lead)) = (made_lead, &lead) {
            run.created.insert(lead.clone());
        }
        run.leads.insert((event.provider, event.key.clone()), lead);
        if let Some(update) = SyncReport::update_of(&applied, run.account.time_zone) {
            run.record(update);
        }
        Ok(())
    }

    /// Calls whose end has passed with no outcome become completed, as Cal.com's `MEETING_ENDED`
    /// would make them (Calendly sends nothing when a meeting ends). A later no-show mark still
    /// wins: it is newer.
    pub(super) async fn sweep(
        &self,
        run: &mut Run<'_>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let ended = self
            .store
            .live_between(&run.account.id, now - self.windows.sweep, now, 1000)
            .await?;
        for appointment in ended {
            let Some(start) = appointment.start() else {
                continue;
            };
            let end = appointment.end().unwrap_or(start + Duration::minutes(30));
            if end > now {
                continue;
            }
            let event = appointment.bare_event(EventKind::Completed, end, "sync:ended".into());
            self.apply_one(run, &event, now).await?;
        }
        Ok(())
    }
}
