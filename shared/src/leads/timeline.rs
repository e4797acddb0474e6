//! A lead's timeline: one entry per booking event that changed one of its appointments.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::{AppointmentId, AppointmentStatus, EventKind, Provider};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TimelineEntry {
    /// When it happened, by the provider's clock.
    pub at: DateTime<Utc>,
    pub appointment_id: AppointmentId,
    pub provider: Provider,
    pub kind: EventKind,
    /// The provider's trigger (`BOOKING_CREATED`, `invitee.canceled`, `sync:accepted`).
    pub trigger: String,
    /// The appointment's status after the event.
    pub status: AppointmentStatus,
    pub start: Option<DateTime<Utc>>,
}

impl TimelineEntry {
    /// A key that sorts by time and is the same for the same event, so writing an entry twice
    /// keeps one.
    pub fn key(&self) -> String {
        format!(
            "{}#{}#{}",
            self.at.to_rfc3339_opts(SecondsFormat::Micros, true),
            self.appointment_id,
            self.trigger
        )
    }
}
