//! Local fakes of the providers' APIs, built from their documented formats
//! (`../shared/providers/PROVIDERS.md` §3-4, and the sample pages in `fixtures/providers`).

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};
use shared::clock::FixedClock;
use shared::outbound::{ProviderHttp, RetryPolicy};
use shared::sheets::SheetsClient;
use shared::sync::SyncService;

/// A retry policy for local fakes: short timeouts and backoffs, so fault tests run in
/// milliseconds; a 429 without a reset header still waits a minute, as in production.
pub fn fast_retries() -> RetryPolicy {
    RetryPolicy {
        request_timeout: Duration::from_millis(400),
        max_attempts: 3,
        backoff_base: Duration::from_millis(5),
        backoff_cap: Duration::from_millis(20),
        max_rate_limit_wait: Duration::from_secs(3),
        max_rate_limited: 3,
        rate_limit_fallback: Some(Duration::from_secs(60)),
    }
}

/// The sync service over `store` with a clock fixed at `now` and fast retries, calling local
/// fakes at `[calcom, calendly, google_sheets]`.
pub fn sync_service<S: ?Sized>(
    store: Arc<S>,
    now: DateTime<Utc>,
    [calcom, calendly, sheets]: [&str; 3],
) -> SyncService<S> {
    let http = ProviderHttp::new(fast_retries()).unwrap();
    let sheets = SheetsClient::new(&http, sheets);
    SyncService::new(
        store,
        Arc::new(FixedClock(now)),
        http,
        calcom,
        calendly,
        sheets,
    )
}

