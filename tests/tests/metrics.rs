//! Metrics: exact KPIs for a scripted history on both stores, day bucketing across DST changes,
//! recount, a read cost independent of the number of appointments, and the HTTP function's auth
//! and CORS.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use integration_tests::histories::scripted_event;
use integration_tests::stores::{Harness, Metered};
use serde_json::{Value, json};
use shared::accounts::{Account, NewAccount};
use shared::booking::DayCounts;
use shared::clock::FixedClock;
use shared::domain::{
    AccountId, Attendee, BookingEvent, BookingKey, Email, EventKind, Phone, Provider, Region,
};
use shared::ingest::{apply_event, recount};
use shared::metrics::{MetricsService, RangeQuery, metrics_report};
use shared::store::Store;

fn at(month: u32, day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, month, day, hour, 0, 0).unwrap()
}

struct Ev(BookingEvent);

impl Ev {
    fn new(provider: Provider, key: &str, kind: EventKind, occurred: DateTime<Utc>) -> Self {
        Ev(scripted_event(provider, key, kind, occurred))
    }

    fn email(mut self, email: &str) -> Self {
        self.0.attendee = Attendee {
            name: Some(email.split('@').next().unwrap().into()),
            email: Email::parse_optional(email),
            phone: None,
        };
        self
    }

    fn phone(mut self, phone: &str) -> Self {
        self.0.attendee = Attendee {
            name: Some("Ann".into()),
            email: None,
            phone: Some(Phone::parse(phone, Region::GB).unwrap()),
        };
        self
    }

    fn starts(mut self, start: DateTime<Utc>) -> Self {
        self.0.start = Some(start);
        self.0.end = Some(start + Duration::minutes(30));
        self
    }

    fn after(mut self, key: &str) -> Self {
        self.0.predecessor = Some(BookingKey::parse(key).unwrap());
        self
    }

    fn before(mut self, key: &str) -> Self {
        self.0.successor = Some(BookingKey::parse(key).unwrap());
        self
    }
}

async fn account_in(store: &(impl Store + ?Sized), id: &str, zone: Tz) -> Account {
    let new = NewAccount {
        time_zone: zone,
        ..NewAccount::new(AccountId::parse(id).unwrap())
    };
    let (account, _) = Account::create(new, at(1, 1, 0));
    store.create_account(&account).await.unwrap()
}

async fn apply_all(store: &(impl Store + ?Sized), account: &Account, events: Vec<Ev>) {
    for Ev(event) in events {
        apply_event(store, account, &event, None, event.occurred_at)
            .await
            .unwrap();
    }
}

