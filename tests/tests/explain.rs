//! "Why didn't this booking count?" (SPEC §8): `explain` on both stores for a booking matched by
//! phone, one auto-created, a reschedule chain, one counted outside the range asked about, an
//! email with nothing behind it, rejected deliveries (through the real webhook service), a lead
//! without a booking, a Calendly invitee UUID, and another account's booking; then `GET /explain`
//! through the metrics function: its auth, its errors and its answer.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use http::HeaderMap;
use integration_tests::histories::scripted_event;
use integration_tests::provider_fixture;
use integration_tests::stores::{Harness, account};
use serde_json::{Value, json};
use shared::accounts::Account;
use shared::clock::FixedClock;
use shared::domain::{
    Attendee, BookingEvent, BookingKey, Email, EventKind, LeadId, Phone, Provider, Region, Secret,
};
use shared::explain::{ExplainQuery, Explanation, explain, story};
use shared::ingest::apply_event;
use shared::leads::{Lead, LeadSource};
use shared::metrics::{MetricsService, RangeQuery};
use shared::store::Store;
use shared::webhooks::{WebhookRequest, WebhookService};

/// "Now": Sunday 29 November 2026, noon in London.
fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 29, 12, 0, 0).unwrap()
}

fn days_ago(days: i64) -> DateTime<Utc> {
    now() - Duration::days(days)
}

fn booked(key: &str, at: DateTime<Utc>, attendee: Attendee) -> BookingEvent {
    BookingEvent {
        attendee,
        ..scripted_event(Provider::Calcom, key, EventKind::Booked, at)
    }
}

fn by_phone(raw: &str) -> Attendee {
    Attendee {
        name: Some("Ann Phone".into()),
        email: None,
        phone: Some(Phone::parse(raw, Region::GB).unwrap()),
    }
}

fn by_email(raw: &str) -> Attendee {
    Attendee {
        name: Some("Eve Email".into()),
        email: Some(Email::parse(raw).unwrap()),
        phone: None,
    }
}

async fn apply(store: &(impl Store + ?Sized), account: &Account, event: BookingEvent) {
    apply_event(store, account, &event, None, event.occurred_at)
        .await
        .unwrap();
}

async fn ask(
    store: &(impl Store + ?Sized),
    account: &Account,
    question: ExplainQuery,
    range: Option<&str>,
) -> Value {
    let range = range.map(|r| RangeQuery::parse(Some(r), None, None).unwrap());
    let answer: Explanation = explain(store, account, &question, range, now())
        .await
        .unwrap();
    assert!(!story(&answer).is_empty());
    serde_json::to_value(&answer).unwrap()
}

fn email(raw: &str) -> ExplainQuery {
    ExplainQuery::Email(Email::parse(raw).unwrap())
}

fn booking(uid: &str) -> ExplainQuery {
    ExplainQuery::Booking(uid.into())
}

