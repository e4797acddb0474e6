//! Every sample payload (PROVIDERS.md §7) verifies and parses to the expected event, in the
//! pretty form of the fixture and re-serialised compact as Cal.com sends it. Signatures are made
//! at test time with the signer the verifier uses.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chrono::{DateTime, Utc};
use integration_tests::{compact, provider_fixture};
use shared::domain::{
    Attendee, Attribution, BookingEvent, BookingKey, Email, EventKind, Phone, Provider, Region,
    Secret, Tracking,
};
use shared::providers::{Parsed, calcom, calendly};

const CALCOM_SECRET: &str = "calcom-sample-secret";
const CALENDLY_KEY: &str = "calendly-sample-signing-key";

fn t(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339)
        .unwrap()
        .with_timezone(&Utc)
}

fn key(raw: &str) -> BookingKey {
    BookingKey::parse(raw).unwrap()
}

fn person(name: &str, email: Option<&str>, phone: Option<&str>) -> Attendee {
    Attendee {
        name: Some(name.to_owned()),
        email: email.map(|e| Email::parse(e).unwrap()),
        phone: phone.map(|p| Phone::parse(p, Region::GB).unwrap()),
    }
}

/// Verifies and parses a Cal.com fixture in both byte forms; both must give the same result.
fn calcom_sample(name: &str) -> Parsed {
    let secret = Secret::new(CALCOM_SECRET);
    let pretty = provider_fixture(name);
    let mut results = Vec::new();
    for body in [pretty.clone(), compact(&pretty)] {
        let signature = calcom::sign(&secret, &body);
        calcom::verify(&secret, &body, Some(&signature)).expect("signature verifies");
        results.push(calcom::parse(&body, Region::GB).expect("sample parses"));
    }
    assert_eq!(
        results[0], results[1],
        "{name}: pretty and compact parse alike"
    );
    results.remove(0)
}

fn calendly_sample(name: &str) -> Parsed {
    let signing_key = Secret::new(CALENDLY_KEY);
    let now = Utc::now();
    let pretty = provider_fixture(name);
    let mut results = Vec::new();
    for body in [pretty.clone(), compact(&pretty)] {
        let header = calendly::sign(&signing_key, now.timestamp(), &body);
        calendly::verify(
            &signing_key,
            &body,
            Some(&header),
            now,
            calendly::DEFAULT_TOLERANCE,
        )
        .expect("signature verifies");
        results.push(calendly::parse(&body, Region::GB).expect("sample parses"));
    }
    assert_eq!(
        results[0], results[1],
        "{name}: pretty and compact parse alike"
    );
    results.remove(0)
}

fn event(parsed: Parsed) -> BookingEvent {
    match parsed {
        Parsed::Event(event) => *event,
        other => panic!("expected a booking event, got {other:?}"),
    }
}

const PRIYA_OLD: &str = "k3Pq8vXw2LmN9aRt5YbZc1";
const PRIYA_NEW: &str = "7hJd2WqR4sTu6VxY8zAb3C";

#[test]
fn calcom_booking_created() {
    assert_eq!(
        event(calcom_sample("calcom-booking-created.json")),
        BookingEvent {
            provider: Provider::Calcom,
            kind: EventKind::Booked,
            key: key(PRIYA_OLD),
            predecessor: None,
            successor: None,
            start: Some(t("2026-03-10T14:00:00Z")),
            end: Some(t("2026-03-10T14:30:00Z")),
            // +447700900123 is in Ofcom's drama range, which libphonenumber calls invalid.
            attendee: person("Priya Nair", Some("priya.nair@example.com"), None),
            event_type: Some("discovery-call".into()),
            occurred_at: t("2026-03-02T09:15:42.318Z"),
            booked_at: Some(t("2026-03-02T09:15:42.318Z")),
            trigger: "BOOKING_CREATED".into(),
            tracking: Default::default(),
        }
    );
}

#[test]
fn calcom_booking_created_phone_only() {
    let e = event(calcom_sample("calcom-booking-created-phone-only.json"));
    assert_eq!(e.key, key("Ak4eW9sD3fG7hJ2kL5zX8c"));
    assert_eq!(e.kind, EventKind::Booked);
    assert_eq!(e.start, Some(t("2026-03-16T09:00:00Z")));
    assert_eq!(e.event_type.as_deref(), Some("phone-consultation"));
    // The @sms.cal.com placeholder is no email; the number (drama range) is not valid either.
    assert_eq!(e.attendee, person("Aisha Okafor", None, None));
}

