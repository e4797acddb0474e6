//! An event about a stored appointment that says only what happened to it (completed, cancelled,
//! marked a no-show): what the sync's sweep and an action apply. Every other fact is left out,
//! so the merge keeps what is known.

use chrono::{DateTime, Utc};

use super::Appointment;
use crate::domain::{Attendee, BookingEvent, EventKind, Tracking};

impl Appointment {
    /// `kind` happening to this appointment at `at`, with `trigger` as its provider name.
    pub fn bare_event(&self, kind: EventKind, at: DateTime<Utc>, trigger: String) -> BookingEvent {
        BookingEvent {
            provider: self.provider,
            kind,
            key: self.key.clone(),
            predecessor: None,
            successor: None,
            start: None,
            end: None,
            attendee: Attendee::default(),
            event_type: None,
            occurred_at: at,
            booked_at: None,
            trigger,
            tracking: Tracking::default(),
        }
    }
}
