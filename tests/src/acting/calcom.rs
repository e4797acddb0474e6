//! Cal.com's bookings, listed and acted on.

use chrono::{DateTime, Utc};
use serde_json::json;
use wiremock::{Request, ResponseTemplate};

use super::{Answers, Log, body};
use crate::fakes::{CalcomBooking, calcom_page};

/// Cal.com's bookings as of `now`.
#[derive(Debug)]
pub struct Calcom {
    pub now: DateTime<Utc>,
    pub bookings: Vec<CalcomBooking>,
    log: Log,
}

impl Calcom {
    pub fn new(now: DateTime<Utc>, bookings: Vec<CalcomBooking>) -> Self {
        Self {
            now,
            bookings,
            log: Log::default(),
        }
    }

    pub fn booking(&mut self, uid: &str) -> Option<&mut CalcomBooking> {
        self.bookings.iter_mut().find(|b| b.uid == uid)
    }

    /// The listing of `GET /v2/bookings?status=…` (one page; other filters are ignored, so it
    /// lists more than Cal.com would, which the sync applies as no change).
    fn listing(&self, status: &str) -> Vec<CalcomBooking> {
        let ended = |b: &CalcomBooking| b.start + chrono::Duration::minutes(30) <= self.now;
        let off = |b: &CalcomBooking| matches!(b.status, "cancelled" | "rejected");
        self.bookings
            .iter()
            .filter(|b| match status {
                "upcoming" => !off(b) && !ended(b),
                "cancelled" => off(b),
                "past" => !off(b) && ended(b),
                _ => true,
            })
            .cloned()
            .collect()
    }
}

impl Answers for Calcom {
    fn log(&mut self) -> &mut Log {
        &mut self.log
    }

    fn answer(&mut self, method: &str, parts: &[&str], request: &Request) -> ResponseTemplate {
        let now = self.now;
        let one = |b: &CalcomBooking| {
            ResponseTemplate::new(200).set_body_json(json!({"status": "success", "data": b.json()}))
        };
        let refuse = |status: u16, message: &str| {
            ResponseTemplate::new(status).set_body_json(json!({
                "status": "error", "error": {"code": "BadRequestException", "message": message}
            }))
        };
        let version = request
            .headers
            .get("cal-api-version")
            .and_then(|v| v.to_str().ok());
        if version != Some("2024-08-13") {
            return refuse(400, "send cal-api-version: 2024-08-13");
        }
        match (method, parts) {
            ("GET", ["v2", "bookings"]) => {
                let status = request
                    .url
                    .query_pairs()
                    .find(|(k, _)| k == "status")
                    .map(|(_, v)| v.into_owned())
                    .unwrap_or_default();
                let list = self.listing(&status);
                ResponseTemplate::new(200).set_body_json(calcom_page(&list, 1, 100, list.len()))
            }
            ("GET", ["v2", "bookings", uid]) => match self.booking(uid) {
                Some(b) => one(b),
                None => ResponseTemplate::new(404),
            },
            ("POST", ["v2", "bookings", uid, verb]) => {
                if let Some(refused) = self.log.refuse() {
                    return refused;
                }
                let body = body(request);
                let Some(booking) = self.booking(uid) else {
                    return ResponseTemplate::new(404);
                };
                let attendee = &body["attendees"][0];
                match *verb {
                    "cancel" if booking.status == "cancelled" => {
                        return refuse(400, "This booking has already been cancelled.");
                    }
                    "cancel" => booking.status = "cancelled",
                    "mark-absent" if attendee["email"] != booking.email.as_str() => {
                        return refuse(400, "Attendee not found in this booking");
                    }
                    "mark-absent" => booking.absent = attendee["absent"] == true,
                    _ => return ResponseTemplate::new(404),
                }
                booking.updated = Some(now);
                let answer = one(booking);
                self.log.taken(answer)
            }
            _ => ResponseTemplate::new(404),
        }
    }
}
