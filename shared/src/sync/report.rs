//! The sync report (SPEC §3): what a run found and changed.

use chrono_tz::Tz;
use serde::Serialize;

use crate::booking::Appointment;
use crate::ingest::Applied;
use crate::leads::format_booking_time;
use crate::sheets::SheetReport;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncReport {
    pub account_id: String,
    pub success: bool,
    pub message: String,
    /// Bookings (Cal.com) and invitees (Calendly) the providers listed.
    pub bookings_found: u64,
    /// Of those, how many were matched to a lead that existed before the run.
    pub matches_found: u64,
    /// Leads the run created for attendees no lead matched.
    pub leads_created: u64,
    /// Bookings created or changed (each once, however many writes it took).
    pub updates_applied: u64,
    /// One entry per booking changed: its final change in the run.
    pub updates: Vec<SyncUpdate>,
    pub errors: Vec<SyncError>,
    /// The Google Sheet's pull and push, for accounts with one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sheet: Option<SheetReport>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncUpdate {
    pub appointment_id: String,
    pub lead_id: Option<String>,
    pub name: Option<String>,
    /// The call's start, `HH:MM DD/MM/YYYY` in the account's time zone.
    pub booking_time: Option<String>,
    /// `created` or `updated`: the booking's last change in the run; `cancelled_from_sheet` or
    /// `no_show_from_sheet` for a booking a sheet edit acted on.
    pub change: String,
}

impl SyncUpdate {
    /// The entry for `appointment` as it now is.
    pub fn of(appointment: &Appointment, change: &str, time_zone: Tz) -> Self {
        Self {
            appointment_id: appointment.id().to_string(),
            lead_id: appointment.lead_id().map(ToString::to_string),
            name: appointment.attendee().name,
            booking_time: appointment
                .start()
                .map(|t| format_booking_time(t, time_zone)),
            change: change.to_owned(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncError {
    /// `calcom`, `calendly`, `google_sheets`, or `store`.
    pub provider: String,
    pub code: String,
    pub message: String,
}

impl SyncReport {
    pub fn new(account_id: &str) -> Self {
        Self {
            account_id: account_id.to_owned(),
            success: true,
            message: String::new(),
            bookings_found: 0,
            matches_found: 0,
            leads_created: 0,
            updates_applied: 0,
            updates: Vec::new(),
            errors: Vec::new(),
            sheet: None,
        }
    }

    /// A run that did not happen or did not finish: `code` says why (`deadline`,
    /// `sync_in_progress`, `storage_unavailable`).
    pub fn failed(account_id: &str, code: &str, message: impl Into<String>) -> Self {
        let mut report = Self::new(account_id);
        let provider = if code == "storage_unavailable" {
            "store"
        } else {
            "all"
        };
        report.fail(provider, code, message);
        report.finish(true);
        report
    }

    /// The booking's entry for what `applied` did, or `None` when it changed nothing.
    pub(super) fn update_of(applied: &Applied, time_zone: Tz) -> Option<SyncUpdate> {
        if applied.outcome == crate::booking::Outcome::Unchanged {
            return None;
        }
        Some(SyncUpdate::of(
            &applied.appointment,
            applied.outcome.as_str(),
            time_zone,
        ))
    }

    /// One log line for the run.
    pub fn log(&self) {
        tracing::info!(
            account = %self.account_id,
            success = self.success,
            found = self.bookings_found,
            applied = self.updates_applied,
            leads_created = self.leads_created,
            errors = self.errors.len(),
            "sync"
        );
    }

    pub(super) fn fail(&mut self, provider: &str, code: &str, message: impl Into<String>) {
        self.errors.push(SyncError {
            provider: provider.to_owned(),
            code: code.to_owned(),
            message: message.into(),
        });
    }

    /// Sets `success` and `message` from what happened.
    pub(super) fn finish(&mut self, synced_any: bool) {
        self.success = self.errors.is_empty();
        self.message = match (synced_any, self.success) {
            (false, _) if self.errors.is_empty() => {
                "nothing to sync: set a Cal.com API key, a Calendly token or a Google Sheet"
                    .to_owned()
            }
            (_, true) => "sync completed".to_owned(),
            (_, false) => format!("sync completed with {} errors", self.errors.len()),
        };
    }
}