fn codes(answer: &Value) -> Vec<&str> {
    answer["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["code"].as_str().unwrap())
        .collect()
}

async fn found_bookings_are_explained<S: Store + 'static>(h: Harness<S>) {
    let store = &*h.store;
    let (acme, _) = account(store, "acme").await;

    // Matched by phone: an imported lead owns the number.
    let lead = Lead {
        phone: Some(Phone::parse("07742201349", Region::GB).unwrap()),
        ..Lead::new(LeadId::generate(), LeadSource::Import, days_ago(60))
    };
    store
        .create_leads(&acme.id, std::slice::from_ref(&lead))
        .await
        .unwrap();
    apply(
        store,
        &acme,
        booked("by-phone", days_ago(2), by_phone("+447742201349")),
    )
    .await;
    let answer = ask(
        store,
        &acme,
        ExplainQuery::Phone(Phone::parse("07742201349", Region::GB).unwrap()),
        None,
    )
    .await;
    assert_eq!(answer["found"], true);
    let apt = &answer["appointments"][0];
    assert_eq!(apt["bookingKey"], "by-phone");
    assert_eq!(apt["status"], "booked");
    assert_eq!(apt["lead"]["leadId"], lead.id.as_str());
    assert_eq!(apt["lead"]["matchedBy"], "phone");
    assert_eq!(apt["counts"], json!(["appointmentsBooked", "leadsBooked"]));
    assert_eq!(apt["countedOn"], "2026-11-27");
    assert_eq!(
        apt["inRanges"],
        json!({"7d": true, "30d": true, "90d": true})
    );
    assert_eq!(apt["history"][0]["source"], "webhook");
    assert_eq!(apt["history"][0]["outcome"], "created");
    assert_eq!(
        codes(&answer),
        Vec::<&str>::new(),
        "it shows in every range"
    );

    // Auto-created: nobody had the email.
    apply(
        store,
        &acme,
        booked("new-face", days_ago(1), by_email("eve@example.com")),
    )
    .await;
    let answer = ask(store, &acme, email("eve@example.com"), None).await;
    let apt = &answer["appointments"][0];
    assert_eq!(apt["lead"]["matchedBy"], "created");
    assert!(apt["lead"]["leadId"].as_str().unwrap().starts_with("ld_"));

    // A reschedule chain, asked about by its first booking: both, the first counting nowhere.
    apply(
        store,
        &acme,
        booked("chain-1", days_ago(20), by_email("rita@example.com")),
    )
    .await;
    let second = BookingEvent {
        predecessor: Some(BookingKey::parse("chain-1").unwrap()),
        attendee: by_email("rita@example.com"),
        ..scripted_event(
            Provider::Calcom,
            "chain-2",
            EventKind::Rescheduled,
            days_ago(3),
        )
    };
    apply(store, &acme, second).await;
    let answer = ask(store, &acme, booking("chain-1"), Some("7d")).await;
    let chain: Vec<(&str, &str)> = answer["appointments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["bookingKey"].as_str().unwrap(),
                a["status"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        chain,
        [("chain-1", "superseded"), ("chain-2", "rescheduled")]
    );
    let (first, last) = (&answer["appointments"][0], &answer["appointments"][1]);
    assert_eq!(first["counts"], json!([]));
    assert_eq!(first["rescheduledTo"], last["appointmentId"]);
    assert_eq!(last["rescheduledFrom"], first["appointmentId"]);
    assert_eq!(
        last["counts"],
        json!([
            "appointmentsBooked",
            "appointmentsRescheduled",
            "leadsBooked"
        ])
    );
    assert_eq!(
        last["countedOn"], "2026-11-09",
        "a chain counts on its first booking's day"
    );
    assert_eq!(last["inRange"], false);
    assert_eq!(last["lead"]["matchedBy"], "inherited");
    assert_eq!(codes(&answer), ["outside_range"]);
    assert_eq!(answer["range"]["label"], "7d");

    // Booked 40 days ago for a call next week: inside 90d only, and outside the 30d asked about.
    apply(
        store,
        &acme,
        booked("long-ago", days_ago(40), by_email("old@example.com")),
    )
    .await;
    let answer = ask(store, &acme, booking("long-ago"), Some("30d")).await;
    let apt = &answer["appointments"][0];
    assert_eq!(apt["countedOn"], "2026-10-20");
    assert_eq!(
        apt["inRanges"],
        json!({"7d": false, "30d": false, "90d": true})
    );
    assert_eq!(apt["inRange"], false);
    assert_eq!(codes(&answer), ["outside_range"]);
    let detail = answer["reasons"][0]["detail"].as_str().unwrap();
    assert!(
        detail.contains("2026-10-20") && detail.contains("30d"),
        "{detail}"
    );
    // Without a range, against the dashboard's default 7d, naming the range that shows it.
    let answer = ask(store, &acme, booking("long-ago"), None).await;
    let detail = answer["reasons"][0]["detail"].as_str().unwrap();
    assert!(detail.contains("range=90d"), "{detail}");

    // A cancelled booking says it is counted as cancelled.
    apply(
        store,
        &acme,
        booked("called-off", days_ago(1), by_email("cal@example.com")),
    )
    .await;
    let cancel = scripted_event(
        Provider::Calcom,
        "called-off",
        EventKind::Cancelled,
        days_ago(0),
    );
    apply(store, &acme, cancel).await;
    let answer = ask(store, &acme, booking("called-off"), None).await;
    assert_eq!(
        answer["appointments"][0]["counts"],
        json!(["appointmentsCancelled"])
    );
    assert_eq!(codes(&answer), ["called_off"]);
}

async fn nothing_found_ranks_the_accounts_own_evidence<S: Store + 'static>(h: Harness<S>) {
    let store: Arc<S> = Arc::clone(&h.store);
    let (acme, secrets) = account(&*store, "acme").await;
    let (globex, _) = account(&*store, "globex").await;

    // No booking, no delivery, no credentials.
    let answer = ask(&*store, &acme, email("ghost@example.com"), None).await;
    assert_eq!(answer["found"], false);
    assert_eq!(answer["appointments"], json!([]));
    assert_eq!(
        codes(&answer),
        ["no_deliveries", "sync_not_configured", "other_account"]
    );

    // Another account's booking is never looked at from this one.
    apply(
        &*store,
        &globex,
        booked("globex-only", days_ago(1), by_email("ghost@example.com")),
    )
    .await;
    let answer = ask(&*store, &acme, email("ghost@example.com"), None).await;
    assert_eq!(answer["found"], false);
    let answer = ask(&*store, &acme, booking("globex-only"), None).await;
    assert_eq!(answer["found"], false);
    let answer = ask(&*store, &globex, booking("globex-only"), None).await;
    assert_eq!(answer["found"], true);

    // A lead with the email but no booking.
    let lead = Lead {
        email: Some(Email::parse("imported@example.com").unwrap()),
        ..Lead::new(LeadId::generate(), LeadSource::Import, days_ago(10))
    };
    store
        .create_leads(&acme.id, std::slice::from_ref(&lead))
        .await
        .unwrap();
    let answer = ask(&*store, &acme, email("imported@example.com"), None).await;
    assert!(codes(&answer).contains(&"lead_without_booking"));

    // Deliveries rejected by the real webhook service: three signed with another secret, one
    // signed right but not a booking; then one good one.
    let webhooks = WebhookService {
        store: Arc::clone(&store),
        clock: Arc::new(FixedClock(days_ago(1))),
        calendly_tolerance: std::time::Duration::from_secs(300),
    };
    let body = provider_fixture("calcom-booking-created.json");
    let post = |secret: Secret, body: Vec<u8>| {
        let webhooks = &webhooks;
        async move {
            let mut headers = HeaderMap::new();
            let signature = shared::providers::calcom::sign(&secret, &body);
            headers.insert("x-cal-signature-256", signature.parse().unwrap());
            let response = webhooks
                .receive(WebhookRequest {
                    provider: Provider::Calcom,
                    path_account: Some("acme"),
                    headers: &headers,
                    body: &body,
                })
                .await;
            response.status().as_u16()
        }
    };
    for _ in 0..3 {
        assert_eq!(
            post(Secret::new("calsec_someone_elses"), body.clone()).await,
            401
        );
    }
    let own = secrets.calcom_webhook_secret.clone();
    assert_eq!(
        post(own.clone(), b"{\"triggerEvent\":1}".to_vec()).await,
        400
    );
    let answer = ask(&*store, &acme, email("ghost@example.com"), None).await;
    assert_eq!(codes(&answer)[0], "rejected_deliveries");
    let detail = answer["reasons"][0]["detail"].as_str().unwrap();
    assert!(detail.contains("4 deliveries rejected"), "{detail}");
    assert!(detail.contains("Cal.com invalid_signature x3"), "{detail}");
    assert!(detail.contains("Cal.com invalid_payload x1"), "{detail}");
    assert!(detail.contains("--replace"), "{detail}");
    assert!(!codes(&answer).contains(&"no_deliveries"));

    // Once a delivery is accepted, the webhook works: other details become likely.
    assert_eq!(post(own, body).await, 200);
    let answer = ask(&*store, &acme, email("ghost@example.com"), None).await;
    assert!(codes(&answer).contains(&"other_details"), "{answer}");
}

