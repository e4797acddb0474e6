//! Calendly's REST API as the hourly sync reads it: `GET /users/me`, `GET /scheduled_events` and
//! `GET /scheduled_events/{uuid}/invitees` (PROVIDERS.md §4). Invitees become the same booking
//! events as webhooks, with `sync:<status>` as their trigger. Also the webhook subscriptions
//! onboarding creates (PROVIDERS.md §2.8).

use chrono::{DateTime, Utc};

use super::invitee;
use super::wire::{
    CurrentUser, Invitee, Page, Resource, ScheduledEvent as WireEvent,
    WebhookSubscription as WireSubscription,
};
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
    /// What the listing says that changes when the event's invitees change: `updated_at`,
    /// status and invitee counts. The sync re-reads invitees only when it moves.
    pub version: String,
    outbound_phone: Option<String>,
}

impl ScheduledEvent {
    /// The last segment of the URI: what the API's paths take.
    pub fn uuid(&self) -> &str {
        self.uri.rsplit('/').next().unwrap_or_default()
    }
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
                version: format!(
                    "{}|{}|{}|{}",
                    e.updated_at.as_deref().unwrap_or("-"),
                    e.status.as_deref().unwrap_or("-"),
                    e.invitees_counter
                        .as_ref()
                        .and_then(|c| c.total)
                        .unwrap_or(0),
                    e.invitees_counter
                        .as_ref()
                        .and_then(|c| c.active)
                        .unwrap_or(0),
                ),
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

/// The webhook triggers booking-tracker follows: what a subscription must deliver.
pub const WEBHOOK_EVENTS: [&str; 4] = [
    "invitee.created",
    "invitee.canceled",
    "invitee_no_show.created",
    "invitee_no_show.deleted",
];

/// A webhook subscription.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebhookSubscription {
    /// `https://api.calendly.com/webhook_subscriptions/<uuid>`.
    pub uri: String,
    pub callback_url: String,
    /// `active`, or `disabled` after 24 hours of failed deliveries (it must then be recreated).
    pub state: String,
    /// Set while Calendly retries failed deliveries: 24 hours after it, the subscription is
    /// disabled (PROVIDERS.md §2.7).
    pub retry_started_at: Option<DateTime<Utc>>,
    pub events: Vec<String>,
    pub scope: Option<String>,
}

impl WebhookSubscription {
    pub fn is_active(&self) -> bool {
        self.state == "active"
    }

    /// Delivers every trigger booking-tracker follows.
    pub fn covers_our_events(&self) -> bool {
        WEBHOOK_EVENTS
            .iter()
            .all(|wanted| self.events.iter().any(|e| e == wanted))
    }
}

/// One page of `GET /webhook_subscriptions`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubscriptionsPage {
    pub subscriptions: Vec<WebhookSubscription>,
    pub next_page_token: Option<String>,
}

pub fn parse_subscriptions_page(body: &[u8]) -> Result<SubscriptionsPage, PayloadError> {
    let page: Page<WireSubscription> = json::from_body(body, "body")?;
    let collection = json::required(page.collection, "collection")?;
    let subscriptions = collection
        .into_iter()
        .enumerate()
        .map(|(i, s)| subscription(s, &format!("collection[{i}].")))
        .collect::<Result<_, PayloadError>>()?;
    Ok(SubscriptionsPage {
        subscriptions,
        next_page_token: next_token(page.pagination.as_ref()),
    })
}

/// The answer to `POST /webhook_subscriptions`: `{resource: {...}}`.
pub fn parse_created_subscription(body: &[u8]) -> Result<WebhookSubscription, PayloadError> {
    let created: Resource<WireSubscription> = json::from_body(body, "body")?;
    subscription(json::required(created.resource, "resource")?, "resource.")
}

fn subscription(wire: WireSubscription, at: &str) -> Result<WebhookSubscription, PayloadError> {
    let field = |name: &str| format!("{at}{name}");
    Ok(WebhookSubscription {
        uri: json::required(json::text(wire.uri.as_deref()), &field("uri"))?,
        callback_url: json::required(
            json::text(wire.callback_url.as_deref()),
            &field("callback_url"),
        )?,
        state: json::required(json::text(wire.state.as_deref()), &field("state"))?,
        retry_started_at: json::optional_time(
            wire.retry_started_at.as_deref(),
            &field("retry_started_at"),
        )?,
        events: wire.events.unwrap_or_default(),
        scope: json::text(wire.scope.as_deref()),
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
        tracking: invitee::tracking(invitee),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subscriptions_are_read_and_a_missing_field_is_named() {
        let page = br#"{"collection": [{
            "uri": "https://api.calendly.com/webhook_subscriptions/AAAA",
            "callback_url": "https://bt.example.com/webhooks/calendly/acme",
            "created_at": "2026-11-01T09:00:00.000000Z", "updated_at": "2026-11-01T09:00:00.000000Z",
            "retry_started_at": "2026-11-20T09:00:00.000000Z", "state": "disabled",
            "events": ["invitee.created", "invitee.canceled"], "scope": "organization",
            "organization": "https://api.calendly.com/organizations/BBBB", "user": null,
            "creator": "https://api.calendly.com/users/CCCC"}],
            "pagination": {"count": 1, "next_page": null, "previous_page": null,
                           "next_page_token": null, "previous_page_token": null}}"#;
        let page = parse_subscriptions_page(page).unwrap();
        let found = &page.subscriptions[0];
        assert!(!found.is_active());
        assert!(!found.covers_our_events(), "no-show triggers missing");
        assert_eq!(
            found.retry_started_at.map(|t| t.to_rfc3339()).as_deref(),
            Some("2026-11-20T09:00:00+00:00")
        );
        assert_eq!(page.next_page_token, None);

        let broken = br#"{"resource": {"uri": "https://api.calendly.com/webhook_subscriptions/AAAA", "state": "active"}}"#;
        let error = parse_created_subscription(broken).unwrap_err();
        assert!(
            error.to_string().contains("resource.callback_url"),
            "{error}"
        );
    }
}
