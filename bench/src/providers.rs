//! A local fake of both providers' APIs for the `sync-scale` benchmark: every account's data is
//! made from its credential (`cal-<n>`, `cly-<n>`), each answer comes after a fixed latency, and
//! every request is counted per provider. Formats from `integration_tests::fakes` (PROVIDERS.md
//! §3-4).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use integration_tests::fakes::{
    CalcomBooking, CalendlyInvitee, calcom_page, calendly_event, calendly_page,
};
use serde_json::json;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// Requests received, per provider.
#[derive(Debug, Default)]
pub struct Counts {
    pub calcom: AtomicU64,
    pub calendly: AtomicU64,
}

impl Counts {
    /// (Cal.com, Calendly) since the last take.
    pub fn take(&self) -> (u64, u64) {
        (
            self.calcom.swap(0, Ordering::Relaxed),
            self.calendly.swap(0, Ordering::Relaxed),
        )
    }
}

/// The fake: `events` upcoming bookings per account and provider, made `created_days_ago`.
#[derive(Debug)]
pub struct FakeProviders {
    pub server: MockServer,
    pub counts: Arc<Counts>,
}

pub fn calcom_key(n: usize) -> String {
    format!("cal-{n}")
}

pub fn calendly_token(n: usize) -> String {
    format!("cly-{n}")
}

fn organization(n: &str) -> String {
    format!("https://api.calendly.com/organizations/org-{n}")
}

struct Answer {
    counts: Arc<Counts>,
    latency: Duration,
    events: usize,
    base: DateTime<Utc>,
}

impl Answer {
    fn calcom(&self, n: &str, request: &Request) -> ResponseTemplate {
        let query: Vec<(String, String)> = request.url.query_pairs().into_owned().collect();
        let has = |name: &str| query.iter().any(|(k, _)| k == name);
        let status = query
            .iter()
            .find(|(k, _)| k == "status")
            .map_or("", |(_, v)| v.as_str());
        // Bookings were made ten days ago and never changed: only a full upcoming listing has
        // them.
        let bookings: Vec<CalcomBooking> =
            if status == "upcoming" && !has("afterCreatedAt") && !has("afterUpdatedAt") {
                (0..self.events)
                    .map(|k| {
                        CalcomBooking::new(
                            &format!("c{n}-{k}"),
                            "accepted",
                            self.base + chrono::Duration::days(k as i64 + 1),
                            self.base - chrono::Duration::days(10),
                        )
                    })
                    .collect()
            } else {
                Vec::new()
            };
        ResponseTemplate::new(200).set_body_json(calcom_page(&bookings, 1, 100, bookings.len()))
    }

    fn calendly(&self, n: &str, request: &Request) -> ResponseTemplate {
        let path = request.url.path();
        if path == "/users/me" {
            return ResponseTemplate::new(200).set_body_json(json!({"resource": {
                "uri": format!("https://api.calendly.com/users/u-{n}"),
                "current_organization": organization(n),
            }}));
        }
        if path == "/scheduled_events" {
            let events = (0..self.events)
                .map(|k| {
                    calendly_event(
                        &format!("e{n}-{k}"),
                        self.base + chrono::Duration::days(k as i64 + 1),
                        false,
                    )
                })
                .collect();
            return ResponseTemplate::new(200).set_body_json(calendly_page(events, None));
        }
        let event = path
            .strip_prefix("/scheduled_events/")
            .and_then(|rest| rest.strip_suffix("/invitees"));
        match event {
            Some(event) => {
                let invitee = CalendlyInvitee::new(
                    event,
                    &format!("i{event}"),
                    self.base - chrono::Duration::days(10),
                );
                ResponseTemplate::new(200).set_body_json(calendly_page(vec![invitee.json()], None))
            }
            None => ResponseTemplate::new(404),
        }
    }
}

impl Respond for Answer {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let bearer = request
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or_default();
        let answer = if let Some(n) = bearer.strip_prefix("cal-") {
            self.counts.calcom.fetch_add(1, Ordering::Relaxed);
            self.calcom(n, request)
        } else if let Some(n) = bearer.strip_prefix("cly-") {
            self.counts.calendly.fetch_add(1, Ordering::Relaxed);
            self.calendly(n, request)
        } else {
            ResponseTemplate::new(401)
        };
        answer.set_delay(self.latency)
    }
}

impl FakeProviders {
    /// Serves both APIs on one loopback port.
    pub async fn start(latency: Duration, events: usize, base: DateTime<Utc>) -> Self {
        let server = MockServer::builder()
            .disable_request_recording()
            .start()
            .await;
        let counts = Arc::new(Counts::default());
        Mock::given(wiremock::matchers::any())
            .respond_with(Answer {
                counts: Arc::clone(&counts),
                latency,
                events,
                base,
            })
            .mount(&server)
            .await;
        Self { server, counts }
    }
}
