//! Metrics by campaign and source (SPEC §7), on both stores: `GET /metrics?by=campaign|source`
//! over a scripted history gives exactly the expected breakdown, most booked first, adding up to
//! the top-level KPIs; a booking without tracking is credited to its lead's campaign; a
//! reschedule stays with its chain's first campaign; an unknown breakdown is refused.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use http::{HeaderMap, HeaderValue, Method};
use integration_tests::histories::scripted_event;
use integration_tests::links::import_lead;
use integration_tests::stores::{Harness, account};
use serde_json::{Value, json};
use shared::accounts::COUNTERS_LAYOUT;
use shared::booking::Appointment;
use shared::clock::FixedClock;
use shared::domain::{
    AppointmentId, Attribution, BookingEvent, BookingKey, Email, EventKind, Provider,
};
use shared::ingest::{all_days, apply_event, rebuild_outdated_counters};
use shared::metrics::{MetricsRequest, MetricsService};
use shared::store::Store;

fn at(day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, day, 10, 0, 0).unwrap()
}

/// A Cal.com booking event on `day` of March 2026.
fn ev(key: &str, kind: EventKind, day: u32) -> BookingEvent {
    scripted_event(Provider::Calcom, key, kind, at(day))
}

/// A booking by `email` through a link carrying `campaign` and `source`.
fn booked(key: &str, kind: EventKind, day: u32, email: &str, link: (&str, &str)) -> BookingEvent {
    let mut event = ev(key, kind, day);
    event.attendee.email = Some(Email::parse(email).unwrap());
    event.tracking.attribution = Attribution::new(Some(link.0), Some(link.1));
    event
}

const NO_LINK: (&str, &str) = ("", "");

/// Every case a campaign's KPIs distinguish; "now" is 20 March.
fn history() -> Vec<BookingEvent> {
    use EventKind::*;
    let spring = ("spring", "linkedin");
    let autumn = ("autumn", "email");
    let mut moved = booked("s4b", Rescheduled, 15, "s4@example.com", autumn);
    moved.predecessor = Some(BookingKey::parse("s4").unwrap());
    vec![
        // spring: met, a no-show, cancelled, and one rescheduled (still credited to spring).
        booked("s1", Booked, 10, "s1@example.com", spring),
        ev("s1", Completed, 12),
        booked("s2", Booked, 11, "s2@example.com", spring),
        ev("s2", NoShowMarked, 13),
        booked("s3", Booked, 12, "s3@example.com", spring),
        ev("s3", Cancelled, 13),
        booked("s4", Booked, 14, "s4@example.com", spring),
        moved,
        // autumn: live, cancelled, and one booked without tracking by a lead of autumn's.
        booked("a1", Booked, 15, "a1@example.com", autumn),
        booked("a2", Booked, 16, "a2@example.com", autumn),
        ev("a2", Cancelled, 17),
        booked("n1", Booked, 16, "autumn.lead@example.com", NO_LINK),
        // none: pending, and booked by someone who left no contact details (unmatched).
        booked("n2", Requested, 18, "n2@example.com", NO_LINK),
        ev("n3", Booked, 14),
    ]
}

/// The KPI object, in the response's field order.
#[allow(clippy::too_many_arguments)]
fn kpis(
    booked: i64,
    cancelled: i64,
    rescheduled: i64,
    no_shows: i64,
    completed: i64,
    pending: i64,
    show_rate: Value,
    leads: i64,
    unmatched: i64,
) -> Value {
    json!({
        "appointmentsBooked": booked, "appointmentsCancelled": cancelled,
        "appointmentsRescheduled": rescheduled, "noShows": no_shows, "completed": completed,
        "pending": pending, "showRate": show_rate, "leadsBooked": leads,
        "unmatchedBookings": unmatched
    })
}

const COUNTS: [&str; 8] = [
    "appointmentsBooked",
    "appointmentsCancelled",
    "appointmentsRescheduled",
    "noShows",
    "completed",
    "pending",
    "leadsBooked",
    "unmatchedBookings",
];

async fn get<S: Store + ?Sized>(
    service: &MetricsService<S>,
    key: &str,
    query: &[(&str, &str)],
) -> (u16, Value) {
    let mut headers = HeaderMap::new();
    let bearer = HeaderValue::from_str(&format!("Bearer {key}")).unwrap();
    headers.insert(http::header::AUTHORIZATION, bearer);
    let query: BTreeMap<String, String> = query
        .iter()
        .map(|(k, v)| ((*k).into(), (*v).into()))
        .collect();
    let response = service
        .handle(MetricsRequest {
            method: &Method::GET,
            headers: &headers,
            query: &query,
        })
        .await;
    (
        response.status().as_u16(),
        serde_json::from_str(response.body()).unwrap(),
    )
}

async fn appointment(
    store: &impl Store,
    account: &shared::accounts::Account,
    key: &str,
) -> Appointment {
    let id = AppointmentId::for_booking(Provider::Calcom, &BookingKey::parse(key).unwrap());
    store
        .get_appointment(&account.id, &id)
        .await
        .unwrap()
        .unwrap()
}

