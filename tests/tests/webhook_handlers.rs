//! The webhook functions' handlers, driven by the API Gateway events in `events/`, through
//! `lambda_http`'s own request parsing, against a real SQLite store.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use integration_tests::events::{
    DEMO_ACCOUNT, DEMO_CALCOM_SECRET, DEMO_CALENDLY_KEY, SampleEvent, events_dir, render,
    webhook_events,
};
use integration_tests::stores::{Harness, t0};
use serde_json::Value;
use shared::accounts::{Account, NewAccount};
use shared::clock::FixedClock;
use shared::domain::{AccountId, Secret};
use shared::store::prelude::*;
use shared::store::sqlite::SqliteStore;
use shared::webhooks::WebhookService;

fn event(file: &str) -> SampleEvent {
    webhook_events()
        .into_iter()
        .find(|e| e.file == file)
        .expect("known event")
}

fn demo_account() -> Account {
    let (mut account, _) = Account::create(
        NewAccount::new(AccountId::parse(DEMO_ACCOUNT).unwrap()),
        t0(),
    );
    account.calcom.webhook_secret = Secret::new(DEMO_CALCOM_SECRET).into();
    account.calendly.signing_key = Secret::new(DEMO_CALENDLY_KEY).into();
    account
}

async fn demo() -> (Harness<SqliteStore>, Account) {
    let harness = Harness::sqlite().await;
    let account = harness.store.create_account(&demo_account()).await.unwrap();
    (harness, account)
}

fn service<S: Store + ?Sized>(store: Arc<S>, now: DateTime<Utc>) -> WebhookService<S> {
    WebhookService {
        store,
        clock: Arc::new(FixedClock(now)),
        calendly_tolerance: Duration::from_secs(300),
    }
}

/// Sends an API Gateway event to the function its route belongs to.
async fn send<S: Store + ?Sized>(service: &WebhookService<S>, event: &Value) -> (u16, Value) {
    let request =
        lambda_http::request::from_str(&event.to_string()).expect("a valid API Gateway event");
    let route = event["routeKey"].as_str().unwrap_or_default();
    let response = if route.contains("calcom") {
        calcom_webhook::handle(service, request).await
    } else {
        calendly_webhook::handle(service, request).await
    };
    let status = response.status().as_u16();
    let body: Value = serde_json::from_slice(response.body().as_ref()).expect("a JSON body");
    (status, body)
}

async fn deliver<S: Store + ?Sized>(store: &Arc<S>, file: &str) -> (u16, Value) {
    let sample = event(file);
    send(&service(Arc::clone(store), sample.signed_at), &sample.json).await
}

fn code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or_default()
}

#[test]
fn the_event_files_are_current() {
    for sample in integration_tests::events::all_events() {
        let path = events_dir().join(&sample.file);
        let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            on_disk == render(&sample),
            "{} is out of date: run `cargo run -p integration-tests --bin regenerate-events`",
            path.display()
        );
    }
}

#[tokio::test]
async fn calcom_story_created_rescheduled_ended_no_show() {
    let (h, account) = demo().await;
    let (status, body) = deliver(&h.store, "calcom-created.json").await;
    assert_eq!(
        (status, body["outcome"].as_str()),
        (200, Some("created")),
        "{body}"
    );
    let lead = body["leadId"].as_str().unwrap().to_owned();
    for (file, outcome) in [
        ("calcom-rescheduled.json", "created"),
        ("calcom-meeting-ended.json", "updated"),
        ("calcom-no-show.json", "updated"),
    ] {
        let (status, body) = deliver(&h.store, file).await;
        assert_eq!(
            (status, body["outcome"].as_str()),
            (200, Some(outcome)),
            "{file}: {body}"
        );
        assert_eq!(
            body["leadId"].as_str(),
            Some(lead.as_str()),
            "{file}: the chain keeps its lead"
        );
    }
    let store = &*h.store;
    let appointments = store
        .list_appointments(&account.id, None, 10)
        .await
        .unwrap()
        .items;
    let statuses: Vec<_> = appointments
        .iter()
        .map(|a| (a.key().as_str().to_owned(), a.status().as_str()))
        .collect();
    assert!(
        statuses.contains(&("k3Pq8vXw2LmN9aRt5YbZc1".into(), "superseded")),
        "{statuses:?}"
    );
    assert!(
        statuses.contains(&("7hJd2WqR4sTu6VxY8zAb3C".into(), "no_show")),
        "{statuses:?}"
    );
    let deliveries = store
        .recent_deliveries(&account.id, t0() + chrono::Duration::days(20), 10)
        .await
        .unwrap();
    assert_eq!(deliveries.len(), 4);
    assert!(
        deliveries
            .iter()
            .all(|d| d.http_status == 200 && d.error.is_none())
    );
}