#[test]
fn calcom_booking_requested() {
    assert_eq!(
        event(calcom_sample("calcom-booking-requested.json")),
        BookingEvent {
            provider: Provider::Calcom,
            kind: EventKind::Requested,
            key: key("Mx9fT2bQ7wEr4YuI1oPa6S"),
            predecessor: None,
            successor: None,
            start: Some(t("2026-03-13T16:00:00Z")),
            end: Some(t("2026-03-13T16:30:00Z")),
            attendee: person(
                "Marcus Ellery",
                Some("marcus.ellery@example.org"),
                Some("+12025550177")
            ),
            event_type: Some("discovery-call".into()),
            occurred_at: t("2026-03-07T22:31:54.006Z"),
            booked_at: Some(t("2026-03-07T22:31:54.006Z")),
            trigger: "BOOKING_REQUESTED".into(),
            tracking: Default::default(),
        }
    );
}

#[test]
fn calcom_booking_rescheduled_links_the_old_booking() {
    assert_eq!(
        event(calcom_sample("calcom-booking-rescheduled.json")),
        BookingEvent {
            provider: Provider::Calcom,
            kind: EventKind::Rescheduled,
            key: key(PRIYA_NEW),
            predecessor: Some(key(PRIYA_OLD)),
            successor: None,
            start: Some(t("2026-03-12T10:30:00Z")),
            end: Some(t("2026-03-12T11:00:00Z")),
            attendee: person("Priya Nair", Some("priya.nair@example.com"), None),
            event_type: Some("discovery-call".into()),
            occurred_at: t("2026-03-08T19:02:13.221Z"),
            booked_at: Some(t("2026-03-08T19:02:13.221Z")),
            trigger: "BOOKING_RESCHEDULED".into(),
            tracking: Default::default(),
        }
    );
}

#[test]
fn calcom_booking_cancelled_finds_the_phone_in_the_location() {
    assert_eq!(
        event(calcom_sample("calcom-booking-cancelled.json")),
        BookingEvent {
            provider: Provider::Calcom,
            kind: EventKind::Cancelled,
            key: key("Rw5nB8cK1tHq3ZpL6mYd0F"),
            predecessor: None,
            successor: None,
            start: Some(t("2026-03-11T18:00:00Z")),
            end: Some(t("2026-03-11T18:30:00Z")),
            attendee: person(
                "Dana Whitfield",
                Some("dana.whitfield@example.net"),
                Some("+12025550143")
            ),
            event_type: Some("phone-consultation".into()),
            occurred_at: t("2026-03-05T13:47:09.560Z"),
            booked_at: None,
            trigger: "BOOKING_CANCELLED".into(),
            tracking: Default::default(),
        }
    );
}

#[test]
fn calcom_meeting_ended_reads_the_flat_envelope() {
    assert_eq!(
        event(calcom_sample("calcom-meeting-ended.json")),
        BookingEvent {
            provider: Provider::Calcom,
            kind: EventKind::Completed,
            key: key(PRIYA_NEW),
            predecessor: Some(key(PRIYA_OLD)),
            successor: None,
            start: Some(t("2026-03-12T10:30:00Z")),
            end: Some(t("2026-03-12T11:00:00Z")),
            attendee: person("Priya Nair", Some("priya.nair@example.com"), None),
            event_type: None,
            // Fired at the end time; the root createdAt is when the booking was made.
            occurred_at: t("2026-03-12T11:00:00Z"),
            booked_at: Some(t("2026-03-08T19:02:11.512Z")),
            trigger: "MEETING_ENDED".into(),
            tracking: Default::default(),
        }
    );
}

#[test]
fn calcom_no_show_updated() {
    assert_eq!(
        event(calcom_sample("calcom-no-show.json")),
        BookingEvent {
            provider: Provider::Calcom,
            kind: EventKind::NoShowMarked,
            key: key(PRIYA_NEW),
            predecessor: None,
            successor: None,
            start: None,
            end: None,
            attendee: Attendee::default(),
            event_type: None,
            occurred_at: t("2026-03-12T11:20:05.117Z"),
            booked_at: None,
            trigger: "BOOKING_NO_SHOW_UPDATED".into(),
            tracking: Default::default(),
        }
    );
}

