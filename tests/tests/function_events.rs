//! The metrics and sync functions driven by their sample events in `events/`, as Lambda would
//! deliver them.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use chrono::{TimeZone, Utc};
use integration_tests::events::{DEMO_ACCOUNT, DEMO_API_KEY, SampleEvent, function_events};
use integration_tests::fakes::{CalcomBooking, calcom_page};
use integration_tests::stores::Harness;
use lambda_http::lambda_runtime::{Context, LambdaEvent};
use serde_json::Value;
use shared::accounts::{Account, ApiKeyHash, NewAccount};
use shared::clock::FixedClock;
use shared::domain::{AccountId, Secret};
use shared::metrics::MetricsService;
use shared::outbound::{ProviderHttp, RetryPolicy};
use shared::sheets::SheetsClient;
use shared::store::prelude::*;
use shared::store::sqlite::SqliteStore;
use shared::sync::{SyncQueue, SyncService};
use sync::SyncFunction;
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn event(file: &str) -> SampleEvent {
    function_events()
        .into_iter()
        .find(|e| e.file == file)
        .expect("known event")
}

/// The demo account, holding the sample API key and a Cal.com API key.
async fn demo(h: &Harness<SqliteStore>) -> Account {
    let at = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let (mut account, _) =
        Account::create(NewAccount::new(AccountId::parse(DEMO_ACCOUNT).unwrap()), at);
    account.api_key_hash = ApiKeyHash::of(DEMO_API_KEY);
    account.cors_origins = vec!["https://dash.example.com".into()];
    account.calcom.api_key = Some(Secret::new("cal_live_demo").into());
    h.store.create_account(&account).await.unwrap()
}

fn request(sample: &SampleEvent) -> lambda_http::Request {
    lambda_http::request::from_str(&sample.json.to_string()).expect("a valid API Gateway event")
}

#[tokio::test]
async fn metrics_events_answer_as_documented() {
    let h = Harness::sqlite().await;
    demo(&h).await;
    let store: Arc<dyn Store> = h.store.clone();
    let service = MetricsService {
        store,
        clock: Arc::new(FixedClock(event("metrics-get.json").signed_at)),
    };

    let response = metrics::handle(&service, request(&event("metrics-get.json"))).await;
    assert_eq!(response.status(), 200);
    let body: Value = serde_json::from_slice(response.body().as_ref()).unwrap();
    assert_eq!(
        (body["accountId"].as_str(), body["range"]["label"].as_str()),
        (Some("demo"), Some("30d"))
    );

    let response = metrics::handle(&service, request(&event("metrics-compat-route.json"))).await;
    assert_eq!(response.status(), 200);

    // Nothing delivered yet: explain says so, from the account's own evidence.
    let response = metrics::handle(&service, request(&event("metrics-explain.json"))).await;
    assert_eq!(response.status(), 200);
    let body: Value = serde_json::from_slice(response.body().as_ref()).unwrap();
    assert_eq!(
        (&body["found"], &body["reasons"][0]["code"]),
        (&Value::Bool(false), &Value::from("no_deliveries"))
    );

    let response = metrics::handle(&service, request(&event("metrics-preflight.json"))).await;
    assert_eq!(response.status(), 204);
    assert_eq!(
        response.headers()["access-control-allow-origin"],
        "https://dash.example.com"
    );
}

