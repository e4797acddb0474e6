//! Stateful local fakes of the providers' booking actions (SPEC §10), built from their documented
//! formats (`shared::providers::{calcom, calendly}::actions`): a booking read, then changed, reads
//! back changed, so "read first, act only if needed" is tested against a provider with memory.
//! Each can refuse with the provider's error body, or take an action and answer too late.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde_json::{Value, json};
use wiremock::matchers::path_regex;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// A Cal.com booking as the fake holds it.
#[derive(Clone, Debug)]
pub struct CalcomBookingState {
    /// `accepted`, `pending`, `cancelled`, `rejected`.
    pub status: String,
    pub email: String,
    pub absent: bool,
    pub rescheduled_to: Option<String>,
    pub cancellation_reason: Option<String>,
}

#[derive(Debug, Default)]
struct Faults {
    /// Every action on these bookings is refused with this message (HTTP 400).
    refuse: HashMap<String, String>,
    /// The next action on these bookings is taken, but answered after this long.
    late: HashMap<String, Duration>,
}

type Shared<T> = Arc<Mutex<(HashMap<String, T>, Faults)>>;

fn lock<T>(shared: &Shared<T>) -> MutexGuard<'_, (HashMap<String, T>, Faults)> {
    shared
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The refusal set for `id`, if any, in the provider's error format.
fn fault(faults: &Faults, id: &str, error: impl Fn(&str) -> Value) -> Option<ResponseTemplate> {
    let message = faults.refuse.get(id)?;
    Some(ResponseTemplate::new(400).set_body_json(error(message)))
}

/// The Cal.com API v2 booking calls: `GET /v2/bookings/{uid}`, `POST .../cancel`,
/// `POST .../mark-absent`.
#[derive(Debug)]
pub struct FakeCalcomActions {
    pub server: MockServer,
    state: Shared<CalcomBookingState>,
}

struct CalcomResponder(Shared<CalcomBookingState>);

fn calcom_error(message: &str) -> Value {
    json!({"status": "error", "error": {"code": "BadRequestException", "message": message}})
}

impl Respond for CalcomResponder {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let parts: Vec<&str> = request
            .url
            .path()
            .trim_start_matches('/')
            .split('/')
            .collect();
        let mut guard = lock(&self.0);
        let (bookings, faults) = &mut *guard;
        let (uid, verb) = match parts.as_slice() {
            ["v2", "bookings", uid] => (*uid, None),
            ["v2", "bookings", uid, verb] => (*uid, Some(*verb)),
            _ => return ResponseTemplate::new(404).set_body_json(calcom_error("no route")),
        };
        if request
            .headers
            .get("cal-api-version")
            .and_then(|v| v.to_str().ok())
            != Some("2024-08-13")
        {
            return ResponseTemplate::new(400)
                .set_body_json(calcom_error("cal-api-version missing"));
        }
        let Some(booking) = bookings.get_mut(uid) else {
            return ResponseTemplate::new(404).set_body_json(calcom_error(&format!(
                "Booking with uid={uid} was not found"
            )));
        };
        let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
        if let Some(refused) = verb.and_then(|_| fault(faults, uid, calcom_error)) {
            return refused;
        }
        let mut late = None;
        match verb {
            None => {}
            Some("cancel") if booking.status == "cancelled" => {
                return ResponseTemplate::new(400)
                    .set_body_json(calcom_error("This booking has already been cancelled."));
            }
            Some("cancel") => {
                booking.status = "cancelled".into();
                booking.cancellation_reason =
                    body["cancellationReason"].as_str().map(str::to_owned);
                late = faults.late.remove(uid);
            }
            Some("mark-absent") => {
                let attendee = &body["attendees"][0];
                if attendee["email"].as_str() != Some(booking.email.as_str()) {
                    return ResponseTemplate::new(400)
                        .set_body_json(calcom_error("Attendee not found in this booking"));
                }
                booking.absent = attendee["absent"].as_bool().unwrap_or(false);
                late = faults.late.remove(uid);
            }
            Some(_) => return ResponseTemplate::new(404).set_body_json(calcom_error("no route")),
        }
        let answer = ResponseTemplate::new(200).set_body_json(json!({
            "status": "success",
            "data": {
                "uid": uid,
                "status": booking.status,
                "updatedAt": "2026-03-05T12:00:00.000Z",
                "rescheduledToUid": booking.rescheduled_to,
                "cancellationReason": booking.cancellation_reason,
                "attendees": [{"name": "Attendee", "email": booking.email, "absent": booking.absent}],
            }
        }));
        match late {
            Some(delay) => answer.set_delay(delay),
            None => answer,
        }
    }
}