async fn metrics_by_campaign_and_source<S: Store + 'static>(h: Harness<S>) {
    let store = &*h.store;
    let (account, secrets) = account(store, "acme").await;
    let autumn_lead = import_lead(
        store,
        &account,
        "+447742201005",
        "autumn.lead@example.com",
        Some("autumn"),
    )
    .await;
    for event in history() {
        apply_event(store, &account, &event, None, event.occurred_at)
            .await
            .unwrap();
    }
    let n1 = appointment(store, &account, "n1").await;
    assert_eq!(n1.lead_id(), Some(&autumn_lead));
    assert_eq!(
        n1.attribution(),
        &Attribution::new(Some("autumn"), None),
        "the lead's campaign"
    );
    let moved = appointment(store, &account, "s4b").await;
    assert_eq!(
        moved.attribution(),
        &Attribution::new(Some("spring"), Some("linkedin")),
        "the chain's first"
    );

    let service = MetricsService {
        store: Arc::clone(&h.store),
        clock: Arc::new(FixedClock(at(20) + Duration::hours(2))),
    };
    let key = secrets.api_key.expose();
    let spring = kpis(3, 1, 1, 1, 1, 0, json!(0.5), 3, 0);
    let expected = [
        (
            "campaign",
            json!([
                {"key": "spring", "kpis": spring},
                {"key": "autumn", "kpis": kpis(2, 1, 0, 0, 0, 0, Value::Null, 2, 0)},
                {"key": null, "kpis": kpis(1, 0, 0, 0, 0, 1, Value::Null, 0, 1)},
            ]),
        ),
        (
            "source",
            json!([
                {"key": "linkedin", "kpis": spring},
                {"key": null, "kpis": kpis(2, 0, 0, 0, 0, 1, Value::Null, 1, 1)},
                {"key": "email", "kpis": kpis(1, 1, 0, 0, 0, 0, Value::Null, 1, 0)},
            ]),
        ),
    ];
    for (by, breakdown) in expected {
        let (status, body) = get(&service, key, &[("range", "30d"), ("by", by)]).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(
            body["kpis"],
            kpis(6, 2, 1, 1, 1, 1, json!(0.5), 5, 1),
            "by={by}"
        );
        assert_eq!(body["breakdown"], breakdown, "by={by}");
        for count in COUNTS {
            let summed: i64 = breakdown
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["kpis"][count].as_i64().unwrap())
                .sum();
            assert_eq!(
                Some(summed),
                body["kpis"][count].as_i64(),
                "by={by}: {count} adds up"
            );
        }
    }

    let (status, body) = get(&service, key, &[("range", "30d")]).await;
    assert_eq!(
        (status, body.get("breakdown")),
        (200, None),
        "no breakdown unless asked"
    );
    let (status, body) = get(&service, key, &[("range", "30d"), ("by", "nonsense")]).await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (400, &json!("invalid_breakdown")),
        "{body}"
    );
}

/// An account whose counters were kept before segments existed (counters layout 1, no segment
/// counters stored) gets them from `init`'s rebuild, once; its plain KPIs do not move.
async fn init_rebuilds_counters_kept_before_segments<S: Store + 'static>(h: Harness<S>) {
    let store = &*h.store;
    let (account, secrets) = account(store, "acme").await;
    for event in history() {
        apply_event(store, &account, &event, None, event.occurred_at)
            .await
            .unwrap();
    }
    let service = MetricsService {
        store: Arc::clone(&h.store),
        clock: Arc::new(FixedClock(at(20) + Duration::hours(2))),
    };
    let key = secrets.api_key.expose();
    let query = [("range", "30d"), ("by", "campaign")];
    let (_, before) = get(&service, key, &query).await;

    // What an older build left: the days' own counts only, and an account that says so.
    let (from, to) = all_days();
    let old: Vec<_> = store
        .day_counts(&account.id, from, to)
        .await
        .unwrap()
        .into_iter()
        .map(|(day, counts)| (day, counts.overall()))
        .collect();
    store.replace_counters(&account.id, &old).await.unwrap();
    let mut outdated = store.get_account(&account.id).await.unwrap().unwrap();
    outdated.counters_layout = 1;
    store.update_account(&outdated).await.unwrap();
    let (_, stale) = get(&service, key, &query).await;
    assert_eq!(stale["kpis"], before["kpis"]);
    assert_eq!(stale["breakdown"], json!([]), "no segments stored yet");

    assert_eq!(rebuild_outdated_counters(store, at(21)).await.unwrap(), 1);
    let (_, rebuilt) = get(&service, key, &query).await;
    assert_eq!(rebuilt, before, "the breakdown is back, the KPIs unchanged");
    let marked = store.get_account(&account.id).await.unwrap().unwrap();
    assert_eq!(marked.counters_layout, COUNTERS_LAYOUT);
    assert_eq!(
        rebuild_outdated_counters(store, at(21)).await.unwrap(),
        0,
        "once"
    );
}

integration_tests::conformance!(
    metrics_by_campaign_and_source,
    init_rebuilds_counters_kept_before_segments
);
