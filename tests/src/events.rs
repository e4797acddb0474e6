//! The sample API Gateway events in `events/`: made from the provider samples, signed with the
//! documented demo secrets. `cargo run -p integration-tests --bin regenerate-events` rewrites the
//! files; a test checks they are current.

use base64::Engine;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use shared::domain::Secret;
use shared::providers::{calcom, calendly};

use crate::{compact, provider_fixture};

pub use shared::accounts::{DEMO_ACCOUNT, DEMO_API_KEY, DEMO_CALCOM_SECRET, DEMO_CALENDLY_KEY};

/// One event file: its name and content.
#[derive(Debug, Clone)]
pub struct SampleEvent {
    pub file: String,
    pub json: Value,
    /// When its signature was made (Calendly): the clock a test must hold to accept it.
    pub signed_at: DateTime<Utc>,
}

/// How a sample is delivered.
#[derive(Clone, Copy)]
enum Delivery {
    Signed,
    WrongSecret,
    Base64,
    CompatRoute,
}

pub fn webhook_events() -> Vec<SampleEvent> {
    let mut out = Vec::new();
    for (name, fixture) in [
        ("created", "calcom-booking-created.json"),
        (
            "created-phone-only",
            "calcom-booking-created-phone-only.json",
        ),
        ("requested", "calcom-booking-requested.json"),
        ("rescheduled", "calcom-booking-rescheduled.json"),
        ("cancelled", "calcom-booking-cancelled.json"),
        ("meeting-ended", "calcom-meeting-ended.json"),
        ("no-show", "calcom-no-show.json"),
        ("ping", "calcom-ping.json"),
    ] {
        out.push(calcom_event(
            &format!("calcom-{name}.json"),
            fixture,
            Delivery::Signed,
        ));
    }
    out.push(calcom_event(
        "calcom-bad-signature.json",
        "calcom-booking-created.json",
        Delivery::WrongSecret,
    ));
    out.push(calcom_event(
        "calcom-base64-body.json",
        "calcom-booking-created.json",
        Delivery::Base64,
    ));
    out.push(calcom_event(
        "calcom-compat-route.json",
        "calcom-booking-created.json",
        Delivery::CompatRoute,
    ));
    for (name, fixture) in [
        ("created", "calendly-invitee-created.json"),
        ("canceled", "calendly-invitee-canceled.json"),
        (
            "rescheduled-canceled",
            "calendly-invitee-canceled-rescheduled.json",
        ),
        (
            "rescheduled-created",
            "calendly-invitee-created-rescheduled.json",
        ),
        ("no-show", "calendly-no-show-created.json"),
    ] {
        out.push(calendly_event(
            &format!("calendly-{name}.json"),
            fixture,
            Delivery::Signed,
        ));
    }
    out.push(calendly_event(
        "calendly-bad-signature.json",
        "calendly-invitee-created.json",
        Delivery::WrongSecret,
    ));
    out.push(calendly_event(
        "calendly-base64-body.json",
        "calendly-invitee-created.json",
        Delivery::Base64,
    ));
    out.push(calendly_event(
        "calendly-compat-route.json",
        "calendly-invitee-created.json",
        Delivery::CompatRoute,
    ));
    out
}

fn calcom_event(file: &str, fixture: &str, delivery: Delivery) -> SampleEvent {
    // Cal.com sends compact JSON.stringify output.
    let body = compact(&provider_fixture(fixture));
    let secret = match delivery {
        Delivery::WrongSecret => Secret::new("calsec_not_the_demo_secret"),
        _ => Secret::new(DEMO_CALCOM_SECRET),
    };
    let signature = calcom::sign(&secret, &body);
    let sent_at = envelope_time(&body, "createdAt");
    SampleEvent {
        file: file.to_owned(),
        json: gateway_event(
            "calcom",
            delivery,
            &[
                ("x-cal-signature-256", signature),
                ("x-cal-webhook-version", "2021-10-20".into()),
            ],
            &body,
            sent_at,
        ),
        signed_at: sent_at,
    }
}

fn calendly_event(file: &str, fixture: &str, delivery: Delivery) -> SampleEvent {
    let body = compact(&provider_fixture(fixture));
    let key = match delivery {
        Delivery::WrongSecret => Secret::new("clysec_not_the_demo_key"),
        _ => Secret::new(DEMO_CALENDLY_KEY),
    };
    let sent_at = envelope_time(&body, "created_at");
    let header = calendly::sign(&key, sent_at.timestamp(), &body);
    SampleEvent {
        file: file.to_owned(),
        json: gateway_event(
            "calendly",
            delivery,
            &[("calendly-webhook-signature", header)],
            &body,
            sent_at,
        ),
        signed_at: sent_at,
    }
}

