//! The dashboard tests' account: `booking-tracker serve` on a fresh SQLite store with the
//! account `acme`, and optionally a month of bookings through Cal.com's signed webhook and the
//! CLI.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chrono::{Duration, DurationRound, SecondsFormat, Utc};
use integration_tests::provider_fixture;
use serde_json::{Value, json};
use shared::domain::Secret;

use crate::common::{Server, post_calcom, succeed};

pub(crate) const XSS_NAME: &str = "<img src=x onerror=alert(1)>";
pub(crate) const XSS_EVENT_TYPE: &str = "<script>alert(2)</script>Discovery";
pub(crate) const XSS_UID: &str = "dashXss9Lm2Qa7Rt4YbZc1";

/// One Cal.com booking, delivered by its signed webhook: made `booked_days_ago`, for a call
/// `starts_in_hours` from now.
struct Booking {
    uid: &'static str,
    name: &'static str,
    event_type: &'static str,
    campaign: Option<&'static str>,
    booked_days_ago: i64,
    starts_in_hours: i64,
}

const fn booking(
    uid: &'static str,
    name: &'static str,
    event_type: &'static str,
    campaign: Option<&'static str>,
    (booked_days_ago, starts_in_hours): (i64, i64),
) -> Booking {
    Booking {
        uid,
        name,
        event_type,
        campaign,
        booked_days_ago,
        starts_in_hours,
    }
}

/// A month of bookings, one of them by a booker whose name and event type are markup.
const BOOKINGS: &[Booking] = &[
    booking(XSS_UID, XSS_NAME, XSS_EVENT_TYPE, Some("spring"), (10, 50)),
    booking(
        "dashAda1Lm2Qa7Rt4YbZc1",
        "Ada Lovelace",
        "Discovery call",
        Some("spring"),
        (1, 26),
    ),
    booking(
        "dashGra2Lm2Qa7Rt4YbZc1",
        "Grace Hopper",
        "Discovery call",
        Some("webinar"),
        (3, 30),
    ),
    booking(
        "dashAla3Lm2Qa7Rt4YbZc1",
        "Alan Turing",
        "Demo",
        None,
        (5, 74),
    ),
    booking(
        "dashKat4Lm2Qa7Rt4YbZc1",
        "Katherine Johnson",
        "Discovery call",
        Some("webinar"),
        (12, 98),
    ),
    booking(
        "dashTim5Lm2Qa7Rt4YbZc1",
        "Tim Berners-Lee",
        "Demo",
        Some("spring"),
        (17, 122),
    ),
    booking(
        "dashMar6Lm2Qa7Rt4YbZc1",
        "Margaret Hamilton",
        "Discovery call",
        None,
        (23, 146),
    ),
];

/// `booking-tracker serve` on a fresh SQLite store with the account `acme`.
pub(crate) struct Seeded {
    pub(crate) server: Server,
    pub(crate) key: String,
    _dir: tempfile::TempDir,
}

fn rfc3339(t: chrono::DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The account alone, or with [`BOOKINGS`] and two manual bookings made today (one cancelled
/// since) when `bookings`.
pub(crate) async fn seed(bookings: bool) -> Seeded {
    let dir = tempfile::tempdir().unwrap();
    let store = format!("sqlite:{}", dir.path().join("bt.db").display());
    let created = succeed(&store, &[], &["accounts", "create", "acme"]);
    let key = created["apiKey"].as_str().unwrap().to_owned();
    let secret = Secret::new(created["calcomWebhookSecret"].as_str().unwrap());
    let server = Server::start_with(&store, &[]);
    if !bookings {
        return Seeded {
            server,
            key,
            _dir: dir,
        };
    }
    let hour = Utc::now().duration_trunc(Duration::hours(1)).unwrap();
    for (i, b) in BOOKINGS.iter().enumerate() {
        let start = hour + Duration::hours(b.starts_in_hours);
        let (email, phone) = (format!("lead{i}@example.com"), format!("+4477009001{i:02}"));
        let mut body: Value =
            serde_json::from_slice(&provider_fixture("calcom-booking-created.json")).unwrap();
        body["createdAt"] = json!(rfc3339(Utc::now() - Duration::days(b.booked_days_ago)));
        let payload = &mut body["payload"];
        payload["uid"] = json!(b.uid);
        payload["startTime"] = json!(rfc3339(start));
        payload["endTime"] = json!(rfc3339(start + Duration::minutes(30)));
        payload["type"] = json!(b.event_type);
        payload["metadata"]["utm_campaign"] = json!(b.campaign);
        let attendee = &mut payload["attendees"][0];
        (attendee["name"], attendee["email"]) = (json!(b.name), json!(email));
        attendee["phoneNumber"] = json!(phone);
        let responses = &mut payload["responses"];
        responses["name"]["value"] = json!(b.name);
        responses["email"]["value"] = json!(email);
        responses["attendeePhoneNumber"]["value"] = json!(phone);
        let body = serde_json::to_vec(&body).unwrap();
        let answer = post_calcom(&server, "acme", &secret, body).await;
        assert_eq!(answer.status(), 200, "{}", answer.text().await.unwrap());
    }

    let tomorrow = rfc3339(hour + Duration::days(1));
    let add = |name: &str, event_type: &str| {
        let args = [
            "appointments",
            "add",
            "acme",
            "--name",
            name,
            "--at",
            &tomorrow,
            "--event-type",
            event_type,
        ];
        succeed(&store, &[], &args)["appointmentId"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    add("Jane Doe", "Demo");
    let cancelled = add("Sam Lee", "Discovery call");
    succeed(&store, &[], &["appointments", "cancel", "acme", &cancelled]);
    Seeded {
        server,
        key,
        _dir: dir,
    }
}
