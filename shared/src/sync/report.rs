//! The sync report (SPEC §3): what a run found and changed.

use chrono_tz::Tz;
use serde::Serialize;

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
    /// Of those, how many belong to a lead.
    pub matches_found: u64,
    /// Appointments created or changed.
    pub updates_applied: u64,
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
    /// `created` or `updated`.
    pub change: String,
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
            updates_applied: 0,
            updates: Vec::new(),
            errors: Vec::new(),
            sheet: None,
        }
    }

    pub(super) fn record(&mut self, applied: &Applied, time_zone: Tz) {
        if applied.outcome == crate::booking::Outcome::Unchanged {
            return;
        }
        let appointment = &applied.appointment;
        self.updates_applied += 1;
        self.updates.push(SyncUpdate {
            appointment_id: appointment.id().to_string(),
            lead_id: appointment.lead_id().map(ToString::to_string),
            name: appointment.attendee().name,
            booking_time: appointment
                .start()
                .map(|t| format_booking_time(t, time_zone)),
            change: applied.outcome.as_str().to_owned(),
        });
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