async fn calendly_bookings_are_found_by_their_uuids<S: Store + 'static>(h: Harness<S>) {
    let store = &*h.store;
    let (acme, _) = account(store, "acme").await;
    let uri = "https://api.calendly.com/scheduled_events/EVT-1/invitees/INV-1";
    let event = BookingEvent {
        attendee: by_email("cora@example.com"),
        ..scripted_event(Provider::Calendly, uri, EventKind::Booked, days_ago(1))
    };
    apply(store, &acme, event).await;
    for uid in [uri, "INV-1", "EVT-1"] {
        let answer = ask(store, &acme, booking(uid), None).await;
        assert_eq!(answer["appointments"][0]["bookingKey"], uri, "{uid}");
        assert_eq!(answer["appointments"][0]["provider"], "calendly");
    }
    assert_eq!(
        ask(store, &acme, booking("EVT-2"), None).await["found"],
        false
    );
}

integration_tests::conformance!(
    found_bookings_are_explained,
    nothing_found_ranks_the_accounts_own_evidence,
    calendly_bookings_are_found_by_their_uuids,
);

// GET /explain, through the metrics function.

async fn get(
    service: &MetricsService<dyn Store>,
    query: &[(&str, &str)],
    key: Option<&str>,
) -> (u16, Value) {
    let bearer = key.map(|key| format!("Bearer {key}"));
    let headers: Vec<(&str, &str)> = bearer
        .iter()
        .map(|b| ("authorization", b.as_str()))
        .collect();
    let request = integration_tests::gateway::request("GET", "/explain", query, &headers);
    let response = metrics::handle(service, request).await;
    let status = response.status().as_u16();
    (
        status,
        serde_json::from_slice(response.body().as_ref()).unwrap(),
    )
}