impl FakeCalcomActions {
    pub async fn start() -> Self {
        let server = MockServer::start().await;
        let state: Shared<CalcomBookingState> = Arc::default();
        Mock::given(path_regex("^/v2/bookings/"))
            .respond_with(CalcomResponder(Arc::clone(&state)))
            .mount(&server)
            .await;
        Self { server, state }
    }

    pub fn uri(&self) -> String {
        self.server.uri()
    }

    /// An accepted booking with one attendee.
    pub fn add(&self, uid: &str, email: &str) {
        let booking = CalcomBookingState {
            status: "accepted".into(),
            email: email.into(),
            absent: false,
            rescheduled_to: None,
            cancellation_reason: None,
        };
        lock(&self.state).0.insert(uid.into(), booking);
    }

    pub fn booking(&self, uid: &str) -> CalcomBookingState {
        lock(&self.state).0[uid].clone()
    }

    pub fn change(&self, uid: &str, change: impl FnOnce(&mut CalcomBookingState)) {
        change(lock(&self.state).0.get_mut(uid).expect("a known booking"));
    }

    /// Refuses every action on `uid` with HTTP 400 and `message`.
    pub fn refuse(&self, uid: &str, message: &str) {
        lock(&self.state)
            .1
            .refuse
            .insert(uid.into(), message.into());
    }

    /// Takes the next action on `uid`, but answers after `delay`.
    pub fn answer_late(&self, uid: &str, delay: Duration) {
        lock(&self.state).1.late.insert(uid.into(), delay);
    }

    /// The requests received, as `METHOD /path`.
    pub async fn calls(&self) -> Vec<String> {
        calls(&self.server).await
    }
}

/// The requests a fake received, as `METHOD /path`.
pub async fn calls(server: &MockServer) -> Vec<String> {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .map(|r| format!("{} {}", r.method, r.url.path()))
        .collect()
}

/// A Calendly invitee as the fake holds it.
#[derive(Clone, Debug)]
pub struct CalendlyInviteeState {
    pub event: String,
    pub canceled: bool,
    pub rescheduled: bool,
    /// The no-show's UUID, when marked.
    pub no_show: Option<String>,
    pub reason: Option<String>,
}

/// The Calendly calls: `GET /scheduled_events/{event}/invitees/{invitee}`,
/// `POST /scheduled_events/{event}/cancellation`, `POST /invitee_no_shows`,
/// `DELETE /invitee_no_shows/{uuid}`.
#[derive(Debug)]
pub struct FakeCalendlyActions {
    pub server: MockServer,
    state: Shared<CalendlyInviteeState>,
}

struct CalendlyResponder(Shared<CalendlyInviteeState>);

fn calendly_error(message: &str) -> Value {
    json!({"title": "Permission Denied", "message": message})
}

const API: &str = "https://api.calendly.com";

