//! Metrics cost as data grows: the same `GET /metrics?range=30d` (API key lookup, KPIs, series,
//! upcoming calls) on SQLite accounts holding 1,000 and 1,000,000 appointments. The two accounts
//! spread their bookings over the same two years and the next month, so only the volume differs.
//!
//! `GET /explain` is measured on the same two accounts: a booking uid (answered by its id) and an
//! email nobody booked with (no lead owns it, so the account's appointments are searched, up to
//! the explain module's cap).
//!
//! Seeding goes through the booking transition and the store's own atomic `commit`, batched
//! (thousands of appointments per transaction), so the stored rows and counters are the ones the
//! webhook path writes; it takes about a minute for the large account.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stderr
)]

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Duration, TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use http::{HeaderMap, HeaderValue, Method};
use shared::accounts::{Account, DEMO_ACCOUNT, DEMO_API_KEY, IssuedSecrets, NewAccount};
use shared::booking::{ApplyContext, Neighbourhood, apply};
use shared::clock::FixedClock;
use shared::domain::{AccountId, BookingEvent, BookingKey, EventKind, Region};
use shared::metrics::{MetricsRequest, MetricsService};
use shared::providers::{Parsed, calcom};
use shared::store::sqlite::SqliteStore;
use shared::store::{Accounts, ApplyBatch, Appointments};
use tokio::runtime::Runtime;

const SAMPLE: &[u8] = include_bytes!("../../tests/fixtures/providers/calcom-booking-created.json");
const PER_TRANSACTION: usize = 5_000;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 0).unwrap()
}

fn template() -> BookingEvent {
    match calcom::parse(SAMPLE, Region::GB).unwrap() {
        Parsed::Event(event) => *event,
        other => panic!("the sample is a booking: {other:?}"),
    }
}

/// Booking `n` of `total`: starts spread evenly from two years ago to a month ahead, booked a
/// week before; every tenth is cancelled the day after it was booked.
fn events(template: &BookingEvent, n: usize, total: usize) -> Vec<BookingEvent> {
    let span = Duration::days(760).num_minutes();
    let offset = span * n as i64 / total as i64;
    let start = now() - Duration::days(730) + Duration::minutes(offset);
    let booked = start - Duration::days(7);
    let mut created = template.clone();
    created.key = BookingKey::parse(&format!("seed-{n:08}")).unwrap();
    created.start = Some(start);
    created.end = Some(start + Duration::minutes(30));
    created.booked_at = Some(booked);
    created.occurred_at = booked;
    if !n.is_multiple_of(10) {
        return vec![created];
    }
    let mut cancelled = created.clone();
    cancelled.kind = EventKind::Cancelled;
    cancelled.occurred_at = booked + Duration::days(1);
    vec![created, cancelled]
}

/// A fresh database with the demo account and `total` appointments.
fn seed(rt: &Runtime, dir: &Path, total: usize) -> Arc<SqliteStore> {
    let started = Instant::now();
    let store = rt
        .block_on(SqliteStore::open(dir.join(format!("metrics-{total}.db"))))
        .unwrap();
    let id = AccountId::parse(DEMO_ACCOUNT).unwrap();
    let secrets = IssuedSecrets::demo(&id).unwrap();
    let account = Account::with_secrets(NewAccount::new(id.clone()), &secrets, now());
    rt.block_on(store.create_account(&account)).unwrap();
    let ctx = ApplyContext {
        time_zone: account.time_zone,
        lead: None,
        lead_choice: None,
        lead_attribution: Default::default(),
    };
    let template = template();
    let mut batch = ApplyBatch::default();
    for n in 0..total {
        let mut hood = Neighbourhood::default();
        for event in events(&template, n, total) {
            let transition = apply(&event, hood, &ctx);
            batch.counters.absorb(&transition.counters);
            hood = Neighbourhood {
                subject: Some(transition.subject.clone()),
                ..Neighbourhood::default()
            };
            if let Some(write) = transition.writes.into_iter().next() {
                match batch.appointments.last_mut() {
                    Some(last) if last.after.id() == write.after.id() => last.after = write.after,
                    _ => batch.appointments.push(write),
                }
            }
        }
        if batch.appointments.len() == PER_TRANSACTION || n + 1 == total {
            rt.block_on(store.commit(&id, &batch)).unwrap();
            batch = ApplyBatch::default();
        }
    }
    eprintln!(
        "seeded {total} appointments in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Arc::new(store)
}

fn metrics_growth(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut headers = HeaderMap::new();
    headers.insert(
        http::header::AUTHORIZATION,
        HeaderValue::from_str(&format!("Bearer {DEMO_API_KEY}")).unwrap(),
    );
    let query = BTreeMap::from([("range".to_owned(), "30d".to_owned())]);
    let mut services = Vec::new();
    let mut group = c.benchmark_group("metrics request, SQLite");
    for total in [1_000, 1_000_000] {
        let service = MetricsService {
            store: seed(&rt, dir.path(), total),
            clock: Arc::new(FixedClock(now())),
        };
        let first = rt.block_on(service.handle(MetricsRequest {
            method: &Method::GET,
            headers: &headers,
            query: &query,
        }));
        assert_eq!(first.status(), 200, "{}", first.body());
        group.bench_function(format!("{total} appointments"), |b| {
            b.iter(|| {
                rt.block_on(service.handle(MetricsRequest {
                    method: &Method::GET,
                    headers: &headers,
                    query: &query,
                }))
            });
        });
        services.push((total, service));
    }
    group.finish();

    let mut group = c.benchmark_group("explain request, SQLite");
    let questions = [
        ("booking uid", ("booking", "seed-00000500")),
        ("unknown email", ("email", "nobody@example.com")),
    ];
    for (total, service) in &services {
        for (name, (field, value)) in questions {
            let query = BTreeMap::from([(field.to_owned(), value.to_owned())]);
            let ask = || {
                shared::explain::handle(
                    service,
                    MetricsRequest {
                        method: &Method::GET,
                        headers: &headers,
                        query: &query,
                    },
                )
            };
            let first = rt.block_on(ask());
            assert_eq!(first.status(), 200, "{}", first.body());
            group.bench_function(format!("{name}, {total} appointments"), |b| {
                b.iter(|| rt.block_on(ask()));
            });
        }
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(50);
    targets = metrics_growth
}
criterion_main!(benches);
