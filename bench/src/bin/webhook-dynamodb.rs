//! `webhook-dynamodb`: a webhook end to end on the production store. Each request is an API
//! Gateway HTTP API event (as in `events/`) parsed by `lambda_http` and given to the functions'
//! own handlers (`calcom_webhook::handle`, `calendly_webhook::handle`) over a `DynamoStore` on
//! DynamoDB Local, secrets sealed under a key on moto's KMS, the service built once as in a warm
//! Lambda. Every DynamoDB request the store makes is recorded by an SDK interceptor on the
//! client (`bench::dynamo_calls`), so each case reports its calls per webhook exactly, beside
//! this machine's latencies.
//!
//! Cases, each a distinct signed booking per request: a new booking by a new attendee; the same
//! requests delivered again; a new booking by a known attendee; a reschedule of each first
//! booking; a cancellation of each second one; a Calendly new booking. Then new bookings
//! with `IN_FLIGHT` requests at once, as a fleet of Lambda instances would send them.
//!
//! Usage: `webhook-dynamodb OUT.json [N] [IN_FLIGHT]` (defaults 500 and 16) with
//! `AWS_ENDPOINT_URL_DYNAMODB` and `AWS_ENDPOINT_URL_KMS` set (`scripts/bench` starts both).

// A command-line harness: printing is its job, and a failed set-up ends it.
#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    clippy::expect_used,
    clippy::unwrap_used
)]

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bench::dynamo_calls::{Call, Recorder, counted_client, per_webhook, sequence};
use bench::emulated::Emulated;
use bench::latency::percentile_ms;
use bench::webhook_events::{calcom, calendly_created};
use chrono::Utc;
use serde_json::{Value, json};
use shared::accounts::{Account, DEMO_ACCOUNT, IssuedSecrets, NewAccount};
use shared::clock::SystemClock;
use shared::domain::{AccountId, Provider};
use shared::store::dynamo::DynamoStore;
use shared::store::prelude::*;
use shared::webhooks::WebhookService;

type Service = WebhookService<DynamoStore>;

/// One request through its function's handler: how long the handler took, and its outcome.
async fn send(service: &Service, provider: Provider, event: &str) -> (Duration, String) {
    let request = lambda_http::request::from_str(event).expect("a valid API Gateway event");
    let started = Instant::now();
    let response = match provider {
        Provider::Calendly => calendly_webhook::handle(service, request).await,
        _ => calcom_webhook::handle(service, request).await,
    };
    let elapsed = started.elapsed();
    let body: Value = serde_json::from_slice(response.body().as_ref()).expect("a JSON body");
    assert_eq!(response.status(), 200, "{body}");
    (elapsed, body["outcome"].as_str().unwrap_or("-").to_owned())
}

/// What a run of requests measured.
struct Measured {
    latencies: Vec<Duration>,
    elapsed: Duration,
    /// Each webhook's calls (sequential runs), or all of them in one list (concurrent runs).
    calls: Vec<Vec<Call>>,
    outcomes: BTreeMap<String, usize>,
}

impl Measured {
    fn new(latencies: Vec<Duration>, elapsed: Duration, calls: Vec<Vec<Call>>) -> Self {
        let mut latencies = latencies;
        latencies.sort();
        Self {
            latencies,
            elapsed,
            calls,
            outcomes: BTreeMap::new(),
        }
    }

    fn p(&self, q: f64) -> f64 {
        percentile_ms(&self.latencies, q)
    }

    fn all_calls(&self) -> Vec<Call> {
        self.calls.concat()
    }

    /// The distinct call sequences, most frequent first, with how many webhooks made each.
    fn sequences(&self) -> Vec<(String, usize)> {
        let mut seen: BTreeMap<String, usize> = BTreeMap::new();
        for calls in &self.calls {
            *seen.entry(sequence(calls)).or_default() += 1;
        }
        let mut seen: Vec<_> = seen.into_iter().collect();
        seen.sort_by_key(|s| std::cmp::Reverse(s.1));
        seen
    }

    fn outcomes(&self) -> String {
        let parts: Vec<String> = self
            .outcomes
            .iter()
            .map(|(o, n)| format!("{o} ×{n}"))
            .collect();
        parts.join(", ")
    }
}

/// One at a time, each webhook's calls taken apart.
async fn sequential(
    service: &Service,
    recorder: &Recorder,
    provider: Provider,
    events: &[String],
) -> Measured {
    recorder.take();
    let (mut latencies, mut calls, mut outcomes) = (Vec::new(), Vec::new(), BTreeMap::new());
    let started = Instant::now();
    for event in events {
        let (took, outcome) = send(service, provider, event).await;
        latencies.push(took);
        calls.push(recorder.take());
        *outcomes.entry(outcome).or_default() += 1;
    }
    let mut measured = Measured::new(latencies, started.elapsed(), calls);
    measured.outcomes = outcomes;
    measured
}

/// `in_flight` requests at a time until all are sent.
async fn concurrent(
    service: &Arc<Service>,
    recorder: &Recorder,
    events: Arc<Vec<String>>,
    in_flight: usize,
) -> Measured {
    recorder.take();
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..in_flight {
        let (service, events, next) = (Arc::clone(service), Arc::clone(&events), next.clone());
        workers.spawn(async move {
            let mut done = Vec::new();
            while let Some(event) = events.get(next.fetch_add(1, Ordering::Relaxed)) {
                done.push(send(&service, Provider::Calcom, event).await);
            }
            done
        });
    }
    let (mut latencies, mut outcomes) = (Vec::new(), BTreeMap::new());
    while let Some(done) = workers.join_next().await {
        for (took, outcome) in done.unwrap() {
            latencies.push(took);
            *outcomes.entry(outcome).or_default() += 1;
        }
    }
    let mut measured = Measured::new(latencies, started.elapsed(), vec![recorder.take()]);
    measured.outcomes = outcomes;
    measured
}