/// Every case the KPIs distinguish, in one account (Europe/London, "now" is 20 March 12:00).
fn scripted_history() -> Vec<Ev> {
    use EventKind::*;
    use Provider::{Calcom, Calendly};
    vec![
        // A: booked on the 18th; Ann (by phone) also booked F.
        Ev::new(Calcom, "a", Booked, at(3, 18, 10))
            .phone("07742201349")
            .starts(at(3, 25, 10)),
        // B: booked on the 10th, rescheduled (Cal.com) on the 15th.
        Ev::new(Calcom, "b", Booked, at(3, 10, 10))
            .email("bob@example.com")
            .starts(at(3, 20, 9)),
        Ev::new(Calcom, "b2", Rescheduled, at(3, 15, 10))
            .email("bob@example.com")
            .after("b")
            .starts(at(3, 22, 10)),
        // C: booked on the 16th, rescheduled (Calendly pair, created half first) on the 17th.
        Ev::new(Calendly, "c", Booked, at(3, 16, 10))
            .email("cat@example.com")
            .starts(at(3, 21, 10)),
        Ev::new(Calendly, "c2", Rescheduled, at(3, 17, 10))
            .email("cat@example.com")
            .after("c")
            .starts(at(3, 24, 10)),
        Ev::new(Calendly, "c", RescheduledAway, at(3, 17, 10))
            .email("cat@example.com")
            .before("c2"),
        // D: booked on the 17th, cancelled on the 18th.
        Ev::new(Calcom, "d", Booked, at(3, 17, 10)).email("dan@example.com"),
        Ev::new(Calcom, "d", Cancelled, at(3, 18, 11)).email("dan@example.com"),
        // E: requested on the 12th, rejected on the 13th.
        Ev::new(Calcom, "e", Requested, at(3, 12, 10)).email("eve@example.com"),
        Ev::new(Calcom, "e", Rejected, at(3, 13, 10)).email("eve@example.com"),
        // F: Ann again, booked on the 5th, met on the 8th, marked a no-show and unmarked.
        Ev::new(Calcom, "f", Booked, at(3, 5, 10))
            .phone("07742201349")
            .starts(at(3, 8, 9)),
        Ev::new(Calcom, "f", Completed, at(3, 8, 10)),
        Ev::new(Calcom, "f", NoShowMarked, at(3, 8, 12)),
        Ev::new(Calcom, "f", NoShowCleared, at(3, 8, 13)),
        // G: booked on 1 February, a no-show.
        Ev::new(Calcom, "g", Booked, at(2, 1, 10))
            .email("fay@example.com")
            .starts(at(2, 4, 10)),
        Ev::new(Calcom, "g", NoShowMarked, at(2, 5, 10)),
        // H: requested on the 19th, still pending.
        Ev::new(Calcom, "h", Requested, at(3, 19, 10))
            .email("gus@example.com")
            .starts(at(3, 27, 10)),
        // I: booked on the 14th by someone who gave no phone or email: unmatched.
        Ev::new(Calcom, "i", Booked, at(3, 14, 10)).starts(at(3, 26, 10)),
    ]
}

fn kpis(report: &Value) -> Value {
    report["kpis"].clone()
}

async fn kpi_table<S: Store + Metered + 'static>(h: Harness<S>) {
    let store = &*h.store;
    let account = account_in(store, "acme", chrono_tz::Europe::London).await;
    apply_all(store, &account, scripted_history()).await;
    let now = at(3, 20, 12);
    let report = |query| async move {
        serde_json::to_value(
            metrics_report(store, &account_for(store).await, query, now)
                .await
                .unwrap(),
        )
        .unwrap()
    };
    async fn account_for(store: &(impl Store + ?Sized)) -> Account {
        store
            .get_account(&AccountId::parse("acme").unwrap())
            .await
            .unwrap()
            .unwrap()
    }

    let week = report(RangeQuery::Last(7)).await;
    assert_eq!(
        week["range"],
        json!({"label": "7d", "from": "2026-03-14", "to": "2026-03-20", "timezone": "Europe/London"})
    );
    assert_eq!(
        kpis(&week),
        json!({
            "appointmentsBooked": 3, "appointmentsCancelled": 1, "appointmentsRescheduled": 1,
            "noShows": 0, "completed": 0, "pending": 1, "showRate": null,
            "leadsBooked": 2, "unmatchedBookings": 1
        })
    );
    assert_eq!(week["series"].as_array().unwrap().len(), 7);
    assert_eq!(
        week["series"][0],
        json!({"date": "2026-03-14", "booked": 1, "cancelled": 0, "rescheduled": 0, "noShows": 0, "completed": 0})
    );
    assert_eq!(
        week["series"][1]["booked"], 0,
        "days without bookings are listed with zeros"
    );
    assert_eq!(
        week["series"][3]["cancelled"], 1,
        "D counts on the 17th, the day it was booked"
    );

    let month = report(RangeQuery::Last(30)).await;
    assert_eq!(
        kpis(&month),
        json!({
            "appointmentsBooked": 5, "appointmentsCancelled": 1, "appointmentsRescheduled": 2,
            "noShows": 0, "completed": 1, "pending": 1, "showRate": 1.0,
            "leadsBooked": 3, "unmatchedBookings": 1
        }),
        "Ann booked twice in 30 days: one lead"
    );

    let all = report(RangeQuery::All).await;
    assert_eq!(
        all["range"]["from"], "2026-02-01",
        "all starts at the first booking"
    );
    assert_eq!(all["series"].as_array().unwrap().len(), 48);
    assert_eq!(
        kpis(&all),
        json!({
            "appointmentsBooked": 6, "appointmentsCancelled": 1, "appointmentsRescheduled": 2,
            "noShows": 1, "completed": 1, "pending": 1, "showRate": 0.5,
            "leadsBooked": 4, "unmatchedBookings": 1
        })
    );

    let upcoming: Vec<&str> = all["upcoming"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["scheduledAt"].as_str().unwrap())
        .collect();
    assert_eq!(
        upcoming,
        [
            "2026-03-22T10:00:00Z",
            "2026-03-24T10:00:00Z",
            "2026-03-25T10:00:00Z",
            "2026-03-26T10:00:00Z"
        ],
        "live calls from now, soonest first"
    );
    assert_eq!(all["lastSync"], Value::Null);

    let custom = report(RangeQuery::Between(
        NaiveDate::from_ymd_opt(2026, 3, 10).unwrap(),
        NaiveDate::from_ymd_opt(2026, 3, 16).unwrap(),
    ))
    .await;
    assert_eq!(custom["kpis"]["appointmentsBooked"], 3, "B, I and C");
    assert_eq!(custom["kpis"]["leadsBooked"], 2);

    // The counters agree with a recount.
    let fresh = account_for(store).await;
    assert_eq!(recount(store, &fresh, now).await.unwrap().drift, []);
}

