//! Calendly's REST API as the hourly sync reads it: `GET /users/me`, `GET /scheduled_events` and
//! `GET /scheduled_events/{uuid}/invitees` (PROVIDERS.md §4). Invitees become the same booking
//! events as webhooks, with `sync:<status>` as their trigger.

use chrono::{DateTime, Utc};

use super::invitee;
use super::wire::{CurrentUser, Invitee, Page, ScheduledEvent as WireEvent};
use crate::domain::{BookingEvent, EventKind, Provider, Region};
use crate::providers::json::{self, PayloadError};

/// A scheduled event: what is needed to list its invitees and describe their bookings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScheduledEvent {
    /// `https://api.calendly.com/scheduled_events/<uuid>`; its invitees are at `{uri}/invitees`.
    pub uri: String,
    pub name: Option<String>,
    pub start: Option<DateTime<Utc>>,
    pub end: Option<DateTime<Utc>>,
    pub canceled: bool,
    outbound_phone: Option<String>,
}

/// One page of `GET /scheduled_events`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventsPage {
    pub events: Vec<ScheduledEvent>,
    /// Pass as `page_token` for the next page; `None` on the last page.
    pub next_page_token: Option<String>,
}

/// One page of `GET /scheduled_events/{uuid}/invitees`, as booking events.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InviteesPage {
    pub events: Vec<BookingEvent>,
    /// How many invitees the page held (a no-show adds a second event for its invitee).
    pub invitees: usize,
    pub next_page_token: Option<String>,
}

/// The organization URI from `GET /users/me`.
pub fn parse_current_organization(body: &[u8]) -> Result<String, PayloadError> {
    let me: CurrentUser = json::from_body(body, "body")?;
    let user = json::required(me.resource, "resource")?;
    json::required(
        json::text(user.current_organization.as_deref()),
        "resource.current_organization",
    )
}

pub fn parse_events_page(body: &[u8]) -> Result<EventsPage, PayloadError> {
    let page: Page<WireEvent> = json::from_body(body, "body")?;
    let collection = json::required(page.collection, "collection")?;
    let events = collection
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let at = |name: &str| format!("collection[{i}].{name}");
            Ok(ScheduledEvent {
                uri: json::required(json::text(e.uri.as_deref()), &at("uri"))?,
                name: json::text(e.name.as_deref()),
                start: json::optional_time(e.start_time.as_deref(), &at("start_time"))?,
                end: json::optional_time(e.end_time.as_deref(), &at("end_time"))?,
                canceled: e.status.as_deref() == Some("canceled"),
                outbound_phone: invitee::outbound_phone(e.location.as_ref()).map(str::to_owned),
            })
        })
        .collect::<Result<_, PayloadError>>()?;
    Ok(EventsPage {
        events,
        next_page_token: next_token(page.pagination.as_ref()),
    })
}

pub fn parse_invitees_page(
    body: &[u8],
    event: &ScheduledEvent,
    region: Region,
) -> Result<InviteesPage, PayloadError> {
    let page: Page<Invitee> = json::from_body(body, "body")?;
    let collection = json::required(page.collection, "collection")?;
    let mut events = Vec::with_capacity(collection.len());
    for (i, invitee) in collection.iter().enumerate() {
        invitee_events(
            invitee,
            event,
            &format!("collection[{i}]."),
            region,
            &mut events,
        )?;
    }
    Ok(InviteesPage {
        events,
        invitees: collection.len(),
        next_page_token: next_token(page.pagination.as_ref()),
    })
}

fn next_token(pagination: Option<&super::wire::Pagination>) -> Option<String> {
    pagination.and_then(|p| json::text(p.next_page_token.as_deref()))
}

fn invitee_events(
    invitee: &Invitee,
    event: &ScheduledEvent,
    at: &str,
    region: Region,
    out: &mut Vec<BookingEvent>,
) -> Result<(), PayloadError> {
    let field = |name: &str| format!("{at}{name}");
    let key = json::key(invitee.uri.as_deref(), &field("uri"))?;
    let created = json::optional_time(invitee.created_at.as_deref(), &field("created_at"))?;
    let updated = json::optional_time(invitee.updated_at.as_deref(), &field("updated_at"))?;
    let last_change = json::required(updated.or(created), &field("created_at"))?;
    let (predecessor, successor) = invitee::links(invitee, at)?;

    let status = json::required(invitee.status.as_deref(), &field("status"))?;
    let (kind, occurred_at) = match status {
        "active" if predecessor.is_some() => (EventKind::Rescheduled, last_change),
        "active" => (EventKind::Booked, last_change),
        "canceled" => {
            let cancelled_at = invitee
                .cancellation
                .as_ref()
                .and_then(|c| c.created_at.as_deref());
            let cancelled_at =
                json::optional_time(cancelled_at, &field("cancellation.created_at"))?;
            let kind = if invitee.rescheduled == Some(true) {
                EventKind::RescheduledAway
            } else {
                EventKind::Cancelled
            };
            (kind, cancelled_at.unwrap_or(last_change))
        }
        other => {
            return Err(PayloadError::field(
                field("status"),
                format!("is {other:?}, expected \"active\" or \"canceled\""),
            ));
        }
    };
    let booking = BookingEvent {
        provider: Provider::Calendly,
        kind,
        key,
        predecessor,
        successor,
        start: event.start,
        end: event.end,
        attendee: invitee::attendee(invitee, event.outbound_phone.as_deref(), region),
        event_type: event.name.clone(),
        occurred_at,
        booked_at: created,
        trigger: format!("sync:{status}"),
    };
    if let Some(no_show) = &invitee.no_show {
        let marked_at =
            json::optional_time(no_show.created_at.as_deref(), &field("no_show.created_at"))?;
        out.push(BookingEvent {
            kind: EventKind::NoShowMarked,
            occurred_at: marked_at.unwrap_or(last_change),
            trigger: "sync:no_show".to_owned(),
            ..booking.clone()
        });
    }
    out.push(booking);
    Ok(())
}