#[tokio::test]
async fn every_signed_calcom_sample_is_accepted() {
    let (h, _) = demo().await;
    for (file, outcome) in [
        ("calcom-requested.json", "created"),
        ("calcom-cancelled.json", "created"),
        ("calcom-created-phone-only.json", "created"),
        ("calcom-ping.json", "ping"),
    ] {
        let (status, body) = deliver(&h.store, file).await;
        assert_eq!(
            (status, body["outcome"].as_str()),
            (200, Some(outcome)),
            "{file}: {body}"
        );
    }
    let (_, ping) = deliver(&h.store, "calcom-ping.json").await;
    assert_eq!(ping["appointmentId"], Value::Null);
}

#[tokio::test]
async fn base64_bodies_and_the_compatibility_route_work() {
    let (h, _) = demo().await;
    let (status, first) = deliver(&h.store, "calcom-base64-body.json").await;
    assert_eq!(
        (status, first["outcome"].as_str()),
        (200, Some("created")),
        "{first}"
    );
    let (_, again) = deliver(&h.store, "calcom-compat-route.json").await;
    assert_eq!(
        again["outcome"], "unchanged",
        "the same booking, by the x-account-id route"
    );
    assert_eq!(again["appointmentId"], first["appointmentId"]);
    let (status, body) = deliver(&h.store, "calendly-base64-body.json").await;
    assert_eq!(
        (status, body["outcome"].as_str()),
        (200, Some("created")),
        "{body}"
    );
    let (_, body) = deliver(&h.store, "calendly-compat-route.json").await;
    assert_eq!(body["outcome"], "unchanged");
}

#[tokio::test]
async fn calendly_reschedule_pair_counts_once_in_either_order() {
    for order in [
        [
            "calendly-rescheduled-canceled.json",
            "calendly-rescheduled-created.json",
        ],
        [
            "calendly-rescheduled-created.json",
            "calendly-rescheduled-canceled.json",
        ],
    ] {
        let (h, account) = demo().await;
        for file in order {
            let (status, body) = deliver(&h.store, file).await;
            assert_eq!(status, 200, "{file}: {body}");
        }
        let (status, _) = deliver(&h.store, "calendly-no-show.json").await;
        assert_eq!(status, 200);
        let from = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        let to = chrono::NaiveDate::from_ymd_opt(2026, 12, 31).unwrap();
        let days = h.store.day_counts(&account.id, from, to).await.unwrap();
        let booked: i64 = days.iter().map(|(_, c)| c.booked).sum();
        let cancelled: i64 = days.iter().map(|(_, c)| c.cancelled).sum();
        let no_shows: i64 = days.iter().map(|(_, c)| c.no_shows).sum();
        assert_eq!((booked, cancelled, no_shows), (1, 0, 1), "{order:?}");
    }
}

#[tokio::test]
async fn a_calendly_host_cancel_after_create_is_a_cancellation() {
    let (h, _) = demo().await;
    let (_, created) = deliver(&h.store, "calendly-created.json").await;
    let (status, cancelled) = deliver(&h.store, "calendly-canceled.json").await;
    assert_eq!(
        (status, cancelled["outcome"].as_str()),
        (200, Some("updated"))
    );
    assert_eq!(cancelled["appointmentId"], created["appointmentId"]);
}

