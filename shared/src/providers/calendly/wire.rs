//! Calendly's wire types (API v2), as far as booking-tracker reads them. Webhooks and the REST
//! API share the invitee and scheduled-event resources.

use serde::Deserialize;
use serde_json::value::RawValue;

/// Webhook body: `{event, created_at, created_by, payload}`.
#[derive(Deserialize)]
pub(super) struct Envelope<'a> {
    pub(super) event: Option<String>,
    pub(super) created_at: Option<String>,
    #[serde(borrow)]
    pub(super) payload: Option<&'a RawValue>,
}

/// An invitee: the webhook payload of `invitee.*` / `invitee_no_show.*` (which embeds its
/// `scheduled_event`), and an item of `GET /scheduled_events/{uuid}/invitees` (which does not).
#[derive(Deserialize)]
pub(super) struct Invitee {
    /// `https://api.calendly.com/scheduled_events/<event>/invitees/<invitee>`: the booking key.
    pub(super) uri: Option<String>,
    pub(super) name: Option<String>,
    pub(super) first_name: Option<String>,
    pub(super) last_name: Option<String>,
    pub(super) email: Option<String>,
    pub(super) status: Option<String>,
    pub(super) text_reminder_number: Option<String>,
    #[serde(default)]
    pub(super) questions_and_answers: Vec<QuestionAndAnswer>,
    pub(super) rescheduled: Option<bool>,
    pub(super) old_invitee: Option<String>,
    pub(super) new_invitee: Option<String>,
    /// When the invitee booked.
    pub(super) created_at: Option<String>,
    pub(super) updated_at: Option<String>,
    pub(super) cancellation: Option<Cancellation>,
    pub(super) no_show: Option<NoShow>,
    pub(super) scheduled_event: Option<ScheduledEvent>,
    /// What the scheduling link carried (`utm_*`, `salesforce_uuid`).
    pub(super) tracking: Option<TrackingFields>,
}

#[derive(Deserialize)]
pub(super) struct TrackingFields {
    pub(super) utm_campaign: Option<String>,
    pub(super) utm_source: Option<String>,
    pub(super) utm_content: Option<String>,
    pub(super) utm_term: Option<String>,
    pub(super) salesforce_uuid: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct QuestionAndAnswer {
    pub(super) question: Option<String>,
    pub(super) answer: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct Cancellation {
    pub(super) created_at: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct NoShow {
    /// `https://api.calendly.com/invitee_no_shows/<uuid>`: what `DELETE` takes.
    pub(super) uri: Option<String>,
    pub(super) created_at: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct ScheduledEvent {
    pub(super) uri: Option<String>,
    pub(super) name: Option<String>,
    pub(super) status: Option<String>,
    pub(super) start_time: Option<String>,
    pub(super) end_time: Option<String>,
    pub(super) location: Option<Location>,
    pub(super) updated_at: Option<String>,
    pub(super) invitees_counter: Option<InviteesCounter>,
}

/// `{total, active, limit}` of a scheduled event.
#[derive(Deserialize)]
pub(super) struct InviteesCounter {
    pub(super) total: Option<u64>,
    pub(super) active: Option<u64>,
}

#[derive(Clone, Deserialize)]
pub(super) struct Location {
    #[serde(rename = "type")]
    pub(super) kind: Option<String>,
    pub(super) location: Option<String>,
}

/// A page of a list endpoint: `{collection, pagination}`.
#[derive(Deserialize)]
pub(super) struct Page<T> {
    pub(super) collection: Option<Vec<T>>,
    pub(super) pagination: Option<Pagination>,
}

#[derive(Deserialize)]
pub(super) struct Pagination {
    pub(super) next_page_token: Option<String>,
}

/// `GET /users/me`: `{resource: {uri, current_organization}}`.
#[derive(Deserialize)]
pub(super) struct CurrentUser {
    pub(super) resource: Option<User>,
}

#[derive(Deserialize)]
pub(super) struct User {
    pub(super) current_organization: Option<String>,
}

/// `{resource: T}`: a single resource, as `POST /webhook_subscriptions` answers.
#[derive(Deserialize)]
pub(super) struct Resource<T> {
    pub(super) resource: Option<T>,
}

/// A webhook subscription (PROVIDERS.md §2.8).
#[derive(Deserialize)]
pub(super) struct WebhookSubscription {
    pub(super) uri: Option<String>,
    pub(super) callback_url: Option<String>,
    pub(super) state: Option<String>,
    /// When Calendly started retrying failed deliveries; `null` while they succeed.
    pub(super) retry_started_at: Option<String>,
    pub(super) events: Option<Vec<String>>,
    pub(super) scope: Option<String>,
}