fn row(what: String, measured: String) -> Value {
    json!({"what": what, "measured": measured, "target": "-", "met": null})
}

/// The rows of one sequential case: latency, and the calls each webhook made.
fn report(case: &str, m: &Measured, rows: &mut Vec<Value>) {
    let n = m.latencies.len();
    println!(
        "\n{case} (sequential, {n}): p50 {:.2} ms, p99 {:.2} ms; outcomes: {}",
        m.p(0.50),
        m.p(0.99),
        m.outcomes()
    );
    let sequences = m.sequences();
    for (calls, count) in &sequences {
        println!("  {count:>4} × {calls}");
    }
    let means = per_webhook(&m.all_calls(), n);
    println!("  per webhook: {means}");
    rows.push(row(
        format!("webhook on DynamoDB Local, {case}: p50 / p99 (one at a time, N={n})"),
        format!(
            "{:.2} ms / {:.2} ms ({})",
            m.p(0.50),
            m.p(0.99),
            m.outcomes()
        ),
    ));
    let (usual, count) = sequences.first().cloned().unwrap_or_default();
    rows.push(row(
        format!("DynamoDB calls per webhook, {case}"),
        format!("{usual} ({count} of {n}); means: {means}"),
    ));
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let out = args
        .next()
        .unwrap_or_else(|| "webhook-dynamodb.json".into());
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(500);
    let in_flight: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(16);

    let Emulated {
        config,
        kms_key,
        table,
    } = Emulated::connect("webhook-dynamodb").await;
    let (client, recorder) = counted_client(&config);
    let store = DynamoStore::new(client, table).with_kms_key(&config, &kms_key);
    store.create_table().await.unwrap();
    let id = AccountId::parse(DEMO_ACCOUNT).unwrap();
    let secrets = IssuedSecrets::demo(&id).unwrap();
    let account = Account::with_secrets(NewAccount::new(id), &secrets, Utc::now());
    store.create_account(&account).await.unwrap();
    let service = Arc::new(WebhookService {
        store: Arc::new(store),
        clock: Arc::new(SystemClock),
        calendly_tolerance: Duration::from_secs(300),
    });
    // A warm instance: the key ring is unwrapped once (one KMS Decrypt) and kept.
    send(
        &service,
        Provider::Calcom,
        &calcom("created", "warm-up", None, 900_000),
    )
    .await;

    let created: Vec<String> = (0..n)
        .map(|i| calcom("created", &format!("new-{i}"), None, i))
        .collect();
    let known: Vec<String> = (0..n)
        .map(|i| calcom("created", &format!("again-{i}"), None, i))
        .collect();
    let moved: Vec<String> = (0..n)
        .map(|i| {
            calcom(
                "rescheduled",
                &format!("moved-{i}"),
                Some(&format!("new-{i}")),
                i,
            )
        })
        .collect();
    let cancelled: Vec<String> = (0..n)
        .map(|i| calcom("cancelled", &format!("again-{i}"), None, i))
        .collect();
    let cases: [(&str, Provider, &[String]); 5] = [
        (
            "Cal.com new booking, new attendee",
            Provider::Calcom,
            &created,
        ),
        (
            "Cal.com re-delivery of the same booking",
            Provider::Calcom,
            &created,
        ),
        (
            "Cal.com new booking, known attendee",
            Provider::Calcom,
            &known,
        ),
        ("Cal.com reschedule", Provider::Calcom, &moved),
        ("Cal.com cancellation", Provider::Calcom, &cancelled),
    ];
    let mut rows = Vec::new();
    for (case, provider, events) in cases {
        let measured = sequential(&service, &recorder, provider, events).await;
        report(case, &measured, &mut rows);
    }
    // Signed just before sending: Calendly's signature carries its time.
    let calendly: Vec<String> = (0..n)
        .map(|i| calendly_created(&format!("cly-{i}"), 100_000 + i))
        .collect();
    let measured = sequential(&service, &recorder, Provider::Calendly, &calendly).await;
    report("Calendly new booking, new attendee", &measured, &mut rows);

    let fleet: Vec<String> = (0..n)
        .map(|i| calcom("created", &format!("fleet-{i}"), None, 200_000 + i))
        .collect();
    let m = concurrent(&service, &recorder, Arc::new(fleet), in_flight).await;
    let rate = n as f64 / m.elapsed.as_secs_f64();
    let means = per_webhook(&m.all_calls(), n);
    println!(
        "\nCal.com new bookings, {in_flight} in flight: {rate:.0}/s, p50 {:.2} ms, p99 {:.2} ms; outcomes: {}\n  per webhook: {means}",
        m.p(0.50),
        m.p(0.99),
        m.outcomes()
    );
    rows.push(row(
        format!("webhook on DynamoDB Local, Cal.com new bookings, {in_flight} in flight (N={n})"),
        format!(
            "{rate:.0}/s, p50 {:.2} ms, p99 {:.2} ms ({})",
            m.p(0.50),
            m.p(0.99),
            m.outcomes()
        ),
    ));
    rows.push(row(
        format!("DynamoDB calls per webhook, {in_flight} in flight"),
        format!("means: {means}"),
    ));
    std::fs::write(&out, format!("{:#}\n", Value::Array(rows))).unwrap();
}