#[tokio::test]
async fn bad_signatures_are_rejected_and_nothing_is_stored() {
    let (h, account) = demo().await;
    for file in ["calcom-bad-signature.json", "calendly-bad-signature.json"] {
        let (status, body) = deliver(&h.store, file).await;
        assert_eq!(
            (status, code(&body)),
            (401, "invalid_signature"),
            "{file}: {body}"
        );
    }
    let mut unsigned = event("calcom-created.json").json;
    unsigned["headers"]
        .as_object_mut()
        .unwrap()
        .remove("x-cal-signature-256");
    let (status, body) = send(&service(Arc::clone(&h.store), t0()), &unsigned).await;
    assert_eq!((status, code(&body)), (401, "missing_signature"));

    let stale = event("calendly-created.json");
    let late = service(
        Arc::clone(&h.store),
        stale.signed_at + chrono::Duration::seconds(301),
    );
    let (status, body) = send(&late, &stale.json).await;
    assert_eq!((status, code(&body)), (401, "stale_signature"), "{body}");

    assert!(
        h.store
            .list_appointments(&account.id, None, 10)
            .await
            .unwrap()
            .items
            .is_empty()
    );
    let log = h
        .store
        .recent_deliveries(&account.id, t0() + chrono::Duration::days(20), 10)
        .await
        .unwrap();
    let codes: Vec<_> = log.iter().filter_map(|d| d.error.clone()).collect();
    assert_eq!(
        codes.len(),
        4,
        "every rejected request for a known account is logged: {codes:?}"
    );
}

#[tokio::test]
async fn unknown_accounts_are_404_and_missing_ones_400() {
    let (h, _) = demo().await;
    let mut other = event("calcom-created.json").json;
    other["pathParameters"]["accountId"] = "nobody".into();
    let (status, body) = send(&service(Arc::clone(&h.store), t0()), &other).await;
    assert_eq!((status, code(&body)), (404, "unknown_account"));
    let mut no_header = event("calcom-compat-route.json").json;
    no_header["headers"]
        .as_object_mut()
        .unwrap()
        .remove("x-account-id");
    let (status, body) = send(&service(Arc::clone(&h.store), t0()), &no_header).await;
    assert_eq!((status, code(&body)), (400, "missing_account"));
}

/// Re-signs an event's body after changing it.
fn with_body(file: &str, body: &[u8]) -> Value {
    let mut json = event(file).json;
    json["body"] = String::from_utf8_lossy(body).into_owned().into();
    let signature = shared::providers::calcom::sign(&Secret::new(DEMO_CALCOM_SECRET), body);
    json["headers"]["x-cal-signature-256"] = signature.into();
    json
}

#[tokio::test]
async fn oversized_and_malformed_bodies_are_rejected_with_their_codes() {
    let (h, account) = demo().await;
    let svc = service(Arc::clone(&h.store), t0());
    let huge = format!(
        "{{\"triggerEvent\":\"PING\",\"pad\":\"{}\"}}",
        "x".repeat(1024 * 1024)
    );
    let (status, body) = send(&svc, &with_body("calcom-created.json", huge.as_bytes())).await;
    assert_eq!((status, code(&body)), (413, "payload_too_large"));

    let (status, body) = send(&svc, &with_body("calcom-created.json", b"{not json")).await;
    assert_eq!((status, code(&body)), (400, "invalid_json"));

    let no_uid = br#"{"triggerEvent":"BOOKING_CREATED","createdAt":"2026-03-02T09:15:42.318Z","payload":{"startTime":"2026-03-10T14:00:00Z"}}"#;
    let (status, body) = send(&svc, &with_body("calcom-created.json", no_uid)).await;
    assert_eq!((status, code(&body)), (400, "invalid_payload"));
    assert_eq!(body["error"]["message"], "payload.uid: is required");

    let untracked = br#"{"triggerEvent":"RECORDING_READY","createdAt":"2026-03-02T09:15:42.318Z","payload":{}}"#;
    let (status, body) = send(&svc, &with_body("calcom-created.json", untracked)).await;
    assert_eq!((status, body["outcome"].as_str()), (200, Some("ignored")));

    assert!(
        h.store
            .list_appointments(&account.id, None, 10)
            .await
            .unwrap()
            .items
            .is_empty()
    );
}

