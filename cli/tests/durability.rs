//! Every webhook `serve` answered 200 survives the process being killed: `serve` on SQLite
//! takes distinct signed Cal.com bookings on many connections at once (so the writer commits
//! them in groups), is killed with SIGKILL in the middle of the load, and the database, opened
//! afresh, holds every booking that was acknowledged, each once.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use integration_tests::provider_fixture;
use integration_tests::stores::all_appointments;
use serde_json::{Value, json};
use shared::accounts::{DEMO_ACCOUNT, DEMO_CALCOM_SECRET};
use shared::domain::{AccountId, Secret};
use shared::store::sqlite::SqliteStore;

mod common;

use common::{Server, succeed};

const CONNECTIONS: usize = 32;
/// Acknowledged bookings to wait for before the kill: enough that groups were committing.
const BEFORE_KILL: u64 = 300;

/// Booking `n`: the sample with its own uid, attendee and phone.
fn booking(template: &Value, n: u64) -> Vec<u8> {
    let mut body = template.clone();
    let payload = &mut body["payload"];
    payload["uid"] = json!(format!("kill-{n:06}"));
    payload["bookingId"] = json!(n);
    let (phone, email) = (
        format!("+4477422{:05}", n % 100_000),
        format!("kill{n}@example.com"),
    );
    payload["attendees"][0]["email"] = json!(email);
    payload["attendees"][0]["phoneNumber"] = json!(phone);
    payload["responses"]["email"]["value"] = json!(email);
    payload["responses"]["attendeePhoneNumber"]["value"] = json!(phone);
    serde_json::to_vec(&body).unwrap()
}

/// Posts bookings until the server stops answering; returns the uids answered 200.
async fn load(url: String, template: Arc<Value>, next: Arc<AtomicU64>) -> Vec<String> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let secret = Secret::new(DEMO_CALCOM_SECRET);
    let mut acknowledged = Vec::new();
    loop {
        let n = next.fetch_add(1, Ordering::Relaxed);
        let body = booking(&template, n);
        let sent = client
            .post(&url)
            .header("content-type", "application/json")
            .header(
                "x-cal-signature-256",
                shared::providers::calcom::sign(&secret, &body),
            )
            .body(body)
            .send()
            .await;
        match sent {
            Ok(response) if response.status() == 200 => {
                // The answer's status line is the acknowledgement: read the body too, so a
                // booking counts only once the whole answer arrived.
                if response.bytes().await.is_ok() {
                    acknowledged.push(format!("kill-{n:06}"));
                }
            }
            Ok(response) => panic!("booking {n} answered {}", response.status()),
            // The server is gone: this request was never acknowledged.
            Err(_) => return acknowledged,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_acknowledged_booking_survives_sigkill_mid_load() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kill.db");
    let store = format!("sqlite:{}", path.display());
    succeed(
        &store,
        &[],
        &["accounts", "create", DEMO_ACCOUNT, "--demo-secrets"],
    );
    let mut server = Server::start(&store);
    let url = format!("{}/webhooks/calcom/{DEMO_ACCOUNT}", server.url);
    let template: Arc<Value> =
        Arc::new(serde_json::from_slice(&provider_fixture("calcom-booking-created.json")).unwrap());
    let next = Arc::new(AtomicU64::new(0));
    let loads: Vec<_> = (0..CONNECTIONS)
        .map(|_| tokio::spawn(load(url.clone(), Arc::clone(&template), Arc::clone(&next))))
        .collect();

    // Kill once enough bookings were sent that some are surely acknowledged and more are in
    // flight: the kill lands between a group's writes and its commit, or in the middle of one.
    while next.load(Ordering::Relaxed) < BEFORE_KILL {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    server.kill();

    let mut acknowledged = Vec::new();
    for task in loads {
        acknowledged.extend(task.await.unwrap());
    }
    let sent = next.load(Ordering::Relaxed);
    assert!(
        acknowledged.len() >= 100,
        "only {} acknowledged",
        acknowledged.len()
    );
    assert!(
        (acknowledged.len() as u64) < sent,
        "every request was answered: the kill did not land mid-load"
    );

    let store = SqliteStore::open(&path).await.unwrap();
    let account = AccountId::parse(DEMO_ACCOUNT).unwrap();
    let stored: Vec<String> = all_appointments(&store, &account)
        .await
        .unwrap()
        .iter()
        .map(|a| a.key().as_str().to_owned())
        .collect();
    let distinct: HashSet<&str> = stored.iter().map(String::as_str).collect();
    assert_eq!(distinct.len(), stored.len(), "a booking stored twice");
    let missing: Vec<&String> = acknowledged
        .iter()
        .filter(|uid| !distinct.contains(uid.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "{} of {} acknowledged bookings lost after SIGKILL: {:?}",
        missing.len(),
        acknowledged.len(),
        &missing[..missing.len().min(5)]
    );
}
