//! Incremental provider reads and report accounting (SPEC §5), against local fakes of Cal.com's
//! and Calendly's APIs that count every request.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use integration_tests::fakes::{
    CALENDLY_ORG, CalcomBooking, CalendlyInvitee, calcom_page, calendly_event, calendly_me,
    calendly_page, fast_retries,
};
use integration_tests::stores::Harness;
use serde_json::Value;
use shared::accounts::{Account, NewAccount};
use shared::clock::FixedClock;
use shared::domain::{AccountId, Secret};
use shared::outbound::ProviderHttp;
use shared::sheets::SheetsClient;
use shared::store::prelude::*;
use shared::store::sqlite::SqliteStore;
use shared::sync::{SyncReport, SyncService};
use tokio::time::Instant;
use wiremock::matchers::{method, path, path_regex, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 20, 12, 0, 0).unwrap()
}

struct World {
    h: Harness<SqliteStore>,
    calcom: MockServer,
    calendly: MockServer,
    account: Account,
}

async fn world(calcom_key: bool, calendly_token: bool) -> World {
    let h = Harness::sqlite().await;
    let (mut account, _) = Account::create(
        NewAccount::new(AccountId::parse("acme").unwrap()),
        Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
    );
    account.calcom.api_key = calcom_key.then(|| Secret::new("cal_live_acme").into());
    account.calendly.token = calendly_token.then(|| Secret::new("calendly_acme").into());
    let account = h.store.create_account(&account).await.unwrap();
    World {
        h,
        calcom: MockServer::start().await,
        calendly: MockServer::start().await,
        account,
    }
}

impl World {
    /// A run at `at`, with the account as stored now.
    async fn sync_at(&self, at: DateTime<Utc>) -> SyncReport {
        let http = ProviderHttp::new(fast_retries()).unwrap();
        let service = SyncService::new(
            Arc::clone(&self.h.store),
            Arc::new(FixedClock(at)),
            http.clone(),
            self.calcom.uri(),
            self.calendly.uri(),
            SheetsClient::new(&http, "http://127.0.0.1:9"),
        );
        let account = self
            .h
            .store
            .get_account(&self.account.id)
            .await
            .unwrap()
            .unwrap();
        service
            .sync_account(&account, Instant::now() + Duration::from_secs(60))
            .await
            .unwrap()
    }
}

/// Requests a fake has received so far, as paths with their queries.
async fn requests(server: &MockServer) -> Vec<String> {
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| match r.url.query() {
            Some(q) => format!("{}?{q}", r.url.path()),
            None => r.url.path().to_owned(),
        })
        .collect()
}

/// A Calendly organization whose events (one invitee each) are `events`.
async fn calendly_serves(server: &MockServer, events: &[Value]) {
    server.reset().await;
    Mock::given(method("GET"))
        .and(path("/users/me"))
        .respond_with(ResponseTemplate::new(200).set_body_json(calendly_me()))
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/scheduled_events"))
        .and(query_param("organization", CALENDLY_ORG))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(calendly_page(events.to_vec(), None)),
        )
        .mount(server)
        .await;
    let invitees: BTreeMap<String, Value> = events
        .iter()
        .map(|event| {
            let uuid = event["uri"].as_str().unwrap().rsplit('/').next().unwrap();
            let mut invitee = CalendlyInvitee::new(uuid, &format!("inv-{uuid}"), now());
            if event["status"] == "canceled" {
                invitee.status = "canceled";
            }
            (uuid.to_owned(), calendly_page(vec![invitee.json()], None))
        })
        .collect();
    Mock::given(method("GET"))
        .and(path_regex(r"^/scheduled_events/[^/]+/invitees$"))
        .respond_with(move |request: &Request| {
            let uuid = request.url.path().split('/').nth(2).unwrap_or_default();
            match invitees.get(uuid) {
                Some(page) => ResponseTemplate::new(200).set_body_json(page.clone()),
                None => ResponseTemplate::new(404),
            }
        })
        .mount(server)
        .await;
}

/// Thirty upcoming events, the first starting in half an hour.
fn thirty_events() -> Vec<Value> {
    (0..30)
        .map(|i| {
            let start = now() + chrono::Duration::minutes(30) + chrono::Duration::days(i);
            calendly_event(&format!("ev-{i:02}"), start, false)
        })
        .collect()
}