#[tokio::test]
async fn ten_duplicate_deliveries_make_one_appointment() {
    let (h, account) = demo().await;
    let mut outcomes = Vec::new();
    for _ in 0..10 {
        let (_, body) = deliver(&h.store, "calcom-created.json").await;
        outcomes.push(body["outcome"].as_str().unwrap().to_owned());
    }
    assert_eq!(outcomes[0], "created");
    assert!(outcomes[1..].iter().all(|o| o == "unchanged"));
    assert_eq!(
        h.store
            .list_appointments(&account.id, None, 10)
            .await
            .unwrap()
            .items
            .len(),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_identical_deliveries_make_one_appointment() {
    let (h, account) = demo().await;
    let sample = event("calendly-created.json");
    let svc = Arc::new(service(Arc::clone(&h.store), sample.signed_at));
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let (svc, json) = (Arc::clone(&svc), sample.json.clone());
        tasks.push(tokio::spawn(async move { send(&*svc, &json).await }));
    }
    let mut created = 0;
    for task in tasks {
        let (status, body) = task.await.unwrap();
        assert_eq!(status, 200, "{body}");
        created += usize::from(body["outcome"] == "created");
    }
    assert_eq!(created, 1);
    assert_eq!(
        h.store
            .list_appointments(&account.id, None, 10)
            .await
            .unwrap()
            .items
            .len(),
        1
    );
    assert_eq!(
        h.store
            .list_leads(&account.id, None, 10)
            .await
            .unwrap()
            .items
            .len(),
        1
    );
}

#[tokio::test]
async fn an_unreachable_store_answers_503() {
    use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
    // Nothing listens on port 9 (discard) of loopback here.
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .endpoint_url("http://127.0.0.1:9")
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "static"))
        .build();
    let store = Arc::new(shared::store::dynamo::DynamoStore::new(
        aws_sdk_dynamodb::Client::from_conf(config),
        "down",
    ));
    let sample = event("calcom-created.json");
    let (status, body) = send(&service(store, sample.signed_at), &sample.json).await;
    assert_eq!(
        (status, code(&body)),
        (503, "storage_unavailable"),
        "{body}"
    );
    assert_eq!(
        body["error"]["message"],
        "storage is unavailable; retry later"
    );
}

#[tokio::test]
async fn a_store_that_fails_on_write_answers_503_and_writes_nothing() {
    let (h, account) = demo().await;
    let path = h.dump_path().expect("a SQLite file");
    // Another process holds the write lock for longer than the store's busy timeout.
    let blocker = rusqlite::Connection::open(&path).unwrap();
    blocker.execute_batch("BEGIN EXCLUSIVE").unwrap();
    let (status, body) = deliver(&h.store, "calcom-created.json").await;
    assert_eq!(
        (status, code(&body)),
        (503, "storage_unavailable"),
        "{body}"
    );
    blocker.execute_batch("ROLLBACK").unwrap();
    assert!(
        h.store
            .list_appointments(&account.id, None, 10)
            .await
            .unwrap()
            .items
            .is_empty()
    );
    assert!(
        h.store
            .list_leads(&account.id, None, 10)
            .await
            .unwrap()
            .items
            .is_empty()
    );
    let (status, body) = deliver(&h.store, "calcom-created.json").await;
    assert_eq!(
        (status, body["outcome"].as_str()),
        (200, Some("created")),
        "a retry succeeds"
    );
}
