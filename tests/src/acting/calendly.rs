//! Calendly's events and invitees, listed and acted on.

use chrono::{DateTime, Utc};
use serde_json::json;
use wiremock::{Request, ResponseTemplate};

use super::{Answers, Log, body, iso};
use crate::fakes::{CalendlyInvitee, calendly_event, calendly_page};

/// Calendly's events (`uuid`, start) and their invitees as of `now`.
#[derive(Debug)]
pub struct Calendly {
    pub now: DateTime<Utc>,
    pub events: Vec<(String, DateTime<Utc>)>,
    pub invitees: Vec<CalendlyInvitee>,
    log: Log,
}

impl Calendly {
    pub fn new(
        now: DateTime<Utc>,
        events: Vec<(String, DateTime<Utc>)>,
        invitees: Vec<CalendlyInvitee>,
    ) -> Self {
        Self {
            now,
            events,
            invitees,
            log: Log::default(),
        }
    }

    fn invitee(&mut self, event: &str, uuid: &str) -> Option<&mut CalendlyInvitee> {
        self.invitees
            .iter_mut()
            .find(|i| i.event == event && i.uuid == uuid)
    }
}

impl Answers for Calendly {
    fn log(&mut self) -> &mut Log {
        &mut self.log
    }

    fn answer(&mut self, method: &str, parts: &[&str], request: &Request) -> ResponseTemplate {
        let now = self.now;
        let page = |items| ResponseTemplate::new(200).set_body_json(calendly_page(items, None));
        match (method, parts) {
            ("GET", ["scheduled_events"]) => page(
                self.events
                    .iter()
                    .map(|(uuid, start)| {
                        let canceled = self
                            .invitees
                            .iter()
                            .filter(|i| &i.event == uuid)
                            .all(|i| i.status == "canceled");
                        calendly_event(uuid, *start, canceled)
                    })
                    .collect(),
            ),
            ("GET", ["scheduled_events", event, "invitees"]) => page(
                self.invitees
                    .iter()
                    .filter(|i| i.event == *event)
                    .map(CalendlyInvitee::json)
                    .collect(),
            ),
            ("GET", ["scheduled_events", event, "invitees", uuid]) => {
                match self.invitee(event, uuid) {
                    Some(i) => {
                        ResponseTemplate::new(200).set_body_json(json!({"resource": i.json()}))
                    }
                    None => ResponseTemplate::new(404),
                }
            }
            ("POST", ["scheduled_events", event, "cancellation"]) => {
                if let Some(refused) = self.log.refuse() {
                    return refused;
                }
                for invitee in self.invitees.iter_mut().filter(|i| i.event == *event) {
                    invitee.status = "canceled";
                }
                ResponseTemplate::new(201).set_body_json(json!({"resource": {
                    "canceled_by": "Tom Hargreaves", "reason": null,
                    "canceler_type": "host", "created_at": iso(now),
                }}))
            }
            ("POST", ["invitee_no_shows"]) => {
                if let Some(refused) = self.log.refuse() {
                    return refused;
                }
                let body = body(request);
                let uri = body["invitee"].as_str().unwrap_or_default().to_owned();
                let Some(invitee) = self.invitees.iter_mut().find(|i| i.uri() == uri) else {
                    return ResponseTemplate::new(404);
                };
                invitee.no_show = Some(now);
                ResponseTemplate::new(201).set_body_json(json!({"resource": {
                    "uri": "https://api.calendly.com/invitee_no_shows/x",
                    "invitee": uri, "created_at": iso(now),
                }}))
            }
            _ => ResponseTemplate::new(404),
        }
    }
}
