//! Calendly webhook bodies -> booking events. The only place Calendly's webhook envelope becomes
//! domain types.

use super::invitee;
use super::wire::{Envelope, Invitee};
use crate::domain::{BookingEvent, EventKind, Provider, Region};
use crate::providers::Parsed;
use crate::providers::json::{self, PayloadError};

/// Reads a Calendly webhook body. Phones without `+` are read in `region`'s numbering plan.
/// Call only after the signature has been verified.
pub fn parse(body: &[u8], region: Region) -> Result<Parsed, PayloadError> {
    let envelope: Envelope<'_> = json::from_body(body, "body")?;
    let trigger = json::required(json::text(envelope.event.as_deref()), "event")?;
    let tracked = matches!(
        trigger.as_str(),
        "invitee.created"
            | "invitee.canceled"
            | "invitee_no_show.created"
            | "invitee_no_show.deleted"
    );
    if !tracked {
        return Ok(Parsed::Ignored { trigger });
    }
    let occurred_at = json::time(
        json::required(envelope.created_at.as_deref(), "created_at")?,
        "created_at",
    )?;
    let invitee: Invitee = json::from_raw(json::required(envelope.payload, "payload")?, "payload")?;

    let key = json::key(invitee.uri.as_deref(), "payload.uri")?;
    let (predecessor, successor) = invitee::links(&invitee, "payload.")?;
    let kind = match trigger.as_str() {
        "invitee.created" if predecessor.is_some() => EventKind::Rescheduled,
        "invitee.created" => EventKind::Booked,
        // The cancel half of a reschedule is never a cancellation.
        "invitee.canceled" if invitee.rescheduled == Some(true) => EventKind::RescheduledAway,
        "invitee.canceled" => EventKind::Cancelled,
        "invitee_no_show.created" => EventKind::NoShowMarked,
        _ => EventKind::NoShowCleared,
    };
    let scheduled = invitee.scheduled_event.as_ref();
    Ok(Parsed::Event(Box::new(BookingEvent {
        provider: Provider::Calendly,
        kind,
        key,
        // Every invitee payload carries its links; keeping them from any trigger means a lost
        // `invitee.created` cannot leave a reschedule chain unlinked.
        predecessor,
        successor,
        start: json::optional_time(
            scheduled.and_then(|e| e.start_time.as_deref()),
            "payload.scheduled_event.start_time",
        )?,
        end: json::optional_time(
            scheduled.and_then(|e| e.end_time.as_deref()),
            "payload.scheduled_event.end_time",
        )?,
        attendee: invitee::attendee(
            &invitee,
            invitee::outbound_phone(scheduled.and_then(|e| e.location.as_ref())),
            region,
        ),
        event_type: scheduled.and_then(|e| json::text(e.name.as_deref())),
        occurred_at,
        booked_at: json::optional_time(invitee.created_at.as_deref(), "payload.created_at")?,
        trigger,
        tracking: invitee::tracking(&invitee),
    })))
}