/// An account's zone, bookings around its DST changes, and two ranges with the bookings expected
/// on each of their days.
type DstCase = (&'static str, Tz, Vec<DateTime<Utc>>, [DstRange; 2]);
type DstRange = (NaiveDate, NaiveDate, Vec<i64>);

/// Bookings just either side of local midnight on DST change days land on their local days.
async fn dst_bucketing<S: Store + Metered + 'static>(h: Harness<S>) {
    let store = &*h.store;
    let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
    let cases: [DstCase; 2] = [
        (
            "london",
            chrono_tz::Europe::London,
            vec![
                Utc.with_ymd_and_hms(2026, 3, 28, 23, 30, 0).unwrap(), // 23:30 GMT, the 28th
                Utc.with_ymd_and_hms(2026, 3, 29, 0, 30, 0).unwrap(),  // 00:30 GMT, the 29th
                Utc.with_ymd_and_hms(2026, 3, 29, 23, 30, 0).unwrap(), // 00:30 BST, the 30th
                Utc.with_ymd_and_hms(2026, 10, 24, 23, 30, 0).unwrap(), // 00:30 BST, the 25th
                Utc.with_ymd_and_hms(2026, 10, 25, 23, 30, 0).unwrap(), // 23:30 GMT, the 25th
            ],
            [
                (day(2026, 3, 28), day(2026, 3, 30), vec![1, 1, 1]),
                (day(2026, 10, 24), day(2026, 10, 26), vec![0, 2, 0]),
            ],
        ),
        (
            "new-york",
            chrono_tz::America::New_York,
            vec![
                Utc.with_ymd_and_hms(2026, 3, 8, 4, 30, 0).unwrap(), // 23:30 EST, the 7th
                Utc.with_ymd_and_hms(2026, 3, 8, 5, 30, 0).unwrap(), // 00:30 EST, the 8th
                Utc.with_ymd_and_hms(2026, 3, 9, 3, 30, 0).unwrap(), // 23:30 EDT, the 8th
                Utc.with_ymd_and_hms(2026, 3, 9, 4, 30, 0).unwrap(), // 00:30 EDT, the 9th
                Utc.with_ymd_and_hms(2026, 11, 1, 3, 30, 0).unwrap(), // 23:30 EDT, 31 Oct
                Utc.with_ymd_and_hms(2026, 11, 1, 4, 30, 0).unwrap(), // 00:30 EDT, 1 Nov
                Utc.with_ymd_and_hms(2026, 11, 2, 4, 30, 0).unwrap(), // 23:30 EST, 1 Nov
                Utc.with_ymd_and_hms(2026, 11, 2, 5, 30, 0).unwrap(), // 00:30 EST, 2 Nov
            ],
            [
                (day(2026, 3, 7), day(2026, 3, 9), vec![1, 2, 1]),
                (day(2026, 10, 31), day(2026, 11, 2), vec![1, 2, 1]),
            ],
        ),
    ];
    for (id, zone, times, ranges) in cases {
        let account = account_in(store, id, zone).await;
        let events = times
            .iter()
            .enumerate()
            .map(|(i, t)| {
                Ev::new(
                    Provider::Calcom,
                    &format!("{id}-{i}"),
                    EventKind::Booked,
                    *t,
                )
            })
            .collect();
        apply_all(store, &account, events).await;
        for (from, to, expected) in ranges {
            let report =
                metrics_report(store, &account, RangeQuery::Between(from, to), at(12, 1, 0))
                    .await
                    .unwrap();
            let booked: Vec<i64> = report.series.iter().map(|d| d.booked).collect();
            assert_eq!(booked, expected, "{id} {from}..{to}");
        }
    }
    // "Today" is the account's: 23:30 UTC on 29 March is already the 30th in London.
    let london = store
        .get_account(&AccountId::parse("london").unwrap())
        .await
        .unwrap()
        .unwrap();
    let report = metrics_report(
        store,
        &london,
        RangeQuery::Last(7),
        Utc.with_ymd_and_hms(2026, 3, 29, 23, 30, 0).unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(report.range.to, day(2026, 3, 30));
}

async fn recount_fixes_drift<S: Store + Metered + 'static>(h: Harness<S>) {
    let store = &*h.store;
    let account = account_in(store, "acme", chrono_tz::Europe::London).await;
    apply_all(store, &account, scripted_history()).await;
    let day = NaiveDate::from_ymd_opt(2026, 3, 18).unwrap();
    let wrong = DayCounts {
        booked: 40,
        ..DayCounts::default()
    };
    store
        .replace_counters(&account.id, &[(day, wrong)])
        .await
        .unwrap();
    let report = recount(store, &account, at(3, 20, 12)).await.unwrap();
    assert!(
        report
            .drift
            .iter()
            .any(|d| d.date == day && d.counter == "booked" && d.stored == 40 && d.recounted == 1),
        "{:?}",
        report.drift
    );
    assert_eq!(report.appointments, 11);
    assert_eq!(
        recount(store, &account, at(3, 20, 12)).await.unwrap().drift,
        [],
        "fixed"
    );
}