#[tokio::test]
async fn the_dashboard_event_answers_the_page_and_its_assets_under_the_policy() {
    let h = Harness::sqlite().await;
    let store: Arc<dyn Store> = h.store.clone();
    let service = MetricsService {
        store,
        clock: Arc::new(FixedClock(event("metrics-dashboard.json").signed_at)),
    };
    let page = event("metrics-dashboard.json");
    for (path, content_type) in [
        ("/dashboard", "text/html"),
        ("/dashboard/app.js", "text/javascript"),
        ("/dashboard/app.css", "text/css"),
    ] {
        let mut json = page.json.clone();
        json["rawPath"] = path.into();
        json["requestContext"]["http"]["path"] = path.into();
        json["routeKey"] = format!("GET {path}").into();
        json["requestContext"]["routeKey"] = format!("GET {path}").into();
        let request = lambda_http::request::from_str(&json.to_string()).unwrap();
        let response = metrics::handle(&service, request).await;
        assert_eq!(response.status(), 200, "{path}");
        let headers = response.headers();
        assert!(
            headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with(content_type),
            "{path}"
        );
        assert_eq!(
            headers["content-security-policy"],
            shared::dashboard::CONTENT_SECURITY_POLICY
        );
        assert_eq!(headers["x-content-type-options"], "nosniff");
        assert_eq!(headers["referrer-policy"], "no-referrer");
        assert!(!response.body().is_empty(), "{path}");
    }
}

/// The sync function over SQLite, Cal.com's fake and a queue that keeps what is sent to it.
fn sync_function(h: &Harness<SqliteStore>, calcom: &MockServer) -> SyncFunction<SqliteStore> {
    let http = ProviderHttp::new(RetryPolicy::default()).unwrap();
    let service = SyncService::new(
        Arc::clone(&h.store),
        Arc::new(FixedClock(
            Utc.with_ymd_and_hms(2026, 3, 20, 12, 0, 0).unwrap(),
        )),
        http.clone(),
        calcom.uri(),
        "http://127.0.0.1:9",
        SheetsClient::new(&http, "http://127.0.0.1:9"),
    );
    SyncFunction {
        service,
        queue: Arc::new(KeptQueue::default()),
    }
}

/// A queue that keeps every message body it is sent (the SQS adapter itself is tested against
/// moto in `sync_fanout.rs`).
#[derive(Default)]
struct KeptQueue(Mutex<Vec<String>>);

#[async_trait::async_trait]
impl SyncQueue for KeptQueue {
    async fn send_batch(&self, bodies: &[String]) -> Result<Vec<usize>, String> {
        self.0.lock().unwrap().extend_from_slice(bodies);
        Ok(Vec::new())
    }
}

async fn fake_calcom() -> MockServer {
    let server = MockServer::start().await;
    let booking = CalcomBooking::new(
        "FOUND",
        "accepted",
        Utc.with_ymd_and_hms(2026, 3, 25, 9, 0, 0).unwrap(),
        Utc.with_ymd_and_hms(2026, 3, 19, 9, 0, 0).unwrap(),
    );
    Mock::given(method("GET"))
        .and(path("/v2/bookings"))
        .and(query_param("status", "upcoming"))
        .respond_with(ResponseTemplate::new(200).set_body_json(calcom_page(&[booking], 1, 100, 1)))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/bookings"))
        .respond_with(ResponseTemplate::new(200).set_body_json(calcom_page(&[], 1, 100, 0)))
        .mount(&server)
        .await;
    server
}

/// A Lambda invocation with a minute to go.
fn invocation(payload: Value) -> LambdaEvent<Value> {
    let in_a_minute =
        SystemTime::now().duration_since(UNIX_EPOCH).unwrap() + Duration::from_secs(60);
    let mut context = Context::default();
    context.deadline = u64::try_from(in_a_minute.as_millis()).unwrap();
    LambdaEvent::new(payload, context)
}

async fn invoke(function: &SyncFunction<SqliteStore>, payload: Value) -> Value {
    sync::handle_event(function, invocation(payload))
        .await
        .unwrap()
}

/// An API Gateway request's answer: its status must be `status`; its body, parsed.
async fn answered(function: &SyncFunction<SqliteStore>, payload: Value, status: u16) -> Value {
    let answer = invoke(function, payload).await;
    assert_eq!(answer["statusCode"], status, "{answer}");
    serde_json::from_str(answer["body"].as_str().unwrap()).unwrap()
}

