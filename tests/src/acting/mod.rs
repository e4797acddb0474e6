//! Stateful fakes of the provider endpoints that act on one booking (SPEC §10), beside the
//! listings the sync reads, so that what an action changed is what the next read lists: Cal.com
//! API v2 (`GET /v2/bookings`, `GET /v2/bookings/{uid}`, `POST .../cancel`,
//! `POST .../mark-absent`) and Calendly (`GET /scheduled_events`, its invitees, one invitee,
//! `POST /scheduled_events/{uuid}/cancellation`, `POST /invitee_no_shows`). Formats as in
//! `shared::providers::{calcom, calendly}::actions`; every request is logged.
//!
//! [`world`] is an account on both fakes and the Google fake, as the sheet-action tests use it.

mod calcom;
mod calendly;
pub mod world;

pub use calcom::Calcom;
pub use calendly::Calendly;

use std::sync::{Arc, Mutex, MutexGuard};

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate, matchers::any};

/// A request a fake received.
#[derive(Clone, Debug)]
pub struct Received {
    pub method: String,
    pub path: String,
    pub body: Value,
    /// The `cal-api-version` header, if sent.
    pub api_version: Option<String>,
}

/// What a fake answers an acting call with instead of acting: a refusal (4xx) or an outage
/// (5xx), for the next `times` calls. Cal.com reads `error.message`, Calendly `message`: the
/// body carries both.
#[derive(Clone, Debug)]
pub struct Refusal {
    pub status: u16,
    pub message: String,
    pub times: u32,
}

/// One fake provider: its state, and the server answering from it.
#[derive(Debug)]
pub struct Fake<T> {
    pub server: MockServer,
    state: Arc<Mutex<T>>,
}

/// What every fake's state holds besides its bookings.
#[derive(Debug, Default)]
pub struct Log {
    pub received: Vec<Received>,
    pub refusal: Option<Refusal>,
    /// The next acting call is taken, but answered this late (after the client gave up).
    pub late: Option<std::time::Duration>,
}

impl Log {
    fn take(&mut self, request: &Request) {
        self.received.push(Received {
            method: request.method.to_string(),
            path: request.url.path().to_owned(),
            body: body(request),
            api_version: request
                .headers
                .get("cal-api-version")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
        });
    }

    /// `answer` to an acting call that was taken, delayed once if [`Log::late`] is set.
    fn taken(&mut self, answer: ResponseTemplate) -> ResponseTemplate {
        match self.late.take() {
            Some(delay) => answer.set_delay(delay),
            None => answer,
        }
    }

    /// The refusal to answer an acting call with, if one is due.
    fn refuse(&mut self) -> Option<ResponseTemplate> {
        let refusal = self.refusal.as_mut().filter(|r| r.times > 0)?;
        refusal.times -= 1;
        Some(ResponseTemplate::new(refusal.status).set_body_json(json!({
            "status": "error",
            "error": {"code": "BadRequestException", "message": refusal.message},
            "title": "Invalid Argument",
            "message": refusal.message,
        })))
    }
}

/// A state a fake answers from.
pub trait Answers: Send + 'static {
    fn log(&mut self) -> &mut Log;
    /// The answer to `method` on the path of `parts` (its segments).
    fn answer(&mut self, method: &str, parts: &[&str], request: &Request) -> ResponseTemplate;
}

struct Handler<T>(Arc<Mutex<T>>);

impl<T: Answers> Respond for Handler<T> {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let mut state = self.0.lock().unwrap();
        state.log().take(request);
        let path = request.url.path().to_owned();
        let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        state.answer(request.method.as_str(), &parts, request)
    }
}

impl<T: Answers> Fake<T> {
    pub async fn start(state: T) -> Self {
        let server = MockServer::start().await;
        let state = Arc::new(Mutex::new(state));
        Mock::given(any())
            .respond_with(Handler(Arc::clone(&state)))
            .mount(&server)
            .await;
        Self { server, state }
    }

    pub fn state(&self) -> MutexGuard<'_, T> {
        self.state.lock().unwrap()
    }

    /// The calls received with `method` to paths ending in `suffix`.
    pub fn calls(&self, method: &str, suffix: &str) -> Vec<Received> {
        self.state()
            .log()
            .received
            .iter()
            .filter(|r| r.method == method && r.path.ends_with(suffix))
            .cloned()
            .collect()
    }

    /// Acting calls are answered with `refusal` from now on, `refusal.times` times.
    pub fn refuse(&self, refusal: Refusal) {
        self.state().log().refusal = Some(refusal);
    }

    /// The next acting call is taken, and answered after `delay`.
    pub fn answer_late(&self, delay: std::time::Duration) {
        self.state().log().late = Some(delay);
    }

    /// Every request received, as `METHOD /path`.
    pub fn requests(&self) -> Vec<String> {
        self.state()
            .log()
            .received
            .iter()
            .map(|r| format!("{} {}", r.method, r.path))
            .collect()
    }
}

pub(crate) fn body(request: &Request) -> Value {
    serde_json::from_slice(&request.body).unwrap_or(Value::Null)
}

pub(crate) fn iso(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}