#[test]
fn calcom_ping() {
    assert_eq!(calcom_sample("calcom-ping.json"), Parsed::Ping);
}

const JAMIE: &str = "https://api.calendly.com/scheduled_events/3f8a2c61-7b4e-4d19-9a05-6c2e8f1b7d43/invitees/e1c7a9b3-5d2f-4e86-b0a4-9f3d6c8e2a17";
const OLIVER_OLD: &str = "https://api.calendly.com/scheduled_events/8d4b1e97-2c6a-4f30-b7e8-1a5c9d3f6e02/invitees/5a9e3c71-0f4d-4b2a-8c6e-7d1b2f9a4e35";
const OLIVER_NEW: &str = "https://api.calendly.com/scheduled_events/2b7f9d13-6e58-4a0c-9f21-4c8e1a7b5d96/invitees/c6d2e8a4-1b7f-4390-a5e1-8f3c0d9b6a27";

fn jamie(kind: EventKind, occurred: &str, trigger: &str) -> BookingEvent {
    BookingEvent {
        provider: Provider::Calendly,
        kind,
        key: key(JAMIE),
        predecessor: None,
        successor: None,
        start: Some(t("2026-03-17T20:00:00Z")),
        end: Some(t("2026-03-17T20:30:00Z")),
        attendee: person(
            "Jamie Rivera",
            Some("jamie.rivera@example.org"),
            Some("+12025550188"),
        ),
        event_type: Some("30 Minute Consultation".into()),
        occurred_at: t(occurred),
        booked_at: Some(t("2026-03-04T15:22:08.613402Z")),
        trigger: trigger.into(),
        // The scheduling link carried UTM parameters.
        tracking: Tracking {
            attribution: Attribution::new(Some("spring-consults"), Some("google")),
            ..Tracking::default()
        },
    }
}

#[test]
fn calendly_invitee_created() {
    assert_eq!(
        event(calendly_sample("calendly-invitee-created.json")),
        jamie(EventKind::Booked, "2026-03-04T15:22:09Z", "invitee.created")
    );
}

#[test]
fn calendly_invitee_canceled_by_host() {
    assert_eq!(
        event(calendly_sample("calendly-invitee-canceled.json")),
        jamie(
            EventKind::Cancelled,
            "2026-03-06T10:05:31Z",
            "invitee.canceled"
        )
    );
}

fn oliver(kind: EventKind, key_uri: &str, occurred: &str, trigger: &str) -> BookingEvent {
    BookingEvent {
        provider: Provider::Calendly,
        kind,
        key: key(key_uri),
        predecessor: None,
        successor: None,
        start: None,
        end: None,
        // "+44 7700 900456" is in the drama range: no valid phone.
        attendee: person("Oliver Bennett", Some("oliver.bennett@example.com"), None),
        event_type: Some("30 Minute Consultation".into()),
        occurred_at: t(occurred),
        booked_at: None,
        trigger: trigger.into(),
        tracking: Default::default(),
    }
}

#[test]
fn calendly_cancel_half_of_a_reschedule() {
    assert_eq!(
        event(calendly_sample(
            "calendly-invitee-canceled-rescheduled.json"
        )),
        BookingEvent {
            successor: Some(key(OLIVER_NEW)),
            start: Some(t("2026-03-16T15:00:00Z")),
            end: Some(t("2026-03-16T15:30:00Z")),
            booked_at: Some(t("2026-03-03T11:40:02.152090Z")),
            ..oliver(
                EventKind::RescheduledAway,
                OLIVER_OLD,
                "2026-03-09T21:14:28Z",
                "invitee.canceled"
            )
        }
    );
}

#[test]
fn calendly_created_half_of_a_reschedule() {
    assert_eq!(
        event(calendly_sample("calendly-invitee-created-rescheduled.json")),
        BookingEvent {
            predecessor: Some(key(OLIVER_OLD)),
            start: Some(t("2026-03-18T11:00:00Z")),
            end: Some(t("2026-03-18T11:30:00Z")),
            booked_at: Some(t("2026-03-09T21:14:26.910288Z")),
            ..oliver(
                EventKind::Rescheduled,
                OLIVER_NEW,
                "2026-03-09T21:14:28Z",
                "invitee.created"
            )
        }
    );
}