/// The sample request with another API key.
fn wrong_key(sample: SampleEvent) -> Value {
    let mut request = sample.json;
    request["headers"]["authorization"] = "Bearer btk_wrong".into();
    request
}

#[tokio::test]
async fn the_sync_function_answers_post_sync_the_schedule_and_its_queue() {
    let h = Harness::sqlite().await;
    let account = demo(&h).await;
    let calcom = fake_calcom().await;
    let function = sync_function(&h, &calcom);

    let report = answered(&function, event("sync-post.json").json, 200).await;
    assert_eq!(
        (
            report["success"].as_bool(),
            report["updatesApplied"].as_u64()
        ),
        (Some(true), Some(1)),
        "{report}"
    );

    // The schedule only enqueues: one message per account that needs sync.
    let answer = invoke(&function, event("sync-scheduled.json").json).await;
    assert_eq!(answer, serde_json::json!({"enqueued": 1}));

    // The queue's record runs the account; nothing new the second time, and nothing to retry.
    let answer = invoke(&function, event("sync-queue.json").json).await;
    assert_eq!(answer, serde_json::json!({"batchItemFailures": []}));
    let last = h
        .store
        .sync_state(&account.id)
        .await
        .unwrap()
        .last_run
        .unwrap();
    assert!(last.ok);
    assert_eq!(last.updates_applied, 0, "nothing new the second time");

    answered(&function, wrong_key(event("sync-post.json")), 401).await;
    assert!(sync::classify(&serde_json::json!({"hello": "world"})).is_err());
}

#[tokio::test]
async fn the_sync_function_answers_get_health_with_the_doctors_report() {
    let h = Harness::sqlite().await;
    demo(&h).await;
    let calcom = fake_calcom().await;
    let function = sync_function(&h, &calcom);

    let report = answered(&function, event("sync-health.json").json, 200).await;
    assert_eq!(report["accountId"], "demo");
    let checks: Vec<&str> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["check"].as_str().unwrap())
        .collect();
    assert_eq!(checks[0], "calcom_webhook");
    assert_eq!(checks.len(), 9, "{report}");
    assert!(
        calcom
            .received_requests()
            .await
            .unwrap()
            .iter()
            .any(|r| r.url.path() == "/v2/webhooks"),
        "the provider checks reached Cal.com"
    );

    answered(&function, wrong_key(event("sync-health.json")), 401).await;
}

#[tokio::test]
async fn the_sync_function_acts_on_an_appointment_of_the_keys_account_only() {
    let h = Harness::sqlite().await;
    let account = demo(&h).await;
    let calcom = fake_calcom().await;
    let function = sync_function(&h, &calcom);
    let sample = event("sync-appointment-cancel.json");

    // Not in the account (yet): 404, and Cal.com is not asked.
    let answer = answered(&function, sample.json.clone(), 404).await;
    assert_eq!(answer["error"]["code"], "unknown_appointment");

    // Once the cancellation sample is applied, cancelling it again sends nothing.
    let event = shared::domain::BookingEvent {
        provider: shared::domain::Provider::Calcom,
        kind: shared::domain::EventKind::Cancelled,
        key: shared::domain::BookingKey::parse(integration_tests::events::SAMPLE_CANCELLED_UID)
            .unwrap(),
        predecessor: None,
        successor: None,
        start: None,
        end: None,
        attendee: Default::default(),
        event_type: None,
        occurred_at: sample.signed_at,
        booked_at: None,
        trigger: "BOOKING_CANCELLED".into(),
        tracking: Default::default(),
    };
    shared::ingest::apply_event(&*h.store, &account, &event, None, sample.signed_at)
        .await
        .unwrap();
    let report = answered(&function, sample.json.clone(), 200).await;
    assert_eq!(
        (report["result"].as_str(), report["status"].as_str()),
        (Some("already_done"), Some("cancelled")),
        "{report}"
    );
    assert!(calcom.received_requests().await.unwrap().is_empty());
    answered(&function, wrong_key(sample), 401).await;
}