#[tokio::test]
async fn get_explain_needs_the_accounts_key_and_one_question() {
    let harness = Harness::sqlite().await;
    let store: Arc<dyn Store> = harness.store.clone();
    let (acme, secrets) = account(&*store, "acme").await;
    let (_, other) = account(&*store, "globex").await;
    apply(
        &*store,
        &acme,
        booked("k3Pq", days_ago(2), by_email("ann@example.com")),
    )
    .await;
    let service = MetricsService {
        store,
        clock: Arc::new(FixedClock(now())),
    };
    let key = secrets.api_key.expose();
    let code = |body: &Value| {
        body["error"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };

    let (status, body) = get(&service, &[("booking", "k3Pq")], None).await;
    assert_eq!((status, code(&body).as_str()), (401, "missing_api_key"));
    let (status, body) = get(&service, &[("booking", "k3Pq")], Some("btk_nope")).await;
    assert_eq!((status, code(&body).as_str()), (401, "invalid_api_key"));
    let asked_other = [("booking", "k3Pq"), ("account_id", "globex")];
    let (status, body) = get(&service, &asked_other, Some(key)).await;
    assert_eq!((status, code(&body).as_str()), (403, "forbidden"));
    // Another account's key sees nothing of acme's.
    let (status, body) = get(
        &service,
        &[("booking", "k3Pq")],
        Some(other.api_key.expose()),
    )
    .await;
    assert_eq!((status, &body["found"]), (200, &json!(false)));

    for bad in [
        vec![],
        vec![("booking", "k3Pq"), ("email", "ann@example.com")],
        vec![("email", "not-an-email")],
        vec![("phone", "12")],
        vec![("appointment", "apt_short")],
    ] {
        let (status, body) = get(&service, &bad, Some(key)).await;
        assert_eq!(
            (status, code(&body).as_str()),
            (400, "invalid_query"),
            "{bad:?}"
        );
    }
    let (status, body) = get(&service, &[("booking", "k3Pq"), ("range", "1y")], Some(key)).await;
    assert_eq!((status, code(&body).as_str()), (400, "invalid_range"));

    let (status, body) = get(
        &service,
        &[("booking", "k3Pq"), ("range", "30d")],
        Some(key),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["found"], true);
    assert_eq!(body["accountId"], "acme");
    let apt = &body["appointments"][0];
    for field in [
        "appointmentId",
        "provider",
        "bookingKey",
        "status",
        "scheduledAt",
        "bookedAt",
        "countedOn",
        "counts",
        "lead",
        "history",
    ] {
        assert!(apt.get(field).is_some(), "{field} missing from {apt}");
    }
    assert_eq!(apt["inRange"], true);
    assert_eq!(body["reasons"], json!([]));
    let (status, body) = get(&service, &[("email", "ann@example.com")], Some(key)).await;
    assert_eq!(
        (status, &body["appointments"][0]["bookingKey"]),
        (200, &json!("k3Pq"))
    );
}
