//! Cal.com webhook bodies -> booking events. The only place Cal.com's wire types become domain
//! types.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::tracking;
use super::wire::{Booking, Envelope, NoShow};
use crate::domain::{Attendee, BookingEvent, Email, EventKind, Phone, Provider, Region};
use crate::providers::Parsed;
use crate::providers::json::{self, PayloadError};

/// What a trigger means to booking-tracker.
enum Trigger {
    /// A `BOOKING_*` trigger with a booking in `payload`.
    Booking(EventKind),
    /// `MEETING_ENDED`: a flat booking row with `triggerEvent` merged in.
    MeetingEnded,
    /// `BOOKING_NO_SHOW_UPDATED`: a host marked or unmarked attendees.
    NoShowUpdated,
    /// `AFTER_GUESTS_CAL_VIDEO_NO_SHOW`: nobody but the host joined the Cal Video call.
    GuestsNoShow,
    Ping,
    /// Anything else (payments, recordings, forms, host no-shows, ...).
    Untracked,
}

fn classify(trigger: &str) -> Trigger {
    match trigger {
        "BOOKING_CREATED" => Trigger::Booking(EventKind::Booked),
        "BOOKING_REQUESTED" => Trigger::Booking(EventKind::Requested),
        "BOOKING_RESCHEDULED" => Trigger::Booking(EventKind::Rescheduled),
        "BOOKING_CANCELLED" => Trigger::Booking(EventKind::Cancelled),
        "BOOKING_REJECTED" => Trigger::Booking(EventKind::Rejected),
        "MEETING_ENDED" => Trigger::MeetingEnded,
        "BOOKING_NO_SHOW_UPDATED" => Trigger::NoShowUpdated,
        "AFTER_GUESTS_CAL_VIDEO_NO_SHOW" => Trigger::GuestsNoShow,
        "PING" => Trigger::Ping,
        _ => Trigger::Untracked,
    }
}

/// Reads a Cal.com webhook body. Phones without `+` are read in `region`'s numbering plan.
/// Call only after the signature has been verified.
pub fn parse(body: &[u8], region: Region) -> Result<Parsed, PayloadError> {
    let envelope: Envelope<'_> = json::from_body(body, "body")?;
    let trigger = json::required(
        json::text(envelope.trigger_event.as_deref()),
        "triggerEvent",
    )?;
    let event = match classify(&trigger) {
        Trigger::Ping => return Ok(Parsed::Ping),
        Trigger::Untracked => return Ok(Parsed::Ignored { trigger }),
        Trigger::Booking(kind) => {
            let occurred_at = envelope_time(envelope.created_at.as_deref())?;
            let booking: Booking =
                json::from_raw(json::required(envelope.payload, "payload")?, "payload")?;
            // The booking triggers are sent when the booking is made, so their time is also the
            // booking's; a cancellation or rejection is not.
            let booked_at = matches!(
                kind,
                EventKind::Booked | EventKind::Requested | EventKind::Rescheduled
            )
            .then_some(occurred_at);
            from_booking(
                &trigger,
                kind,
                &booking,
                "payload.",
                occurred_at,
                booked_at,
                region,
            )?
        }
        Trigger::MeetingEnded => {
            let booking: Booking = json::from_body(body, "body")?;
            // The root `createdAt` of a flat row is the booking's creation, not the send time;
            // the meeting ended at `endTime`, which is when Cal.com fires this trigger.
            let end = json::required(booking.end_time.as_deref(), "endTime")?;
            let ended_at = json::time(end, "endTime")?;
            let booked_at = json::optional_time(booking.created_at.as_deref(), "createdAt")?;
            from_booking(
                &trigger,
                EventKind::Completed,
                &booking,
                "",
                ended_at,
                booked_at,
                region,
            )?
        }
        Trigger::NoShowUpdated | Trigger::GuestsNoShow => {
            let occurred_at = envelope_time(envelope.created_at.as_deref())?;
            let no_show: NoShow =
                json::from_raw(json::required(envelope.payload, "payload")?, "payload")?;
            from_no_show(&trigger, &no_show, occurred_at)?
        }
    };
    Ok(Parsed::Event(Box::new(event)))
}

fn envelope_time(created_at: Option<&str>) -> Result<DateTime<Utc>, PayloadError> {
    json::time(json::required(created_at, "createdAt")?, "createdAt")
}

