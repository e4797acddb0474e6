//! Cal.com webhook bodies (payload version 2021-10-20), as far as booking-tracker reads them.
//! Every field is optional here; `parse` decides what is required for which trigger.

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

/// `{triggerEvent, createdAt, payload}`; `MEETING_*` bodies are flat (no `payload`).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Envelope<'a> {
    pub(super) trigger_event: Option<String>,
    pub(super) created_at: Option<String>,
    #[serde(borrow)]
    pub(super) payload: Option<&'a RawValue>,
}

/// A booking, as in `payload` of the `BOOKING_*` triggers and at the root of `MEETING_ENDED`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Booking {
    pub(super) uid: Option<String>,
    pub(super) start_time: Option<String>,
    pub(super) end_time: Option<String>,
    /// The event type's slug.
    #[serde(rename = "type")]
    pub(super) type_slug: Option<String>,
    #[serde(default)]
    pub(super) attendees: Vec<Attendee>,
    pub(super) responses: Option<Map<String, Value>>,
    /// Booking metadata: `?metadata[key]=value` of the booking link lands here.
    pub(super) metadata: Option<Value>,
    pub(super) location: Option<Value>,
    pub(super) sms_reminder_number: Option<String>,
    /// `BOOKING_RESCHEDULED`: the booking this one replaced.
    pub(super) reschedule_uid: Option<String>,
    /// Flat `MEETING_*` rows: the booking this one replaced.
    pub(super) from_reschedule: Option<String>,
    /// Some cancellations name the booking that replaced the cancelled one.
    pub(super) rescheduled_to_uid: Option<String>,
    /// Flat `MEETING_*` rows: when the booking was made.
    pub(super) created_at: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Attendee {
    pub(super) name: Option<String>,
    pub(super) email: Option<String>,
    pub(super) phone_number: Option<String>,
    pub(super) no_show: Option<bool>,
}

/// `BOOKING_NO_SHOW_UPDATED` and the `AFTER_*_CAL_VIDEO_NO_SHOW` payloads.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct NoShow {
    pub(super) booking_uid: Option<String>,
    pub(super) attendees: Option<Vec<Attendee>>,
    pub(super) start_time: Option<String>,
    pub(super) end_time: Option<String>,
}
