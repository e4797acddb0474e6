//! Cal.com API v2 `GET /v2/bookings` (`cal-api-version: 2024-08-13`) as the hourly sync reads it
//! (PROVIDERS.md §3). Each booking becomes the same booking events a webhook would have given,
//! with `sync:<status>` as their trigger.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::domain::{Attendee, BookingEvent, Email, EventKind, Phone, Provider, Region};
use crate::providers::json::{self, PayloadError};

/// The value to send as `cal-api-version`.
pub const API_VERSION: &str = "2024-08-13";

/// Most bookings one page may hold (`take`).
pub const MAX_TAKE: usize = 250;

/// One page of bookings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BookingsPage {
    pub events: Vec<BookingEvent>,
    /// How many bookings the page held (an absent attendee adds a second event for its booking).
    pub bookings: usize,
    pub has_next_page: bool,
}

#[derive(Deserialize)]
struct Page {
    status: Option<String>,
    data: Option<Vec<Booking>>,
    pagination: Option<Pagination>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Pagination {
    has_next_page: Option<bool>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Booking {
    uid: Option<String>,
    status: Option<String>,
    start: Option<String>,
    end: Option<String>,
    rescheduled_from_uid: Option<String>,
    rescheduled_to_uid: Option<String>,
    created_at: Option<String>,
    updated_at: Option<String>,
    event_type: Option<EventType>,
    #[serde(default)]
    attendees: Vec<BookingAttendee>,
    booking_fields_responses: Option<Map<String, Value>>,
    metadata: Option<Value>,
}

#[derive(Deserialize)]
struct EventType {
    slug: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BookingAttendee {
    name: Option<String>,
    email: Option<String>,
    phone_number: Option<String>,
    absent: Option<bool>,
}

pub fn parse_bookings_page(body: &[u8], region: Region) -> Result<BookingsPage, PayloadError> {
    let page: Page = json::from_body(body, "body")?;
    if let Some(status) = page.status.as_deref().filter(|s| *s != "success") {
        return Err(PayloadError::field(
            "status",
            format!("is {status:?}, expected \"success\""),
        ));
    }
    let data = json::required(page.data, "data")?;
    let mut events = Vec::with_capacity(data.len());
    for (i, booking) in data.iter().enumerate() {
        booking_events(booking, &format!("data[{i}]."), region, &mut events)?;
    }
    let has_next_page = page
        .pagination
        .and_then(|p| p.has_next_page)
        .unwrap_or(false);
    Ok(BookingsPage {
        events,
        bookings: data.len(),
        has_next_page,
    })
}

fn booking_events(
    booking: &Booking,
    at: &str,
    region: Region,
    out: &mut Vec<BookingEvent>,
) -> Result<(), PayloadError> {
    let field = |name: &str| format!("{at}{name}");
    let key = json::key(booking.uid.as_deref(), &field("uid"))?;
    let created = json::time(
        json::required(booking.created_at.as_deref(), &field("createdAt"))?,
        &field("createdAt"),
    )?;
    // The last change is what put the booking in its current status (a confirmation, a
    // cancellation); a booking never changed since it was made has no `updatedAt`.
    let changed =
        json::optional_time(booking.updated_at.as_deref(), &field("updatedAt"))?.unwrap_or(created);
    let predecessor = json::optional_key(
        booking.rescheduled_from_uid.as_deref(),
        &field("rescheduledFromUid"),
    )?;
    let successor = json::optional_key(
        booking.rescheduled_to_uid.as_deref(),
        &field("rescheduledToUid"),
    )?;
    let status = json::required(booking.status.as_deref(), &field("status"))?;
    let kind = match status {
        "accepted" if predecessor.is_some() => EventKind::Rescheduled,
        "accepted" => EventKind::Booked,
        "pending" => EventKind::Requested,
        "cancelled" if successor.is_some() => EventKind::RescheduledAway,
        "cancelled" => EventKind::Cancelled,
        "rejected" => EventKind::Rejected,
        other => {
            return Err(PayloadError::field(
                field("status"),
                format!("is {other:?}, expected accepted, pending, cancelled or rejected"),
            ));
        }
    };
    let event = BookingEvent {
        provider: Provider::Calcom,
        kind,
        key,
        predecessor,
        successor,
        start: json::optional_time(booking.start.as_deref(), &field("start"))?,
        end: json::optional_time(booking.end.as_deref(), &field("end"))?,
        attendee: attendee(booking, region),
        event_type: booking
            .event_type
            .as_ref()
            .and_then(|t| json::text(t.slug.as_deref())),
        occurred_at: changed,
        booked_at: Some(created),
        trigger: format!("sync:{status}"),
        tracking: super::tracking::tracking(booking.metadata.as_ref(), |slug| {
            booking
                .booking_fields_responses
                .as_ref()
                .and_then(|f| f.get(slug))
                .and_then(Value::as_str)
        }),
    };
    if booking.attendees.first().and_then(|a| a.absent) == Some(true) {
        out.push(no_show(&event, changed));
    }
    out.push(event);
    Ok(())
}

fn no_show(booking: &BookingEvent, at: DateTime<Utc>) -> BookingEvent {
    BookingEvent {
        kind: EventKind::NoShowMarked,
        occurred_at: at,
        trigger: "sync:absent".to_owned(),
        ..booking.clone()
    }
}

fn attendee(booking: &Booking, region: Region) -> Attendee {
    let first = booking.attendees.first();
    let fields = booking.booking_fields_responses.as_ref();
    let field_str = |slug: &str| fields.and_then(|f| f.get(slug)).and_then(Value::as_str);
    let name = first
        .and_then(|a| json::text(a.name.as_deref()))
        .or_else(|| json::text(field_str("name")));
    let email = first
        .and_then(|a| a.email.as_deref())
        .or_else(|| field_str("email"))
        .and_then(Email::parse_optional);
    let mut candidates: Vec<&str> = Vec::with_capacity(4);
    candidates.extend(first.and_then(|a| a.phone_number.as_deref()));
    candidates.extend(field_str("attendeePhoneNumber"));
    candidates.extend(field_str("smsReminderNumber"));
    if let Some(f) = fields {
        candidates.extend(f.iter().filter_map(|(slug, value)| {
            let custom = slug != "attendeePhoneNumber" && slug != "smsReminderNumber";
            (custom && slug.to_ascii_lowercase().contains("phone"))
                .then(|| value.as_str())
                .flatten()
        }));
    }
    let phone = candidates
        .into_iter()
        .find_map(|raw| Phone::parse_optional(raw, region));
    Attendee { name, email, phone }
}