impl Respond for CalendlyResponder {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let parts: Vec<&str> = request
            .url
            .path()
            .trim_start_matches('/')
            .split('/')
            .collect();
        let method = request.method.as_str();
        let mut guard = lock(&self.0);
        let (invitees, faults) = &mut *guard;
        let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
        let not_found = || {
            ResponseTemplate::new(404)
                .set_body_json(json!({"title": "Resource Not Found", "message": "not found"}))
        };
        match (method, parts.as_slice()) {
            ("GET", ["scheduled_events", event, "invitees", uuid]) => {
                let Some(i) = invitees.get(*uuid).filter(|i| i.event == *event) else {
                    return not_found();
                };
                ResponseTemplate::new(200).set_body_json(json!({"resource": {
                    "uri": format!("{API}/scheduled_events/{event}/invitees/{uuid}"),
                    "status": if i.canceled { "canceled" } else { "active" },
                    "rescheduled": i.rescheduled,
                    "cancellation": i.canceled.then(|| json!({"created_at": "2026-03-05T12:00:00.000000Z", "reason": i.reason})),
                    "no_show": i.no_show.as_ref().map(|n| json!({"uri": format!("{API}/invitee_no_shows/{n}"), "created_at": "2026-03-18T11:40:00.000000Z"})),
                    "updated_at": "2026-03-05T12:00:00.000000Z",
                }}))
            }
            ("POST", ["scheduled_events", event, "cancellation"]) => {
                let ids: Vec<String> = invitees
                    .iter()
                    .filter(|(_, i)| i.event == *event)
                    .map(|(id, _)| id.clone())
                    .collect();
                if ids.is_empty() {
                    return not_found();
                }
                if let Some(refused) = ids.iter().find_map(|id| fault(faults, id, calendly_error)) {
                    return refused;
                }
                if ids.iter().any(|id| invitees[id].canceled) {
                    return ResponseTemplate::new(403)
                        .set_body_json(calendly_error("Event is already canceled"));
                }
                let late = ids.iter().find_map(|id| faults.late.remove(id));
                for id in &ids {
                    let i = invitees.get_mut(id).expect("listed");
                    i.canceled = true;
                    i.reason = body["reason"].as_str().map(str::to_owned);
                }
                let answer = ResponseTemplate::new(201).set_body_json(json!({"resource": {
                    "canceled_by": "Host", "reason": body["reason"], "canceler_type": "host",
                    "created_at": "2026-03-05T12:00:00.000000Z"
                }}));
                match late {
                    Some(delay) => answer.set_delay(delay),
                    None => answer,
                }
            }
            ("POST", ["invitee_no_shows"]) => {
                let uri = body["invitee"].as_str().unwrap_or_default();
                let uuid = uri.rsplit('/').next().unwrap_or_default().to_owned();
                if let Some(refused) = fault(faults, &uuid, calendly_error) {
                    return refused;
                }
                let Some(i) = invitees.get_mut(&uuid) else {
                    return not_found();
                };
                let no_show = format!("ns-{uuid}");
                i.no_show = Some(no_show.clone());
                ResponseTemplate::new(201).set_body_json(json!({"resource": {
                    "uri": format!("{API}/invitee_no_shows/{no_show}"),
                    "invitee": uri,
                    "created_at": "2026-03-18T11:40:00.000000Z"
                }}))
            }
            ("DELETE", ["invitee_no_shows", no_show]) => {
                match invitees
                    .values_mut()
                    .find(|i| i.no_show.as_deref() == Some(*no_show))
                {
                    Some(i) => {
                        i.no_show = None;
                        ResponseTemplate::new(204)
                    }
                    None => not_found(),
                }
            }
            _ => not_found(),
        }
    }
}

impl FakeCalendlyActions {
    pub async fn start() -> Self {
        let server = MockServer::start().await;
        let state: Shared<CalendlyInviteeState> = Arc::default();
        Mock::given(path_regex("^/(scheduled_events|invitee_no_shows)"))
            .respond_with(CalendlyResponder(Arc::clone(&state)))
            .mount(&server)
            .await;
        Self { server, state }
    }

    pub fn uri(&self) -> String {
        self.server.uri()
    }

    /// An active invitee of `event`.
    pub fn add(&self, event: &str, invitee: &str) {
        let state = CalendlyInviteeState {
            event: event.into(),
            canceled: false,
            rescheduled: false,
            no_show: None,
            reason: None,
        };
        lock(&self.state).0.insert(invitee.into(), state);
    }

    pub fn invitee(&self, invitee: &str) -> CalendlyInviteeState {
        lock(&self.state).0[invitee].clone()
    }

    /// Refuses every action on `invitee` (or its event) with `message`.
    pub fn refuse(&self, invitee: &str, message: &str) {
        lock(&self.state)
            .1
            .refuse
            .insert(invitee.into(), message.into());
    }

    pub async fn calls(&self) -> Vec<String> {
        calls(&self.server).await
    }
}