#[tokio::test]
async fn an_unchanged_calendly_account_costs_one_request_and_a_changed_event_is_reread() {
    let w = world(false, true).await;
    let mut events = thirty_events();
    calendly_serves(&w.calendly, &events).await;

    let first = w.sync_at(now()).await;
    assert!(first.success, "{first:?}");
    assert_eq!((first.bookings_found, first.updates_applied), (30, 30));
    let read = requests(&w.calendly).await.len();
    assert_eq!(
        read, 32,
        "users/me, one page of events, 30 invitee listings"
    );

    // Nothing changed: the events listing only (the organization is remembered).
    let second = w.sync_at(now()).await;
    assert!(second.success);
    assert_eq!(second.updates_applied, 0);
    let since = requests(&w.calendly).await;
    let second_requests = &since[read..];
    assert!(second_requests.len() <= 4, "{second_requests:?}");
    assert_eq!(
        second_requests
            .iter()
            .map(|r| r.split('?').next().unwrap())
            .collect::<Vec<_>>(),
        ["/scheduled_events"]
    );

    // Event 7 is cancelled at Calendly: its listing shows a new `updated_at` and counts.
    events[7]["status"] = "canceled".into();
    events[7]["updated_at"] = "2026-03-20T11:30:00.000000Z".into();
    events[7]["invitees_counter"]["active"] = 0.into();
    calendly_serves(&w.calendly, &events).await;
    let third = w.sync_at(now()).await;
    assert_eq!(
        requests(&w.calendly).await,
        [
            format!(
                "/scheduled_events?organization={}&min_start_time=2026-03-13T12%3A00%3A00.000000Z&count=100&sort=start_time%3Aasc",
                urlencode(CALENDLY_ORG)
            ),
            "/scheduled_events/ev-07/invitees?count=100".to_owned(),
        ]
    );
    assert_eq!(third.updates_applied, 1);
    assert_eq!(third.updates[0].change, "updated");

    // An hour later event 0 has ended: it is read once more (no-shows are marked after the
    // call), and the run marks it completed.
    calendly_serves(&w.calendly, &events).await;
    let later = w.sync_at(now() + chrono::Duration::hours(1)).await;
    let paths: Vec<String> = requests(&w.calendly)
        .await
        .iter()
        .map(|r| r.split('?').next().unwrap().to_owned())
        .collect();
    assert_eq!(
        paths,
        ["/scheduled_events", "/scheduled_events/ev-00/invitees"]
    );
    assert_eq!(later.updates_applied, 1, "{later:?}");
    calendly_serves(&w.calendly, &events).await;
    w.sync_at(now() + chrono::Duration::hours(2)).await;
    assert_eq!(
        requests(&w.calendly).await.len(),
        1,
        "read after its end once"
    );

    // A day after the first run's full read, everything is read again.
    calendly_serves(&w.calendly, &events).await;
    w.sync_at(now() + chrono::Duration::hours(25)).await;
    assert_eq!(requests(&w.calendly).await.len(), 31, "the daily full read");
}

fn urlencode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// Cal.com answering every listing with `bookings`.
async fn calcom_serves(server: &MockServer, bookings: &[CalcomBooking]) {
    server.reset().await;
    Mock::given(method("GET"))
        .and(path("/v2/bookings"))
        .respond_with(ResponseTemplate::new(200).set_body_json(calcom_page(
            bookings,
            1,
            100,
            bookings.len(),
        )))
        .mount(server)
        .await;
}

/// The query of each request, as sorted (name, value) pairs without `take`/`skip`.
async fn listings(server: &MockServer) -> Vec<Vec<(String, String)>> {
    let mut found: Vec<Vec<(String, String)>> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| {
            let mut pairs: Vec<(String, String)> = r
                .url
                .query_pairs()
                .filter(|(k, _)| k != "take" && k != "skip")
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
            pairs.sort();
            pairs
        })
        .collect();
    found.sort();
    found
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = list
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    pairs.sort();
    pairs
}

#[tokio::test]
async fn cal_com_is_read_in_four_narrow_listings_after_the_first_run() {
    let w = world(true, false).await;
    calcom_serves(&w.calcom, &[]).await;
    w.sync_at(now()).await;
    let mut expected = vec![
        pairs(&[("status", "upcoming")]),
        pairs(&[
            ("status", "cancelled"),
            ("afterUpdatedAt", "2026-02-18T12:00:00.000Z"),
        ]),
        pairs(&[
            ("status", "past"),
            ("afterStart", "2026-03-13T12:00:00.000Z"),
        ]),
    ];
    expected.sort();
    assert_eq!(
        listings(&w.calcom).await,
        expected,
        "the first run reads everything upcoming"
    );

    calcom_serves(&w.calcom, &[]).await;
    w.sync_at(now() + chrono::Duration::hours(1)).await;
    let since = "2026-03-20T10:00:00.000Z"; // the last run, less two hours of overlap
    let mut expected = vec![
        pairs(&[("status", "upcoming"), ("afterCreatedAt", since)]),
        pairs(&[("status", "upcoming"), ("afterUpdatedAt", since)]),
        pairs(&[("status", "cancelled"), ("afterUpdatedAt", since)]),
        pairs(&[
            ("status", "past"),
            ("afterStart", "2026-03-13T13:00:00.000Z"),
        ]),
    ];
    expected.sort();
    assert_eq!(
        listings(&w.calcom).await,
        expected,
        "four requests when nothing changed"
    );

    calcom_serves(&w.calcom, &[]).await;
    w.sync_at(now() + chrono::Duration::hours(25)).await;
    assert!(
        listings(&w.calcom)
            .await
            .contains(&pairs(&[("status", "upcoming")])),
        "a day after the last full read, every upcoming booking again"
    );
}

#[tokio::test]
async fn a_booking_created_and_marked_no_show_in_one_run_is_one_update() {
    let w = world(true, false).await;
    let mut past = CalcomBooking::new(
        "PAST1",
        "accepted",
        now() - chrono::Duration::days(2),
        now() - chrono::Duration::days(5),
    );
    past.absent = true;
    calcom_serves(&w.calcom, &[past]).await;
    let report = w.sync_at(now()).await;
    assert!(report.success, "{report:?}");
    assert_eq!(report.updates.len(), 1, "{:?}", report.updates);
    assert_eq!(report.updates_applied, 1);
    assert_eq!(report.updates[0].change, "updated", "its final change");
    assert_eq!((report.leads_created, report.matches_found), (1, 0));

    let again = w.sync_at(now()).await;
    assert_eq!((again.updates_applied, again.leads_created), (0, 0));
    assert_eq!(again.matches_found, 1, "the lead exists now");
}