fn iso(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// A Cal.com v2 booking (`BookingOutput`).
#[derive(Clone, Debug)]
pub struct CalcomBooking {
    pub uid: String,
    pub status: &'static str,
    pub start: DateTime<Utc>,
    pub created: DateTime<Utc>,
    pub updated: Option<DateTime<Utc>>,
    pub name: String,
    pub email: String,
    pub phone: Option<String>,
    pub rescheduled_from: Option<String>,
    pub rescheduled_to: Option<String>,
    pub absent: bool,
}

impl CalcomBooking {
    pub fn new(
        uid: &str,
        status: &'static str,
        start: DateTime<Utc>,
        created: DateTime<Utc>,
    ) -> Self {
        Self {
            uid: uid.to_owned(),
            status,
            start,
            created,
            updated: None,
            name: format!("Guest {uid}"),
            email: format!("{}@example.com", uid.to_lowercase()),
            phone: None,
            rescheduled_from: None,
            rescheduled_to: None,
            absent: false,
        }
    }

    pub fn json(&self) -> Value {
        let end = self.start + chrono::Duration::minutes(30);
        json!({
            "id": 50_000,
            "uid": self.uid,
            "title": format!("Discovery Call between Tom Hargreaves and {}", self.name),
            "description": "",
            "hosts": [{"id": 48213, "name": "Tom Hargreaves", "email": "tom.hargreaves@example.com", "username": "tom-hargreaves", "timeZone": "Europe/London"}],
            "status": self.status,
            "rescheduledFromUid": self.rescheduled_from,
            "rescheduledToUid": self.rescheduled_to,
            "start": iso(self.start),
            "end": iso(end),
            "duration": 30,
            "eventTypeId": 1_184_302,
            "eventType": {"id": 1_184_302, "slug": "discovery-call"},
            "location": "integrations:daily",
            "absentHost": false,
            "createdAt": iso(self.created),
            "updatedAt": self.updated.map(iso),
            "metadata": {},
            "attendees": [{
                "name": self.name,
                "email": self.email,
                "displayEmail": self.email,
                "timeZone": "Europe/London",
                "language": "en",
                "absent": self.absent,
                "phoneNumber": self.phone,
            }],
            "guests": [],
            "bookingFieldsResponses": {"name": self.name, "email": self.email},
        })
    }
}

/// A page of `GET /v2/bookings`.
pub fn calcom_page(
    bookings: &[CalcomBooking],
    page: usize,
    per_page: usize,
    total: usize,
) -> Value {
    let returned = bookings.len();
    let pages = total.div_ceil(per_page.max(1)).max(1);
    json!({
        "status": "success",
        "data": bookings.iter().map(CalcomBooking::json).collect::<Vec<_>>(),
        "pagination": {
            "totalItems": total,
            "remainingItems": total.saturating_sub(page * per_page),
            "returnedItems": returned,
            "itemsPerPage": per_page,
            "currentPage": page,
            "totalPages": pages,
            "hasNextPage": page < pages,
            "hasPreviousPage": page > 1,
        }
    })
}

pub const CALENDLY_ORG: &str =
    "https://api.calendly.com/organizations/9c2e7f4a-1d3b-4b8e-a6f2-3e5d7c9b1a20";

pub fn calendly_me() -> Value {
    json!({"resource": {
        "uri": "https://api.calendly.com/users/4a7e1d2c-6b9f-4c3a-8e21-7d5f0b3c9e64",
        "name": "Tom Hargreaves",
        "current_organization": CALENDLY_ORG,
    }})
}

pub fn calendly_event_uri(uuid: &str) -> String {
    format!("https://api.calendly.com/scheduled_events/{uuid}")
}

/// A scheduled event (`GET /scheduled_events` item).
pub fn calendly_event(uuid: &str, start: DateTime<Utc>, canceled: bool) -> Value {
    json!({
        "uri": calendly_event_uri(uuid),
        "name": "30 Minute Consultation",
        "status": if canceled { "canceled" } else { "active" },
        "start_time": iso(start),
        "end_time": iso(start + chrono::Duration::minutes(30)),
        "event_type": "https://api.calendly.com/event_types/0e6b3f2d-8a41-4c97-b5de-2f1a9c7e4b58",
        "location": {"type": "google_conference", "status": "pushed", "join_url": "https://meet.google.com/x"},
        "invitees_counter": {"total": 1, "active": if canceled { 0 } else { 1 }, "limit": 1},
        "created_at": iso(start - chrono::Duration::days(7)),
        "updated_at": iso(start - chrono::Duration::days(7)),
        "event_memberships": [],
        "event_guests": []
    })
}

/// An invitee (`GET /scheduled_events/{uuid}/invitees` item).
#[derive(Clone, Debug)]
pub struct CalendlyInvitee {
    pub event: String,
    pub uuid: String,
    pub email: String,
    pub status: &'static str,
    pub created: DateTime<Utc>,
    pub rescheduled: bool,
    pub old_invitee: Option<String>,
    pub new_invitee: Option<String>,
    pub no_show: Option<DateTime<Utc>>,
    pub phone: Option<String>,
}

impl CalendlyInvitee {
    pub fn new(event: &str, uuid: &str, created: DateTime<Utc>) -> Self {
        Self {
            event: event.to_owned(),
            uuid: uuid.to_owned(),
            email: format!("{uuid}@example.org"),
            status: "active",
            created,
            rescheduled: false,
            old_invitee: None,
            new_invitee: None,
            no_show: None,
            phone: None,
        }
    }

    pub fn uri(&self) -> String {
        Self::uri_of(&self.event, &self.uuid)
    }

    pub fn uri_of(event: &str, uuid: &str) -> String {
        format!("{}/invitees/{uuid}", calendly_event_uri(event))
    }

    /// The UUID of the invitee's no-show, once marked.
    pub fn no_show_uuid(invitee: &str) -> String {
        format!("ns-{invitee}")
    }

    pub fn no_show_uri(invitee: &str) -> String {
        format!(
            "https://api.calendly.com/invitee_no_shows/{}",
            Self::no_show_uuid(invitee)
        )
    }

    pub fn json(&self) -> Value {
        json!({
            "cancel_url": format!("https://calendly.com/cancellations/{}", self.uuid),
            "created_at": iso(self.created),
            "email": self.email,
            "event": calendly_event_uri(&self.event),
            "first_name": null,
            "last_name": null,
            "name": format!("Invitee {}", self.uuid),
            "new_invitee": self.new_invitee,
            "no_show": self.no_show.map(|t| json!({"uri": Self::no_show_uri(&self.uuid), "created_at": iso(t)})),
            "old_invitee": self.old_invitee,
            "payment": null,
            "questions_and_answers": [],
            "reconfirmation": null,
            "reschedule_url": format!("https://calendly.com/reschedulings/{}", self.uuid),
            "rescheduled": self.rescheduled,
            "routing_form_submission": null,
            "status": self.status,
            "text_reminder_number": self.phone,
            "timezone": "Europe/London",
            "tracking": {},
            "updated_at": iso(self.created),
            "cancellation": (self.status == "canceled").then(|| json!({"canceled_by": "Invitee", "reason": "moved", "canceler_type": "invitee", "created_at": iso(self.created)})),
            "uri": self.uri(),
        })
    }
}

/// A page of a Calendly list endpoint.
pub fn calendly_page(items: Vec<Value>, next_token: Option<&str>) -> Value {
    json!({
        "collection": items,
        "pagination": {
            "count": 0,
            "next_page": next_token.map(|t| format!("https://api.calendly.com/scheduled_events?page_token={t}")),
            "previous_page": null,
            "next_page_token": next_token,
            "previous_page_token": null,
        }
    })
}