/// The same metrics request reads the same items at 100 and at 1,000 appointments.
async fn read_cost_does_not_grow<S: Store + Metered + 'static>(h: Harness<S>) {
    let store = &*h.store;
    let mut costs = Vec::new();
    for (id, count) in [("small", 100), ("large", 1_000)] {
        // UTC, so that every hour of March 1-30 falls in the 30-day range ending on the 30th.
        let account = account_in(store, id, chrono_tz::UTC).await;
        let mut events = Vec::new();
        for i in 0..count {
            // Spread evenly over March 1-30: both accounts have every day and every status.
            let booked =
                at(3, 1, 0) + Duration::minutes(i64::from(i) * 30 * 24 * 60 / i64::from(count));
            let key = format!("{id}-{i}");
            events.push(
                Ev::new(Provider::Calcom, &key, EventKind::Booked, booked)
                    .starts(at(4, 1, 0) + Duration::minutes(i64::from(i))),
            );
            match i % 3 {
                0 => events.push(Ev::new(
                    Provider::Calcom,
                    &key,
                    EventKind::Cancelled,
                    booked + Duration::minutes(5),
                )),
                1 => events.push(Ev::new(
                    Provider::Calcom,
                    &key,
                    EventKind::Completed,
                    booked + Duration::minutes(5),
                )),
                _ => {}
            }
        }
        apply_all(store, &account, events).await;
        let before = h.store.read_stats();
        let report = metrics_report(store, &account, RangeQuery::Last(30), at(3, 30, 23))
            .await
            .unwrap();
        costs.push(h.store.read_stats() - before);
        assert_eq!(report.kpis.appointments_booked, i64::from(count) * 2 / 3);
    }
    assert_eq!(costs[0].items, costs[1].items, "{costs:?}");
    assert_eq!(costs[0].full_scans, 0);
    assert_eq!(costs[1].full_scans, 0);
}