fn envelope_time(body: &[u8], field: &str) -> DateTime<Utc> {
    let value: Value = serde_json::from_slice(body).expect("fixture is JSON");
    value[field]
        .as_str()
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map_or(DateTime::UNIX_EPOCH, |t| t.with_timezone(&Utc))
}

/// An API Gateway HTTP API (payload format 2.0) event for a webhook, header names lowercased as
/// API Gateway delivers them.
fn gateway_event(
    provider: &str,
    delivery: Delivery,
    signature: &[(&str, String)],
    body: &[u8],
    at: DateTime<Utc>,
) -> Value {
    let (route, path, params) = match delivery {
        Delivery::CompatRoute => (
            format!("POST /api/webhooks/calendar/{provider}"),
            format!("/api/webhooks/calendar/{provider}"),
            None,
        ),
        _ => (
            format!("POST /webhooks/{provider}/{{accountId}}"),
            format!("/webhooks/{provider}/{DEMO_ACCOUNT}"),
            Some(json!({ "accountId": DEMO_ACCOUNT })),
        ),
    };
    let mut headers: Vec<(&str, String)> = vec![
        ("content-type", "application/json".into()),
        ("content-length", body.len().to_string()),
        (
            "user-agent",
            if provider == "calcom" {
                "node"
            } else {
                "Calendly-Webhook"
            }
            .into(),
        ),
    ];
    headers.extend(signature.iter().cloned());
    if matches!(delivery, Delivery::CompatRoute) {
        headers.push(("x-account-id", DEMO_ACCOUNT.into()));
    }
    gateway(&Gateway {
        route: &route,
        method: "POST",
        path: &path,
        query: &[],
        path_params: params,
        headers: &headers,
        body: Some(body),
        base64: matches!(delivery, Delivery::Base64),
        at,
    })
}

/// What an API Gateway request event is made of.
struct Gateway<'a> {
    route: &'a str,
    method: &'a str,
    path: &'a str,
    query: &'a [(&'a str, &'a str)],
    path_params: Option<Value>,
    headers: &'a [(&'a str, String)],
    body: Option<&'a [u8]>,
    base64: bool,
    at: DateTime<Utc>,
}

fn gateway(g: &Gateway<'_>) -> Value {
    let headers: serde_json::Map<String, Value> = g
        .headers
        .iter()
        .map(|(name, value)| ((*name).to_owned(), json!(value)))
        .collect();
    let raw_query: Vec<String> = g.query.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let mut event = json!({
        "version": "2.0",
        "routeKey": g.route,
        "rawPath": g.path,
        "rawQueryString": raw_query.join("&"),
        "headers": headers,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "bktracker",
            "domainName": "bktracker.execute-api.eu-west-2.amazonaws.com",
            "domainPrefix": "bktracker",
            "http": {
                "method": g.method,
                "path": g.path,
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.10",
                "userAgent": "sample"
            },
            "requestId": format!("sample-{}", g.at.timestamp()),
            "routeKey": g.route,
            "stage": "$default",
            "time": g.at.format("%d/%b/%Y:%H:%M:%S +0000").to_string(),
            "timeEpoch": g.at.timestamp_millis()
        },
        "isBase64Encoded": g.base64
    });
    if let Some(body) = g.body {
        event["body"] = json!(if g.base64 {
            base64::engine::general_purpose::STANDARD.encode(body)
        } else {
            String::from_utf8_lossy(body).into_owned()
        });
    }
    if !g.query.is_empty() {
        event["queryStringParameters"] = g
            .query
            .iter()
            .map(|(k, v)| ((*k).to_owned(), json!(v)))
            .collect::<serde_json::Map<_, _>>()
            .into();
    }
    if let Some(params) = &g.path_params {
        event["pathParameters"] = params.clone();
    }
    event
}

/// The booking of Cal.com's sample "booking created" (`calcom-created.json`).
pub const SAMPLE_CALCOM_UID: &str = "k3Pq8vXw2LmN9aRt5YbZc1";

/// The booking the Cal.com cancellation sample cancels.
pub const SAMPLE_CANCELLED_UID: &str = "Rw5nB8cK1tHq3ZpL6mYd0F";

/// The appointment id of a Cal.com booking.
pub fn calcom_appointment(uid: &str) -> String {
    let key = shared::domain::BookingKey::parse(uid).expect("a booking uid");
    shared::domain::AppointmentId::for_booking(shared::domain::Provider::Calcom, &key).to_string()
}