#[test]
fn calendly_no_show_created() {
    assert_eq!(
        event(calendly_sample("calendly-no-show-created.json")),
        BookingEvent {
            predecessor: Some(key(OLIVER_OLD)),
            start: Some(t("2026-03-18T11:00:00Z")),
            end: Some(t("2026-03-18T11:30:00Z")),
            booked_at: Some(t("2026-03-09T21:14:26.910288Z")),
            ..oliver(
                EventKind::NoShowMarked,
                OLIVER_NEW,
                "2026-03-18T11:40:12Z",
                "invitee_no_show.created"
            )
        }
    );
}

#[test]
fn calcom_v2_bookings_pages() {
    let page1 = calcom::api::parse_bookings_page(
        &provider_fixture("calcom-v2-bookings-page1.json"),
        Region::GB,
    )
    .unwrap();
    assert!(page1.has_next_page);
    assert_eq!(page1.bookings, 2);
    let [priya, marcus] = page1.events.as_slice() else {
        panic!("two events")
    };
    assert_eq!(
        *priya,
        BookingEvent {
            provider: Provider::Calcom,
            kind: EventKind::Rescheduled,
            key: key(PRIYA_NEW),
            predecessor: Some(key(PRIYA_OLD)),
            successor: None,
            start: Some(t("2026-03-12T10:30:00Z")),
            end: Some(t("2026-03-12T11:00:00Z")),
            attendee: person("Priya Nair", Some("priya.nair@example.com"), None),
            event_type: Some("discovery-call".into()),
            occurred_at: t("2026-03-08T19:02:13.004Z"),
            booked_at: Some(t("2026-03-08T19:02:11.512Z")),
            trigger: "sync:accepted".into(),
            tracking: Default::default(),
        }
    );
    assert_eq!(marcus.kind, EventKind::Requested);
    assert_eq!(
        marcus.occurred_at,
        t("2026-03-07T22:31:53.418Z"),
        "never updated: its creation"
    );
    assert_eq!(
        marcus.attendee.phone,
        Some(Phone::parse("+12025550177", Region::GB).unwrap())
    );

    let page2 = calcom::api::parse_bookings_page(
        &provider_fixture("calcom-v2-bookings-page2.json"),
        Region::GB,
    )
    .unwrap();
    assert!(!page2.has_next_page);
    let [aisha] = page2.events.as_slice() else {
        panic!("one event")
    };
    assert_eq!(aisha.key, key("Ak4eW9sD3fG7hJ2kL5zX8c"));
    assert_eq!(aisha.kind, EventKind::Booked);
    assert_eq!(aisha.attendee, person("Aisha Okafor", None, None));
}

#[test]
fn calendly_scheduled_events_and_invitees() {
    let events =
        calendly::api::parse_events_page(&provider_fixture("calendly-scheduled-events.json"))
            .unwrap();
    assert_eq!(
        events.next_page_token.as_deref(),
        Some("Xk9wP2vR7tQ4sY1uZ8mN3bC6dF0gH5jL")
    );
    assert_eq!(events.events.len(), 2);
    let first = &events.events[0];
    assert_eq!(
        first.uri,
        "https://api.calendly.com/scheduled_events/2b7f9d13-6e58-4a0c-9f21-4c8e1a7b5d96"
    );
    assert_eq!(first.start, Some(t("2026-03-18T11:00:00Z")));
    assert!(!first.canceled);

    let invitees = calendly::api::parse_invitees_page(
        &provider_fixture("calendly-event-invitees.json"),
        first,
        Region::GB,
    )
    .unwrap();
    assert_eq!(invitees.next_page_token, None);
    assert_eq!(invitees.invitees, 1);
    assert_eq!(
        invitees.events,
        [BookingEvent {
            predecessor: Some(key(OLIVER_OLD)),
            start: Some(t("2026-03-18T11:00:00Z")),
            end: Some(t("2026-03-18T11:30:00Z")),
            booked_at: Some(t("2026-03-09T21:14:26.910288Z")),
            ..oliver(
                EventKind::Rescheduled,
                OLIVER_NEW,
                "2026-03-09T21:14:26.931504Z",
                "sync:active"
            )
        }]
    );
}
