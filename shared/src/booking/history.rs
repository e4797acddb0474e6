//! What happened to an appointment: the events that changed it, kept with the appointment in the
//! same atomic write (SPEC §8, `explain`). Bounded: the last [`MAX_HISTORY`] by occurrence time.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::{BookingEvent, Provider};

/// Entries kept per appointment; older ones drop off.
pub const MAX_HISTORY: usize = 50;

/// Where an applied event came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventSource {
    /// A provider's webhook delivery.
    Webhook,
    /// The hourly reconciliation (its triggers start with `sync:`).
    Sync,
    /// `booking-tracker appointments add`.
    Manual,
    /// An action taken at the provider through booking-tracker (triggers `action:*`).
    Action,
}

impl EventSource {
    /// Triggers of events the sync makes start with this.
    pub const SYNC_PREFIX: &'static str = "sync:";
    /// Triggers of events an action makes start with this.
    pub const ACTION_PREFIX: &'static str = "action:";

    /// The name it is serialised under.
    pub const fn as_str(self) -> &'static str {
        match self {
            EventSource::Webhook => "webhook",
            EventSource::Sync => "sync",
            EventSource::Manual => "manual",
            EventSource::Action => "action",
        }
    }

    pub fn of(event: &BookingEvent) -> Self {
        if event.provider == Provider::Manual {
            EventSource::Manual
        } else if event.trigger.starts_with(Self::SYNC_PREFIX) {
            EventSource::Sync
        } else if event.trigger.starts_with(Self::ACTION_PREFIX) {
            EventSource::Action
        } else {
            EventSource::Webhook
        }
    }
}

/// One event that changed the appointment.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryEntry {
    /// When it happened, by the provider's clock.
    pub at: DateTime<Utc>,
    pub source: EventSource,
    /// The provider's name for it (`BOOKING_CREATED`, `invitee.canceled`, `sync:accepted`).
    pub trigger: String,
    /// `created` or `updated`.
    pub outcome: String,
}

/// Adds `entry` in time order (an event already listed is not listed twice) and drops the
/// oldest beyond [`MAX_HISTORY`].
pub(crate) fn record(history: &mut Vec<HistoryEntry>, entry: HistoryEntry) {
    let same_event = |e: &HistoryEntry| {
        e.at == entry.at && e.trigger == entry.trigger && e.source == entry.source
    };
    if history.iter().any(same_event) {
        return;
    }
    let at = history.partition_point(|e| e <= &entry);
    history.insert(at, entry);
    if history.len() > MAX_HISTORY {
        history.drain(..history.len() - MAX_HISTORY);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn sources_are_named_as_they_serialise() {
        for source in [
            EventSource::Webhook,
            EventSource::Sync,
            EventSource::Manual,
            EventSource::Action,
        ] {
            assert_eq!(serde_json::to_value(source).unwrap(), source.as_str());
        }
    }

    fn entry(minute: u32, trigger: &str) -> HistoryEntry {
        HistoryEntry {
            at: Utc.with_ymd_and_hms(2026, 3, 1, 10, minute, 0).unwrap(),
            source: EventSource::Webhook,
            trigger: trigger.into(),
            outcome: "updated".into(),
        }
    }

    #[test]
    fn kept_in_time_order_once_each_and_bounded() {
        let mut history = Vec::new();
        record(&mut history, entry(5, "BOOKING_CANCELLED"));
        record(&mut history, entry(1, "BOOKING_CREATED"));
        record(&mut history, entry(5, "BOOKING_CANCELLED"));
        let triggers: Vec<_> = history.iter().map(|e| e.trigger.as_str()).collect();
        assert_eq!(triggers, ["BOOKING_CREATED", "BOOKING_CANCELLED"]);
        for minute in 0..59 {
            record(&mut history, entry(minute, &format!("T{minute:02}")));
        }
        assert_eq!(history.len(), MAX_HISTORY);
        assert_eq!(history.last().unwrap().trigger, "T58", "the newest stay");
    }
}