/// The metrics and sync functions' events: API Gateway requests carrying the demo API key, and
/// the EventBridge schedule that fires the sync every hour.
pub fn function_events() -> Vec<SampleEvent> {
    let at = DateTime::parse_from_rfc3339("2026-03-20T12:00:00Z")
        .map_or(DateTime::UNIX_EPOCH, |t| t.with_timezone(&Utc));
    let key = vec![("authorization", format!("Bearer {DEMO_API_KEY}"))];
    let request = |file: &str,
                   route: &str,
                   method: &str,
                   path: &str,
                   query: &[(&str, &str)],
                   headers: &[(&str, String)]| SampleEvent {
        file: file.to_owned(),
        json: gateway(&Gateway {
            route,
            method,
            path,
            query,
            path_params: None,
            headers,
            body: None,
            base64: false,
            at,
        }),
        signed_at: at,
    };
    let cancelled = calcom_appointment(SAMPLE_CANCELLED_UID);
    let cancel_path = format!("/appointments/{cancelled}/cancel");
    let preflight = [
        ("origin", "https://dash.example.com".to_owned()),
        ("access-control-request-method", "GET".to_owned()),
    ];
    vec![
        request(
            "metrics-get.json",
            "GET /metrics",
            "GET",
            "/metrics",
            &[("range", "30d")],
            &key,
        ),
        request(
            "metrics-compat-route.json",
            "GET /api/metrics",
            "GET",
            "/api/metrics",
            &[("account_id", DEMO_ACCOUNT), ("range", "7d")],
            &key,
        ),
        request(
            "metrics-preflight.json",
            "OPTIONS /metrics",
            "OPTIONS",
            "/metrics",
            &[],
            &preflight,
        ),
        request(
            "metrics-explain.json",
            "GET /explain",
            "GET",
            "/explain",
            &[("booking", SAMPLE_CALCOM_UID)],
            &key,
        ),
        // The dashboard page needs no key: it holds no data.
        request(
            "metrics-dashboard.json",
            "GET /dashboard",
            "GET",
            "/dashboard",
            &[],
            &[],
        ),
        request("sync-post.json", "POST /sync", "POST", "/sync", &[], &key),
        request(
            "sync-health.json",
            "GET /health",
            "GET",
            "/health",
            &[],
            &key,
        ),
        // After the cancellation sample, the booking is already cancelled: nothing is sent.
        SampleEvent {
            file: "sync-appointment-cancel.json".into(),
            json: gateway(&Gateway {
                route: "POST /appointments/{appointmentId}/cancel",
                method: "POST",
                path: &cancel_path,
                query: &[],
                path_params: Some(json!({ "appointmentId": cancelled })),
                headers: &[key[0].clone(), ("content-type", "application/json".into())],
                body: Some(br#"{"reason": "The lead asked to cancel"}"#),
                base64: false,
                at,
            }),
            signed_at: at,
        },
        SampleEvent {
            file: "sync-scheduled.json".into(),
            json: json!({
                "version": "0",
                "id": "7bf73129-1428-4cd3-a780-95db273d1602",
                "detail-type": "Scheduled Event",
                "source": "aws.events",
                "account": "123456789012",
                "time": "2026-03-20T12:00:00Z",
                "region": "eu-west-2",
                "resources": ["arn:aws:events:eu-west-2:123456789012:rule/booking-tracker-hourly-sync"],
                "detail": {}
            }),
            signed_at: at,
        },
        SampleEvent {
            file: "sync-queue.json".into(),
            json: sqs_records(&[DEMO_ACCOUNT], at),
            signed_at: at,
        },
    ]
}

/// SQS records of the sync queue, one per account, as Lambda's event source mapping delivers
/// them.
pub fn sqs_records(accounts: &[&str], at: DateTime<Utc>) -> Value {
    let records: Vec<Value> = accounts
        .iter()
        .enumerate()
        .map(|(i, account)| {
            json!({
                "messageId": format!("0f3b6a52-7c1e-4d8a-9b2f-5e6d7c8a9b{i:02}"),
                "receiptHandle": format!("AQEB{account}{i}"),
                "body": json!({"accountId": account}).to_string(),
                "attributes": {
                    "ApproximateReceiveCount": "1",
                    "SentTimestamp": at.timestamp_millis().to_string(),
                    "SenderId": "AROAEXAMPLE:booking-tracker-sync",
                    "ApproximateFirstReceiveTimestamp": at.timestamp_millis().to_string(),
                },
                "messageAttributes": {},
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:eu-west-2:123456789012:booking-tracker-SyncQueue",
                "awsRegion": "eu-west-2",
            })
        })
        .collect();
    json!({ "Records": records })
}

/// Every sample event.
pub fn all_events() -> Vec<SampleEvent> {
    let mut events = webhook_events();
    events.extend(function_events());
    events
}

/// The event file as written: pretty JSON and a final newline.
pub fn render(event: &SampleEvent) -> String {
    let mut text = serde_json::to_string_pretty(&event.json).expect("serialisable");
    text.push('\n');
    text
}

pub fn events_dir() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../events")
}