fn from_booking(
    trigger: &str,
    kind: EventKind,
    booking: &Booking,
    at: &str,
    occurred_at: DateTime<Utc>,
    booked_at: Option<DateTime<Utc>>,
    region: Region,
) -> Result<BookingEvent, PayloadError> {
    let field = |name: &str| format!("{at}{name}");
    let key = json::key(booking.uid.as_deref(), &field("uid"))?;
    let (predecessor_raw, predecessor_field) = match &booking.reschedule_uid {
        Some(uid) => (Some(uid.as_str()), field("rescheduleUid")),
        None => (booking.from_reschedule.as_deref(), field("fromReschedule")),
    };
    let predecessor = json::optional_key(predecessor_raw, &predecessor_field)?;
    let successor = match kind {
        EventKind::Cancelled => json::optional_key(
            booking.rescheduled_to_uid.as_deref(),
            &field("rescheduledToUid"),
        )?,
        _ => None,
    };
    let kind = match kind {
        EventKind::Booked if predecessor.is_some() => EventKind::Rescheduled,
        EventKind::Cancelled if successor.is_some() => EventKind::RescheduledAway,
        other => other,
    };
    Ok(BookingEvent {
        provider: Provider::Calcom,
        kind,
        key,
        predecessor,
        successor,
        start: json::optional_time(booking.start_time.as_deref(), &field("startTime"))?,
        end: json::optional_time(booking.end_time.as_deref(), &field("endTime"))?,
        attendee: attendee(booking, region),
        // The slug, not `eventTitle`: the v2 API the sync reads has only the slug, and one field
        // fed two spellings would flip between them.
        event_type: json::text(booking.type_slug.as_deref()),
        occurred_at,
        booked_at,
        trigger: trigger.to_owned(),
        tracking: tracking::tracking(booking.metadata.as_ref(), |slug| {
            booking
                .responses
                .as_ref()
                .and_then(|r| response_str(r, slug))
        }),
    })
}

fn from_no_show(
    trigger: &str,
    payload: &NoShow,
    occurred_at: DateTime<Utc>,
) -> Result<BookingEvent, PayloadError> {
    let key = json::key(payload.booking_uid.as_deref(), "payload.bookingUid")?;
    let kind = if trigger == "BOOKING_NO_SHOW_UPDATED" {
        let attendees = json::required(payload.attendees.as_ref(), "payload.attendees")?;
        if attendees.is_empty() {
            return Err(PayloadError::field(
                "payload.attendees",
                "lists no attendee",
            ));
        }
        // The appointment is the booker's; a host marks one attendee or all of them at once.
        if attendees.iter().any(|a| a.no_show == Some(true)) {
            EventKind::NoShowMarked
        } else {
            EventKind::NoShowCleared
        }
    } else {
        EventKind::NoShowMarked
    };
    Ok(BookingEvent {
        provider: Provider::Calcom,
        kind,
        key,
        predecessor: None,
        successor: None,
        start: json::optional_time(payload.start_time.as_deref(), "payload.startTime")?,
        end: json::optional_time(payload.end_time.as_deref(), "payload.endTime")?,
        // No-show payloads list whichever attendees changed, not necessarily the booker.
        attendee: Attendee::default(),
        event_type: None,
        occurred_at,
        booked_at: None,
        trigger: trigger.to_owned(),
        tracking: Default::default(),
    })
}

/// The booker is the first attendee; the booking form's answers fill what it lacks.
fn attendee(booking: &Booking, region: Region) -> Attendee {
    let first = booking.attendees.first();
    let responses = booking.responses.as_ref();
    let name = first
        .and_then(|a| json::text(a.name.as_deref()))
        .or_else(|| responses.and_then(response_name));
    let email = first
        .and_then(|a| a.email.as_deref())
        .and_then(Email::parse_optional)
        .or_else(|| {
            responses
                .and_then(|r| response_str(r, "email"))
                .and_then(Email::parse_optional)
        });
    let phone = phone_candidates(booking)
        .into_iter()
        .find_map(|raw| Phone::parse_optional(raw, region));
    Attendee { name, email, phone }
}

/// Where Cal.com puts the attendee's phone, in the order PROVIDERS.md §1.6 gives.
fn phone_candidates(booking: &Booking) -> Vec<&str> {
    let mut out = Vec::with_capacity(6);
    out.extend(
        booking
            .attendees
            .first()
            .and_then(|a| a.phone_number.as_deref()),
    );
    let responses = booking.responses.as_ref();
    if let Some(r) = responses {
        out.extend(response_str(r, "attendeePhoneNumber"));
        let location = r.get("location").and_then(|l| l.get("value"));
        if let Some(location) =
            location.filter(|l| l.get("value").and_then(Value::as_str) == Some("phone"))
        {
            out.extend(location.get("optionValue").and_then(Value::as_str));
            // For the attendee-phone location the top-level `location` is the same number.
            out.extend(booking.location.as_ref().and_then(Value::as_str));
        }
    }
    out.extend(booking.sms_reminder_number.as_deref());
    if let Some(r) = responses {
        // Custom questions the event type's owner added, such as "mobile_phone".
        out.extend(r.iter().filter_map(|(slug, answer)| {
            let label = answer
                .get("label")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let custom = slug != "attendeePhoneNumber" && slug != "location";
            let phoneish = [slug.as_str(), label]
                .iter()
                .any(|s| s.to_ascii_lowercase().contains("phone"));
            (custom && phoneish)
                .then(|| answer.get("value").and_then(Value::as_str))
                .flatten()
        }));
    }
    out
}

fn response_str<'a>(responses: &'a Map<String, Value>, slug: &str) -> Option<&'a str> {
    responses.get(slug)?.get("value")?.as_str()
}

/// The `name` answer: a string, or `{firstName, lastName}` when the form splits names.
fn response_name(responses: &Map<String, Value>) -> Option<String> {
    let value = responses.get("name")?.get("value")?;
    if let Some(name) = value.as_str() {
        return json::text(Some(name));
    }
    let part = |k: &str| {
        value
            .get(k)
            .and_then(Value::as_str)
            .map(str::trim)
            .unwrap_or_default()
    };
    json::text(Some(
        format!("{} {}", part("firstName"), part("lastName")).as_str(),
    ))
}