macro_rules! both_stores {
    ($($test:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    super::$test(integration_tests::stores::Harness::sqlite().await).await;
                }
            )*
        }
        mod dynamodb {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    let Some(harness) = integration_tests::stores::Harness::dynamodb().await else { return };
                    super::$test(harness).await;
                }
            )*
        }
    };
}

both_stores!(
    kpi_table,
    dst_bucketing,
    recount_fixes_drift,
    read_cost_does_not_grow
);

// The HTTP function: auth and CORS.

struct Api {
    service: MetricsService<dyn Store>,
    key: String,
    other_key: String,
    _harness: Harness<shared::store::sqlite::SqliteStore>,
}

async fn api() -> Api {
    let harness = Harness::sqlite().await;
    let store: Arc<dyn Store> = harness.store.clone();
    let (mut account, secrets) = Account::create(
        NewAccount::new(AccountId::parse("acme").unwrap()),
        at(1, 1, 0),
    );
    account.cors_origins = vec!["https://dash.example.com".into()];
    store.create_account(&account).await.unwrap();
    let (other, other_secrets) = Account::create(
        NewAccount::new(AccountId::parse("globex").unwrap()),
        at(1, 1, 0),
    );
    store.create_account(&other).await.unwrap();
    Api {
        service: MetricsService {
            store,
            clock: Arc::new(FixedClock(at(3, 20, 12))),
        },
        key: secrets.api_key.expose().to_owned(),
        other_key: other_secrets.api_key.expose().to_owned(),
        _harness: harness,
    }
}

async fn call(
    api: &Api,
    method: &str,
    path: &str,
    query: &[(&str, &str)],
    headers: &[(&str, &str)],
) -> (u16, HashMap<String, String>, Value) {
    let request = integration_tests::gateway::request(method, path, query, headers);
    let response = metrics::handle(&api.service, request).await;
    let headers = response
        .headers()
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap().to_owned()))
        .collect();
    let status = response.status().as_u16();
    let body = serde_json::from_slice(response.body().as_ref()).unwrap_or(Value::Null);
    (status, headers, body)
}

fn bearer(key: &str) -> String {
    format!("Bearer {key}")
}

