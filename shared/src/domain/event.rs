//! A booking event: one thing a provider told us about one booking, in provider-neutral form.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{BookingKey, Email, Phone, Provider, Tracking};

/// What happened to the booking.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// Booked, waiting for the host's confirmation (Cal.com `BOOKING_REQUESTED`).
    Requested,
    /// Booked or confirmed (Cal.com `BOOKING_CREATED`, Calendly `invitee.created`).
    Booked,
    /// A new booking that replaces the event's `predecessor` (Cal.com `BOOKING_RESCHEDULED`,
    /// Calendly `invitee.created` with `old_invitee`).
    Rescheduled,
    /// Called off (Cal.com `BOOKING_CANCELLED`, also when the host asked for a reschedule;
    /// Calendly `invitee.canceled`).
    Cancelled,
    /// Cancelled *because* it was rescheduled, to the event's `successor` when known
    /// (Calendly `invitee.canceled` with `rescheduled: true`). Never counted as a cancellation.
    RescheduledAway,
    /// The host declined a request (Cal.com `BOOKING_REJECTED`).
    Rejected,
    /// The meeting's end time passed (Cal.com `MEETING_ENDED`).
    Completed,
    /// The attendee was marked as a no-show.
    NoShowMarked,
    /// A no-show mark was taken back.
    NoShowCleared,
}

impl EventKind {
    pub const fn as_str(self) -> &'static str {
        match self {
            EventKind::Requested => "requested",
            EventKind::Booked => "booked",
            EventKind::Rescheduled => "rescheduled",
            EventKind::Cancelled => "cancelled",
            EventKind::RescheduledAway => "rescheduled_away",
            EventKind::Rejected => "rejected",
            EventKind::Completed => "completed",
            EventKind::NoShowMarked => "no_show_marked",
            EventKind::NoShowCleared => "no_show_cleared",
        }
    }
}

/// The person who booked, as far as the payload tells.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attendee {
    pub name: Option<String>,
    pub email: Option<Email>,
    pub phone: Option<Phone>,
}

/// One provider notification about one booking.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookingEvent {
    pub provider: Provider,
    pub kind: EventKind,
    /// The booking this event is about.
    pub key: BookingKey,
    /// The booking this one replaced, when the event says so.
    pub predecessor: Option<BookingKey>,
    /// The booking that replaced this one, when the event says so.
    pub successor: Option<BookingKey>,
    pub start: Option<DateTime<Utc>>,
    pub end: Option<DateTime<Utc>>,
    pub attendee: Attendee,
    /// The human name of the event type ("Discovery Call").
    pub event_type: Option<String>,
    /// When the change happened, by the provider's clock; orders events of one booking.
    pub occurred_at: DateTime<Utc>,
    /// When the booking itself was made, if the payload carries it.
    pub booked_at: Option<DateTime<Utc>>,
    /// The provider's name for the notification (`BOOKING_CREATED`, `invitee.canceled`).
    pub trigger: String,
    /// What the booking link carried: the tracked lead id, campaign and source.
    #[serde(default)]
    pub tracking: Tracking,
}
