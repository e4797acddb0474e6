//! Calendly's events and invitees, listed and acted on: `GET /scheduled_events` and the
//! invitees, one invitee, `POST /scheduled_events/{uuid}/cancellation` (403 when already
//! canceled), `POST /invitee_no_shows`, `DELETE /invitee_no_shows/{uuid}`.

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
                let mut invitees = self.invitees.iter_mut().filter(|i| i.event == *event);
                let mut found = false;
                for invitee in invitees.by_ref() {
                    if invitee.status == "canceled" {
                        return ResponseTemplate::new(403).set_body_json(json!({
                            "title": "Permission Denied", "message": "Event is already canceled"
                        }));
                    }
                    invitee.status = "canceled";
                    found = true;
                }
                if !found {
                    return ResponseTemplate::new(404);
                }
                let answer = ResponseTemplate::new(201).set_body_json(json!({"resource": {
                    "canceled_by": "Tom Hargreaves", "reason": body(request)["reason"],
                    "canceler_type": "host", "created_at": iso(now),
                }}));
                self.log.taken(answer)
            }
            ("DELETE", ["invitee_no_shows", no_show]) => {
                let marked = self.invitees.iter_mut().find(|i| {
                    i.no_show.is_some() && CalendlyInvitee::no_show_uuid(&i.uuid) == *no_show
                });
                match marked {
                    Some(invitee) => {
                        invitee.no_show = None;
                        self.log.taken(ResponseTemplate::new(204))
                    }
                    None => ResponseTemplate::new(404),
                }
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
                let answer = ResponseTemplate::new(201).set_body_json(json!({"resource": {
                    "uri": CalendlyInvitee::no_show_uri(&invitee.uuid),
                    "invitee": uri, "created_at": iso(now),
                }}));
                self.log.taken(answer)
            }
            _ => ResponseTemplate::new(404),
        }
    }
}