#[tokio::test]
async fn metrics_need_the_accounts_own_api_key() {
    let api = api().await;
    let (status, _, body) = call(&api, "GET", "/metrics", &[], &[]).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (401, Some("missing_api_key"))
    );
    let (status, _, body) = call(
        &api,
        "GET",
        "/metrics",
        &[],
        &[("authorization", "Basic YWJj")],
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (401, Some("missing_api_key"))
    );
    let (status, _, body) = call(
        &api,
        "GET",
        "/metrics",
        &[],
        &[("authorization", "Bearer btk_not_a_key")],
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (401, Some("invalid_api_key"))
    );

    let own = bearer(&api.key);
    let (status, headers, body) = call(
        &api,
        "GET",
        "/metrics",
        &[("range", "30d")],
        &[("authorization", &own)],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["accountId"], "acme");
    assert_eq!(body["range"]["label"], "30d");
    assert_eq!(
        headers.get("cache-control").map(String::as_str),
        Some("no-store")
    );

    let (status, _, body) = call(
        &api,
        "GET",
        "/api/metrics",
        &[("account_id", "acme"), ("range", "7d")],
        &[("authorization", &own)],
    )
    .await;
    assert_eq!((status, body["accountId"].as_str()), (200, Some("acme")));
    let (status, _, body) = call(
        &api,
        "GET",
        "/api/metrics",
        &[("account_id", "globex")],
        &[("authorization", &own)],
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (403, Some("forbidden")),
        "a key never reads another account"
    );
    let (status, _, body) = call(
        &api,
        "GET",
        "/api/metrics",
        &[("account_id", "acme")],
        &[("authorization", &bearer(&api.other_key))],
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (403, Some("forbidden"))
    );

    let (status, _, body) = call(
        &api,
        "GET",
        "/metrics",
        &[("range", "1y")],
        &[("authorization", &own)],
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("invalid_range"))
    );
    let (status, _, body) = call(
        &api,
        "GET",
        "/metrics",
        &[("from", "2026-03-10"), ("to", "2026-03-01")],
        &[("authorization", &own)],
    )
    .await;
    assert_eq!(
        (status, body["error"]["message"].as_str()),
        (400, Some("from is after to"))
    );
    let (status, _, body) = call(&api, "POST", "/metrics", &[], &[("authorization", &own)]).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (405, Some("method_not_allowed"))
    );
}

#[tokio::test]
async fn cors_allows_only_the_accounts_origins() {
    let api = api().await;
    let own = bearer(&api.key);
    let (_, headers, _) = call(
        &api,
        "GET",
        "/metrics",
        &[],
        &[
            ("authorization", &own),
            ("origin", "https://dash.example.com"),
        ],
    )
    .await;
    assert_eq!(
        headers
            .get("access-control-allow-origin")
            .map(String::as_str),
        Some("https://dash.example.com")
    );
    assert_eq!(headers.get("vary").map(String::as_str), Some("Origin"));
    let (_, headers, _) = call(
        &api,
        "GET",
        "/metrics",
        &[],
        &[("authorization", &own), ("origin", "https://evil.example")],
    )
    .await;
    assert_eq!(headers.get("access-control-allow-origin"), None);
    assert_eq!(headers.get("vary").map(String::as_str), Some("Origin"));
    let (_, headers, _) = call(
        &api,
        "GET",
        "/metrics",
        &[],
        &[
            ("authorization", &bearer(&api.other_key)),
            ("origin", "https://dash.example.com"),
        ],
    )
    .await;
    assert_eq!(
        headers.get("access-control-allow-origin"),
        None,
        "globex does not list the origin"
    );

    let preflight = [
        ("origin", "https://dash.example.com"),
        ("access-control-request-method", "GET"),
    ];
    let (status, headers, _) = call(&api, "OPTIONS", "/metrics", &[], &preflight).await;
    assert_eq!(status, 204);
    assert_eq!(
        headers
            .get("access-control-allow-origin")
            .map(String::as_str),
        Some("https://dash.example.com")
    );
    assert!(
        headers
            .get("access-control-allow-headers")
            .unwrap()
            .contains("authorization")
    );
    let (_, headers, _) = call(
        &api,
        "OPTIONS",
        "/api/metrics",
        &[("account_id", "globex")],
        &preflight,
    )
    .await;
    assert_eq!(headers.get("access-control-allow-origin"), None);
    let (_, headers, _) = call(
        &api,
        "OPTIONS",
        "/metrics",
        &[],
        &[("origin", "https://evil.example")],
    )
    .await;
    assert_eq!(headers.get("access-control-allow-origin"), None);
}
