//! Cal.com API v2 calls that act on one booking (`cal-api-version: 2024-08-13`), and the booking
//! as `GET` reads it before and after:
//!
//! | call | body | answer |
//! |---|---|---|
//! | `GET /v2/bookings/{uid}` | | `{status: "success", data: Booking}` |
//! | `POST /v2/bookings/{uid}/cancel` | `{cancellationReason}` | `{status, data: Booking}` (now `cancelled`) |
//! | `POST /v2/bookings/{uid}/mark-absent` | `{attendees: [{email, absent}]}` | `{status, data: Booking}` |
//!
//! `Booking` is the same object `GET /v2/bookings` lists (PROVIDERS.md §3): `status`
//! (`accepted`, `pending`, `cancelled`, `rejected`), `attendees[].absent`, `updatedAt`,
//! `rescheduledToUid`. A recurring booking's `data` may be a list: the one with the uid is read.
//! Refusals are 4xx with `{status: "error", error: {code, message}}` (already cancelled, a past
//! booking, a key without access). Sources: cal.com/docs/api-reference/v2/bookings
//! (get-a-booking, cancel-a-booking, mark-a-booking-absence).

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::Value;

use crate::providers::json::{self, PayloadError};

/// What booking-tracker needs to know about one Cal.com booking before and after acting on it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RemoteBooking {
    /// `accepted`, `pending`, `cancelled` or `rejected`.
    pub status: String,
    /// The first attendee's email: `mark-absent` names attendees by email.
    pub attendee_email: Option<String>,
    /// Whether the first attendee is marked absent.
    pub absent: bool,
    /// The booking's last change, if Cal.com says.
    pub updated_at: Option<DateTime<Utc>>,
    /// Set when the booking was rescheduled to another.
    pub rescheduled_to: Option<String>,
}

impl RemoteBooking {
    /// Cancelled or rejected: nothing is left to cancel.
    pub fn is_called_off(&self) -> bool {
        matches!(self.status.as_str(), "cancelled" | "rejected")
    }
}

#[derive(Deserialize)]
struct Envelope {
    status: Option<String>,
    data: Option<Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Booking {
    uid: Option<String>,
    status: Option<String>,
    updated_at: Option<String>,
    rescheduled_to_uid: Option<String>,
    #[serde(default)]
    attendees: Vec<Attendee>,
}

#[derive(Deserialize)]
struct Attendee {
    email: Option<String>,
    absent: Option<bool>,
}

/// The booking `uid` in an answer of any of the calls above.
pub fn parse_booking(body: &[u8], uid: &str) -> Result<RemoteBooking, PayloadError> {
    let envelope: Envelope = json::from_body(body, "body")?;
    if let Some(status) = envelope.status.as_deref().filter(|s| *s != "success") {
        return Err(PayloadError::field(
            "status",
            format!("is {status:?}, expected \"success\""),
        ));
    }
    let data = json::required(envelope.data, "data")?;
    let bookings: Vec<Booking> = match data {
        Value::Array(items) => items
            .into_iter()
            .map(serde_json::from_value)
            .collect::<Result<_, _>>(),
        one => serde_json::from_value(one).map(|b| vec![b]),
    }
    .map_err(|e| PayloadError::field("data", e.to_string()))?;
    let count = bookings.len();
    let booking = bookings
        .into_iter()
        .find(|b| count == 1 || b.uid.as_deref() == Some(uid))
        .ok_or_else(|| PayloadError::field("data", format!("holds no booking {uid:?}")))?;
    let first = booking.attendees.first();
    Ok(RemoteBooking {
        status: json::required(booking.status, "data.status")?.to_ascii_lowercase(),
        attendee_email: first.and_then(|a| json::text(a.email.as_deref())),
        absent: first.and_then(|a| a.absent).unwrap_or(false),
        updated_at: json::optional_time(booking.updated_at.as_deref(), "data.updatedAt")?,
        rescheduled_to: json::text(booking.rescheduled_to_uid.as_deref()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_booking_and_a_recurring_list() {
        let one = br#"{"status":"success","data":{"uid":"a","status":"accepted",
            "updatedAt":"2026-03-02T10:00:00.000Z","attendees":[{"email":"x@y.com","absent":true}]}}"#;
        let read = parse_booking(one, "a").unwrap();
        assert_eq!(read.status, "accepted");
        assert!(read.absent && !read.is_called_off());
        assert_eq!(read.attendee_email.as_deref(), Some("x@y.com"));

        let many = br#"{"status":"success","data":[{"uid":"a","status":"accepted"},
            {"uid":"b","status":"cancelled","rescheduledToUid":"c"}]}"#;
        let read = parse_booking(many, "b").unwrap();
        assert!(read.is_called_off());
        assert_eq!(read.rescheduled_to.as_deref(), Some("c"));
        assert!(parse_booking(many, "z").is_err());
        assert!(parse_booking(br#"{"status":"error"}"#, "a").is_err());
    }
}
